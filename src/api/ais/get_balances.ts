import { accountInConsent, openRead, param, type AisHandler, type AisHandlerDeps } from './ais_handler';

/** GET /v1/accounts/{account-id}/balances. */
export function getBalances(deps: AisHandlerDeps): AisHandler {
  return async (context, req, res) => {
    const gate = await openRead(deps, context, req, res);
    const account = await accountInConsent(deps, gate, param(context, 'account-id'), 'balances');
    await gate.admit();
    const balances = await deps.accounts.balances(account.resourceId, gate.bank);
    return {
      status: 200,
      body: { account: { iban: account.iban, currency: account.currency }, balances },
    };
  };
}
