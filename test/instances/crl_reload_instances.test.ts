/**
 * Issue 17.5: a CRL reloaded on one instance takes effect on the others. Two gateway processes on one
 * PostgreSQL database read the same CRL file; only the first watches it. When the issuing CA's CRL is
 * replaced by one revoking Alice, the first reloads it and tells the second (PostgreSQL NOTIFY), which
 * re-reads its own files at once, instead of at its periodic check a day later.
 */
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { issueCrl } from '../../src/fixtures/fixture_pki';
import { importPrivateKeyPem } from '../../src/fixtures/issue_certificate';
import { x509 } from '../../src/fixtures/x509';
import { encodePem } from '../../src/pki/asn1/pem';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway_process';
import { mtlsRequest, tppMessageCode } from '../helpers/mtls_request';
import { clientCredentials, testPkiFiles } from '../helpers/test_pki';
import { createTestDatabase, describeForDatabase, type TestDatabase } from '../store/test_databases';

describeForDatabase('postgres')('a CRL reloaded on one of two instances', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'psd2-crl-instances-'));
  const crlFile = path.join(dir, 'issuing.crl.pem');
  const rootCrlFile = path.join(dir, 'root.crl.pem');
  let database: TestDatabase;
  let watching: GatewayProcess;
  let notWatching: GatewayProcess;

  beforeAll(async () => {
    const files = testPkiFiles();
    copyFileSync(files.crls[0] as string, crlFile);
    copyFileSync(files.crls[1] as string, rootCrlFile);
    database = await createTestDatabase('postgres');
    const crls = { GATEWAY_CRL: `${crlFile},${rootCrlFile}`, GATEWAY_CRL_RELOAD_SECONDS: '86400' };
    watching = await startGatewayProcess({ databaseUrl: database.url, env: crls });
    notWatching = await startGatewayProcess({
      databaseUrl: database.url,
      env: { ...crls, GATEWAY_WATCH_KEY_FILES: 'false' },
    });
  }, 180_000);

  afterAll(async () => {
    await watching?.stop();
    await notWatching?.stop();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const probe = async (gateway: GatewayProcess) => {
    const res = await mtlsRequest({
      url: `${gateway.url}/v1/accounts`,
      ca: readFileSync(testPkiFiles().anchor),
      credentials: clientCredentials('alice'),
      headers: { 'X-Request-ID': randomUUID(), 'Consent-ID': 'none', 'PSU-IP-Address': '192.0.2.1' },
    });
    return tppMessageCode(res.json);
  };

  it('is honoured by the instance that did not see the file change', async () => {
    // Admitted by the gate (refused later for the unknown consent): the verdict is cached on both.
    expect(await probe(notWatching)).not.toMatch(/^CERTIFICATE_/);

    const files = testPkiFiles();
    const issuingCert = new x509.X509Certificate(readFileSync(files.issuingCa));
    const keys = await importPrivateKeyPem(readFileSync(files.issuingCaKey, 'utf8'), issuingCert);
    const alice = new x509.X509Certificate(clientCredentials('alice').cert.toString());
    const crl = await issueCrl({ cert: issuingCert, keys }, [alice.serialNumber], new Date());
    writeFileSync(crlFile, encodePem(new Uint8Array(crl.rawData), 'X509 CRL'));

    // The watching instance reloads after its settle delay; the other within a second of that.
    const since = Date.now();
    let code: string | undefined;
    do code = await probe(notWatching);
    while (code !== 'CERTIFICATE_REVOKED' && Date.now() - since < 5000);
    expect(code).toBe('CERTIFICATE_REVOKED');
    expect(await probe(watching)).toBe('CERTIFICATE_REVOKED');
  }, 120_000);
});
