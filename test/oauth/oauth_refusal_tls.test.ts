/**
 * The trust gate's refusals on the OAuth endpoints a TPP calls with its certificate, over real TLS with
 * curl and node as clients: RFC 6749 / RFC 8705 `invalid_client` JSON there, Berlin Group `tppMessages`
 * on the AIS endpoints of the same gateway.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import type { RunningGateway } from '../../src/gateway';
import { clientCredentials, testPkiFiles } from '../helpers/test_pki';
import { mtlsRequest } from '../helpers/mtls_request';
import { startTestGateway } from '../helpers/test_gateway';
import { createTestDatabase, type TestDatabase } from '../store/test_databases';

const run = promisify(execFile);
const REQUEST_ID = '0b6c2c55-3f61-4d0b-a1d4-5a0c6f7e9d21';

interface CurlAnswer {
  status: number;
  headers: string;
  json: unknown;
}

let gateway: RunningGateway;
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('sqlite');
  gateway = await startTestGateway(database.url);
});
afterAll(async () => {
  await gateway?.close();
  await database?.drop();
});

/** One request with curl; `identity` names a fixture client whose chain and key curl presents. */
async function curl(
  method: 'GET' | 'POST',
  path: string,
  identity: string | undefined,
  form?: string,
): Promise<CurlAnswer> {
  const args = ['-s', '-D', '-', '--cacert', testPkiFiles().anchor, '-X', method];
  args.push('-H', `X-Request-ID: ${REQUEST_ID}`);
  if (identity !== undefined) {
    const dir = `${process.env.PSD2_TEST_PKI_DIR}/clients`;
    args.push('--cert', `${dir}/${identity}.chain.pem`, '--key', `${dir}/${identity}.key.pem`);
  }
  if (form !== undefined) args.push('--data', form);
  args.push(`${gateway.url}${path}`);
  const { stdout } = await run('curl', args);
  const split = stdout.indexOf('\r\n\r\n');
  const headers = stdout.slice(0, split);
  const status = Number(/^HTTP\/\S+ (\d{3})/.exec(headers)?.[1]);
  return { status, headers: headers.toLowerCase(), json: JSON.parse(stdout.slice(split + 4)) as unknown };
}

const TOKEN_FORM =
  'grant_type=authorization_code&client_id=PSDDE-BAFIN-123456&code=x&redirect_uri=x&code_verifier=x';

describe('OAuth endpoints refuse untrusted clients in OAuth form (curl over TLS)', () => {
  it.each([
    ['/oauth2/token without a client certificate', '/oauth2/token', undefined, TOKEN_FORM],
    ['/oauth2/token with a certificate of another CA', '/oauth2/token', 'mallory-own-ca', TOKEN_FORM],
    ['/oauth2/token with Mallory copying Trent’s names', '/oauth2/token', 'mallory-copied-names', TOKEN_FORM],
    ['/oauth2/token with an expired certificate', '/oauth2/token', 'expired', TOKEN_FORM],
    ['/oauth2/revoke with a revoked certificate', '/oauth2/revoke', 'revoked', 'token=abc'],
    ['/oauth2/revoke without a client certificate', '/oauth2/revoke', undefined, 'token=abc'],
  ])('%s → 401 invalid_client', async (_name, path, identity, form) => {
    const answer = await curl('POST', path, identity, form);
    expect(answer.status).toBe(401);
    expect(answer.json).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
    expect(answer.headers).toContain('cache-control: no-store');
    expect(answer.headers).toContain('content-type: application/json');
  });

  it('keeps Berlin Group tppMessages on the AIS endpoints of the same gateway', async () => {
    const missing = await curl('GET', '/v1/accounts', undefined);
    expect(missing.status).toBe(401);
    expect(missing.json).toEqual({
      tppMessages: [{ category: 'ERROR', code: 'CERTIFICATE_MISSING', text: expect.any(String) }],
    });
    const mallory = await curl('GET', '/v1/accounts', 'mallory-own-ca');
    expect(mallory.json).toMatchObject({ tppMessages: [{ code: 'CERTIFICATE_INVALID' }] });
  });

  it('lets Alice through the gate: her refusal comes from the token endpoint itself', async () => {
    const answer = await curl('POST', '/oauth2/token', 'alice', TOKEN_FORM);
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ error: expect.stringMatching(/^invalid_(request|grant)$/) });
  });
});

describe('OAuth refusal over TLS with node as the client', () => {
  it('refuses Mallory on /oauth2/token with invalid_client naming the reason', async () => {
    const response = await mtlsRequest({
      url: `${gateway.url}/oauth2/token`,
      ca: readFileSync(testPkiFiles().anchor),
      credentials: clientCredentials('mallory-own-ca'),
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: TOKEN_FORM,
    });
    expect(response.status).toBe(401);
    expect(response.json).toEqual({
      error: 'invalid_client',
      error_description: expect.stringMatching(/trust anchor/),
    });
  });
});
