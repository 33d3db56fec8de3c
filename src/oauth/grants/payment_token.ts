import type { TppIdentity } from '../../pki/identity/tpp_identity';
import type { OAuthContext } from '../oauth_context';
import type { Grant } from '../oauth_repository';
import { secretToken } from '../secret_token';
import { accessTokenRow, noteTokensIssued, type TokenResponse } from './issue_tokens';

/**
 * A payment's code (grant subject `PIS:<paymentId>`) gives one certificate-bound access token with that
 * scope and no refresh token: the PSU authorised this payment once, there is nothing to renew.
 */
export async function issuePaymentToken(
  ctx: OAuthContext,
  grant: Grant,
  client: TppIdentity,
  now: Date,
): Promise<TokenResponse> {
  const accessToken = secretToken.generate('psd2at');
  await ctx.repo.insertTokens([accessTokenRow(ctx, accessToken, grant.id, client, now)]);
  noteTokensIssued(ctx, grant.id, client, grant.consentId);
  return {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: ctx.accessTtl,
    scope: grant.consentId,
  };
}
