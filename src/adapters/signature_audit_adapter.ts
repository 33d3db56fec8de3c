import type { AuditTrail } from '../audit/audit_trail';
import type { SignatureEvidence, SignatureEvidenceSink } from '../signature/signature_evidence';

/**
 * Puts each verified request signature into the tamper-evident audit trail (RTS Art. 29), with everything
 * needed to verify it again later without the TLS connection: the signing string, digest, signature and
 * the seal certificate itself.
 */
export function auditEvidenceSink(audit: AuditTrail): SignatureEvidenceSink {
  return {
    record(evidence: SignatureEvidence): void {
      audit.append({
        type: 'request.signature_verified',
        at: new Date(evidence.verifiedAt),
        requestId: evidence.requestId,
        tpp: evidence.organizationIdentifier,
        thumbprint: evidence.certificateThumbprintS256,
        detail: {
          method: evidence.method,
          target: evidence.target,
          keyId: evidence.keyId,
          algorithm: evidence.algorithm,
          scheme: evidence.scheme,
          signedHeaders: evidence.signedHeaders.join(' '),
          signingString: evidence.signingString,
          digest: evidence.digest,
          signature: evidence.signature,
          certificate: evidence.certificate,
        },
      });
    },
  };
}

/** Every sink hears every piece of evidence. */
export function allEvidenceSinks(...sinks: SignatureEvidenceSink[]): SignatureEvidenceSink {
  return {
    async record(evidence: SignatureEvidence): Promise<void> {
      await Promise.all(sinks.map((sink) => sink.record(evidence)));
    },
  };
}
