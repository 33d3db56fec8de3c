import { Command, Option } from 'commander';
import { createLogger } from '../audit/logger';
import { loadBankSettings, loadDatabaseUrl, type Env } from '../config/config';
import { CONSENT_STATUSES, type Consent, type ConsentStatus } from '../consent/consent';
import { ConsentService } from '../consent/consent_service';
import { GatewayError } from '../errors/gateway_error';
import { openBankConnector } from '../bank/open_bank_connector';
import { openStore } from '../store/open_store';

export interface ConsentCommandParams {
  env?: Env;
  /** Where output lines go; stdout by default. */
  out?: (line: string) => void;
}

/**
 * Development and demo helper: decide consents from the shell while (or instead of) the PSU-facing OAuth
 * pages. It works directly on the store named by GATEWAY_DATABASE_URL, so it needs no certificates.
 */
export function consentCommand(params: ConsentCommandParams = {}): Command {
  const out = params.out ?? ((line: string) => process.stdout.write(`${line}\n`));

  const withService = async <T>(action: (service: ConsentService) => Promise<T>): Promise<T> => {
    const env = params.env ?? process.env;
    // Read before the store opens: a production environment without a bank is refused as at start.
    const settings = loadBankSettings(env);
    const store = await openStore(loadDatabaseUrl(env));
    let close: (() => Promise<void>) | undefined;
    try {
      // The PSU's accounts come from the bank the gateway serves: the embedded sandbox (loaded here too,
      // in case the gateway never started on this store) or the bank behind GATEWAY_BANK_URL.
      const bank = await openBankConnector(settings.bank, {
        db: store.db,
        logger: createLogger('warn', process.stderr),
        sandbox: settings.sandbox,
      });
      close = () => bank.connector.close();
      return await action(new ConsentService({ repository: store.consents, accounts: bank.connector }));
    } catch (error) {
      if (error instanceof GatewayError) {
        throw new Error(
          `${error.code}: ${error.text}${error.detail !== undefined ? ` (${error.detail})` : ''}`,
        );
      }
      throw error;
    } finally {
      if (close !== undefined) await close();
      await store.close();
    }
  };

  const describe = (c: Consent): string =>
    [
      c.id,
      c.status,
      c.owner.organizationIdentifier,
      c.psuId ?? '-',
      c.validUntil,
      `${c.frequencyPerDay}/day`,
    ].join('  ');

  const command = new Command('consent').description(
    'inspect and decide AIS consents in the store (GATEWAY_DATABASE_URL, default sqlite:./data/gateway.db)',
  );

  command
    .command('list')
    .description('list consents, oldest first')
    .option('--json', 'print JSON instead of one line per consent')
    .option('--tpp <organizationIdentifier>', 'only consents of this TPP')
    .addOption(new Option('--status <status>', 'only consents in this status').choices([...CONSENT_STATUSES]))
    .action(async (options: { json?: boolean; tpp?: string; status?: ConsentStatus }) => {
      const consents = await withService((s) =>
        s.list({
          ...(options.tpp !== undefined ? { tppOrganizationIdentifier: options.tpp } : {}),
          ...(options.status !== undefined ? { status: options.status } : {}),
        }),
      );
      if (options.json === true) {
        out(JSON.stringify(consents, null, 2));
      } else if (consents.length === 0) {
        out('no consents');
      } else {
        out('consentId  status  tpp  psu  validUntil  frequency');
        for (const c of consents) out(describe(c));
      }
    });

  command
    .command('authorise')
    .alias('authorize')
    .description(
      "approve a received consent on a PSU's behalf (sandbox PSUs: see fixtures/sandbox_bank.json)",
    )
    .argument('<consentId>')
    .requiredOption('--psu <psuId>', 'the PSU granting the consent')
    .option(
      '--accounts <ibans>',
      'comma-separated IBANs to grant (default: what was asked, or all the PSU holds)',
    )
    .action(async (consentId: string, options: { psu: string; accounts?: string }) => {
      const ibans = options.accounts
        ?.split(',')
        .map((iban) => iban.replace(/\s+/g, '').toUpperCase())
        .filter((iban) => iban !== '');
      const consent = await withService((s) => s.authorise(consentId, options.psu, ibans));
      const grant = consent.grant;
      out(`consent ${consent.id} is ${consent.status} for PSU ${options.psu}`);
      if (grant !== undefined) {
        out(`  accounts: ${grant.accounts.join(', ') || '-'}`);
        out(`  balances: ${grant.balances.join(', ') || '-'}`);
        out(`  transactions: ${grant.transactions.join(', ') || '-'}`);
      }
    });

  command
    .command('reject')
    .description('reject a received consent')
    .argument('<consentId>')
    .option('--psu <psuId>', 'record the PSU who declined')
    .action(async (consentId: string, options: { psu?: string }) => {
      const consent = await withService((s) => s.reject(consentId, options.psu));
      out(`consent ${consent.id} is ${consent.status}`);
    });

  return command;
}
