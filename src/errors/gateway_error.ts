/**
 * The error model. Every refusal the gateway sends is a GatewayError subclass chosen where the failure is
 * detected; one middleware renders it. `text` goes to the client, `detail` only to the log.
 */

export type BerlinGroupCode =
  | 'FORMAT_ERROR'
  | 'PARAMETER_NOT_SUPPORTED'
  | 'PERIOD_INVALID'
  | 'SERVICE_INVALID'
  | 'SERVICE_BLOCKED'
  | 'CONSENT_UNKNOWN'
  | 'CONSENT_INVALID'
  | 'CONSENT_EXPIRED'
  | 'CERTIFICATE_INVALID'
  | 'CERTIFICATE_EXPIRED'
  | 'CERTIFICATE_BLOCKED'
  | 'CERTIFICATE_REVOKED'
  | 'CERTIFICATE_MISSING'
  | 'ROLE_INVALID'
  | 'SIGNATURE_INVALID'
  | 'SIGNATURE_MISSING'
  | 'TOKEN_UNKNOWN'
  | 'TOKEN_INVALID'
  | 'TOKEN_EXPIRED'
  | 'PSU_CREDENTIALS_INVALID'
  | 'RESOURCE_UNKNOWN'
  | 'RESOURCE_EXPIRED'
  | 'REQUESTED_FORMATS_INVALID'
  | 'STATUS_INVALID'
  | 'ACCESS_EXCEEDED'
  | 'PRODUCT_INVALID'
  | 'PRODUCT_UNKNOWN'
  | 'EXECUTION_DATE_INVALID'
  | 'CANCELLATION_INVALID'
  | 'NO_PIIS_ACTIVATION'
  | 'INTERNAL_SERVER_ERROR'
  /** 503/504: the bank behind the gateway cannot answer now (HTTP semantics; Berlin Group names no code). */
  | 'SERVICE_UNAVAILABLE';

export interface GatewayErrorParams {
  /** Shown to the client. Must never contain secrets, stack traces or internal identifiers. */
  text: string;
  /** For the log only. */
  detail?: string;
  /** The offending field, e.g. `header.X-Request-ID` or `body.access.accounts`. */
  path?: string;
}

/**
 * A refusal is control flow, not a fault: it is rendered to the client, never debugged from a stack. It
 * is created on every refused request (a flood of them is the attack the trust gate must absorb) and
 * capturing the stack was the largest single cost of a refusal, so none is captured. Errors that are not
 * GatewayErrors keep their stacks; an unexpected one reaches the log through InternalServerError's detail.
 */
export class GatewayError extends Error {
  readonly text: string;
  readonly detail: string | undefined;
  readonly path: string | undefined;
  /** Response headers the refusal carries, e.g. `Retry-After`. */
  readonly headers: Readonly<Record<string, string>> | undefined = undefined;

  constructor(
    readonly code: BerlinGroupCode,
    readonly status: number,
    params: GatewayErrorParams,
  ) {
    // Read before the limit drops: nothing that could throw may run while it is 0.
    const text = params.text;
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(text);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = new.target.name;
    this.text = text;
    this.detail = params.detail;
    this.path = params.path;
  }
}

type Params = GatewayErrorParams | string;
const asParams = (p: Params): GatewayErrorParams => (typeof p === 'string' ? { text: p } : p);

export class FormatError extends GatewayError {
  constructor(p: Params) {
    super('FORMAT_ERROR', 400, asParams(p));
  }
}
/** More header bytes or fields than the listener accepts: a refusal of the whole request, never a truncation. */
export class HeaderFieldsTooLarge extends GatewayError {
  constructor(p: Params) {
    super('FORMAT_ERROR', 431, asParams(p));
  }
}
/** The request (its header section) did not arrive within the listener's time limit. */
export class RequestTimeout extends GatewayError {
  constructor(p: Params) {
    super('FORMAT_ERROR', 408, asParams(p));
  }
}
export class ParameterNotSupported extends GatewayError {
  constructor(p: Params) {
    super('PARAMETER_NOT_SUPPORTED', 400, asParams(p));
  }
}
export class PeriodInvalid extends GatewayError {
  constructor(p: Params) {
    super('PERIOD_INVALID', 400, asParams(p));
  }
}
/** Unknown endpoint (400 per Berlin Group) or, with status 405, a method the endpoint does not offer. */
export class ServiceInvalid extends GatewayError {
  constructor(p: Params, status: 400 | 405 = 400) {
    super('SERVICE_INVALID', status, asParams(p));
  }
}
export class CertificateMissing extends GatewayError {
  constructor(p: Params) {
    super('CERTIFICATE_MISSING', 401, asParams(p));
  }
}
export class CertificateInvalid extends GatewayError {
  constructor(p: Params) {
    super('CERTIFICATE_INVALID', 401, asParams(p));
  }
}
export class CertificateExpired extends GatewayError {
  constructor(p: Params) {
    super('CERTIFICATE_EXPIRED', 401, asParams(p));
  }
}
/** The bank has stopped this TPP (`psd2-gateway tpp block`), whatever its certificate says. */
export class CertificateBlocked extends GatewayError {
  constructor(p: Params) {
    super('CERTIFICATE_BLOCKED', 401, asParams(p));
  }
}
export class CertificateRevoked extends GatewayError {
  constructor(p: Params) {
    super('CERTIFICATE_REVOKED', 401, asParams(p));
  }
}
/** A request signature was required and not sent (no `Signature` header). */
export class SignatureMissing extends GatewayError {
  constructor(p: Params) {
    super('SIGNATURE_MISSING', 401, asParams(p));
  }
}
/** The request signature (Signature, Digest, keyId, algorithm) does not verify; the text names the check. */
export class SignatureInvalid extends GatewayError {
  constructor(p: Params) {
    super('SIGNATURE_INVALID', 401, asParams(p));
  }
}
export class RoleInvalid extends GatewayError {
  constructor(p: Params) {
    super('ROLE_INVALID', 401, asParams(p));
  }
}
/** 403 when the consent id was in the path, 400 when it came in a header or body. */
export class ConsentUnknown extends GatewayError {
  constructor(p: Params, status: 400 | 403) {
    super('CONSENT_UNKNOWN', status, asParams(p));
  }
}
export class ConsentInvalid extends GatewayError {
  constructor(p: Params) {
    super('CONSENT_INVALID', 401, asParams(p));
  }
}
export class ConsentExpired extends GatewayError {
  constructor(p: Params) {
    super('CONSENT_EXPIRED', 401, asParams(p));
  }
}
export class TokenUnknown extends GatewayError {
  constructor(p: Params) {
    super('TOKEN_UNKNOWN', 401, asParams(p));
  }
}
export class TokenInvalid extends GatewayError {
  constructor(p: Params) {
    super('TOKEN_INVALID', 401, asParams(p));
  }
}
export class TokenExpired extends GatewayError {
  constructor(p: Params) {
    super('TOKEN_EXPIRED', 401, asParams(p));
  }
}
export class PsuCredentialsInvalid extends GatewayError {
  constructor(p: Params) {
    super('PSU_CREDENTIALS_INVALID', 401, asParams(p));
  }
}
/** 404 for an unknown resource; 403 when the resource exists but lies outside what the consent grants. */
export class ResourceUnknown extends GatewayError {
  constructor(p: Params, status: 403 | 404 = 404) {
    super('RESOURCE_UNKNOWN', status, asParams(p));
  }
}
export class RequestedFormatsInvalid extends GatewayError {
  constructor(p: Params) {
    super('REQUESTED_FORMATS_INVALID', 406, asParams(p));
  }
}
export class StatusInvalid extends GatewayError {
  constructor(p: Params) {
    super('STATUS_INVALID', 409, asParams(p));
  }
}
export class AccessExceeded extends GatewayError {
  constructor(p: Params) {
    super('ACCESS_EXCEEDED', 429, asParams(p));
  }
}
/** 404: the payment product is none that Berlin Group defines. */
export class ProductUnknown extends GatewayError {
  constructor(p: Params) {
    super('PRODUCT_UNKNOWN', 404, asParams(p));
  }
}
/** 403: a payment product Berlin Group defines but this bank does not offer (for this payment service). */
export class ProductInvalid extends GatewayError {
  constructor(p: Params) {
    super('PRODUCT_INVALID', 403, asParams(p));
  }
}
/** 400: requestedExecutionDate (or a standing order's dates) in the past or not a business day. */
export class ExecutionDateInvalid extends GatewayError {
  constructor(p: Params) {
    super('EXECUTION_DATE_INVALID', 400, asParams(p));
  }
}
/** 405: the payment can no longer be cancelled (final, or already handed over for execution). */
export class CancellationInvalid extends GatewayError {
  constructor(p: Params) {
    super('CANCELLATION_INVALID', 405, asParams(p));
  }
}
/** 400: funds confirmation for an account the PSU has not opened to checks, or that does not exist. */
export class NoPiisActivation extends GatewayError {
  constructor(p: Params) {
    super('NO_PIIS_ACTIVATION', 400, asParams(p));
  }
}
export class InternalServerError extends GatewayError {
  constructor(detail: string) {
    super('INTERNAL_SERVER_ERROR', 500, { text: 'Internal server error', detail });
  }
}
