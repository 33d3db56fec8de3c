import type { TppIdentity } from '../../pki/identity/tpp_identity';
import type { OAuthContext } from '../oauth_context';
import { InvalidGrant, InvalidRequest } from '../oauth_error';
import { required, type OAuthForm } from '../oauth_form';
import type { Grant } from '../oauth_repository';
import { pkce } from '../pkce';
import { secretToken } from '../secret_token';
import { paymentIdOf } from '../authorization/payment_subject';
import { issueTokens, usableConsent, type TokenResponse } from './issue_tokens';
import { issuePaymentToken } from './payment_token';

async function revokeForReplay(ctx: OAuthContext, grant: Grant): Promise<void> {
  await ctx.repo.revokeGrant(grant.id, ctx.now(), 'code_replayed');
  ctx.logger?.warn({ event: 'oauth.code_replayed', consentId: grant.consentId });
}

/**
 * `grant_type=authorization_code`. Order: the request's syntax, a known code, this client's code, then
 * the code claimed (once, atomically) before anything else is checked, so a failed redemption uses it up
 * like a successful one; then not revoked, not expired, same redirect_uri, PKCE, consent still valid (a
 * payment's code: grants/payment_token.ts).
 */
export async function authorizationCodeGrant(
  ctx: OAuthContext,
  client: TppIdentity,
  form: OAuthForm,
): Promise<TokenResponse> {
  const code = required(form, 'code');
  const redirectUri = required(form, 'redirect_uri');
  const verifier = required(form, 'code_verifier');
  if (!pkce.isValidVerifier(verifier)) {
    throw new InvalidRequest('code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~]');
  }
  const grant = await ctx.repo.findGrantByCodeHash(secretToken.hash(code));
  if (grant === undefined) throw new InvalidGrant('unknown authorization code');
  // Another client's code is refused without touching it: burning it would let that client destroy the
  // rightful client's code.
  if (grant.clientId !== client.organizationIdentifier) {
    ctx.logger?.warn({
      event: 'oauth.code_foreign_client',
      consentId: grant.consentId,
      presenter: client.organizationIdentifier,
    });
    throw new InvalidGrant(`code of ${grant.clientId} presented by ${client.organizationIdentifier}`);
  }
  const now = ctx.now();
  if (grant.codeUsedAt !== null || !(await ctx.repo.claimCode(grant.id, now))) {
    await revokeForReplay(ctx, grant);
    throw new InvalidGrant('authorization code already used; its tokens are revoked');
  }
  if (grant.revokedAt !== null) throw new InvalidGrant('grant revoked');
  if (grant.codeExpiresAt.getTime() <= now.getTime()) throw new InvalidGrant('authorization code expired');
  if (grant.redirectUri !== redirectUri) {
    throw new InvalidGrant(`redirect_uri ${redirectUri} differs from the authorization request`);
  }
  if (!pkce.matches(verifier, grant.codeChallenge)) {
    throw new InvalidGrant('code_verifier does not match the code_challenge');
  }
  // A payment was approved (and executed) at the decision: its code needs no further state check.
  if (paymentIdOf(grant.consentId) !== undefined) return issuePaymentToken(ctx, grant, client, now);
  const consent = await usableConsent(ctx, grant.consentId);
  return issueTokens(ctx, grant.id, client, consent, now);
}
