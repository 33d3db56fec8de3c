import type {
  Amount,
  PaymentProduct,
  PeriodicFrequency,
  StandingOrderSchedule,
} from '../bank/bank_connector';
import type { ConsentOwner } from '../consent/consent';

/** The Berlin Group payment services the gateway offers (bulk payments are not offered). */
export type PaymentService = 'payments' | 'periodic-payments';

/** ISO 20022 transaction statuses a payment of this gateway can take. */
export type TransactionStatus = 'RCVD' | 'ACTC' | 'ACSP' | 'ACSC' | 'ACCC' | 'RJCT' | 'CANC';

/** No authorisation, execution or cancellation leaves these. */
export const FINAL_STATUSES: ReadonlySet<TransactionStatus> = new Set(['CANC', 'RJCT', 'ACSC', 'ACCC']);

export function isFinal(status: TransactionStatus): boolean {
  return FINAL_STATUSES.has(status);
}

/** The payment as the TPP initiated it (Berlin Group JSON body, after validation). */
export interface PaymentInitiationBody {
  endToEndIdentification?: string;
  /** Optional: without it the PSU chooses the account while authorising. */
  debtorAccount?: { iban: string; currency?: string };
  instructedAmount: Amount;
  creditorAccount: { iban: string; currency?: string };
  creditorAgent?: string;
  creditorName: string;
  remittanceInformationUnstructured?: string;
  requestedExecutionDate?: string;
  /** Periodic payments only. */
  startDate?: string;
  endDate?: string;
  frequency?: PeriodicFrequency;
  executionRule?: StandingOrderSchedule['executionRule'];
  dayOfExecution?: string;
}

export interface Payment {
  /** Opaque, unguessable; the idempotency key towards the bank. */
  id: string;
  service: PaymentService;
  product: PaymentProduct;
  /** The TPP that initiated it: the only one that ever sees it. */
  owner: ConsentOwner;
  /** The initiating request's X-Request-ID: with the owner, the idempotency key of the initiation. */
  requestId: string;
  /** SHA-256 (hex) of service, product and the body's canonical JSON. */
  requestDigest: string;
  body: PaymentInitiationBody;
  tppRedirectUri: string | undefined;
  status: TransactionStatus;
  /** ISO 20022 reason for RJCT, e.g. AM04 (insufficient funds). */
  reasonCode: string | undefined;
  /** The PSU who authorised (or denied) the payment. */
  psuId: string | undefined;
  /** The debtor account the PSU chose, when the TPP gave none. */
  debtorIban: string | undefined;
  /** The booked transaction's id at the bank, once booked. */
  bankTransactionId: string | undefined;
  /** The 201 answer to the initiation, replayed verbatim to an identical retry. */
  initiationResponse: string;
  createdAt: Date;
  updatedAt: Date;
}
