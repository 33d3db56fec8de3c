/**
 * The gateway refuses to start, naming the setting, when its trust material cannot be what it claims:
 * an anchor that is not a self-signed CA valid now, an intermediate bundle member that does not chain to
 * the anchor, a server certificate without serverAuth (issue 11, items 5 and 7).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { webcrypto } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { encodePem, decodePemBlocks } from '../../src/pki/asn1/pem';
import { clientCredentials, testPkiFiles } from '../helpers/test_pki';
import { startTestGateway } from '../helpers/test_gateway';
import { issue } from '../pki/cert_factory';

const DAY = 86_400_000;
const dir = mkdtempSync(path.join(os.tmpdir(), 'psd2-start-'));
const write = (name: string, pem: string): string => {
  const file = path.join(dir, name);
  writeFileSync(file, pem);
  return file;
};
const certificatesOf = (caseId: string): Buffer[] =>
  decodePemBlocks(clientCredentials(caseId).cert.toString(), 'CERTIFICATE');

describe('start-up refusals', () => {
  it('starts with GATEWAY_INTERMEDIATES holding the issuing CA', async () => {
    const gateway = await startTestGateway('sqlite::memory:', {
      GATEWAY_INTERMEDIATES: testPkiFiles().issuingCa,
    });
    expect(gateway.trustStore.intermediates).toHaveLength(1);
    await gateway.close();
  });

  it("refuses GATEWAY_INTERMEDIATES holding Mallory's CA, naming the variable", async () => {
    const [, malloryCa] = certificatesOf('mallory-own-ca');
    const bundle = write('mixed.pem', encodePem(malloryCa as Buffer, 'CERTIFICATE'));
    await expect(startTestGateway('sqlite::memory:', { GATEWAY_INTERMEDIATES: bundle })).rejects.toThrow(
      /^GATEWAY_INTERMEDIATES: .* does not validate to the trust anchor/,
    );
  });

  it('refuses a leaf in GATEWAY_INTERMEDIATES', async () => {
    const [alice] = certificatesOf('alice');
    const bundle = write('leaf.pem', encodePem(alice as Buffer, 'CERTIFICATE'));
    await expect(startTestGateway('sqlite::memory:', { GATEWAY_INTERMEDIATES: bundle })).rejects.toThrow(
      /^GATEWAY_INTERMEDIATES: .* is not a CA certificate/,
    );
  });

  it.each([
    ['the issuing CA (not self-signed)', () => testPkiFiles().issuingCa, /not self-signed/],
    [
      'a leaf',
      () => write('alice-anchor.pem', encodePem(certificatesOf('alice')[0] as Buffer, 'CERTIFICATE')),
      /is not a CA certificate/,
    ],
  ])('refuses %s as GATEWAY_TRUST_ANCHOR', async (_name, file, reason) => {
    await expect(startTestGateway('sqlite::memory:', { GATEWAY_TRUST_ANCHOR: file() })).rejects.toThrow(
      new RegExp(`^GATEWAY_TRUST_ANCHOR: .*${reason.source}`),
    );
  });

  it.each([
    ['expired', new Date(Date.now() - 10 * DAY), new Date(Date.now() - DAY), /expired at/],
    ['not yet valid', new Date(Date.now() + DAY), new Date(Date.now() + 10 * DAY), /is not valid before/],
  ])('refuses a root that is %s as GATEWAY_TRUST_ANCHOR', async (name, notBefore, notAfter, reason) => {
    const root = await issue({ subject: `CN=${name} root`, ca: true, notBefore, notAfter });
    const file = write(`${name}.pem`, encodePem(root.der, 'CERTIFICATE'));
    await expect(startTestGateway('sqlite::memory:', { GATEWAY_TRUST_ANCHOR: file })).rejects.toThrow(
      new RegExp(`^GATEWAY_TRUST_ANCHOR: .*${reason.source}`),
    );
  });

  it('refuses a server certificate without serverAuth, naming GATEWAY_TLS_CERT', async () => {
    const server = await issue({ subject: 'CN=localhost', eku: ['1.3.6.1.5.5.7.3.2'] });
    const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', server.keys.privateKey);
    const key = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(pkcs8).toString('base64')}\n-----END PRIVATE KEY-----\n`;
    const started = startTestGateway('sqlite::memory:', {
      GATEWAY_TLS_CERT: write('client-only.pem', encodePem(server.der, 'CERTIFICATE')),
      GATEWAY_TLS_KEY: write('client-only.key.pem', key),
    });
    await expect(started).rejects.toThrow(
      /^GATEWAY_TLS_CERT: .*extendedKeyUsage does not include serverAuth/,
    );
    await started.then((gateway) => gateway.close()).catch(() => undefined);
  });
});
