import type { BankCallContext, BankConnector } from '../bank/bank_connector';
import { CancellationInvalid } from '../errors/gateway_error';
import { isFinal, type Payment } from './payment';
import type { PaymentRepository } from './payment_repository';

/**
 * The cancellation step. What needs no authorisation is cancelled at once: a payment the PSU has not
 * authorised yet (RCVD), and an order the bank holds (ACSP: future-dated or standing), cancelled at the
 * bank first. A payment handed over for execution (ACTC) or in a final status cannot be cancelled.
 * Every change is a compare-and-set on the status read, so a cancellation racing an authorisation or an
 * execution loses or wins as a whole; on losing it decides again on the status that won.
 */
export class PaymentCancellation {
  constructor(
    private readonly repository: PaymentRepository,
    private readonly bank: BankConnector,
    private readonly clock: () => Date,
  ) {}

  async cancel(payment: Payment, context: BankCallContext): Promise<Payment> {
    let current: Payment | undefined = payment;
    // Each round either changes the status or sees it changed by someone else; statuses only move forward,
    // so this ends within as many rounds as there are statuses.
    for (let round = 0; round < 8 && current !== undefined; round++) {
      const outcome = await this.attempt(current, context);
      if (outcome !== undefined) return outcome;
      current = await this.repository.findById(payment.id);
    }
    throw new CancellationInvalid({ text: 'The payment can no longer be cancelled' });
  }

  /** The cancelled payment, or undefined when the status changed under us. */
  private async attempt(payment: Payment, context: BankCallContext): Promise<Payment | undefined> {
    if (isFinal(payment.status) || payment.status === 'ACTC') {
      throw new CancellationInvalid({
        text: 'The payment can no longer be cancelled',
        detail: `status ${payment.status}`,
      });
    }
    if (payment.status === 'RCVD') {
      return this.repository.transition(payment.id, { from: ['RCVD'], to: 'CANC', at: this.clock() });
    }
    // ACSP: the bank holds the order; it decides whether it can still be cancelled.
    const atBank = await this.bank.cancelPayment(payment.id, context);
    const to = atBank?.transactionStatus ?? 'CANC';
    const changed = await this.repository.transition(payment.id, {
      from: ['ACSP'],
      to,
      at: this.clock(),
      ...(atBank?.reasonCode !== undefined ? { reasonCode: atBank.reasonCode } : {}),
      ...(atBank?.transactionId !== undefined ? { bankTransactionId: atBank.transactionId } : {}),
    });
    if (changed !== undefined && changed.status !== 'CANC') {
      throw new CancellationInvalid({
        text: 'The payment can no longer be cancelled',
        detail: `bank status ${changed.status}`,
      });
    }
    return changed;
  }
}
