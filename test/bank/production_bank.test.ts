/**
 * Production is not a sandbox: without GATEWAY_BANK_URL a production gateway refuses to start (unless
 * GATEWAY_SANDBOX=true declares the bank's testing facility), and in front of a real bank no sandbox
 * customer exists in the gateway: no PSU rows, no password form, the published passwords sign nobody in.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ALICE_CLIENT_ID, ALICE_REDIRECT_URI, PSU_IP_ADDRESS } from '../../src/bench/gateway_session';
import { TppClient } from '../../src/client/tpp_client';
import { consentCommand } from '../../src/cli/consent_command';
import { ConfigError, loadConfig } from '../../src/config/config';
import { DEFAULT_CONTRACT } from '../../src/conformance/gateway_contract';
import { actAsPsu } from '../../src/conformance/psu_agent';
import { newPkce } from '../../src/conformance/tpp_flows';
import type { RunningGateway } from '../../src/gateway';
import { startTestGateway } from '../helpers/test_gateway';
import { clientCredentials, testPkiFiles } from '../helpers/test_pki';
import { startStandInBank, type StandInBank } from './stand_in_bank';

const work = mkdtempSync(path.join(os.tmpdir(), 'production-bank-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * In front of a bank, production requires the bank's identity provider (test/psu). Nothing listens on
 * port 1: discovery fails at once, so a sign-in is answered "sign-in service cannot be reached".
 */
const BANK_IDENTITY_PROVIDER = {
  GATEWAY_PSU_OIDC_ISSUER: 'https://127.0.0.1:1',
  GATEWAY_PSU_OIDC_CLIENT_ID: 'psd2-gateway',
  GATEWAY_PSU_OIDC_CLIENT_SECRET: 'secret',
};

describe('bank configuration', () => {
  const production = { GATEWAY_MODE: 'production' };

  it('refuses production without GATEWAY_BANK_URL, naming it', () => {
    expect(() => loadConfig(production, { fixturesPending: true })).toThrow(
      /^GATEWAY_BANK_URL: required when GATEWAY_MODE=production/,
    );
  });

  it('runs the embedded sandbox in production only when GATEWAY_SANDBOX=true says so', () => {
    const files = testPkiFiles();
    const keys = {
      GATEWAY_TRUST_ANCHOR: files.anchor,
      GATEWAY_TLS_CERT: files.serverChain,
      GATEWAY_TLS_KEY: files.serverKey,
    };
    const sandbox = loadConfig({ ...production, ...keys, GATEWAY_SANDBOX: 'true' });
    expect(sandbox.bank).toEqual({ kind: 'sandbox' });
    expect(sandbox.sandbox).toBe(true);
    const real = loadConfig({
      ...production,
      ...keys,
      ...BANK_IDENTITY_PROVIDER,
      GATEWAY_BANK_URL: 'https://core.bob.internal/psd2/',
    });
    expect(real.bank).toMatchObject({ kind: 'http', url: 'https://core.bob.internal/psd2', timeoutMs: 5000 });
    expect(real.sandbox).toBe(false);
  });

  it.each([
    [
      'a client certificate without its key',
      { GATEWAY_BANK_CLIENT_CERT: 'x.pem' },
      'GATEWAY_BANK_CLIENT_KEY',
    ],
    ['TLS settings on an http:// URL', { GATEWAY_BANK_CA: 'ca.pem' }, 'GATEWAY_BANK_URL'],
    ['a timeout that is not a number', { GATEWAY_BANK_TIMEOUT_MS: 'soon' }, 'GATEWAY_BANK_TIMEOUT_MS'],
    ['a URL that is not http(s)', { GATEWAY_BANK_URL: 'ftp://bank' }, 'GATEWAY_BANK_URL'],
    ['credentials in the URL', { GATEWAY_BANK_URL: 'https://u:p@bank' }, 'GATEWAY_BANK_URL'],
  ])('refuses %s, naming %s', (_name, env, variable) => {
    const attempt = () =>
      loadConfig({ GATEWAY_BANK_URL: 'http://127.0.0.1:1', ...env }, { fixturesPending: true });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(new RegExp(`^${variable}: `));
  });

  it('refuses bank TLS settings without a bank URL', () => {
    expect(() => loadConfig({ GATEWAY_BANK_CA: 'ca.pem' }, { fixturesPending: true })).toThrow(
      /^GATEWAY_BANK_CA: set only together with GATEWAY_BANK_URL/,
    );
  });

  it('a production gateway does not start without a bank', async () => {
    await expect(
      startTestGateway(`sqlite:${path.join(work, 'refused.db')}`, { GATEWAY_MODE: 'production' }),
    ).rejects.toThrow(/GATEWAY_BANK_URL/);
  });

  it("a production gateway in front of a bank does not start without the bank's identity provider", async () => {
    await expect(
      startTestGateway(`sqlite:${path.join(work, 'refused-idp.db')}`, {
        GATEWAY_MODE: 'production',
        GATEWAY_BANK_URL: 'https://core.bob.internal/psd2',
      }),
    ).rejects.toThrow(/^GATEWAY_PSU_OIDC_ISSUER: required when GATEWAY_MODE=production/);
  });
});

describe('in front of a real bank, no sandbox customer exists in the gateway', () => {
  let bank: StandInBank;
  let gateway: RunningGateway;

  beforeAll(async () => {
    bank = await startStandInBank(new Date().toISOString().slice(0, 10));
    gateway = await startTestGateway(`sqlite:${path.join(work, 'gateway.db')}`, {
      GATEWAY_MODE: 'production',
      GATEWAY_BANK_URL: bank.url,
      ...BANK_IDENTITY_PROVIDER,
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await bank?.close();
  });

  it('serves the bank contract at /bank-connector.json and renders it next to the TPP API in /docs', async () => {
    const browser = new TppClient({
      baseUrl: gateway.url,
      anchorPem: readFileSync(testPkiFiles().anchor, 'utf8'),
      serverName: 'localhost',
    });
    const contract = await browser.request({ path: '/bank-connector.json' });
    expect(contract.status).toBe(200);
    expect(contract.json).toMatchObject({ openapi: '3.1.0', info: { version: '1.0.0' } });
    const docs = await browser.request({ path: '/docs' });
    expect(docs.body).toContain('href="/docs/bank-connector"');
    const bankDocs = await browser.request({ path: '/docs/bank-connector' });
    expect(bankDocs.status).toBe(200);
    expect(bankDocs.body).toContain('executePayment');
    expect(bankDocs.body).toContain('/bank/v1/accounts/{resourceId}/transactions');
  });

  it('holds no PSU, account or transaction of the sandbox', async () => {
    for (const table of ['psus', 'accounts', 'balances', 'transactions'] as const) {
      const rows = await gateway.store.db.selectFrom(table).selectAll().execute();
      expect(rows).toEqual([]);
    }
  });

  it("offers no password form and signs nobody in with the sandbox's published password", async () => {
    const files = testPkiFiles();
    const anchorPem = readFileSync(files.anchor, 'utf8');
    const alicePem = clientCredentials('alice');
    const alice = new TppClient({
      baseUrl: gateway.url,
      anchorPem,
      certChainPem: alicePem.cert.toString(),
      keyPem: alicePem.key.toString(),
      serverName: 'localhost',
    });
    const created = await alice.request({
      method: 'POST',
      path: '/v1/consents',
      headers: {
        'X-Request-ID': randomUUID(),
        'TPP-Redirect-URI': ALICE_REDIRECT_URI,
        'PSU-IP-Address': PSU_IP_ADDRESS,
      },
      json: DEFAULT_CONTRACT.consentBody({ frequencyPerDay: 4 }),
    });
    expect(created.status).toBe(201);
    const consentId = (created.json as { consentId: string }).consentId;
    const authorize = new URL('/oauth2/authorize', gateway.url);
    const q = authorize.searchParams;
    q.set('response_type', 'code');
    q.set('client_id', ALICE_CLIENT_ID);
    q.set('redirect_uri', ALICE_REDIRECT_URI);
    q.set('scope', DEFAULT_CONTRACT.scopeFor(consentId));
    q.set('state', 'no-passwords');
    q.set('code_challenge', newPkce().challenge);
    q.set('code_challenge_method', 'S256');

    const browser = new TppClient({ baseUrl: gateway.url, anchorPem, serverName: 'localhost' });
    // The PSU is sent to the bank's identity provider (here unreachable): never a password form.
    const page = await browser.request({ path: `${authorize.pathname}${authorize.search}` });
    expect(page.status).toBe(503);
    expect(page.body).toMatch(/sign-in service cannot be reached/);
    expect(page.body).not.toMatch(/type="password"/);

    const outcome = await actAsPsu({
      client: browser,
      startUrl: authorize.href,
      redirectUri: ALICE_REDIRECT_URI,
      username: 'anna',
      password: 'sandbox-anna',
      decision: 'approve',
      fields: DEFAULT_CONTRACT.psuForm,
      maxSteps: DEFAULT_CONTRACT.maxPsuSteps,
    });
    expect(outcome.kind).toBe('stopped');
    const status = await alice.request({
      path: `/v1/consents/${consentId}/status`,
      headers: { 'X-Request-ID': randomUUID() },
    });
    expect(status.json).toEqual({ consentStatus: 'received' });
  });

  it("the consent CLI decides for the bank's PSUs, not the sandbox's, on the gateway's database", async () => {
    const env = {
      GATEWAY_MODE: 'production',
      GATEWAY_BANK_URL: bank.url,
      GATEWAY_DATABASE_URL: `sqlite:${path.join(work, 'gateway.db')}`,
    };
    const cli = async (...args: string[]): Promise<string[]> => {
      const lines: string[] = [];
      const command = consentCommand({ env, out: (line) => lines.push(line) });
      for (const c of [command, ...command.commands]) c.exitOverride();
      await command.parseAsync(args, { from: 'user' });
      return lines;
    };
    const listed = JSON.parse((await cli('list', '--json', '--status', 'received')).join('\n')) as {
      id: string;
    }[];
    const consentId = listed[0]?.id;
    expect(consentId).toBeDefined();
    // The stand-in bank's PSU p-1 holds two accounts; the sandbox's anna is unknown to this bank.
    await expect(cli('authorise', String(consentId), '--psu', 'anna')).rejects.toThrow();
    const lines = await cli('authorise', String(consentId), '--psu', 'p-1');
    expect(lines[0]).toBe(`consent ${consentId} is valid for PSU p-1`);
    expect(lines[1]).toBe('  accounts: NL20INGB0001234567, NL91ABNA0417164300');
    for (const table of ['psus', 'accounts'] as const) {
      expect(await gateway.store.db.selectFrom(table).selectAll().execute()).toEqual([]);
    }
  });

  it('the consent CLI refuses a production environment without a bank, as the gateway does', async () => {
    const command = consentCommand({
      env: { GATEWAY_MODE: 'production', GATEWAY_DATABASE_URL: `sqlite:${path.join(work, 'gateway.db')}` },
      out: () => undefined,
    });
    for (const c of [command, ...command.commands]) c.exitOverride();
    await expect(command.parseAsync(['list'], { from: 'user' })).rejects.toThrow(/^GATEWAY_BANK_URL: /);
  });
});
