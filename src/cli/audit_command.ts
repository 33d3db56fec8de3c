import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Command } from 'commander';
import { loadDatabaseUrl, type Env } from '../config/config';
import { exportAuditTrail, verifyAuditTrail } from '../store/kysely_audit_trail';
import { openStore, type Store } from '../store/open_store';

export interface AuditCommandParams {
  env?: Env;
  /** Where output lines go; stdout by default. */
  out?: (line: string) => void;
  /** Progress and diagnostics; stderr by default. */
  err?: (line: string) => void;
  /** Default: process.exitCode. */
  setExitCode?: (code: number) => void;
}

/** `--from 2026-10-01` means that day's start; `--to 2026-12-31` includes that whole day. */
export function parseBound(value: string, end: boolean): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const day = new Date(`${value}T00:00:00.000Z`);
    if (Number.isNaN(day.getTime())) throw new Error(`not a date: ${value}`);
    if (end) day.setUTCDate(day.getUTCDate() + 1);
    return day.toISOString();
  }
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw new Error(`not a date or ISO timestamp: ${value}`);
  return at.toISOString();
}

/**
 * The audit trail for operators and auditors (RTS Art. 29): check the hash chain, export a period.
 * Works on the store named by GATEWAY_DATABASE_URL, while gateways keep appending.
 */
export function auditCommand(params: AuditCommandParams = {}): Command {
  const out = params.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = params.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  const setExitCode =
    params.setExitCode ??
    ((code: number) => {
      process.exitCode = code;
    });
  const withStore = async <T>(action: (store: Store) => Promise<T>): Promise<T> => {
    const store = await openStore(loadDatabaseUrl(params.env ?? process.env));
    try {
      return await action(store);
    } finally {
      await store.close();
    }
  };

  const command = new Command('audit').description(
    'check and export the tamper-evident audit trail (GATEWAY_DATABASE_URL, default sqlite:./data/gateway.db)',
  );

  command
    .command('verify')
    .description(
      'check the whole hash chain; exit 1 naming the first record changed, deleted, inserted or reordered',
    )
    .option('--json', 'print the verdict as JSON')
    .action(async (options: { json?: boolean }) => {
      const verdict = await withStore((store) => verifyAuditTrail(store.db));
      if (options.json === true) out(JSON.stringify(verdict));
      else if (verdict.ok)
        out(`audit trail intact: ${verdict.records} records; head ${verdict.head.seq} ${verdict.head.hash}`);
      else out(`audit trail broken at record ${verdict.problem?.seq}: ${verdict.problem?.message}`);
      setExitCode(verdict.ok ? 0 : 1);
    });

  command
    .command('export')
    .description('write the records of a period as JSON lines, in sequence order, with their hashes')
    .option('--from <date>', 'first day (YYYY-MM-DD, UTC) or ISO timestamp, inclusive')
    .option('--to <date>', 'last day (YYYY-MM-DD, UTC, inclusive) or ISO timestamp (exclusive)')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (options: { from?: string; to?: string; out?: string }) => {
      const range = {
        ...(options.from !== undefined ? { from: parseBound(options.from, false) } : {}),
        ...(options.to !== undefined ? { to: parseBound(options.to, true) } : {}),
      };
      const file = options.out !== undefined ? createWriteStream(options.out) : undefined;
      let count = 0;
      await withStore(async (store) => {
        for await (const record of exportAuditTrail(store.db, range)) {
          const line = JSON.stringify(record);
          if (file === undefined) out(line);
          else if (!file.write(`${line}\n`)) await once(file, 'drain');
          count++;
          if (file !== undefined && count % 10_000 === 0) err(`audit export: ${count} records`);
        }
      });
      if (file !== undefined) {
        file.end();
        await once(file, 'finish');
        err(`audit export: ${count} records written to ${options.out}`);
      }
    });
  return command;
}
