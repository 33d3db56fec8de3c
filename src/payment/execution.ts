import type { BankCallContext, BankConnector, PaymentOrder } from '../bank/bank_connector';
import { StatusInvalid } from '../errors/gateway_error';
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

/**
 * The execution step: an authorised payment (ACTC) goes to the bank, whose answer sets the status (ACSC
 * booked, ACSP held, RJCT refused, e.g. AM04 insufficient funds). The bank executes once per paymentId,
 * so a retry after a failed call (the payment stays ACTC) cannot pay twice.
 */
export class PaymentExecutionStep {
  constructor(
    private readonly repository: PaymentRepository,
    private readonly bank: BankConnector,
    private readonly clock: () => Date,
  ) {}

  async execute(payment: Payment, context: BankCallContext): Promise<Payment> {
    if (payment.status !== 'ACTC') {
      throw new StatusInvalid({ text: 'The payment is not awaiting execution', detail: payment.status });
    }
    const result = await this.bank.executePayment(orderOf(payment), context);
    const updated = await this.repository.transition(payment.id, {
      from: ['ACTC'],
      to: result.transactionStatus,
      at: this.clock(),
      ...(result.reasonCode !== undefined ? { reasonCode: result.reasonCode } : {}),
      ...(result.transactionId !== undefined ? { bankTransactionId: result.transactionId } : {}),
    });
    // Another execution of the same payment recorded the bank's (same) answer first.
    return updated ?? (await this.repository.findById(payment.id)) ?? payment;
  }
}
