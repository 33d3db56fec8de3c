/**
 * OAuth refusals. They are not GatewayErrors: the token and revocation endpoints answer in RFC 6749 form
 * (`{error, error_description}`), and the authorisation page answers the PSU with an HTML page.
 */

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_scope'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'server_error';

export class OAuthError extends Error {
  readonly status: number;

  constructor(
    readonly error: OAuthErrorCode,
    /** Sent to the client as `error_description`: no secrets, no internal identifiers. */
    readonly description: string,
    status?: number,
    /** For the log only: which check failed and on what. */
    readonly detail?: string,
  ) {
    super(description);
    this.name = 'OAuthError';
    // RFC 6749 §5.2: a failed client authentication is the only 401; everything else is a 400.
    this.status = status ?? (error === 'invalid_client' ? 401 : error === 'server_error' ? 500 : 400);
  }

  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}

/** The request's own syntax: the description says what is wrong, since the client sent it. */
export class InvalidRequest extends OAuthError {
  constructor(description: string) {
    super('invalid_request', description);
  }
}

/**
 * Any refused code or refresh token. One description for every reason, so a client probing with stolen
 * or guessed values learns nothing about the grant; the reason goes to the log.
 */
export class InvalidGrant extends OAuthError {
  constructor(detail: string) {
    super(
      'invalid_grant',
      'The authorization code or refresh token is invalid, expired, revoked, already used or was issued to another client',
      undefined,
      detail,
    );
  }
}

export class InvalidClient extends OAuthError {
  constructor(detail: string) {
    super('invalid_client', 'Client authentication failed (tls_client_auth)', undefined, detail);
  }
}

export class InvalidScope extends OAuthError {
  constructor(detail: string) {
    super('invalid_scope', 'The requested scope is invalid', undefined, detail);
  }
}

export class UnsupportedGrantType extends OAuthError {
  constructor() {
    super('unsupported_grant_type', 'Supported: authorization_code, refresh_token');
  }
}

/**
 * A refusal shown to the PSU in the browser. Never turned into a redirect: the redirect target may be the
 * very thing that failed verification.
 */
export class AuthorizationPageError extends Error {
  constructor(
    readonly status: 400 | 403 | 500,
    /** Shown to the PSU. */
    readonly text: string,
    /** For the log only. */
    readonly detail?: string,
  ) {
    super(text);
    this.name = 'AuthorizationPageError';
  }
}
