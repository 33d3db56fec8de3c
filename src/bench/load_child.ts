/**
 * The load generator, in its own process pinned to the other core (`taskset -c 0`). It really presents
 * a client certificate: undici with `connect` TLS options for keep-alive load, node:tls for fresh
 * handshakes. Jobs arrive over the IPC channel; each answer is one result message.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { Pool } from 'undici';

export interface ClientTls {
  certChainPem: string;
  keyPem: string;
  anchorPem: string;
}

export interface LoadJob {
  type: 'load';
  /** e.g. https://127.0.0.1:8443 */
  origin: string;
  /** GET without a body when absent. */
  method?: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  tls: ClientTls;
  connections: number;
  warmupMs: number;
  durationMs: number;
}

export interface HandshakeJob {
  type: 'handshake';
  host: string;
  port: number;
  tls: ClientTls;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Send this request on each new connection and wait for the answer; without it, close after the handshake. */
  request?: { path: string; headers: Record<string, string> };
}

/**
 * Full handshakes with `openssl s_time -new`: several clients in parallel (C clients are cheap enough
 * that the server, not the load generator, is what saturates). Counts connections only.
 */
export interface STimeJob {
  type: 's_time';
  host: string;
  port: number;
  files: { certChainFile: string; keyFile: string; anchorFile: string };
  processes: number;
  durationMs: number;
}

export interface LoadResult {
  /** Completed requests (or connections) in the measured window. */
  count: number;
  seconds: number;
  perSecond: number;
  /** Milliseconds; for handshakes, connect to secureConnect (or to the end of the answer). */
  p50: number;
  p99: number;
  /** Status code (or `error`) -> count, over the measured window. */
  statuses: Record<string, number>;
  /** Connections the keep-alive pool opened, warm-up included (more than `connections` means reconnects). */
  connects?: number;
  /** Requests completed over the whole job, warm-up included. */
  total?: number;
  /** Filled in by the orchestrator: server CPU time per request over the whole job. */
  cpuUsPerRequest?: number;
}

export type LoadMessage = { type: 'result'; result: LoadResult } | { type: 'error'; error: string };

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

class Recorder {
  private latencies: number[] = [];
  readonly statuses: Record<string, number> = {};
  measuring = false;
  private startedAt = 0;
  private stoppedAt = 0;

  start(): void {
    this.measuring = true;
    this.startedAt = performance.now();
  }

  stop(): void {
    this.measuring = false;
    this.stoppedAt = performance.now();
  }

  /** Every completed request, warm-up and tail included (to divide the server's CPU time by). */
  all = 0;

  record(ms: number, status: string): void {
    this.all++;
    if (!this.measuring) return;
    this.latencies.push(ms);
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
  }

  result(): LoadResult {
    const sorted = Float64Array.from(this.latencies).sort();
    const seconds = (this.stoppedAt - this.startedAt) / 1000;
    return {
      count: sorted.length,
      seconds,
      perSecond: sorted.length / seconds,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      statuses: this.statuses,
    };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Lets the loops run unmeasured for the warm-up, then measures a fixed window. */
async function timed(recorder: Recorder, warmupMs: number, durationMs: number): Promise<LoadResult> {
  await sleep(warmupMs);
  recorder.start();
  await sleep(durationMs);
  recorder.stop();
  return recorder.result();
}

export async function runLoad(job: LoadJob): Promise<LoadResult> {
  const pool = new Pool(job.origin, {
    connections: job.connections,
    pipelining: 1,
    connect: {
      cert: job.tls.certChainPem,
      key: job.tls.keyPem,
      ca: job.tls.anchorPem,
      servername: 'localhost',
    },
  });
  let connects = 0;
  pool.on('connect', () => connects++);
  const recorder = new Recorder();
  let running = true;
  const loop = async (): Promise<void> => {
    while (running) {
      const t0 = performance.now();
      let status: string;
      try {
        // Every request carries its own X-Request-ID, as Berlin Group asks of a TPP (all scenarios alike).
        const headers = { ...job.headers, 'x-request-id': randomUUID() };
        const res = await pool.request({
          method: job.method ?? 'GET',
          path: job.path,
          headers,
          ...(job.body !== undefined ? { body: job.body } : {}),
        });
        await res.body.text();
        status = String(res.statusCode);
      } catch (error) {
        status = `error:${(error as { code?: string }).code ?? 'unknown'}`;
      }
      recorder.record(performance.now() - t0, status);
    }
  };
  const loops = Array.from({ length: job.connections }, () => loop());
  const result = await timed(recorder, job.warmupMs, job.durationMs);
  running = false;
  await Promise.all(loops);
  await pool.close();
  return { ...result, connects, total: recorder.all };
}

/** One client context for the whole job, so each connection pays the handshake, not PEM parsing. */
function oneConnection(job: HandshakeJob, secureContext: tls.SecureContext): Promise<string> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (status: string) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(status);
    };
    const socket = tls.connect({ host: job.host, port: job.port, secureContext, servername: 'localhost' });
    socket.once('error', (error: NodeJS.ErrnoException) => done(`error:${error.code ?? 'unknown'}`));
    socket.once('secureConnect', () => {
      const request = job.request;
      if (request === undefined) {
        done('handshake');
        return;
      }
      const lines = [
        `GET ${request.path} HTTP/1.1`,
        'Host: localhost',
        'Connection: close',
        `X-Request-ID: ${randomUUID()}`,
      ];
      for (const [k, v] of Object.entries(request.headers)) lines.push(`${k}: ${v}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      let head = '';
      socket.on('data', (chunk: Buffer) => {
        if (head.length < 16) head += chunk.toString('latin1', 0, 16);
      });
      socket.once('end', () => done(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 'error:no-status'));
    });
  });
}

export async function runHandshakes(job: HandshakeJob): Promise<LoadResult> {
  const secureContext = tls.createSecureContext({
    cert: job.tls.certChainPem,
    key: job.tls.keyPem,
    ca: job.tls.anchorPem,
  });
  const recorder = new Recorder();
  let running = true;
  const loop = async (): Promise<void> => {
    while (running) {
      const t0 = performance.now();
      const status = await oneConnection(job, secureContext);
      recorder.record(performance.now() - t0, status);
    }
  };
  const loops = Array.from({ length: job.concurrency }, () => loop());
  const result = await timed(recorder, job.warmupMs, job.durationMs);
  running = false;
  await Promise.all(loops);
  return result;
}

function oneSTime(job: STimeJob): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'openssl',
      [
        's_time',
        '-connect',
        `${job.host}:${job.port}`,
        '-new',
        '-cert',
        job.files.certChainFile,
        '-key',
        job.files.keyFile,
        '-CAfile',
        job.files.anchorFile,
        '-time',
        String(Math.max(1, Math.round(job.durationMs / 1000))),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const match = /(\d+) connections in [\d.]+ real seconds/.exec(out);
      if (code !== 0 || match === null)
        reject(new Error(`openssl s_time failed (${code}): ${out.slice(-300)}`));
      else resolve(Number(match[1]));
    });
  });
}

export async function runSTime(job: STimeJob): Promise<LoadResult> {
  const t0 = performance.now();
  const counts = await Promise.all(Array.from({ length: job.processes }, () => oneSTime(job)));
  const seconds = (performance.now() - t0) / 1000;
  const count = counts.reduce((sum, n) => sum + n, 0);
  return {
    count,
    seconds,
    perSecond: count / seconds,
    p50: Number.NaN,
    p99: Number.NaN,
    statuses: { handshake: count },
  };
}

if (require.main === module) {
  process.on('message', (job: LoadJob | HandshakeJob | STimeJob) => {
    const run =
      job.type === 'load' ? runLoad(job) : job.type === 's_time' ? runSTime(job) : runHandshakes(job);
    run.then(
      (result) => process.send?.({ type: 'result', result } satisfies LoadMessage),
      (error: unknown) =>
        process.send?.({ type: 'error', error: error instanceof Error ? error.message : String(error) }),
    );
  });
  process.once('disconnect', () => process.exit(0));
}
