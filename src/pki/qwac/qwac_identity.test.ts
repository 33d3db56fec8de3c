import { createHash, randomBytes } from 'node:crypto';
import { DerError } from '../asn1/der';
import { ParsedCertificate } from '../certificate/parsed_certificate';
import { hasRole, identityFromQwac as identityFromLeaf, type QwacIdentityResult } from './qwac_identity';
import { x509 } from '../../fixtures/x509';
import {
  ALICE_ROLES,
  OID,
  makeLeafDer,
  oid,
  psd2Statement,
  qcType,
  seq,
  statement,
  utf8,
  type LeafParams,
} from '../../../test/pki/qwac_test_certificates';

const BAFIN = 'Federal Financial Supervisory Authority';

/** qcStatements of an otherwise good QWAC with the given PSD2 statement (or none). */
function withPsd2(psd2: Uint8Array | null, ...extra: Uint8Array[]): Uint8Array {
  return seq(statement(OID.qcCompliance), qcType(OID.qcTypeWeb), ...extra, ...(psd2 ? [psd2] : []));
}

/** The QWAC profile on a certificate walked the way path validation walks it. */
function identityFromQwac(der: Uint8Array): QwacIdentityResult {
  return identityFromLeaf(ParsedCertificate.parse(der));
}

/** The DerError the certificate walk throws for `der`; fails the test on success or any other error. */
function walkError(der: Uint8Array): DerError {
  try {
    ParsedCertificate.parse(der);
  } catch (error) {
    expect(error).toBeInstanceOf(DerError);
    return error as DerError;
  }
  throw new Error('expected a DerError, but the certificate parsed');
}

function refusal(result: QwacIdentityResult): string {
  if (result.ok) throw new Error(`expected a refusal, got identity ${JSON.stringify(result.identity)}`);
  expect(result.code).toBe('CERTIFICATE_INVALID');
  return result.reason;
}

describe('identityFromQwac', () => {
  it('derives the TPP identity of an Alice-like QWAC', async () => {
    const notAfter = new Date(Math.floor(Date.now() / 1000) * 1000 + 30 * 24 * 3600_000);
    const der = await makeLeafDer({ notAfter });
    const result = identityFromQwac(der);
    expect(result).toEqual({
      ok: true,
      identity: {
        organizationIdentifier: 'PSDDE-BAFIN-123456',
        name: 'Bank of Alice AG',
        roles: ['PSP_AI', 'PSP_PI'],
        ncaName: BAFIN,
        ncaId: 'DE-BAFIN',
        thumbprintS256: createHash('sha256').update(der).digest('base64url'),
        notAfter,
        commonName: 'tpp.alice.example',
      },
    });
    if (result.ok) {
      expect(result.identity.thumbprintS256).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(hasRole(result.identity, 'PSP_AI')).toBe(true);
      expect(hasRole(result.identity, 'PSP_PI')).toBe(true);
      expect(hasRole(result.identity, 'PSP_AS')).toBe(false);
      expect(hasRole(result.identity, 'PSP_IC')).toBe(false);
    }
  });

  it('falls back to the commonName when there is no organizationName', async () => {
    const result = identityFromQwac(
      await makeLeafDer({ organizationName: null, commonName: 'Carol Payments' }),
    );
    expect(result.ok && result.identity.name).toBe('Carol Payments');
  });

  it('agrees with @peculiar/x509 on notAfter for a GeneralizedTime (2050+) validity', async () => {
    const notAfter = new Date('2051-06-30T12:00:00Z');
    const der = await makeLeafDer({ notAfter });
    const result = identityFromQwac(der);
    expect(result.ok && result.identity.notAfter.toISOString()).toBe(
      new x509.X509Certificate(der).notAfter.toISOString(),
    );
  });

  it('collapses a role listed twice', async () => {
    const qc = withPsd2(psd2Statement([...ALICE_ROLES, [OID.pspAi, 'PSP_AI']], BAFIN, 'DE-BAFIN'));
    const result = identityFromQwac(await makeLeafDer({ qcStatements: qc }));
    expect(result.ok && result.identity.roles).toEqual(['PSP_AI', 'PSP_PI']);
  });

  it('ignores an unknown (future) role OID beside known ones (issue 11.7)', async () => {
    const qc = withPsd2(psd2Statement([...ALICE_ROLES, ['0.4.0.19495.1.7', 'PSP_XY']], BAFIN, 'DE-BAFIN'));
    const result = identityFromQwac(await makeLeafDer({ qcStatements: qc }));
    expect(result.ok && result.identity.roles).toEqual(['PSP_AI', 'PSP_PI']);
  });

  const good = (roles: [string, string][] = ALICE_ROLES, ncaName = BAFIN, ncaId = 'DE-BAFIN'): Uint8Array =>
    psd2Statement(roles, ncaName, ncaId);

  it.each<[string, LeafParams, RegExp]>([
    [
      'no qcStatements extension',
      { qcStatements: null },
      /no qcStatements extension \(1\.3\.6\.1\.5\.5\.7\.1\.3\)/,
    ],
    [
      'no QcCompliance',
      { qcStatements: seq(qcType(OID.qcTypeWeb), good()) },
      /lack QcCompliance \(0\.4\.0\.1862\.1\.1\): not an EU qualified certificate/,
    ],
    [
      'a QSealC',
      { qcStatements: seq(statement(OID.qcCompliance), qcType(OID.qcTypeEseal), good()) },
      /^certificate is a QSealC \(QcType eseal\), not a website certificate$/,
    ],
    [
      'an e-signature certificate',
      { qcStatements: seq(statement(OID.qcCompliance), qcType(OID.qcTypeEsign), good()) },
      /QcType esign\), not a website certificate/,
    ],
    [
      'QcType absent (EN 319 412-5: absence never means web)',
      { qcStatements: seq(statement(OID.qcCompliance), good()) },
      /lack QcType \(0\.4\.0\.1862\.1\.6\): a QWAC must declare QcType web/,
    ],
    [
      'QcType empty',
      { qcStatements: seq(statement(OID.qcCompliance), statement(OID.qcType, seq()), good()) },
      /QcType lists no certificate type/,
    ],
    [
      'QcType web and eseal at once',
      { qcStatements: seq(statement(OID.qcCompliance), qcType(OID.qcTypeWeb, OID.qcTypeEseal), good()) },
      /QcType lists several types \(web, eseal\)/,
    ],
    [
      'QcSSCD on a QWAC',
      { qcStatements: withPsd2(good(), statement(OID.qcSscd)) },
      /carries QcSSCD \(0\.4\.0\.1862\.1\.4\), which must not appear on a QWAC/,
    ],
    ['no PSD2 statement', { qcStatements: withPsd2(null) }, /lack the PSD2 statement \(0\.4\.0\.19495\.2\)/],
    ['empty roles', { qcStatements: withPsd2(good([])) }, /lists no roles \(rolesOfPSP is empty\)/],
    [
      'unknown role OID',
      { qcStatements: withPsd2(good([['0.4.0.19495.1.3.999', 'PSP_AI']])) },
      /role OID 0\.4\.0\.19495\.1\.3\.999 \(named "PSP_AI"\) is not one of PSP_AS, PSP_PI, PSP_AI, PSP_IC/,
    ],
    [
      'the "unspecified" role OID',
      { qcStatements: withPsd2(good([['0.4.0.19495.1.0', 'Unspecified']])) },
      /role OID 0\.4\.0\.19495\.1\.0 .* is not one of/,
    ],
    [
      'role name not matching its OID',
      { qcStatements: withPsd2(good([[OID.pspAi, 'PSP_AS']])) },
      /role 0\.4\.0\.19495\.1\.3 is named "PSP_AS", but that OID is PSP_AI/,
    ],
    [
      'role name in the wrong case',
      { qcStatements: withPsd2(good([[OID.pspPi, 'psp_pi']])) },
      /is named "psp_pi", but that OID is PSP_PI/,
    ],
    ['empty nCAName', { qcStatements: withPsd2(good(ALICE_ROLES, '')) }, /PSD2 nCAName is empty/],
    [
      'nCAName over 256 characters',
      { qcStatements: withPsd2(good(ALICE_ROLES, 'N'.repeat(257))) },
      /PSD2 nCAName is longer than 256 characters/,
    ],
    ['empty nCAId', { qcStatements: withPsd2(good(ALICE_ROLES, BAFIN, '')) }, /PSD2 nCAId is empty/],
    [
      'nCAId over 256 characters',
      { qcStatements: withPsd2(good(ALICE_ROLES, BAFIN, `DE-${'B'.repeat(300)}`)) },
      /PSD2 nCAId is longer than 256 characters/,
    ],
    [
      'nCAId without separator',
      { qcStatements: withPsd2(good(ALICE_ROLES, BAFIN, 'DEBAFIN')) },
      /PSD2 nCAId "DEBAFIN" is not of the form <CC>-<NCA>/,
    ],
    [
      'nCAId with an unassigned country',
      { qcStatements: withPsd2(good(ALICE_ROLES, BAFIN, 'XY-BAFIN')) },
      /PSD2 nCAId "XY-BAFIN": "XY" is not an ISO 3166-1 alpha-2 country code/,
    ],
    [
      'nCAId with a lower-case NCA',
      { qcStatements: withPsd2(good(ALICE_ROLES, BAFIN, 'DE-BaFin')) },
      /NCA identifier "BaFin" is not 2 to 8 letters A-Z/,
    ],
    [
      'organizationIdentifier missing',
      { organizationIdentifier: null },
      /subject has no organizationIdentifier \(2\.5\.4\.97\)/,
    ],
    [
      'organizationIdentifier with another scheme',
      { organizationIdentifier: 'NTRDE-HRB12345' },
      /organizationIdentifier "NTRDE-HRB12345" does not use the PSD registration scheme/,
    ],
    [
      'organizationIdentifier malformed',
      { organizationIdentifier: 'PSDDE-BAFIN' },
      /not of the form PSD<CC>-<NCA>-<authorisation number>/,
    ],
    [
      'organizationIdentifier naming another NCA than nCAId',
      { organizationIdentifier: 'PSDNL-DNB-R161162' },
      /organizationIdentifier "PSDNL-DNB-R161162" names NCA NL-DNB, but the PSD2 statement's nCAId is "DE-BAFIN"/,
    ],
    [
      'organizationIdentifier naming the same NCA in another country',
      { organizationIdentifier: 'PSDAT-BAFIN-1' },
      /names NCA AT-BAFIN, but the PSD2 statement's nCAId is "DE-BAFIN"/,
    ],
    [
      'malformed qcStatements',
      { qcStatements: seq(statement(OID.psd2, utf8('PSP_AI'))) },
      /qcStatements extension is malformed: qcStatements: PSD2 statement: statementInfo \(PSD2QcType\): expected SEQUENCE/,
    ],
    [
      'qcStatements not DER',
      { qcStatements: Uint8Array.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]) },
      /qcStatements extension is malformed: .*exceeds the 0 bytes available/,
    ],
  ])('refuses %s', async (_label, params, reason) => {
    expect(refusal(identityFromQwac(await makeLeafDer(params)))).toMatch(reason);
  });

  it('refuses a certificate with two qcStatements extensions', async () => {
    const second = new x509.Extension(OID.qcStatements, false, withPsd2(null));
    const der = await makeLeafDer({ extraExtensions: [second] });
    expect(refusal(identityFromQwac(der))).toMatch(/more than one qcStatements extension/);
  });

  // Speed is measured by `npm run bench` (validation: QWAC profile read), not asserted here.
  describe('robustness: the walk refuses what is not a certificate, the profile never throws', () => {
    let der: Uint8Array;
    beforeAll(async () => {
      der = await makeLeafDer();
    });

    it('refuses every truncation of a real certificate', () => {
      for (let length = 0; length < der.length; length++) {
        expect(walkError(der.subarray(0, length)).message.length).toBeGreaterThan(0);
      }
    });

    it.each<[string, () => Uint8Array, RegExp]>([
      ['empty input', () => new Uint8Array(0), /Certificate: missing/],
      [
        'PEM text instead of DER',
        () => Buffer.from('-----BEGIN CERTIFICATE-----'),
        /Certificate: expected SEQUENCE \(0x30\), found tag 0x2d/,
      ],
      ['a bare OID', () => oid('1.2.3'), /expected SEQUENCE \(0x30\), found OBJECT IDENTIFIER/],
      ['trailing garbage', () => Uint8Array.from([...der, 0]), /unexpected data after Certificate/],
      ['huge length', () => Uint8Array.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x30]), /exceeds/],
      [
        '10,000-deep nesting',
        () => {
          let nested: Uint8Array = seq();
          for (let i = 0; i < 10_000; i++) nested = seq(nested);
          return nested;
        },
        /signatureAlgorithm: missing/,
      ],
    ])('refuses %s', (_label, input, reason) => {
      expect(walkError(input()).message).toMatch(reason);
    });

    it('refuses random bytes and bit-flipped certificates without throwing', () => {
      for (let i = 0; i < 1000; i++) {
        let input: Uint8Array;
        if (i % 2 === 0) {
          input = randomBytes(1 + (i % 1200));
        } else {
          input = Uint8Array.from(der);
          const at = (i * 7919) % input.length;
          input[at] = (input[at] as number) ^ (1 << (i % 8));
        }
        let leaf: ParsedCertificate;
        try {
          leaf = ParsedCertificate.parse(input);
        } catch (error) {
          expect(error).toBeInstanceOf(DerError);
          continue;
        }
        const result = identityFromLeaf(leaf);
        // A flipped bit in a signature or key byte still yields the identity: that is path validation's catch.
        if (!result.ok) expect(result.reason.length).toBeGreaterThan(0);
      }
    });
  });
});
