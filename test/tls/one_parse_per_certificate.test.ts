/**
 * Every certificate a TPP presents is parsed once per admitted request, by ParsedCertificate.parse, and
 * that one object serves path validation and the QWAC profile alike. Before the single walk the leaf was
 * read three times per new chain (the validator's ParsedCertificate, the QWAC reader's own DER walk, and
 * a second ParsedCertificate for the subjectAltNames). The count is taken with a spy on the parse
 * function over a real TLS request, so any new reader of the leaf on the request path shows up here.
 */
import { Router } from 'express';
import { requireTppIdentity } from '../../src/api/request_context';
import { ParsedCertificate } from '../../src/pki/certificate/parsed_certificate';
import { decodePemBlocks } from '../../src/pki/asn1/pem';
import { clientCredentials } from '../helpers/test_pki';
import { mtlsRequest } from '../helpers/mtls_request';
import { startTlsGateway, type TlsGateway } from '../helpers/tls_gateway_harness';

const REQUEST_ID = '3b6b3c57-64a5-4a8e-b1d6-7d8a4c3f5e21';

function probeRouter(): Router {
  const router = Router();
  router.get('/v1/accounts', (_req, res) => {
    res.json({ organizationIdentifier: requireTppIdentity(res).organizationIdentifier });
  });
  return router;
}

describe('one parse per presented certificate', () => {
  let gateway: TlsGateway;
  beforeAll(async () => {
    gateway = await startTlsGateway({ routers: [probeRouter()] });
  });
  afterAll(() => gateway.close());

  const get = (caseId: string) =>
    mtlsRequest({
      url: `${gateway.url}/v1/accounts`,
      ca: gateway.anchorPem,
      credentials: clientCredentials(caseId),
      headers: { 'X-Request-ID': REQUEST_ID },
    });

  it('parses each certificate of an admitted chain exactly once, and none on a repeated chain', async () => {
    const parse = jest.spyOn(ParsedCertificate, 'parse');
    try {
      const first = await get('alice');
      expect(first.status).toBe(200);
      const parsed = parse.mock.calls.map(([der]) => Buffer.from(der).toString('base64'));
      const presented = decodePemBlocks(clientCredentials('alice').cert.toString(), 'CERTIFICATE').map(
        (der) => der.toString('base64'),
      );
      // Node may add the anchor from our own store to what the client sent; that copy is parsed too.
      const anchor = decodePemBlocks(gateway.anchorPem.toString(), 'CERTIFICATE')[0]?.toString('base64');
      const expected = new Set(presented);
      expect(parsed.length).toBe(new Set(parsed).size);
      for (const der of parsed) expect(expected.has(der) || der === anchor).toBe(true);
      for (const der of presented) expect(parsed).toContain(der);

      parse.mockClear();
      const second = await get('alice');
      expect(second.status).toBe(200);
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });
});
