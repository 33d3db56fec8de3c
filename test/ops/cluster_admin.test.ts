/**
 * GATEWAY_WORKERS=2 as a real process tree (src/main.ts as a child): the primary's admin listener
 * reports metrics summed over both workers and readiness of each.
 */
import { readFileSync } from 'node:fs';
import { createTestDatabase, type TestDatabase } from '../store/test_databases';
import { MainProcess } from '../helpers/main_process';
import { mtlsRequest } from '../helpers/mtls_request';
import { clientCredentials, testPkiFiles } from '../helpers/test_pki';
import { sample } from '../helpers/prometheus_text';

jest.setTimeout(120_000);

describe('admin listener with two workers', () => {
  let database: TestDatabase;
  let gateway: MainProcess;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    gateway = MainProcess.start(database.url, { GATEWAY_WORKERS: '2' });
  });

  afterAll(async () => {
    await gateway?.stop();
    await database?.drop();
  });

  it('aggregates metrics and readiness across the workers through the primary', async () => {
    const adminUrl = await gateway.adminUrl();
    await gateway.waitFor(
      (p) => (p.stderr.includes('2 workers listening') ? true : undefined),
      'both workers',
    );
    const tppUrl = await gateway.tppUrl();
    const ca = readFileSync(testPkiFiles().anchor);
    // A new connection per request: the primary hands connections to the workers in turn.
    for (let i = 0; i < 6; i++) {
      const res = await mtlsRequest({
        url: `${tppUrl}/v1/accounts`,
        ca,
        credentials: clientCredentials('mallory-own-ca'),
      });
      expect(res.status).toBe(401);
    }
    const servedBy = new Set(
      (
        await gateway.waitFor((p) => {
          const access = p.lines.filter((l) => l.event === 'access');
          return access.length >= 6 ? access : undefined;
        }, 'six access lines')
      ).map((l) => l.pid),
    );
    expect(servedBy.size).toBe(2);

    const metrics = await (await fetch(`${adminUrl}/metrics`)).text();
    expect(sample(metrics, 'psd2_trust_gate_refusals_total', { code: 'CERTIFICATE_INVALID' })).toBe(6);

    const ready = await fetch(`${adminUrl}/readyz`);
    expect(ready.status).toBe(200);
    const names = ((await ready.json()) as { checks: { name: string }[] }).checks.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['worker 1:store', 'worker 2:store']));
  });

  it('names the one port the workers share in their OAuth metadata (GATEWAY_PORT=0)', async () => {
    await gateway.waitFor(
      (p) => (p.stderr.includes('2 workers listening') ? true : undefined),
      'both workers',
    );
    const tppUrl = await gateway.tppUrl();
    const port = new URL(tppUrl).port;
    expect(Number(port)).toBeGreaterThan(0);
    const ca = readFileSync(testPkiFiles().anchor);
    // New connections go to the workers in turn: both answer.
    for (let i = 0; i < 4; i++) {
      const res = await mtlsRequest({
        url: `${tppUrl}/.well-known/oauth-authorization-server`,
        ca,
        credentials: clientCredentials('alice'),
      });
      expect((res.json as { issuer?: unknown }).issuer).toBe(`https://localhost:${port}`);
    }
  });
});
