/**
 * Debian's nginx and HAProxy as child processes on 127.0.0.1, each with its own configuration, pid and
 * log files in a temporary directory (never the system service). The configuration blocks come from
 * README.md, between `<!-- proxy-<name>:begin -->` and `<!-- proxy-<name>:end -->`, so the test runs
 * what operators copy.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config/project_root';

export type ProxyName = 'nginx' | 'haproxy';

export const PROXY_BINARIES: Record<ProxyName, string> = {
  nginx: '/usr/sbin/nginx',
  haproxy: '/usr/sbin/haproxy',
};

/**
 * Whether the proxy is installed. Missing, the suite skips with a message; under CI=true it must run,
 * so a missing proxy fails the run instead.
 */
export function proxyAvailable(name: ProxyName, suite: string): boolean {
  const available = existsSync(PROXY_BINARIES[name]);
  if (!available && process.env.CI === 'true')
    throw new Error(`${PROXY_BINARIES[name]} is missing: CI must install ${name} (${suite})`);
  if (!available)
    console.warn(`SKIPPED: ${suite}: ${PROXY_BINARIES[name]} not found (apt-get install ${name})`);
  return available;
}

/** The README's configuration block for this proxy. */
export function readmeProxyBlock(name: ProxyName): string {
  const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  const pattern = new RegExp(
    `<!-- proxy-${name}:begin -->\\s*\`\`\`${name}\\n([\\s\\S]*?)\`\`\`\\s*<!-- proxy-${name}:end -->`,
  );
  const block = pattern.exec(readme)?.[1];
  if (block === undefined) throw new Error(`README.md has no proxy-${name} block`);
  return block;
}

/** Replaces each README placeholder; a placeholder missing from the block is an error (README drifted). */
export function substitute(block: string, replacements: Record<string, string>): string {
  let out = block;
  for (const [from, to] of Object.entries(replacements)) {
    if (!out.includes(from)) throw new Error(`README proxy block no longer contains ${JSON.stringify(from)}`);
    out = out.split(from).join(to);
  }
  return out;
}

/** A port free right now on 127.0.0.1 (the proxies take a port number in their configuration). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export interface RunningProxy {
  port: number;
  stop(): Promise<void>;
  output(): string;
}

/** Starts the proxy in the foreground and waits until its port accepts connections. */
export async function startProxy(name: ProxyName, configFile: string, port: number): Promise<RunningProxy> {
  const args =
    name === 'nginx' ? ['-e', 'stderr', '-c', configFile, '-g', 'daemon off;'] : ['-db', '-f', configFile];
  const child: ChildProcess = spawn(PROXY_BINARIES[name], args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`${name} exited at start:\n${output}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) break;
    if (attempt > 200) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not open port ${port}:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
