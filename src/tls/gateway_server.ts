import https from 'node:https';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { toTppMessages } from '../errors/tpp_messages';
import {
  FormatError,
  HeaderFieldsTooLarge,
  RequestTimeout,
  type GatewayError,
} from '../errors/gateway_error';
import {
  HTTP_SERVER_LIMITS,
  buildTlsServerOptions,
  type HttpServerLimits,
  type TlsServerOptions,
} from './server_options';

/** How long a client gets to read the answer to an unparsable request before its socket is destroyed. */
const ANSWER_GRACE_MS = 5_000;
/**
 * After OpenSSL reported an error on a connection, Node sends the answer but never reports the write as
 * complete, so the TLS shutdown after it never happens; the socket is destroyed this long after the
 * answer was handed to it.
 */
const CLOSE_AFTER_ANSWER_MS = 1_000;

/** Limits a caller (a test, the bench) may tighten; the header field count is the front door's and fixed. */
export type ServerLimitOverrides = Partial<Omit<HttpServerLimits, 'maxHeaderFields'>>;

/** The HTTPS listener with the gateway's TLS policy and request limits. */
export function createGatewayServer(
  tls: TlsServerOptions,
  app: RequestListener,
  overrides: ServerLimitOverrides = {},
): https.Server {
  const limits: HttpServerLimits = { ...HTTP_SERVER_LIMITS, ...overrides };
  const server = https.createServer(buildTlsServerOptions(tls, limits), app);
  server.headersTimeout = limits.headersTimeout;
  server.requestTimeout = limits.requestTimeout;
  server.keepAliveTimeout = limits.keepAliveTimeout;
  // Node drops the fields beyond maxHeadersCount without a word (and a dropped Host becomes its own bare
  // 400). Every field is kept, bounded by maxHeaderSize, and the front door answers 431 beyond the limit.
  server.maxHeadersCount = 0;
  server.maxRequestsPerSocket = limits.maxRequestsPerSocket;
  server.setTimeout(limits.timeout);

  const established = new WeakSet<Duplex>();
  server.on('secureConnection', (socket: Duplex) => established.add(socket));
  const answering = new AnswerTracker();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => answering.started(req.socket, res));
  // https re-emits every 'tlsClientError' (a failed handshake, the handshake timeout) as 'clientError'.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) =>
    onClientError(error, socket, established.has(socket), answering),
  );
  return server;
}

/** The response a connection is answering now, kept on the connection itself. */
const CURRENT = Symbol('psd2CurrentResponse');
type TrackedSocket = Duplex & { [CURRENT]?: ServerResponse | undefined };

/** A response that closed is no longer its connection's current one (one listener for all of them). */
function responseClosed(this: ServerResponse): void {
  const socket = this.req.socket as TrackedSocket;
  if (socket[CURRENT] === this) socket[CURRENT] = undefined;
}

/**
 * Which connections must close once their current (or next) request is answered. The current response
 * is a property of its connection, not an entry of a WeakMap: V8's young-generation collector keeps the
 * values of a WeakMap alive, so every response (and all it held) was promoted to the old generation.
 */
class AnswerTracker {
  private readonly closing = new WeakSet<Duplex>();

  started(socket: Duplex, res: ServerResponse): void {
    (socket as TrackedSocket)[CURRENT] = res;
    res.on('close', responseClosed);
    if (this.closing.has(socket)) closeOnceAnswered(socket, res);
  }

  closeAfterAnswer(socket: Duplex): void {
    this.closing.add(socket);
    const res = (socket as TrackedSocket)[CURRENT];
    if (res !== undefined) closeOnceAnswered(socket, res);
  }
}

function closeOnceAnswered(socket: Duplex, res: ServerResponse): void {
  // The answer may already be out: the gate can decide before Node reports the error.
  if (res.writableEnded) {
    destroyLater(socket, CLOSE_AFTER_ANSWER_MS);
    return;
  }
  if (!res.headersSent) res.shouldKeepAlive = false;
  // 'prefinish' (the whole answer handed to the socket), not 'finish': on such a connection Node never
  // reports the write as complete, although the bytes do go out.
  res.once('prefinish', () => destroyLater(socket, CLOSE_AFTER_ANSWER_MS));
}

function destroyLater(socket: Duplex, ms: number): void {
  const timer = setTimeout(() => socket.destroy(), ms).unref();
  socket.once('close', () => clearTimeout(timer));
}

interface OpenSslError extends NodeJS.ErrnoException {
  /** OpenSSL's library name, e.g. "SSL routines" or "asn1 encoding routines". */
  library?: string;
}

function onClientError(
  error: OpenSslError,
  socket: Duplex,
  established: boolean,
  answering: AnswerTracker,
): void {
  if (!established) {
    // No HTTP answer can be written into a TLS session that never started: it would wait for the
    // handshake forever, and the socket with it (CLOSE-WAIT once the client left).
    socket.destroy();
    return;
  }
  if (error.code?.startsWith('ERR_SSL_') === true || error.library !== undefined) {
    if (error.library === 'SSL routines') {
      // The TLS session itself failed (bad record, alert): nothing more can be said on it.
      socket.destroy();
      return;
    }
    // Anything else OpenSSL reports after the handshake is left over from its own verification of the
    // client's chain (Node reads OpenSSL's error queue after the next read, and a forged signature leaves
    // an entry there). The trust gate judges the chain: the request received before or just after this
    // is answered as any other, then the connection is closed.
    answering.closeAfterAnswer(socket);
    return;
  }
  if (!socket.writable || error.code === 'ECONNRESET' || error.code === 'EPIPE') {
    socket.destroy();
    return;
  }
  socket.end(rawAnswer(answerFor(error)));
  // A client that does not read its answer must not keep the socket.
  destroyLater(socket, ANSWER_GRACE_MS);
}

/**
 * Requests Node's HTTP parser rejects (oversized or malformed headers, too slow) never reach express;
 * they still get a Berlin Group body instead of Node's bare status line.
 */
function answerFor(error: NodeJS.ErrnoException): GatewayError {
  if (error.code === 'HPE_HEADER_OVERFLOW') return new HeaderFieldsTooLarge('Request headers are too large');
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new RequestTimeout('The request was not received in time');
  }
  return new FormatError('Malformed HTTP request');
}

const REASON_PHRASES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

function rawAnswer(error: GatewayError): string {
  const body = JSON.stringify(toTppMessages(error));
  return (
    `HTTP/1.1 ${error.status} ${REASON_PHRASES[error.status] ?? 'Bad Request'}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}
