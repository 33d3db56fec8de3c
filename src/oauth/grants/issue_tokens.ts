import type { TppIdentity } from '../../pki/identity/tpp_identity';
import type { ConsentForAuthorisation } from '../consent_port';
import type { OAuthContext } from '../oauth_context';
import { InvalidGrant } from '../oauth_error';
import type { StoredToken } from '../oauth_repository';
import { secretToken } from '../secret_token';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  /** Absent for a payment's token (grants/payment_token.ts): it serves the one payment, not renewed. */
  refresh_token?: string;
  scope: string;
}

function endOfDay(isoDate: string): number {
  const t = Date.parse(`${isoDate}T23:59:59.999Z`);
  return Number.isNaN(t) ? Number.POSITIVE_INFINITY : t;
}

/** The consent behind a grant, which must still be `valid` for any token to be issued. */
export async function usableConsent(ctx: OAuthContext, consentId: string): Promise<ConsentForAuthorisation> {
  const consent = await ctx.consents.findForAuthorisation(consentId);
  if (consent === undefined || consent.status !== 'valid') {
    throw new InvalidGrant(`consent ${consentId} is ${consent?.status ?? 'unknown'}`);
  }
  return consent;
}

/** The stored form of an access token, bound to the certificate it was issued on (RFC 8705). */
export function accessTokenRow(
  ctx: OAuthContext,
  accessToken: string,
  grantId: string,
  client: TppIdentity,
  now: Date,
): StoredToken {
  return {
    tokenHash: secretToken.hash(accessToken),
    grantId,
    kind: 'access',
    cnfThumbprint: client.thumbprintS256,
    expiresAt: new Date(now.getTime() + ctx.accessTtl * 1000),
    rotatedAt: null,
    revokedAt: null,
    createdAt: now,
  };
}

export function noteTokensIssued(
  ctx: OAuthContext,
  grantId: string,
  client: TppIdentity,
  subject: string,
): void {
  ctx.logger?.info({ event: 'oauth.tokens_issued', consentId: subject });
  ctx.audit?.append({
    type: 'token.issued',
    tpp: client.organizationIdentifier,
    thumbprint: client.thumbprintS256,
    subject,
    detail: { grant: grantId },
  });
}

/**
 * A new access token bound to the presenting certificate (RFC 8705 `x5t#S256`) and a refresh token bound
 * to the client, both in the grant's family; the refresh token ends with the consent at the latest.
 */
export async function issueTokens(
  ctx: OAuthContext,
  grantId: string,
  client: TppIdentity,
  consent: ConsentForAuthorisation,
  now: Date,
): Promise<TokenResponse> {
  const accessToken = secretToken.generate('psd2at');
  const refreshToken = secretToken.generate('psd2rt');
  const refreshEnd = Math.min(now.getTime() + ctx.refreshTtl * 1000, endOfDay(consent.validUntil));
  const tokens: StoredToken[] = [
    accessTokenRow(ctx, accessToken, grantId, client, now),
    {
      tokenHash: secretToken.hash(refreshToken),
      grantId,
      kind: 'refresh',
      cnfThumbprint: null,
      expiresAt: new Date(refreshEnd),
      rotatedAt: null,
      revokedAt: null,
      createdAt: now,
    },
  ];
  await ctx.repo.insertTokens(tokens);
  noteTokensIssued(ctx, grantId, client, consent.consentId);
  return {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: ctx.accessTtl,
    refresh_token: refreshToken,
    scope: `AIS:${consent.consentId}`,
  };
}
