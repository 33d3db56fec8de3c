/**
 * The access log: one JSON line per request with what an operator needs, every other line of the request
 * with its request id and TPP, and no credential a client sent anywhere in the log.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/audit/logger';
import type { RunningGateway } from '../../src/gateway';
import { currentRequest } from '../../src/ops/request_observer';
import { createTestDatabase, type TestDatabase } from '../store/test_databases';
import { mtlsRequest } from '../helpers/mtls_request';
import { startTestGateway } from '../helpers/test_gateway';
import { clientCredentials, testPkiFiles } from '../helpers/test_pki';

type Line = Record<string, unknown>;

describe('access log', () => {
  let database: TestDatabase;
  let gateway: RunningGateway;
  let text = '';
  const lines = (): Line[] =>
    text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Line);
  const ca = readFileSync(testPkiFiles().anchor);
  const alice = clientCredentials('alice');

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        done();
      },
    });
    const logger = createLogger('debug', sink, { context: currentRequest });
    gateway = await startTestGateway(database.url, {}, { logger });
  });

  afterAll(async () => {
    await gateway?.close();
    await database?.drop();
  });

  it('writes one line per request with time, request id, pid, TPP, operation, status, code and duration', async () => {
    const requestId = randomUUID();
    const res = await mtlsRequest({
      url: `${gateway.url}/v1/accounts`,
      ca,
      credentials: alice,
      headers: { 'X-Request-ID': requestId },
    });
    expect(res.status).toBe(400);
    await gateway.operations.auditTrail.flush();
    const access = lines().filter((l) => l.event === 'access' && l.requestId === requestId);
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      pid: process.pid,
      tpp: 'PSDDE-BAFIN-123456',
      thumbprint: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      operation: 'getAccountList',
      method: 'GET',
      status: 400,
      code: 'FORMAT_ERROR',
      durationMs: expect.any(Number),
    });
    // The API's own line about the refusal carries the same request id and TPP.
    const others = lines().filter((l) => l.requestId === requestId && l.event !== 'access');
    expect(others.length).toBeGreaterThan(0);
    for (const line of others) expect(line.tpp).toBe('PSDDE-BAFIN-123456');
  });

  it("logs Mallory's refusal with its code and request id", async () => {
    const requestId = randomUUID();
    await mtlsRequest({
      url: `${gateway.url}/v1/accounts`,
      ca,
      credentials: clientCredentials('mallory-own-ca'),
      headers: { 'X-Request-ID': requestId },
    });
    const access = lines().find((l) => l.event === 'access' && l.requestId === requestId);
    expect(access).toMatchObject({ status: 401, code: 'CERTIFICATE_INVALID', operation: 'unrouted' });
  });

  it('never writes a bearer token, authorization code, verifier, refresh token or password', async () => {
    const secrets = Array.from({ length: 5 }, () => `s3cr3t-${randomBytes(12).toString('hex')}`);
    const [bearer, code, verifier, refresh, password] = secrets as [string, string, string, string, string];
    await mtlsRequest({
      url: `${gateway.url}/v1/accounts`,
      ca,
      credentials: alice,
      headers: {
        'X-Request-ID': randomUUID(),
        'Consent-ID': 'x'.repeat(20),
        Authorization: `Bearer ${bearer}`,
      },
    });
    const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
    await mtlsRequest({
      url: `${gateway.url}/oauth2/token`,
      ca,
      credentials: alice,
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form({
        grant_type: 'authorization_code',
        client_id: 'PSDDE-BAFIN-123456',
        code,
        code_verifier: verifier,
        redirect_uri: 'https://api.bank-of-alice.example/callback',
      }),
    });
    await mtlsRequest({
      url: `${gateway.url}/oauth2/token`,
      ca,
      credentials: alice,
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form({ grant_type: 'refresh_token', client_id: 'PSDDE-BAFIN-123456', refresh_token: refresh }),
    });
    await mtlsRequest({
      url: `${gateway.url}/oauth2/authorize`,
      ca,
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form({ csrf_token: 'nope', username: 'anna', password }),
    });
    await gateway.operations.auditTrail.flush();
    expect(lines().filter((l) => l.event === 'access').length).toBeGreaterThanOrEqual(4);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });
});
