import type { Response } from 'express';
import type { TppIdentity } from '../pki/tpp_identity';
import { CertificateMissing } from '../errors/gateway_error';

/**
 * Per-request state that the trust gate establishes. Kept in `res.locals` behind typed accessors so no
 * handler reads an identity that the gate did not put there.
 */
const TPP_KEY = 'psd2Tpp';
const REQUEST_ID_KEY = 'psd2RequestId';

export function setTppIdentity(res: Response, identity: TppIdentity): void {
  res.locals[TPP_KEY] = identity;
}

/** The validated caller. Throws rather than returning undefined: a handler reached without one is a wiring bug. */
export function requireTppIdentity(res: Response): TppIdentity {
  const identity = res.locals[TPP_KEY] as TppIdentity | undefined;
  if (identity === undefined) throw new CertificateMissing('No client certificate was presented');
  return identity;
}

export function setRequestId(res: Response, requestId: string): void {
  res.locals[REQUEST_ID_KEY] = requestId;
}

export function getRequestId(res: Response): string | undefined {
  return res.locals[REQUEST_ID_KEY] as string | undefined;
}
