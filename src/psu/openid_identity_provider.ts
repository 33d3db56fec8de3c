import { errors, generators, Issuer, type BaseClient } from 'openid-client';
import type { PsuIdentityProviderConfig } from '../config/psu_identity_provider_config';
import {
  IdpFailure,
  type IdpAuthorizationRequest,
  type IdpIdentity,
  type PsuIdentityProvider,
} from './psu_identity_provider';

/** A trailing slash is not a different issuer to an operator, but the comparison itself stays exact. */
const withoutTrailingSlash = (url: string): string => url.replace(/\/+$/, '');

/**
 * The bank's OpenID Connect provider through openid-client 5 (CommonJS; 6 is ESM-only): discovery,
 * authorization code with PKCE (S256), state and nonce, and its ID token checks (signature, iss, aud,
 * exp, iat, nonce; RFC 9207 `iss` in the response when the provider sends it). Discovery happens at the
 * first sign-in and is retried after a failure, so a provider that is down at start does not stop the
 * gateway; its PSUs see a page saying so.
 */
export class OpenIdIdentityProvider implements PsuIdentityProvider {
  private client: Promise<BaseClient> | undefined;

  constructor(
    private readonly config: PsuIdentityProviderConfig,
    private readonly redirectUri: string,
  ) {}

  async authorizationRequest(params: {
    authorizationDetails: Record<string, unknown>[];
  }): Promise<IdpAuthorizationRequest> {
    const client = await this.discovered();
    const state = generators.state();
    const nonce = generators.nonce();
    const codeVerifier = generators.codeVerifier();
    const url = client.authorizationUrl({
      scope: 'openid profile',
      state,
      nonce,
      code_challenge: generators.codeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      // Every sign-in here authorises something, so the PSU authenticates now, whatever session the
      // provider holds (OpenID Connect Core §3.1.2.1); idp_sign_in.ts checks the auth_time this asks for.
      prompt: 'login',
      max_age: 0,
      ...(this.config.acrValues.length > 0 ? { acr_values: this.config.acrValues.join(' ') } : {}),
      ...(params.authorizationDetails.length > 0
        ? { authorization_details: JSON.stringify(params.authorizationDetails) }
        : {}),
    });
    return { url, state, nonce, codeVerifier };
  }

  async identify(params: {
    query: Readonly<Record<string, string>>;
    state: string;
    nonce: string;
    codeVerifier: string;
  }): Promise<IdpIdentity> {
    const client = await this.discovered();
    let tokens;
    try {
      tokens = await client.callback(this.redirectUri, params.query, {
        state: params.state,
        nonce: params.nonce,
        code_verifier: params.codeVerifier,
        response_type: 'code',
      });
    } catch (error) {
      throw classify(error);
    }
    if (tokens.id_token === undefined) throw new IdpFailure('invalid', 'no ID token in the token response');
    return { claims: tokens.claims() };
  }

  private discovered(): Promise<BaseClient> {
    this.client ??= this.discover().catch((error: unknown) => {
      // Not cached: the next sign-in tries again.
      this.client = undefined;
      throw error;
    });
    return this.client;
  }

  private async discover(): Promise<BaseClient> {
    let issuer: Issuer;
    try {
      issuer = await Issuer.discover(this.config.issuer);
    } catch (error) {
      throw new IdpFailure('unavailable', `discovery failed: ${(error as Error).message}`);
    }
    // openid-client 5 does not compare them; OpenID Discovery §4.3 requires it.
    if (withoutTrailingSlash(String(issuer.metadata.issuer)) !== withoutTrailingSlash(this.config.issuer)) {
      throw new IdpFailure(
        'wrongIssuer',
        `metadata names issuer ${String(issuer.metadata.issuer)}, configured ${this.config.issuer}`,
      );
    }
    // openid-client assumes RS256; the provider's metadata says what it signs with ('none' never counts).
    const listed: unknown = issuer.metadata.id_token_signing_alg_values_supported;
    const algs = (Array.isArray(listed) ? listed : ['RS256']).filter(
      (a): a is string => typeof a === 'string' && a !== 'none',
    );
    const idTokenAlg = algs.includes('RS256') ? 'RS256' : algs[0];
    if (idTokenAlg === undefined) throw new IdpFailure('invalid', 'the provider signs no ID token');
    return new issuer.Client({
      client_id: this.config.clientId,
      id_token_signed_response_alg: idTokenAlg,
      client_secret: this.config.clientSecret,
      redirect_uris: [this.redirectUri],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    });
  }
}

function classify(error: unknown): IdpFailure {
  if (error instanceof IdpFailure) return error;
  if (error instanceof errors.OPError) {
    return new IdpFailure(
      'refused',
      `${error.error}${error.error_description ? `: ${error.error_description}` : ''}`,
    );
  }
  if (error instanceof errors.RPError) {
    const message = error.message;
    const wrongIssuer = /\biss\b|issuer/i.test(message);
    return new IdpFailure(wrongIssuer ? 'wrongIssuer' : 'invalid', message);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new IdpFailure('unavailable', message);
}
