import { visibleIbans } from '../../consent/consent_grant';
import { ConsentInvalid } from '../../errors/gateway_error';
import { accountView, openRead, wantsBalances, type AisHandler, type AisHandlerDeps } from './ais_handler';

/**
 * GET /v1/accounts. withBalance needs balance access: every listed account's balances are shown where
 * granted (or all, for availableAccounts=allAccountsWithBalances); a consent granting none is refused.
 */
export function getAccountList(deps: AisHandlerDeps): AisHandler {
  return async (context, req, res) => {
    const gate = await openRead(deps, context, req, res);
    const { consent, bank } = gate;
    const { grant } = consent;
    const withBalance = wantsBalances(context);
    const balanceIbans = grant.listWithBalances ? visibleIbans(grant) : grant.balances;
    if (withBalance && balanceIbans.length === 0) {
      throw new ConsentInvalid('The consent does not grant access to balances');
    }
    const accounts = await deps.accounts.accountsByIban(visibleIbans(grant), bank);
    await gate.admit();
    const views = await Promise.all(
      accounts.map(async (account) => {
        const view = accountView(account, grant);
        if (withBalance && balanceIbans.includes(account.iban)) {
          view.balances = await deps.accounts.balances(account.resourceId, bank);
        }
        return view;
      }),
    );
    return { status: 200, body: { accounts: views } };
  };
}
