import { grantAllows } from '../../consent/consent_grant';
import { ConsentInvalid } from '../../errors/gateway_error';
import {
  accountInConsent,
  accountView,
  openRead,
  param,
  wantsBalances,
  type AisHandler,
  type AisHandlerDeps,
} from './ais_handler';

/** GET /v1/accounts/{account-id}. */
export function readAccountDetails(deps: AisHandlerDeps): AisHandler {
  return async (context, req, res) => {
    const gate = await openRead(deps, context, req, res);
    const { consent } = gate;
    const account = await accountInConsent(deps, gate, param(context, 'account-id'), 'account');
    const withBalance = wantsBalances(context);
    if (withBalance && !grantAllows(consent.grant, account.iban, 'balances')) {
      throw new ConsentInvalid('The consent does not grant access to balances of this account');
    }
    await gate.admit();
    const view = accountView(account, consent.grant);
    if (withBalance) view.balances = await deps.accounts.balances(account.resourceId, gate.bank);
    return { status: 200, body: { account: view } };
  };
}
