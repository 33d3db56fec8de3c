import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type https from 'node:https';
import type { Router } from 'express';
import { createLogger, type Logger } from '../../src/audit/logger';
import { createApp, type AppDeps } from '../../src/app';
import { TrustStore } from '../../src/pki/path/trust_store';
import type { ForwardedCertHeaderFormat } from '../../src/config/config';
import { TrustedProxies } from '../../src/tls/forwarded_certificate';
import { createGatewayServer, type ServerLimitOverrides } from '../../src/tls/gateway_server';
import { EMPTY_STOP_LIST } from './empty_stop_list';
import { testPkiFiles } from './test_pki';

/** Collects pino's JSON lines so tests can assert what was logged. */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() !== '') this.lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    callback();
  }
}

export interface TlsGatewayParams {
  routers: Router[];
  trustedProxies?: string[];
  /** The header format the trusted proxies set; default RFC 9440 `client-cert` when proxies are listed. */
  forwardedCertHeader?: ForwardedCertHeaderFormat;
  proxyCertSha256?: string[];
  rejectUntrustedAtHandshake?: boolean;
  /** CRL files are copied here so a test may rewrite them without touching other suites. */
  privateCrls?: boolean;
  appDeps?: Partial<AppDeps>;
  serverLimits?: ServerLimitOverrides;
}

export interface TlsGateway {
  url: string;
  port: number;
  server: https.Server;
  trustStore: TrustStore;
  logs: LogCapture;
  logger: Logger;
  anchorPem: Buffer;
  crlFiles: string[];
  close(): Promise<void>;
}

/** The gateway's TLS listener and trust gate on 127.0.0.1, with the run's fixture PKI. */
export async function startTlsGateway(params: TlsGatewayParams): Promise<TlsGateway> {
  const files = testPkiFiles();
  let crlFiles = files.crls;
  if (params.privateCrls === true) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'psd2-crls-'));
    crlFiles = files.crls.map((file) => {
      const copy = path.join(dir, path.basename(file));
      copyFileSync(file, copy);
      return copy;
    });
  }
  const logs = new LogCapture();
  const logger = createLogger('info', logs);
  const trustStore = await TrustStore.load({ anchorFile: files.anchor, crlFiles, logger });
  const app = createApp({
    logger,
    verifier: trustStore.verifier,
    trustedProxies: new TrustedProxies(params.trustedProxies ?? [], {
      header: params.forwardedCertHeader ?? 'client-cert',
      proxyCertSha256: params.proxyCertSha256 ?? [],
    }),
    routers: params.routers,
    stopList: EMPTY_STOP_LIST,
    ...params.appDeps,
  });
  const anchorPem = readFileSync(files.anchor);
  const server = createGatewayServer(
    {
      certChainPem: readFileSync(files.serverChain),
      keyPem: readFileSync(files.serverKey),
      anchorPem,
      rejectUntrustedAtHandshake: params.rejectUntrustedAtHandshake ?? false,
    },
    app,
    params.serverLimits,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://localhost:${port}`,
    port,
    server,
    trustStore,
    logs,
    logger,
    anchorPem,
    crlFiles,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
