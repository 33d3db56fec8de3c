import type { Logger } from '../audit/logger';
import type { Payment } from './payment';
import type { PaymentRepository, PaymentTransitionParams } from './payment_repository';

export interface AuthorisationDeadlineOptions {
  /** GATEWAY_PAYMENT_AUTHORISATION_SECONDS: how long after initiation the PSU may authorise. */
  seconds: number;
  clock: () => Date;
  logger?: Logger;
}

/**
 * The authorisation step's deadline, kept by the payment store as every step reads it: a payment still
 * awaiting the PSU (RCVD) past its deadline becomes RJCT when it is next read (the TPP's status request,
 * the PSU's authorisation page) or decided. No timer and no sweep: every instance applies the same rule to
 * the same row, by compare-and-set, so several instances agree without coordinating.
 */
export class PaymentAuthorisationDeadline implements PaymentRepository {
  constructor(
    private readonly payments: PaymentRepository,
    private readonly options: AuthorisationDeadlineOptions,
  ) {}

  async insertOnce(payment: Payment): Promise<Payment> {
    // A retry of an old initiation returns the stored payment, lapsed or not.
    return this.lapsed(await this.payments.insertOnce(payment));
  }

  async findById(id: string): Promise<Payment | undefined> {
    const payment = await this.payments.findById(id);
    return payment === undefined ? undefined : this.lapsed(payment);
  }

  async transition(id: string, params: PaymentTransitionParams): Promise<Payment | undefined> {
    // A decision out of RCVD other than a refusal (the PSU's approval) is refused past the deadline: the
    // read lapses the payment first, so the compare-and-set below finds it no longer RCVD. The read and
    // the update are milliseconds apart, against a deadline of minutes.
    if (params.from.includes('RCVD') && params.to !== 'RJCT' && params.to !== 'CANC') await this.findById(id);
    return this.payments.transition(id, params);
  }

  idsAwaitingExecution(limit: number): Promise<string[]> {
    // ACTC payments were authorised within the deadline; it has nothing to say about their execution.
    return this.payments.idsAwaitingExecution(limit);
  }

  private async lapsed(payment: Payment): Promise<Payment> {
    if (payment.status !== 'RCVD') return payment;
    const now = this.options.clock();
    if (now.getTime() < payment.createdAt.getTime() + this.options.seconds * 1000) return payment;
    const rejected = await this.payments.transition(payment.id, { from: ['RCVD'], to: 'RJCT', at: now });
    if (rejected !== undefined) {
      this.options.logger?.info({ event: 'payment.authorisation_lapsed', paymentId: payment.id });
      return rejected;
    }
    // Decided, cancelled or lapsed by another request meanwhile: that outcome stands.
    return (await this.payments.findById(payment.id)) ?? payment;
  }
}
