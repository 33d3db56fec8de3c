import type { AuditEvent } from '../../src/audit/audit_trail';
import { allEvidenceSinks, auditEvidenceSink } from '../../src/adapters/signature_audit_adapter';
import type { SignatureEvidence } from '../../src/signature/signature_evidence';

const evidence: SignatureEvidence = {
  requestId: '99391c7e-ad88-49ec-a2ad-99ddcb1f7721',
  verifiedAt: '2026-11-30T12:00:00.000Z',
  method: 'POST',
  target: '/v1/consents',
  organizationIdentifier: 'PSDDE-BAFIN-123456',
  keyId: 'SN=1f,CA=CN=Trent Issuing CA',
  algorithm: 'SHA256withECDSA',
  scheme: 'ecdsa-sha256',
  signedHeaders: ['digest', 'x-request-id'],
  signingString: 'digest: SHA-256=abc\nx-request-id: 99391c7e-ad88-49ec-a2ad-99ddcb1f7721',
  digest: 'SHA-256=abc',
  signature: 'c2lnbmF0dXJl',
  certificateThumbprintS256: 'thumb',
  certificate: 'MIIB',
};

describe('signature evidence in the audit trail (issue 18.4)', () => {
  it('appends one event carrying everything needed to verify the signature again', () => {
    const events: AuditEvent[] = [];
    auditEvidenceSink({ append: (e) => events.push(e) }).record(evidence);
    expect(events).toEqual([
      {
        type: 'request.signature_verified',
        at: new Date('2026-11-30T12:00:00.000Z'),
        requestId: evidence.requestId,
        tpp: 'PSDDE-BAFIN-123456',
        thumbprint: 'thumb',
        detail: {
          method: 'POST',
          target: '/v1/consents',
          keyId: evidence.keyId,
          algorithm: 'SHA256withECDSA',
          scheme: 'ecdsa-sha256',
          signedHeaders: 'digest x-request-id',
          signingString: evidence.signingString,
          digest: 'SHA-256=abc',
          signature: 'c2lnbmF0dXJl',
          certificate: 'MIIB',
        },
      },
    ]);
  });

  it('hands the evidence to every sink', async () => {
    const seen: string[] = [];
    await allEvidenceSinks(
      { record: (e) => void seen.push(`a:${e.requestId}`) },
      { record: (e) => void seen.push(`b:${e.requestId}`) },
    ).record(evidence);
    expect(seen).toEqual([`a:${evidence.requestId}`, `b:${evidence.requestId}`]);
  });
});
