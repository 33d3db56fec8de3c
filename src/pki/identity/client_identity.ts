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
}
