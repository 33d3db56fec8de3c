/**
 * One set of expectations for every implementation of the bank port: the in-process sandbox, the HTTP
 * connector talking to `npm run sandbox-bank`, and the HTTP connector talking to a stand-in written only
 * from the contract. Each backend says which of its customers and accounts to use; everything else the
 * suite finds through the port itself. Payments change the books, so every backend starts fresh.
 */
import { randomUUID } from 'node:crypto';
import type { Account, BankCallContext, BankConnector } from '../../src/bank/bank_connector';
import { BankPaymentConflict } from '../../src/bank/bank_errors';

export interface PortSuiteData {
  /** A customer with at least one account whose funds may be checked and that has money. */
  psuId: string;
  /** Another customer: their accounts are not the first's. */
  otherPsuId: string;
  /** An account of `psuId` whose PSU allowed `fundsCheckTpp` (and not PSDDE-BAFIN-123456) funds checks. */
  fundsCheckIban: string;
  fundsCheckTpp: string;
  /** An existing account whose PSU did not allow funds checks. */
  noFundsCheckIban: string;
  /** "Today" as the backend sees it (YYYY-MM-DD). */
  today: string;
}

export interface PortSuiteBackend {
  connector: () => BankConnector;
  data: PortSuiteData;
}

const context = (): BankCallContext => ({
  requestId: randomUUID(),
  tppOrganizationIdentifier: 'PSDDE-BAFIN-123456',
  consentId: 'consent-under-test',
});

const UNKNOWN_IBAN = 'DE02120300000000202051';
const CREDITOR_IBAN = 'DE89370400440532013000';

function toCents(amount: string): number {
  return Math.round(Number(amount) * 100);
}

export function bankPortSuite(name: string, backend: () => PortSuiteBackend): void {
  describe(`bank port: ${name}`, () => {
    let bank: BankConnector;
    let data: PortSuiteData;
    let own: Account[];
    let debitAccount: Account;

    beforeAll(async () => {
      ({ data } = backend());
      bank = backend().connector();
      own = await bank.accountsOfPsu(data.psuId, context());
      const found = own.find((a) => a.iban === data.fundsCheckIban);
      if (found === undefined) throw new Error(`${data.fundsCheckIban} is not an account of ${data.psuId}`);
      debitAccount = found;
    });

    it('answers ping', async () => {
      await expect(bank.ping()).resolves.toBeUndefined();
    });

    it('finds a PSU by id and not an unknown one', async () => {
      expect(await bank.findPsu(data.psuId, context())).toMatchObject({ psuId: data.psuId });
      expect(await bank.findPsu('nobody-at-this-bank', context())).toBeUndefined();
    });

    it("lists a PSU's accounts ordered by IBAN, each theirs; an unknown PSU has none", async () => {
      expect(own.length).toBeGreaterThan(0);
      expect(own.every((a) => a.psuId === data.psuId)).toBe(true);
      expect(own.map((a) => a.iban)).toEqual([...own.map((a) => a.iban)].sort());
      const others = await bank.accountsOfPsu(data.otherPsuId, context());
      expect(others.some((a) => own.some((o) => o.iban === a.iban))).toBe(false);
      expect(await bank.accountsOfPsu('nobody-at-this-bank', context())).toEqual([]);
    });

    it('finds accounts by IBAN, leaving out unknown ones', async () => {
      const wanted = [...own.map((a) => a.iban), UNKNOWN_IBAN];
      expect(await bank.accountsByIban(wanted, context())).toEqual(own);
      expect(await bank.accountsByIban([], context())).toEqual([]);
    });

    it('finds an account by resource id, and not an unknown one', async () => {
      expect(await bank.accountByResourceId(debitAccount.resourceId, context())).toEqual(debitAccount);
      expect(await bank.accountByResourceId('no-such-account', context())).toBeUndefined();
    });

    it('reads balances in the account currency', async () => {
      const balances = await bank.balances(debitAccount.resourceId, context());
      expect(balances.length).toBeGreaterThan(0);
      for (const b of balances) expect(b.balanceAmount.currency).toBe(debitAccount.currency);
      expect(balances.some((b) => b.balanceType === 'interimAvailable')).toBe(true);
    });

    it('pages transactions newest first with a stable total, filtered by status and dates', async () => {
      const query = { bookingStatus: 'both' as const, dateFrom: '', dateTo: '2099-12-31' };
      const all = await bank.transactions(
        debitAccount.resourceId,
        { ...query, offset: 0, limit: 500 },
        context(),
      );
      expect(all.total).toBe(all.transactions.length);
      expect(all.total).toBeGreaterThan(2);
      const order = all.transactions.map((t) => `${t.valueDate} ${t.transactionId}`);
      expect(order).toEqual([...order].sort().reverse());

      const first = await bank.transactions(
        debitAccount.resourceId,
        { ...query, offset: 0, limit: 2 },
        context(),
      );
      const second = await bank.transactions(
        debitAccount.resourceId,
        { ...query, offset: 2, limit: 2 },
        context(),
      );
      expect(first.total).toBe(all.total);
      expect([...first.transactions, ...second.transactions]).toEqual(all.transactions.slice(0, 4));

      const booked = await bank.transactions(
        debitAccount.resourceId,
        { ...query, bookingStatus: 'booked', offset: 0, limit: 500 },
        context(),
      );
      expect(
        booked.transactions.every((t) => t.bookingStatus === 'booked' && t.bookingDate !== undefined),
      ).toBe(true);
      expect(booked.total).toBe(all.transactions.filter((t) => t.bookingStatus === 'booked').length);

      const day = all.transactions[Math.floor(all.transactions.length / 2)]?.valueDate ?? '';
      const oneDay = await bank.transactions(
        debitAccount.resourceId,
        { bookingStatus: 'both', dateFrom: day, dateTo: day, offset: 0, limit: 500 },
        context(),
      );
      expect(oneDay.total).toBe(all.transactions.filter((t) => t.valueDate === day).length);
      expect(oneDay.transactions.every((t) => t.valueDate === day)).toBe(true);
    });

    const order = (overrides: Record<string, unknown> = {}) => ({
      paymentId: `pay-${randomUUID()}`,
      paymentProduct: 'sepa-credit-transfers' as const,
      psuId: data.psuId,
      debtorAccount: { iban: data.fundsCheckIban },
      instructedAmount: { currency: debitAccount.currency, amount: '12.34' },
      creditorAccount: { iban: CREDITOR_IBAN },
      creditorName: 'Carol Creditor',
      remittanceInformationUnstructured: 'Contract suite',
      ...overrides,
    });

    const available = async (): Promise<number> => {
      const balances = await bank.balances(debitAccount.resourceId, context());
      const interim = balances.find((b) => b.balanceType === 'interimAvailable');
      if (interim === undefined) throw new Error('no interimAvailable balance');
      return toCents(interim.balanceAmount.amount);
    };

    it('executes a payment once: the balance drops and a booked transaction appears', async () => {
      const before = await available();
      const payment = order();
      const executed = await bank.executePayment(payment, context());
      expect(executed).toMatchObject({ paymentId: payment.paymentId, transactionStatus: 'ACSC' });
      expect(executed.transactionId).toEqual(expect.any(String));
      // The gateway retries: the same order under the same id is not executed again.
      expect(await bank.executePayment(payment, context())).toEqual(executed);
      expect(await available()).toBe(before - 1234);
      const booked = await bank.transactions(
        debitAccount.resourceId,
        { bookingStatus: 'booked', dateFrom: data.today, dateTo: data.today, offset: 0, limit: 500 },
        context(),
      );
      const mine = booked.transactions.filter((t) => t.transactionId === executed.transactionId);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({
        bookingStatus: 'booked',
        bookingDate: data.today,
        transactionAmount: { currency: debitAccount.currency, amount: '-12.34' },
        creditorName: 'Carol Creditor',
        creditorAccount: { iban: CREDITOR_IBAN },
      });
      expect(await bank.paymentStatus(payment.paymentId, context())).toEqual(executed);
    });

    it('refuses another order under a payment id already used', async () => {
      const payment = order();
      await bank.executePayment(payment, context());
      await expect(
        bank.executePayment(
          { ...payment, instructedAmount: { ...payment.instructedAmount, amount: '99.00' } },
          context(),
        ),
      ).rejects.toBeInstanceOf(BankPaymentConflict);
    });

    it('executes twenty identical concurrent retries once', async () => {
      const before = await available();
      const payment = order({ instructedAmount: { currency: debitAccount.currency, amount: '1.00' } });
      const results = await Promise.all(
        Array.from({ length: 20 }, () => bank.executePayment(payment, context())),
      );
      expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
      expect(await available()).toBe(before - 100);
    });

    it.each([
      ['insufficient funds', { instructedAmount: { currency: 'EUR', amount: '99999999.00' } }, 'AM04'],
      ['a debtor account of another PSU', { psuId: 'nobody-at-this-bank' }, 'AG01'],
      ['an unknown debtor account', { debtorAccount: { iban: UNKNOWN_IBAN } }, 'AC01'],
    ])('rejects a payment with %s (%s)', async (_name, overrides, reason) => {
      const before = await available();
      const executed = await bank.executePayment(order(overrides), context());
      expect(executed).toMatchObject({ transactionStatus: 'RJCT', reasonCode: reason });
      expect(executed.transactionId).toBeUndefined();
      expect(await available()).toBe(before);
    });

    it('holds a future-dated payment and cancels it; an executed one stays executed', async () => {
      const before = await available();
      const held = order({ requestedExecutionDate: '2099-01-04' });
      expect(await bank.executePayment(held, context())).toMatchObject({ transactionStatus: 'ACSP' });
      expect(await bank.cancelPayment(held.paymentId, context())).toMatchObject({
        transactionStatus: 'CANC',
      });
      expect(await bank.cancelPayment(held.paymentId, context())).toMatchObject({
        transactionStatus: 'CANC',
      });
      expect(await available()).toBe(before);

      const done = order();
      await bank.executePayment(done, context());
      expect(await bank.cancelPayment(done.paymentId, context())).toMatchObject({
        transactionStatus: 'ACSC',
      });
      expect(await bank.cancelPayment('pay-never-sent', context())).toBeUndefined();
      expect(await bank.paymentStatus('pay-never-sent', context())).toBeUndefined();
    });

    it('holds a standing order until cancelled', async () => {
      const standing = order({
        paymentId: `pay-${randomUUID()}`,
        standingOrder: { startDate: '2099-01-01', frequency: 'Monthly', dayOfExecution: '1' },
      });
      expect(await bank.executePayment(standing, context())).toMatchObject({ transactionStatus: 'ACSP' });
      expect(await bank.cancelPayment(standing.paymentId, context())).toMatchObject({
        transactionStatus: 'CANC',
      });
    });

    it('confirms funds only for the TPP the PSU allowed, the same answer for other TPPs and unknown accounts', async () => {
      const amount = (value: string) => ({ currency: debitAccount.currency, amount: value });
      const asAllowed = { ...context(), tppOrganizationIdentifier: data.fundsCheckTpp };
      expect(
        await bank.confirmFunds(
          { account: { iban: data.fundsCheckIban }, instructedAmount: amount('1.00') },
          asAllowed,
        ),
      ).toEqual({ allowed: true, fundsAvailable: true });
      expect(
        await bank.confirmFunds(
          { account: { iban: data.fundsCheckIban }, instructedAmount: amount('99999999.00') },
          asAllowed,
        ),
      ).toEqual({ allowed: true, fundsAvailable: false });
      // Another TPP (context() names PSDDE-BAFIN-123456) asking about the same account learns nothing.
      for (const [iban, asked] of [
        [data.fundsCheckIban, context()],
        [data.noFundsCheckIban, asAllowed],
        [UNKNOWN_IBAN, asAllowed],
      ] as const) {
        expect(
          await bank.confirmFunds({ account: { iban }, instructedAmount: amount('1.00') }, asked),
        ).toEqual({ allowed: false });
      }
    });
  });
}
