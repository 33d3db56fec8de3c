import type { ConsentForAuthorisation } from '../consent_port';
import type { OAuthContext } from '../oauth_context';
import { AuthorizationPageError } from '../oauth_error';
import type { PaymentForAuthorisation } from '../payment_port';
import type { AuthorizationCheck } from './authorization_request';

/**
 * The TPP that created the consent or initiated the payment is not on the bank's stop list, by its
 * organizationIdentifier or by the certificate it used. Asked when the page is shown, at every step after,
 * and again just before an approval takes effect: the stop list may change while the PSU is on the page.
 * A blocked TPP's payment is rejected (RJCT) at once, so it can never be executed; a consent is left
 * unapproved.
 */
export async function assertTppAdmitted(
  ctx: OAuthContext,
  what: { consent: ConsentForAuthorisation } | { payment: PaymentForAuthorisation },
): Promise<void> {
  const tpp = 'payment' in what ? what.payment : what.consent;
  const block = await ctx.stopList.blockOf({
    organizationIdentifier: tpp.tppOrganizationIdentifier,
    thumbprintS256: tpp.tppCertificateThumbprint,
  });
  if (block === undefined) return;
  const detail = `TPP ${tpp.tppOrganizationIdentifier} on the stop list (${block.subject})`;
  if ('payment' in what) {
    const { paymentId } = what.payment;
    // Only sessions for payments exist when the port does.
    const outcome = await ctx.payments?.reject(paymentId, undefined);
    ctx.logger?.warn({
      event: 'oauth.payment_refused_tpp_blocked',
      paymentId,
      outcome,
      subject: block.subject,
    });
    throw new AuthorizationPageError(
      403,
      'The provider that initiated this payment has been blocked by the bank, so the payment cannot be authorised. Nothing was paid.',
      detail,
    );
  }
  ctx.logger?.warn({
    event: 'oauth.consent_refused_tpp_blocked',
    consentId: what.consent.consentId,
    subject: block.subject,
  });
  throw new AuthorizationPageError(
    403,
    'The provider that asked for this access has been blocked by the bank, so it cannot be authorised. Nothing was shared.',
    detail,
  );
}

/** Before the page: the consent's or payment's TPP is not blocked (a blocked TPP's payment is rejected). */
export const checkTppAdmitted: AuthorizationCheck = (request, ctx) => {
  // Exactly one of them was set by checkConsent or checkPayment.
  const payment = request.payment as PaymentForAuthorisation | undefined;
  return assertTppAdmitted(ctx, payment !== undefined ? { payment } : { consent: request.consent });
};
