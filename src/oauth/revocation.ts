import type { TppIdentity } from '../pki/identity/tpp_identity';
import type { OAuthContext } from './oauth_context';
import { InvalidRequest } from './oauth_error';
import { authenticateClient, type OAuthForm } from './oauth_form';
import { secretToken } from './secret_token';

/**
 * `POST /oauth2/revoke` (RFC 7009). Unknown tokens and other clients' tokens are answered like a success
 * and left alone, so the endpoint cannot be used to probe for tokens.
 */
export async function revocationEndpoint(
  ctx: OAuthContext,
  client: TppIdentity,
  form: OAuthForm,
): Promise<void> {
  authenticateClient(client, form);
  const token = form.token;
  if (token === undefined || token === '') throw new InvalidRequest('token is required');
  // token_type_hint is only an optimisation (RFC 7009 §2.1); one lookup covers both kinds.
  const tokenHash = secretToken.hash(token);
  const record = await ctx.repo.findToken(tokenHash);
  if (record === undefined || record.clientId !== client.organizationIdentifier) return;
  const now = ctx.now();
  if (record.kind === 'refresh') {
    // RFC 7009 §2.1: revoking a refresh token also ends the access tokens of the same grant.
    await ctx.repo.revokeGrant(record.grantId, now, 'revoked_by_client');
  } else {
    await ctx.repo.revokeToken(tokenHash, now);
  }
  ctx.logger?.info({ event: 'oauth.token_revoked', kind: record.kind, consentId: record.consentId });
  ctx.audit?.append({
    type: 'token.revoked',
    tpp: client.organizationIdentifier,
    thumbprint: client.thumbprintS256,
    subject: record.consentId,
    detail: { kind: record.kind, by: 'client' },
  });
}
