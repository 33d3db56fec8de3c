/**
 * The trust gate over real TLS on 127.0.0.1: every fixture identity connects with its own certificate
 * and the answer is checked against the case table. A probe router stands where the AIS API would be,
 * so these tests judge only the gate.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
import { Router } from 'express';
import { loadClientCases, NO_CERTIFICATE_CASE_ID } from '../../src/fixtures/client_cases';
import { issueCrl } from '../../src/fixtures/fixture_pki';
import { importPrivateKeyPem } from '../../src/fixtures/issue_certificate';
import { requireTppIdentity } from '../../src/api/request_context';
import { createLogger } from '../../src/audit/logger';
import { decodePemBlocks, encodePem } from '../../src/pki/asn1/pem';
import { x509 } from '../../src/fixtures/x509';
import { clientCredentials, testPkiFiles } from '../helpers/test_pki';
import { expectHelmetHeaders } from '../helpers/helmet_headers';
import { mtlsRequest, tppMessageCode } from '../helpers/mtls_request';
import { opensslAvailable } from '../helpers/openssl';
import { LogCapture, startTlsGateway, type TlsGateway } from '../helpers/tls_gateway_harness';

const REQUEST_ID = '7f1e54c4-4f8a-4d2b-9a43-0a8f0d6a1c11';

function probeRouter(): Router {
  const router = Router();
  router.get('/v1/accounts', (_req, res) => {
    const tpp = requireTppIdentity(res);
    res.json({
      organizationIdentifier: tpp.organizationIdentifier,
      roles: tpp.roles,
      thumbprint: tpp.thumbprintS256,
    });
  });
  router.get('/oauth2/authorize', (_req, res) => {
    res.type('text/plain').send('public page');
  });
  return router;
}

const cases = loadClientCases();

describe('trust gate over real TLS', () => {
  let gateway: TlsGateway;
  beforeAll(async () => {
    gateway = await startTlsGateway({ routers: [probeRouter()] });
  });
  afterAll(() => gateway.close());

  const get = (caseId: string | undefined, headers: Record<string, string> = {}) =>
    mtlsRequest({
      url: `${gateway.url}/v1/accounts`,
      ca: gateway.anchorPem,
      ...(caseId === undefined ? {} : { credentials: clientCredentials(caseId) }),
      headers: { 'X-Request-ID': REQUEST_ID, ...headers },
    });

  it.each(cases.map((c) => [c.id, c.expect.status, c.expect.code ?? 'none'] as const))(
    '%s → %i %s',
    async (id, status, code) => {
      const response = await get(id === NO_CERTIFICATE_CASE_ID ? undefined : id);
      expect(response.status).toBe(status);
      if (status === 200) {
        expect(response.json).toMatchObject({ roles: expect.arrayContaining(['PSP_AI']) });
      } else {
        expect(response.json).toEqual({
          tppMessages: [{ category: 'ERROR', code, text: expect.any(String) }],
        });
        expect(response.body).not.toMatch(/\bat .+\.(ts|js):\d+/);
      }
    },
  );

  it('answers refusals and accepted requests with the headers helmet itself sets', async () => {
    const refused = await get('mallory-copied-names');
    expect(refused.status).toBe(401);
    expectHelmetHeaders(refused);
    const accepted = await get('alice');
    expect(accepted.status).toBe(200);
    expectHelmetHeaders(accepted);
    expect(accepted.headers['x-request-id']).toBe(REQUEST_ID);
  });

  it('names the reason in the refusal text', async () => {
    const copied = await get('mallory-copied-names');
    expect(JSON.stringify(copied.json)).toMatch(/trust anchor/i);
    const expired = await get('expired');
    expect(JSON.stringify(expired.json)).toMatch(/expired at \d{4}-\d{2}-\d{2}T/);
  });

  it('logs every refusal with the request id, reason and thumbprint', async () => {
    const before = gateway.logs.lines.length;
    await get('mallory-own-ca');
    const entry = gateway.logs.lines.slice(before).find((l) => l.event === 'tpp_refused');
    const manifest = JSON.parse(readFileSync(`${process.env.PSD2_TEST_PKI_DIR}/manifest.json`, 'utf8')) as {
      cases: { id: string; thumbprintS256: string }[];
    };
    expect(entry).toMatchObject({
      requestId: REQUEST_ID,
      code: 'CERTIFICATE_INVALID',
      thumbprint: manifest.cases.find((c) => c.id === 'mallory-own-ca')?.thumbprintS256,
      reason: expect.any(String),
    });
  });

  it('builds no refusal log object when warn is disabled', async () => {
    const logs = new LogCapture();
    const logger = createLogger('error', logs);
    const warn = jest.spyOn(logger, 'warn');
    const quiet = await startTlsGateway({ routers: [probeRouter()], appDeps: { logger } });
    try {
      const response = await mtlsRequest({
        url: `${quiet.url}/v1/accounts`,
        ca: quiet.anchorPem,
        credentials: clientCredentials('mallory-copied-names'),
      });
      expect(response.status).toBe(401);
      expect(warn).not.toHaveBeenCalled();
      expect(logs.lines).toEqual([]);
    } finally {
      await quiet.close();
    }
  });

  it('serves public pages to a browser without a client certificate', async () => {
    const response = await mtlsRequest({ url: `${gateway.url}/oauth2/authorize`, ca: gateway.anchorPem });
    expect(response.status).toBe(200);
    expect(response.body).toBe('public page');
  });

  describe('forwarded-certificate headers on a direct connection', () => {
    const aliceDer = () => decodePemBlocks(clientCredentials('alice').cert.toString(), 'CERTIFICATE');
    const spoofHeaders = () => {
      const [leaf, ...chain] = aliceDer();
      const pem = encodePem(leaf as Buffer, 'CERTIFICATE');
      return {
        'Client-Cert': `:${(leaf as Buffer).toString('base64')}:`,
        'Client-Cert-Chain': chain.map((c) => `:${c.toString('base64')}:`).join(', '),
        'X-SSL-Client-Cert': encodeURIComponent(pem),
        'X-Forwarded-Client-Cert': `Hash=x;Cert="${encodeURIComponent(pem)}"`,
      };
    };

    it('lend no identity to a client without a certificate', async () => {
      const response = await get(undefined, spoofHeaders());
      expect(response.status).toBe(401);
      expect(tppMessageCode(response.json)).toBe('CERTIFICATE_MISSING');
    });

    it('do not turn Mallory into Alice', async () => {
      const response = await get('mallory-copied-names', spoofHeaders());
      expect(response.status).toBe(401);
      expect(tppMessageCode(response.json)).toBe('CERTIFICATE_INVALID');
    });

    it("do not replace Carol's own identity", async () => {
      const response = await get('carol', spoofHeaders());
      expect(response.status).toBe(200);
      expect(response.json).toMatchObject({ organizationIdentifier: 'PSDFR-ACPR-654321' });
    });
  });

  it('never resumes a session: a reconnect without a certificate is refused', async () => {
    const connect = (withCert: boolean, session?: Buffer) =>
      new Promise<{ session?: Buffer; reused: boolean; status: string }>((resolve, reject) => {
        let captured: Buffer | undefined;
        const socket = tls.connect(
          {
            host: '127.0.0.1',
            port: gateway.port,
            servername: 'localhost',
            ca: gateway.anchorPem,
            ...(withCert ? clientCredentials('alice') : {}),
            ...(session ? { session } : {}),
          },
          () => {
            socket.write(
              `GET /v1/accounts HTTP/1.1\r\nHost: localhost\r\nX-Request-ID: ${REQUEST_ID}\r\nConnection: close\r\n\r\n`,
            );
          },
        );
        socket.on('session', (s: Buffer) => (captured = s));
        let data = '';
        socket.on('data', (d: Buffer) => (data += d.toString()));
        socket.on('end', () =>
          resolve({
            ...(captured ? { session: captured } : {}),
            reused: socket.isSessionReused(),
            status: data.split('\r\n')[0] ?? '',
          }),
        );
        socket.on('error', reject);
      });
    const first = await connect(true);
    expect(first.status).toContain('200');
    const second = await connect(false, first.session);
    expect(second.reused).toBe(false);
    expect(second.status).toContain('401');
  });
});

/** RFC 9440 headers carrying a fixture client's public chain (anyone can copy it from a handshake). */
function clientCertHeaders(caseId: string): Record<string, string> {
  const [leaf, ...chain] = decodePemBlocks(clientCredentials(caseId).cert.toString(), 'CERTIFICATE');
  return {
    'Client-Cert': `:${(leaf as Buffer).toString('base64')}:`,
    'Client-Cert-Chain': chain.map((c) => `:${c.toString('base64')}:`).join(', '),
  };
}

describe('forwarded certificates from a configured proxy', () => {
  let gateway: TlsGateway;
  beforeAll(async () => {
    gateway = await startTlsGateway({ routers: [probeRouter()], trustedProxies: ['127.0.0.1'] });
  });
  afterAll(() => gateway.close());

  // The proxy itself connects without a client certificate here; only the forwarded one counts.
  const viaProxy = (headers: Record<string, string>) =>
    mtlsRequest({
      url: `${gateway.url}/v1/accounts`,
      ca: gateway.anchorPem,
      headers: { 'X-Request-ID': REQUEST_ID, ...headers },
    });
  const forwarded = clientCertHeaders;

  it("believes a proxy's RFC 9440 Client-Cert, after the same path validation", async () => {
    const response = await viaProxy(forwarded('alice'));
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ organizationIdentifier: 'PSDDE-BAFIN-123456' });
  });

  it.each([
    ['mallory-copied-names', 'CERTIFICATE_INVALID'],
    ['expired', 'CERTIFICATE_EXPIRED'],
    ['revoked', 'CERTIFICATE_REVOKED'],
  ])('refuses %s forwarded by the proxy with %s', async (id, code) => {
    const response = await viaProxy(forwarded(id));
    expect(response.status).toBe(401);
    expect(tppMessageCode(response.json)).toBe(code);
  });

  it.each([
    [
      'truncated DER',
      () => ({ 'Client-Cert': `:${clientCredentials('alice').cert.subarray(0, 0).toString('base64')}MIIB:` }),
    ],
    [
      'random bytes',
      () => ({ 'Client-Cert': `:${Buffer.from('30820500deadbeef'.repeat(40), 'hex').toString('base64')}:` }),
    ],
    ['a malformed header', () => ({ 'Client-Cert': 'not base64 at all' })],
    [
      'a chain of 20 certificates',
      () => ({
        ...forwarded('alice'),
        'Client-Cert-Chain': Array(20).fill(forwarded('alice')['Client-Cert-Chain']).join(', '),
      }),
    ],
  ])('answers %s with 401 CERTIFICATE_INVALID, no crash', async (_name, headers) => {
    const response = await viaProxy(headers());
    expect(response.status).toBe(401);
    expect(tppMessageCode(response.json)).toBe('CERTIFICATE_INVALID');
    expect(response.body).not.toMatch(/\bat .+\.(ts|js):\d+/);
    // The gateway is still serving.
    expect((await viaProxy(forwarded('alice'))).status).toBe(200);
  });

  it('answers headers beyond the size limit with 431 in Berlin Group form', async () => {
    const response = await viaProxy({
      ...forwarded('alice'),
      'Client-Cert-Chain': Array(200).fill(forwarded('alice')['Client-Cert-Chain']).join(', '),
    });
    expect(response.status).toBe(431);
    expect(tppMessageCode(response.json)).toBe('FORMAT_ERROR');
  });
});

function leafSha256(caseId: string): string {
  const [leaf] = decodePemBlocks(clientCredentials(caseId).cert.toString(), 'CERTIFICATE');
  return createHash('sha256')
    .update(leaf as Buffer)
    .digest('hex');
}

describe('a client cannot override the identity a trusted proxy forwards (issue 11.3)', () => {
  const orgOf = (json: unknown) => (json as { organizationIdentifier?: string }).organizationIdentifier;

  describe('proxy set up to send nginx X-SSL-Client-Cert', () => {
    let gateway: TlsGateway;
    beforeAll(async () => {
      gateway = await startTlsGateway({
        routers: [probeRouter()],
        trustedProxies: ['127.0.0.1'],
        forwardedCertHeader: 'nginx',
      });
    });
    afterAll(() => gateway.close());

    it("a client's own Client-Cert passed through by the proxy lends no identity, and is logged as removed", async () => {
      const response = await mtlsRequest({
        url: `${gateway.url}/v1/accounts`,
        ca: gateway.anchorPem,
        headers: { 'X-Request-ID': REQUEST_ID, ...clientCertHeaders('alice') },
      });
      expect(response.status).toBe(401);
      expect(tppMessageCode(response.json)).toBe('CERTIFICATE_MISSING');
      expect(gateway.logs.lines).toContainEqual(
        expect.objectContaining({
          event: 'forwarded_certificate_stripped',
          headers: ['client-cert', 'client-cert-chain'],
        }),
      );
    });

    it('the configured header still works', async () => {
      const response = await mtlsRequest({
        url: `${gateway.url}/v1/accounts`,
        ca: gateway.anchorPem,
        headers: {
          'X-Request-ID': REQUEST_ID,
          'X-SSL-Client-Cert': encodeURIComponent(clientCredentials('alice').cert.toString()),
        },
      });
      expect(response.status).toBe(200);
      expect(orgOf(response.json)).toBe('PSDDE-BAFIN-123456');
    });

    it('two X-SSL-Client-Cert lines (one the client added, one the proxy) are a refusal', async () => {
      const value = encodeURIComponent(clientCredentials('alice').cert.toString());
      const response = await mtlsRequest({
        url: `${gateway.url}/v1/accounts`,
        ca: gateway.anchorPem,
        headers: { 'X-Request-ID': REQUEST_ID, 'X-SSL-Client-Cert': [value, value] },
      });
      expect(response.status).toBe(401);
      expect(tppMessageCode(response.json)).toBe('CERTIFICATE_INVALID');
      expect(response.body).toContain('repeated');
    });
  });

  describe('proxy without a pinned certificate', () => {
    let gateway: TlsGateway;
    beforeAll(async () => {
      gateway = await startTlsGateway({ routers: [probeRouter()], trustedProxies: ['127.0.0.1'] });
    });
    afterAll(() => gateway.close());

    it('two Client-Cert lines are a refusal', async () => {
      const { 'Client-Cert': alice } = clientCertHeaders('alice');
      const { 'Client-Cert': carol } = clientCertHeaders('carol');
      const response = await mtlsRequest({
        url: `${gateway.url}/v1/accounts`,
        ca: gateway.anchorPem,
        headers: { 'X-Request-ID': REQUEST_ID, 'Client-Cert': [carol as string, alice as string] },
      });
      expect(response.status).toBe(401);
      expect(tppMessageCode(response.json)).toBe('CERTIFICATE_INVALID');
    });

    it('a chain presented on the connection is never overridden by a header on it', async () => {
      const response = await mtlsRequest({
        url: `${gateway.url}/v1/accounts`,
        ca: gateway.anchorPem,
        credentials: clientCredentials('carol'),
        headers: { 'X-Request-ID': REQUEST_ID, ...clientCertHeaders('alice') },
      });
      expect(response.status).toBe(401);
      expect(tppMessageCode(response.json)).toBe('CERTIFICATE_INVALID');
      expect(response.body).toContain('not a pinned proxy certificate');
    });

    it('the same connection without the header is judged by its own chain', async () => {
      const response = await mtlsRequest({
        url: `${gateway.url}/v1/accounts`,
        ca: gateway.anchorPem,
        credentials: clientCredentials('carol'),
        headers: { 'X-Request-ID': REQUEST_ID },
      });
      expect(response.status).toBe(200);
      expect(orgOf(response.json)).not.toBe('PSDDE-BAFIN-123456');
    });
  });

  describe('proxy with a pinned client certificate', () => {
    // Carol's certificate stands in for the proxy's own: any certificate can be pinned.
    let gateway: TlsGateway;
    beforeAll(async () => {
      gateway = await startTlsGateway({
        routers: [probeRouter()],
        trustedProxies: ['127.0.0.1'],
        proxyCertSha256: [leafSha256('carol')],
      });
    });
    afterAll(() => gateway.close());

    it('believes the header on a connection presenting the pinned certificate', async () => {
      const response = await mtlsRequest({
        url: `${gateway.url}/v1/accounts`,
        ca: gateway.anchorPem,
        credentials: clientCredentials('carol'),
        headers: { 'X-Request-ID': REQUEST_ID, ...clientCertHeaders('alice') },
      });
      expect(response.status).toBe(200);
      expect(orgOf(response.json)).toBe('PSDDE-BAFIN-123456');
    });

    it('the pinned proxy without a forwarded certificate is nobody', async () => {
      const response = await mtlsRequest({
        url: `${gateway.url}/v1/accounts`,
        ca: gateway.anchorPem,
        credentials: clientCredentials('carol'),
        headers: { 'X-Request-ID': REQUEST_ID },
      });
      expect(response.status).toBe(401);
      expect(tppMessageCode(response.json)).toBe('CERTIFICATE_MISSING');
    });

    it.each([
      ['no certificate', undefined],
      ['another certificate', 'alice'],
    ])('refuses the header from the proxy address on a connection with %s', async (_name, caseId) => {
      const response = await mtlsRequest({
        url: `${gateway.url}/v1/accounts`,
        ca: gateway.anchorPem,
        ...(caseId === undefined ? {} : { credentials: clientCredentials(caseId) }),
        headers: { 'X-Request-ID': REQUEST_ID, ...clientCertHeaders('alice') },
      });
      expect(response.status).toBe(401);
      expect(tppMessageCode(response.json)).toBe('CERTIFICATE_INVALID');
    });
  });
});

describe('revocation while a connection stays open', () => {
  let gateway: TlsGateway;
  beforeAll(async () => {
    gateway = await startTlsGateway({ routers: [probeRouter()], privateCrls: true });
  });
  afterAll(() => gateway.close());

  it('refuses the next request on the same keep-alive connection once the CRL lists the certificate', async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const credentials = clientCredentials('alice');
    const ports: number[] = [];
    const request = () =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = https.request(
          `${gateway.url}/v1/accounts`,
          { agent, ca: gateway.anchorPem, ...credentials, headers: { 'X-Request-ID': REQUEST_ID } },
          (res) => {
            ports.push(res.socket.localPort ?? -1);
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end();
      });

    expect((await request()).status).toBe(200);

    const files = testPkiFiles();
    const issuingCert = new x509.X509Certificate(readFileSync(files.issuingCa));
    const keys = await importPrivateKeyPem(readFileSync(files.issuingCaKey, 'utf8'), issuingCert);
    const aliceLeaf = new x509.X509Certificate(
      decodePemBlocks(credentials.cert.toString(), 'CERTIFICATE')[0] as Buffer,
    );
    const crl = await issueCrl({ cert: issuingCert, keys }, [aliceLeaf.serialNumber], new Date());
    const issuingCrlFile = gateway.crlFiles.find((f) => f.endsWith('trent-issuing-ca.crl.pem')) as string;
    writeFileSync(issuingCrlFile, encodePem(new Uint8Array(crl.rawData), 'X509 CRL'));
    expect(gateway.trustStore.reloadIfChanged()).toBe(true);

    const after = await request();
    expect(after.status).toBe(401);
    expect(JSON.parse(after.body)).toMatchObject({ tppMessages: [{ code: 'CERTIFICATE_REVOKED' }] });
    expect(ports[0]).toBe(ports[1]);
    agent.destroy();
  });
});

describe('TLS policy', () => {
  let gateway: TlsGateway;
  beforeAll(async () => {
    gateway = await startTlsGateway({ routers: [probeRouter()] });
  });
  afterAll(() => gateway.close());

  const handshake = (options: tls.ConnectionOptions) =>
    new Promise<{ protocol: string | null; cipher: string }>((resolve, reject) => {
      const socket = tls.connect(
        { host: '127.0.0.1', port: gateway.port, servername: 'localhost', ca: gateway.anchorPem, ...options },
        () => {
          const result = { protocol: socket.getProtocol(), cipher: socket.getCipher().name };
          socket.end();
          resolve(result);
        },
      );
      socket.on('error', reject);
    });

  it('speaks TLS 1.3', async () => {
    expect((await handshake({ minVersion: 'TLSv1.3' })).protocol).toBe('TLSv1.3');
  });

  it('speaks TLS 1.2 with ECDHE and AES-GCM', async () => {
    const result = await handshake({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
    expect(result).toEqual({ protocol: 'TLSv1.2', cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
  });

  it.each(['ECDHE-ECDSA-AES128-SHA256', 'ECDHE-ECDSA-AES256-SHA', 'ECDHE-ECDSA-CHACHA20-POLY1305'])(
    'refuses the TLS 1.2 suite %s',
    async (cipher) => {
      await expect(handshake({ maxVersion: 'TLSv1.2', ciphers: cipher })).rejects.toThrow();
    },
  );

  it('refuses TLS 1.1', async () => {
    await expect(
      handshake({ minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' }),
    ).rejects.toThrow();
  });

  const withOpenssl = opensslAvailable('the CertificateRequest check with openssl s_client');
  (withOpenssl ? it : it.skip)('names the trust anchor in its CertificateRequest', async () => {
    // Asynchronous: the server under test lives in this process and must keep answering.
    const output = await new Promise<string>((resolve, reject) => {
      const child = execFile(
        'openssl',
        ['s_client', '-connect', `127.0.0.1:${gateway.port}`, '-servername', 'localhost'],
        { timeout: 10_000 },
        (error, stdout) => (error && stdout === '' ? reject(error) : resolve(stdout)),
      );
      child.stdin?.end();
    });
    const section = output.split('Acceptable client certificate CA names')[1] ?? '';
    const anchorSubject = new x509.X509Certificate(gateway.anchorPem.toString()).subject;
    const cn = /CN=([^,]+)/.exec(anchorSubject)?.[1] ?? '';
    expect(cn).not.toBe('');
    expect(section.split('\n').slice(0, 3).join('\n')).toContain(cn);
  });
});

describe('dropping untrusted chains at the handshake', () => {
  let gateway: TlsGateway;
  beforeAll(async () => {
    gateway = await startTlsGateway({ routers: [probeRouter()], rejectUntrustedAtHandshake: true });
  });
  afterAll(() => gateway.close());

  it('lets Alice through', async () => {
    const response = await mtlsRequest({
      url: `${gateway.url}/v1/accounts`,
      ca: gateway.anchorPem,
      credentials: clientCredentials('alice'),
    });
    expect(response.status).toBe(200);
  });

  it.each([
    'mallory-own-ca',
    'mallory-copied-names',
    'self-signed-alice-subject',
    'leaf-without-intermediate',
  ])('drops %s during the handshake', async (id) => {
    await expect(
      mtlsRequest({
        url: `${gateway.url}/v1/accounts`,
        ca: gateway.anchorPem,
        credentials: clientCredentials(id),
      }),
    ).rejects.toThrow();
  });
});
