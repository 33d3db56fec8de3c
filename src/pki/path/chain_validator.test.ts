import { x509 } from '../../fixtures/x509';
import { ChainValidator, type ChainPurpose, type ChainValidationResult } from './chain_validator';
import { issue, makeKeys, trentWorld, type Issued, type TrentWorld } from '../../../test/pki/cert_factory';

const DAY = 86_400_000;
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

interface Case {
  leaf: Uint8Array;
  intermediates: Uint8Array[];
  purpose?: ChainPurpose;
  at?: Date;
}

let w: TrentWorld;
let validator: ChainValidator;

beforeAll(async () => {
  w = await trentWorld();
  validator = new ChainValidator({ anchors: [w.root.der] });
});

const run = (c: Case): Promise<ChainValidationResult> =>
  validator.validate({
    leaf: c.leaf,
    intermediates: c.intermediates,
    purpose: c.purpose ?? 'clientAuth',
    at: c.at,
  });

const leafUnder = (issuer: Issued, extra: Partial<Parameters<typeof issue>[0]> = {}): Promise<Issued> =>
  issue({ subject: 'CN=Carol Payments, O=Carol, C=FR', issuer, ...extra });

describe('ChainValidator: refusals, one check per row', () => {
  const rows: [
    string,
    (w: TrentWorld) => Promise<Case>,
    'CERTIFICATE_INVALID' | 'CERTIFICATE_EXPIRED',
    RegExp,
  ][] = [
    [
      'expired leaf',
      async (w) => ({
        leaf: (await leafUnder(w.issuing, { notAfter: new Date(Date.now() - DAY) })).der,
        intermediates: [w.issuing.der],
      }),
      'CERTIFICATE_EXPIRED',
      /^certificate expired at \d{4}-.*Z \(leaf certificate CN=Carol Payments\)$/,
    ],
    [
      'expired intermediate (same key, short-lived copy)',
      async (w) => {
        const expired = await issue({
          subject: w.issuing.subject,
          keys: w.issuing.keys,
          issuer: w.root,
          ca: true,
          pathLen: 0,
          notAfter: new Date(Date.now() - DAY),
        });
        return { leaf: w.alice.der, intermediates: [expired.der] };
      },
      'CERTIFICATE_EXPIRED',
      /intermediate CN=Trent QWAC CA\)$/,
    ],
    [
      'leaf not yet valid',
      async (w) => ({
        leaf: (await leafUnder(w.issuing, { notBefore: new Date(Date.now() + DAY) })).der,
        intermediates: [w.issuing.der],
      }),
      'CERTIFICATE_INVALID',
      /^leaf certificate CN=Carol Payments is not valid before /,
    ],
    [
      'intermediate without the CA flag',
      async (w) => {
        const notCa = await issue({
          subject: 'CN=Not A CA',
          issuer: w.root,
          ca: false,
          keyUsage: null,
          eku: null,
        });
        return { leaf: (await leafUnder(notCa)).der, intermediates: [notCa.der] };
      },
      'CERTIFICATE_INVALID',
      /^intermediate CN=Not A CA is not a CA$/,
    ],
    [
      'pathLen 0 of the issuing CA exceeded by a sub-CA',
      async (w) => {
        const sub = await issue({ subject: 'CN=Sub CA', issuer: w.issuing, ca: true });
        return { leaf: (await leafUnder(sub)).der, intermediates: [sub.der, w.issuing.der] };
      },
      'CERTIFICATE_INVALID',
      /^path length constraint of intermediate CN=Trent QWAC CA is exceeded by intermediate CN=Sub CA$/,
    ],
    [
      'leaf is a CA',
      async (w) => ({
        leaf: (
          await leafUnder(w.issuing, {
            ca: true,
            keyUsage: x509.KeyUsageFlags.digitalSignature,
            eku: [CLIENT_AUTH],
          })
        ).der,
        intermediates: [w.issuing.der],
      }),
      'CERTIFICATE_INVALID',
      /is a CA certificate, not an end entity$/,
    ],
    [
      'leaf without extendedKeyUsage',
      async (w) => ({
        leaf: (await leafUnder(w.issuing, { eku: null })).der,
        intermediates: [w.issuing.der],
      }),
      'CERTIFICATE_INVALID',
      /has no extendedKeyUsage \(clientAuth required\)$/,
    ],
    [
      'serverAuth-only leaf used for clientAuth',
      async (w) => ({
        leaf: (await leafUnder(w.issuing, { eku: [SERVER_AUTH] })).der,
        intermediates: [w.issuing.der],
      }),
      'CERTIFICATE_INVALID',
      /extendedKeyUsage does not allow clientAuth$/,
    ],
    [
      'anyExtendedKeyUsage alone for clientAuth',
      async (w) => ({
        leaf: (await leafUnder(w.issuing, { eku: ['2.5.29.37.0'] })).der,
        intermediates: [w.issuing.der],
      }),
      'CERTIFICATE_INVALID',
      /extendedKeyUsage does not allow clientAuth$/,
    ],
    [
      'leaf keyUsage without digitalSignature',
      async (w) => ({
        leaf: (await leafUnder(w.issuing, { keyUsage: x509.KeyUsageFlags.keyEncipherment })).der,
        intermediates: [w.issuing.der],
      }),
      'CERTIFICATE_INVALID',
      /keyUsage does not allow digitalSignature$/,
    ],
    [
      'unknown critical extension on the leaf',
      async (w) => ({
        leaf: (
          await leafUnder(w.issuing, {
            extraExtensions: [
              new x509.Extension('1.3.6.1.4.1.55738.666.1', true, new Uint8Array([0x05, 0x00])),
            ],
          })
        ).der,
        intermediates: [w.issuing.der],
      }),
      'CERTIFICATE_INVALID',
      /^leaf certificate CN=Carol Payments has an unknown critical extension 1\.3\.6\.1\.4\.1\.55738\.666\.1$/,
    ],
    [
      'RSA-1024 leaf key',
      async (w) => ({
        leaf: (await leafUnder(w.issuing, { keys: await makeKeys('rsa1024') })).der,
        intermediates: [w.issuing.der],
      }),
      'CERTIFICATE_INVALID',
      /RSA key of 1024 bits is below the 2048-bit minimum$/,
    ],
    [
      'SHA-1 signature on the leaf',
      async (w) => {
        const rsaCa = await issue({
          subject: 'CN=Trent RSA CA',
          issuer: w.root,
          ca: true,
          pathLen: 0,
          keys: await makeKeys('rsa2048-sha1'),
        });
        return { leaf: (await leafUnder(rsaCa)).der, intermediates: [rsaCa.der] };
      },
      'CERTIFICATE_INVALID',
      /^leaf certificate CN=Carol Payments is signed with an unacceptable algorithm: SHA-1 with RSA signatures are not accepted$/,
    ],
    [
      "Mallory's own CA wearing Trent's exact names and key identifiers",
      async (w) => {
        const rootSki = w.root.cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
        const issuingSki = w.issuing.cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
        const fakeRoot = await issue({ subject: w.root.subject, ca: true, ski: rootSki });
        const fakeIssuing = await issue({
          subject: w.issuing.subject,
          issuer: fakeRoot,
          ca: true,
          pathLen: 0,
          ski: issuingSki,
        });
        const leaf = await issue({ subject: 'CN=Mallory Bank', issuer: fakeIssuing });
        return { leaf: leaf.der, intermediates: [fakeIssuing.der, fakeRoot.der] };
      },
      'CERTIFICATE_INVALID',
      /^chain does not lead to the trust anchor/,
    ],
    [
      "Mallory's leaf naming Trent's real intermediate as issuer",
      async (w) => {
        const fakeIssuing = await issue({
          subject: w.issuing.subject,
          issuer: w.root,
          ca: true,
          keys: await makeKeys(),
        });
        // Signed by a key that is not Trent's: only the name points at Trent's intermediate.
        const leaf = await issue({
          subject: 'CN=Mallory Bank',
          issuer: { ...fakeIssuing, cert: w.issuing.cert },
        });
        return { leaf: leaf.der, intermediates: [w.issuing.der] };
      },
      'CERTIFICATE_INVALID',
      /^chain does not lead to the trust anchor \(the signature of CN=Mallory Bank does not verify with the key of CN=Trent QWAC CA\)$/,
    ],
    [
      'self-signed leaf',
      async () => ({ leaf: (await issue({ subject: 'CN=Mallory Bank' })).der, intermediates: [] }),
      'CERTIFICATE_INVALID',
      /^chain does not lead to the trust anchor$/,
    ],
    [
      'leaf signed by a leaf',
      async (w) => ({
        leaf: (await issue({ subject: 'CN=Mallory Bank', issuer: w.alice })).der,
        intermediates: [w.alice.der, w.issuing.der],
      }),
      'CERTIFICATE_INVALID',
      /^intermediate CN=Bank of Alice is not a CA$/,
    ],
    [
      'leaf without its intermediate',
      async (w) => ({ leaf: w.alice.der, intermediates: [] }),
      'CERTIFICATE_INVALID',
      /^chain does not lead to the trust anchor$/,
    ],
    [
      'garbage DER as the leaf',
      async () => ({ leaf: new Uint8Array([0x30, 0x82, 0xff, 0xff, 1, 2, 3]), intermediates: [] }),
      'CERTIFICATE_INVALID',
      /^leaf certificate is not a valid X\.509 certificate/,
    ],
    [
      'empty leaf',
      async () => ({ leaf: new Uint8Array(0), intermediates: [] }),
      'CERTIFICATE_INVALID',
      /^leaf certificate is not a valid X\.509 certificate/,
    ],
    [
      'the anchor itself presented as a TLS client certificate',
      async (w) => ({ leaf: w.root.der, intermediates: [] }),
      'CERTIFICATE_INVALID',
      /^trust anchor CN=Trent Root CA is a CA certificate, not an end entity$/,
    ],
  ];

  const table = rows.map(([name, build, code, reason]) => ({ name, build, code, reason }));
  it.each(table)('$name → $code', async ({ build, code, reason }) => {
    const result = await run(await build(w));
    expect(result).toEqual({ valid: false, code, reason: expect.stringMatching(reason) });
  });
});

describe('ChainValidator: acceptance', () => {
  it('accepts leaf → issuing CA → root and reports the path and how long the verdict holds', async () => {
    const result = await run({ leaf: w.alice.der, intermediates: [w.issuing.der] });
    expect(result.valid).toBe(true);
    if (!result.valid) return;
    expect(result.path.map((der) => new x509.X509Certificate(der).subject)).toEqual([
      w.alice.subject,
      w.issuing.subject,
      w.root.subject,
    ]);
    // The anchor's own validity bounds the verdict too (regression: leaving it out made this flaky).
    const earliest = Math.min(
      w.alice.cert.notAfter.getTime(),
      w.issuing.cert.notAfter.getTime(),
      w.root.cert.notAfter.getTime(),
    );
    expect(result.validUntil.getTime()).toBe(Math.floor(earliest / 1000) * 1000);
  });

  it('accepts a shuffled bag with junk, a garbage blob, a duplicate and a copy of the anchor', async () => {
    const unrelatedCa = await issue({ subject: 'CN=Unrelated CA', ca: true });
    const sameNameOtherKey = await issue({ subject: w.issuing.subject, ca: true });
    const bag = [
      w.root.der,
      unrelatedCa.der,
      new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]),
      sameNameOtherKey.der,
      w.issuing.der,
      w.issuing.der,
    ];
    const result = await run({ leaf: w.alice.der, intermediates: bag });
    expect(result).toMatchObject({ valid: true });
    if (result.valid) expect(result.path).toHaveLength(3);
  });

  it("honours the purpose: serverAuth leaf accepted for serverAuth, and 'any' skips leaf checks", async () => {
    const server = await leafUnder(w.issuing, { eku: [SERVER_AUTH], subject: 'CN=api.bobs-bank.example' });
    await expect(
      run({ leaf: server.der, intermediates: [w.issuing.der], purpose: 'serverAuth' }),
    ).resolves.toMatchObject({ valid: true });
    await expect(run({ leaf: w.root.der, intermediates: [], purpose: 'any' })).resolves.toMatchObject({
      valid: true,
    });
  });

  it('validates at the given time: a chain valid today is expired next decade', async () => {
    const later = new Date(Date.now() + 3650 * DAY);
    await expect(
      run({ leaf: w.alice.der, intermediates: [w.issuing.der], at: later }),
    ).resolves.toMatchObject({
      valid: false,
      code: 'CERTIFICATE_EXPIRED',
    });
  });

  it('refuses an anchor configuration that is not a certificate', () => {
    expect(() => new ChainValidator({ anchors: [new Uint8Array([1, 2, 3])] })).toThrow(
      /trust anchor #1 is not a valid certificate/,
    );
  });
});

describe('ChainValidator: hostile bags', () => {
  it('refuses a 1000-certificate bag without working through it', async () => {
    const bag = Array.from({ length: 1000 }, () => w.issuing.der);
    // What it costs is measured by `npm run bench` (validation), not asserted on a shared machine.
    const result = await run({ leaf: w.alice.der, intermediates: bag });
    expect(result).toEqual({
      valid: false,
      code: 'CERTIFICATE_INVALID',
      reason: 'too many certificates offered: 1000 intermediates (at most 32)',
    });
  });

  it('stops quickly on 30 same-name, same-key CAs that sign each other but never reach Trent', async () => {
    const keys = await makeKeys();
    const name = 'CN=Mallory Loop CA';
    const self = await issue({ subject: name, keys, ca: true });
    const loop: Issued[] = [self];
    for (let i = 0; i < 29; i++) loop.push(await issue({ subject: name, keys, issuer: self, ca: true }));
    const leaf = await issue({ subject: 'CN=Mallory Bank', issuer: self });
    const result = await run({ leaf: leaf.der, intermediates: loop.map((c) => c.der) });
    expect(result).toMatchObject({ valid: false, code: 'CERTIFICATE_INVALID' });
  });

  it('refuses a two-CA cycle that does not reach the anchor', async () => {
    const a = await issue({ subject: 'CN=Cycle A', ca: true });
    const b = await issue({ subject: 'CN=Cycle B', issuer: a, ca: true });
    const aByB = await issue({ subject: 'CN=Cycle A', keys: a.keys, issuer: b, ca: true });
    const leaf = await issue({ subject: 'CN=Mallory Bank', issuer: b });
    await expect(run({ leaf: leaf.der, intermediates: [aByB.der, b.der] })).resolves.toEqual({
      valid: false,
      code: 'CERTIFICATE_INVALID',
      reason: 'chain does not lead to the trust anchor',
    });
  });

  it('never throws: non-array-like garbage in every position becomes a refusal', async () => {
    const result = await validator.validate({
      leaf: w.alice.der,
      intermediates: [new Uint8Array([0xff]), new Uint8Array(0)],
      purpose: 'clientAuth',
      at: new Date('invalid'),
    });
    expect(result).toEqual({
      valid: false,
      code: 'CERTIFICATE_INVALID',
      reason: 'validation time is not a valid date',
    });
  });
});
