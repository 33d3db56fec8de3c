import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PresentedAccessToken } from '../oauth/access_token_verifier';
import type { TppIdentity } from '../pki/identity/tpp_identity';
import { CertificateMissing } from '../errors/gateway_error';

/** What the access log, the metrics and the statistics learn about a request beyond its status. */
export interface RequestOutcome {
  /** The OpenAPI operationId (or a fixed name for the OAuth and page routes). */
  operationId?: string;
  /** The Berlin Group (or OAuth) code of a refusal. */
  code?: string;
  /** The trust gate refused the request: no route ran. */
  refusedByGate?: boolean;
}

/**
 * Per-request state that the trust gate establishes, behind typed accessors so no handler reads an
 * identity that the gate did not put there. One object with fixed fields per response, under a key of
 * this module's own: every request sets several of them, and a prototype-less `res.locals` with string
 * keys (what this was) is a dictionary object, slower to fill and read than a fixed shape.
 */
class RequestState {
  requestId: string | undefined = undefined;
  tpp: TppIdentity | undefined = undefined;
  intermediates: readonly Uint8Array[] | undefined = undefined;
  operationId: string | undefined = undefined;
  code: string | undefined = undefined;
  refusedByGate = false;
  /** The bearer token as the OAuth checks of this request read it, made at the first check. */
  accessToken: PresentedAccessToken | undefined = undefined;
  /** When the request arrived: wall clock (ms since the epoch) and performance.now(), for the observer. */
  arrivedAt = 0;
  arrivedAtMonotonic = 0;
}

const STATE = Symbol('psd2RequestState');

type WithState = ServerResponse & { [STATE]?: RequestState };

function stateOf(res: ServerResponse): RequestState | undefined {
  return (res as WithState)[STATE];
}

function writableStateOf(res: ServerResponse): RequestState {
  const withState = res as WithState;
  return (withState[STATE] ??= new RequestState());
}

export function setTppIdentity(res: ServerResponse, identity: TppIdentity): void {
  writableStateOf(res).tpp = identity;
}

/** The validated caller. Throws rather than returning undefined: a handler reached without one is a wiring bug. */
export function requireTppIdentity(res: ServerResponse): TppIdentity {
  const identity = stateOf(res)?.tpp;
  if (identity === undefined) throw new CertificateMissing('No client certificate was presented');
  return identity;
}

export function setRequestId(res: ServerResponse, requestId: string): void {
  writableStateOf(res).requestId = requestId;
}

export function getRequestId(res: ServerResponse): string | undefined {
  return stateOf(res)?.requestId;
}

/** Adds what is known now to the request's outcome; a field left out keeps its earlier value. */
export function noteOutcome(res: ServerResponse, outcome: RequestOutcome): void {
  const state = writableStateOf(res);
  if (outcome.operationId !== undefined) state.operationId = outcome.operationId;
  if (outcome.code !== undefined) state.code = outcome.code;
  if (outcome.refusedByGate !== undefined) state.refusedByGate = outcome.refusedByGate;
}

/** The request's outcome so far, or undefined when nothing was noted. */
export function outcomeOf(res: ServerResponse): RequestOutcome | undefined {
  const state = stateOf(res);
  if (state === undefined) return undefined;
  const { operationId, code, refusedByGate } = state;
  if (operationId === undefined && code === undefined && !refusedByGate) return undefined;
  return {
    ...(operationId !== undefined ? { operationId } : {}),
    ...(code !== undefined ? { code } : {}),
    ...(refusedByGate ? { refusedByGate } : {}),
  };
}

/** The validated caller, or undefined (a refused request, a public path). */
export function tppIdentityOf(res: ServerResponse): TppIdentity | undefined {
  return stateOf(res)?.tpp;
}

/**
 * The intermediates presented with the client certificate on this request's connection: where the issuer
 * of the TPP's seal certificate is looked for when a request signature is verified.
 */
export function setPresentedIntermediates(res: ServerResponse, intermediates: readonly Uint8Array[]): void {
  writableStateOf(res).intermediates = intermediates;
}

export function getPresentedIntermediates(res: ServerResponse): readonly Uint8Array[] {
  return stateOf(res)?.intermediates ?? [];
}

/**
 * The request's bearer token, made by `present` at the first call: every OAuth check of the request
 * reads the one stored record it looks up. Kept with the request's other state rather than in a WeakMap
 * keyed by the response: V8's young-generation collector keeps the values of such a map alive (bench:
 * the token record of every request was promoted to the old generation and grew the heap).
 */
export function presentedAccessTokenOf(
  req: IncomingMessage,
  res: ServerResponse,
  present: (req: IncomingMessage, res: ServerResponse) => PresentedAccessToken,
): PresentedAccessToken {
  const state = writableStateOf(res);
  return (state.accessToken ??= present(req, res));
}

/** When the request arrived, as `Date.now()` and `performance.now()` read it. */
export function noteArrival(res: ServerResponse, at: number, monotonic: number): void {
  const state = writableStateOf(res);
  state.arrivedAt = at;
  state.arrivedAtMonotonic = monotonic;
}

/** Everything the observer reports of a finished request, read at once without building an outcome. */
export type RequestReport = Readonly<RequestState>;

export function requestReportOf(res: ServerResponse): RequestReport {
  return writableStateOf(res);
}
