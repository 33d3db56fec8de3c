import { Command, InvalidArgumentError } from 'commander';
import { loadDatabaseUrl, type Env } from '../config/config';
import { parseOrganizationIdentifier } from '../pki/qwac/organization_identifier';
import { KyselyPaymentRepository } from '../store/kysely_payment_repository';
import { KyselyTppRedirectHosts } from '../store/kysely_tpp_redirect_hosts';
import { KyselyTppStopList } from '../store/kysely_tpp_stop_list';
import { openStore, type Store } from '../store/open_store';
import { redirectHost, registrableRedirectHost } from '../tpp/redirect_host';
import type { TppBlock } from '../tpp/stop_list';

export interface TppCommandParams {
  env?: Env;
  /** Where output lines go; stdout by default. */
  out?: (line: string) => void;
  clock?: () => Date;
}

const X5T_S256 = /^[A-Za-z0-9_-]{43}$/;
const HEX_SHA256 = /^(?:[0-9a-fA-F]{2}:?){31}[0-9a-fA-F]{2}$/;

/**
 * The stop list matches an organizationIdentifier or an x5t#S256 thumbprint. A hex SHA-256 fingerprint
 * (what `openssl x509 -fingerprint -sha256` prints) is turned into the x5t#S256 form, so pasting it does
 * not create an entry that silently matches nothing.
 */
export function stopListSubject(argument: string): string {
  const subject = argument.trim().replace(/^x5t#S256:/i, '');
  if (HEX_SHA256.test(subject)) return Buffer.from(subject.replace(/:/g, ''), 'hex').toString('base64url');
  if (subject === '' || subject.length > 256 || /\s|[\u0000-\u001f]/.test(subject))
    throw new Error(
      `"${argument}" is neither an organizationIdentifier (e.g. PSDDE-BAFIN-123456) nor an x5t#S256 thumbprint`,
    );
  return subject;
}

/** Commander argument parsers: input the command cannot take is a usage error (exit 2), not a failure. */
const subjectArgument = (argument: string): string => {
  try {
    return stopListSubject(argument);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
};
const reasonOption = (text: string): string => {
  const reason = text.trim();
  if (reason === '') throw new InvalidArgumentError('--reason must not be empty');
  return reason;
};

const kindOf = (subject: string): string =>
  X5T_S256.test(subject) && !/^PSD/.test(subject) ? 'x5t#S256' : 'organizationIdentifier';

/**
 * The bank's TPP stop list: a blocked TPP is refused with 401 CERTIFICATE_BLOCKED by every gateway on the
 * same store, within a second, on open connections too, whatever its certificate and tokens say.
 */
export function tppCommand(params: TppCommandParams = {}): Command {
  const out = params.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const clock = params.clock ?? (() => new Date());

  const withStore = async <T>(action: (store: Store) => Promise<T>): Promise<T> => {
    const store = await openStore(loadDatabaseUrl(params.env ?? process.env));
    try {
      return await action(store);
    } finally {
      await store.close();
    }
  };
  const withStopList = <T>(action: (stopList: KyselyTppStopList) => Promise<T>): Promise<T> =>
    withStore((store) => action(new KyselyTppStopList(store.db)));
  const withHosts = <T>(action: (hosts: KyselyTppRedirectHosts) => Promise<T>): Promise<T> =>
    withStore((store) => action(new KyselyTppRedirectHosts(store.db)));

  const command = new Command('tpp').description(
    'stop and re-admit TPPs (store: GATEWAY_DATABASE_URL, default sqlite:./data/gateway.db)',
  );

  command
    .command('block')
    .description(
      "refuse a TPP with 401 CERTIFICATE_BLOCKED on its next request; its payments awaiting the PSU's authorisation are rejected",
    )
    .argument(
      '<subject>',
      'organizationIdentifier, or x5t#S256 thumbprint of one certificate',
      subjectArgument,
    )
    .requiredOption('--reason <text>', 'why (kept in the store and logged with every refusal)', reasonOption)
    .action(async (subject: string, options: { reason: string }) => {
      const { reason } = options;
      const { created, rejected } = await withStore(async (store) => {
        const at = clock();
        const block = await new KyselyTppStopList(store.db).block(subject, reason, at);
        // After the block: a payment initiated in the second before the gateways see it is still refused
        // at its authorisation, which asks the stop list itself.
        return {
          ...block,
          rejected: await new KyselyPaymentRepository(store.db).rejectAwaitingOfTpp(subject, at),
        };
      });
      out(`${kindOf(subject)} ${subject} is ${created ? 'blocked' : 'still blocked, reason updated'}`);
      out(`${rejected} payment${rejected === 1 ? '' : 's'} awaiting the PSU's authorisation rejected (RJCT)`);
    });

  command
    .command('unblock')
    .description('remove a TPP from the stop list')
    .argument('<subject>', 'as given to `tpp block`', subjectArgument)
    .action(async (subject: string) => {
      if (!(await withStopList((s) => s.unblock(subject))))
        throw new Error(`${subject} is not on the stop list`);
      out(`${kindOf(subject)} ${subject} is unblocked`);
    });

  command
    .command('list')
    .description('show the stop list, oldest block first')
    .option('--json', 'print JSON instead of one line per entry')
    .action(async (options: { json?: boolean }) => {
      const blocks = await withStopList((s) => s.list());
      if (options.json === true) {
        out(
          JSON.stringify(
            blocks.map((b: TppBlock) => ({ ...b, kind: kindOf(b.subject) })),
            null,
            2,
          ),
        );
      } else if (blocks.length === 0) {
        out('no blocked TPPs');
      } else {
        out('blockedAt  kind  subject  reason');
        for (const b of blocks) out([b.blockedAt, kindOf(b.subject), b.subject, b.reason].join('  '));
      }
    });

  const hosts = command
    .command('hosts')
    .description(
      "the TPP directory: hosts a TPP-Redirect-URI may name; registered hosts replace the QWAC's own names",
    );

  hosts
    .command('add')
    .description('register a redirect host for a TPP (api.tpp.example, or *.tpp.example for one label)')
    .argument('<organizationIdentifier>', 'the TPP, e.g. PSDDE-BAFIN-123456')
    .argument('<host>', 'host name, optionally *. wildcard')
    .action(async (orgArgument: string, hostArgument: string) => {
      const organizationIdentifier = tppOrganizationIdentifier(orgArgument);
      const host = registrableRedirectHost(hostArgument);
      const { created } = await withHosts((h) => h.add(organizationIdentifier, host, clock()));
      out(`${host} is ${created ? 'registered' : 'already registered'} for ${organizationIdentifier}`);
    });

  hosts
    .command('remove')
    .description('remove a registered redirect host')
    .argument('<organizationIdentifier>', 'the TPP')
    .argument('<host>', 'as given to `tpp hosts add`')
    .action(async (orgArgument: string, hostArgument: string) => {
      const organizationIdentifier = tppOrganizationIdentifier(orgArgument);
      const host = redirectHost(hostArgument);
      if (!(await withHosts((h) => h.remove(organizationIdentifier, host))))
        throw new Error(`${host} is not registered for ${organizationIdentifier}`);
      out(`${host} is no longer registered for ${organizationIdentifier}`);
    });

  hosts
    .command('list')
    .description('show registered redirect hosts, of one TPP or of all')
    .argument('[organizationIdentifier]', 'only this TPP')
    .option('--json', 'print JSON instead of one line per host')
    .action(async (orgArgument: string | undefined, options: { json?: boolean }) => {
      const organizationIdentifier =
        orgArgument === undefined ? undefined : tppOrganizationIdentifier(orgArgument);
      const entries = await withHosts((h) => h.list(organizationIdentifier));
      if (options.json === true) out(JSON.stringify(entries, null, 2));
      else if (entries.length === 0) out('no registered redirect hosts');
      else {
        out('organizationIdentifier  host  addedAt');
        for (const e of entries) out([e.organizationIdentifier, e.host, e.addedAt].join('  '));
      }
    });

  return command;
}

/** The directory is keyed by what the QWAC carries: a well-formed PSD2 organizationIdentifier only. */
export function tppOrganizationIdentifier(argument: string): string {
  const value = argument.trim();
  const parsed = parseOrganizationIdentifier(value);
  if (!parsed.ok) throw new Error(`"${argument}" is not a PSD2 organizationIdentifier: ${parsed.reason}`);
  return value;
}
