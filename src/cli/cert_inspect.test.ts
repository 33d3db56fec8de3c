import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCertInspect, type InspectedCertificate } from './cert_inspect';
import { encodePem } from '../pki/asn1/pem';
import { OID, makeLeafDer, qcType, seq, statement } from '../../test/pki/qwac_test_certificates';

describe('cert inspect', () => {
  let dir: string;
  let aliceDer: Uint8Array;
  let qsealDer: Uint8Array;
  let plainDer: Uint8Array;
  const now = new Date();

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'cert-inspect-'));
    aliceDer = await makeLeafDer();
    qsealDer = await makeLeafDer({ qcStatements: seq(statement(OID.qcCompliance), qcType(OID.qcTypeEseal)) });
    plainDer = await makeLeafDer({
      qcStatements: null,
      organizationIdentifier: null,
      notBefore: new Date(now.getTime() - 10 * 24 * 3600_000),
      notAfter: new Date(now.getTime() - 24 * 3600_000),
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function file(name: string, content: string | Uint8Array): string {
    const p = path.join(dir, name);
    writeFileSync(p, content);
    return p;
  }

  it('prints a QWAC with its PSD2 attributes and says it judged only the profile', async () => {
    const result = await runCertInspect({ file: file('alice.pem', encodePem(aliceDer, 'CERTIFICATE')), now });
    expect(result.exitCode).toBe(0);
    const fp = createHash('sha256').update(aliceDer).digest('hex').toUpperCase();
    const out = result.output;
    expect(out).toContain('O=Bank of Alice AG');
    expect(out).toMatch(/Serial: +01\n/);
    expect(out).toContain(`SHA-256 fingerprint:    ${fp.match(/../g)?.join(':')}`);
    expect(out).toContain(
      `x5t#S256:               ${createHash('sha256').update(aliceDer).digest('base64url')}`,
    );
    expect(out).toMatch(/Public key: +ec P-256/);
    expect(out).toMatch(/Signature algorithm: +ecdsa-with-SHA256/);
    expect(out).toMatch(/Basic constraints: +CA:FALSE \(critical\)/);
    expect(out).toMatch(/Extended key usage: +clientAuth/);
    expect(out).toMatch(/QcCompliance: +yes/);
    expect(out).toMatch(/QcType: +web/);
    expect(out).toMatch(/PSD2 roles: +PSP_AI \(0\.4\.0\.19495\.1\.3\), PSP_PI \(0\.4\.0\.19495\.1\.2\)/);
    expect(out).toMatch(/NCA name: +Federal Financial Supervisory Authority/);
    expect(out).toMatch(/NCA id: +DE-BAFIN/);
    expect(out).toMatch(
      /organizationIdentifier: +PSDDE-BAFIN-123456 \(scheme PSD, country DE, NCA BAFIN, authorisation 123456\)/,
    );
    expect(out).toMatch(/QWAC profile: +conforms to ETSI TS 119 495 \(this certificate alone\)/);
    // Without --anchor nothing about the chain was judged, so there is no gateway verdict to give.
    expect(out).toMatch(/Gateway verdict: +not judged: only the QWAC profile of the leaf was checked/);
    expect(out).not.toMatch(/ACCEPTED/);
    expect(out).not.toMatch(/EXPIRED|NOT YET VALID/);
  });

  it('reads DER too, and shows the refusal reason for a QSealC', async () => {
    const result = await runCertInspect({ file: file('qseal.der', qsealDer), now });
    expect(result.exitCode).toBe(0);
    expect(result.output).toMatch(/QcType: +eseal/);
    expect(result.output).toMatch(
      /QWAC profile: +does not conform: certificate is a QSealC \(QcType eseal\), not a website certificate/,
    );
  });

  it.each([
    ['EXPIRED', new Date(Date.now() + 400 * 24 * 3600_000), /Not after: +\S+  EXPIRED/],
    ['NOT YET VALID', new Date(Date.now() - 24 * 3600_000), /Not before: +\S+  NOT YET VALID/],
  ])('marks a certificate %s', async (_label, at, marker) => {
    const result = await runCertInspect({
      file: file('alice-again.pem', encodePem(aliceDer, 'CERTIFICATE')),
      now: at,
    });
    expect(result.output).toMatch(marker);
  });

  it('prints every certificate of a chain, leaf first, in --json with a stable shape', async () => {
    const chain = encodePem(aliceDer, 'CERTIFICATE') + encodePem(plainDer, 'CERTIFICATE');
    const result = await runCertInspect({ file: file('chain.pem', chain), json: true, now });
    expect(result.exitCode).toBe(0);
    const parsed = JSON.parse(result.output) as { file: string; certificates: InspectedCertificate[] };
    expect(parsed.certificates).toHaveLength(2);
    const [leaf, second] = parsed.certificates;
    // organizationIdentifier by name, not as its bare OID 2.5.4.97.
    expect(leaf?.subject).toContain('organizationIdentifier=PSDDE-BAFIN-123456');
    expect(leaf).toMatchObject({
      index: 0,
      serialNumber: '01',
      validity: 'valid',
      x5tS256: createHash('sha256').update(aliceDer).digest('base64url'),
      publicKey: { type: 'ec', curve: 'P-256' },
      signatureAlgorithm: 'ecdsa-with-SHA256',
      basicConstraints: { ca: false, critical: true },
      keyUsage: null,
      extendedKeyUsage: ['clientAuth'],
      subjectAltNames: [],
      qwac: {
        qcStatements: { compliance: true, types: ['web'], psd2: { ncaId: 'DE-BAFIN' } },
        organizationIdentifier: {
          value: 'PSDDE-BAFIN-123456',
          parsed: { scheme: 'PSD', country: 'DE', nca: 'BAFIN', authorizationNumber: '123456' },
        },
        profile: {
          ok: true,
          identity: { organizationIdentifier: 'PSDDE-BAFIN-123456', roles: ['PSP_AI', 'PSP_PI'] },
        },
      },
    });
    expect(leaf?.fingerprints.sha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(leaf?.fingerprints.sha1).toMatch(/^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
    expect(second).toMatchObject({ index: 1, validity: 'expired', qwac: null });
    expect(JSON.parse(result.output)).toMatchObject({ gatewayVerdict: { judged: 'qwac-profile-only' } });
  });

  it.each<[string, () => string, RegExp]>([
    ['a missing file', () => path.join(dir, 'nope.pem'), /nope\.pem: file not found$/],
    ['a text file', () => file('hello.txt', 'hello world'), /no CERTIFICATE found \(expected PEM or DER\)$/],
    [
      'bad base64 in PEM',
      () => file('bad.pem', '-----BEGIN CERTIFICATE-----\n#$%\n-----END CERTIFICATE-----\n'),
      /malformed base64/,
    ],
    [
      'DER-looking garbage',
      () => file('garbage.der', Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x05])),
      /certificate #0 cannot be decoded/,
    ],
    ['an empty file', () => file('empty.pem', ''), /no CERTIFICATE found/],
  ])('exits 2 with one clear line for %s', async (_label, make, message) => {
    const result = await runCertInspect({ file: make() });
    expect(result.exitCode).toBe(2);
    expect(result.output.trimEnd().split('\n')).toHaveLength(1);
    expect(result.output.trimEnd()).toMatch(/^psd2-gateway cert inspect: /);
    expect(result.output.trimEnd()).toMatch(message);
    expect(result.output).not.toMatch(/\n\s+at /);
  });
});
