/**
 * The admin listener: plain HTTP on its own port (GATEWAY_ADMIN_PORT, loopback by default), never the TPP
 * port, so probes need no client certificate and never reach the trust gate or its log.
 *
 *   GET /healthz  200 while the process runs
 *   GET /readyz   200, or 503 with the failing checks named
 *   GET /metrics  Prometheus text format
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReadinessReport } from './readiness';

export interface AdminSources {
  readiness(): Promise<ReadinessReport>;
  metrics(): Promise<{ contentType: string; body: string }>;
}

export interface AdminServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

export function createAdminListener(sources: AdminSources): http.RequestListener {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      json(res, 405, { error: 'method not allowed' });
      return;
    }
    const fail = (error: unknown) =>
      json(res, 500, { error: error instanceof Error ? error.message : String(error) });
    switch (path) {
      case '/healthz':
        json(res, 200, { status: 'alive', pid: process.pid });
        return;
      case '/readyz':
        sources.readiness().then((report) => {
          const failing = report.checks.filter((c) => !c.ok);
          json(res, report.ready ? 200 : 503, {
            status: report.ready ? 'ready' : 'not ready',
            ...(failing.length > 0 ? { failing: failing.map((c) => c.name) } : {}),
            checks: report.checks,
          });
        }, fail);
        return;
      case '/metrics':
        sources.metrics().then(({ contentType, body }) => {
          res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
          res.end(body);
        }, fail);
        return;
      default:
        json(res, 404, { error: 'not found', paths: ['/healthz', '/readyz', '/metrics'] });
    }
  };
}

export async function startAdminServer(
  host: string,
  port: number,
  sources: AdminSources,
): Promise<AdminServer> {
  const server = http.createServer(createAdminListener(sources));
  server.keepAliveTimeout = 5_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${hostForUrl}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
