import type { TppIdentity } from './tpp_identity';

export type CertificateRefusalCode = 'CERTIFICATE_INVALID' | 'CERTIFICATE_EXPIRED' | 'CERTIFICATE_REVOKED';

/** What a presented chain amounts to. `validUntil` bounds how long the verdict may be reused. */
export type ClientIdentityVerdict =
  | { ok: true; identity: TppIdentity; validUntil: Date }
  | {
      ok: false;
      code: CertificateRefusalCode;
      reason: string;
      validUntil: Date;
      /** The leaf alone decides: more candidate intermediates would not change the verdict. */
      leafDecides?: true;
      /** For the log only, never for the client. */
      detail?: string;
    };

export interface CandidateChain {
  leaf: Uint8Array;
  intermediates: Uint8Array[];
}

export interface ClientIdentityVerifier {
  verify(chain: CandidateChain, at: Date): Promise<ClientIdentityVerdict>;
  /**
   * The verdict `verify` would give, handed back at once because it is already known (a cache hit), or
   * undefined; it never starts a validation. The request path asks this first and awaits only a miss.
   */
  knownVerdict?(chain: CandidateChain, at: Date): ClientIdentityVerdict | undefined;
}
