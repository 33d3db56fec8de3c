/**
 * A person's browser that strays onto a TPP endpoint, or fetches /favicon.ico, gets a small HTML 404 and
 * no warning in the log; a client without a certificate that asks for JSON still gets tppMessages.
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { RunningGateway } from '../../src/gateway';
import { mtlsRequest, tppMessageCode } from '../helpers/mtls_request';
import { startTestGateway } from '../helpers/test_gateway';
import { testPkiFiles } from '../helpers/test_pki';

describe('a browser strays onto the gateway', () => {
  let gateway: RunningGateway;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'psd2-stray-'));
  const warnings: unknown[] = [];

  beforeAll(async () => {
    gateway = await startTestGateway(`sqlite:${path.join(dir, 'gateway.db')}`);
    const original = gateway.logger.warn.bind(gateway.logger);
    gateway.logger.warn = ((...args: unknown[]) => {
      warnings.push(args[0]);
      return (original as (...a: unknown[]) => void)(...args);
    }) as typeof gateway.logger.warn;
  });

  afterAll(async () => {
    await gateway?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (p: string, accept: string) =>
    mtlsRequest({
      url: `${gateway.url}${p}`,
      ca: readFileSync(testPkiFiles().anchor),
      headers: { Accept: accept, 'X-Request-ID': randomUUID() },
    });

  it.each([
    ['/favicon.ico', 'image/avif,image/webp,*/*'],
    ['/v1/accounts', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'],
    ['/oauth2/token', 'text/html,application/xhtml+xml,*/*;q=0.8'],
  ])('GET %s as a browser → 404 HTML page, no warning', async (p, accept) => {
    warnings.length = 0;
    const res = await get(p, accept);
    expect(res.status).toBe(404);
    expect(String(res.headers['content-type'])).toMatch(/^text\/html/);
    expect(res.body).toMatch(/<h1>Not found<\/h1>/);
    expect(warnings).toEqual([]);
  });

  it('a client without a certificate asking for JSON still gets 401 CERTIFICATE_MISSING', async () => {
    const res = await get('/v1/accounts', 'application/json');
    expect(res.status).toBe(401);
    expect(tppMessageCode(res.json)).toBe('CERTIFICATE_MISSING');
  });
});
