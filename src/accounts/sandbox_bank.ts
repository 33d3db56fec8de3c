import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../config/project_root';
import type { Account, Balance, Transaction } from '../bank/bank_connector';
import { isValidIban } from './iban';

/**
 * Bob's Bank sandbox: PSUs and accounts declared in `fixtures/sandbox_bank.json`, transactions generated
 * from the file's `generator` parameters with a seeded PRNG so every load produces identical rows.
 */

export const SANDBOX_BANK_FILE = path.join(PROJECT_ROOT, 'fixtures', 'sandbox_bank.json');

interface Counterparty {
  name: string;
  iban: string;
  amount: string;
  day: number;
}

interface FixtureAccount {
  resourceId: string;
  iban: string;
  currency: string;
  name: string;
  product: string;
  cashAccountType: string;
  openingBalance: string;
  creditLimit: string;
  /**
   * The TPPs (QWAC organizationIdentifier) the PSU allows to confirm funds on this account (bank-held PIIS
   * consent, given to a named card issuer, never to every TPP).
   */
  fundsConfirmation?: string[];
  monthlyIncome?: Counterparty;
  monthlyRent?: Counterparty;
}

export interface SandboxBankFixture {
  bank: { name: string; bic: string };
  period: { from: string; to: string };
  generator: {
    seed: number;
    cardPaymentsPerAccount: number;
    pendingPerAccount: number;
    merchants: { name: string; iban: string; min: string; max: string }[];
  };
  psus: {
    psuId: string;
    displayName: string;
    password: string;
    /** The PSU's authenticator seed, hex (RFC 6238 with HMAC-SHA1: 20 bytes). Public, like the password. */
    totpSeed: string;
    accounts: FixtureAccount[];
  }[];
}

export interface SandboxBank {
  psus: { psuId: string; displayName: string; password: string }[];
  accounts: (Account & { creditLimit: string; fundsConfirmation: string[] })[];
  balances: Map<string, Balance[]>;
  transactions: Map<string, Transaction[]>;
}

export class SandboxFixtureError extends Error {
  override name = 'SandboxFixtureError';
}

export function readSandboxBankFixture(file: string = SANDBOX_BANK_FILE): SandboxBankFixture {
  const fixture = JSON.parse(readFileSync(file, 'utf8')) as SandboxBankFixture;
  const fail = (what: string): never => {
    throw new SandboxFixtureError(`${path.basename(file)}: ${what}`);
  };
  if (!Array.isArray(fixture.psus) || fixture.psus.length === 0) fail('no psus');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(fixture.period?.from) || !/^\d{4}-\d{2}-\d{2}$/.test(fixture.period?.to)) {
    fail('period.from and period.to must be YYYY-MM-DD');
  }
  for (const merchant of fixture.generator.merchants) {
    if (!isValidIban(merchant.iban)) fail(`merchant ${merchant.name}: invalid IBAN ${merchant.iban}`);
  }
  for (const psu of fixture.psus) {
    if (typeof psu.totpSeed !== 'string' || !/^(?:[0-9a-f]{2}){16,64}$/.test(psu.totpSeed)) {
      fail(`psu ${psu.psuId}: totpSeed must be 16 to 64 bytes of lowercase hex`);
    }
    for (const account of psu.accounts) {
      if (!isValidIban(account.iban)) fail(`account ${account.resourceId}: invalid IBAN ${account.iban}`);
      const tpps: unknown = account.fundsConfirmation;
      // A permission names the TPP: the former `true` (every TPP) is refused rather than read as one.
      if (
        tpps !== undefined &&
        (!Array.isArray(tpps) || tpps.some((t) => typeof t !== 'string' || t === ''))
      ) {
        fail(`account ${account.resourceId}: fundsConfirmation must list TPP organizationIdentifiers`);
      }
      for (const party of [account.monthlyIncome, account.monthlyRent]) {
        if (party !== undefined && !isValidIban(party.iban))
          fail(`${party.name}: invalid IBAN ${party.iban}`);
      }
    }
  }
  return fixture;
}

/** mulberry32: tiny, seedable, good enough to scatter demo data. Not for anything secret. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function toCents(amount: string): number {
  if (!/^-?\d+(\.\d{1,2})?$/.test(amount)) throw new SandboxFixtureError(`not an amount: ${amount}`);
  const negative = amount.startsWith('-');
  const [whole = '0', fraction = ''] = amount.replace('-', '').split('.');
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  return negative ? -cents : cents;
}

export function formatCents(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

const DAY_MS = 86_400_000;
const dayNumber = (date: string): number => Date.parse(`${date}T00:00:00Z`) / DAY_MS;
const dateOf = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

interface Draft {
  valueDate: string;
  cents: number;
  counterparty: { name: string; iban: string };
  remittance: string;
  pending: boolean;
}

export function buildSandboxBank(fixture: SandboxBankFixture): SandboxBank {
  const random = seededRandom(fixture.generator.seed);
  const first = dayNumber(fixture.period.from);
  const last = dayNumber(fixture.period.to);
  // The last two days hold the pending transactions; booked ones end before them.
  const lastBooked = last - 2;
  const merchants = fixture.generator.merchants;

  const bank: SandboxBank = { psus: [], accounts: [], balances: new Map(), transactions: new Map() };
  for (const psu of fixture.psus) {
    bank.psus.push({ psuId: psu.psuId, displayName: psu.displayName, password: psu.password });
    for (const account of psu.accounts) {
      bank.accounts.push({
        resourceId: account.resourceId,
        iban: account.iban,
        bic: fixture.bank.bic,
        currency: account.currency,
        name: account.name,
        ownerName: psu.displayName,
        product: account.product,
        cashAccountType: account.cashAccountType,
        psuId: psu.psuId,
        creditLimit: account.creditLimit,
        fundsConfirmation: account.fundsConfirmation ?? [],
      });

      const drafts: Draft[] = [];
      for (let day = first; day <= lastBooked; day++) {
        const date = dateOf(day);
        const dayOfMonth = Number(date.slice(8, 10));
        const month = date.slice(0, 7);
        if (account.monthlyIncome?.day === dayOfMonth) {
          const p = account.monthlyIncome;
          drafts.push({
            valueDate: date,
            cents: toCents(p.amount),
            counterparty: p,
            remittance: `${p.name} ${month}`,
            pending: false,
          });
        }
        if (account.monthlyRent?.day === dayOfMonth) {
          const p = account.monthlyRent;
          drafts.push({
            valueDate: date,
            cents: -toCents(p.amount),
            counterparty: p,
            remittance: `Rent ${month}`,
            pending: false,
          });
        }
      }
      const card = (pending: boolean, from: number, to: number): Draft => {
        const merchant = merchants[Math.floor(random() * merchants.length)];
        if (merchant === undefined) throw new SandboxFixtureError('generator.merchants is empty');
        const min = toCents(merchant.min);
        const max = toCents(merchant.max);
        const day = from + Math.floor(random() * (to - from + 1));
        return {
          valueDate: dateOf(day),
          cents: -(min + Math.floor(random() * (max - min + 1))),
          counterparty: merchant,
          remittance: `Card payment ${merchant.name}`,
          pending,
        };
      };
      for (let i = 0; i < fixture.generator.cardPaymentsPerAccount; i++)
        drafts.push(card(false, first, lastBooked));
      for (let i = 0; i < fixture.generator.pendingPerAccount; i++)
        drafts.push(card(true, lastBooked + 1, last));

      drafts.sort((a, b) => a.valueDate.localeCompare(b.valueDate));
      const transactions = drafts.map((draft, index): Transaction => {
        const credit = draft.cents > 0;
        const transaction: Transaction = {
          transactionId: `${account.resourceId.replace(/^acc-/, 'tx-')}-${String(index + 1).padStart(4, '0')}`,
          bookingStatus: draft.pending ? 'pending' : 'booked',
          valueDate: draft.valueDate,
          transactionAmount: { currency: account.currency, amount: formatCents(draft.cents) },
          remittanceInformationUnstructured: draft.remittance,
        };
        if (!draft.pending) transaction.bookingDate = draft.valueDate;
        if (credit) {
          transaction.debtorName = draft.counterparty.name;
          transaction.debtorAccount = { iban: draft.counterparty.iban };
        } else {
          transaction.creditorName = draft.counterparty.name;
          transaction.creditorAccount = { iban: draft.counterparty.iban };
        }
        return transaction;
      });
      bank.transactions.set(account.resourceId, transactions);

      const sum = (status: 'booked' | 'pending'): number =>
        drafts.filter((d) => d.pending === (status === 'pending')).reduce((total, d) => total + d.cents, 0);
      const closingBooked = toCents(account.openingBalance) + sum('booked');
      const expected = closingBooked + sum('pending');
      const creditLimit = toCents(account.creditLimit);
      const changed = `${fixture.period.to}T18:00:00Z`;
      const amount = (cents: number) => ({ currency: account.currency, amount: formatCents(cents) });
      bank.balances.set(account.resourceId, [
        {
          balanceType: 'closingBooked',
          balanceAmount: amount(closingBooked),
          referenceDate: dateOf(lastBooked),
        },
        { balanceType: 'expected', balanceAmount: amount(expected), lastChangeDateTime: changed },
        {
          balanceType: 'interimAvailable',
          balanceAmount: amount(expected + creditLimit),
          creditLimitIncluded: creditLimit > 0,
          lastChangeDateTime: changed,
        },
      ]);
    }
  }
  return bank;
}
