import https from 'node:https';
import type { Duplex } from 'node:stream';
import { toTppMessages } from '../errors/tpp_messages';
import { FormatError } from '../errors/gateway_error';
import type { RequestListener } from 'node:http';
import { HTTP_SERVER_LIMITS, buildTlsServerOptions, type TlsServerOptions } from './server_options';

/** The HTTPS listener with the gateway's TLS policy and request limits. */
export function createGatewayServer(tls: TlsServerOptions, app: RequestListener): https.Server {
  const server = https.createServer(buildTlsServerOptions(tls), app);
  server.headersTimeout = HTTP_SERVER_LIMITS.headersTimeout;
  server.requestTimeout = HTTP_SERVER_LIMITS.requestTimeout;
  server.keepAliveTimeout = HTTP_SERVER_LIMITS.keepAliveTimeout;
  server.maxHeadersCount = HTTP_SERVER_LIMITS.maxHeadersCount;
  server.maxRequestsPerSocket = HTTP_SERVER_LIMITS.maxRequestsPerSocket;
  server.setTimeout(HTTP_SERVER_LIMITS.timeout);
  // A client that fails the handshake (or sends garbage) must not surface as an unhandled error.
  server.on('tlsClientError', () => undefined);
  server.on('clientError', answerUnparsableRequest);
  return server;
}

/**
 * Requests Node's HTTP parser rejects (oversized or malformed headers) never reach express; they still get
 * a Berlin Group body instead of Node's bare status line.
 */
function answerUnparsableRequest(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || (error.code !== undefined && ['ECONNRESET', 'EPIPE'].includes(error.code))) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const body = JSON.stringify(
    toTppMessages(new FormatError(tooLarge ? 'Request headers are too large' : 'Malformed HTTP request')),
  );
  socket.end(
    `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
