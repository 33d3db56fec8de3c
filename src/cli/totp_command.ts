import { Command } from 'commander';
import { readSandboxBankFixture, SANDBOX_BANK_FILE } from '../accounts/sandbox_bank';
import type { AuthorisationSubject } from '../sca/authorisation_subject';
import { SandboxAuthenticator } from '../sca/sandbox_one_time_codes';

export interface TotpCommandParams {
  out?: (line: string) => void;
  now?: () => Date;
}

interface TotpOptions {
  fixture: string;
  json?: boolean;
  at?: string;
  consent?: string;
  paymentId?: string;
  amount?: string;
  currency: string;
  payeeIban?: string;
  payeeName?: string;
}

/**
 * The sandbox PSU's authenticator on the command line: the one-time code a phone app would show for the
 * published seed (the consent dashboard's), with --consent the code for that consent, or, with the payment
 * options, the code bound to that payment, amount and payee.
 */
export function totpCommand(params: TotpCommandParams = {}): Command {
  const out = params.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = params.now ?? (() => new Date());
  return new Command('totp')
    .description(
      "print a sandbox PSU's current one-time code (RFC 6238; seeds in fixtures/sandbox_bank.json)",
    )
    .argument('<psuId>', 'sandbox PSU, e.g. anna')
    .option('--fixture <file>', 'sandbox bank file', SANDBOX_BANK_FILE)
    .option('--at <iso-time>', 'the code at another moment (default now)')
    .option('--consent <consentId>', 'the code that authorises this consent')
    .option('--payment-id <paymentId>', 'payment: the payment the code authorises')
    .option('--amount <decimal>', 'payment: bind the code to this amount (dynamic linking)')
    .option('--currency <code>', 'payment: currency of --amount', 'EUR')
    .option('--payee-iban <iban>', "payment: the creditor's IBAN")
    .option('--payee-name <name>', "payment: the creditor's name")
    .option('--json', 'print {psuId, code, validForSeconds, otpauthUri}')
    .action((psuId: string, options: TotpOptions) => {
      const fixture = readSandboxBankFixture(options.fixture);
      const psu = fixture.psus.find((p) => p.psuId === psuId);
      if (psu === undefined) {
        throw new Error(`no sandbox PSU ${psuId} (known: ${fixture.psus.map((p) => p.psuId).join(', ')})`);
      }
      const at = options.at === undefined ? now() : new Date(options.at);
      if (Number.isNaN(at.getTime())) throw new Error(`--at: not a time: ${options.at}`);
      const payment = [options.paymentId, options.amount, options.payeeIban, options.payeeName];
      if (payment.some((v) => v !== undefined) && payment.some((v) => v === undefined)) {
        throw new Error('a payment code needs --payment-id, --amount, --payee-iban and --payee-name');
      }
      if (options.consent !== undefined && options.paymentId !== undefined) {
        throw new Error('a code is for a consent or for a payment, not both');
      }
      const subject: AuthorisationSubject =
        options.paymentId !== undefined
          ? {
              kind: 'payment',
              paymentId: options.paymentId,
              amount: options.amount ?? '',
              currency: options.currency,
              creditorIban: options.payeeIban ?? '',
              creditorName: options.payeeName ?? '',
            }
          : options.consent !== undefined
            ? { kind: 'consent', consentId: options.consent }
            : { kind: 'consentDashboard' };
      const code = new SandboxAuthenticator(fixture.psus).codeFor(psuId, subject, at);
      if (options.json !== true) {
        out(code);
        return;
      }
      const secret = base32(Buffer.from(psu.totpSeed, 'hex'));
      const label = encodeURIComponent(`${fixture.bank.name}:${psuId}`);
      const issuer = encodeURIComponent(fixture.bank.name);
      out(
        JSON.stringify({
          psuId,
          code,
          validForSeconds: 30 - (Math.floor(at.getTime() / 1000) % 30),
          otpauthUri: `otpauth://totp/${label}?secret=${secret}&issuer=${issuer}&algorithm=SHA1&digits=6&period=30`,
        }),
      );
    });
}

/** RFC 4648 base32 without padding, as otpauth:// URIs carry the seed for authenticator apps. */
export function base32(bytes: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}
