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
