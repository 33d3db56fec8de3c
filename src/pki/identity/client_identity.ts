import type { TppIdentity } from './tpp_identity';

export type CertificateRefusalCode = 'CERTIFICATE_INVALID' | 'CERTIFICATE_EXPIRED' | 'CERTIFICATE_REVOKED';

/** What a presented chain amounts to. `validUntil` bounds how long the verdict may be reused. */
export type ClientIdentityVerdict =
  | { ok: true; identity: TppIdentity; validUntil: Date }
  | { ok: false; code: CertificateRefusalCode; reason: string; validUntil: Date };

export interface CandidateChain {
  leaf: Uint8Array;
  intermediates: Uint8Array[];
}

export interface ClientIdentityVerifier {
  verify(chain: CandidateChain, at: Date): Promise<ClientIdentityVerdict>;
}
