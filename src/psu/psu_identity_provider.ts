/**
 * The bank's identity provider as the gateway's PSU pages need it: where to send the browser, and who came
 * back. The OpenID Connect implementation is openid_identity_provider.ts; this module states the contract.
 */

/** Where the provider sends the browser back; the bank registers exactly this URI for the gateway. */
export const IDP_CALLBACK_PATH = '/psu/oidc/callback';

export interface IdpAuthorizationRequest {
  /** Where the browser goes to authenticate. */
  url: string;
  /** Kept by the gateway until the browser returns; each used once. */
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** What the ID token said, after its signature, issuer, audience, expiry and nonce were checked. */
export interface IdpIdentity {
  claims: Readonly<Record<string, unknown>>;
}

/**
 * Why the provider round trip failed: `unavailable` (discovery or token endpoint unreachable),
 * `wrongIssuer` (metadata, `iss` parameter or ID token name another issuer), `refused` (the provider
 * answered with an error, e.g. the PSU cancelled), `invalid` (state, nonce, signature, PKCE).
 */
export type IdpFailureReason = 'unavailable' | 'wrongIssuer' | 'refused' | 'invalid';

export class IdpFailure extends Error {
  constructor(
    readonly reason: IdpFailureReason,
    /** For the log only; never shown to the PSU. */
    readonly detail: string,
  ) {
    super(`identity provider: ${reason}: ${detail}`);
    this.name = 'IdpFailure';
  }
}

export interface PsuIdentityProvider {
  /** `authorizationDetails` (RFC 9396) tells the provider what the PSU authorises (dynamic linking). */
  authorizationRequest(params: {
    authorizationDetails: Record<string, unknown>[];
  }): Promise<IdpAuthorizationRequest>;
  /** The browser's return; throws IdpFailure. */
  identify(params: {
    query: Readonly<Record<string, string>>;
    state: string;
    nonce: string;
    codeVerifier: string;
  }): Promise<IdpIdentity>;
}
