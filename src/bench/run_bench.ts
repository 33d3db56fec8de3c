/**
 * One bench run: the same certificates and TLS options for every server, servers pinned to core 1 and
 * the load generator to core 0, scenarios measured one after another so nothing else of ours runs while
 * one is measured.
 *   (a) bare node:https mTLS server, (b) bare Express on the same listener, (c) the gateway's
 *   authenticated balances read, (d) the gateway refusing Mallory; new handshakes against (a) and (c);
 *   validation cost in-process; the read at 1k/100k consents on SQLite and PostgreSQL; 1 vs 2 workers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { prepareBenchPki, gatewayEnv, type BenchPki } from './bench_pki';
import { authorisedReadSession, type ReadSession } from './gateway_session';
import type { ClientTls, LoadResult } from './load_child';
import { canPin, freePort, LoadGenerator, sampleRss, startServer, type ServerHandle } from './processes';
import { seedConsents } from './seed_consents';
import type { ServerJob } from './server_child';
import { measureValidation, type ValidationResult } from './validation_bench';

export const SCENARIO_IDS = ['validation', 'a', 'b', 'c', 'd', 'handshakes', 'scale', 'workers'] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

export interface BenchOptions {
  /** Measured seconds per scenario. */
  durationS: number;
  /** Unmeasured seconds before each measurement. */
  warmupS: number;
  /** Keep-alive connections of the load generator. */
  connections: number;
  /** Parallel connect loops of the handshake client. */
  handshakeConcurrency: number;
  only: ReadonlySet<ScenarioId>;
  /** Maintenance database URL used to create and drop a throwaway database. */
  postgresUrl: string;
  /** Seeded consent counts for the scale runs. */
  scaleCounts: number[];
  /** Pin servers and load generator to separate cores with taskset (when available). */
  pin: boolean;
  /** Write V8 CPU profiles of the gateway server processes here. */
  cpuProfDir?: string;
  log: (line: string) => void;
}

export interface Throughput {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  statuses: Record<string, number>;
}

export interface ScenarioResult extends Throughput {
  id: 'a' | 'b' | 'c' | 'd';
  name: string;
  /** Peak RSS of the server process during the measurement. */
  rssMb?: number;
}

export interface HandshakeResult {
  id: 'a' | 'c';
  name: string;
  /** New connections per second, closed right after the handshake. */
  handshakesPerS: number;
  p50Ms: number;
  p99Ms: number;
  /** New connection + one request (Connection: close) per second: what a TPP without keep-alive costs. */
  connectionsWithRequestPerS?: number;
  statuses: Record<string, number>;
}

export interface ScaleResult extends Throughput {
  database: 'sqlite' | 'postgres';
  consents: number;
}

export interface WorkersResult extends Throughput {
  workers: number;
}

export interface BenchEnvironment {
  node: string;
  platform: string;
  cpus: string;
  cores: number;
  pinned: boolean;
}

export interface BenchRun {
  version: 1;
  startedAt: string;
  finishedAt: string;
  environment: BenchEnvironment;
  options: { durationS: number; warmupS: number; connections: number; handshakeConcurrency: number };
  scenarios: ScenarioResult[];
  handshakes: HandshakeResult[];
  validation?: ValidationResult;
  scale: ScaleResult[];
  notes: string[];
  workers: WorkersResult[];
}

const SERVER_CPU = '1';
const LOAD_CPU = '0';
const BOTH_CPUS = '0,1';

function throughput(r: LoadResult): Throughput {
  return { rps: r.perSecond, p50Ms: r.p50, p99Ms: r.p99, requests: r.count, statuses: r.statuses };
}

async function dropPostgresDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Creates a throwaway database; returns its URL, or undefined (with the reason) when unreachable. */
async function createPostgresDatabase(
  adminUrl: string,
  name: string,
): Promise<{ url?: string; why?: string }> {
  const admin = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (error) {
    return { why: `PostgreSQL unreachable at ${adminUrl}: ${(error as Error).message}` };
  }
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.href };
}

export async function runBench(options: BenchOptions): Promise<BenchRun> {
  const { log } = options;
  const startedAt = new Date();
  const pinned = options.pin && canPin();
  const notes: string[] = [];
  if (options.pin && !pinned) notes.push('taskset unavailable: processes were not pinned to cores');
  const serverCpu = pinned ? SERVER_CPU : undefined;
  const loadCpu = pinned ? LOAD_CPU : undefined;
  const want = (id: ScenarioId) => options.only.has(id);
  const durationMs = options.durationS * 1000;
  const warmupMs = options.warmupS * 1000;

  const dir = mkdtempSync(path.join(os.tmpdir(), 'psd2-bench-'));
  const run: BenchRun = {
    version: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    environment: {
      node: process.version,
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      cpus: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      pinned,
    },
    options: {
      durationS: options.durationS,
      warmupS: options.warmupS,
      connections: options.connections,
      handshakeConcurrency: options.handshakeConcurrency,
    },
    scenarios: [],
    handshakes: [],
    scale: [],
    workers: [],
    notes,
  };

  let loader: LoadGenerator | undefined;
  const servers: ServerHandle[] = [];
  try {
    log('generating the bench PKI (Trent, Bob, Alice, Mallory; P-256)');
    const pki = await prepareBenchPki(dir);
    const tlsFiles = {
      certChainFile: pki.fixture.serverChainFile,
      keyFile: pki.fixture.serverKeyFile,
      anchorFile: pki.fixture.trustAnchorFile,
    };
    const alice: ClientTls = { ...pki.alice, anchorPem: pki.anchorPem };
    const mallory: ClientTls = { ...pki.mallory, anchorPem: pki.anchorPem };

    if (want('validation')) {
      log('validation cost (in-process): cold pool, cold leaf, warm cache hit');
      run.validation = await measureValidation({ pki: pki.fixture, poolSize: 200, warmIterations: 300_000 });
    }

    const needsServers = (['a', 'b', 'c', 'd', 'handshakes', 'scale'] as const).some(want);
    if (needsServers) loader = LoadGenerator.start(loadCpu);

    const start = async (job: Omit<ServerJob, 'port' | 'tls'>, cpus = serverCpu) => {
      const port = await freePort();
      const handle = await startServer({ ...job, port, tls: tlsFiles }, cpus);
      servers.push(handle);
      return handle;
    };
    const stop = async (handle: ServerHandle) => {
      servers.splice(servers.indexOf(handle), 1);
      await handle.stop();
    };
    const load = async (
      gen: LoadGenerator,
      server: ServerHandle,
      request: { path: string; headers: Record<string, string> },
      tls: ClientTls,
    ) => {
      const rss = sampleRss(server.pids);
      const result = await gen.run({
        type: 'load',
        origin: `https://127.0.0.1:${server.port}`,
        path: request.path,
        headers: request.headers,
        tls,
        connections: options.connections,
        warmupMs,
        durationMs,
      });
      return { result, rssMb: rss() };
    };
    const handshakes = async (
      server: ServerHandle,
      request: { path: string; headers: Record<string, string> },
    ): Promise<
      Pick<HandshakeResult, 'handshakesPerS' | 'p50Ms' | 'p99Ms' | 'connectionsWithRequestPerS' | 'statuses'>
    > => {
      const base = {
        type: 'handshake' as const,
        host: '127.0.0.1',
        port: server.port,
        tls: alice,
        concurrency: options.handshakeConcurrency,
        warmupMs,
        durationMs,
      };
      const bare = await (loader as LoadGenerator).run(base);
      const withRequest = await (loader as LoadGenerator).run({ ...base, request });
      return {
        handshakesPerS: bare.perSecond,
        p50Ms: bare.p50,
        p99Ms: bare.p99,
        connectionsWithRequestPerS: withRequest.perSecond,
        statuses: {
          ...bare.statuses,
          ...Object.fromEntries(Object.entries(withRequest.statuses).map(([k, v]) => [`request:${k}`, v])),
        },
      };
    };

    const bareRequest = { path: '/', headers: { accept: 'application/json' } };
    if (want('a') || want('handshakes')) {
      const server = await start({ kind: 'bare-node' });
      if (want('a')) {
        log('(a) bare node:https mTLS server: keep-alive load');
        const { result, rssMb } = await load(loader as LoadGenerator, server, bareRequest, alice);
        run.scenarios.push({
          id: 'a',
          name: 'bare node:https mTLS',
          ...throughput(result),
          ...(rssMb ? { rssMb } : {}),
        });
      }
      if (want('handshakes')) {
        log('(a) bare node:https mTLS server: new handshakes');
        run.handshakes.push({
          id: 'a',
          name: 'bare node:https mTLS',
          ...(await handshakes(server, bareRequest)),
        });
      }
      await stop(server);
    }
    if (want('b')) {
      const server = await start({ kind: 'bare-express' });
      log('(b) bare Express app: keep-alive load');
      const { result, rssMb } = await load(loader as LoadGenerator, server, bareRequest, alice);
      run.scenarios.push({
        id: 'b',
        name: 'bare Express',
        ...throughput(result),
        ...(rssMb ? { rssMb } : {}),
      });
      await stop(server);
    }

    let dbCounter = 0;
    const sqliteUrl = () => `sqlite:${path.join(dir, `gateway-${dbCounter++}.db`)}`;
    const gatewayJob = async (databaseUrl: string, workers = 1) => {
      const port = await freePort();
      return { kind: 'gateway' as const, env: gatewayEnv(pki, databaseUrl, port), workers, port };
    };
    const startGatewayServer = async (databaseUrl: string, cpus = serverCpu, workers = 1) => {
      const job = await gatewayJob(databaseUrl, workers);
      const execArgv = options.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : [];
      const handle = await startServer({ ...job, tls: tlsFiles }, cpus, execArgv);
      servers.push(handle);
      return handle;
    };
    const session = async (server: ServerHandle, pkiForSession: BenchPki): Promise<ReadSession> =>
      authorisedReadSession(pkiForSession, `https://localhost:${server.port}`);

    if (want('c') || want('d') || want('handshakes')) {
      const server = await startGatewayServer(sqliteUrl());
      const read = await session(server, pki);
      if (want('c')) {
        log('(c) gateway: authenticated GET /v1/accounts/{id}/balances');
        const { result, rssMb } = await load(loader as LoadGenerator, server, read, alice);
        run.scenarios.push({
          id: 'c',
          name: 'gateway: authenticated balances read',
          ...throughput(result),
          ...(rssMb ? { rssMb } : {}),
        });
      }
      if (want('d')) {
        log('(d) gateway: refusing Mallory (mallory-copied-names) on GET /v1/accounts');
        const { result, rssMb } = await load(
          loader as LoadGenerator,
          server,
          { path: '/v1/accounts', headers: { accept: 'application/json' } },
          mallory,
        );
        run.scenarios.push({
          id: 'd',
          name: 'gateway: refusing Mallory',
          ...throughput(result),
          ...(rssMb ? { rssMb } : {}),
        });
      }
      if (want('handshakes')) {
        log('(c) gateway: new handshakes');
        run.handshakes.push({ id: 'c', name: 'gateway', ...(await handshakes(server, read)) });
      }
      await stop(server);
    }

    if (want('scale')) {
      for (const database of ['sqlite', 'postgres'] as const) {
        for (const count of options.scaleCounts) {
          let url: string;
          let drop: (() => Promise<void>) | undefined;
          if (database === 'sqlite') {
            url = sqliteUrl();
          } else {
            const name = `psd2_bench_${process.pid}_${dbCounter++}`;
            const created = await createPostgresDatabase(options.postgresUrl, name);
            if (created.url === undefined) {
              const why = created.why ?? 'PostgreSQL unavailable';
              notes.push(`${why}: PostgreSQL scale runs skipped`);
              log(`skipping PostgreSQL: ${why}`);
              break;
            }
            url = created.url;
            drop = () => dropPostgresDatabase(options.postgresUrl, name);
          }
          try {
            log(`scale: ${database} with ${count} seeded consents: seeding`);
            await seedConsents(url, count);
            const server = await startGatewayServer(url);
            const read = await session(server, pki);
            log(`scale: ${database} with ${count} seeded consents: authenticated read`);
            const { result } = await load(loader as LoadGenerator, server, read, alice);
            run.scale.push({ database, consents: count, ...throughput(result) });
            await stop(server);
          } finally {
            await drop?.();
          }
        }
      }
    }

    if (want('workers')) {
      // Here the servers may use both cores and so does the load generator: the two compete for them.
      const unpinned = pinned ? BOTH_CPUS : undefined;
      const gen = LoadGenerator.start(unpinned);
      try {
        for (const workers of [1, 2]) {
          const server = await startGatewayServer(sqliteUrl(), unpinned, workers);
          const read = await session(server, pki);
          log(
            `workers: GATEWAY_WORKERS=${workers}, authenticated read, servers and load generator on both cores`,
          );
          const { result } = await load(gen, server, read, alice);
          run.workers.push({ workers, ...throughput(result) });
          await stop(server);
        }
      } finally {
        await gen.stop();
      }
      notes.push(
        'workers: the load generator shares the 2 cores with the gateway workers, so 2 workers cannot reach 2x',
      );
    }
  } finally {
    for (const server of servers.splice(0)) await server.stop();
    await loader?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  run.finishedAt = new Date().toISOString();
  return run;
}
