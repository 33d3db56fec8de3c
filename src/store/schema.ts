/**
 * Tables as Kysely sees them. Dates and timestamps are ISO-8601 text and flags are 0/1 integers in both
 * SQLite and PostgreSQL, so one repository implementation serves both without per-driver type mapping.
 */
export interface ConsentsTable {
  id: string;
  tpp_organization_identifier: string;
  tpp_name: string;
  tpp_nca_name: string;
  tpp_nca_id: string;
  tpp_certificate_thumbprint: string;
  tpp_redirect_uri: string;
  status: string;
  /** The access object as the TPP requested it (JSON). */
  requested_access: string;
  /** What the PSU granted (JSON); null until authorised. */
  granted_access: string | null;
  psu_id: string | null;
  recurring_indicator: number;
  /** YYYY-MM-DD: the last day on which the consent may be used. */
  valid_until: string;
  frequency_per_day: number;
  combined_service_indicator: number;
  created_at: string;
  last_action_date: string;
}

/** One row per consent and UTC day: how many TPP-initiated reads were admitted. */
export interface ConsentUsageTable {
  consent_id: string;
  day: string;
  count: number;
}

export interface PsusTable {
  psu_id: string;
  display_name: string;
  /** `scrypt$<N>$<salt b64url>$<hash b64url>` */
  password_hash: string;
}

export interface AccountsTable {
  resource_id: string;
  psu_id: string;
  iban: string;
  bic: string;
  currency: string;
  name: string;
  owner_name: string;
  product: string;
  cash_account_type: string;
  credit_limit: string;
}

export interface BalancesTable {
  resource_id: string;
  balance_type: string;
  amount: string;
  currency: string;
  reference_date: string | null;
  last_change_date_time: string | null;
  credit_limit_included: number | null;
}

export interface TransactionsTable {
  transaction_id: string;
  resource_id: string;
  booking_status: string;
  /** Null for pending transactions. */
  booking_date: string | null;
  value_date: string;
  /** Signed decimal, two places: negative for debits. */
  amount: string;
  currency: string;
  creditor_name: string | null;
  creditor_iban: string | null;
  debtor_name: string | null;
  debtor_iban: string | null;
  remittance_information: string;
  end_to_end_id: string | null;
}

/** TPPs the bank has stopped (`psd2-gateway tpp block`): refused with CERTIFICATE_BLOCKED. */
export interface TppStopListTable {
  /** An organizationIdentifier or an x5t#S256 leaf thumbprint. */
  subject: string;
  reason: string;
  blocked_at: string;
}

export interface TppStopListVersionTable {
  id: number;
  version: number;
}

/** Redirect hosts the bank registered for a TPP (`psd2-gateway tpp hosts add`). */
export interface TppRedirectHostsTable {
  organization_identifier: string;
  /** Lower case, no trailing dot; `*.` stands for exactly one leftmost label. */
  host: string;
  added_at: string;
}

/** Orders the sandbox bank was given, keyed by the gateway's payment id (the idempotency key). */
export interface SandboxPaymentsTable {
  payment_id: string;
  /** SHA-256 of the order's canonical JSON: the same key with another order is a conflict. */
  order_digest: string;
  resource_id: string | null;
  status: string;
  reason_code: string | null;
  transaction_id: string | null;
  created_at: string;
}

/** The sandbox PSUs' bank-held PIIS consents: which TPP may check the funds of which account. */
export interface SandboxFundsPermissionsTable {
  iban: string;
  /** The TPP's QWAC organizationIdentifier, as the gateway passes it to the bank. */
  tpp_organization_identifier: string;
}

/** Payments initiated by TPPs (PIS); `body` is the initiation's JSON as validated. */
export interface PaymentsTable {
  id: string;
  payment_service: string;
  payment_product: string;
  tpp_organization_identifier: string;
  tpp_name: string;
  tpp_nca_name: string;
  tpp_nca_id: string;
  tpp_certificate_thumbprint: string;
  x_request_id: string;
  request_digest: string;
  body: string;
  tpp_redirect_uri: string | null;
  status: string;
  reason_code: string | null;
  psu_id: string | null;
  debtor_iban: string | null;
  bank_transaction_id: string | null;
  initiation_response: string;
  created_at: string;
  updated_at: string;
}

export interface Database {
  consents: ConsentsTable;
  consent_usage: ConsentUsageTable;
  psus: PsusTable;
  accounts: AccountsTable;
  balances: BalancesTable;
  transactions: TransactionsTable;
  tpp_stop_list: TppStopListTable;
  tpp_stop_list_version: TppStopListVersionTable;
  tpp_redirect_hosts: TppRedirectHostsTable;
  sandbox_payments: SandboxPaymentsTable;
  sandbox_funds_permissions: SandboxFundsPermissionsTable;
  payments: PaymentsTable;
}
