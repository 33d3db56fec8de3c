import type { TppIdentity } from '../../pki/identity/tpp_identity';
import type { OAuthContext } from '../oauth_context';
import { InvalidGrant, InvalidScope } from '../oauth_error';
import { required, type OAuthForm } from '../oauth_form';
import { secretToken } from '../secret_token';
import { issueTokens, usableConsent, type TokenResponse } from './issue_tokens';

async function revokeForReuse(ctx: OAuthContext, grantId: string, consentId: string): Promise<void> {
  await ctx.repo.revokeGrant(grantId, ctx.now(), 'refresh_token_reused');
  ctx.logger?.warn({ event: 'oauth.refresh_token_reused', consentId });
}

/**
 * `grant_type=refresh_token`. Order: a known refresh token, this client's, same scope, not revoked, not
 * already rotated (reuse revokes the whole grant), not expired, consent still valid, then rotated once.
 */
export async function refreshTokenGrant(
  ctx: OAuthContext,
  client: TppIdentity,
  form: OAuthForm,
): Promise<TokenResponse> {
  const refreshToken = required(form, 'refresh_token');
  const tokenHash = secretToken.hash(refreshToken);
  const record = await ctx.repo.findToken(tokenHash);
  if (record === undefined || record.kind !== 'refresh') throw new InvalidGrant('unknown refresh token');
  if (record.clientId !== client.organizationIdentifier) {
    throw new InvalidGrant(
      `refresh token of ${record.clientId} presented by ${client.organizationIdentifier}`,
    );
  }
  if (form.scope !== undefined && form.scope !== `AIS:${record.consentId}`) {
    throw new InvalidScope('a refresh cannot change the scope');
  }
  if (record.revokedAt !== null || record.grantRevokedAt !== null)
    throw new InvalidGrant('refresh token revoked');
  const now = ctx.now();
  if (record.rotatedAt !== null) {
    await revokeForReuse(ctx, record.grantId, record.consentId);
    throw new InvalidGrant('refresh token already used; the grant is revoked');
  }
  if (record.expiresAt.getTime() <= now.getTime()) throw new InvalidGrant('refresh token expired');
  const consent = await usableConsent(ctx, record.consentId);
  if (!(await ctx.repo.claimRefreshToken(tokenHash, now))) {
    await revokeForReuse(ctx, record.grantId, record.consentId);
    throw new InvalidGrant('refresh token already used (race); the grant is revoked');
  }
  // The new access token is bound to the certificate presented now, so a TPP can renew its QWAC
  // without a new consent; the refresh token itself is bound to the client (RFC 8705 §4).
  return issueTokens(ctx, record.grantId, client, consent, now);
}
