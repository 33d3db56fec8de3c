/**
 * A CA rollover over real TLS (issue 11.6): Alice sends her leaf with a cross-signed copy of Trent's
 * issuing CA (same name and key, issued by another root) and the genuine one, in several orders. Node
 * links the first name match and drops the rest; the gateway must still find the path, and give the
 * same verdict as `cert verify` on the same file.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Router } from 'express';
import { qwacProfileCheck, runCertVerify } from '../../src/cli/cert_verify';
import { requireTppIdentity } from '../../src/api/request_context';
import { decodePemBlocks, encodePem } from '../../src/pki/asn1/pem';
import { x509 } from '../../src/fixtures/x509';
import { clientCredentials, testPkiFiles } from '../helpers/test_pki';
import { mtlsRequest, tppMessageCode } from '../helpers/mtls_request';
import { startTlsGateway, type TlsGateway } from '../helpers/tls_gateway_harness';
import { issue, type Issued } from '../pki/cert_factory';

const dir = mkdtempSync(path.join(os.tmpdir(), 'psd2-cross-'));

describe('a cross-signed issuing CA beside the genuine one', () => {
  let gateway: TlsGateway;
  const pieces: Record<'leaf' | 'genuine' | 'cross' | 'otherRoot', Buffer> = {} as never;

  beforeAll(async () => {
    const router = Router();
    router.get('/v1/accounts', (_req, res) => {
      res.json({ organizationIdentifier: requireTppIdentity(res).organizationIdentifier });
    });
    gateway = await startTlsGateway({ routers: [router] });

    const [leaf, genuine] = decodePemBlocks(clientCredentials('alice').cert.toString(), 'CERTIFICATE');
    const genuineCert = new x509.X509Certificate(genuine as Buffer);
    const otherRoot = await issue({ subject: 'CN=Other Root CA, O=Other Trust Services, C=DE', ca: true });
    const publicKey = await genuineCert.publicKey.export();
    const ski = genuineCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
    // Same subject, key and key identifier as Trent's issuing CA; only the issuer differs.
    const cross: Issued = await issue({
      subject: genuineCert.subject,
      issuer: otherRoot,
      keys: { publicKey, privateKey: otherRoot.keys.privateKey },
      ca: true,
      ...(ski !== undefined ? { ski } : {}),
    });
    pieces.leaf = leaf as Buffer;
    pieces.genuine = genuine as Buffer;
    pieces.cross = Buffer.from(cross.der);
    pieces.otherRoot = Buffer.from(otherRoot.der);
  });
  afterAll(() => gateway.close());

  const chainFile = (order: (keyof typeof pieces)[]): string => {
    const file = path.join(dir, `${order.join('-')}.pem`);
    writeFileSync(file, order.map((piece) => encodePem(pieces[piece], 'CERTIFICATE')).join(''));
    return file;
  };

  it.each([
    [['leaf', 'genuine', 'cross'], 200],
    [['leaf', 'cross', 'genuine'], 200],
    [['leaf', 'cross', 'otherRoot', 'genuine'], 200],
    [['leaf', 'otherRoot', 'cross', 'genuine'], 200],
    [['leaf', 'cross'], 401],
    [['leaf', 'cross', 'otherRoot'], 401],
  ] as const)('%j: %i over TLS, and cert verify agrees', async (order, status) => {
    const file = chainFile([...order]);
    const response = await mtlsRequest({
      url: `${gateway.url}/v1/accounts`,
      ca: gateway.anchorPem,
      credentials: { cert: readFileSync(file), key: clientCredentials('alice').key },
    });
    expect(response.status).toBe(status);
    if (status === 200) expect(response.json).toEqual({ organizationIdentifier: 'PSDDE-BAFIN-123456' });
    else expect(tppMessageCode(response.json)).toBe('CERTIFICATE_INVALID');

    const verified = await runCertVerify({
      anchor: testPkiFiles().anchor,
      chain: file,
      crl: testPkiFiles().crls,
      profile: 'psd2',
      profileCheck: qwacProfileCheck,
    });
    expect(verified.exitCode).toBe(status === 200 ? 0 : 1);
  });

  it('keeps refusing on later requests of the same connection once the full list was read', async () => {
    const agent = new (await import('node:https')).Agent({ keepAlive: true, maxSockets: 1 });
    const credentials = {
      cert: readFileSync(chainFile(['leaf', 'cross'])),
      key: clientCredentials('alice').key,
    };
    for (let i = 0; i < 3; i++) {
      const response = await mtlsRequest({
        url: `${gateway.url}/v1/accounts`,
        ca: gateway.anchorPem,
        credentials,
        agent,
      });
      expect(response.status).toBe(401);
    }
    agent.destroy();
  });
});
