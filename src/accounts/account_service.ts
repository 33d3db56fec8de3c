/**
 * The seam between the gateway and the bank's books. The sandbox implements it over the gateway's own
 * store; a core-banking adapter implements it against the real backend. No HTTP, no consent logic:
 * callers have already decided that the TPP may see what they ask for.
 */

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

export interface AccountService {
  accountsByIban(ibans: readonly string[]): Promise<Account[]>;
  accountByResourceId(resourceId: string): Promise<Account | undefined>;
  balances(resourceId: string): Promise<Balance[]>;
  transactions(resourceId: string, query: TransactionQuery): Promise<TransactionPage>;
  /** The PSU directory the OAuth login page uses. */
  authenticatePsu(username: string, password: string): Promise<Psu | undefined>;
  findPsu(psuId: string): Promise<Psu | undefined>;
  accountsOfPsu(psuId: string): Promise<Account[]>;
}
