import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { OCSPRequest } from '@peculiar/asn1-ocsp';
import { ParsedCertificate } from '../certificate/parsed_certificate';
import { buildOcspRequest, judgeOcspResponse, OCSP_NONCE_OID } from './ocsp';
import { trentWorld, type TrentWorld } from '../../../test/pki/cert_factory';

let w: TrentWorld;
beforeAll(async () => {
  w = await trentWorld();
});

describe('buildOcspRequest (read back by @peculiar/asn1-ocsp as the oracle)', () => {
  it('asks for the certificate by SHA-1 CertID and carries a 16-byte nonce', () => {
    const cert = ParsedCertificate.parse(w.alice.der);
    const issuer = ParsedCertificate.parse(w.issuing.der);
    const request = buildOcspRequest(cert, issuer);
    const parsed = AsnConvert.parse(request.der, OCSPRequest);
    const [single] = parsed.tbsRequest.requestList;
    const sha1 = (data: Uint8Array) => createHash('sha1').update(data).digest();
    expect(parsed.tbsRequest.requestList).toHaveLength(1);
    expect(single?.reqCert.hashAlgorithm.algorithm).toBe('1.3.14.3.2.26');
    expect(Buffer.from(single?.reqCert.issuerNameHash.buffer ?? new ArrayBuffer(0))).toEqual(
      sha1(issuer.subject.der),
    );
    expect(Buffer.from(single?.reqCert.issuerKeyHash.buffer ?? new ArrayBuffer(0))).toEqual(
      sha1(issuer.subjectPublicKeyBits),
    );
    expect(Buffer.from(single?.reqCert.serialNumber ?? new ArrayBuffer(0)).toString('hex')).toBe(
      Buffer.from(cert.serial).toString('hex'),
    );
    const nonce = parsed.tbsRequest.requestExtensions?.find((e) => e.extnID === OCSP_NONCE_OID);
    const nonceValue = Buffer.from(nonce?.extnValue.buffer ?? new ArrayBuffer(0));
    expect(nonceValue).toEqual(Buffer.from(request.nonce));
    // OCTET STRING of 16 bytes (RFC 8954), different on every request.
    expect([...nonceValue.subarray(0, 2)]).toEqual([0x04, 16]);
    expect(Buffer.from(buildOcspRequest(cert, issuer).nonce)).not.toEqual(nonceValue);
  });
});

describe('judgeOcspResponse on hostile bytes', () => {
  it.each([
    ['empty input', new Uint8Array(), /^malformed response/],
    ['not DER', Uint8Array.from([0x30, 0x80, 0x00, 0x00]), /^malformed response .*indefinite length/],
    ['tryLater', Uint8Array.from([0x30, 0x03, 0x0a, 0x01, 0x03]), /^responder answered tryLater$/],
    ['unauthorized', Uint8Array.from([0x30, 0x03, 0x0a, 0x01, 0x06]), /^responder answered unauthorized$/],
  ])('calls %s unusable, never throwing', (_label, response, problem) => {
    const cert = ParsedCertificate.parse(w.alice.der);
    const issuer = ParsedCertificate.parse(w.issuing.der);
    const verdict = judgeOcspResponse({
      response,
      request: buildOcspRequest(cert, issuer),
      cert,
      issuer,
      at: new Date(),
      clockSkewMs: 0,
    });
    expect(verdict).toMatchObject({
      status: 'unusable',
      problem: expect.stringMatching(problem),
    });
  });
});
