/**
 * One bench run: the same certificates and TLS options for every server, servers pinned to core 1 and
 * the load generator to core 0, scenarios measured one after another so nothing else of ours runs while
 * one is measured.
 *   (a) bare node:https mTLS server, (b) bare Express on the same listener, (c) the gateway's
 *   authenticated balances read, (d) the gateway refusing Mallory; new handshakes against (a) and (c);
 *   validation cost in-process; the read at 1k/100k consents on SQLite and PostgreSQL; 1 vs 2 workers.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { gatewayNodeFlags } from '../config/node_flags';
import { PROJECT_ROOT } from '../config/project_root';
import { prepareBenchPki, gatewayEnv, type BenchPki } from './bench_pki';
import { authorisedReadSession, type ReadSession } from './gateway_session';
import type { ClientTls, LoadResult } from './load_child';
import {
  canPin,
  cpuMs,
  freePort,
  hasOpensslSTime,
  LoadGenerator,
  sampleRss,
  startServer,
  type ServerHandle,
} from './processes';
import { seedConsents } from './seed_consents';
import type { ServerJob } from './server_child';
import { measureValidation, type ValidationResult } from './validation_bench';

export const SCENARIO_IDS = [
  'validation',
  'a',
  'b',
  'c',
  'd',
  'e',
  'f',
  'handshakes',
  'scale',
  'workers',
  'instances',
] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

export interface BenchOptions {
  /** Measured seconds per scenario. */
  durationS: number;
  /** Unmeasured seconds before each measurement. */
  warmupS: number;
  /** Keep-alive connections of the load generator. */
  connections: number;
  /** The comparison (a-d, handshakes) is measured in this many interleaved rounds of duration/rounds. */
  rounds: number;
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
  /** Connections the load generator opened (warm-up included); above `connections` means reconnects. */
  connects?: number;
  /** req/s of each round, when the measurement was split into rounds. */
  rounds?: number[];
  /**
   * Server CPU time (user + system, all its processes) per request over the whole job: less sensitive to
   * other load on the machine than req/s. 10 ms clock-tick resolution, so only meaningful over seconds.
   */
  cpuUsPerRequest?: number;
}

export interface ScenarioResult extends Throughput {
  id: 'a' | 'b' | 'c' | 'd' | 'e' | 'f';
  /** (e): CPU the sandbox bank process spent per gateway request, reported apart from the gateway's. */
  bankCpuUsPerRequest?: number;
  name: string;
  /** Peak RSS of the server process during the measurement. */
  rssMb?: number;
  /** The server's process.memoryUsage() (MB) right after its last measurement. */
  memoryMb?: Record<string, number>;
}

export interface HandshakeResult {
  id: 'a' | 'c';
  name: string;
  /** New connections per second, closed right after the handshake. */
  handshakesPerS: number;
  /** Connect-to-handshake latency; not reported by openssl s_time. */
  p50Ms?: number;
  p99Ms?: number;
  /** New connection + one request (Connection: close) per second: what a TPP without keep-alive costs. */
  connectionsWithRequestPerS?: number;
  /** Handshakes/s of each round. */
  rounds?: number[];
  statuses: Record<string, number>;
}

export interface ScaleResult extends Throughput {
  database: 'sqlite' | 'postgres';
  consents: number;
}

export interface WorkersResult extends Throughput {
  workers: number;
  /**
   * CPU the load generator used during the read measurement, in % of one core: near 100 means it, not
   * the gateway, set the pace, and the two cores were shared out between it and the workers.
   */
  loadGeneratorCpuPercent?: number;
  /** Full handshakes per second (openssl s_time, C clients far cheaper per handshake than the server). */
  handshakesPerS?: number;
}

/** One gateway process or several on the same PostgreSQL database, and the PostgreSQL read next to SQLite's. */
export interface InstancesResult {
  /** The authenticated read on SQLite and on PostgreSQL, gateway pinned to one core, rounds interleaved. */
  readSqlite: Throughput;
  readPostgres: Throughput;
  /** Gateway CPU µs per PostgreSQL read over the SQLite read's (target ≤ 1.5). */
  cpuRatioPostgresToSqlite?: number;
  /** One gateway on PostgreSQL, then two on the same database each loaded by its own generator. */
  oneInstance: Throughput;
  twoInstances: Throughput & { perInstance: number[] };
  /** req/s of two instances over one. */
  throughputRatio: number;
  /** CPU % of the machine the servers, the generators and PostgreSQL used while two instances ran. */
  machineCpuPercent?: number;
}

export interface BenchEnvironment {
  node: string;
  platform: string;
  cpus: string;
  cores: number;
  pinned: boolean;
  /** node flags every server ran with (package.json config.nodeFlags, as `npm start` uses them). */
  serverNodeFlags?: string[];
}

export interface BenchRun {
  version: 1;
  startedAt: string;
  finishedAt: string;
  environment: BenchEnvironment;
  options: {
    durationS: number;
    warmupS: number;
    connections: number;
    rounds: number;
    handshakeConcurrency: number;
  };
  scenarios: ScenarioResult[];
  handshakes: HandshakeResult[];
  validation?: ValidationResult;
  scale: ScaleResult[];
  notes: string[];
  workers: WorkersResult[];
  instances?: InstancesResult;
}

/** One request of a load scenario; GET without a body unless said otherwise. */
interface BenchRequest {
  method?: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const SERVER_CPU = '1';
const LOAD_CPU = '0';
const BOTH_CPUS = '0,1';

/** Re-issue the consent and token after this long (access tokens live 5 minutes). */
const TOKEN_REISSUE_MS = 4 * 60_000;

/** CPU time the whole machine spent (all cores, user + system + the rest but idle), from /proc/stat. */
function machineCpuMs(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    const busy = ticks.reduce((sum, t) => sum + t, 0) - idle;
    return (busy * 1000) / 100;
  } catch {
    return undefined;
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** Several rounds of one scenario: medians, with every round's req/s kept to show the noise. */
function combine(results: LoadResult[]): Throughput & { rounds: number[] } {
  const statuses: Record<string, number> = {};
  for (const r of results)
    for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  const connects = results.reduce<number | undefined>(
    (sum, r) => (r.connects === undefined ? sum : (sum ?? 0) + r.connects),
    undefined,
  );
  return {
    rps: median(results.map((r) => r.perSecond)),
    p50Ms: median(results.map((r) => r.p50)),
    p99Ms: median(results.map((r) => r.p99)),
    requests: results.reduce((sum, r) => sum + r.count, 0),
    statuses,
    ...(connects !== undefined ? { connects } : {}),
    ...(results.every((r) => r.cpuUsPerRequest !== undefined)
      ? { cpuUsPerRequest: median(results.map((r) => r.cpuUsPerRequest as number)) }
      : {}),
    rounds: results.map((r) => r.perSecond),
  };
}

function throughput(r: LoadResult): Throughput {
  return {
    rps: r.perSecond,
    p50Ms: r.p50,
    p99Ms: r.p99,
    requests: r.count,
    statuses: r.statuses,
    ...(r.connects !== undefined ? { connects: r.connects } : {}),
    ...(r.cpuUsPerRequest !== undefined ? { cpuUsPerRequest: r.cpuUsPerRequest } : {}),
  };
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
      // Paths relative to the project, as package.json names them: a results file names no machine's folders.
      serverNodeFlags: gatewayNodeFlags().map((flag) => flag.replace(`${PROJECT_ROOT}${path.sep}`, '')),
    },
    options: {
      durationS: options.durationS,
      warmupS: options.warmupS,
      connections: options.connections,
      rounds: options.rounds,
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
    const aliceCase = pki.fixture.cases.find((c) => c.id === 'alice');
    const aliceFiles = {
      certChainFile: aliceCase?.chainFile ?? '',
      keyFile: aliceCase?.keyFile ?? '',
      anchorFile: pki.fixture.trustAnchorFile,
    };
    const sTimeAvailable = hasOpensslSTime();
    const useSTime = want('handshakes') && sTimeAvailable;
    /** Full handshakes by `openssl s_time -new` clients presenting Alice's certificate. */
    const sTimeHandshakes = (gen: LoadGenerator, port: number, measureMs: number) =>
      gen.run({
        type: 's_time',
        host: '127.0.0.1',
        port,
        files: aliceFiles,
        processes: options.handshakeConcurrency,
        durationMs: measureMs,
      });
    if (want('handshakes')) {
      notes.push(
        useSTime
          ? `handshakes: ${options.handshakeConcurrency} parallel 'openssl s_time -new' clients with Alice's certificate; '+1 request' uses the node client, which is the bottleneck there`
          : 'handshakes: openssl s_time unavailable; node client used, which may saturate its core before the server does',
      );
    }
    const mallory: ClientTls = { ...pki.mallory, anchorPem: pki.anchorPem };

    if (want('validation')) {
      log('validation cost (in-process): cold pool, cold leaf, warm cache hit');
      run.validation = await measureValidation({ pki: pki.fixture, poolSize: 200, warmIterations: 300_000 });
    }

    const needsServers = (['a', 'b', 'c', 'd', 'e', 'f', 'handshakes', 'scale', 'instances'] as const).some(
      want,
    );
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
      request: BenchRequest,
      tls: ClientTls,
      measureMs = durationMs,
      behind?: ServerHandle,
    ) => {
      const rss = sampleRss(server.pids);
      const cpuBefore = server.pids.map(cpuMs);
      const behindBefore = behind?.pids.map(cpuMs);
      const result = await gen.run({
        type: 'load',
        origin: `https://127.0.0.1:${server.port}`,
        ...(request.method !== undefined ? { method: request.method } : {}),
        path: request.path,
        headers: request.headers,
        ...(request.body !== undefined ? { body: request.body } : {}),
        tls,
        connections: options.connections,
        warmupMs,
        durationMs: measureMs,
      });
      const cpuAfter = server.pids.map(cpuMs);
      const cpu = cpuAfter.reduce<number | undefined>((sum, after, i) => {
        const before = cpuBefore[i];
        return sum === undefined || after === undefined || before === undefined
          ? undefined
          : sum + after - before;
      }, 0);
      if (cpu !== undefined && result.total !== undefined && result.total > 0)
        result.cpuUsPerRequest = (cpu * 1000) / result.total;
      // The bank behind the gateway: its CPU per gateway request, apart from the gateway's own.
      let behindCpuUsPerRequest: number | undefined;
      if (
        behind !== undefined &&
        behindBefore !== undefined &&
        result.total !== undefined &&
        result.total > 0
      ) {
        const spent = behind.pids.reduce<number | undefined>((sum, pid, i) => {
          const before = behindBefore[i];
          const after = cpuMs(pid);
          return sum === undefined || before === undefined || after === undefined
            ? undefined
            : sum + after - before;
        }, 0);
        if (spent !== undefined) behindCpuUsPerRequest = (spent * 1000) / result.total;
      }
      const memory = await server.memory();
      return { result, rssMb: rss(), memory, behindCpuUsPerRequest };
    };
    const handshakes = async (
      server: ServerHandle,
      request: { path: string; headers: Record<string, string> },
      measureMs: number,
    ): Promise<{ bare: LoadResult; withRequest: LoadResult }> => {
      const base = {
        type: 'handshake' as const,
        host: '127.0.0.1',
        port: server.port,
        tls: alice,
        concurrency: options.handshakeConcurrency,
        warmupMs,
        durationMs: measureMs,
      };
      // Full handshakes: openssl s_time -new where available (its C clients leave the server as the
      // bottleneck); otherwise the node client, which saturates its own core first.
      const bare = useSTime
        ? await sTimeHandshakes(loader as LoadGenerator, server.port, measureMs)
        : await (loader as LoadGenerator).run(base);
      const withRequest = await (loader as LoadGenerator).run({ ...base, request });
      return { bare, withRequest };
    };

    let dbCounter = 0;
    const sqliteUrl = () => `sqlite:${path.join(dir, `gateway-${dbCounter++}.db`)}`;
    const gatewayJob = async (databaseUrl: string, workers = 1, extraEnv: Record<string, string> = {}) => {
      const port = await freePort();
      return {
        kind: 'gateway' as const,
        env: { ...gatewayEnv(pki, databaseUrl, port), ...extraEnv },
        workers,
        port,
      };
    };
    const startGatewayServer = async (
      databaseUrl: string,
      cpus = serverCpu,
      workers = 1,
      extraEnv: Record<string, string> = {},
    ) => {
      const job = await gatewayJob(databaseUrl, workers, extraEnv);
      const execArgv = options.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : [];
      const handle = await startServer({ ...job, tls: tlsFiles }, cpus, execArgv);
      servers.push(handle);
      // Profile files are named by pid: this line says which gateway each one is.
      if (options.cpuProfDir)
        log(`cpu profile: gateway on ${databaseUrl.split(':')[0]}, pid ${handle.pids.join(', ')}`);
      return handle;
    };
    const session = async (server: ServerHandle, pkiForSession: BenchPki): Promise<ReadSession> =>
      authorisedReadSession(pkiForSession, `https://localhost:${server.port}`);

    /** Several instances on one PostgreSQL database, and the PostgreSQL read against SQLite's. */
    const measureInstances = async (): Promise<void> => {
      const name = `psd2_bench_${process.pid}_instances`;
      const created = await createPostgresDatabase(options.postgresUrl, name);
      if (created.url === undefined) {
        const why = created.why ?? 'PostgreSQL unavailable';
        notes.push(`${why}: instances skipped`);
        log(`skipping instances: ${why}`);
        return;
      }
      const pgUrl = created.url;
      const started: ServerHandle[] = [];
      const gens: LoadGenerator[] = [];
      try {
        // (1) the same read on SQLite and PostgreSQL, the gateway pinned like (c), rounds interleaved.
        const onSqlite = await startGatewayServer(sqliteUrl());
        const onPostgres = await startGatewayServer(pgUrl);
        started.push(onSqlite, onPostgres);
        const targets = [
          { server: onSqlite, read: renewedReadSession(onSqlite), results: [] as LoadResult[] },
          { server: onPostgres, read: renewedReadSession(onPostgres), results: [] as LoadResult[] },
        ];
        for (let round = 1; round <= options.rounds; round++) {
          for (const [i, target] of targets.entries()) {
            log(`round ${round}/${options.rounds}: instances: read on ${i === 0 ? 'SQLite' : 'PostgreSQL'}`);
            const { result } = await load(
              loader as LoadGenerator,
              target.server,
              await target.read(),
              alice,
              roundMs,
            );
            target.results.push(result);
          }
        }
        const [sqliteRead, postgresRead] = targets.map((t) => combine(t.results)) as [Throughput, Throughput];
        for (const server of started.splice(0)) await stop(server);

        // (2) one instance, then two on the same database; servers, generators and PostgreSQL share the cores.
        const unpinned = pinned ? BOTH_CPUS : undefined;
        const first = await startGatewayServer(pgUrl, unpinned);
        const second = await startGatewayServer(pgUrl, unpinned);
        started.push(first, second);
        const read = await session(first, pki);
        gens.push(LoadGenerator.start(unpinned), LoadGenerator.start(unpinned));
        const measure = async (servers: ServerHandle[]) => {
          const before = servers.flatMap((srv) => srv.pids.map(cpuMs));
          const machineBefore = machineCpuMs();
          const startedAt = Date.now();
          const results = await Promise.all(
            servers.map((server, i) =>
              (gens[i] as LoadGenerator).run({
                type: 'load',
                origin: `https://127.0.0.1:${server.port}`,
                path: read.path,
                headers: read.headers,
                tls: alice,
                connections: Math.max(1, Math.round(options.connections / servers.length)),
                warmupMs,
                durationMs,
              }),
            ),
          );
          const elapsedMs = Date.now() - startedAt;
          const machineAfter = machineCpuMs();
          const after = servers.flatMap((srv) => srv.pids.map(cpuMs));
          const cpu = after.reduce<number>((sum, a, i) => sum + (a ?? 0) - (before[i] ?? 0), 0);
          const total = results.reduce((sum, r) => sum + (r.total ?? r.count), 0);
          const statuses: Record<string, number> = {};
          for (const r of results)
            for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
          return {
            throughput: {
              rps: results.reduce((sum, r) => sum + r.perSecond, 0),
              p50Ms: median(results.map((r) => r.p50)),
              p99Ms: Math.max(...results.map((r) => r.p99)),
              requests: results.reduce((sum, r) => sum + r.count, 0),
              statuses,
              ...(total > 0 ? { cpuUsPerRequest: (cpu * 1000) / total } : {}),
            },
            perInstance: results.map((r) => r.perSecond),
            machineCpuPercent:
              machineBefore === undefined || machineAfter === undefined
                ? undefined
                : (100 * (machineAfter - machineBefore)) / (elapsedMs * os.cpus().length),
          };
        };
        log('instances: one gateway on PostgreSQL');
        const one = await measure([first]);
        log('instances: two gateways on the same PostgreSQL database');
        const two = await measure([first, second]);
        run.instances = {
          readSqlite: sqliteRead,
          readPostgres: postgresRead,
          ...(sqliteRead.cpuUsPerRequest !== undefined && postgresRead.cpuUsPerRequest !== undefined
            ? { cpuRatioPostgresToSqlite: postgresRead.cpuUsPerRequest / sqliteRead.cpuUsPerRequest }
            : {}),
          oneInstance: one.throughput,
          twoInstances: { ...two.throughput, perInstance: two.perInstance },
          throughputRatio: two.throughput.rps / one.throughput.rps,
          ...(two.machineCpuPercent !== undefined ? { machineCpuPercent: two.machineCpuPercent } : {}),
        };
        notes.push(
          `instances: on ${os.cpus().length} cores the two gateways, their two load generators and PostgreSQL share the same cores, so two instances cannot show 2x; the figure says what the cores allow, not what a second machine would add`,
        );
      } finally {
        for (const gen of gens) await gen.stop();
        for (const server of started) await stop(server);
        await dropPostgresDatabase(options.postgresUrl, name).catch((error: unknown) =>
          log(`instances: clean-up failed: ${String(error)}`),
        );
      }
    };

    // The servers of the side-by-side comparison start once and stay up (an idle one costs nothing); the
    // measurements then rotate through them round by round, so a change in the machine's background load
    // hits every scenario alike instead of whichever ran at that moment.
    const bareRequest = { path: '/', headers: { accept: 'application/json' } };
    const roundMs = durationMs / options.rounds;
    const bareNode = want('a') || want('handshakes') ? await start({ kind: 'bare-node' }) : undefined;
    const bareExpress = want('b') ? await start({ kind: 'bare-express' }) : undefined;
    const gateway =
      want('c') || want('d') || want('f') || want('handshakes')
        ? await startGatewayServer(sqliteUrl())
        : undefined;
    // (e): the same read with the bank in its own process behind the HTTP connector. The bank is not
    // pinned: it gets whatever core is free, and its CPU is reported apart from the gateway's.
    const sandboxBank = want('e')
      ? await start(
          { kind: 'sandbox-bank', database: path.join(dir, `sandbox-bank-${dbCounter++}.db`) },
          undefined,
        )
      : undefined;
    const connectorGateway =
      sandboxBank === undefined
        ? undefined
        : await startGatewayServer(sqliteUrl(), serverCpu, 1, {
            GATEWAY_BANK_URL: `http://127.0.0.1:${sandboxBank.port}`,
            // The sandbox's customers sign in at the gateway; their accounts come from the bank process.
            GATEWAY_SANDBOX: 'true',
          });
    /** Access tokens live 5 minutes: a fresh consent and token well before that. */
    const renewedReadSession = (server: ServerHandle): (() => Promise<ReadSession>) => {
      let read: ReadSession | undefined;
      let readSince = 0;
      return async () => {
        if (read === undefined || Date.now() - readSince > TOKEN_REISSUE_MS) {
          read = await session(server, pki);
          readSince = Date.now();
        }
        return read;
      };
    };
    const currentRead =
      gateway === undefined
        ? async (): Promise<ReadSession> => {
            throw new Error('no gateway');
          }
        : renewedReadSession(gateway);
    const connectorRead =
      connectorGateway === undefined
        ? async (): Promise<ReadSession> => {
            throw new Error('no gateway');
          }
        : renewedReadSession(connectorGateway);
    const mallorysRequest = { path: '/v1/accounts', headers: { accept: 'application/json' } };
    // (f): every request a new payment (the load generator gives each its own X-Request-ID), so each is a
    // full initiation with its idempotency insert, not a replay of a stored answer.
    const paymentRequest: BenchRequest = {
      method: 'POST',
      path: '/v1/payments/sepa-credit-transfers',
      headers: {
        accept: 'application/json',
        'content-type': 'application/json',
        'psu-ip-address': '192.0.2.10',
      },
      body: JSON.stringify({
        debtorAccount: { iban: 'DE37100200300000123401' },
        instructedAmount: { currency: 'EUR', amount: '12.50' },
        creditorAccount: { iban: 'DE89370400440532013000' },
        creditorName: 'Bench Creditor',
        remittanceInformationUnstructured: 'bench',
      }),
    };
    const plan: {
      id: ScenarioResult['id'];
      name: string;
      server: ServerHandle | undefined;
      behind?: ServerHandle;
      request: () => Promise<BenchRequest>;
      tls: ClientTls;
    }[] = [
      {
        id: 'a' as const,
        name: 'bare node:https mTLS',
        server: bareNode,
        request: async () => bareRequest,
        tls: alice,
      },
      {
        id: 'b' as const,
        name: 'bare Express',
        server: bareExpress,
        request: async () => bareRequest,
        tls: alice,
      },
      {
        id: 'c' as const,
        name: 'gateway: authenticated balances read',
        server: gateway,
        request: currentRead,
        tls: alice,
      },
      {
        id: 'd' as const,
        name: 'gateway: refusing Mallory',
        server: gateway,
        request: async () => mallorysRequest,
        tls: mallory,
      },
      {
        id: 'e' as const,
        name: 'gateway: balances read through the HTTP bank connector',
        server: connectorGateway,
        ...(sandboxBank !== undefined ? { behind: sandboxBank } : {}),
        request: connectorRead,
        tls: alice,
      },
      {
        id: 'f' as const,
        name: 'gateway: payment initiation (201)',
        server: gateway,
        request: async () => paymentRequest,
        tls: alice,
      },
    ].filter((p) => want(p.id));
    const handshakePlan = want('handshakes')
      ? [
          {
            id: 'a' as const,
            name: 'bare node:https mTLS',
            server: bareNode as ServerHandle,
            request: async () => bareRequest,
          },
          { id: 'c' as const, name: 'gateway', server: gateway as ServerHandle, request: currentRead },
        ]
      : [];
    const loadRounds = new Map<
      string,
      { results: LoadResult[]; rss: number[]; behindCpu: number[]; memory?: Record<string, number> }
    >();
    const handshakeRounds = new Map<string, { bare: LoadResult[]; withRequest: LoadResult[] }>();
    for (let round = 1; round <= options.rounds; round++) {
      for (const item of plan) {
        if (item.server === undefined) continue;
        const request = await item.request();
        log(`round ${round}/${options.rounds}: (${item.id}) ${item.name}`);
        const { result, rssMb, memory, behindCpuUsPerRequest } = await load(
          loader as LoadGenerator,
          item.server,
          request,
          item.tls,
          roundMs,
          item.behind,
        );
        const entry = loadRounds.get(item.id) ?? { results: [], rss: [], behindCpu: [] };
        entry.results.push(result);
        if (behindCpuUsPerRequest !== undefined) entry.behindCpu.push(behindCpuUsPerRequest);
        if (memory !== undefined) entry.memory = memory;
        if (rssMb !== undefined) entry.rss.push(rssMb);
        loadRounds.set(item.id, entry);
      }
      for (const item of handshakePlan) {
        const request = await item.request();
        log(`round ${round}/${options.rounds}: (${item.id}) ${item.name}: new handshakes`);
        const { bare, withRequest } = await handshakes(item.server, request, roundMs);
        const entry = handshakeRounds.get(item.id) ?? { bare: [], withRequest: [] };
        entry.bare.push(bare);
        entry.withRequest.push(withRequest);
        handshakeRounds.set(item.id, entry);
      }
    }
    for (const item of plan) {
      const entry = loadRounds.get(item.id);
      if (entry === undefined) continue;
      const rss = entry.rss.length > 0 ? Math.max(...entry.rss) : undefined;
      run.scenarios.push({
        id: item.id,
        name: item.name,
        ...combine(entry.results),
        ...(rss ? { rssMb: rss } : {}),
        ...(entry.memory ? { memoryMb: entry.memory } : {}),
        ...(entry.behindCpu.length > 0 ? { bankCpuUsPerRequest: median(entry.behindCpu) } : {}),
      });
    }
    for (const item of handshakePlan) {
      const entry = handshakeRounds.get(item.id);
      if (entry === undefined) continue;
      const bare = combine(entry.bare);
      const withRequest = combine(entry.withRequest);
      run.handshakes.push({
        id: item.id,
        name: item.name,
        handshakesPerS: bare.rps,
        ...(useSTime ? {} : { p50Ms: bare.p50Ms, p99Ms: bare.p99Ms }),
        rounds: bare.rounds,
        connectionsWithRequestPerS: withRequest.rps,
        statuses: {
          ...bare.statuses,
          ...Object.fromEntries(Object.entries(withRequest.statuses).map(([k, v]) => [`request:${k}`, v])),
        },
      });
    }
    for (const server of [bareNode, bareExpress, gateway, connectorGateway, sandboxBank])
      if (server !== undefined) await stop(server);

    if (want('scale')) {
      // Every store gets its own gateway, all stay up, and the measurements rotate through them round by
      // round like the comparison above: "flat" compares stores measured under the same background load.
      const targets: {
        database: ScaleResult['database'];
        consents: number;
        server: ServerHandle;
        read: () => Promise<ReadSession>;
        results: LoadResult[];
      }[] = [];
      const drops: (() => Promise<void>)[] = [];
      try {
        for (const database of ['sqlite', 'postgres'] as const) {
          for (const count of options.scaleCounts) {
            let url: string;
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
              drops.push(() => dropPostgresDatabase(options.postgresUrl, name));
            }
            log(`scale: ${database} with ${count} seeded consents: seeding`);
            await seedConsents(url, count);
            const server = await startGatewayServer(url);
            targets.push({
              database,
              consents: count,
              server,
              read: renewedReadSession(server),
              results: [],
            });
          }
        }
        for (let round = 1; round <= options.rounds; round++) {
          for (const target of targets) {
            log(
              `round ${round}/${options.rounds}: scale: ${target.database} with ${target.consents} seeded consents: authenticated read`,
            );
            const read = await target.read();
            const { result } = await load(loader as LoadGenerator, target.server, read, alice, roundMs);
            target.results.push(result);
          }
        }
        for (const target of targets) {
          run.scale.push({
            database: target.database,
            consents: target.consents,
            ...combine(target.results),
          });
        }
      } finally {
        // Every server stopped, then every throwaway database dropped, even when one of them fails.
        const stopped = await Promise.allSettled(targets.map((target) => stop(target.server)));
        const dropped = await Promise.allSettled(drops.map((drop) => drop()));
        for (const outcome of [...stopped, ...dropped]) {
          if (outcome.status === 'rejected') log(`scale: clean-up failed: ${String(outcome.reason)}`);
        }
      }
    }

    if (want('instances')) {
      await measureInstances();
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
          const genCpuBefore = gen.pid === undefined ? undefined : cpuMs(gen.pid);
          const startedMs = Date.now();
          const { result } = await load(gen, server, read, alice);
          const genCpuAfter = gen.pid === undefined ? undefined : cpuMs(gen.pid);
          const elapsedMs = Date.now() - startedMs;
          const loadGeneratorCpuPercent =
            genCpuBefore === undefined || genCpuAfter === undefined
              ? undefined
              : (100 * (genCpuAfter - genCpuBefore)) / elapsedMs;
          let handshakesPerS: number | undefined;
          if (sTimeAvailable) {
            log(`workers: GATEWAY_WORKERS=${workers}, new handshakes (openssl s_time)`);
            handshakesPerS = (await sTimeHandshakes(gen, server.port, durationMs)).perSecond;
          }
          run.workers.push({
            workers,
            ...throughput(result),
            ...(loadGeneratorCpuPercent !== undefined ? { loadGeneratorCpuPercent } : {}),
            ...(handshakesPerS !== undefined ? { handshakesPerS } : {}),
          });
          await stop(server);
        }
      } finally {
        await gen.stop();
      }
      notes.push(
        `workers: the load generator (and openssl s_time) share the ${os.cpus().length} cores with the gateway workers, so 2 workers cannot reach 2x; gateway CPU = req/s x CPU us/req shows how much of the machine the workers got`,
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
