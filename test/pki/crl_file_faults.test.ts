/**
 * Issue 17.2: a CRL file replaced with one of the same size and modification time (`cp -p`, `rsync -t`)
 * must still be noticed; size and mtime alone missed it. A CRL already stale at start is logged loudly.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/audit/logger';
import { issueCrl } from '../../src/fixtures/fixture_pki';
import { importPrivateKeyPem } from '../../src/fixtures/issue_certificate';
import { x509 } from '../../src/fixtures/x509';
import { encodePem } from '../../src/pki/asn1/pem';
import { TrustStore } from '../../src/pki/path/trust_store';
import { testPkiFiles } from '../helpers/test_pki';
import { LogCapture } from '../helpers/tls_gateway_harness';
import { makeCrl, makeKeys, trentWorld, type TrentWorld } from './cert_factory';

describe('CRL file watch', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'psd2-crl-watch-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reloads a CRL replaced by one of the same size and modification time', async () => {
    const files = testPkiFiles();
    const issuingCert = new x509.X509Certificate(readFileSync(files.issuingCa));
    const keys = await importPrivateKeyPem(readFileSync(files.issuingCaKey, 'utf8'), issuingCert);
    const pemOf = async (serial: string) =>
      encodePem(
        new Uint8Array((await issueCrl({ cert: issuingCert, keys }, [serial], new Date())).rawData),
        'X509 CRL',
      );
    // ECDSA signatures vary by a byte or two: issue until both files have the same length.
    const first = await pemOf('0a0a0a0a0a0a0a0a');
    let second = await pemOf('0b0b0b0b0b0b0b0b');
    while (second.length !== first.length) second = await pemOf('0b0b0b0b0b0b0b0b');
    expect(second).not.toBe(first);

    const crlFile = path.join(dir, 'issuing.crl.pem');
    const anchorFile = path.join(dir, 'root.pem');
    copyFileSync(files.anchor, anchorFile);
    const stamp = new Date('2026-01-01T00:00:00Z');
    writeFileSync(crlFile, first);
    utimesSync(crlFile, stamp, stamp);
    const store = await TrustStore.load({
      anchorFile,
      crlFiles: [crlFile],
      logger: createLogger('silent'),
    });
    expect(store.reloadIfChanged()).toBe(false);

    writeFileSync(crlFile, second);
    utimesSync(crlFile, stamp, stamp);
    expect(store.reloadIfChanged()).toBe(true);
    expect(store.reloadIfChanged()).toBe(false);
  });

  it('logs an error at start for a CRL that is already stale', async () => {
    const files = testPkiFiles();
    const crlFile = files.crls[0] as string;
    const nextUpdate = new x509.X509Crl(readFileSync(crlFile, 'utf8')).nextUpdate as Date;
    const log = new LogCapture();
    await TrustStore.load({
      anchorFile: files.anchor,
      crlFiles: [crlFile],
      logger: createLogger('info', log),
      now: new Date(nextUpdate.getTime() + 1000),
    });
    expect(log.lines).toContainEqual(
      expect.objectContaining({
        level: 50,
        event: 'crl_stale_at_start',
        nextUpdate: nextUpdate.toISOString(),
        msg: expect.stringMatching(/is already stale .* every certificate it covers is refused/),
      }),
    );
  });
});

/**
 * Issue 17.2: a CRL is tied to its issuer by signature, not by name. A CRL bearing a configured CA's name
 * that this CA's key does not verify (a re-keyed CA, the old CRL copied) is refused at load, naming the
 * file, instead of loading and then refusing every TPP of that CA. A CRL of a CA that is not configured is
 * kept and counts only when the issuer in the chain verifies it.
 */
describe('CRL files and their issuers', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'psd2-crl-issuer-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let w: TrentWorld;
  const files = { anchor: path.join(dir, 'root.pem'), intermediates: path.join(dir, 'issuing.pem') };

  beforeAll(async () => {
    w = await trentWorld();
    writeFileSync(files.anchor, encodePem(w.root.der, 'CERTIFICATE'));
    writeFileSync(files.intermediates, encodePem(w.issuing.der, 'CERTIFICATE'));
  });

  const crlFile = async (name: string, params: Parameters<typeof makeCrl>[0]) => {
    const file = path.join(dir, name);
    writeFileSync(file, encodePem(await makeCrl(params), 'X509 CRL'));
    return file;
  };

  const load = async (crlFiles: string[], intermediates: boolean, log: LogCapture) => {
    const store = await TrustStore.load({
      anchorFile: files.anchor,
      crlFiles,
      ...(intermediates ? { intermediatesFile: files.intermediates } : {}),
      logger: createLogger('info', log),
    });
    const result = await store.validator.validate({
      leaf: w.alice.der,
      intermediates: [w.issuing.der],
      purpose: 'clientAuth',
    });
    store.close();
    return result;
  };

  it('refuses at load, naming the file, a CRL of a configured CA that its key does not verify', async () => {
    const rekeyed = await crlFile('rekeyed.crl.pem', {
      issuer: w.issuing,
      signingKeys: await makeKeys(),
      revoked: [{ serial: w.alice.cert.serialNumber }],
    });
    const log = new LogCapture();
    const result = await load([rekeyed], true, log);
    // Not loaded, so it cannot refuse Alice: her CA simply has no CRL, which the start-up warning says.
    expect(result).toMatchObject({ valid: true });
    expect(log.lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        event: 'crl_refused',
        file: rekeyed,
        msg: expect.stringMatching(
          /rekeyed\.crl\.pem: CRL of CN=Trent QWAC CA.* not loaded: its signature does not verify/,
        ),
      }),
    );
    expect(log.lines).toContainEqual(
      expect.objectContaining({
        event: 'revocation_data_missing',
        cas: ['CN=Trent Root CA', 'CN=Trent QWAC CA'],
      }),
    );
  });

  it('keeps the CRL of a CA that is not configured and honours it for a chain whose issuer verifies it', async () => {
    const genuine = await crlFile('genuine.crl.pem', {
      issuer: w.issuing,
      revoked: [{ serial: w.alice.cert.serialNumber }],
    });
    const log = new LogCapture();
    await expect(load([genuine], false, log)).resolves.toMatchObject({
      valid: false,
      code: 'CERTIFICATE_REVOKED',
    });
    expect(log.lines).toContainEqual(
      expect.objectContaining({
        event: 'crl_issuer_not_configured',
        issuers: ['CN=Trent QWAC CA'],
      }),
    );
  });

  it('does not fail open: a kept CRL the chain issuer does not verify gives no answer, so hard-fail refuses', async () => {
    const forged = await crlFile('forged.crl.pem', { issuer: w.issuing, signingKeys: await makeKeys() });
    await expect(load([forged], false, new LogCapture())).resolves.toMatchObject({
      valid: false,
      code: 'CERTIFICATE_INVALID',
      reason: expect.stringMatching(
        /could not be established: configured CRL of CN=Trent QWAC CA.* signature does not verify/,
      ),
    });
  });
});
