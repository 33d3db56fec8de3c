/**
 * Issue 17.5: several gateway instances, one truth. Three real gateway processes (real TLS, each its own
 * node process) share one PostgreSQL database of this test's own; the CLI is a fourth process. What one
 * instance (or the CLI) changes, the others honour: frequencyPerDay counted once across all of them, a
 * consent ended or a token revoked on one refused by the others on the very next request, a TPP blocked
 * with `tpp block` refused by all within a second.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { authorisedReadSession, type ReadSession } from '../../src/bench/gateway_session';
import { TppClient } from '../../src/client/tpp_client';
import { cliProcess } from '../helpers/cli_process';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway_process';
import { tppMessageCode } from '../helpers/mtls_request';
import { clientCredentials, testPkiFiles } from '../helpers/test_pki';
import { createTestDatabase, describeForDatabase, type TestDatabase } from '../store/test_databases';

const ALICE_ORG = 'PSDDE-BAFIN-123456';

let database: TestDatabase;
const gateways: GatewayProcess[] = [];

const anchorPem = () => readFileSync(testPkiFiles().anchor);
const alice = () => clientCredentials('alice');

function aliceAt(gateway: GatewayProcess): TppClient {
  const client = new TppClient({
    baseUrl: gateway.url,
    anchorPem: anchorPem(),
    certChainPem: alice().cert,
    keyPem: alice().key,
    serverName: 'localhost',
  });
  return client;
}

async function session(gateway: GatewayProcess): Promise<ReadSession> {
  return authorisedReadSession(
    {
      anchorPem: anchorPem().toString(),
      alice: { id: 'alice', certChainPem: alice().cert.toString(), keyPem: alice().key.toString() },
    },
    gateway.url,
  );
}

/** A balances read; without PSU-IP-Address unless `psuActive`, so it counts against frequencyPerDay. */
async function read(
  client: TppClient,
  s: ReadSession,
  psuActive = false,
): Promise<{ status: number; code: string | undefined }> {
  const headers: Record<string, string> = { ...s.headers, 'X-Request-ID': randomUUID() };
  if (!psuActive) delete headers['PSU-IP-Address'];
  const res = await client.request({ path: s.path, headers });
  return { status: res.status, code: tppMessageCode(res.json) };
}

/** Asks until `done` or `withinMs` has passed since `since`; the answers seen, last one last. */
async function pollUntil(
  ask: () => Promise<{ status: number; code: string | undefined }>,
  done: (answer: { status: number; code: string | undefined }) => boolean,
  since: number,
  withinMs: number,
): Promise<{ answer: { status: number; code: string | undefined }; afterMs: number }> {
  for (;;) {
    const answer = await ask();
    const afterMs = Date.now() - since;
    if (done(answer) || afterMs > withinMs) return { answer, afterMs };
  }
}

describeForDatabase('postgres')('three gateway processes on one PostgreSQL database', () => {
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    // The first creates the schema; the other two start together on it.
    gateways.push(await startGatewayProcess({ databaseUrl: database.url }));
    gateways.push(
      ...(await Promise.all([
        startGatewayProcess({ databaseUrl: database.url }),
        startGatewayProcess({ databaseUrl: database.url }),
      ])),
    );
  }, 180_000);

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await database?.drop();
  });

  const instance = (i: number) => () => {
    const gateway = gateways[i];
    if (gateway === undefined) throw new Error('the gateways start in beforeAll');
    return gateway;
  };
  const [a, b, c] = [instance(0), instance(1), instance(2)];

  it('counts frequencyPerDay exactly across the instances', async () => {
    const s = await session(a());
    // frequencyPerDay 4; twelve reads at once, four through each instance.
    const instances = [aliceAt(a()), aliceAt(b()), aliceAt(c())];
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => read(instances[i % 3] as TppClient, s)),
    );
    const statuses = answers.map((x) => x.status).sort();
    expect(statuses.filter((x) => x === 200)).toHaveLength(4);
    expect(answers.filter((x) => x.status === 429).map((x) => x.code)).toEqual(
      Array(8).fill('ACCESS_EXCEEDED'),
    );
    // The PSU asking now is not counted and is still served.
    expect((await read(instances[1] as TppClient, s, true)).status).toBe(200);
  }, 120_000);

  it('refuses a consent deleted on one instance on the others at once', async () => {
    const s = await session(a());
    const [onA, onB, onC] = [aliceAt(a()), aliceAt(b()), aliceAt(c())];
    // B and C have read with this consent and token: whatever they keep of them is warm.
    expect((await read(onB, s, true)).status).toBe(200);
    expect((await read(onC, s, true)).status).toBe(200);
    const deleted = await onA.request({
      method: 'DELETE',
      path: `/v1/consents/${s.consentId}`,
      headers: { 'X-Request-ID': randomUUID() },
    });
    expect(deleted.status).toBe(204);
    // The very next request, no waiting.
    expect(await read(onB, s, true)).toEqual({ status: 401, code: 'CONSENT_INVALID' });
    expect(await read(onC, s, true)).toEqual({ status: 401, code: 'CONSENT_INVALID' });
    const status = await onB.request({
      path: `/v1/consents/${s.consentId}/status`,
      headers: { 'X-Request-ID': randomUUID() },
    });
    expect(status.json).toEqual({ consentStatus: 'terminatedByTpp' });
  }, 120_000);

  it('refuses a token revoked on one instance on the others at once', async () => {
    const s = await session(a());
    const [onA, onB] = [aliceAt(a()), aliceAt(b())];
    expect((await read(onB, s, true)).status).toBe(200);
    const revoked = await onA.request({
      method: 'POST',
      path: '/oauth2/revoke',
      form: { token: s.accessToken, client_id: ALICE_ORG },
    });
    expect(revoked.status).toBe(200);
    expect(await read(onB, s, true)).toEqual({ status: 401, code: 'TOKEN_INVALID' });
  }, 120_000);

  it('refuses a TPP blocked with `tpp block` on every instance within a second, and admits it again', async () => {
    const s = await session(a());
    const others = [aliceAt(b()), aliceAt(c())];
    for (const client of others) expect((await read(client, s, true)).status).toBe(200);

    const blocked = await cliProcess(
      database.url,
      'tpp',
      'block',
      ALICE_ORG,
      '--reason',
      'test: licence withdrawn',
    );
    expect(blocked.code).toBe(0);
    const since = Date.now();
    for (const client of others) {
      const { answer } = await pollUntil(
        () => read(client, s, true),
        (x) => x.status === 401,
        since,
        1000,
      );
      expect(answer).toEqual({ status: 401, code: 'CERTIFICATE_BLOCKED' });
    }

    expect((await cliProcess(database.url, 'tpp', 'unblock', ALICE_ORG)).code).toBe(0);
    const again = Date.now();
    for (const client of others) {
      const { answer } = await pollUntil(
        () => read(client, s, true),
        (x) => x.status === 200,
        again,
        1000,
      );
      expect(answer.status).toBe(200);
    }
  }, 120_000);
});
