import { FormatError, TokenExpired, TokenInvalid, TokenUnknown } from '../errors/gateway_error';
import type { TppIdentity } from '../pki/identity/tpp_identity';
import type { OAuthRepository, TokenRecord } from './oauth_repository';
import { secretToken } from './secret_token';

export interface VerifyAccessTokenParams {
  /** The raw `Authorization` header. */
  authorization: string | undefined;
  /** The raw `Consent-ID` header. */
  consentIdHeader: string | undefined;
  /** The TPP whose certificate the current connection presented. */
  presenter: TppIdentity;
  now?: Date;
}

export interface AccessTokenVerifierOptions {
  repository: Pick<OAuthRepository, 'findToken'>;
  now?: () => Date;
}

/** RFC 8705: the token counts only on a connection presenting the certificate it was issued to. */
function assertBoundTo(cnfThumbprint: string, clientId: string, presenter: TppIdentity): void {
  if (!secretToken.equals(cnfThumbprint, presenter.thumbprintS256)) {
    throw new TokenInvalid({
      text: 'The access token is bound to another client certificate',
      detail: `token of ${clientId} presented by ${presenter.organizationIdentifier}`,
      path: 'header.Authorization',
    });
  }
}

/** RFC 6750 b64token. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * The check in front of every AIS read. Codes, in the order they are decided:
 * - no `Authorization` header, or not `Bearer <token>` → TOKEN_INVALID: once a consent is authorised
 *   through OAuth SCA, every read needs the token, so its absence is a client error, not an unknown token;
 * - no `Consent-ID` header → FORMAT_ERROR (400);
 * - a token this gateway never issued (or an authorisation code / refresh token) → TOKEN_UNKNOWN;
 * - a token bound to another certificate → TOKEN_INVALID; checked before anything else about the token so
 *   another TPP learns nothing about its state;
 * - a revoked token (RFC 7009, consent deleted, replayed code, reused refresh token) → TOKEN_INVALID: the
 *   TPP must authorise again, a refresh will not help, unlike TOKEN_EXPIRED;
 * - past its expiry → TOKEN_EXPIRED;
 * - issued for another consent than `Consent-ID` → TOKEN_INVALID (not CONSENT_INVALID): the token is what
 *   is wrong for this resource, and the answer must not tell whether the other consent exists.
 */
export class AccessTokenVerifier {
  private readonly now: () => Date;

  constructor(private readonly options: AccessTokenVerifierOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /**
   * One request's bearer token. Both checks below read the same stored record: the lookup happens at most
   * once per request, however many of them run.
   */
  presented(authorization: string | undefined, presenter: TppIdentity): PresentedAccessToken {
    return new PresentedAccessToken(authorization, presenter, this.options.repository, this.now);
  }

  /** See PresentedAccessToken.refuseIfBoundElsewhere. */
  refuseTokenOfAnotherCertificate(
    params: Pick<VerifyAccessTokenParams, 'authorization' | 'presenter'>,
  ): Promise<void> {
    return this.presented(params.authorization, params.presenter).refuseIfBoundElsewhere();
  }

  verifyAccessToken(params: VerifyAccessTokenParams): Promise<{ consentId: string }> {
    return this.presented(params.authorization, params.presenter).verifyFor(
      params.consentIdHeader,
      params.now,
    );
  }
}

export class PresentedAccessToken {
  private readonly authorization: string;
  private record: Promise<TokenRecord | undefined> | undefined;

  constructor(
    authorization: string | undefined,
    private readonly presenter: TppIdentity,
    private readonly repository: Pick<OAuthRepository, 'findToken'>,
    private readonly now: () => Date,
  ) {
    this.authorization = authorization?.trim() ?? '';
  }

  private token(): string | undefined {
    return BEARER.exec(this.authorization)?.[1];
  }

  /** The hash the token is stored under, when a bearer token was presented. */
  get tokenHash(): string | undefined {
    const token = this.token();
    return token === undefined ? undefined : secretToken.hash(token);
  }

  private lookup(token: string): Promise<TokenRecord | undefined> {
    this.record ??= this.repository.findToken(this.tokenHash ?? secretToken.hash(token));
    return this.record;
  }

  /**
   * Refuses a bearer token issued to another certificate, and does nothing else. It runs before the
   * Consent-ID is looked up: a stolen token is the thing that is wrong, whoever owns the consent it
   * names, while a read without a usable token of one's own still gets the consent checks first.
   */
  async refuseIfBoundElsewhere(): Promise<void> {
    const token = this.token();
    if (token === undefined) return;
    const record = await this.lookup(token);
    if (record === undefined || record.kind !== 'access' || record.cnfThumbprint === null) return;
    assertBoundTo(record.cnfThumbprint, record.clientId, this.presenter);
  }

  async verifyFor(consentIdHeader: string | undefined, at?: Date): Promise<{ consentId: string }> {
    if (this.authorization === '') {
      throw new TokenInvalid({ text: 'Authorization: Bearer token required', path: 'header.Authorization' });
    }
    const token = this.token();
    if (token === undefined) {
      throw new TokenInvalid({
        text: 'Authorization must be "Bearer <access token>"',
        path: 'header.Authorization',
      });
    }
    const consentId = consentIdHeader?.trim();
    if (consentId === undefined || consentId === '') {
      throw new FormatError({ text: 'Consent-ID header required', path: 'header.Consent-ID' });
    }

    const record = await this.lookup(token);
    if (record === undefined || record.kind !== 'access' || record.cnfThumbprint === null) {
      throw new TokenUnknown({ text: 'Unknown access token', path: 'header.Authorization' });
    }
    assertBoundTo(record.cnfThumbprint, record.clientId, this.presenter);
    if (record.revokedAt !== null || record.grantRevokedAt !== null) {
      throw new TokenInvalid({ text: 'The access token was revoked', path: 'header.Authorization' });
    }
    if (record.expiresAt.getTime() <= (at ?? this.now()).getTime()) {
      throw new TokenExpired({ text: 'The access token has expired', path: 'header.Authorization' });
    }
    if (record.consentId !== consentId) {
      throw new TokenInvalid({
        text: 'The access token was not issued for this Consent-ID',
        path: 'header.Consent-ID',
      });
    }
    return { consentId: record.consentId };
  }
}
