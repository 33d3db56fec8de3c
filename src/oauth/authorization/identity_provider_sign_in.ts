import type { Psu } from '../consent_port';
import type { OAuthContext } from '../oauth_context';
import { AuthorizationPageError } from '../oauth_error';
import { consentReview, type ConsentReview } from './consent_review';
import { liveSession, loadConsent } from './psu_session';
import type { PaymentApprovalView } from '../payment_approval_view';
import { loadTarget } from './authorisation_target';
import { paymentReview } from './decide_payment';
import { loadPayment, paymentIdOf } from './payment_subject';
import { renewAtSignIn, type SignedIn } from './sign_in';

/**
 * The authorisation page's sign-in at the bank's identity provider (src/psu/idp_sign_in.ts checked the
 * return: state, same browser, ID token, strong authentication). No CSRF token here: the browser arrives
 * by the provider's redirect, and the single-use state bound to this session stands in for it.
 */
export async function signedInAtIdentityProvider(
  ctx: OAuthContext,
  sessionId: string | undefined,
  psu: Psu,
): Promise<SignedIn> {
  const session = await liveSession(ctx, sessionId);
  return renewAtSignIn(ctx, session, await loadTarget(ctx, session), psu);
}

/** The consent or payment page for a session already signed in (the page after the provider's return). */
export async function reviewAfterSignIn(
  ctx: OAuthContext,
  sessionId: string | undefined,
): Promise<
  { review: ConsentReview; payment?: undefined } | { payment: PaymentApprovalView; review?: undefined }
> {
  const session = await liveSession(ctx, sessionId);
  if (session.psuId === null) {
    throw new AuthorizationPageError(403, 'Please sign in first.', 'review before sign-in');
  }
  const psu = { psuId: session.psuId, name: session.psuName ?? '' };
  const paymentId = paymentIdOf(session.consentId);
  if (paymentId !== undefined) {
    return { payment: await paymentReview(ctx, session, await loadPayment(ctx, session, paymentId), psu) };
  }
  return { review: await consentReview(ctx, session, await loadConsent(ctx, session), psu, []) };
}
