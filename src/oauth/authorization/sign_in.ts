import type { Psu } from '../consent_port';
import type { OAuthContext } from '../oauth_context';
import { AuthorizationPageError } from '../oauth_error';
import type { PsuSession } from '../oauth_repository';
import type { PaymentApprovalView } from '../payment_approval_view';
import { secretToken } from '../secret_token';
import { loadTarget, requesterOf, type AuthorisationTarget } from './authorisation_target';
import { consentReview, type ConsentReview, type SignInPrompt } from './consent_review';
import { paymentReview } from './decide_payment';
import { liveSession, loadSession } from './psu_session';
import { strongSignIn } from './strong_sign_in';

export interface SignInParams {
  sessionId: string | undefined;
  csrfToken: string | undefined;
  username: string | undefined;
  password: string | undefined;
  oneTimeCode: string | undefined;
  /** The browser's address, for the per-address limit and the log. */
  clientAddress: string;
}

/** Signed in: the session continues under a new id, for a new cookie. */
export type SignedIn = { kind: 'signedIn'; sessionId: string; sessionTtlSeconds: number } & (
  { review: ConsentReview; payment?: undefined } | { payment: PaymentApprovalView; review?: undefined }
);

export type SignInResult = { kind: 'signIn'; prompt: SignInPrompt } | SignedIn;

/**
 * `POST /oauth2/authorize` with the sign-in form. Order: session and CSRF, consent or payment still
 * awaiting a decision, the cross-session limit (counts this attempt), both factors (for a payment the
 * one-time code bound to its amount and payee), then the session renewed.
 */
export async function signIn(ctx: OAuthContext, params: SignInParams): Promise<SignInResult> {
  const session = await loadSession(ctx, params.sessionId, params.csrfToken);
  const target = await loadTarget(ctx, session);
  const prompt = { csrfToken: session.csrfToken, requester: requesterOf(target), subject: target.subject };
  if (!ctx.psus.passwordSignIn) {
    return { kind: 'signIn', prompt: { ...prompt, passwordSignIn: false } };
  }
  const outcome = await strongSignIn(ctx, { ...params, subject: target.subject });
  if (!outcome.ok && outcome.error === 'locked') {
    const { retryAfterMinutes } = outcome;
    return {
      kind: 'signIn',
      prompt: { ...prompt, passwordSignIn: true, error: 'locked', retryAfterMinutes },
    };
  }
  if (!outcome.ok) {
    const failures = await ctx.repo.recordFailedSignIn(session.idHash);
    if (failures >= ctx.maxSignIns) {
      await ctx.repo.deleteSession(session.idHash);
      throw new AuthorizationPageError(
        403,
        'Too many failed sign-in attempts. Return to the app you came from and start again.',
      );
    }
    return { kind: 'signIn', prompt: { ...prompt, passwordSignIn: true, error: 'credentials' } };
  }
  return renewAtSignIn(ctx, session, target, outcome.psu);
}

/**
 * `GET /oauth2/authorize/sign-in`: this browser's sign-in page again, with the same CSRF token, for the
 * language switch of a page that answered the sign-in form. Changes nothing and counts no attempt; a
 * session signed in meanwhile continues at its review.
 */
export async function signInAgain(
  ctx: OAuthContext,
  sessionId: string | undefined,
): Promise<{ kind: 'signIn'; prompt: SignInPrompt } | { kind: 'signedIn' }> {
  const session = await liveSession(ctx, sessionId);
  if (session.psuId !== null) return { kind: 'signedIn' };
  const target = await loadTarget(ctx, session);
  return {
    kind: 'signIn',
    prompt: {
      csrfToken: session.csrfToken,
      requester: requesterOf(target),
      subject: target.subject,
      passwordSignIn: ctx.psus.passwordSignIn,
    },
  };
}

/**
 * The PSU is known (both factors here, or the bank's identity provider): the session continues under a
 * new id and CSRF token, so an id planted before sign-in (session fixation) is worthless after it.
 */
export async function renewAtSignIn(
  ctx: OAuthContext,
  session: PsuSession,
  target: AuthorisationTarget,
  psu: Psu,
): Promise<SignedIn> {
  const now = ctx.now();
  const sessionId = secretToken.generate();
  const renewed: PsuSession = {
    ...session,
    idHash: secretToken.hash(sessionId),
    csrfToken: secretToken.generate(),
    psuId: psu.psuId,
    psuName: psu.name,
  };
  const ok = await ctx.repo.renewSessionAtSignIn(session.idHash, {
    idHash: renewed.idHash,
    csrfToken: renewed.csrfToken,
    psuId: psu.psuId,
    psuName: psu.name,
  });
  if (!ok)
    throw new AuthorizationPageError(403, 'This request was already answered.', 'session gone at sign-in');
  ctx.logger?.info({ event: 'oauth.psu_signed_in', consentId: session.consentId });
  const signedIn = {
    kind: 'signedIn' as const,
    sessionId,
    sessionTtlSeconds: Math.max(1, Math.ceil((session.expiresAt.getTime() - now.getTime()) / 1000)),
  };
  return target.kind === 'payment'
    ? { ...signedIn, payment: await paymentReview(ctx, renewed, target.payment, psu) }
    : { ...signedIn, review: await consentReview(ctx, renewed, target.consent, psu, []) };
}
