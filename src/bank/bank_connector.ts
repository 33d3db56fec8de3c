/**
 * NOTE FOR THE LEAD AND FOR h15 (payments) / h14 (PSU auth) / h16 (operations):
 * This module is the bank port: everything the gateway asks of the bank's books goes through
 * `BankConnector`. Its wire form is `openapi/bank-connector.json` (paths under `/bank/v1`); the HTTP
 * adapter is `src/bank/http_bank_connector.ts`, the reference backend the sandbox bank
 * (`src/bank/sandbox/`). Every call takes a `BankCallContext` (X-Request-ID, the TPP's
 * organizationIdentifier, the consent or payment it serves) so the bank's logs can follow a TPP's
 * request end to end. Payments: `executePayment` is idempotent on `order.paymentId` (the gateway's
 * paymentId is the idempotency key), `paymentStatus`, `cancelPayment`, `confirmFunds` (bank-held PIIS
 * consent: the bank knows whether the PSU allowed funds checks on the account). Operations: `ping`.
 * PSU sign-in is not part of the port: only the embedded sandbox has a password directory
 * (`SandboxPsuSignIn`); a real bank signs its PSUs in through its identity provider.
 *
 * The gateway treats the bank as the system of record: no consent logic here, callers have already
 * decided that the TPP may see or do what they ask for. A connector signals an unreachable, slow or
 * misbehaving bank with the errors in `bank_errors.ts` (rendered 503/504/502 to the TPP); "not found"
 * is an ordinary `undefined`, never an error.
 */

/** Who a bank call serves. Sent as headers on every HTTP call so both sides' logs line up. */
export interface BankCallContext {
  /** `X-Request-ID`: the TPP's request id (a UUID), or one the gateway made for its own request. */
  requestId: string;
  /** `TPP-Organization-Identifier`: the TPP's QWAC organizationIdentifier. Absent only for the PSU's own
   * calls that serve no TPP (e.g. a PSU dashboard) and for `ping`. */
  tppOrganizationIdentifier?: string;
  /** `Consent-ID`: the AIS consent the call serves. */
  consentId?: string;
  /** `Payment-ID`: the gateway's payment id the call serves. */
  paymentId?: string;
}

export interface Amount {
  currency: string;
  /** Decimal string with a dot, e.g. `-12.50`, as Berlin Group transmits amounts. */
  amount: string;
}

export type BalanceType =
  | 'closingBooked'
  | 'expected'
  | 'openingBooked'
  | 'interimAvailable'
  | 'interimBooked'
  | 'forwardAvailable'
  | 'nonInvoiced';

export interface Balance {
  balanceAmount: Amount;
  balanceType: BalanceType;
  creditLimitIncluded?: boolean;
  referenceDate?: string;
  lastChangeDateTime?: string;
}

export interface Account {
  /** Opaque, stable id used in URLs; never the IBAN. */
  resourceId: string;
  iban: string;
  bic: string;
  currency: string;
  name: string;
  ownerName: string;
  product: string;
  /** ISO 20022 ExternalCashAccountType1Code, e.g. CACC. */
  cashAccountType: string;
  psuId: string;
}

export type BookingStatus = 'booked' | 'pending' | 'both';

export interface Transaction {
  transactionId: string;
  bookingStatus: 'booked' | 'pending';
  bookingDate?: string;
  valueDate: string;
  transactionAmount: Amount;
  creditorName?: string;
  creditorAccount?: { iban: string };
  debtorName?: string;
  debtorAccount?: { iban: string };
  remittanceInformationUnstructured: string;
  endToEndId?: string;
}

export interface TransactionQuery {
  bookingStatus: BookingStatus;
  /** Inclusive, YYYY-MM-DD; compared with the value date (pending transactions have no booking date). */
  dateFrom: string;
  dateTo: string;
  offset: number;
  limit: number;
}

export interface TransactionPage {
  transactions: Transaction[];
  /** All matches, not just this page. */
  total: number;
}

export interface Psu {
  psuId: string;
  displayName: string;
}

export type PaymentProduct = 'sepa-credit-transfers' | 'instant-sepa-credit-transfers';

export type PeriodicFrequency =
  | 'Daily'
  | 'Weekly'
  | 'EveryTwoWeeks'
  | 'Monthly'
  | 'EveryTwoMonths'
  | 'Quarterly'
  | 'SemiAnnual'
  | 'Annual'
  | 'MonthlyVariable';

/** A standing order's schedule (Berlin Group periodic payment fields). */
export interface StandingOrderSchedule {
  /** YYYY-MM-DD */
  startDate: string;
  endDate?: string;
  frequency: PeriodicFrequency;
  executionRule?: 'following' | 'preceding';
  /** "1".."31", "31" meaning the month's last day. */
  dayOfExecution?: string;
}

/**
 * A payment the PSU has authorised, handed to the bank to execute. `paymentId` is the gateway's id and the
 * idempotency key: the bank executes one order per paymentId however often it is sent.
 */
export interface PaymentOrder {
  paymentId: string;
  paymentProduct: PaymentProduct;
  /** The PSU who authorised the payment; the bank checks that the debtor account is theirs. */
  psuId: string;
  debtorAccount: { iban: string };
  instructedAmount: Amount;
  creditorAccount: { iban: string };
  creditorName: string;
  creditorAgent?: string;
  remittanceInformationUnstructured?: string;
  endToEndIdentification?: string;
  /** YYYY-MM-DD; absent or today: execute now; later: a future-dated order the bank holds (ACSP). */
  requestedExecutionDate?: string;
  /** Present for a standing order (`periodic-payments`). */
  standingOrder?: StandingOrderSchedule;
}

/** ISO 20022 statuses the bank reports for an order it was given. */
export type BankPaymentStatus = 'ACSP' | 'ACSC' | 'RJCT' | 'CANC';

export interface PaymentExecution {
  paymentId: string;
  /**
   * ACSC: booked on the debtor's account now; ACSP: accepted and held (future-dated, standing order);
   * RJCT: refused (see reasonCode); CANC: cancelled before execution.
   */
  transactionStatus: BankPaymentStatus;
  /** ISO 20022 ExternalStatusReason1Code for RJCT, e.g. `AM04` (insufficient funds), `AG01`, `AC01`. */
  reasonCode?: string;
  /** The booked transaction's id in the AIS transactions of the debtor account, once booked. */
  transactionId?: string;
}

export interface FundsCheck {
  account: { iban: string };
  instructedAmount: Amount;
  cardNumber?: string;
  payee?: string;
}

/**
 * Bank-held PIIS consent (Berlin Group 1.3 "ASPSP consent"): the PSU told the bank which accounts may be
 * checked. Unknown accounts and accounts without that permission are one answer, `allowed: false`, so a
 * TPP cannot learn whether an account exists.
 */
export type FundsConfirmation = { allowed: false } | { allowed: true; fundsAvailable: boolean };

export interface BankConnector {
  /** A bank customer by id, or undefined. */
  findPsu(psuId: string, context: BankCallContext): Promise<Psu | undefined>;
  /** The PSU's accounts, ordered by IBAN. */
  accountsOfPsu(psuId: string, context: BankCallContext): Promise<Account[]>;
  /** The accounts among these IBANs that exist, ordered by IBAN. */
  accountsByIban(ibans: readonly string[], context: BankCallContext): Promise<Account[]>;
  accountByResourceId(resourceId: string, context: BankCallContext): Promise<Account | undefined>;
  balances(resourceId: string, context: BankCallContext): Promise<Balance[]>;
  /** Newest first (value date, then transaction id). */
  transactions(
    resourceId: string,
    query: TransactionQuery,
    context: BankCallContext,
  ): Promise<TransactionPage>;

  /** Execute (or hold, when future-dated or a standing order) an authorised payment; idempotent on paymentId. */
  executePayment(order: PaymentOrder, context: BankCallContext): Promise<PaymentExecution>;
  /** The bank's view of an order it was given, or undefined if it never received one with this id. */
  paymentStatus(paymentId: string, context: BankCallContext): Promise<PaymentExecution | undefined>;
  /**
   * Cancel a held order (future-dated or standing). The answer is the order's status afterwards: CANC when
   * cancelled (also when it already was), otherwise the final status that made cancelling impossible.
   * Undefined if the bank never received the order.
   */
  cancelPayment(paymentId: string, context: BankCallContext): Promise<PaymentExecution | undefined>;
  confirmFunds(check: FundsCheck, context: BankCallContext): Promise<FundsConfirmation>;

  /** Resolves when the bank answers; rejects with a bank error otherwise. For readiness probes. */
  ping(): Promise<void>;
  /** Releases pooled connections and database handles. */
  close(): Promise<void>;
}

/**
 * The sandbox's published test customers sign in with a password. Only the embedded sandbox offers this;
 * with a real bank (GATEWAY_BANK_URL) there is no password directory in the gateway at all.
 */
export interface SandboxPsuSignIn {
  authenticatePsu(username: string, password: string): Promise<Psu | undefined>;
}
