import type { AuthorisationSubject } from '../../sca/authorisation_subject';
import type { ConsentForAuthorisation } from '../consent_port';
import type { OAuthContext } from '../oauth_context';
import type { PsuSession } from '../oauth_repository';
import type { PaymentForAuthorisation } from '../payment_port';
import { loadPayment, paymentIdOf, paymentSubject } from './payment_subject';
import { loadConsent } from './psu_session';

/** The TPP as recorded from its QWAC on the consent or payment. */
export type RequestingTpp = Pick<
  ConsentForAuthorisation,
  'tppName' | 'tppOrganizationIdentifier' | 'tppNcaName' | 'tppNcaId'
>;

/** What a session authorises, loaded again at each step: a consent, or a payment (`PIS:<id>`). */
export type AuthorisationTarget =
  | { kind: 'consent'; consent: ConsentForAuthorisation; subject: AuthorisationSubject }
  | { kind: 'payment'; payment: PaymentForAuthorisation; subject: AuthorisationSubject };

export function consentTarget(consent: ConsentForAuthorisation): AuthorisationTarget {
  return { kind: 'consent', consent, subject: { kind: 'consent', consentId: consent.consentId } };
}

export function paymentTarget(payment: PaymentForAuthorisation): AuthorisationTarget {
  return { kind: 'payment', payment, subject: paymentSubject(payment) };
}

export function requesterOf(target: AuthorisationTarget): RequestingTpp {
  return target.kind === 'consent' ? target.consent : target.payment;
}

export async function loadTarget(ctx: OAuthContext, session: PsuSession): Promise<AuthorisationTarget> {
  const paymentId = paymentIdOf(session.consentId);
  return paymentId === undefined
    ? consentTarget(await loadConsent(ctx, session))
    : paymentTarget(await loadPayment(ctx, session, paymentId));
}
