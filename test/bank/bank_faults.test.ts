/**
 * Faults against real second processes: the sandbox bank (`sandbox-bank` as a child) behind a
 * misbehaving bank process (fault_bank.cjs), and the gateway in front of both. Every fault must give the
 * TPP a Berlin Group error with the right status and never the bank's body, log a line with the reason,
 * leave the gateway's store as it was, and heal by itself once the bank behaves again.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createLogger, type Logger } from '../../src/audit/logger';
import { BankFailure, BankTimeout, BankUnavailable } from '../../src/bank/bank_errors';
import { HttpBankConnector } from '../../src/bank/http_bank_connector';
import { authorisedReadSession, type ReadSession } from '../../src/bench/gateway_session';
import { TppClient, type TppResponse } from '../../src/client/tpp_client';
import type { RunningGateway } from '../../src/gateway';
import { eventually } from '../helpers/eventually';
import { startTestGateway } from '../helpers/test_gateway';
import { clientCredentials, testPkiFiles } from '../helpers/test_pki';
import { startFaultBank, type FaultBank, type FaultMode } from './fault_bank_process';
import { startSandboxBankProcess, type SandboxBankProcess } from './sandbox_bank_process';

const work = mkdtempSync(path.join(os.tmpdir(), 'bank-faults-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('info', {
    write: (line: string) => {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  return { logger, lines };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

let bank: SandboxBankProcess;
const bankDb = path.join(work, 'sandbox-bank.db');

beforeAll(async () => {
  bank = await startSandboxBankProcess({ database: bankDb, viaNpm: true });
}, 120_000);
afterAll(async () => {
  await bank?.kill();
});

describe('HTTP connector against a misbehaving bank process', () => {
  let fault: FaultBank;
  let connector: HttpBankConnector;
  let lines: Record<string, unknown>[];
  const context = () => ({
    requestId: randomUUID(),
    tppOrganizationIdentifier: 'PSDDE-BAFIN-123456',
    consentId: 'c-1',
  });

  beforeAll(async () => {
    fault = await startFaultBank(bank.url);
    const captured = capturingLogger();
    lines = captured.lines;
    connector = await HttpBankConnector.create({
      url: fault.url,
      timeoutMs: 1500,
      logger: captured.logger,
      breaker: { failureThreshold: 3, openMs: 300 },
    });
  });
  afterAll(async () => {
    await connector?.close();
    await fault?.stop();
  });
  afterEach(async () => {
    await fault.set('pass');
    await eventually(() => connector.ping());
  });

  it.each<[FaultMode, new (...args: never[]) => Error, number]>([
    ['garbage', BankFailure, 502],
    ['large', BankFailure, 502],
    ['large-chunked', BankFailure, 502],
    ['wrong-types', BankFailure, 502],
    ['bank-error', BankFailure, 502],
    ['busy', BankUnavailable, 503],
    ['slow', BankTimeout, 504],
    ['drip', BankTimeout, 504],
    ['die', BankUnavailable, 503],
  ])('bank %s: %p with status %i, logged, recovered', async (mode, errorClass, status) => {
    await fault.set(mode);
    const requestId = randomUUID();
    const failure = await connector.balances('acc-3f9c1e7a52d4', { ...context(), requestId }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(errorClass);
    expect((failure as BankFailure).status).toBe(status);
    // The TPP-facing text never carries what the bank said.
    expect((failure as BankFailure).text).not.toMatch(/ORA-|html|batch/);
    const logged = lines.find((l) => l.event === 'bank_call_failed' && l.requestId === requestId);
    expect(logged).toMatchObject({ operationId: 'getBalances', tpp: 'PSDDE-BAFIN-123456', consentId: 'c-1' });
    if (mode === 'busy') expect((failure as BankUnavailable).headers).toEqual({ 'Retry-After': '7' });
  });

  it('ends a call still waiting for a free connection at its deadline too', async () => {
    // One connection: the second call waits in the pool behind the first, which the bank never answers.
    const single = await HttpBankConnector.create({
      url: fault.url,
      timeoutMs: 1500,
      logger: capturingLogger().logger,
      connections: 1,
    });
    try {
      await fault.set('slow');
      const outcomes = await Promise.all(
        [1, 2].map(() =>
          single.balances('acc-3f9c1e7a52d4', context()).then(
            () => undefined,
            (error: unknown) => error,
          ),
        ),
      );
      for (const outcome of outcomes) expect(outcome).toBeInstanceOf(BankTimeout);
      await fault.set('pass');
      await expect(eventually(() => single.ping())).resolves.toBeUndefined();
    } finally {
      await single.close();
    }
  });

  it('sends a read once more when the connection dies under it, and succeeds', async () => {
    await fault.set('die-once');
    const requestId = randomUUID();
    // A PSU's accounts are never cached by the connector: this call reaches the bank.
    const accounts = await connector.accountsOfPsu('anna', { ...context(), requestId });
    expect(accounts.map((a) => a.iban)).toContain('DE37100200300000123401');
    expect(lines.some((l) => l.event === 'bank_call_retried' && l.requestId === requestId)).toBe(true);
  });

  it('opens the circuit after repeated failures, answers fast without calling the bank, and closes again', async () => {
    await fault.set('bank-error');
    for (let i = 0; i < 3; i++) await expect(connector.ping()).rejects.toBeInstanceOf(BankFailure);
    expect(connector.circuitState).toBe('open');
    const fast = await connector.ping().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(fast).toBeInstanceOf(BankUnavailable);
    expect((fast as BankUnavailable).detail).toMatch(/circuit open/);
    expect((fast as BankUnavailable).headers['Retry-After']).toMatch(/^\d+$/);
    // afterEach: the bank behaves again and the circuit closes by itself.
  });
});

describe('mutual TLS to the bank', () => {
  const pki = path.join(work, 'bank-pki');
  let tlsBank: SandboxBankProcess;
  const file = (name: string) => readFileSync(path.join(pki, name));

  beforeAll(async () => {
    // The bank's own internal CA, made with openssl: nothing to do with the TPP trust anchor.
    execFileSync('bash', [
      '-c',
      `set -e; mkdir -p ${pki}; cd ${pki}
       for ca in bank-ca other-ca; do
         openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $ca.key -out $ca.pem -days 2 -subj "/CN=$ca" 2>/dev/null
       done
       issue() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $1.key -out $1.csr -subj "/CN=$1" 2>/dev/null
         printf "$2" > $1.ext
         openssl x509 -req -in $1.csr -CA bank-ca.pem -CAkey bank-ca.key -CAcreateserial -out $1.pem -days 2 -extfile $1.ext 2>/dev/null; }
       issue server "subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth"
       issue gateway "extendedKeyUsage=clientAuth"`,
    ]);
    tlsBank = await startSandboxBankProcess({
      database: path.join(work, 'tls-bank.db'),
      extraArgs: [
        '--cert',
        path.join(pki, 'server.pem'),
        '--key',
        path.join(pki, 'server.key'),
        '--client-ca',
        path.join(pki, 'bank-ca.pem'),
      ],
    });
  }, 60_000);
  afterAll(() => tlsBank?.kill());

  const connect = (tls: { ca?: Buffer; cert?: Buffer; key?: Buffer }, logger = createLogger('silent')) =>
    HttpBankConnector.create({ url: tlsBank.url, tls, timeoutMs: 3000, logger });

  it('reads over mutual TLS with the bank CA and the gateway client certificate', async () => {
    const connector = await connect({
      ca: file('bank-ca.pem'),
      cert: file('gateway.pem'),
      key: file('gateway.key'),
    });
    try {
      expect(tlsBank.url).toMatch(/^https:/);
      expect((await connector.accountsOfPsu('anna', { requestId: randomUUID() })).length).toBe(2);
    } finally {
      await connector.close();
    }
  });

  it.each([
    ['a wrong CA for the bank', { ca: 'other-ca.pem', cert: 'gateway.pem', key: 'gateway.key' }],
    ['no client certificate', { ca: 'bank-ca.pem' }],
  ])('refuses with %s: 503 and a log line naming TLS or the reset', async (_name, files) => {
    const { logger, lines } = capturingLogger();
    const tls = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, file(v)]));
    const connector = await connect(tls, logger);
    try {
      const failure = await connector.ping().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(BankUnavailable);
      expect(lines.find((l) => l.event === 'bank_call_failed')).toMatchObject({
        kind: expect.stringMatching(/tls|reset|unreachable/),
      });
    } finally {
      await connector.close();
    }
  });
});

describe('the gateway in front of a failing bank (TPP view)', () => {
  let fault: FaultBank;
  let gateway: RunningGateway;
  let alice: TppClient;
  let session: ReadSession;
  const alicePem = clientCredentials('alice');

  const read = (): Promise<TppResponse> =>
    alice.request({ path: session.path, headers: { ...session.headers, 'X-Request-ID': randomUUID() } });
  const readsOk = () =>
    eventually(async () => {
      const res = await read();
      if (res.status !== 200) throw new Error(`still ${res.status}`);
      return res;
    });
  const expectRefusal = (res: TppResponse, status: number) => {
    expect(res.status).toBe(status);
    const body = res.json as { tppMessages: { code: string }[] };
    expect(body.tppMessages[0]?.code).toBe(status === 502 ? 'INTERNAL_SERVER_ERROR' : 'SERVICE_UNAVAILABLE');
    expect(res.body).not.toMatch(/ORA-|html|filler|accounts/);
  };

  beforeAll(async () => {
    fault = await startFaultBank(bank.url);
    gateway = await startTestGateway(`sqlite:${path.join(work, 'gateway.db')}`, {
      GATEWAY_BANK_URL: fault.url,
      GATEWAY_BANK_TIMEOUT_MS: '1500',
      // The sandbox's test customers sign in at the gateway; their accounts come from the bank process.
      GATEWAY_SANDBOX: 'true',
    });
    const files = testPkiFiles();
    const anchorPem = readFileSync(files.anchor, 'utf8');
    const pki = {
      anchorPem,
      alice: { id: 'alice', certChainPem: alicePem.cert.toString(), keyPem: alicePem.key.toString() },
    };
    session = await authorisedReadSession(pki, gateway.url);
    alice = new TppClient({
      baseUrl: gateway.url,
      anchorPem,
      certChainPem: pki.alice.certChainPem,
      keyPem: pki.alice.keyPem,
      serverName: 'localhost',
    });
  }, 120_000);
  afterAll(async () => {
    await gateway?.close();
    await fault?.stop();
  });

  it.each<[FaultMode, number]>([
    ['slow', 504],
    ['garbage', 502],
    ['wrong-types', 502],
    ['large', 502],
    ['bank-error', 502],
    ['die', 503],
  ])('bank %s: the TPP gets %i with tppMessages, then reads again', async (mode, status) => {
    await fault.set(mode);
    expectRefusal(await read(), status);
    await fault.set('pass');
    await readsOk();
  });

  it('counts every call to the bank and its failures by contract operation (psd2_bank_connector_*)', async () => {
    const text = await gateway.operations.metrics.registry.metrics();
    const count = (name: string) =>
      Number(new RegExp(`^${name}\\{operation="getBalances"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    // The reads above: every one reached the bank; the faulty answers count as failures.
    expect(count('psd2_bank_connector_duration_seconds_count')).toBeGreaterThanOrEqual(12);
    expect(count('psd2_bank_connector_errors_total')).toBeGreaterThanOrEqual(5);
  });

  it('bank killed mid-run: 503 with Retry-After, consent untouched, reads again when it returns', async () => {
    await bank.kill();
    const down = await read();
    expectRefusal(down, 503);
    expect(down.headers['retry-after']).toMatch(/^\d+$/);
    // Hammered while down: the circuit answers, still 503, never a hang or a crash.
    for (let i = 0; i < 8; i++) expect((await read()).status).toBe(503);

    bank = await startSandboxBankProcess({ database: bankDb, port: bank.port });
    await readsOk();
    const status = await alice.request({
      path: `/v1/consents/${session.consentId}/status`,
      headers: { 'X-Request-ID': randomUUID() },
    });
    expect(status.json).toEqual({ consentStatus: 'valid' });
  }, 60_000);
});

describe('bank down when the gateway starts', () => {
  it('starts anyway, readiness (ping) reports the bank down, and recovers when the bank comes up', async () => {
    const port = await freePort();
    const gateway = await startTestGateway(`sqlite:${path.join(work, 'gateway-down.db')}`, {
      GATEWAY_BANK_URL: `http://127.0.0.1:${port}`,
    });
    let late: SandboxBankProcess | undefined;
    try {
      await expect(gateway.bank.ping()).rejects.toBeInstanceOf(BankUnavailable);
      late = await startSandboxBankProcess({ database: path.join(work, 'late-bank.db'), port });
      await eventually(() => gateway.bank.ping());
    } finally {
      await gateway.close();
      await late?.kill();
    }
  }, 60_000);
});
