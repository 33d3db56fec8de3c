/**
 * The front door over real TLS on 127.0.0.1: the trust gate answers refusals before express, and
 * admitted requests reach the routers as before. A counting router stands first among the routers, so a
 * test can tell whether a request got as far as any router.
 */
import https from 'node:https';
import tls from 'node:tls';
import { Router } from 'express';
import type { DirectHandler } from '../../src/api/front_door';
import { requireTppIdentity } from '../../src/api/request_context';
import type { ClientIdentityVerifier } from '../../src/pki/identity/client_identity';
import { expectHelmetHeaders } from '../helpers/helmet_headers';
import { clientCredentials } from '../helpers/test_pki';
import { startTlsGateway, type TlsGateway } from '../helpers/tls_gateway_harness';
import { mtlsRequest, tppMessageCode } from '../helpers/mtls_request';

const REQUEST_ID = '0b5f6f0e-3c1a-4f7e-8d2b-5a9c4e1f7d20';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Probe {
  router: Router;
  seen: string[];
}

function probe(): Probe {
  const seen: string[] = [];
  const router = Router();
  router.use((req, _res, next) => {
    seen.push(req.path);
    next();
  });
  router.get('/v1/accounts', (_req, res) => {
    res.json({ organizationIdentifier: requireTppIdentity(res).organizationIdentifier });
  });
  router.get('/oauth2/authorize', (_req, res) => {
    let identity = 'none';
    try {
      identity = requireTppIdentity(res).organizationIdentifier;
    } catch {
      // A public page is served without one.
    }
    res.type('text/plain').send(`public page, identity ${identity}`);
  });
  return { router, seen };
}

describe('front door over real TLS', () => {
  let gateway: TlsGateway;
  let probed: Probe;
  beforeAll(async () => {
    probed = probe();
    gateway = await startTlsGateway({ routers: [probed.router] });
  });
  afterAll(() => gateway.close());
  beforeEach(() => {
    probed.seen.length = 0;
  });

  const get = (caseId: string | undefined, path = '/v1/accounts', headers: Record<string, string> = {}) =>
    mtlsRequest({
      url: `${gateway.url}${path}`,
      ca: gateway.anchorPem,
      ...(caseId === undefined ? {} : { credentials: clientCredentials(caseId) }),
      headers: { 'X-Request-ID': REQUEST_ID, ...headers },
    });

  it("refuses Mallory with helmet's headers and the tppMessages body, before express", async () => {
    const response = await get('mallory-copied-names');
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(response.body));
    expect(response.headers['x-request-id']).toBe(REQUEST_ID);
    expect(response.json).toEqual({
      tppMessages: [
        { category: 'ERROR', code: 'CERTIFICATE_INVALID', text: expect.stringMatching(/trust anchor/) },
      ],
    });
    expectHelmetHeaders(response);
    expect(probed.seen).toEqual([]);
  });

  it('refuses the same way on every request of a keep-alive connection', async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const answers = [];
      for (let i = 0; i < 3; i++) {
        answers.push(
          await mtlsRequest({
            url: `${gateway.url}/v1/accounts`,
            ca: gateway.anchorPem,
            credentials: clientCredentials('mallory-copied-names'),
            agent,
          }),
        );
      }
      expect(new Set(answers.map((a) => a.body)).size).toBe(1);
      expect(answers.map((a) => a.status)).toEqual([401, 401, 401]);
      expect(new Set(answers.map((a) => a.headers['x-request-id'])).size).toBe(3);
    } finally {
      agent.destroy();
    }
    expect(probed.seen).toEqual([]);
  });

  it('refuses a missing certificate and a missing role before express', async () => {
    const none = await get(undefined);
    expect(none.status).toBe(401);
    expect(tppMessageCode(none.json)).toBe('CERTIFICATE_MISSING');
    expectHelmetHeaders(none);
    const payOnly = await get('psp-pi-only');
    expect(payOnly.status).toBe(401);
    expect(tppMessageCode(payOnly.json)).toBe('ROLE_INVALID');
    expect(JSON.stringify(payOnly.json)).toMatch(/PSP_AI/);
    expect(probed.seen).toEqual([]);
  });

  it('answers a refused HEAD with the headers and no body', async () => {
    const response = await mtlsRequest({
      url: `${gateway.url}/v1/accounts`,
      method: 'HEAD',
      ca: gateway.anchorPem,
      credentials: clientCredentials('mallory-copied-names'),
    });
    expect(response.status).toBe(401);
    expect(response.body).toBe('');
    expect(Number(response.headers['content-length'])).toBeGreaterThan(0);
    expectHelmetHeaders(response);
  });

  it('lets Alice through to the router with her identity and the same headers', async () => {
    const response = await get('alice');
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ organizationIdentifier: 'PSDDE-BAFIN-123456' });
    expect(response.headers['x-request-id']).toBe(REQUEST_ID);
    expectHelmetHeaders(response);
    expect(probed.seen).toEqual(['/v1/accounts']);
  });

  it('lets a browser reach a public page without a certificate, and without an identity', async () => {
    const response = await get(undefined, '/oauth2/authorize?client_id=x');
    expect(response.status).toBe(200);
    expect(response.body).toBe('public page, identity none');
    expectHelmetHeaders(response);
    expect(probed.seen).toEqual(['/oauth2/authorize']);
  });

  it('hands unclaimed paths of an accepted caller to express, which answers 404', async () => {
    const response = await get('alice', '/nowhere');
    expect(response.status).toBe(404);
    expect(tppMessageCode(response.json)).toBe('RESOURCE_UNKNOWN');
    expectHelmetHeaders(response);
    expect(probed.seen).toEqual(['/nowhere']);
  });

  it('generates an X-Request-ID when the caller sent none or a malformed one', async () => {
    const malformed = await get('mallory-copied-names', '/v1/accounts', { 'X-Request-ID': 'not-a-uuid' });
    expect(malformed.headers['x-request-id']).toMatch(UUID);
    const alice = await mtlsRequest({
      url: `${gateway.url}/v1/accounts`,
      ca: gateway.anchorPem,
      credentials: clientCredentials('alice'),
    });
    expect(alice.status).toBe(200);
    expect(alice.headers['x-request-id']).toMatch(UUID);
  });

  it('judges the path the router will see, also for an absolute-form request target', async () => {
    const response = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect(
        {
          host: '127.0.0.1',
          port: gateway.port,
          servername: 'localhost',
          ca: gateway.anchorPem,
          ...clientCredentials('psp-pi-only'),
        },
        () => {
          socket.write(
            `GET https://localhost/v1/accounts?x=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`,
          );
        },
      );
      let data = '';
      socket.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(response.split('\r\n')[0]).toBe('HTTP/1.1 401 Unauthorized');
    expect(response).toContain('"code":"ROLE_INVALID"');
    expect(probed.seen).toEqual([]);
  });

  it('logs each refusal once, with the path', async () => {
    const before = gateway.logs.lines.length;
    await get('mallory-copied-names', '/v1/accounts?withBalance=true');
    const entries = gateway.logs.lines.slice(before).filter((l) => l.event === 'tpp_refused');
    expect(entries).toEqual([
      expect.objectContaining({
        requestId: REQUEST_ID,
        code: 'CERTIFICATE_INVALID',
        path: '/v1/accounts',
        method: 'GET',
        source: 'tls',
        thumbprint: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      }),
    ]);
  });
});

describe('front door when the verifier fails unexpectedly', () => {
  it('answers 500 in Berlin Group form, logs the cause and keeps express out of it', async () => {
    const failing: ClientIdentityVerifier = {
      verify: () => Promise.reject(new Error('trust store exploded')),
    };
    const probed = probe();
    const gateway = await startTlsGateway({ routers: [probed.router], appDeps: { verifier: failing } });
    try {
      const response = await mtlsRequest({
        url: `${gateway.url}/v1/accounts`,
        ca: gateway.anchorPem,
        credentials: clientCredentials('alice'),
        headers: { 'X-Request-ID': REQUEST_ID },
      });
      expect(response.status).toBe(500);
      expect(response.json).toEqual({
        tppMessages: [{ category: 'ERROR', code: 'INTERNAL_SERVER_ERROR', text: 'Internal server error' }],
      });
      expect(response.body).not.toContain('exploded');
      expect(response.headers['x-request-id']).toBe(REQUEST_ID);
      expectHelmetHeaders(response);
      expect(gateway.logs.lines).toContainEqual(
        expect.objectContaining({
          event: 'internal_error',
          requestId: REQUEST_ID,
          path: '/v1/accounts',
          detail: expect.stringContaining('trust store exploded'),
        }),
      );
      expect(probed.seen).toEqual([]);
    } finally {
      await gateway.close();
    }
  });
});

describe('front door with a direct handler (the AIS API without express)', () => {
  const seenByDirect: string[] = [];
  let failNext = false;
  const direct: DirectHandler = {
    handles: (path) => path.startsWith('/v1/'),
    handle: async (_req, res, target, head) => {
      seenByDirect.push(`${target.path} ${target.query ?? '-'}`);
      if (failNext) {
        failNext = false;
        throw new Error('handler exploded at /secret/source/path.ts');
      }
      const body = JSON.stringify({ organizationIdentifier: requireTppIdentity(res).organizationIdentifier });
      res.writeHead(200, [
        ...head.headers,
        'X-Request-ID',
        head.requestId,
        'Content-Type',
        'application/json',
        'Content-Length',
        Buffer.byteLength(body),
      ]);
      res.end(body);
    },
  };
  let gateway: TlsGateway;
  let probed: Probe;
  beforeAll(async () => {
    probed = probe();
    gateway = await startTlsGateway({ routers: [probed.router], appDeps: { direct } });
  });
  afterAll(() => gateway.close());
  beforeEach(() => {
    probed.seen.length = 0;
    seenByDirect.length = 0;
  });

  const get = (caseId: string, path: string) =>
    mtlsRequest({
      url: `${gateway.url}${path}`,
      ca: gateway.anchorPem,
      credentials: clientCredentials(caseId),
      headers: { 'X-Request-ID': REQUEST_ID },
    });

  it('answers its paths with the identity, path and query, the head to write with the status, and no express', async () => {
    const response = await get('alice', '/v1/accounts?withBalance=true');
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ organizationIdentifier: 'PSDDE-BAFIN-123456' });
    expect(response.headers['x-request-id']).toBe(REQUEST_ID);
    expectHelmetHeaders(response);
    expect(seenByDirect).toEqual(['/v1/accounts withBalance=true']);
    expect(probed.seen).toEqual([]);
  });

  it('is never reached by a refused caller', async () => {
    const response = await get('mallory-copied-names', '/v1/accounts');
    expect(response.status).toBe(401);
    expect(seenByDirect).toEqual([]);
  });

  it('leaves the paths it does not take to express', async () => {
    const response = await get('alice', '/oauth2/authorize');
    expect(response.status).toBe(200);
    expect(seenByDirect).toEqual([]);
    expect(probed.seen).toEqual(['/oauth2/authorize']);
  });

  it('turns a handler that fails unexpectedly into a 500 in Berlin Group form, cause only in the log', async () => {
    failNext = true;
    const response = await get('alice', '/v1/accounts');
    expect(response.status).toBe(500);
    expect(tppMessageCode(response.json)).toBe('INTERNAL_SERVER_ERROR');
    expect(response.body).not.toContain('exploded');
    expect(response.body).not.toContain('/secret/');
    expectHelmetHeaders(response);
    expect(gateway.logs.lines).toContainEqual(
      expect.objectContaining({ event: 'internal_error', detail: expect.stringContaining('exploded') }),
    );
    const next = await get('alice', '/v1/accounts');
    expect(next.status).toBe(200);
  });
});
