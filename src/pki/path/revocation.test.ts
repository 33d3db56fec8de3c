import { KeyObject, sign, type webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ChainValidator } from './chain_validator';
import { children, DerReader, readSingle, Tag, type Tlv } from '../asn1/der';
import { encodePem } from '../asn1/pem';
import { CrlRevocationChecker } from './revocation';
import {
  crlNumber,
  issue,
  makeCrl,
  makeKeys,
  trentWorld,
  type TrentWorld,
} from '../../../test/pki/cert_factory';

const DAY = 86_400_000;

let w: TrentWorld;
beforeAll(async () => {
  w = await trentWorld();
});

async function validateWith(crls: Uint8Array[], graceSeconds = 0) {
  const validator = new ChainValidator({
    anchors: [w.root.der],
    revocation: new CrlRevocationChecker(crls, graceSeconds),
  });
  return validator.validate({ leaf: w.alice.der, intermediates: [w.issuing.der], purpose: 'clientAuth' });
}

const aliceSerial = (): string => w.alice.cert.serialNumber;

describe('CrlRevocationChecker through the validator', () => {
  it('refuses a revoked leaf, naming it, its serial and when', async () => {
    const crl = await makeCrl({
      issuer: w.issuing,
      revoked: [{ serial: aliceSerial(), at: new Date(Date.UTC(2026, 0, 2)) }],
    });
    await expect(validateWith([crl])).resolves.toEqual({
      valid: false,
      code: 'CERTIFICATE_REVOKED',
      reason: `certificate CN=Bank of Alice serial ${aliceSerial().toUpperCase()} was revoked at 2026-01-02T00:00:00.000Z`,
    });
  });

  it('refuses when the intermediate is revoked by the root', async () => {
    const crl = await makeCrl({ issuer: w.root, revoked: [{ serial: w.issuing.cert.serialNumber }] });
    await expect(validateWith([crl])).resolves.toMatchObject({
      valid: false,
      code: 'CERTIFICATE_REVOKED',
      reason: expect.stringContaining('certificate CN=Trent QWAC CA serial'),
    });
  });

  it('accepts a leaf not on a fresh CRL and caps validUntil at the CRL nextUpdate', async () => {
    const nextUpdate = new Date(Math.floor((Date.now() + 2 * DAY) / 1000) * 1000);
    const crl = await makeCrl({ issuer: w.issuing, nextUpdate, revoked: [{ serial: '0badc0de' }] });
    const result = await validateWith([crl]);
    expect(result).toMatchObject({ valid: true, validUntil: nextUpdate });
  });

  it('treats an issuer without any CRL as not revoking (CRLs are optional)', async () => {
    const otherCa = await issue({ subject: 'CN=Other CA', ca: true });
    const crl = await makeCrl({ issuer: otherCa, revoked: [{ serial: aliceSerial() }] });
    await expect(validateWith([crl])).resolves.toMatchObject({ valid: true });
  });

  it('fails closed on a stale CRL', async () => {
    const crl = await makeCrl({
      issuer: w.issuing,
      thisUpdate: new Date(Date.now() - 10 * DAY),
      nextUpdate: new Date(Date.UTC(2025, 5, 1)),
    });
    await expect(validateWith([crl])).resolves.toEqual({
      valid: false,
      code: 'CERTIFICATE_INVALID',
      reason: 'CRL of CN=Trent QWAC CA is stale: nextUpdate 2025-06-01T00:00:00.000Z has passed',
    });
  });

  it('counts a CRL within GATEWAY_CRL_GRACE_SECONDS past its nextUpdate, and refuses after it', async () => {
    const crl = await makeCrl({
      issuer: w.issuing,
      thisUpdate: new Date(Date.now() - 10 * DAY),
      nextUpdate: new Date(Date.now() - 60 * 60 * 1000),
    });
    await expect(validateWith([crl], 2 * 60 * 60)).resolves.toMatchObject({ valid: true });
    await expect(validateWith([crl], 30 * 60)).resolves.toMatchObject({
      valid: false,
      code: 'CERTIFICATE_INVALID',
      reason: expect.stringMatching(/is stale: nextUpdate .* has passed more than 1800 s ago$/),
    });
  });

  it('fails closed on a CRL without nextUpdate', async () => {
    const crl = await makeCrl({ issuer: w.issuing, nextUpdate: null });
    await expect(validateWith([crl])).resolves.toMatchObject({
      valid: false,
      code: 'CERTIFICATE_INVALID',
      reason: expect.stringMatching(/has no nextUpdate/),
    });
  });

  it('fails closed on a CRL without cRLNumber', async () => {
    const crl = await makeCrl({ issuer: w.issuing, extensions: [] });
    await expect(validateWith([crl])).resolves.toMatchObject({
      valid: false,
      reason: 'CRL of CN=Trent QWAC CA has no cRLNumber extension',
    });
  });

  it("ignores Mallory's CRL with Trent's name and her key; if it is the only one, fails closed", async () => {
    const forged = await makeCrl({ issuer: w.issuing, signingKeys: await makeKeys() });
    await expect(validateWith([forged])).resolves.toEqual({
      valid: false,
      code: 'CERTIFICATE_INVALID',
      reason: 'CRL of CN=Trent QWAC CA signature does not verify with the key of CN=Trent QWAC CA',
    });
  });

  it('cannot be un-revoked by a forged, empty CRL next to the real one', async () => {
    const forged = await makeCrl({
      issuer: w.issuing,
      signingKeys: await makeKeys(),
      extensions: [crlNumber(9)],
    });
    const real = await makeCrl({ issuer: w.issuing, revoked: [{ serial: aliceSerial() }] });
    await expect(validateWith([forged, real])).resolves.toMatchObject({
      valid: false,
      code: 'CERTIFICATE_REVOKED',
    });
    await expect(validateWith([real, forged])).resolves.toMatchObject({
      valid: false,
      code: 'CERTIFICATE_REVOKED',
    });
  });

  it('uses a fresh CRL when a stale one of the same issuer is also loaded', async () => {
    const stale = await makeCrl({
      issuer: w.issuing,
      thisUpdate: new Date(Date.now() - 10 * DAY),
      nextUpdate: new Date(Date.now() - DAY),
    });
    const fresh = await makeCrl({ issuer: w.issuing, extensions: [crlNumber(2)] });
    await expect(validateWith([stale, fresh])).resolves.toMatchObject({ valid: true });
  });
});

describe('CrlRevocationChecker loading', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'crl-test-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads PEM and DER files, reloads changes, and keeps the old set when a reload fails', async () => {
    const pemFile = path.join(dir, 'issuing.pem');
    const derFile = path.join(dir, 'root.crl');
    writeFileSync(pemFile, encodePem(await makeCrl({ issuer: w.issuing }), 'X509 CRL'));
    writeFileSync(derFile, await makeCrl({ issuer: w.root }));
    const checker = CrlRevocationChecker.fromFiles([pemFile, derFile]);
    expect(checker.size).toBe(2);
    const validator = new ChainValidator({ anchors: [w.root.der], revocation: checker });
    const validate = () =>
      validator.validate({ leaf: w.alice.der, intermediates: [w.issuing.der], purpose: 'clientAuth' });
    await expect(validate()).resolves.toMatchObject({ valid: true });

    writeFileSync(
      pemFile,
      encodePem(await makeCrl({ issuer: w.issuing, revoked: [{ serial: aliceSerial() }] }), 'X509 CRL'),
    );
    expect(checker.reload()).toEqual({ ok: true, count: 2, refused: [], foreign: [] });
    await expect(validate()).resolves.toMatchObject({ valid: false, code: 'CERTIFICATE_REVOKED' });

    writeFileSync(pemFile, '-----BEGIN X509 CRL-----\nMAMCAQA=\n-----END X509 CRL-----\n');
    expect(checker.reload()).toEqual({
      ok: false,
      // The file is named, so the operator knows which one to fix.
      error: expect.stringMatching(/issuing\.pem: CRL cannot be parsed: /),
    });
    await expect(validate()).resolves.toMatchObject({ valid: false, code: 'CERTIFICATE_REVOKED' });

    rmSync(derFile);
    expect(checker.reload()).toEqual({ ok: false, error: expect.stringContaining('root.crl') });
    expect(checker.size).toBe(2);
  });

  it('throws from fromFiles naming the unreadable file', () => {
    expect(() => CrlRevocationChecker.fromFiles([path.join(dir, 'missing.crl')])).toThrow(/missing\.crl/);
  });

  it('replace() is all or nothing', async () => {
    const checker = new CrlRevocationChecker([await makeCrl({ issuer: w.issuing })]);
    const rootCrl = await makeCrl({ issuer: w.root });
    expect(() => checker.replace([rootCrl, new Uint8Array([0x30, 0x00])])).toThrow(/CRL #2 cannot be parsed/);
    expect(checker.size).toBe(1);
  });
});

const wrap = (tag: number, ...parts: Uint8Array[]): Buffer => {
  const content = Buffer.concat(parts);
  const n = content.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), content]);
};

/** Re-encodes a signed object with its TBS edited (serials a sloppy CA writes) and signs it again. */
function resigned(signed: Uint8Array, editTbs: (tbs: Tlv) => Buffer, key: webcrypto.CryptoKey): Buffer {
  const reader = new DerReader(readSingle(signed, Tag.SEQUENCE).value);
  const tbs = editTbs(reader.read(Tag.SEQUENCE));
  const alg = reader.read(Tag.SEQUENCE);
  const signature = sign('sha256', tbs, KeyObject.from(key));
  return wrap(0x30, tbs, alg.bytes, wrap(0x03, Buffer.from([0]), signature));
}

const rawInteger = (hex: string): Buffer => wrap(0x02, Buffer.from(hex, 'hex'));

describe('serial numbers are compared as numbers (issue 11.7)', () => {
  it('a CRL entry with a non-minimal serial (leading 00) still revokes the certificate', async () => {
    const clean = await makeCrl({ issuer: w.issuing, revoked: [{ serial: aliceSerial() }] });
    // The entry's serial rewritten with a redundant leading 00, as a sloppy CA would write it.
    const crl = resigned(
      clean,
      (tbs) =>
        wrap(
          0x30,
          ...children(tbs).map((field) =>
            field.tag === Tag.SEQUENCE && children(field)[0]?.tag === Tag.SEQUENCE
              ? wrap(
                  0x30,
                  ...children(field).map((entry) =>
                    wrap(
                      0x30,
                      rawInteger(`00${aliceSerial()}`),
                      ...children(entry)
                        .slice(1)
                        .map((t) => t.bytes),
                    ),
                  ),
                )
              : Buffer.from(field.bytes),
          ),
        ),
      w.issuing.keys.privateKey,
    );
    expect(crl.toString('hex')).toContain(`0211${'00'}${aliceSerial()}`);
    await expect(validateWith([clean])).resolves.toMatchObject({ code: 'CERTIFICATE_REVOKED' });
    const result = await validateWith([crl]);
    expect(result).toMatchObject({ valid: false, code: 'CERTIFICATE_REVOKED' });
  });

  it.each([
    ['00 before a clear top bit', '0001020304'],
    ['ff before a set top bit', 'ff8a'],
  ])('a certificate whose serial is not DER (%s) is refused, saying why', async (_name, serial) => {
    const clean = await issue({ subject: 'CN=Odd Serial', issuer: w.issuing });
    const leaf = resigned(
      clean.der,
      (tbs) => {
        const [version, , ...rest] = children(tbs);
        return wrap(0x30, (version as Tlv).bytes, rawInteger(serial), ...rest.map((t) => t.bytes));
      },
      w.issuing.keys.privateKey,
    );
    expect(leaf.toString('hex')).toContain(`02${(serial.length / 2).toString(16).padStart(2, '0')}${serial}`);
    const validator = new ChainValidator({ anchors: [w.root.der] });
    const validate = (der: Uint8Array) =>
      validator.validate({ leaf: der, intermediates: [w.issuing.der], purpose: 'clientAuth' });
    await expect(validate(clean.der)).resolves.toMatchObject({ valid: true });
    const result = await validate(leaf);
    expect(result).toMatchObject({ valid: false, code: 'CERTIFICATE_INVALID' });
    expect((result as { reason: string }).reason).toMatch(/serial number that is not DER/);
  });
});
