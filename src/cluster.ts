/**
 * GATEWAY_WORKERS=N: N gateway processes share one listening port (node:cluster). The primary only forks,
 * forwards signals and replaces a worker that dies; each worker is a complete gateway (its own trust
 * store, verdict cache and database connections). Default 1: no cluster, the gateway runs in this process.
 *
 * Workers start one after another: the first one applies the database migrations and loads the sandbox
 * bank before the next one opens the store (Kysely takes no migration lock on SQLite).
 */
import cluster, { type Worker } from 'node:cluster';
import net, { type AddressInfo } from 'node:net';
import { loadListenAddress, loadWorkerCount, type Env } from './config/config';

/** More workers than this is a typo, not a deployment. */
/** A worker that dies within this long of its start counts towards the crash-loop limit. */
const CRASH_WINDOW_MS = 10_000;
const MAX_RESTARTS_IN_WINDOW = 5;
/** Workers close their connections within this long of a stop signal, or are killed (default). */
const STOP_GRACE_MS = 10_000;

export interface RunClusteredParams {
  /** Number of worker processes; 1 runs `runWorker` in this process without a cluster. Default: from `env`. */
  workers?: number;
  /** Where GATEWAY_WORKERS is read when `workers` is not given (main.ts passes process.env). */
  env?: Env;
  /** What each worker runs: start the gateway and install its own signal handlers (main.ts's `main`). */
  runWorker: () => Promise<void>;
  /** Lines from the primary (worker started, died, replaced); default stderr. */
  log?: (line: string) => void;
  /** Called once, in the primary, when every worker is listening. */
  onListening?: (address: AddressInfo) => void;
  /** Called once, in the primary, when a stop signal arrives (the admin listener starts failing /readyz). */
  onStop?: () => void;
  /** How long workers get to finish after a stop signal before they are killed; default 10 s. */
  stopGraceMs?: number;
}

/**
 * Runs the gateway as `workers` processes. In a worker (or with one worker) this is `runWorker()`; in the
 * primary the returned promise settles when the cluster has started, and the process stays up until a
 * signal stops the workers.
 */
export async function runClustered(params: RunClusteredParams): Promise<void> {
  // Inside the async function, so a bad GATEWAY_WORKERS rejects like any other start-up error.
  const total = params.workers ?? loadWorkerCount(params.env ?? {});
  if (total <= 1 || cluster.isWorker) return params.runWorker();
  const log = params.log ?? ((line: string) => process.stderr.write(`psd2-gateway primary: ${line}\n`));
  let stopping = false;
  let startedAll = false;
  const recentCrashes: number[] = [];
  const startedAt = new Map<Worker, number>();

  const workerEnv = await portForWorkers(params.env ?? {});
  const fork = (): Worker => {
    const worker = cluster.fork(workerEnv);
    startedAt.set(worker, Date.now());
    return worker;
  };
  const listening = (worker: Worker): Promise<AddressInfo> =>
    new Promise((resolve, reject) => {
      const onListening = (address: AddressInfo) => {
        worker.off('exit', onExit);
        resolve(address);
      };
      const onExit = (code: number | null, signal: string | null) => {
        worker.off('listening', onListening);
        reject(new Error(`worker ${worker.id} exited during start (${signal ?? `code ${code ?? '?'}`})`));
      };
      worker.once('listening', onListening);
      worker.once('exit', onExit);
    });

  const stopAll = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    params.onStop?.();
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    if (alive.length === 0) process.exit(0);
    for (const worker of alive) worker.process.kill(signal);
    // A worker that does not finish closing in time is not waited for forever.
    setTimeout(() => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
    }, params.stopGraceMs ?? STOP_GRACE_MS).unref();
  };
  process.once('SIGINT', () => stopAll('SIGINT'));
  process.once('SIGTERM', () => stopAll('SIGTERM'));
  process.on('SIGHUP', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGHUP');
  });

  cluster.on('exit', (worker, code, signal) => {
    startedAt.delete(worker);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    if (!startedAll) return; // start-up failures are reported by the start sequence below
    const now = Date.now();
    recentCrashes.push(now);
    while (recentCrashes.length > 0 && (recentCrashes[0] as number) < now - CRASH_WINDOW_MS)
      recentCrashes.shift();
    if (recentCrashes.length > MAX_RESTARTS_IN_WINDOW) {
      log(`workers keep dying (${recentCrashes.length} in ${CRASH_WINDOW_MS / 1000} s): stopping`);
      stopAll('SIGTERM');
      process.exitCode = 1;
      return;
    }
    log(`worker ${worker.id} died (${signal ?? `code ${code}`}); starting a replacement`);
    fork();
  });

  let address: AddressInfo | undefined;
  try {
    for (let i = 0; i < total; i++) address = await listening(fork());
  } catch (error) {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    throw error;
  }
  startedAll = true;
  log(`${total} workers listening`);
  if (address !== undefined) params.onListening?.(address);
}

/**
 * GATEWAY_PORT=0: the primary picks the port before forking, so every worker (and every replacement) is
 * told one real port and builds its links and OAuth issuer with it, instead of learning the port only
 * after it listens. The port is free when picked; another process could take it before the first worker
 * binds, which then fails the start loudly (a choice made for tests and trials, not deployments).
 */
async function portForWorkers(env: Env): Promise<Record<string, string> | undefined> {
  const { host, port: configured } = loadListenAddress(env);
  if (configured !== 0) return undefined;
  const port = await new Promise<number>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port: picked } = probe.address() as AddressInfo;
      probe.close(() => resolve(picked));
    });
  });
  return { GATEWAY_PORT: String(port) };
}
