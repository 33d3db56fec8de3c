/** PSD2 roles of a payment service provider (ETSI TS 119 495). */
export type PspRole = 'PSP_AS' | 'PSP_PI' | 'PSP_AI' | 'PSP_IC';

/** Who is calling: derived only from a certificate chain that validated to the trust anchor. */
export interface TppIdentity {
  /** Subject organizationIdentifier, e.g. `PSDDE-BAFIN-123456`; the TPP's client_id. */
  organizationIdentifier: string;
  /** Subject organizationName, falling back to commonName. */
  name: string;
  roles: PspRole[];
  ncaName: string;
  ncaId: string;
  /** base64url(SHA-256(leaf DER)) without padding: the RFC 8705 `x5t#S256` confirmation. */
  thumbprintS256: string;
  notAfter: Date;
  /** subjectAltName dNSName entries of the leaf: where the TPP's redirect URIs may point. */
  dnsNames?: readonly string[];
  /** The leaf's subject commonName, when it has exactly one. */
  commonName?: string;
}
