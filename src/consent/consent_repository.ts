import type { Consent, ConsentGrant, ConsentStatus } from './consent';

export interface ConsentTransitionParams {
  /** The transition happens only if the stored status is one of these (checked in the same statement). */
  from: readonly ConsentStatus[];
  to: ConsentStatus;
  lastActionDate: string;
  psuId?: string;
  grant?: ConsentGrant;
}

export interface ConsentListFilter {
  tppOrganizationIdentifier?: string;
  status?: ConsentStatus;
  /** Consents the PSU decided (the PSU's consent dashboard). */
  psuId?: string;
}

/**
 * Storage contract for consents. Implementations must make `transition` and `admitAccess` atomic with
 * respect to concurrent callers in other processes (several gateway instances share PostgreSQL).
 */
export interface ConsentRepository {
  insert(consent: Consent): Promise<void>;
  findById(id: string): Promise<Consent | undefined>;
  list(filter?: ConsentListFilter): Promise<Consent[]>;
  /** Compare-and-set on the status. Returns the updated consent, or undefined when the status did not match. */
  transition(id: string, params: ConsentTransitionParams): Promise<Consent | undefined>;
  /**
   * Counts one access on `day` if fewer than `limit` were admitted that day. Returns whether this access
   * was admitted. Exact under concurrency: the check and the increment are one SQL statement.
   */
  admitAccess(id: string, day: string, limit: number): Promise<boolean>;
  /** How many accesses were admitted on `day`. */
  accessCount(id: string, day: string): Promise<number>;
  /** The latest day with an admitted access, if any. */
  lastAccessDay(id: string): Promise<string | undefined>;
}
