import type { ServerResponse } from 'node:http';
import type { TppIdentity } from '../pki/identity/tpp_identity';
import { CertificateMissing } from '../errors/gateway_error';

/**
 * Per-request state that the trust gate establishes. Kept in `res.locals` behind typed accessors so no
 * handler reads an identity that the gate did not put there. The gate runs before express, which keeps
 * a `locals` it finds on the response, so the accessors take any ServerResponse.
 */
const TPP_KEY = 'psd2Tpp';
const REQUEST_ID_KEY = 'psd2RequestId';

type WithLocals = ServerResponse & { locals?: Record<string, unknown> };

function writableLocalsOf(res: ServerResponse): Record<string, unknown> {
  const withLocals = res as WithLocals;
  // Same shape express gives res.locals: no prototype, so no inherited key can pass for state.
  withLocals.locals ??= Object.create(null) as Record<string, unknown>;
  return withLocals.locals;
}

export function setTppIdentity(res: ServerResponse, identity: TppIdentity): void {
  writableLocalsOf(res)[TPP_KEY] = identity;
}

/** The validated caller. Throws rather than returning undefined: a handler reached without one is a wiring bug. */
export function requireTppIdentity(res: ServerResponse): TppIdentity {
  const identity = (res as WithLocals).locals?.[TPP_KEY] as TppIdentity | undefined;
  if (identity === undefined) throw new CertificateMissing('No client certificate was presented');
  return identity;
}

export function setRequestId(res: ServerResponse, requestId: string): void {
  writableLocalsOf(res)[REQUEST_ID_KEY] = requestId;
}

export function getRequestId(res: ServerResponse): string | undefined {
  return (res as WithLocals).locals?.[REQUEST_ID_KEY] as string | undefined;
}
