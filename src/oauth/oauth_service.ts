import type { TppIdentity } from '../pki/identity/tpp_identity';
import {
  AccessTokenVerifier,
  type PresentedAccessToken,
  type VerifyAccessTokenParams,
} from './access_token_verifier';
import { beginAuthorization } from './authorization';
import { decide, type DecideParams, type DecisionResult } from './authorization/decide';
import { reviewAfterSignIn, signedInAtIdentityProvider } from './authorization/identity_provider_sign_in';
import {
  signIn,
  signInAgain,
  type SignedIn,
  type SignInParams,
  type SignInResult,
} from './authorization/sign_in';
import type { Psu } from './consent_port';
import type { BeginAuthorizationResult } from './authorization/start_session';
import { tokenEndpoint } from './grants';
import type { TokenResponse } from './grants/issue_tokens';
import { oauthContext, type OAuthContext, type OAuthServiceDeps } from './oauth_context';
import type { OAuthForm } from './oauth_form';
import { revocationEndpoint } from './revocation';

export type { SignedIn };
export type { OAuthServiceDeps, OAuthServiceOptions } from './oauth_context';
export type { BeginAuthorizationResult, DecisionResult, OAuthForm, SignInResult, TokenResponse };

/**
 * Token format: opaque random strings, stored as SHA-256 hashes, not JWTs. Every AIS read must learn
 * whether the token was revoked (consent DELETE, RFC 7009, replayed code, reused refresh token), so the
 * verifier reads the store anyway and a self-contained JWT would save nothing. Opaque tokens also need no
 * signing key to generate, protect, back up and rotate, and disclose nothing (consent id, TPP id) to
 * whoever sees one. The RFC 8705 binding (`x5t#S256`) lives in the token's row instead of a `cnf` claim.
 */

/**
 * The authorisation server's entry points: the PSU's authorisation steps (authorization/, the order of
 * checks in authorization/index.ts), the token endpoint (grants/, one file per grant), revocation and
 * the check behind every AIS read. Knows nothing of HTTP; src/api/oauth_routes.ts adapts it.
 */
export class OAuthService {
  private readonly ctx: OAuthContext;
  private readonly verifier: AccessTokenVerifier;

  constructor(deps: OAuthServiceDeps) {
    this.ctx = oauthContext(deps);
    this.verifier = new AccessTokenVerifier({
      repository: deps.tokenLookup ?? this.ctx.repo,
      now: this.ctx.now,
    });
  }

  get issuer(): string {
    return this.ctx.issuer;
  }

  /** `GET /oauth2/authorize`. */
  beginAuthorization(query: Readonly<Record<string, unknown>>): Promise<BeginAuthorizationResult> {
    return beginAuthorization(this.ctx, query);
  }

  /** `POST /oauth2/authorize`, the sign-in form. */
  signIn(params: SignInParams): Promise<SignInResult> {
    return signIn(this.ctx, params);
  }

  /** `GET /oauth2/authorize/sign-in`: the sign-in page of this browser's session again. */
  signInAgain(sessionId: string | undefined): ReturnType<typeof signInAgain> {
    return signInAgain(this.ctx, sessionId);
  }

  /** The bank's identity provider vouched for the PSU of this session (src/psu/idp_sign_in.ts). */
  signedInAtIdentityProvider(sessionId: string | undefined, psu: Psu): Promise<SignedIn> {
    return signedInAtIdentityProvider(this.ctx, sessionId, psu);
  }

  /** `GET /oauth2/authorize/review`: the consent or payment page of a signed-in session. */
  review(sessionId: string | undefined): ReturnType<typeof reviewAfterSignIn> {
    return reviewAfterSignIn(this.ctx, sessionId);
  }

  /** `POST /oauth2/authorize`, the decision. */
  decide(params: DecideParams): Promise<DecisionResult> {
    return decide(this.ctx, params);
  }

  /** `POST /oauth2/token`. */
  token(params: { client: TppIdentity; form: OAuthForm }): Promise<TokenResponse> {
    return tokenEndpoint(this.ctx, params.client, params.form);
  }

  /** `POST /oauth2/revoke`. */
  revoke(params: { client: TppIdentity; form: OAuthForm }): Promise<void> {
    return revocationEndpoint(this.ctx, params.client, params.form);
  }

  /** For `DELETE /v1/consents/{consentId}` and any other end of a consent: no token of it works after. */
  async revokeTokensForConsent(consentId: string): Promise<void> {
    const count = await this.ctx.repo.revokeGrantsForConsent(consentId, this.ctx.now());
    if (count > 0) {
      this.ctx.logger?.info({ event: 'oauth.consent_tokens_revoked', consentId, count });
      this.ctx.audit?.append({
        type: 'token.revoked',
        subject: consentId,
        detail: { grants: count, by: 'consent end' },
      });
    }
  }

  /** A request's bearer token, for checks that must share one lookup (see AccessTokenVerifier). */
  presentedAccessToken(authorization: string | undefined, presenter: TppIdentity): PresentedAccessToken {
    return this.verifier.presented(authorization, presenter);
  }

  /** See AccessTokenVerifier for the codes. */
  refuseTokenOfAnotherCertificate(
    params: Pick<VerifyAccessTokenParams, 'authorization' | 'presenter'>,
  ): Promise<void> {
    return this.verifier.refuseTokenOfAnotherCertificate(params);
  }

  verifyAccessToken(params: VerifyAccessTokenParams): Promise<{ consentId: string }> {
    return this.verifier.verifyAccessToken(params);
  }
}
