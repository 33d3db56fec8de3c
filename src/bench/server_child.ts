/**
 * A server under test, in its own process so it can be pinned to one core (`taskset -c 1`) and profiled
 * (`--cpu-prof`). The orchestrator passes the job as base64 JSON in argv[2] (cluster workers re-run this
 * file with the same argv) and talks to it over the IPC channel: `ready` with the port and pids, `stop`.
 */
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import express from 'express';
import { buildSandboxBank, readSandboxBankFixture } from '../accounts/sandbox_bank';
import { createLogger } from '../audit/logger';
import { SandboxBankConnector } from '../bank/sandbox_bank_connector';
import { startSandboxBankServer } from '../bank/sandbox_bank_server';
import { runClustered } from '../cluster';
import { startGateway } from '../gateway';
import { loadSandboxBank } from '../store/load_sandbox_bank';
import { openStore } from '../store/open_store';
import { createGatewayServer } from '../tls/gateway_server';

export type ServerKind = 'bare-node' | 'bare-express' | 'gateway' | 'sandbox-bank';

export interface ServerJob {
  kind: ServerKind;
  port: number;
  /** Bare servers: the same files the gateway is configured with. */
  tls: { certChainFile: string; keyFile: string; anchorFile: string };
  /** Gateway: its whole configuration. */
  env?: Record<string, string>;
  workers?: number;
  /** Sandbox bank: its own SQLite file (plain HTTP on 127.0.0.1, as `npm run sandbox-bank` serves it). */
  database?: string;
}

export type ServerMessage =
  | { type: 'ready'; port: number; pids: number[] }
  | { type: 'failed'; error: string }
  | { type: 'memory'; usage: NodeJS.MemoryUsage };

/** The small JSON both bare servers answer. */
export const BARE_BODY = JSON.stringify({ status: 'ok', service: 'bench', balances: [] });

export function encodeServerJob(job: ServerJob): string {
  return Buffer.from(JSON.stringify(job)).toString('base64url');
}

function send(message: ServerMessage): void {
  process.send?.(message);
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

function stopOn(close: () => Promise<void>): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('message', (m: unknown) => {
    const type = (m as { type?: unknown } | null)?.type;
    if (type === 'stop') stop();
    if (type === 'memory') send({ type: 'memory', usage: process.memoryUsage() });
  });
  process.once('SIGTERM', stop);
  // The orchestrator's death closes the channel: do not outlive it.
  process.once('disconnect', stop);
}

async function startBare(job: ServerJob): Promise<void> {
  const tls = {
    certChainPem: readFileSync(job.tls.certChainFile),
    keyPem: readFileSync(job.tls.keyFile),
    anchorPem: readFileSync(job.tls.anchorFile),
    rejectUntrustedAtHandshake: false,
  };
  let server: Server;
  if (job.kind === 'bare-node') {
    const body = Buffer.from(BARE_BODY);
    server = createGatewayServer(tls, (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': body.length,
      });
      res.end(body);
    });
  } else {
    const app = express();
    app.disable('x-powered-by');
    app.set('etag', false);
    const body = JSON.parse(BARE_BODY) as unknown;
    app.get('/', (_req, res) => {
      res.json(body);
    });
    server = createGatewayServer(tls, app);
  }
  await listen(server, job.port);
  stopOn(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  send({ type: 'ready', port: job.port, pids: [process.pid] });
}

async function startGatewayJob(job: ServerJob): Promise<void> {
  const workers = job.workers ?? 1;
  await runClustered({
    workers,
    log: () => undefined,
    runWorker: async () => {
      const gateway = await startGateway({ env: job.env ?? {}, quiet: true });
      stopOn(() => gateway.close());
      if (workers <= 1) send({ type: 'ready', port: gateway.port, pids: [process.pid] });
    },
    onListening: (address) => {
      const pids = Object.values(cluster.workers ?? {}).flatMap((w) =>
        w?.process.pid ? [w.process.pid] : [],
      );
      // The primary stops on SIGTERM by stopping its workers (runClustered's handler).
      process.on('message', (m: unknown) => {
        if ((m as { type?: unknown } | null)?.type === 'stop') process.kill(process.pid, 'SIGTERM');
      });
      process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
      send({ type: 'ready', port: address.port, pids: [process.pid, ...pids] });
    },
  });
}

async function startSandboxBankJob(job: ServerJob): Promise<void> {
  const store = await openStore(`sqlite:${job.database ?? ':memory:'}`);
  await loadSandboxBank(store.db, buildSandboxBank(readSandboxBankFixture()));
  const server = await startSandboxBankServer({
    bank: new SandboxBankConnector(store.db),
    logger: createLogger('silent'),
    port: job.port,
  });
  stopOn(async () => {
    await server.close();
    await store.close();
  });
  send({ type: 'ready', port: server.port, pids: [process.pid] });
}

async function main(): Promise<void> {
  const arg = process.argv[2];
  if (arg === undefined) throw new Error('usage: server_child <base64 job>');
  const job = JSON.parse(Buffer.from(arg, 'base64url').toString('utf8')) as ServerJob;
  if (job.kind === 'gateway') await startGatewayJob(job);
  else if (job.kind === 'sandbox-bank') await startSandboxBankJob(job);
  else await startBare(job);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    const text = error instanceof Error ? error.message : String(error);
    if (cluster.isPrimary) send({ type: 'failed', error: text });
    process.stderr.write(`bench server: ${text}\n`);
    process.exit(1);
  });
}
