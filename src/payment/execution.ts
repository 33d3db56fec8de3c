import type { Logger } from '../audit/logger';
import type { BankCallContext, BankConnector, PaymentOrder } from '../bank/bank_connector';
import { BankPaymentConflict } from '../bank/bank_errors';
import { GatewayError, StatusInvalid } from '../errors/gateway_error';
import type { Payment } from './payment';
import type { PaymentRepository } from './payment_repository';

function orderOf(payment: Payment): PaymentOrder {
  const { body } = payment;
  const debtorIban = payment.debtorIban ?? body.debtorAccount?.iban;
  if (debtorIban === undefined || payment.psuId === undefined) {
    throw new StatusInvalid({ text: 'The payment is not authorised', detail: `payment ${payment.id}` });
  }
  return {
    paymentId: payment.id,
    paymentProduct: payment.product,
    psuId: payment.psuId,
    debtorAccount: { iban: debtorIban },
    instructedAmount: body.instructedAmount,
    creditorAccount: { iban: body.creditorAccount.iban },
    creditorName: body.creditorName,
    ...(body.creditorAgent !== undefined ? { creditorAgent: body.creditorAgent } : {}),
    ...(body.remittanceInformationUnstructured !== undefined
      ? { remittanceInformationUnstructured: body.remittanceInformationUnstructured }
      : {}),
    ...(body.endToEndIdentification !== undefined
      ? { endToEndIdentification: body.endToEndIdentification }
      : {}),
    ...(body.requestedExecutionDate !== undefined
      ? { requestedExecutionDate: body.requestedExecutionDate }
      : {}),
    ...(payment.service === 'periodic-payments' &&
    body.startDate !== undefined &&
    body.frequency !== undefined
      ? {
          standingOrder: {
            startDate: body.startDate,
            frequency: body.frequency,
            ...(body.endDate !== undefined ? { endDate: body.endDate } : {}),
            ...(body.executionRule !== undefined ? { executionRule: body.executionRule } : {}),
            ...(body.dayOfExecution !== undefined ? { dayOfExecution: body.dayOfExecution } : {}),
          },
        }
      : {}),
  };
}

export interface PaymentExecutionOptions {
  logger?: Logger;
  /**
   * Told when a payment stayed ACTC because the bank could not answer now (unreachable, timeout, busy,
   * an answer it could not give): PaymentResend sends it again later.
   */
  onDeferred?: (paymentId: string) => void;
}

/** How a call to the bank ended for the payment. */
export type ExecutionOutcome = 'executed' | 'deferred' | 'conflict';

/**
 * The execution step: an authorised payment (ACTC) goes to the bank, whose answer sets the status (ACSC
 * booked, ACSP held, RJCT refused, e.g. AM04 insufficient funds). The bank executes once per paymentId
 * (the idempotency key of the order), so sending it again after a failed call cannot pay twice.
 *
 * The PSU's authorisation counts whether or not the bank answers: when it cannot now, the payment stays
 * ACTC and is sent again under the same key, by PaymentResend (with backoff) and on the TPP's next read of
 * the payment or its status (`resume`), until the bank answers.
 */
export class PaymentExecutionStep {
  constructor(
    private readonly repository: PaymentRepository,
    private readonly bank: BankConnector,
    private readonly clock: () => Date,
    private readonly options: PaymentExecutionOptions = {},
  ) {}

  /** The payment after the bank's answer, or still ACTC when the bank could not answer. */
  async execute(payment: Payment, context: BankCallContext): Promise<Payment> {
    return (await this.attempt(payment, context)).payment;
  }

  /**
   * A payment the TPP reads: if it is still ACTC, it is sent to the bank again first, so the read shows
   * the bank's answer as soon as there is one. Other statuses are returned as they are.
   */
  async resume(payment: Payment, context: BankCallContext): Promise<Payment> {
    return payment.status === 'ACTC' ? this.execute(payment, context) : payment;
  }

  async attempt(
    payment: Payment,
    context: BankCallContext,
  ): Promise<{ payment: Payment; outcome: ExecutionOutcome }> {
    if (payment.status !== 'ACTC') {
      throw new StatusInvalid({ text: 'The payment is not awaiting execution', detail: payment.status });
    }
    let result;
    try {
      result = await this.bank.executePayment(orderOf(payment), context);
    } catch (error) {
      if (!(error instanceof GatewayError) || error.status < 500) throw error;
      const log = { paymentId: payment.id, code: error.code, status: error.status, detail: error.detail };
      if (error instanceof BankPaymentConflict) {
        // Two different orders under one payment id: a gateway bug that sending again cannot mend.
        this.options.logger?.error({ event: 'payment.execution_conflict', ...log });
        return { payment, outcome: 'conflict' };
      }
      this.options.logger?.warn({ event: 'payment.execution_deferred', ...log });
      this.options.onDeferred?.(payment.id);
      return { payment, outcome: 'deferred' };
    }
    const updated = await this.repository.transition(payment.id, {
      from: ['ACTC'],
      to: result.transactionStatus,
      at: this.clock(),
      ...(result.reasonCode !== undefined ? { reasonCode: result.reasonCode } : {}),
      ...(result.transactionId !== undefined ? { bankTransactionId: result.transactionId } : {}),
    });
    // Another execution of the same payment recorded the bank's (same) answer first.
    return {
      payment: updated ?? (await this.repository.findById(payment.id)) ?? payment,
      outcome: 'executed',
    };
  }
}
