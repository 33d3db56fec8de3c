import { readFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { buildSandboxBank, readSandboxBankFixture } from '../accounts/sandbox_bank';
import type { Logger } from '../audit/logger';
import type { BankConfig } from '../config/config';
import { loadSandboxBank } from '../store/load_sandbox_bank';
import type { Database } from '../store/schema';
import type { BankConnector, SandboxPsuSignIn } from './bank_connector';
import { SandboxBankConnector } from './sandbox_bank_connector';

export interface OpenedBank {
  connector: BankConnector;
  /** Only the embedded sandbox has passwords; a real bank signs its PSUs in itself. */
  signIn: SandboxPsuSignIn | undefined;
}

/**
 * The bank the configuration names. The embedded sandbox lives in the gateway's store and is loaded into
 * it on first start; with GATEWAY_BANK_URL (and no GATEWAY_SANDBOX=true) nothing of the sandbox is loaded
 * or reachable. A bank that is down at start does not stop the gateway: reads answer 503 until it returns.
 */
export async function openBankConnector(
  config: BankConfig,
  deps: {
    db: Kysely<Database>;
    logger: Logger;
    sandbox: boolean;
    /** Latency and failures of each call to the bank process (psd2_bank_connector_* metrics). */
    onBankCall?: (operationId: string, seconds: number, ok: boolean) => void;
  },
): Promise<OpenedBank> {
  // The sandbox's books (and its password directory) enter the gateway's store only in sandbox mode.
  const sandbox = deps.sandbox ? new SandboxBankConnector(deps.db) : undefined;
  if (sandbox !== undefined) await loadSandboxBank(deps.db, buildSandboxBank(readSandboxBankFixture()));
  if (config.kind === 'sandbox') {
    if (sandbox === undefined) throw new Error('the embedded bank is the sandbox: sandbox mode required');
    return { connector: sandbox, signIn: sandbox };
  }
  const read = (file: string | undefined) => (file === undefined ? undefined : readFileSync(file));
  const tls = {
    ...(config.caFile !== undefined ? { ca: read(config.caFile) } : {}),
    ...(config.clientCertFile !== undefined ? { cert: read(config.clientCertFile) } : {}),
    ...(config.clientKeyFile !== undefined ? { key: read(config.clientKeyFile) } : {}),
  };
  // Loaded only for a bank behind HTTP: undici under it costs some 20 MB of resident memory.
  const { HttpBankConnector } = await import('./http_bank_connector');
  const connector = await HttpBankConnector.create({
    url: config.url,
    tls,
    timeoutMs: config.timeoutMs,
    logger: deps.logger,
    ...(deps.onBankCall !== undefined ? { onCall: deps.onBankCall } : {}),
  });
  try {
    await connector.ping();
    deps.logger.info({ event: 'bank_connected', url: config.url }, 'bank answers');
  } catch {
    // Already logged by the connector with the reason.
    deps.logger.warn({ event: 'bank_down_at_start', url: config.url }, 'bank not reachable; starting anyway');
  }
  // GATEWAY_SANDBOX=true in front of a bank process (e.g. `npm run sandbox-bank`): the published test
  // customers sign in here and the bank must know the same PSU ids.
  return { connector, signIn: sandbox };
}
