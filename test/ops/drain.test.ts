/**
 * SIGTERM on the real process (src/main.ts as a child): /readyz fails at once, the TPP listener stops
 * accepting, an idle keep-alive connection is closed, a request still in flight (its body still being
 * uploaded) is answered, and the process exits 0.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { createTestDatabase, type TestDatabase } from '../store/test_databases';
import { MainProcess } from '../helpers/main_process';
import { mtlsRequest } from '../helpers/mtls_request';
import { clientCredentials, testPkiFiles } from '../helpers/test_pki';

jest.setTimeout(120_000);

const CONSENT = JSON.stringify({
  access: { accounts: [], balances: [], transactions: [] },
  recurringIndicator: true,
  validUntil: '2030-12-31',
  frequencyPerDay: 4,
});

describe('drain on SIGTERM', () => {
  let database: TestDatabase;
  let gateway: MainProcess;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    gateway = MainProcess.start(database.url, { GATEWAY_SHUTDOWN_GRACE_SECONDS: '60' });
  });

  afterAll(async () => {
    await gateway?.stop();
    await database?.drop();
  });

  it('lets the request in flight finish, closes idle connections, fails /readyz and exits 0', async () => {
    const adminUrl = await gateway.adminUrl();
    const tppUrl = await gateway.tppUrl();
    const ca = readFileSync(testPkiFiles().anchor);
    const alice = clientCredentials('alice');

    // An idle keep-alive connection: one answered request, then nothing.
    const idleAgent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const first = await mtlsRequest({
      url: `${tppUrl}/v1/accounts`,
      ca,
      credentials: alice,
      agent: idleAgent,
    });
    expect(first.status).toBe(400);
    const idleSockets = Object.values(idleAgent.freeSockets).flat();
    expect(idleSockets).toHaveLength(1);
    const idleClosed = new Promise<void>((resolve) =>
      (idleSockets[0] as TLSSocket).once('close', () => resolve()),
    );

    // The slow request: headers sent, the server acknowledges them (100 Continue), the body waits.
    const body = Buffer.from(CONSENT);
    const slow = https.request(`${tppUrl}/v1/consents`, {
      method: 'POST',
      ca,
      cert: alice.cert,
      key: alice.key,
      agent: false,
      headers: {
        'Content-Type': 'application/json',
        'Content-Length': String(body.length),
        'X-Request-ID': randomUUID(),
        'TPP-Redirect-URI': 'https://api.bank-of-alice.example/callback',
        Expect: '100-continue',
      },
    });
    const answered = new Promise<{ status: number; connection: string | undefined; text: string }>(
      (resolve, reject) => {
        slow.on('response', (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, text }),
          );
        });
        slow.on('error', reject);
      },
    );
    await new Promise<void>((resolve) => slow.once('continue', () => resolve()));
    slow.write(body.subarray(0, 10));

    gateway.signal('SIGTERM');
    await gateway.line('draining');

    const ready = await fetch(`${adminUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { failing: string[] }).failing).toContain('not_draining');
    await expect(mtlsRequest({ url: `${tppUrl}/v1/accounts`, ca, credentials: alice })).rejects.toThrow(
      /ECONNREFUSED|ECONNRESET|socket hang up/,
    );
    await idleClosed;

    // Longer than the hard 2 s cut-off the gateway used to apply: the grace period is what counts.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    // The request in flight completes normally, and its connection is not kept.
    slow.end(body.subarray(10));
    const response = await answered;
    expect(response.status).toBe(201);
    expect(JSON.parse(response.text)).toMatchObject({ consentStatus: 'received' });
    expect(response.connection).toBe('close');

    expect(await gateway.exited).toEqual({ code: 0, signal: null });
    idleAgent.destroy();
  });
});
