/**
 * Tables of the OAuth authorisation server. Timestamps are ISO-8601 UTC text so the same schema and
 * queries run on SQLite and PostgreSQL; no query compares them in SQL (collation-dependent on
 * PostgreSQL), the domain code compares Date values.
 */

export interface OAuthPsuSessionTable {
  id_hash: string;
  csrf_token: string;
  client_id: string;
  redirect_uri: string;
  consent_id: string;
  state: string;
  code_challenge: string;
  psu_id: string | null;
  psu_name: string | null;
  failed_sign_ins: number;
  expires_at: string;
  created_at: string;
}

export interface OAuthGrantTable {
  id: string;
  code_hash: string;
  client_id: string;
  redirect_uri: string;
  code_challenge: string;
  consent_id: string;
  psu_id: string;
  code_expires_at: string;
  code_used_at: string | null;
  revoked_at: string | null;
  revoked_reason: string | null;
  created_at: string;
}

export interface OAuthTokenTable {
  token_hash: string;
  grant_id: string;
  kind: 'access' | 'refresh';
  cnf_thumbprint: string | null;
  expires_at: string;
  rotated_at: string | null;
  revoked_at: string | null;
  created_at: string;
}

export interface OAuthSignInAttemptTable {
  /** `psu:<usernameHash>`, or `addr:<IPv4 address>` / `addr:<IPv6 prefix>::/64`. */
  key: string;
  attempts: number;
  /** Epoch milliseconds; PostgreSQL's bigint arrives as a string. */
  last_counted_at: number | string;
}

export interface PsuDashboardSessionTable {
  id_hash: string;
  csrf_token: string;
  psu_id: string | null;
  psu_name: string | null;
  expires_at: string;
}

export interface ScaUsedOneTimeCodeTable {
  /** See OneTimeCodeMatch.key. */
  key: string;
  /** Epoch milliseconds; PostgreSQL's bigint arrives as a string. */
  expires_at: number | string;
}

export interface OAuthTables {
  sca_used_one_time_code: ScaUsedOneTimeCodeTable;
  psu_oidc_login: PsuOidcLoginTable;
  psu_dashboard_session: PsuDashboardSessionTable;
  oauth_psu_session: OAuthPsuSessionTable;
  oauth_sign_in_attempt: OAuthSignInAttemptTable;
  oauth_grant: OAuthGrantTable;
  oauth_token: OAuthTokenTable;
}

export interface PsuOidcLoginTable {
  state_hash: string;
  nonce: string;
  code_verifier: string;
  purpose: string;
  session_hash: string;
  /** Null on rows written before the column existed. */
  started_at: string | null;
  expires_at: string;
}
