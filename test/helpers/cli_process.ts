import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');

export interface CliResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** `psd2-gateway <args>` in its own process on `databaseUrl`, as an operator runs it next to a gateway. */
export function cliProcess(databaseUrl: string, ...args: string[]): Promise<CliResult> {
  return cliCommand(args, { GATEWAY_DATABASE_URL: databaseUrl });
}

/** `psd2-gateway <args>` in its own process, with only PATH and `env` in its environment. */
export async function cliCommand(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['-r', path.join(ROOT, 'test/helpers/ts_register.js'), path.join(ROOT, 'src/cli/main.ts'), ...args],
      { env: { PATH: process.env.PATH, ...env }, cwd: ROOT },
    );
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}
