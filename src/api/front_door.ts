import { randomUUID } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeader, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from '../audit/logger';
import { HeaderFieldsTooLarge } from '../errors/gateway_error';
import { TPP_MESSAGES_CONTENT_TYPE, tppMessagesBody } from '../errors/tpp_messages';
import { HTTP_SERVER_LIMITS } from '../tls/server_options';
import { toGatewayError } from './error_handler';
import { noteOutcome, setPresentedIntermediates, setRequestId, setTppIdentity } from './request_context';
import { requestTarget, type RequestTarget } from './request_target';
import type { StaticHeaders } from './security_headers';
import { isPromiseLike, type MaybePromise } from './maybe_promise';
import type { Admission, TrustGate } from './trust_gate';

export interface FrontDoorDeps {
  gate: TrustGate;
  headers: StaticHeaders;
  logger: Logger;
  /** Where admitted requests go, with the security headers, X-Request-ID and identity already set. */
  app: RequestListener;
  /** Admitted requests this takes are answered by it instead of `app` (the AIS API, without express). */
  direct?: DirectHandler;
}

/**
 * What every answer to an admitted request carries besides its own fields: the security headers (as
 * name/value pairs for `writeHead`) and the request's X-Request-ID.
 */
export interface ResponseHead {
  headers: readonly OutgoingHttpHeader[];
  requestId: string;
}

/** A part of the gateway that answers its own requests on plain node objects, without express. */
export interface DirectHandler {
  handles(path: string): boolean;
  /**
   * Settles once the response is written; a rejection is answered as an unexpected error. `head` is
   * written with the status line: nothing is set on the response before.
   */
  handle(req: IncomingMessage, res: ServerResponse, target: RequestTarget, head: ResponseHead): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const TOO_MANY_FIELDS = new HeaderFieldsTooLarge(
  `More than ${HTTP_SERVER_LIMITS.maxHeaderFields} header fields`,
);
const TOO_MANY_FIELDS_BODY = tppMessagesBody(TOO_MANY_FIELDS);

/**
 * The server's request listener. The trust gate decides before express sees the request: a refusal is
 * written here in one `writeHead` with precomputed headers and body, so a flood of refused requests
 * (Mallory's) costs no router, middleware chain or error handler. Admitted requests go on to express
 * with the security headers, X-Request-ID and the caller's identity (request_context) already set, to
 * the direct handler when it takes the path, else to express.
 */
export function createFrontDoor(deps: FrontDoorDeps): RequestListener {
  const { gate, headers, logger, app, direct } = deps;

  const send = (
    res: ServerResponse,
    requestId: string,
    status: number,
    body: Buffer,
    extraHeaders: readonly string[] = [],
    contentType: string = TPP_MESSAGES_CONTENT_TYPE,
  ): void => {
    res.writeHead(status, [
      ...headers.flat,
      ...extraHeaders,
      'X-Request-ID',
      requestId,
      'Content-Type',
      contentType,
      'Content-Length',
      body.length,
    ]);
    // On a HEAD request node drops the body and keeps Content-Length, as express does.
    res.end(body);
  };

  const fail = (
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    path: string,
    error: unknown,
  ): void => {
    const gatewayError = toGatewayError(error, logger, { requestId, method: req.method, path });
    noteOutcome(res, { code: gatewayError.code });
    if (res.headersSent) {
      // Only an admitted request can get here, half answered by express: nothing sound is left to say.
      res.destroy();
      return;
    }
    send(res, requestId, gatewayError.status, tppMessagesBody(gatewayError));
  };

  /** Answers a refusal, or hands the admitted request on; whatever goes wrong on the way is answered. */
  const proceed = (
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    target: RequestTarget,
    admission: Admission,
  ): void => {
    try {
      if (!admission.admitted) {
        const { refusal } = admission;
        setRequestId(res, requestId);
        noteOutcome(res, { code: refusal.error.code, refusedByGate: true });
        send(res, requestId, refusal.error.status, refusal.body, refusal.headers, refusal.contentType);
        return;
      }
      setRequestId(res, requestId);
      if (admission.identity !== undefined) setTppIdentity(res, admission.identity);
      if (admission.chain !== undefined) setPresentedIntermediates(res, admission.chain.intermediates);
      // Express's router costs more CPU per request than the whole TLS stack (bench: bare Express at
      // ~4x bare node per request); the API's requests skip it, and write the security headers with
      // their status line in one writeHead instead of a setHeader each.
      if (direct?.handles(target.path) === true) {
        direct
          .handle(req, res, target, { headers: headers.flat, requestId })
          .catch((error: unknown) => fail(req, res, requestId, target.path, error));
        return;
      }
      headers.applyTo(res);
      res.setHeader('X-Request-ID', requestId);
      app(req, res);
    } catch (error) {
      fail(req, res, requestId, target.path, error);
    }
  };

  return (req, res) => {
    const header = req.headers['x-request-id'];
    const requestId = typeof header === 'string' && UUID.test(header) ? header : randomUUID();
    if (req.rawHeaders.length > 2 * HTTP_SERVER_LIMITS.maxHeaderFields) {
      // The listener keeps every field (gateway_server.ts); serving the request without those beyond the
      // limit would lose a proxy's appended header or a late Consent-ID or Authorization.
      res.shouldKeepAlive = false;
      send(res, requestId, TOO_MANY_FIELDS.status, TOO_MANY_FIELDS_BODY);
      return;
    }
    const target = requestTarget(req.url);
    let admission: MaybePromise<Admission>;
    try {
      admission = gate(req, target.path, requestId);
    } catch (error) {
      fail(req, res, requestId, target.path, error);
      return;
    }
    // A request whose admission is known at once (a known chain, a fresh stop list) goes on in this turn.
    if (isPromiseLike(admission)) {
      admission.then(
        (decided) => proceed(req, res, requestId, target, decided),
        (error: unknown) => fail(req, res, requestId, target.path, error),
      );
    } else proceed(req, res, requestId, target, admission);
  };
}
