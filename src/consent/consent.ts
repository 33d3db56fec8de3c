/**
 * The consent record: what a TPP asked for, who it belongs to, and what the PSU granted.
 * Ownership is the TPP's organizationIdentifier from its validated certificate, never anything the
 * request body says.
 */
export type ConsentStatus =
  'received' | 'rejected' | 'valid' | 'revokedByPsu' | 'expired' | 'terminatedByTpp';

export const CONSENT_STATUSES: readonly ConsentStatus[] = [
  'received',
  'rejected',
  'valid',
  'revokedByPsu',
  'expired',
  'terminatedByTpp',
];

/** Only IBAN references are supported; other Berlin Group reference kinds are refused by the schema. */
export interface AccountReference {
  iban: string;
  currency?: string;
}

export interface ConsentAccess {
  accounts?: AccountReference[];
  balances?: AccountReference[];
  transactions?: AccountReference[];
  availableAccounts?: 'allAccounts' | 'allAccountsWithBalances';
  allPsd2?: 'allAccounts';
}

/**
 * What the PSU actually granted, as IBAN lists per kind of access. Balance or transaction access to an
 * account implies access to the account itself.
 */
export interface ConsentGrant {
  accounts: string[];
  balances: string[];
  transactions: string[];
  /** availableAccounts consents: the account list only, never details, balances or transactions. */
  listOnly: boolean;
  /** availableAccounts=allAccountsWithBalances: the list may carry balances. */
  listWithBalances: boolean;
}

export interface ConsentOwner {
  organizationIdentifier: string;
  name: string;
  ncaName: string;
  ncaId: string;
  /** `x5t#S256` of the certificate that created the consent. */
  certificateThumbprint: string;
}

export interface Consent {
  id: string;
  owner: ConsentOwner;
  tppRedirectUri: string;
  status: ConsentStatus;
  access: ConsentAccess;
  grant: ConsentGrant | undefined;
  psuId: string | undefined;
  recurringIndicator: boolean;
  /** YYYY-MM-DD, inclusive, UTC. */
  validUntil: string;
  frequencyPerDay: number;
  combinedServiceIndicator: boolean;
  createdAt: Date;
  /** YYYY-MM-DD of the last status change. */
  lastActionDate: string;
}

/** Statuses from which no read can ever succeed again. */
export const FINAL_STATUSES: readonly ConsentStatus[] = [
  'rejected',
  'revokedByPsu',
  'expired',
  'terminatedByTpp',
];

/** The UTC calendar day of an instant, YYYY-MM-DD: the unit of validUntil and of frequencyPerDay. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}
