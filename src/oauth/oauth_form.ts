import type { TppIdentity } from '../pki/identity/tpp_identity';
import { InvalidClient, InvalidRequest } from './oauth_error';

/** An `application/x-www-form-urlencoded` body with every parameter at most once. */
export type OAuthForm = Readonly<Record<string, string | undefined>>;

export function required(form: OAuthForm, name: string): string {
  const value = form[name];
  if (value === undefined || value === '') throw new InvalidRequest(`${name} is required`);
  return value;
}

/** `tls_client_auth` (RFC 8705 §2.1): client_id on every request, equal to the certificate's identity. */
export function authenticateClient(client: TppIdentity, form: OAuthForm): void {
  const clientId = form.client_id;
  if (clientId === undefined || clientId === '') {
    throw new InvalidRequest('client_id is required (tls_client_auth)');
  }
  if (clientId !== client.organizationIdentifier) {
    throw new InvalidClient(
      `client_id ${clientId} differs from the certificate's organizationIdentifier ${client.organizationIdentifier}`,
    );
  }
}
