import https from 'node:https';
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
  return server;
}
