/**
 * What a verified request signature leaves behind, so that the request can be re-verified later without the
 * TLS connection: the signed headers and their values, the digest, the signature and the seal certificate.
 */
export interface SignatureEvidence {
  requestId: string;
  /** When the signature was verified (ISO 8601). */
  verifiedAt: string;
  method: string;
  /** Path and query as sent. */
  target: string;
  /** organizationIdentifier of the seal (equal to the QWAC's on the connection). */
  organizationIdentifier: string;
  keyId: string;
  /** The `algorithm` parameter as sent, and the scheme that verified (e.g. `ecdsa-sha256`). */
  algorithm: string;
  scheme: string;
  /** The `headers` parameter, in signing order. */
  signedHeaders: string[];
  /** The exact string that was signed. */
  signingString: string;
  /** The Digest header as sent. */
  digest: string;
  /** The signature as sent (base64). */
  signature: string;
  /** base64url(SHA-256(seal certificate DER)), unpadded. */
  certificateThumbprintS256: string;
  /** The seal certificate, base64 DER. */
  certificate: string;
}

/**
 * Where evidence goes. The gateway logs it for now; the audit trail (operations issue) implements this port
 * so that evidence lands next to the request's other audit events. `record` must not throw for a verified
 * request: a failing sink is the sink's to report.
 */
export interface SignatureEvidenceSink {
  record(evidence: SignatureEvidence): void | Promise<void>;
}
