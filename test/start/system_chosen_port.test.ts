/**
 * GATEWAY_PORT=0 without GATEWAY_PUBLIC_URL: the links a TPP follows and the OAuth issuer name the port
 * the system picked, not port 0. (Two workers on such a port: test/ops/cluster_admin.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { mtlsRequest } from '../helpers/mtls_request';
import { useSqliteTestGateway } from '../helpers/test_gateway';
import { clientCredentials, testPkiFiles } from '../helpers/test_pki';

describe('a gateway on a port the system picks', () => {
  const gateway = useSqliteTestGateway();

  it('names that port in its OAuth metadata and its public URL', async () => {
    const { port, url, config } = gateway();
    expect(port).toBeGreaterThan(0);
    expect(config.publicUrl).toBe(`https://localhost:${port}`);
    expect(url).toBe(`https://localhost:${port}`);
    const res = await mtlsRequest({
      url: `${url}/.well-known/oauth-authorization-server`,
      ca: readFileSync(testPkiFiles().anchor),
      credentials: clientCredentials('alice'),
    });
    const metadata = res.json as Record<string, unknown>;
    expect(metadata.issuer).toBe(`https://localhost:${port}`);
    expect(metadata.token_endpoint).toBe(`https://localhost:${port}/oauth2/token`);
  });
});
