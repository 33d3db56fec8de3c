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
