import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config/project_root';
import type { Env } from '../../src/config/config';
import { testPkiFiles } from './test_pki';

export interface LogLine {
  event?: string;
  msg?: string;
  [key: string]: unknown;
}

/**
 * The real process entry (src/main.ts: admin listener, workers, signals) as a child, with its JSON log
 * lines collected. gateway_process.ts starts startGateway alone.
 */
export class MainProcess {
  readonly lines: LogLine[] = [];
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: (() => void)[] = [];

  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString();
      partial += chunk.toString();
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const part of parts) {
        try {
          this.lines.push(JSON.parse(part) as LogLine);
        } catch {
          this.lines.push({ msg: part });
        }
      }
      this.notify();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
      this.notify();
    });
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        this.notify();
        resolve({ code, signal });
      }),
    );
  }

  /** Starts src/main.ts with the run's fixture PKI, both ports 0, and `env` on top. */
  static start(databaseUrl: string, env: Env = {}): MainProcess {
    const files = testPkiFiles();
    const child = spawn(
      process.execPath,
      [
        '--require',
        path.join(PROJECT_ROOT, 'test/helpers/ts_register.js'),
        path.join(PROJECT_ROOT, 'src/main.ts'),
      ],
      {
        cwd: PROJECT_ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          GATEWAY_HOST: '127.0.0.1',
          GATEWAY_PORT: '0',
          GATEWAY_ADMIN_PORT: '0',
          GATEWAY_TRUST_ANCHOR: files.anchor,
          GATEWAY_TLS_CERT: files.serverChain,
          GATEWAY_TLS_KEY: files.serverKey,
          GATEWAY_CRL: files.crls.join(','),
          GATEWAY_DATABASE_URL: databaseUrl,
          GATEWAY_LOG_LEVEL: 'info',
          ...env,
        } as NodeJS.ProcessEnv,
      },
    );
    return new MainProcess(child);
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves with the first value `find` returns from the output so far or to come; rejects if the process exits first. */
  async waitFor<T>(find: (p: MainProcess) => T | undefined, what: string): Promise<T> {
    for (;;) {
      const found = find(this);
      if (found !== undefined) return found;
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(`gateway exited before ${what}:\n${this.stderr}\n${this.stdout.slice(-3000)}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  line(event: string, match: (l: LogLine) => boolean = () => true): Promise<LogLine> {
    return this.waitFor((p) => p.lines.find((l) => l.event === event && match(l)), `log event ${event}`);
  }

  /** The TLS listener's URL (first worker's, with several). */
  async tppUrl(): Promise<string> {
    return String((await this.line('listening')).url);
  }

  /** The admin listener's URL: logged by the process, or by the primary on stderr with several workers. */
  adminUrl(): Promise<string> {
    return this.waitFor((p) => {
      const logged = p.lines.find((l) => l.event === 'admin_listening');
      if (logged !== undefined) return String(logged.url);
      return /admin listener on (http:\/\/\S+)/.exec(p.stderr)?.[1];
    }, 'the admin listener');
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await this.exited;
    clearTimeout(timer);
  }
}
