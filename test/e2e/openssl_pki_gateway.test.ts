/**
 * Issue 2's acceptance: an operator's PKI made with plain `openssl` (test/openssl_pki/make_pki.sh, no
 * code shared with our generator), the gateway started only through GATEWAY_* variables, and real
 * clients on 127.0.0.1: every hostile identity is refused with the right code, the valid QWAC is not
 * refused on certificate grounds.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startGateway, type RunningGateway } from '../../src/gateway';
import { mtlsRequest, tppMessageCode } from '../helpers/mtls_request';
import { opensslAvailable } from '../helpers/openssl';

const withOpenssl = opensslAvailable('the gateway on an openssl-made PKI (end to end)');

const CERTIFICATE_CODES = /^(CERTIFICATE_|ROLE_INVALID)/;

(withOpenssl ? describe : describe.skip)('gateway on a PKI made by plain openssl', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'psd2-openssl-pki-'));
  let gateway: RunningGateway;
  const file = (name: string) => path.join(dir, name);

  beforeAll(async () => {
    const made = spawnSync('bash', [path.join(__dirname, '..', 'openssl_pki', 'make_pki.sh'), dir], {
      encoding: 'utf8',
    });
    if (made.status !== 0) throw new Error(`make_pki.sh failed: ${made.stderr}`);
    gateway = await startGateway({
      env: {
        GATEWAY_MODE: 'production',
        // The bank's public testing facility: production TLS, the sandbox bank's published customers.
        GATEWAY_SANDBOX: 'true',
        GATEWAY_HOST: '127.0.0.1',
        GATEWAY_PORT: '0',
        GATEWAY_TRUST_ANCHOR: file('root.pem'),
        GATEWAY_TLS_CERT: file('server.chain.pem'),
        GATEWAY_TLS_KEY: file('server.key.pem'),
        GATEWAY_CRL: `${file('issuing-ca.crl.pem')},${file('root.crl.pem')}`,
        GATEWAY_DATABASE_URL: `sqlite:${file('gateway.db')}`,
        GATEWAY_LOG_LEVEL: 'silent',
      },
    });
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const read = (client: string | undefined) =>
    mtlsRequest({
      url: `${gateway.url}/v1/accounts`,
      ca: readFileSync(file('root.pem')),
      ...(client === undefined
        ? {}
        : {
            credentials: {
              cert: readFileSync(file(`${client}.chain.pem`)),
              key: readFileSync(file(`${client}.key.pem`)),
            },
          }),
      headers: { 'X-Request-ID': '0c6f1f5e-5a3e-4c8e-9d38-3f5a0a5c2b11' },
    });

  it.each([
    ['rogue', 'CERTIFICATE_INVALID'],
    ['self-signed', 'CERTIFICATE_INVALID'],
    ['expired', 'CERTIFICATE_EXPIRED'],
    ['revoked', 'CERTIFICATE_REVOKED'],
    ['server-auth-only', 'CERTIFICATE_INVALID'],
    ['no-qc-statements', 'CERTIFICATE_INVALID'],
    [undefined, 'CERTIFICATE_MISSING'],
  ])('refuses %s with 401 %s', async (client, code) => {
    const response = await read(client);
    expect(response.status).toBe(401);
    expect(tppMessageCode(response.json)).toBe(code);
  });

  it('does not refuse the valid openssl-made QWAC on certificate grounds', async () => {
    const response = await read('alice');
    // No consent was named, so the AIS layer answers; what matters is that the trust gate let it through.
    expect(tppMessageCode(response.json) ?? '').not.toMatch(CERTIFICATE_CODES);
    expect(response.status).toBe(400);
    expect(tppMessageCode(response.json)).toBe('FORMAT_ERROR');
  });
});
