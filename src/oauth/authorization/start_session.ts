import type { OAuthContext } from '../oauth_context';
import { secretToken } from '../secret_token';
import type { PaymentForAuthorisation } from '../payment_port';
import { consentTarget, paymentTarget, requesterOf } from './authorisation_target';
import type { AuthorizationRequest } from './authorization_request';
import { PAYMENT_SUBJECT } from './payment_subject';
import type { SignInPrompt } from './consent_review';

export interface BeginAuthorizationResult {
  /** The browser's session secret, for the cookie. */
  sessionId: string;
  sessionTtlSeconds: number;
  prompt: SignInPrompt;
}

/** The request passed every check: the browser gets a session bound to it and the sign-in page. */
export async function startSession(
  ctx: OAuthContext,
  request: AuthorizationRequest,
): Promise<BeginAuthorizationResult> {
  const { params } = request;
  const payment = request.payment as PaymentForAuthorisation | undefined;
  const target = payment !== undefined ? paymentTarget(payment) : consentTarget(request.consent);
  const sessionId = secretToken.generate();
  const now = ctx.now();
  const csrfToken = secretToken.generate();
  await ctx.repo.createSession({
    idHash: secretToken.hash(sessionId),
    csrfToken,
    clientId: params.client_id,
    redirectUri: params.redirect_uri,
    consentId: payment !== undefined ? `${PAYMENT_SUBJECT}${payment.paymentId}` : request.consent.consentId,
    state: params.state,
    codeChallenge: params.code_challenge,
    psuId: null,
    psuName: null,
    failedSignIns: 0,
    expiresAt: new Date(now.getTime() + ctx.sessionTtl * 1000),
    createdAt: now,
  });
  return {
    sessionId,
    sessionTtlSeconds: ctx.sessionTtl,
    prompt: {
      csrfToken,
      requester: requesterOf(target),
      subject: target.subject,
      passwordSignIn: ctx.psus.passwordSignIn,
    },
  };
}
