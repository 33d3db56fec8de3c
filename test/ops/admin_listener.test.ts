/**
 * The admin listener on its own port (0 here, never the default 9090): probes that need no client
 * certificate and leave the TPP port alone, Prometheus metrics counting Mallory's refusals by code,
 * and readiness that names what fails.
 */
import { readFileSync } from 'node:fs';
import type { RunningGateway } from '../../src/gateway';
import { startAdminServer, type AdminServer } from '../../src/ops/admin_server';
import { localAdminSources } from '../../src/ops/admin_sources';
import { createTestDatabase, type TestDatabase } from '../store/test_databases';
import { mtlsRequest } from '../helpers/mtls_request';
import { sample } from '../helpers/prometheus_text';
import { startTestGateway } from '../helpers/test_gateway';
import { clientCredentials, testPkiFiles } from '../helpers/test_pki';

async function get(url: string): Promise<{ status: number; body: string; contentType: string | null }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text(), contentType: res.headers.get('content-type') };
}

describe('admin listener', () => {
  let database: TestDatabase;
  let gateway: RunningGateway;
  let admin: AdminServer;
  const ca = readFileSync(testPkiFiles().anchor);

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    gateway = await startTestGateway(database.url);
    admin = await startAdminServer('127.0.0.1', 0, localAdminSources(gateway.operations));
  });

  afterAll(async () => {
    await admin?.close();
    await gateway?.close();
    await database?.drop();
  });

  it('listens on its own plain-HTTP port, not the TPP port', () => {
    expect(admin.port).not.toBe(gateway.port);
    expect(admin.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers /healthz and /readyz without touching the TPP port', async () => {
    expect((await get(`${admin.url}/healthz`)).status).toBe(200);
    const ready = await get(`${admin.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toMatchObject({
      status: 'ready',
      checks: expect.arrayContaining([
        { name: 'store', ok: true },
        { name: 'trust_anchor', ok: true },
        { name: 'crls_fresh', ok: true },
        { name: 'bank_connector', ok: true },
        { name: 'not_draining', ok: true },
      ]),
    });
    const metrics = (await get(`${admin.url}/metrics`)).body;
    expect(sample(metrics, 'psd2_http_requests_total')).toBeUndefined();
  });

  it("counts Mallory's refusals by code in /metrics, with request counts and latency by operation", async () => {
    for (const id of ['mallory-own-ca', 'mallory-copied-names']) {
      const res = await mtlsRequest({
        url: `${gateway.url}/v1/accounts`,
        ca,
        credentials: clientCredentials(id),
      });
      expect(res.status).toBe(401);
    }
    const alice = await mtlsRequest({
      url: `${gateway.url}/v1/accounts`,
      ca,
      credentials: clientCredentials('alice'),
    });
    expect(alice.status).toBe(400); // no Consent-ID: admitted by the gate, refused by the API
    const metrics = await get(`${admin.url}/metrics`);
    expect(metrics.contentType).toMatch(/^text\/plain/);
    expect(sample(metrics.body, 'psd2_trust_gate_refusals_total', { code: 'CERTIFICATE_INVALID' })).toBe(2);
    expect(
      sample(metrics.body, 'psd2_http_requests_total', { operation: 'getAccountList', status: '400' }),
    ).toBe(1);
    expect(
      sample(metrics.body, 'psd2_http_request_duration_seconds_count', { operation: 'getAccountList' }),
    ).toBe(1);
    expect(
      sample(metrics.body, 'psd2_verdict_cache_lookups_total', { result: 'miss' }),
    ).toBeGreaterThanOrEqual(3);
    expect(
      sample(metrics.body, 'psd2_certificate_expiry_seconds', { certificate: 'server' }),
    ).toBeGreaterThan(0);
    expect(
      sample(metrics.body, 'psd2_certificate_expiry_seconds', { certificate: 'trust_anchor' }),
    ).toBeGreaterThan(0);
    expect(metrics.body).toMatch(/^psd2_crl_next_update_seconds\{crl="CRL of [^"]+"\} \d/m);
    expect(sample(metrics.body, 'psd2_store_query_duration_seconds_count')).toBeGreaterThan(0);
    expect(metrics.body).toContain('# TYPE psd2_bank_connector_duration_seconds histogram');
    expect(metrics.body).toContain('# TYPE psd2_resources gauge');
  });

  it('answers 503 naming the failing checks', async () => {
    gateway.operations.readiness.set({
      name: 'bank_connector',
      check: () => Promise.resolve('core banking unreachable'),
    });
    try {
      const res = await get(`${admin.url}/readyz`);
      expect(res.status).toBe(503);
      const body = JSON.parse(res.body) as { failing: string[]; checks: unknown[] };
      expect(body.failing).toEqual(['bank_connector']);
      expect(body.checks).toContainEqual({
        name: 'bank_connector',
        ok: false,
        reason: 'core banking unreachable',
      });
    } finally {
      gateway.operations.readiness.set({ name: 'bank_connector', check: () => Promise.resolve(undefined) });
    }
  });

  it('refuses other paths and methods', async () => {
    expect((await get(`${admin.url}/health`)).status).toBe(404);
    expect((await fetch(`${admin.url}/readyz`, { method: 'POST' })).status).toBe(405);
  });
});
