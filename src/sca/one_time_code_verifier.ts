import type { AuthorisationSubject } from './authorisation_subject';

/** A code that matched, not yet spent: what must be remembered so it is accepted only once. */
export interface OneTimeCodeMatch {
  /** Names the PSU, the time step and what the code is bound to; no code or username in clear. */
  key: string;
  /** After this no verification would accept the code any more, so it need not be remembered. */
  expiresAt: Date;
}

/** The PSU's possession factor as the sign-in step sees it; the sandbox implements it with TOTP. */
export interface OneTimeCodeVerifier {
  /**
   * Whether the code matches; nothing is recorded. Runs the full check even for an unknown username, so
   * timing does not reveal which exist.
   */
  verify(params: {
    username: string;
    code: string;
    subject: AuthorisationSubject;
    at: Date;
  }): OneTimeCodeMatch | undefined;
  /**
   * The sign-in succeeded with this code: it is recorded as used. False when it was used before (RFC 6238
   * §5.2: an accepted code is not accepted again), by this process or another on the same store.
   */
  spend(match: OneTimeCodeMatch): Promise<boolean>;
}

/** Codes accepted once, remembered in the gateway's store (src/store/kysely_used_one_time_codes.ts). */
export interface UsedOneTimeCodes {
  /** Records the key unless it is there already; true when this call recorded it. */
  record(key: string, expiresAt: Date): Promise<boolean>;
}
