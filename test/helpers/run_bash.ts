import { spawn } from 'node:child_process';

export interface BashResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `script` with `set -eu` in `cwd`, the process environment plus `env`. */
export function runBash(script: string, cwd: string, env: Record<string, string>): Promise<BashResult> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', `set -eu\n${script}`], { cwd, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
