import { Command } from 'commander';
import { isValidIban } from '../accounts/iban';
import { SandboxBankConnector } from '../bank/sandbox_bank_connector';
import { loadDatabaseUrl, type Env } from '../config/config';
import { openStore } from '../store/open_store';
import { tppOrganizationIdentifier } from './tpp_command';

export interface SandboxFundsCommandParams {
  env?: Env;
  /** Where output lines go; stdout by default. */
  out?: (line: string) => void;
}

interface StoreOption {
  database?: string;
}

function sandboxIban(argument: string): string {
  const iban = argument.replace(/\s+/g, '').toUpperCase();
  if (!isValidIban(iban)) throw new Error(`"${argument}" is not a valid IBAN`);
  return iban;
}

/**
 * The sandbox PSUs' bank-held PIIS consents: which TPP may confirm funds on which account. Works on the
 * store of the embedded sandbox (GATEWAY_DATABASE_URL) or, with --database, on the sandbox bank's own
 * (`sqlite:data/sandbox-bank.db`), next to a running gateway or bank: every check reads it afresh.
 */
export function sandboxFundsCommand(params: SandboxFundsCommandParams = {}): Command {
  const out = params.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const withBank = async <T>(
    options: StoreOption,
    action: (bank: SandboxBankConnector) => Promise<T>,
  ): Promise<T> => {
    const store = await openStore(options.database ?? loadDatabaseUrl(params.env ?? process.env));
    try {
      return await action(new SandboxBankConnector(store.db));
    } finally {
      await store.close();
    }
  };
  const database = '--database <url>';
  const databaseHelp = "the sandbox bank's store (default GATEWAY_DATABASE_URL, the embedded sandbox)";

  const command = new Command('sandbox-funds').description(
    "which TPP may confirm funds on which sandbox account (the PSU's bank-held PIIS consent)",
  );
  command
    .command('allow')
    .description("let a TPP confirm funds on a sandbox account, as the account's PSU would")
    .argument('<iban>', 'the sandbox account')
    .argument('<organizationIdentifier>', 'the TPP, as its QWAC names it, e.g. PSDDE-BAFIN-444444')
    .option(database, databaseHelp)
    .action(async (ibanArgument: string, tppArgument: string, options: StoreOption) => {
      const iban = sandboxIban(ibanArgument);
      const tpp = tppOrganizationIdentifier(tppArgument);
      const outcome = await withBank(options, (bank) => bank.allowFundsConfirmation(iban, tpp));
      if (outcome === 'unknown') throw new Error(`the sandbox holds no account ${iban}`);
      out(`${tpp} ${outcome === 'allowed' ? 'may now' : 'may already'} confirm funds on ${iban}`);
    });
  command
    .command('revoke')
    .description('withdraw that permission')
    .argument('<iban>', 'the sandbox account')
    .argument('<organizationIdentifier>', 'the TPP')
    .option(database, databaseHelp)
    .action(async (ibanArgument: string, tppArgument: string, options: StoreOption) => {
      const iban = sandboxIban(ibanArgument);
      const tpp = tppOrganizationIdentifier(tppArgument);
      if (!(await withBank(options, (bank) => bank.revokeFundsConfirmation(iban, tpp))))
        throw new Error(`${tpp} had no permission to confirm funds on ${iban}`);
      out(`${tpp} may no longer confirm funds on ${iban}`);
    });
  command
    .command('list')
    .description('every permission: account, its PSU, the TPP')
    .option(database, databaseHelp)
    .option('--json', 'print JSON instead of one line per permission')
    .action(async (options: StoreOption & { json?: boolean }) => {
      const permissions = await withBank(options, (bank) => bank.fundsConfirmationPermissions());
      if (options.json === true) out(JSON.stringify(permissions, null, 2));
      else if (permissions.length === 0) out('no TPP may confirm funds on any account');
      else {
        out('iban  psuId  organizationIdentifier');
        for (const p of permissions) out([p.iban, p.psuId, p.tpp].join('  '));
      }
    });
  return command;
}
