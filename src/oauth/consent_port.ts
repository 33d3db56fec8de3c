/**
 * What the OAuth authorisation step needs from the AIS consent store and the bank's customer directory.
 * The adapters live with whoever owns those stores; this module only states the contract.
 */

export type ConsentStatusForAuthorisation =
  'received' | 'rejected' | 'valid' | 'revokedByPsu' | 'expired' | 'terminatedByTpp';

/**
 * A consent as the PSU's browser may see it. The browser presents no client certificate, so the TPP's
 * identity shown to the PSU is what the consent recorded from the QWAC when the TPP created it.
 */
export interface ConsentForAuthorisation {
  consentId: string;
  status: ConsentStatusForAuthorisation;
  tppOrganizationIdentifier: string;
  tppName: string;
  tppNcaName: string;
  tppNcaId: string;
  /** `x5t#S256` of the certificate that created the consent, for the stop list. */
  tppCertificateThumbprint: string;
  /** The `TPP-Redirect-URI` sent when the consent was created; the only redirect target ever used. */
  tppRedirectUri: string;
  access: {
    /** IBANs. */
    accounts?: string[];
    balances?: string[];
    transactions?: string[];
    availableAccounts?: string;
    allPsd2?: string;
  };
  /** YYYY-MM-DD */
  validUntil: string;
  frequencyPerDay: number;
  recurringIndicator: boolean;
}

export interface ConsentAuthorisationPort {
  findForAuthorisation(consentId: string): Promise<ConsentForAuthorisation | undefined>;
  /** received → valid, limited to the accounts the PSU granted. */
  approve(consentId: string, psuId: string, grantedIbans: string[]): Promise<void>;
  /** received → rejected. */
  reject(consentId: string, psuId: string): Promise<void>;
}

export interface PsuAccount {
  iban: string;
  currency: string;
  name: string;
}

export interface Psu {
  psuId: string;
  name: string;
}

export interface PsuDirectory {
  /**
   * False when the gateway holds no passwords (a real bank behind GATEWAY_BANK_URL): PSUs must sign in
   * through the bank's identity provider, and the password form is not offered.
   */
  readonly passwordSignIn: boolean;
  authenticate(username: string, password: string): Promise<Psu | undefined>;
  /** The PSU's accounts, asked of the bank on behalf of the consent being authorised. */
  accountsOf(psuId: string, consent: ConsentForAuthorisation): Promise<PsuAccount[]>;
}
