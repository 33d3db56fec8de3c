import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { parse as legacyUrlParse } from 'node:url';
import type { Logger } from '../audit/logger';
import { TPP_MESSAGES_CONTENT_TYPE, tppMessagesBody } from '../errors/tpp_messages';
import { toGatewayError } from './error_handler';
import { setRequestId, setTppIdentity } from './request_context';
import type { StaticHeaders } from './security_headers';
import type { TrustGate } from './trust_gate';

export interface FrontDoorDeps {
  gate: TrustGate;
  headers: StaticHeaders;
  logger: Logger;
  /** Where admitted requests go, with the security headers, X-Request-ID and identity already set. */
  app: RequestListener;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The path exactly as express's `req.path` gives it (parseurl's algorithm: a plain origin-form URL is
 * cut at `?`, anything else goes through the legacy parser), so the gate judges public paths and role
 * requirements on the same path the router will route.
 */
export function requestPath(url: string | undefined): string {
  if (url === undefined) return '';
  if (url.charCodeAt(0) !== 0x2f /* / */) return legacyUrlParse(url).pathname ?? '';
  for (let i = 1; i < url.length; i++) {
    switch (url.charCodeAt(i)) {
      case 0x3f /* ? */:
        return url.slice(0, i);
      case 0x09 /* \t */:
      case 0x0a /* \n */:
      case 0x0c /* \f */:
      case 0x0d /* \r */:
      case 0x20 /* space */:
      case 0x23 /* # */:
      case 0xa0:
      case 0xfeff:
        return legacyUrlParse(url).pathname ?? '';
    }
  }
  return url;
}

/**
 * The server's request listener. The trust gate decides before express sees the request: a refusal is
 * written here in one `writeHead` with precomputed headers and body, so a flood of refused requests
 * (Mallory's) costs no router, middleware chain or error handler. Admitted requests go on to express
 * with the security headers, X-Request-ID and the caller's identity (request_context) already set.
 */
export function createFrontDoor(deps: FrontDoorDeps): RequestListener {
  const { gate, headers, logger, app } = deps;

  const send = (res: ServerResponse, requestId: string, status: number, body: Buffer): void => {
    res.writeHead(status, [
      ...headers.flat,
      'X-Request-ID',
      requestId,
      'Content-Type',
      TPP_MESSAGES_CONTENT_TYPE,
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
    if (res.headersSent) {
      // Only an admitted request can get here, half answered by express: nothing sound is left to say.
      res.destroy();
      return;
    }
    send(res, requestId, gatewayError.status, tppMessagesBody(gatewayError));
  };

  return (req, res) => {
    const header = req.headers['x-request-id'];
    const requestId = typeof header === 'string' && UUID.test(header) ? header : randomUUID();
    const path = requestPath(req.url);
    gate(req, path, requestId)
      .then((admission) => {
        if (!admission.admitted) {
          send(res, requestId, admission.refusal.error.status, admission.refusal.body);
          return;
        }
        headers.applyTo(res);
        res.setHeader('X-Request-ID', requestId);
        setRequestId(res, requestId);
        if (admission.identity !== undefined) setTppIdentity(res, admission.identity);
        app(req, res);
      })
      .catch((error: unknown) => fail(req, res, requestId, path, error));
  };
}
