/**
 * Regression (issue 11, item 2): with curl (OpenSSL 3) as Mallory the gateway answered
 * `400 FORMAT_ERROR "Malformed HTTP request"` without X-Request-ID, while its log said 401: OpenSSL's
 * own verification of the forged chain left an error on the socket, which the listener took for an
 * unparsable request. What OpenSSL thinks of a client chain must never decide the answer.
 *
 * curl and `openssl s_client` present every fixture identity to the real gateway, ten requests each on
 * ten connections. Every answer is the trust gate's: the table's refusal for a refused identity, the
 * API's answer (the same one Node's client gets) for an admitted one, with the X-Request-ID echoed.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadClientCases, NO_CERTIFICATE_CASE_ID, type ClientCase } from '../../src/fixtures/client_cases';
import type { RunningGateway } from '../../src/gateway';
import { mtlsRequest, tppMessageCode } from '../helpers/mtls_request';
import { startTestGateway } from '../helpers/test_gateway';
import { clientCredentials, testPkiDir, testPkiFiles } from '../helpers/test_pki';

const REQUESTS = 10;
const PATH = '/v1/accounts';
const toolsAvailable =
  spawnSync('curl', ['--version']).status === 0 && spawnSync('openssl', ['version']).status === 0;
if (!toolsAvailable && process.env.CI === 'true') throw new Error('curl and openssl are required under CI');

interface Answer {
  status: number;
  code: string | undefined;
  requestId: string | undefined;
}

function run(command: string, args: string[], input?: string, env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve) => {
    const options = { timeout: 60_000, maxBuffer: 1 << 22, ...(env === undefined ? {} : { env }) };
    const child = execFile(command, args, options, (_error, stdout) => resolve(stdout));
    child.stdin?.end(input ?? '');
  });
}

function clientFiles(id: string): { chain: string; key: string } {
  const dir = path.join(testPkiDir(), 'clients');
  return { chain: path.join(dir, `${id}.chain.pem`), key: path.join(dir, `${id}.key.pem`) };
}

/** Ten transfers in one curl run; `Connection: close` makes each one a new connection and handshake. */
async function curlAnswers(
  url: string,
  row: ClientCase,
  requestId: string,
  opensslConf: string,
): Promise<Answer[]> {
  const files = clientFiles(row.id);
  const args = [
    '-s',
    '--cacert',
    testPkiFiles().anchor,
    ...(row.id === NO_CERTIFICATE_CASE_ID ? [] : ['--cert', files.chain, '--key', files.key]),
    '-H',
    `X-Request-ID: ${requestId}`,
    '-H',
    'Connection: close',
    '-w',
    '\n@@ %{http_code} %header{x-request-id}\n',
    ...Array.from({ length: REQUESTS }, () => `${url}${PATH}`),
  ];
  // The weak fixtures (SHA-1, RSA-1024) must reach the gateway: the gateway refuses them, not curl. curl
  // loads the client certificate before it applies --ciphers, so the security level is lowered in its
  // OpenSSL configuration instead.
  const stdout = await run('curl', args, undefined, { ...process.env, OPENSSL_CONF: opensslConf });
  const answers: Answer[] = [];
  let body = '';
  for (const line of stdout.split('\n')) {
    const marker = /^@@ (\d+) ?(\S*)$/.exec(line);
    if (marker === null) {
      body += line;
      continue;
    }
    let code: string | undefined;
    try {
      code = tppMessageCode(JSON.parse(body));
    } catch {
      code = undefined;
    }
    answers.push({ status: Number(marker[1]), code, requestId: marker[2] || undefined });
    body = '';
  }
  return answers;
}

/** One `openssl s_client` connection: the request goes out once the handshake is done, as curl sends it. */
async function opensslAnswer(port: number, row: ClientCase, dir: string, requestId: string): Promise<Answer> {
  const args = [
    's_client',
    '-connect',
    `127.0.0.1:${port}`,
    '-servername',
    'localhost',
    '-CAfile',
    testPkiFiles().anchor,
    '-cipher',
    'DEFAULT:@SECLEVEL=0',
    '-quiet',
  ];
  if (row.id !== NO_CERTIFICATE_CASE_ID) {
    // -cert takes the first certificate only; the rest of the chain goes in -cert_chain.
    const pems =
      readFileSync(clientFiles(row.id).chain, 'utf8').match(
        /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g,
      ) ?? [];
    const leaf = path.join(dir, `${row.id}.leaf.pem`);
    const rest = path.join(dir, `${row.id}.rest.pem`);
    writeFileSync(leaf, `${pems[0] ?? ''}\n`);
    writeFileSync(rest, pems.slice(1).join('\n') + '\n');
    args.push('-cert', leaf, '-key', clientFiles(row.id).key);
    if (pems.length > 1) args.push('-cert_chain', rest);
  }
  const request = `GET ${PATH} HTTP/1.1\r\nHost: localhost\r\nX-Request-ID: ${requestId}\r\nConnection: close\r\n\r\n`;
  const stdout = await run('openssl', args, request);
  const [head = '', body = ''] = stdout.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
  const echoed = /^x-request-id: (\S+)\r?$/im.exec(head)?.[1];
  let code: string | undefined;
  try {
    code = tppMessageCode(JSON.parse(body));
  } catch {
    code = undefined;
  }
  return { status, code, requestId: echoed };
}

const cases = loadClientCases();

(toolsAvailable ? describe : describe.skip)('curl and openssl s_client as every fixture identity', () => {
  let gateway: RunningGateway;
  const work = mkdtempSync(path.join(os.tmpdir(), 'psd2-curl-'));
  /** What Node's own client is answered: the reference for admitted identities. */
  const reference = new Map<string, Answer>();
  const opensslConf = path.join(work, 'openssl-seclevel0.cnf');

  beforeAll(async () => {
    writeFileSync(
      opensslConf,
      'openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = tls\n[tls]\nCipherString = DEFAULT:@SECLEVEL=0\n',
    );
    gateway = await startTestGateway(`sqlite:${path.join(work, 'gateway.db')}`);
    for (const row of cases) {
      const response = await mtlsRequest({
        url: `${gateway.url}${PATH}`,
        ca: readFileSync(testPkiFiles().anchor),
        ...(row.id === NO_CERTIFICATE_CASE_ID ? {} : { credentials: clientCredentials(row.id) }),
        headers: { 'X-Request-ID': randomUUID() },
      });
      reference.set(row.id, {
        status: response.status,
        code: tppMessageCode(response.json),
        requestId: undefined,
      });
    }
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const expected = (row: ClientCase): { status: number; code: string | undefined } => {
    if (row.expect.status === 401) return { status: 401, code: row.expect.code };
    const ref = reference.get(row.id);
    if (ref === undefined) throw new Error(`no reference answer for ${row.id}`);
    // Admitted: whatever the API answers a request without a consent, never a certificate refusal.
    expect(ref.code ?? '').not.toMatch(/^CERTIFICATE_|^ROLE_INVALID$/);
    return { status: ref.status, code: ref.code };
  };

  it.each(cases.map((row) => [row.id, row] as const))(
    'curl as %s: the trust gate answers all ten requests, X-Request-ID echoed',
    async (_id, row) => {
      const requestId = randomUUID();
      const answers = await curlAnswers(gateway.url, row, requestId, opensslConf);
      const want = { ...expected(row), requestId };
      expect(answers).toEqual(Array.from({ length: REQUESTS }, () => want));
    },
    60_000,
  );

  it.each(cases.map((row) => [row.id, row] as const))(
    'openssl s_client as %s: the trust gate answers all ten connections, X-Request-ID echoed',
    async (_id, row) => {
      const answers: Answer[] = [];
      const requestId = randomUUID();
      for (let i = 0; i < REQUESTS; i++)
        answers.push(await opensslAnswer(gateway.port, row, work, requestId));
      const want = { ...expected(row), requestId };
      expect(answers).toEqual(Array.from({ length: REQUESTS }, () => want));
    },
    60_000,
  );
});
