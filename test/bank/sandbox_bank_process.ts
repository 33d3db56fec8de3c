/**
 * `npm run sandbox-bank` as a real child process on 127.0.0.1, in its own process group so that a test
 * can kill it (the bank dying) and start it again on the same port (the bank coming back).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config/project_root';

export interface SandboxBankProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** SIGKILL to the whole group: no goodbye, connections just drop. */
  kill(): Promise<void>;
}

export interface StartSandboxBankParams {
  database: string;
  port?: number;
  /** Through `npm run sandbox-bank` (builds first) or straight from dist/ (already built). */
  viaNpm?: boolean;
  extraArgs?: string[];
}

export function startSandboxBankProcess(params: StartSandboxBankParams): Promise<SandboxBankProcess> {
  const args = [
    '--port',
    String(params.port ?? 0),
    '--json',
    '--database',
    params.database,
    '--log-level',
    'warn',
    ...(params.extraArgs ?? []),
  ];
  const child =
    params.viaNpm === true
      ? spawn('npm', ['run', '--silent', 'sandbox-bank', '--', ...args], {
          cwd: PROJECT_ROOT,
          detached: true,
        })
      : spawn(
          process.execPath,
          [path.join(PROJECT_ROOT, 'dist', 'cli', 'main.js'), 'sandbox-bank', ...args],
          {
            cwd: PROJECT_ROOT,
            detached: true,
          },
        );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await exited;
  };
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('{"url"'));
      if (line === undefined) return;
      const { url } = JSON.parse(line) as { url: string };
      resolve({ url, port: Number(new URL(url).port), child, kill });
    });
    child.once('exit', (code) =>
      reject(
        new Error(`sandbox bank exited with ${String(code)} before listening: ${stderr.slice(0, 2000)}`),
      ),
    );
  });
}
