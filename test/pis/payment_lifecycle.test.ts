import type { BankCallContext } from '../../src/bank/bank_connector';
import { SandboxBankConnector } from '../../src/bank/sandbox_bank_connector';
import { PaymentAuthorisation } from '../../src/payment/authorisation';
import { PaymentCancellation } from '../../src/payment/cancellation';
import { PaymentExecutionStep } from '../../src/payment/execution';
import { PaymentInitiation } from '../../src/payment/initiation';
import type { Payment, PaymentInitiationBody } from '../../src/payment/payment';
import { account, startAisGateway, requestId, type AisGateway } from '../ais/ais_gateway';
import { DATABASE_KINDS, describeForDatabase } from '../store/test_databases';

const anna1 = account('anna', 0);
const owner = {
  organizationIdentifier: 'PSDDE-BAFIN-111111',
  name: 'Bank of Alice',
  ncaName: 'BaFin',
  ncaId: 'DE-BAFIN',
  certificateThumbprint: 'alice-thumb',
};

describe.each(DATABASE_KINDS)('payment lifecycle on %s', (kind) => {
  describeForDatabase(kind)('', () => {
    let t: AisGateway;
    let bank: SandboxBankConnector;
    let initiation: PaymentInitiation;
    let authorisation: PaymentAuthorisation;
    let cancellation: PaymentCancellation;
    const context = (paymentId: string): BankCallContext => ({ requestId: requestId(), paymentId });

    beforeAll(async () => {
      t = await startAisGateway(kind);
      const clock = () => t.clock.now;
      bank = new SandboxBankConnector(t.store.db, { clock });
      initiation = new PaymentInitiation(t.store.payments, clock);
      authorisation = new PaymentAuthorisation(
        t.store.payments,
        new PaymentExecutionStep(t.store.payments, bank, clock),
        clock,
      );
      cancellation = new PaymentCancellation(t.store.payments, bank, clock);
    });
    afterAll(async () => {
      await t?.close();
    });

    async function initiate(extra: Partial<PaymentInitiationBody> = {}): Promise<Payment> {
      const { payment } = await initiation.initiate({
        service: 'payments',
        product: 'sepa-credit-transfers',
        owner,
        requestId: requestId(),
        tppRedirectUri: undefined,
        respond: (paymentId) => ({ paymentId }),
        body: {
          debtorAccount: { iban: anna1.iban },
          instructedAmount: { currency: 'EUR', amount: '10.00' },
          creditorAccount: { iban: 'DE89370400440532013000' },
          creditorName: 'Corner Bakery',
          remittanceInformationUnstructured: 'Bread',
          ...extra,
        },
      });
      return payment;
    }

    const status = async (id: string) => (await t.store.payments.findById(id))?.status;
    const booked = async () =>
      (
        await bank.transactions(
          anna1.resourceId,
          { bookingStatus: 'booked', dateFrom: '2026-11-22', dateTo: '2026-11-22', offset: 0, limit: 100 },
          { requestId: requestId() },
        )
      ).transactions;

    it('RCVD → ACTC → ACSC: the bank books one debit; final states refuse authorisation and cancellation', async () => {
      const before = await booked();
      const payment = await initiate();
      const done = await authorisation.approve({ paymentId: payment.id, psuId: 'anna' }, context(payment.id));
      expect(done.status).toBe('ACSC');
      expect(done.bankTransactionId).toBeDefined();
      const after = await booked();
      expect(after).toHaveLength(before.length + 1);
      expect(after.find((tx) => tx.transactionId === done.bankTransactionId)?.transactionAmount).toEqual({
        currency: 'EUR',
        amount: '-10.00',
      });
      await expect(
        authorisation.approve({ paymentId: payment.id, psuId: 'anna' }, context(payment.id)),
      ).rejects.toMatchObject({ code: 'STATUS_INVALID', status: 409 });
      await expect(cancellation.cancel(done, context(payment.id))).rejects.toMatchObject({
        code: 'CANCELLATION_INVALID',
        status: 405,
      });
    });

    it('deny → RJCT, final', async () => {
      const payment = await initiate();
      expect((await authorisation.reject(payment.id, 'anna')).status).toBe('RJCT');
      await expect(
        authorisation.approve({ paymentId: payment.id, psuId: 'anna' }, context(payment.id)),
      ).rejects.toMatchObject({ code: 'STATUS_INVALID' });
    });

    it('insufficient funds → RJCT with AM04, nothing booked', async () => {
      const before = await booked();
      const payment = await initiate({ instructedAmount: { currency: 'EUR', amount: '99999999.00' } });
      const done = await authorisation.approve({ paymentId: payment.id, psuId: 'anna' }, context(payment.id));
      expect(done).toMatchObject({ status: 'RJCT', reasonCode: 'AM04' });
      expect(await booked()).toHaveLength(before.length);
    });

    it('a future-dated payment is held (ACSP) and cancelled at the bank (CANC)', async () => {
      const payment = await initiate({ requestedExecutionDate: '2026-12-01' });
      const held = await authorisation.approve({ paymentId: payment.id, psuId: 'anna' }, context(payment.id));
      expect(held.status).toBe('ACSP');
      expect((await cancellation.cancel(held, context(payment.id))).status).toBe('CANC');
      expect((await bank.paymentStatus(payment.id, { requestId: requestId() }))?.transactionStatus).toBe(
        'CANC',
      );
    });

    it('two parallel authorisations: one executes, the other is 409; one booking', async () => {
      const before = await booked();
      const payment = await initiate();
      const outcomes = await Promise.allSettled(
        Array.from({ length: 5 }, () =>
          authorisation.approve({ paymentId: payment.id, psuId: 'anna' }, context(payment.id)),
        ),
      );
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const o of outcomes.filter((x): x is PromiseRejectedResult => x.status === 'rejected')) {
        expect(o.reason).toMatchObject({ code: 'STATUS_INVALID' });
      }
      expect(await status(payment.id)).toBe('ACSC');
      expect(await booked()).toHaveLength(before.length + 1);
    });

    it('a cancellation racing an authorisation: exactly one outcome', async () => {
      for (let round = 0; round < 5; round++) {
        const before = await booked();
        const payment = await initiate();
        const [approved, cancelled] = await Promise.allSettled([
          authorisation.approve({ paymentId: payment.id, psuId: 'anna' }, context(payment.id)),
          cancellation.cancel(payment, context(payment.id)),
        ]);
        expect([approved.status, cancelled.status].filter((s) => s === 'fulfilled')).toHaveLength(1);
        const final = await status(payment.id);
        if (approved.status === 'fulfilled') {
          expect(final).toBe('ACSC');
          expect(cancelled).toMatchObject({ reason: { code: 'CANCELLATION_INVALID' } });
          expect(await booked()).toHaveLength(before.length + 1);
        } else {
          expect(final).toBe('CANC');
          expect(approved).toMatchObject({ reason: { code: 'STATUS_INVALID' } });
          expect(await booked()).toHaveLength(before.length);
        }
      }
    });
  });
});
