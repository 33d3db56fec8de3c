import type { Psu } from '../consent_port';
import type { OAuthContext } from '../oauth_context';
import { AuthorizationPageError } from '../oauth_error';
import type { PsuSession } from '../oauth_repository';
import { secretToken } from '../secret_token';
import { consentReview, type ConsentReview } from './consent_review';
import { loadConsent } from './psu_session';
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
async function sessionOf(ctx: OAuthContext, sessionId: string | undefined): Promise<PsuSession> {
  const session =
    sessionId === undefined || sessionId === ''
      ? undefined
      : await ctx.repo.findSession(secretToken.hash(sessionId));
  if (session === undefined || session.expiresAt.getTime() <= ctx.now().getTime()) {
    throw new AuthorizationPageError(
      403,
      'Your session has expired or your browser did not send its cookie. Return to the app you came from and start again.',
      'missing, unknown or expired session after identity provider sign-in',
    );
  }
  return session;
}

export async function signedInAtIdentityProvider(
  ctx: OAuthContext,
  sessionId: string | undefined,
  psu: Psu,
): Promise<SignedIn> {
  const session = await sessionOf(ctx, sessionId);
  return renewAtSignIn(ctx, session, await loadTarget(ctx, session), psu);
}

/** The consent or payment page for a session already signed in (the page after the provider's return). */
export async function reviewAfterSignIn(
  ctx: OAuthContext,
  sessionId: string | undefined,
): Promise<
  { review: ConsentReview; payment?: undefined } | { payment: PaymentApprovalView; review?: undefined }
> {
  const session = await sessionOf(ctx, sessionId);
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
