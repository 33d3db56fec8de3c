export interface ReadAdmissionParams {
  consentId: string;
  /** SHA-256 of the bearer token the read presents (as stored). */
  accessTokenHash: string;
  /** UTC day the read counts on. */
  day: string;
  /** The consent's frequencyPerDay. */
  limit: number;
  /** False for a read the PSU is actively asking for (PSU-IP-Address): checked, not counted. */
  count: boolean;
}

export interface ReadAdmissionResult {
  /** The consent is still `valid` and the token and its grant still unrevoked, as stored right now. */
  live: boolean;
  /** Counted within frequencyPerDay (always true when not counted). */
  admitted: boolean;
}

/**
 * The last gate of an AIS read where several gateway instances share one store: in one statement, the
 * consent and token state every cached copy was taken from is confirmed and the read is counted, so a
 * consent ended or a token revoked on another instance is refused at once, cache or not.
 */
export interface ReadAdmission {
  admit(params: ReadAdmissionParams): Promise<ReadAdmissionResult>;
}
