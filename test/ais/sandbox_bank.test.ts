import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ibanCheckDigits, isValidIban } from '../../src/accounts/iban';
import { buildSandboxBank, readSandboxBankFixture } from '../../src/accounts/sandbox_bank';

const fixture = readSandboxBankFixture();
const bank = buildSandboxBank(fixture);

function cents(amount: string): number {
  return Math.round(Number(amount) * 100);
}

describe('IBAN check digits', () => {
  it.each([
    ['DE89370400440532013000', true],
    ['GB82WEST12345698765432', true],
    ['DE89370400440532013001', false],
    ['DE8937040044053201300', false],
    ['de89370400440532013000', false],
  ])('%s valid=%s', (iban, valid) => {
    expect(isValidIban(iban)).toBe(valid);
  });

  it('computes the digits it checks', () => {
    expect(ibanCheckDigits('DE', '370400440532013000')).toBe('89');
  });
});

describe('sandbox bank fixture', () => {
  const allIbans = [
    ...fixture.psus.flatMap((p) =>
      p.accounts.flatMap((a) => [a.iban, a.monthlyIncome?.iban, a.monthlyRent?.iban]),
    ),
    ...fixture.generator.merchants.map((m) => m.iban),
  ].filter((iban): iban is string => iban !== undefined);

  it.each(allIbans)('%s has correct mod-97 check digits', (iban) => {
    expect(isValidIban(iban)).toBe(true);
  });

  it('generates a few hundred transactions, the same ones every time', () => {
    const count = [...bank.transactions.values()].reduce((n, list) => n + list.length, 0);
    expect(count).toBeGreaterThanOrEqual(300);
    expect(buildSandboxBank(readSandboxBankFixture())).toEqual(bank);
  });

  it('derives balances from the opening balance and the transactions', () => {
    for (const psu of fixture.psus) {
      for (const account of psu.accounts) {
        const transactions = bank.transactions.get(account.resourceId) ?? [];
        const sum = (status: 'booked' | 'pending') =>
          transactions
            .filter((t) => t.bookingStatus === status)
            .reduce((s, t) => s + cents(t.transactionAmount.amount), 0);
        const balances = new Map(
          (bank.balances.get(account.resourceId) ?? []).map((b) => [
            b.balanceType,
            cents(b.balanceAmount.amount),
          ]),
        );
        const closing = cents(account.openingBalance) + sum('booked');
        expect(balances.get('closingBooked')).toBe(closing);
        expect(balances.get('expected')).toBe(closing + sum('pending'));
        expect(balances.get('interimAvailable')).toBe(closing + sum('pending') + cents(account.creditLimit));
      }
    }
  });

  it('keeps pending transactions without a booking date', () => {
    const all = [...bank.transactions.values()].flat();
    expect(all.filter((t) => t.bookingStatus === 'pending').every((t) => t.bookingDate === undefined)).toBe(
      true,
    );
    expect(all.filter((t) => t.bookingStatus === 'booked').every((t) => t.bookingDate === t.valueDate)).toBe(
      true,
    );
  });
});

describe('bank-held funds-confirmation permissions in the fixture (security review, finding 6)', () => {
  it('name the TPPs the PSU allowed; the former true (every TPP) is refused, not read as a grant', () => {
    const anna = fixture.psus.find((p) => p.psuId === 'anna');
    expect(anna?.accounts.map((a) => a.fundsConfirmation)).toEqual([['PSDDE-BAFIN-444444'], []]);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sandbox-fixture-'));
    try {
      const file = path.join(dir, 'sandbox_bank.json');
      const everyone = structuredClone(fixture) as unknown as {
        psus: { accounts: { fundsConfirmation?: unknown }[] }[];
      };
      const first = everyone.psus[0]?.accounts[0];
      if (first !== undefined) first.fundsConfirmation = true;
      writeFileSync(file, JSON.stringify(everyone));
      expect(() => readSandboxBankFixture(file)).toThrow(
        /fundsConfirmation must list TPP organizationIdentifiers/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
