/**
 * GATEWAY_PORT=0 without GATEWAY_PUBLIC_URL: the links a TPP follows and the OAuth issuer name the port
 * the system picked, not port 0.
 */
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { clientCredentials, testPkiFiles } from '../helpers/test_pki';
import { MainProcess } from '../helpers/main_process';
import { useSqliteTestGateway } from '../helpers/test_gateway';
import { createTestDatabase, type TestDatabase } from '../store/test_databases';

function metadata(port: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      {
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        path: '/.well-known/oauth-authorization-server',
        agent: false,
        ca: readFileSync(testPkiFiles().anchor),
        ...clientCredentials('alice'),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          try {
            resolve(JSON.parse(body) as Record<string, unknown>);
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
      },
    );
    req.on('error', reject);
  });
}

describe('a gateway on a port the system picks', () => {
  const gateway = useSqliteTestGateway();

  it('names that port in its OAuth metadata and its public URL', async () => {
    const { port, url, config } = gateway();
    expect(port).toBeGreaterThan(0);
    expect(config.publicUrl).toBe(`https://localhost:${port}`);
    expect(url).toBe(`https://localhost:${port}`);
    const answer = await metadata(port);
    expect(answer.issuer).toBe(`https://localhost:${port}`);
    expect(answer.token_endpoint).toBe(`https://localhost:${port}/oauth2/token`);
  });
});

describe('two workers on a port the system picks', () => {
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

  it('both name the one port they share', async () => {
    await gateway.waitFor(
      (p) => (p.stderr.includes('2 workers listening') ? true : undefined),
      'both workers',
    );
    const port = Number(new URL(await gateway.tppUrl()).port);
    expect(port).toBeGreaterThan(0);
    // Round robin between the workers: four fresh connections reach both.
    for (let i = 0; i < 4; i++) expect((await metadata(port)).issuer).toBe(`https://localhost:${port}`);
  });
});
