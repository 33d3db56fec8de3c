/**
 * Issue 17's acceptance for revocation, over real TLS: QWACs made by plain openssl carry authorityInfoAccess
 * (OCSP) and cRLDistributionPoints; openssl's own OCSP responder answers; the gateway is started only
 * through GATEWAY_* variables. A certificate revoked at the responder gets 401 CERTIFICATE_REVOKED; with its
 * responder down, the default (hard-fail) refuses with a text that says what failed, soft-fail admits and
 * logs a warning. The start-up warnings name a CRL file refused for its signature and the CA without CRL.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/audit/logger';
import { startGateway, type RunningGateway } from '../../src/gateway';
import {
  freePorts,
  makeRevocationPki,
  opensslAvailable,
  startOcspResponder,
  type Responder,
} from '../helpers/openssl_revocation';
import { mtlsRequest, tppMessageCode } from '../helpers/mtls_request';
import { LogCapture } from '../helpers/tls_gateway_harness';

if (!opensslAvailable) console.warn('openssl not found: the OCSP gateway end-to-end test is SKIPPED');

const tppText = (json: unknown): string =>
  (json as { tppMessages?: { text?: string }[] }).tppMessages?.[0]?.text ?? '';

(opensslAvailable ? describe : describe.skip)('gateway revocation with openssl ocsp over real TLS', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'psd2-ocsp-gateway-'));
  const file = (name: string) => path.join(dir, name);
  let responder: Responder | undefined;
  const gateways: RunningGateway[] = [];
  const logs = { hard: new LogCapture(), soft: new LogCapture() };
  let hard: RunningGateway;
  let soft: RunningGateway;

  const start = (policy: 'hard-fail' | 'soft-fail', log: LogCapture) =>
    startGateway({
      logger: createLogger('info', log),
      env: {
        GATEWAY_MODE: 'production',
        GATEWAY_SANDBOX: 'true',
        GATEWAY_HOST: '127.0.0.1',
        GATEWAY_PORT: '0',
        GATEWAY_TRUST_ANCHOR: file('root.pem'),
        GATEWAY_INTERMEDIATES: file('issuing-ca.pem'),
        GATEWAY_TLS_CERT: file('server.chain.pem'),
        GATEWAY_TLS_KEY: file('server.key.pem'),
        // The other CRL bears the issuing CA's name but another key: refused at load, with a warning.
        GATEWAY_CRL: `${file('root.crl.pem')},${file('other-issuing-ca.crl.pem')}`,
        GATEWAY_REVOCATION: policy,
        GATEWAY_REVOCATION_TIMEOUT_MS: '2000',
        GATEWAY_DATABASE_URL: `sqlite:${file(`${policy}.db`)}`,
        GATEWAY_LOG_LEVEL: 'info',
      },
    });

  beforeAll(async () => {
    const [ocsp, dead] = (await freePorts(2)) as [number, number];
    makeRevocationPki(dir, [
      { name: 'alice', status: 'good', ocsp: `http://127.0.0.1:${ocsp}/` },
      { name: 'revoked', status: 'revoked', ocsp: `http://127.0.0.1:${ocsp}/` },
      { name: 'unreachable', status: 'good', ocsp: `http://127.0.0.1:${dead}/` },
    ]);
    responder = await startOcspResponder(dir, ocsp, 'responder', ['-nmin', '10']);
    hard = await start('hard-fail', logs.hard);
    gateways.push(hard);
    soft = await start('soft-fail', logs.soft);
    gateways.push(soft);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await responder?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const read = (gateway: RunningGateway, client: string) =>
    mtlsRequest({
      url: `${gateway.url}/v1/accounts`,
      ca: readFileSync(file('root.pem')),
      credentials: {
        cert: readFileSync(file(`${client}.chain.pem`)),
        key: readFileSync(file(`${client}.key.pem`)),
      },
      headers: { 'X-Request-ID': '0c6f1f5e-5a3e-4c8e-9d38-3f5a0a5c2b11' },
    });

  it('lets a QWAC the responder calls good through the trust gate', async () => {
    const response = await read(hard, 'alice');
    // No consent was named, so the AIS layer answers: the certificate was accepted.
    expect([response.status, tppMessageCode(response.json)]).toEqual([400, 'FORMAT_ERROR']);
  });

  it('refuses a QWAC revoked at the responder with 401 CERTIFICATE_REVOKED', async () => {
    const response = await read(hard, 'revoked');
    expect([response.status, tppMessageCode(response.json)]).toEqual([401, 'CERTIFICATE_REVOKED']);
    expect(tppText(response.json)).toMatch(/was revoked at .*keyCompromise.*OCSP/);
  });

  it('hard-fail (the default) refuses a QWAC whose responder is down, saying so', async () => {
    const response = await read(hard, 'unreachable');
    expect([response.status, tppMessageCode(response.json)]).toEqual([401, 'CERTIFICATE_INVALID']);
    expect(tppText(response.json)).toMatch(
      /^revocation status of CN=unreachable\.tpp\.example could not be established: OCSP responder http:\/\/127\.0\.0\.1:\d+\/: refused the connection$/,
    );
  });

  it('soft-fail admits a QWAC whose responder is down and logs a warning', async () => {
    const response = await read(soft, 'unreachable');
    expect([response.status, tppMessageCode(response.json)]).toEqual([400, 'FORMAT_ERROR']);
    expect(logs.soft.lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        event: 'revocation_soft_fail',
        certificate: 'CN=unreachable.tpp.example',
      }),
    );
  });

  it('soft-fail still refuses a QWAC the responder says is revoked', async () => {
    const response = await read(soft, 'revoked');
    expect([response.status, tppMessageCode(response.json)]).toEqual([401, 'CERTIFICATE_REVOKED']);
  });

  it('warned at start about the CRL file refused for its signature and the CA without a CRL', () => {
    expect(logs.hard.lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        event: 'crl_refused',
        file: file('other-issuing-ca.crl.pem'),
        msg: expect.stringContaining('signature does not verify with the key of the configured'),
      }),
    );
    expect(logs.hard.lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        event: 'revocation_data_missing',
        cas: ['CN=PSD2 Revocation Test Issuing CA'],
      }),
    );
  });
});
