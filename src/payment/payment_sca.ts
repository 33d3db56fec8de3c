import { createHash } from 'node:crypto';
import type { Payment } from './payment';

/** Berlin Group scaStatus values this gateway reports for a payment's authorisation. */
export type ScaStatus = 'received' | 'finalised' | 'failed';

/**
 * The authorisation sub-resource of a payment. Under the OAuth SCA approach a payment has exactly one
 * authorisation, the PSU's decision at the authorization endpoint, so the sub-resource is a view of the
 * payment rather than separate state: its id is derived from the payment id (stable across retries and
 * gateway instances, revealing nothing the owner does not already know) and its scaStatus from the
 * payment's status.
 */
export function authorisationIdOf(paymentId: string): string {
  return createHash('sha256').update(`PIS authorisation\n${paymentId}`).digest('base64url').slice(0, 32);
}

export function scaStatusOf(payment: Pick<Payment, 'status' | 'reasonCode' | 'psuId'>): ScaStatus {
  switch (payment.status) {
    case 'RCVD':
      return 'received';
    case 'ACTC':
    case 'ACSP':
    case 'ACSC':
    case 'ACCC':
      return 'finalised';
    case 'RJCT':
      // A bank refusal (reason code, e.g. AM04) comes after a completed SCA; without one the PSU denied.
      return payment.reasonCode !== undefined ? 'finalised' : 'failed';
    case 'CANC':
      // Cancelled before the PSU decided: the authorisation never completed.
      return payment.psuId !== undefined ? 'finalised' : 'failed';
  }
}
