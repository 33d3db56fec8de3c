/**
 * Issue 17.4: the TPP directory. `psd2-gateway tpp hosts …` runs as a real second process against the
 * gateway's store; consents are created over real TLS with Alice's QWAC (dNSName api.bank-of-alice.example).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DEFAULT_CONTRACT } from '../../src/conformance/gateway_contract';
import type { RunningGateway } from '../../src/gateway';
import { cliProcess } from '../helpers/cli_process';
import { mtlsRequest, tppMessageCode } from '../helpers/mtls_request';
import { startTestGateway } from '../helpers/test_gateway';
import { clientCredentials, testPkiFiles } from '../helpers/test_pki';
import {
  createTestDatabase,
  DATABASE_KINDS,
  describeForDatabase,
  type TestDatabase,
} from '../store/test_databases';

const ALICE_ORG = 'PSDDE-BAFIN-123456';

const cli = (databaseUrl: string, ...args: string[]) => cliProcess(databaseUrl, 'tpp', 'hosts', ...args);

async function createConsent(gateway: RunningGateway, redirectUri: string) {
  const res = await mtlsRequest({
    url: `${gateway.url}/v1/consents`,
    method: 'POST',
    ca: readFileSync(testPkiFiles().anchor),
    credentials: clientCredentials('alice'),
    headers: {
      'Content-Type': 'application/json',
      'X-Request-ID': randomUUID(),
      'PSU-IP-Address': '192.0.2.1',
      'TPP-Redirect-URI': redirectUri,
    },
    body: JSON.stringify(DEFAULT_CONTRACT.consentBody({ frequencyPerDay: 4 })),
  });
  return { status: res.status, code: tppMessageCode(res.json), json: res.json as Record<string, unknown> };
}

describe.each(DATABASE_KINDS)('tpp hosts on %s', (kind) => {
  describeForDatabase(kind)('', () => {
    let database: TestDatabase;
    let strict: RunningGateway;
    let warn: RunningGateway;

    beforeAll(async () => {
      database = await createTestDatabase(kind);
      strict = await startTestGateway(database.url);
      warn = await startTestGateway(database.url, { GATEWAY_REDIRECT_URI_CHECK: 'warn' });
    }, 120_000);
    afterAll(async () => {
      await strict?.close();
      await warn?.close();
      await database?.drop();
    });

    it('admits a registered host, then only registered hosts, then the certificate again once removed', async () => {
      // Nothing registered: the QWAC's dNSName decides.
      expect((await createConsent(strict, 'https://api.bank-of-alice.example/cb')).status).toBe(201);
      expect(await createConsent(strict, 'https://app.alice-tpp.example/cb')).toMatchObject({
        status: 400,
        code: 'FORMAT_ERROR',
      });

      const added = await cli(database.url, 'add', ALICE_ORG, 'App.Alice-TPP.example');
      expect(added).toMatchObject({
        code: 0,
        stdout: `app.alice-tpp.example is registered for ${ALICE_ORG}\n`,
      });
      expect((await cli(database.url, 'add', ALICE_ORG, 'app.alice-tpp.example')).stdout).toContain(
        'already registered',
      );
      expect((await createConsent(strict, 'https://app.alice-tpp.example/cb')).status).toBe(201);
      // Registered hosts replace the certificate's: the bank has said where this TPP's users go.
      expect((await createConsent(strict, 'https://api.bank-of-alice.example/cb')).status).toBe(400);

      const listed = await cli(database.url, 'list', ALICE_ORG, '--json');
      expect(JSON.parse(listed.stdout)).toEqual([
        { organizationIdentifier: ALICE_ORG, host: 'app.alice-tpp.example', addedAt: expect.any(String) },
      ]);
      expect((await cli(database.url, 'list')).stdout).toContain(`${ALICE_ORG}  app.alice-tpp.example`);

      expect((await cli(database.url, 'remove', ALICE_ORG, 'app.alice-tpp.example')).code).toBe(0);
      expect((await createConsent(strict, 'https://api.bank-of-alice.example/cb')).status).toBe(201);
      expect((await cli(database.url, 'list', '--json')).stdout.trim()).toBe('[]');
    }, 120_000);

    it.each([
      [
        'an organizationIdentifier that is not PSD2',
        ['add', 'ALICE', 'a.example'],
        'not a PSD2 organizationIdentifier',
      ],
      ['a URL instead of a host', ['add', ALICE_ORG, 'https://a.example/cb'], 'not a host name'],
      ['an IP address', ['add', ALICE_ORG, '192.0.2.1'], 'not a host name'],
      ['removing what is not there', ['remove', ALICE_ORG, 'none.example'], 'is not registered'],
    ])(
      'refuses %s',
      async (_name, args, message) => {
        const result = await cli(database.url, ...args);
        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain(message);
      },
      60_000,
    );

    it('warn: a host not shown to be the TPP’s is admitted with a tppMessages WARNING', async () => {
      const created = await createConsent(warn, 'https://elsewhere.example/cb');
      expect(created.status).toBe(201);
      expect(created.json.tppMessages).toEqual([
        expect.objectContaining({ category: 'WARNING', path: 'header.TPP-Redirect-URI' }),
      ]);
      const matching = await createConsent(warn, 'https://api.bank-of-alice.example/cb');
      expect(matching.status).toBe(201);
      expect(matching.json.tppMessages).toBeUndefined();
      // http stays refused: warn only relaxes whose host it is.
      expect((await createConsent(warn, 'http://api.bank-of-alice.example/cb')).status).toBe(400);
    }, 60_000);
  });
});
