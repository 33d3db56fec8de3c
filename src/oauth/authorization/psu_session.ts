import { randomUUID } from 'node:crypto';
import type { ConsentForAuthorisation } from '../consent_port';
import type { OAuthContext } from '../oauth_context';
import { AuthorizationPageError } from '../oauth_error';
import type { PsuSession } from '../oauth_repository';
import { secretToken } from '../secret_token';
import { assertAwaitingDecision } from './check_awaiting_decision';
import { assertTppAdmitted } from './check_tpp_admitted';

/**
 * The browser's session from its cookie, unexpired. No CSRF check: for requests that change nothing or
 * arrive by a redirect (the identity provider's return, whose single-use state stands in for it).
 */
export async function liveSession(ctx: OAuthContext, sessionId: string | undefined): Promise<PsuSession> {
  const expired = new AuthorizationPageError(
    403,
    'Your session has expired or your browser did not send its cookie. Return to the app you came from and start again.',
    'missing, unknown or expired session',
  );
  if (sessionId === undefined || sessionId === '') throw expired;
  const session = await ctx.repo.findSession(secretToken.hash(sessionId));
  if (session === undefined) throw expired;
  if (session.expiresAt.getTime() <= ctx.now().getTime()) {
    await ctx.repo.deleteSession(session.idHash);
    throw expired;
  }
  return session;
}

/** The browser's session from its cookie, with the form's CSRF token checked against it. */
export async function loadSession(
  ctx: OAuthContext,
  sessionId: string | undefined,
  csrfToken: string | undefined,
): Promise<PsuSession> {
  const session = await liveSession(ctx, sessionId);
  if (csrfToken === undefined || !secretToken.equals(csrfToken, session.csrfToken)) {
    throw new AuthorizationPageError(
      403,
      'This form could not be verified. Return to the app you came from and start again.',
      'CSRF token missing or wrong',
    );
  }
  return session;
}

/** The consent again, since it may have changed while the PSU was on the page. */
export async function loadConsent(ctx: OAuthContext, session: PsuSession): Promise<ConsentForAuthorisation> {
  const consent = await ctx.consents.findForAuthorisation(session.consentId);
  if (
    consent === undefined ||
    consent.tppOrganizationIdentifier !== session.clientId ||
    consent.tppRedirectUri !== session.redirectUri
  ) {
    throw new AuthorizationPageError(400, 'This consent no longer exists.');
  }
  await assertTppAdmitted(ctx, { consent });
  assertAwaitingDecision(consent);
  return consent;
}

/** Exactly one decision per session, even if the form is posted twice at once. */
export async function claimSession(ctx: OAuthContext, session: PsuSession): Promise<void> {
  if (!(await ctx.repo.deleteSession(session.idHash))) {
    throw new AuthorizationPageError(403, 'This request was already answered.', 'session claimed twice');
  }
}

/**
 * The approved decision's authorization code, stored as a grant for `subjectId` (a consent id or
 * `PIS:<paymentId>`), and the redirect that hands it to the TPP with state and issuer (RFC 9207).
 */
export async function issueCode(
  ctx: OAuthContext,
  session: PsuSession,
  subjectId: string,
  psuId: string,
): Promise<{ kind: 'redirect'; location: string }> {
  const code = secretToken.generate();
  const now = ctx.now();
  await ctx.repo.createGrant({
    id: randomUUID(),
    codeHash: secretToken.hash(code),
    clientId: session.clientId,
    redirectUri: session.redirectUri,
    codeChallenge: session.codeChallenge,
    consentId: subjectId,
    psuId,
    codeExpiresAt: new Date(now.getTime() + ctx.codeTtl * 1000),
    codeUsedAt: null,
    revokedAt: null,
    createdAt: now,
  });
  const redirect = new URL(session.redirectUri);
  redirect.searchParams.set('code', code);
  redirect.searchParams.set('state', session.state);
  redirect.searchParams.set('iss', ctx.issuer);
  return { kind: 'redirect', location: redirect.toString() };
}
