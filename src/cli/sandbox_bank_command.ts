/**
 * `psd2-gateway sandbox-bank` (npm run sandbox-bank): the sandbox bank as its own process, serving the
 * bank-connector contract from its own SQLite file, for a gateway started with GATEWAY_BANK_URL.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { buildSandboxBank, readSandboxBankFixture } from '../accounts/sandbox_bank';
import { createLogger, type Logger } from '../audit/logger';
import { SandboxBankConnector } from '../bank/sandbox_bank_connector';
import { startSandboxBankServer } from '../bank/sandbox_bank_server';
import type { LogLevel } from '../config/config';
import { PROJECT_ROOT } from '../config/project_root';
import { loadSandboxBank } from '../store/load_sandbox_bank';
import { openStore } from '../store/open_store';

export const DEFAULT_SANDBOX_BANK_DATABASE = 'data/sandbox-bank.db';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('expected a port, 0 to 65535');
  return n;
}

export interface SandboxBankCommandOptions {
  port: number;
  host: string;
  database: string;
  cert?: string;
  key?: string;
  clientCa?: string;
  logLevel: LogLevel;
  json?: boolean;
}

export function sandboxBankCommand(): Command {
  return new Command('sandbox-bank')
    .description(
      "serve the sandbox bank over the bank-connector contract (openapi/bank-connector.json) from its own SQLite file; point the gateway's GATEWAY_BANK_URL at it",
    )
    .option('--port <port>', 'TCP port (0 picks a free one)', port, 8480)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option(
      '--database <file>',
      'SQLite file holding the bank (created and loaded on first start)',
      DEFAULT_SANDBOX_BANK_DATABASE,
    )
    .option('--cert <file>', 'serve TLS: PEM certificate chain of the bank server')
    .option('--key <file>', 'serve TLS: PEM private key of the bank server')
    .option('--client-ca <file>', 'with TLS: require a client certificate issued by this CA (the gateway)')
    .addOption(
      new Option('--log-level <level>', 'log level of the JSON log on stderr')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
        .default('info'),
    )
    .option('--json', 'print {"url":…} on stdout once listening, for scripts')
    .action(async (options: SandboxBankCommandOptions) => {
      await runSandboxBank(options);
    });
}

async function runSandboxBank(options: SandboxBankCommandOptions): Promise<void> {
  if ((options.cert === undefined) !== (options.key === undefined))
    throw new Error('give both --cert and --key, or neither');
  if (options.clientCa !== undefined && options.cert === undefined)
    throw new Error('--client-ca needs --cert and --key (client certificates are a TLS feature)');
  const logger: Logger = createLogger(options.logLevel, process.stderr);
  const file = path.resolve(PROJECT_ROOT, options.database);
  const store = await openStore(`sqlite:${file}`, { logger });
  const loaded = await loadSandboxBank(store.db, buildSandboxBank(readSandboxBankFixture()));
  if (loaded)
    logger.info({ event: 'sandbox_bank_loaded', database: options.database }, 'sandbox bank loaded');
  const bank = new SandboxBankConnector(store.db);
  const server = await startSandboxBankServer({
    bank,
    logger,
    host: options.host,
    port: options.port,
    ...(options.cert !== undefined && options.key !== undefined
      ? {
          tls: {
            cert: readFileSync(options.cert),
            key: readFileSync(options.key),
            ...(options.clientCa !== undefined ? { clientCa: readFileSync(options.clientCa) } : {}),
          },
        }
      : {}),
  });
  process.stdout.write(
    options.json === true
      ? `${JSON.stringify({ url: server.url })}\n`
      : `sandbox bank listening on ${server.url}\n`,
  );
  const stop = (): void => {
    void server
      .close()
      .then(() => store.close())
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
