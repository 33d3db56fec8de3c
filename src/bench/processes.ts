/**
 * Child processes of a bench run: servers and the load generator, each optionally pinned to a core with
 * taskset, talking to the orchestrator over Node's IPC channel.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { gatewayNodeFlags } from '../config/node_flags';
import type { HandshakeJob, LoadJob, LoadMessage, LoadResult, STimeJob } from './load_child';
import { encodeServerJob, type ServerJob, type ServerMessage } from './server_child';

/** Whether `taskset` exists and may pin to both cores here. */
export function canPin(): boolean {
  const result = spawnSync('taskset', ['-c', '0,1', 'true'], { stdio: 'ignore' });
  return result.status === 0;
}

/** Whether `openssl s_time` is there to drive full handshakes. */
export function hasOpensslSTime(): boolean {
  const result = spawnSync('openssl', ['s_time', '-help'], { stdio: 'ignore' });
  return result.status === 0 || result.status === 1;
}

/** Start `script` under node, pinned to `cpus` (a taskset list such as "1") when given. */
function spawnNode(
  script: string,
  args: string[],
  cpus: string | undefined,
  execArgv: string[],
): ChildProcess {
  const node = [...execArgv, script, ...args];
  const [command, argv] =
    cpus === undefined ? [process.execPath, node] : ['taskset', ['-c', cpus, process.execPath, ...node]];
  // taskset execs node in place, so the pid and the IPC channel (NODE_CHANNEL_FD) are node's.
  return spawn(command, argv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.connected) child.send({ type: 'stop' });
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface ServerHandle {
  port: number;
  /** The server's processes (primary first, for a cluster). */
  pids: number[];
  /** process.memoryUsage() of a single-process server, in MB; undefined for a cluster. */
  memory(): Promise<Record<string, number> | undefined>;
  stop(): Promise<void>;
}

export async function startServer(
  job: ServerJob,
  cpus: string | undefined,
  execArgv: string[] = [],
): Promise<ServerHandle> {
  // Every server runs with the flags `npm start` gives the gateway, so the comparison is like for like.
  const child = spawnNode(path.join(__dirname, 'server_child.js'), [encodeServerJob(job)], cpus, [
    ...gatewayNodeFlags(),
    ...execArgv,
  ]);
  const message = await new Promise<ServerMessage>((resolve, reject) => {
    child.once('message', (m) => resolve(m as ServerMessage));
    child.once('exit', (code) => reject(new Error(`${job.kind} server exited during start (code ${code})`)));
  });
  if (message.type !== 'ready') {
    await exited(child);
    throw new Error(
      `${job.kind} server did not start: ${message.type === 'failed' ? message.error : message.type}`,
    );
  }
  const memory = (): Promise<Record<string, number> | undefined> =>
    message.pids.length !== 1 || !child.connected
      ? Promise.resolve(undefined)
      : new Promise((resolve) => {
          const onMessage = (m: unknown) => {
            const reply = m as ServerMessage;
            if (reply.type !== 'memory') return;
            child.off('message', onMessage);
            resolve(Object.fromEntries(Object.entries(reply.usage).map(([k, v]) => [k, v / 1048576])));
          };
          child.on('message', onMessage);
          child.send({ type: 'memory' });
        });
  return { port: message.port, pids: message.pids, memory, stop: () => stopChild(child, 15_000) };
}

export class LoadGenerator {
  private constructor(private readonly child: ChildProcess) {}

  static start(cpus: string | undefined): LoadGenerator {
    return new LoadGenerator(spawnNode(path.join(__dirname, 'load_child.js'), [], cpus, []));
  }

  /** The load generator's own process (its openssl s_time clients are children of it). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  run(job: LoadJob | HandshakeJob | STimeJob): Promise<LoadResult> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`load generator exited (code ${code})`));
      this.child.once('exit', onExit);
      this.child.once('message', (m) => {
        this.child.off('exit', onExit);
        const message = m as LoadMessage;
        if (message.type === 'result') resolve(message.result);
        else reject(new Error(`load generator: ${message.error}`));
      });
      this.child.send(job);
    });
  }

  async stop(): Promise<void> {
    this.child.disconnect();
    await exited(this.child);
  }
}

/** Resident set size of a process in MB from /proc, or undefined where there is no /proc. */
export function rssMb(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a process has used so far, in ms, from /proc; undefined without /proc. */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux build we run on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Samples the summed RSS of `pids` until stopped; returns the peak in MB. */
export function sampleRss(pids: number[], everyMs = 200): () => number | undefined {
  let peak: number | undefined;
  const sample = () => {
    const values = pids.map(rssMb).filter((v): v is number => v !== undefined);
    if (values.length === 0) return;
    const total = values.reduce((s, v) => s + v, 0);
    peak = peak === undefined ? total : Math.max(peak, total);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return () => {
    clearInterval(timer);
    sample();
    return peak;
  };
}
