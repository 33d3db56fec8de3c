/**
 * `POST /oauth2/token`, client authenticated by `tls_client_auth` (RFC 8705 §2.1): client authentication,
 * then the grant type's own checks (see each grant's file for its order).
 */
import type { TppIdentity } from '../../pki/identity/tpp_identity';
import type { OAuthContext } from '../oauth_context';
import { InvalidRequest, UnsupportedGrantType } from '../oauth_error';
import { authenticateClient, type OAuthForm } from '../oauth_form';
import { authorizationCodeGrant } from './authorization_code';
import type { TokenResponse } from './issue_tokens';
import { refreshTokenGrant } from './refresh_token';

type GrantHandler = (ctx: OAuthContext, client: TppIdentity, form: OAuthForm) => Promise<TokenResponse>;

export const GRANT_TYPES: Readonly<Record<string, GrantHandler>> = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
};

export async function tokenEndpoint(
  ctx: OAuthContext,
  client: TppIdentity,
  form: OAuthForm,
): Promise<TokenResponse> {
  authenticateClient(client, form);
  const grantType = form.grant_type;
  if (grantType === undefined || grantType === '') throw new InvalidRequest('grant_type is required');
  const handler = Object.hasOwn(GRANT_TYPES, grantType) ? GRANT_TYPES[grantType] : undefined;
  if (handler === undefined) throw new UnsupportedGrantType();
  return handler(ctx, client, form);
}
