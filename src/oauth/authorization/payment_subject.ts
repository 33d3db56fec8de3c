import type { AuthorisationSubject } from '../../sca/authorisation_subject';
import type { OAuthContext } from '../oauth_context';
import { AuthorizationPageError } from '../oauth_error';
import type { PsuSession } from '../oauth_repository';
import type { PaymentAuthorisationPort, PaymentForAuthorisation } from '../payment_port';
import { assertTppAdmitted } from './check_tpp_admitted';

/**
 * Sessions and grants name what they authorise in their `consentId` field: a consent id as such, a
 * payment as `PIS:<paymentId>` (consent ids never contain a colon), so one flow and one set of tables
 * serve both.
 */
export const PAYMENT_SUBJECT = 'PIS:';

export function paymentIdOf(subject: string): string | undefined {
  return subject.startsWith(PAYMENT_SUBJECT) ? subject.slice(PAYMENT_SUBJECT.length) : undefined;
}

export function paymentPort(ctx: OAuthContext): PaymentAuthorisationPort {
  // Sessions for payments are only opened when the port exists.
  if (ctx.payments === undefined) {
    throw new AuthorizationPageError(400, 'Payments cannot be authorised here.');
  }
  return ctx.payments;
}

export function assertPaymentAwaitingDecision(payment: PaymentForAuthorisation): void {
  if (!payment.awaitingAuthorisation) {
    throw new AuthorizationPageError(
      400,
      'This payment has already been answered or cancelled, so it cannot be authorised again.',
      `payment ${payment.paymentId} not awaiting authorisation`,
    );
  }
}

/** What the final factor is bound to (dynamic linking): amount and payee as the PSU sees them. */
export function paymentSubject(payment: PaymentForAuthorisation): AuthorisationSubject {
  return {
    kind: 'payment',
    paymentId: payment.paymentId,
    amount: payment.instructedAmount.amount,
    currency: payment.instructedAmount.currency,
    creditorName: payment.creditorName,
    creditorIban: payment.creditorIban,
  };
}

/** The payment again, since it (or its TPP's standing) may have changed while the PSU was on the page. */
export async function loadPayment(
  ctx: OAuthContext,
  session: PsuSession,
  paymentId: string,
): Promise<PaymentForAuthorisation> {
  const payment = await paymentPort(ctx).findForAuthorisation(paymentId);
  if (
    payment === undefined ||
    payment.tppOrganizationIdentifier !== session.clientId ||
    payment.tppRedirectUri !== session.redirectUri
  ) {
    throw new AuthorizationPageError(400, 'This payment no longer exists.');
  }
  await assertTppAdmitted(ctx, { payment });
  assertPaymentAwaitingDecision(payment);
  return payment;
}
