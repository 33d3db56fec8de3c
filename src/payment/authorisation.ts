import type { BankCallContext } from '../bank/bank_connector';
import { StatusInvalid } from '../errors/gateway_error';
import type { PaymentExecutionStep } from './execution';
import type { Payment } from './payment';
import type { PaymentRepository } from './payment_repository';

export interface ApprovalParams {
  paymentId: string;
  psuId: string;
  /** The account the PSU chose, when the TPP named none. */
  debtorIban?: string;
}

/**
 * The PSU's decision on a payment. Only a payment still awaiting it (RCVD) can be decided, by one
 * compare-and-set: of two parallel authorisations, or an authorisation and a cancellation, exactly one
 * changes the status and the other gets 409 STATUS_INVALID. Approval hands the payment to execution.
 */
export class PaymentAuthorisation {
  constructor(
    private readonly repository: PaymentRepository,
    private readonly execution: PaymentExecutionStep,
    private readonly clock: () => Date,
  ) {}

  async approve(params: ApprovalParams, context: BankCallContext): Promise<Payment> {
    const authorised = await this.repository.transition(params.paymentId, {
      from: ['RCVD'],
      to: 'ACTC',
      at: this.clock(),
      psuId: params.psuId,
      ...(params.debtorIban !== undefined ? { debtorIban: params.debtorIban } : {}),
    });
    if (authorised === undefined) throw await this.notAwaiting(params.paymentId);
    return this.execution.execute(authorised, context);
  }

  /** The PSU refused, or strong authentication failed: the payment is rejected. */
  async reject(paymentId: string, psuId: string | undefined): Promise<Payment> {
    const rejected = await this.repository.transition(paymentId, {
      from: ['RCVD'],
      to: 'RJCT',
      at: this.clock(),
      ...(psuId !== undefined ? { psuId } : {}),
    });
    if (rejected === undefined) throw await this.notAwaiting(paymentId);
    return rejected;
  }

  private async notAwaiting(paymentId: string): Promise<StatusInvalid> {
    const current = await this.repository.findById(paymentId);
    return new StatusInvalid({
      text: 'The payment is not awaiting authorisation',
      detail: `status ${current?.status ?? 'unknown'}`,
    });
  }
}
