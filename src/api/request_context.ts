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
const INTERMEDIATES_KEY = 'psd2Intermediates';

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

const OUTCOME_KEY = 'psd2Outcome';

/** What the access log, the metrics and the statistics learn about a request beyond its status. */
export interface RequestOutcome {
  /** The OpenAPI operationId (or a fixed name for the OAuth and page routes). */
  operationId?: string;
  /** The Berlin Group (or OAuth) code of a refusal. */
  code?: string;
  /** The trust gate refused the request: no route ran. */
  refusedByGate?: boolean;
}

export function noteOutcome(res: ServerResponse, outcome: RequestOutcome): void {
  const locals = writableLocalsOf(res);
  locals[OUTCOME_KEY] = { ...(locals[OUTCOME_KEY] as RequestOutcome | undefined), ...outcome };
}

export function outcomeOf(res: ServerResponse): RequestOutcome | undefined {
  return (res as WithLocals).locals?.[OUTCOME_KEY] as RequestOutcome | undefined;
}

/** The validated caller, or undefined (a refused request, a public path). */
export function tppIdentityOf(res: ServerResponse): TppIdentity | undefined {
  return (res as WithLocals).locals?.[TPP_KEY] as TppIdentity | undefined;
}

/**
 * The intermediates presented with the client certificate on this request's connection: where the issuer
 * of the TPP's seal certificate is looked for when a request signature is verified.
 */
export function setPresentedIntermediates(res: ServerResponse, intermediates: readonly Uint8Array[]): void {
  writableLocalsOf(res)[INTERMEDIATES_KEY] = intermediates;
}

export function getPresentedIntermediates(res: ServerResponse): readonly Uint8Array[] {
  return ((res as WithLocals).locals?.[INTERMEDIATES_KEY] as readonly Uint8Array[] | undefined) ?? [];
}
