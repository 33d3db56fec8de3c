import { AuthorizationPageError } from '../oauth_error';
import type { AuthorizationCheck } from './authorization_request';
import { assertPaymentAwaitingDecision, paymentPort } from './payment_subject';

const PIS_SCOPE = /^PIS:([^\s]+)$/;

/** True for a request the payment checks (PAYMENT_AUTHORIZATION_CHECKS in index.ts) take. */
export function isPaymentScope(scope: unknown): boolean {
  return typeof scope === 'string' && PIS_SCOPE.test(scope);
}

/** The scope names a payment, and the payment was initiated by the client asking. */
export const checkPayment: AuthorizationCheck = async (request, ctx) => {
  const paymentId = PIS_SCOPE.exec(request.params.scope)?.[1];
  if (paymentId === undefined) throw new AuthorizationPageError(400, 'The scope must be PIS:<paymentId>.');
  const payment = await paymentPort(ctx).findForAuthorisation(paymentId);
  // One answer for "no such payment" and "not this client's": the page must not confirm payment ids.
  if (payment === undefined || payment.tppOrganizationIdentifier !== request.params.client_id) {
    throw new AuthorizationPageError(
      400,
      'This request does not match any payment of the requesting provider.',
      `payment ${paymentId} unknown or not owned by ${request.params.client_id}`,
    );
  }
  request.payment = payment;
};

/** Exactly the `TPP-Redirect-URI` sent at initiation; without one the PSU cannot be sent back. */
export const checkPaymentRedirectUri: AuthorizationCheck = (request) => {
  const registered = request.payment.tppRedirectUri;
  if (registered === undefined || registered !== request.params.redirect_uri) {
    throw new AuthorizationPageError(
      400,
      'The redirect address does not match the one registered with the payment.',
      `redirect_uri ${request.params.redirect_uri} differs from TPP-Redirect-URI ${registered ?? '(none)'}`,
    );
  }
};

/** A payment is authorised once: only one awaiting the PSU (RCVD) can be. */
export const checkPaymentAwaitingDecision: AuthorizationCheck = (request) =>
  assertPaymentAwaitingDecision(request.payment);
