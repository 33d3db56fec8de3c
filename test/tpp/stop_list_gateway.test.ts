/**
 * Issue 17.3: the TPP stop list. The gateway runs on real TLS with a SQLite file; `psd2-gateway tpp …` is
 * a real second process writing to the same file, as an operator would run it next to a live gateway.
 */
import { createHash, X509Certificate } from 'node:crypto';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { tppCommand } from '../../src/cli/tpp_command';
import type { RunningGateway } from '../../src/gateway';
import { STOP_LIST_POLL_MS } from '../../src/tpp/stop_list';
import { cliProcess } from '../helpers/cli_process';
import { mtlsRequest, tppMessageCode } from '../helpers/mtls_request';
import { startTestGateway } from '../helpers/test_gateway';
import { clientCredentials, testPkiFiles, type ClientCredentials } from '../helpers/test_pki';
import { createTestDatabase, type TestDatabase } from '../store/test_databases';

const ALICE_ORG = 'PSDDE-BAFIN-123456';

let database: TestDatabase;
let gateway: RunningGateway;
const agents: https.Agent[] = [];

beforeAll(async () => {
  database = await createTestDatabase('sqlite');
  // A CLI process takes seconds to start on a busy machine; the open connections must outlive it.
  gateway = await startTestGateway(
    database.url,
    {},
    {
      serverLimits: { keepAliveTimeout: 600_000, timeout: 600_000 },
    },
  );
}, 120_000);
afterAll(async () => {
  for (const agent of agents) agent.destroy();
  await gateway?.close();
  await database?.drop();
});

/** `psd2-gateway tpp …` in its own process, on the gateway's database. */
const cli = (...args: string[]) => cliProcess(database.url, 'tpp', ...args);

/** The same command in this process, for the cases that need no second process. */
async function inProcess(...args: string[]): Promise<string[]> {
  const lines: string[] = [];
  const command = tppCommand({ env: { GATEWAY_DATABASE_URL: database.url }, out: (l) => lines.push(l) });
  for (const c of [command, ...command.commands]) {
    c.exitOverride();
    c.configureOutput({ writeErr: () => undefined });
  }
  await command.parseAsync(args, { from: 'user' });
  return lines;
}

/** The block must be older than one poll interval before the next request is sure to see it. */
const pastPollInterval = () => new Promise((resolve) => setTimeout(resolve, STOP_LIST_POLL_MS + 100));

interface Answer {
  /** RFC 6749 `error` on the OAuth endpoints, which answer in OAuth's form. */
  error?: unknown;
  status: number;
  code: string | undefined;
  reusedSocket: boolean;
}

const anchor = () => readFileSync(testPkiFiles().anchor);

function keepAliveAgent(credentials: ClientCredentials): https.Agent {
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets: 1,
    ca: anchor(),
    cert: credentials.cert,
    key: credentials.key,
  });
  agents.push(agent);
  return agent;
}

async function get(
  agent: https.Agent,
  urlPath: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await mtlsRequest({ url: `${gateway.url}${urlPath}`, ca: anchor(), headers, agent });
  const error = (res.json as { error?: unknown } | undefined)?.error;
  return {
    status: res.status,
    code: tppMessageCode(res.json),
    reusedSocket: res.reusedSocket,
    ...(error !== undefined ? { error } : {}),
  };
}

const accounts = (agent: https.Agent) =>
  get(agent, '/v1/accounts', {
    'X-Request-ID': '99391c7e-ad88-49ec-a2ad-99ddcb1f7721',
    'Consent-ID': 'no-such-consent',
    'PSU-IP-Address': '192.0.2.1',
    Authorization: 'Bearer some-token',
  });

function x5tOf(credentials: ClientCredentials): string {
  return createHash('sha256').update(new X509Certificate(credentials.cert).raw).digest('base64url');
}

describe('psd2-gateway tpp block / unblock / list', () => {
  it('blocks Alice by organizationIdentifier on an already open keep-alive connection, and unblocks her', async () => {
    const alice = keepAliveAgent(clientCredentials('alice'));
    const carol = keepAliveAgent(clientCredentials('carol'));
    const before = await accounts(alice);
    expect(before.code).not.toBe('CERTIFICATE_BLOCKED');
    expect(before.status).not.toBe(401);
    await accounts(carol);

    const blocked = await cli('block', ALICE_ORG, '--reason', 'NCA withdrew the licence');
    expect(blocked).toMatchObject({
      code: 0,
      stdout: `organizationIdentifier ${ALICE_ORG} is blocked\n0 payments awaiting the PSU's authorisation rejected (RJCT)\n`,
    });
    await pastPollInterval();

    const after = await accounts(alice);
    expect(after).toEqual({ status: 401, code: 'CERTIFICATE_BLOCKED', reusedSocket: true });
    // Her tokens ride on her certificate: the token endpoint is behind the same gate, and refuses her in
    // OAuth's form (RFC 6749 §5.2), not with tppMessages.
    const token = await get(alice, '/oauth2/token');
    expect(token).toMatchObject({ status: 401, error: 'invalid_client', code: undefined });
    // Carol, on her own open connection, is untouched.
    const other = await accounts(carol);
    expect(other.reusedSocket).toBe(true);
    expect(other.code).not.toBe('CERTIFICATE_BLOCKED');

    const listed = await cli('list', '--json');
    expect(JSON.parse(listed.stdout)).toEqual([
      {
        subject: ALICE_ORG,
        kind: 'organizationIdentifier',
        reason: 'NCA withdrew the licence',
        blockedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    ]);

    expect(await cli('unblock', ALICE_ORG)).toMatchObject({ code: 0 });
    await pastPollInterval();
    const again = await accounts(alice);
    expect(again.reusedSocket).toBe(true);
    expect(again.code).not.toBe('CERTIFICATE_BLOCKED');
    expect(await inProcess('list')).toEqual(['no blocked TPPs']);
  }, 120_000);

  it('blocks one certificate by its x5t#S256, also when given as a hex fingerprint', async () => {
    const credentials = clientCredentials('carol');
    const carol = keepAliveAgent(credentials);
    const hex = createHash('sha256').update(new X509Certificate(credentials.cert).raw).digest('hex');
    const blocked = await cli('block', hex.toUpperCase(), '--reason', 'key compromise reported');
    expect(blocked).toMatchObject({
      code: 0,
      stdout: `x5t#S256 ${x5tOf(credentials)} is blocked\n0 payments awaiting the PSU's authorisation rejected (RJCT)\n`,
    });
    await pastPollInterval();
    expect(await accounts(carol)).toMatchObject({ status: 401, code: 'CERTIFICATE_BLOCKED' });
    expect(await inProcess('unblock', x5tOf(credentials))).toEqual([
      `x5t#S256 ${x5tOf(credentials)} is unblocked`,
    ]);
  }, 120_000);

  it('refuses bad input with a clear message and a non-zero exit', async () => {
    // Unblocking someone not listed is the command failing at its work (README: exit 1); input the
    // command cannot take at all is a usage error (exit 2).
    expect(await cli('unblock', 'PSDXX-NOBODY-1')).toMatchObject({
      code: 1,
      stderr: 'psd2-gateway: PSDXX-NOBODY-1 is not on the stop list\n',
    });
    expect(await cli('block', 'has space', '--reason', 'x')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/neither an organizationIdentifier .* nor an x5t#S256 thumbprint/),
    });
    await expect(inProcess('block', ALICE_ORG)).rejects.toThrow(/required option '--reason <text>'/);
    await expect(inProcess('block', 'has space', '--reason', 'x')).rejects.toThrow(
      /neither an organizationIdentifier .* nor an x5t#S256 thumbprint/,
    );
    await expect(inProcess('block', ALICE_ORG, '--reason', '  ')).rejects.toThrow(
      /--reason must not be empty/,
    );
    expect(await inProcess('list')).toEqual(['no blocked TPPs']);
  }, 120_000);
});
