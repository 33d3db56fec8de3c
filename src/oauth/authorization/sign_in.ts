import type { AuthorisationSubject } from '../../sca/authorisation_subject';
import { usernameHash } from '../../sca/sign_in_limiter';
import type { Psu } from '../consent_port';
import type { OAuthContext } from '../oauth_context';
import { AuthorizationPageError } from '../oauth_error';
import type { PsuSession } from '../oauth_repository';
import { secretToken } from '../secret_token';
import { consentReview, type ConsentReview, type SignInPrompt } from './consent_review';
import { loadConsent, loadSession } from './psu_session';

export interface SignInParams {
  sessionId: string | undefined;
  csrfToken: string | undefined;
  username: string | undefined;
  password: string | undefined;
  oneTimeCode: string | undefined;
  /** The browser's address, for the per-address limit and the log. */
  clientAddress: string;
}

export type SignInResult =
  | { kind: 'signIn'; prompt: SignInPrompt }
  /** Signed in: the session continues under a new id, for a new cookie. */
  | { kind: 'signedIn'; review: ConsentReview; sessionId: string; sessionTtlSeconds: number };

/**
 * `POST /oauth2/authorize` with the sign-in form. Order: session and CSRF, consent still awaiting a
 * decision, the cross-session limit (counts this attempt), both factors, then the session renewed.
 */
export async function signIn(ctx: OAuthContext, params: SignInParams): Promise<SignInResult> {
  const session = await loadSession(ctx, params.sessionId, params.csrfToken);
  const consent = await loadConsent(ctx, session);
  const now = ctx.now();
  const username = params.username ?? '';
  const who = { clientAddress: params.clientAddress, usernameHash: usernameHash(username) };
  const admission = await ctx.signInLimiter.admit({ username, clientAddress: params.clientAddress, at: now });
  if (!admission.admitted) {
    ctx.logger?.warn({ event: 'oauth.psu_sign_in_locked', ...who, by: admission.by });
    const minutes = Math.ceil((admission.lockedUntil.getTime() - now.getTime()) / 60_000);
    return {
      kind: 'signIn',
      prompt: {
        csrfToken: session.csrfToken,
        consent,
        error: 'locked',
        retryAfterMinutes: Math.max(1, minutes),
      },
    };
  }
  const psu = await authenticate(ctx, params, { kind: 'consent', consentId: consent.consentId });
  if (psu === undefined) {
    const failures = await ctx.repo.recordFailedSignIn(session.idHash);
    ctx.logger?.warn({ event: 'oauth.psu_sign_in_failed', ...who, consentId: session.consentId });
    if (failures >= ctx.maxSignIns) {
      await ctx.repo.deleteSession(session.idHash);
      throw new AuthorizationPageError(
        403,
        'Too many failed sign-in attempts. Return to the app you came from and start again.',
      );
    }
    return { kind: 'signIn', prompt: { csrfToken: session.csrfToken, consent, error: 'credentials' } };
  }
  await ctx.signInLimiter.succeeded(admission.keys);

  // A session id planted before sign-in (session fixation) must be worthless after it.
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
  ctx.logger?.info({ event: 'oauth.psu_signed_in', consentId: consent.consentId });
  return {
    kind: 'signedIn',
    sessionId,
    sessionTtlSeconds: Math.max(1, Math.ceil((session.expiresAt.getTime() - now.getTime()) / 1000)),
    review: await consentReview(ctx, renewed, consent, psu, []),
  };
}

/**
 * Both factors, always both: a wrong password does not skip the code check, so neither the answer nor
 * its timing tells which factor failed or whether the username exists.
 */
async function authenticate(
  ctx: OAuthContext,
  credentials: Pick<SignInParams, 'username' | 'password' | 'oneTimeCode'>,
  subject: AuthorisationSubject,
): Promise<Psu | undefined> {
  const username = credentials.username ?? '';
  const psu = await ctx.psus.authenticate(username, credentials.password ?? '');
  const codeOk = ctx.secondFactor.verify({
    username,
    code: credentials.oneTimeCode ?? '',
    subject,
    at: ctx.now(),
  });
  return psu !== undefined && codeOk ? psu : undefined;
}
