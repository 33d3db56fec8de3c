import type { Payment, TransactionStatus } from './payment';

export interface PaymentTransitionParams {
  /** The transition happens only if the stored status is one of these (checked in the same statement). */
  from: readonly TransactionStatus[];
  to: TransactionStatus;
  at: Date;
  reasonCode?: string;
  psuId?: string;
  debtorIban?: string;
  bankTransactionId?: string;
}

/**
 * Storage contract for payments. `insertOnce` and `transition` must be atomic with respect to concurrent
 * callers in other processes (several gateway instances share PostgreSQL).
 */
export interface PaymentRepository {
  /**
   * Stores the payment unless its owner already initiated one under the same X-Request-ID (a unique
   * constraint decides, so parallel retries cannot both insert). Returns the stored payment: this one,
   * or the earlier one, whose `requestDigest` the caller compares.
   */
  insertOnce(payment: Payment): Promise<Payment>;
  findById(id: string): Promise<Payment | undefined>;
  /** Ids of payments authorised but not executed (ACTC), longest waiting first. */
  idsAwaitingExecution(limit: number): Promise<string[]>;
  /** Compare-and-set on the status. Returns the updated payment, or undefined when the status did not match. */
  transition(id: string, params: PaymentTransitionParams): Promise<Payment | undefined>;
}
