/**
 * `GET /oauth2/authorize`: the checks in the order they run. Every parameter is checked against the
 * consent before anything is rendered; any mismatch is a page for the PSU, never a redirect, because the
 * redirect target is only trustworthy once it matched the consent (checkRedirectUri runs before anything
 * that could otherwise be reported to it).
 *
 * | # | check                 | refuses                                                        |
 * |---|-----------------------|----------------------------------------------------------------|
 * | 1 | checkParameters       | a required parameter missing, repeated or over-long            |
 * | 2 | checkConsent          | scope not `AIS:<id>`; consent unknown or not the client's      |
 * | 3 | checkRedirectUri      | redirect_uri other than the consent's TPP-Redirect-URI         |
 * | 4 | checkResponseType     | response_type other than `code`                                |
 * | 5 | checkPkce             | no S256 code_challenge                                         |
 * | 6 | checkTppAdmitted      | the consent's TPP is on the stop list (403; a payment: RJCT)   |
 * | 7 | checkAwaitingDecision | consent not `received` (already answered or ended)            |
 * |   | startSession          | (none: creates the browser's session, renders sign-in)        |
 *
 *
 * A payment (scope `PIS:<paymentId>`, PAYMENT_AUTHORIZATION_CHECKS) runs the same checks against what the
 * payment recorded at initiation: checkPayment, checkPaymentRedirectUri and checkPaymentAwaitingDecision
 * (check_payment.ts) take the places of checkConsent, checkRedirectUri and checkAwaitingDecision.
 *
 * Then, on `POST /oauth2/authorize`: signIn (sign_in.ts) and decide (decide.ts), each first loading the
 * session and the consent again (psu_session.ts), which asks the stop list again; an approval asks it once
 * more just before it takes effect.
 */
import type { OAuthContext } from '../oauth_context';
import type { AuthorizationCheck, AuthorizationRequest } from './authorization_request';
import { checkAwaitingDecision } from './check_awaiting_decision';
import { checkConsent } from './check_consent';
import {
  checkPayment,
  checkPaymentAwaitingDecision,
  checkPaymentRedirectUri,
  isPaymentScope,
} from './check_payment';
import { checkParameters } from './check_parameters';
import { checkPkce } from './check_pkce';
import { checkRedirectUri } from './check_redirect_uri';
import { checkResponseType } from './check_response_type';
import { checkTppAdmitted } from './check_tpp_admitted';
import { startSession, type BeginAuthorizationResult } from './start_session';

export const AUTHORIZATION_CHECKS: readonly AuthorizationCheck[] = [
  checkParameters,
  checkConsent,
  checkRedirectUri,
  checkResponseType,
  checkPkce,
  checkTppAdmitted,
  checkAwaitingDecision,
];

export const PAYMENT_AUTHORIZATION_CHECKS: readonly AuthorizationCheck[] = [
  checkParameters,
  checkPayment,
  checkPaymentRedirectUri,
  checkResponseType,
  checkPkce,
  checkTppAdmitted,
  checkPaymentAwaitingDecision,
];

export async function beginAuthorization(
  ctx: OAuthContext,
  query: Readonly<Record<string, unknown>>,
): Promise<BeginAuthorizationResult> {
  // params and consent are filled in by the checks; nothing reads them before the check that sets them.
  const request = {
    query,
    params: {},
    consent: undefined,
    payment: undefined,
  } as unknown as AuthorizationRequest;
  const checks =
    ctx.payments !== undefined && isPaymentScope(query.scope)
      ? PAYMENT_AUTHORIZATION_CHECKS
      : AUTHORIZATION_CHECKS;
  for (const check of checks) await check(request, ctx);
  return startSession(ctx, request);
}
