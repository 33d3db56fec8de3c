/**
 * Storage contract of the OAuth authorisation server. Secrets (session ids, codes, tokens) reach the
 * repository only as SHA-256 hashes (see secret_token.ts).
 */

/** One browser's pass through the authorisation page, bound to the request it started with. */
export interface PsuSession {
  idHash: string;
  /** Per-session CSRF token echoed by every form on the page. */
  csrfToken: string;
  clientId: string;
  redirectUri: string;
  consentId: string;
  state: string;
  codeChallenge: string;
  /** Set once the PSU has signed in. */
  psuId: string | null;
  psuName: string | null;
  failedSignIns: number;
  expiresAt: Date;
  createdAt: Date;
}

/**
 * What the PSU approved: one authorisation code and every token issued from it (the token "family").
 * Revoking the grant revokes all of them, including tokens issued after the revocation raced with them.
 */
export interface Grant {
  id: string;
  codeHash: string;
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  consentId: string;
  psuId: string;
  codeExpiresAt: Date;
  codeUsedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

export type GrantRevocationReason =
  'code_replayed' | 'refresh_token_reused' | 'revoked_by_client' | 'consent_revoked';

export type TokenKind = 'access' | 'refresh';

export interface StoredToken {
  tokenHash: string;
  grantId: string;
  kind: TokenKind;
  /** RFC 8705 `x5t#S256` of the certificate the access token is bound to; null for refresh tokens. */
  cnfThumbprint: string | null;
  expiresAt: Date;
  /** Refresh tokens: when this one was exchanged for its successor. */
  rotatedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

/** A token together with the grant facts every check needs. */
export interface TokenRecord extends StoredToken {
  clientId: string;
  consentId: string;
  grantRevokedAt: Date | null;
}

export interface OAuthRepository {
  createSession(session: PsuSession): Promise<void>;
  findSession(idHash: string): Promise<PsuSession | undefined>;
  /**
   * The PSU signed in: the session gets a new id and CSRF token (the old cookie stops working, so a
   * session id planted before sign-in is worthless after it). False when the old id no longer exists.
   */
  renewSessionAtSignIn(
    idHash: string,
    renewed: { idHash: string; csrfToken: string; psuId: string; psuName: string },
  ): Promise<boolean>;
  /** Returns the count after incrementing. */
  recordFailedSignIn(idHash: string): Promise<number>;
  /** True for exactly one caller: the decision step claims the session by deleting it. */
  deleteSession(idHash: string): Promise<boolean>;

  createGrant(grant: Grant): Promise<void>;
  findGrantByCodeHash(codeHash: string): Promise<Grant | undefined>;
  /** Marks the code used if nobody did before; true for exactly one caller, however many race. */
  claimCode(grantId: string, usedAt: Date): Promise<boolean>;
  revokeGrant(grantId: string, at: Date, reason: GrantRevocationReason): Promise<void>;
  /** Returns how many grants were newly revoked. */
  revokeGrantsForConsent(consentId: string, at: Date): Promise<number>;

  insertTokens(tokens: StoredToken[]): Promise<void>;
  findToken(tokenHash: string): Promise<TokenRecord | undefined>;
  /** Marks a refresh token rotated if nobody did before; true for exactly one caller. */
  claimRefreshToken(tokenHash: string, at: Date): Promise<boolean>;
  revokeToken(tokenHash: string, at: Date): Promise<void>;
}
