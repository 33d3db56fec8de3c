/**
 * Issue 14, item 1, as a bank would run it: the gateway pointed at the bank's OpenID Provider (a real
 * oidc-provider in its own process, test/psu/identity_provider_process.js), the PSU authenticating there
 * in Chromium with two factors and never entering a password into the gateway. Also every refusal the
 * PSU can meet (provider down, weak sign-in, replayed state, bad nonce, wrong issuer), each a clear page
 * with the consent left `received`. Alice's callback host does not exist here: the browser's request
 * interception answers it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { OAuthTables } from '../../src/store/oauth_schema';
import { PROJECT_ROOT } from '../../src/config/project_root';
import type { RunningGateway } from '../../src/gateway';
import { axeViolations } from '../helpers/axe';
import { chromiumAvailable, launchChromium } from '../helpers/chromium';
import { plainSandboxCode } from '../helpers/sandbox_psu';
import { startTestGateway } from '../helpers/test_gateway';
import { ALICE_ID, ALICE_REDIRECT_URI, aliceTpp } from '../helpers/alice_tpp';

const available = chromiumAvailable('identity provider browser test');
jest.setTimeout(180_000);

const REDIRECT_URI = ALICE_REDIRECT_URI;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function startProvider(port: number, redirectUri: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '-r',
      './test/helpers/ts_register.js',
      'test/psu/identity_provider_process.js',
      String(port),
      redirectUri,
    ],
    { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout?.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`identity provider exited ${code}: ${stderr}`)));
  });
}

function stopProvider(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

(available ? describe : describe.skip)('PSU sign-in at the bank identity provider, in Chromium', () => {
  let gateway: RunningGateway;
  let browser: Browser;
  let provider: ChildProcess | undefined;
  let providerPort: number;
  let gatewayPort: number;
  /** A second gateway on the same provider that judges strong authentication by amr instead of acr. */
  let amrGateway: RunningGateway;
  let amrGatewayPort: number;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'psd2-idp-'));

  beforeAll(async () => {
    gatewayPort = await freePort();
    providerPort = await freePort();
    amrGatewayPort = await freePort();
    // The provider is not started yet: the first test meets it down.
    const atProvider = (port: number, evidence: Record<string, string>) =>
      startTestGateway(`sqlite:${path.join(dataDir, `gateway-${port}.db`)}`, {
        GATEWAY_PORT: String(port),
        GATEWAY_PUBLIC_URL: `https://localhost:${port}`,
        GATEWAY_PSU_OIDC_ISSUER: `http://127.0.0.1:${providerPort}`,
        GATEWAY_PSU_OIDC_CLIENT_ID: 'psd2-gateway',
        GATEWAY_PSU_OIDC_CLIENT_SECRET: 'gateway-test-secret',
        GATEWAY_PSU_OIDC_PSU_ID_CLAIM: 'psu_id',
        ...evidence,
      });
    gateway = await atProvider(gatewayPort, { GATEWAY_PSU_OIDC_ACR_VALUES: 'urn:bob:sca' });
    amrGateway = await atProvider(amrGatewayPort, { GATEWAY_PSU_OIDC_SCA_EVIDENCE: 'amr' });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stopProvider(provider);
    await gateway?.close();
    await amrGateway?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const alice = aliceTpp(() => gateway.url);
  const asAlice = alice.request;
  const createConsent = alice.createConsent;

  const consentStatus = async (consentId: string): Promise<string> =>
    ((await asAlice('GET', `/v1/consents/${consentId}/status`)).json as { consentStatus: string })
      .consentStatus;

  async function openContext(): Promise<{ context: BrowserContext; page: Page; tpp: () => URL | undefined }> {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    let callback: URL | undefined;
    await page.route('https://api.bank-of-alice.example/**', async (route) => {
      callback = new URL(route.request().url());
      await route.fulfill({
        status: 200,
        contentType: 'text/html',
        body: '<!doctype html><title>Alice</title>',
      });
    });
    return { context, page, tpp: () => callback };
  }

  function authorizeUrl(consentId: string, base = gateway.url): { url: string; verifier: string } {
    const verifier = randomBytes(32).toString('base64url');
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: ALICE_ID,
      redirect_uri: REDIRECT_URI,
      scope: `AIS:${consentId}`,
      state: 'tpp-state',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    });
    return { url: `${base}/oauth2/authorize?${query}`, verifier };
  }

  /** At the provider's form; returns the gateway callback URL the provider sent the browser to. */
  async function signInAtProvider(
    page: Page,
    otp: string | undefined,
    hold = false,
    port = gatewayPort,
  ): Promise<string> {
    await page.waitForURL(new RegExp(`^http://127\\.0\\.0\\.1:${providerPort}/interaction/`));
    await page.getByLabel('Customer login').fill('anna');
    await page.getByLabel('Customer password').fill('sandbox-anna');
    if (otp !== undefined) await page.getByLabel('Code from your banking app').fill(otp);
    const callbackPrefix = `https://localhost:${port}/psu/oidc/callback?`;
    if (hold) {
      // Held: the provider's answer is followed by hand up to the gateway's callback URL, which the
      // browser does not visit (Playwright does not route the hops of a redirect, so it cannot be stopped
      // there); the test uses the URL later.
      let held = '';
      await page.route(`http://127.0.0.1:${providerPort}/interaction/**`, async (route) => {
        let response = await route.fetch({ maxRedirects: 0 });
        let location = new URL(response.headers().location ?? '', route.request().url()).toString();
        while (!location.startsWith(callbackPrefix)) {
          response = await page.request.get(location, { maxRedirects: 0 });
          location = new URL(response.headers().location ?? '', location).toString();
        }
        held = location;
        await route.fulfill({
          status: 200,
          contentType: 'text/html',
          body: '<!doctype html><title>held</title>',
        });
      });
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForLoadState('load');
      await page.unroute(`http://127.0.0.1:${providerPort}/interaction/**`);
      return held;
    }
    const requested = page.waitForRequest((request) => request.url().startsWith(callbackPrefix));
    await page.getByRole('button', { name: 'Continue' }).click();
    const callbackUrl = (await requested).url();
    await page.waitForLoadState('load');
    return callbackUrl;
  }

  const mainText = async (page: Page): Promise<string> => page.locator('main').innerText();

  it('provider down before its first use: a page saying so, the consent unchanged', async () => {
    const consentId = await createConsent();
    const { context, page } = await openContext();
    const response = await page.goto(authorizeUrl(consentId).url);
    expect(response?.status()).toBe(503);
    expect(await mainText(page)).toContain("Bob's Bank's sign-in service cannot be reached");
    expect(await axeViolations(page)).toEqual([]);
    await context.close();
    expect(await consentStatus(consentId)).toBe('received');

    provider = await startProvider(
      providerPort,
      [gatewayPort, amrGatewayPort].map((port) => `https://localhost:${port}/psu/oidc/callback`).join(','),
    );
  });

  it('two factors at the provider: the consent page, Allow, a code that buys a token; the state cannot be replayed', async () => {
    const consentId = await createConsent();
    const { context, page, tpp } = await openContext();
    const { url, verifier } = authorizeUrl(consentId);
    const atProvider = page.waitForRequest((r) =>
      r.url().startsWith(`http://127.0.0.1:${providerPort}/auth?`),
    );
    await page.goto(url);
    // What is authorised travels as RFC 9396 authorization_details, with PKCE and the acr asked for.
    const asked = new URL((await atProvider).url()).searchParams;
    expect(JSON.parse(asked.get('authorization_details') ?? '[]')).toEqual([
      { type: 'psd2_account_information', consentId },
    ]);
    expect(asked.get('code_challenge_method')).toBe('S256');
    expect(asked.get('acr_values')).toBe('urn:bob:sca');
    // Whatever session the provider holds, the PSU authenticates now.
    expect(asked.get('prompt')).toBe('login');
    expect(asked.get('max_age')).toBe('0');
    // The gateway showed no password field of its own: the browser went straight to the provider.
    const callbackUrl = await signInAtProvider(page, plainSandboxCode('anna'));
    await page.waitForSelector('button[name=decision]');
    const text = await mainText(page);
    expect(text).toContain('Anna Schmidt');
    expect(text).toContain('DE37 1002 0030 0000 1234 01');
    expect(await axeViolations(page)).toEqual([]);
    await page.locator('button[name=decision][value=approve]').click();
    await page.waitForURL(/api\.bank-of-alice\.example/);
    const code = tpp()?.searchParams.get('code');
    expect(code).toBeTruthy();
    const token = await alice.exchangeCode(code as string, verifier);
    expect(token.status).toBe(200);
    expect(await consentStatus(consentId)).toBe('valid');

    const replay = await page.goto(callbackUrl);
    expect(replay?.status()).toBe(400);
    expect(await mainText(page)).toContain('already used or has expired');
    await context.close();
  });

  it('a sign-in with the password only: refused with a page naming the two factors, the consent unchanged', async () => {
    const consentId = await createConsent();
    const { context, page } = await openContext();
    await page.goto(authorizeUrl(consentId).url);
    await signInAtProvider(page, undefined);
    expect(await mainText(page)).toContain('did not confirm two independent factors');
    expect(await axeViolations(page)).toEqual([]);
    // The provider's return cannot be reloaded (it would be a replay): the switch shows the same refusal.
    const [switched] = await Promise.all([
      page.waitForNavigation(),
      page.getByRole('link', { name: 'Deutsch' }).click(),
    ]);
    expect(switched?.status()).toBe(403);
    expect(new URL(page.url()).pathname).toBe('/psu/error');
    expect(await page.locator('html').getAttribute('lang')).toBe('de');
    expect(await mainText(page)).toContain('hat keine zwei unabhängigen Faktoren bestätigt');
    expect(await axeViolations(page)).toEqual([]);
    await context.close();
    expect(await consentStatus(consentId)).toBe('received');
  });

  it('an ID token with another nonce: refused, the consent unchanged', async () => {
    const consentId = await createConsent();
    const { context, page } = await openContext();
    await page.request.get(`http://127.0.0.1:${providerPort}/__test/tamper-next-nonce`);
    await page.goto(authorizeUrl(consentId).url);
    await signInAtProvider(page, plainSandboxCode('anna'));
    expect(await mainText(page)).toContain('could not be verified');
    await context.close();
    expect(await consentStatus(consentId)).toBe('received');
  });

  it('an answer naming another issuer (RFC 9207 iss): refused, the consent unchanged', async () => {
    const consentId = await createConsent();
    const { context, page } = await openContext();
    await page.goto(authorizeUrl(consentId).url);
    const callbackUrl = new URL(await signInAtProvider(page, plainSandboxCode('anna'), true));
    callbackUrl.searchParams.set('iss', 'https://idp.mallory.example');
    const response = await page.goto(callbackUrl.toString());
    expect(response?.status()).toBe(502);
    expect(await mainText(page)).toContain("did not come from Bob's Bank's sign-in service");
    await context.close();
    expect(await consentStatus(consentId)).toBe('received');
  });

  it.each([
    ['an old single sign-on session (auth_time three hours back)', 'stale'],
    ['no auth_time at all', 'missing'],
  ])(
    'a provider that ignores prompt=login and max_age=0, %s: refused as not fresh, the consent unchanged',
    async (_name, freshness) => {
      const consentId = await createConsent();
      const { context, page } = await openContext();
      await page.request.get(`http://127.0.0.1:${providerPort}/__test/next-sign-in?freshness=${freshness}`);
      const refused = page.waitForResponse((r) => r.url().includes('/psu/oidc/callback?'));
      await page.goto(authorizeUrl(consentId).url);
      await signInAtProvider(page, plainSandboxCode('anna'));
      expect((await refused).status()).toBe(403);
      expect(await mainText(page)).toContain('did not show that you signed in just now');
      expect(await axeViolations(page)).toEqual([]);
      await context.close();
      expect(await consentStatus(consentId)).toBe('received');
    },
  );

  describe('with amr as the evidence (GATEWAY_PSU_OIDC_SCA_EVIDENCE=amr, default combinations)', () => {
    const amrAlice = aliceTpp(() => amrGateway.url);
    const amrConsentStatus = async (consentId: string): Promise<string> =>
      ((await amrAlice.request('GET', `/v1/consents/${consentId}/status`)).json as { consentStatus: string })
        .consentStatus;

    it('password and one-time code (knowledge and possession): the consent page', async () => {
      const consentId = await amrAlice.createConsent();
      const { context, page } = await openContext();
      await page.goto(authorizeUrl(consentId, amrGateway.url).url);
      await signInAtProvider(page, plainSandboxCode('anna'), false, amrGatewayPort);
      await page.waitForSelector('button[name=decision]');
      expect(await mainText(page)).toContain('Anna Schmidt');
      await context.close();
    });

    it.each([
      ['password and PIN, two knowledge factors', 'pwd,pin'],
      ['one-time code and SMS, two possession factors', 'otp,sms'],
      ['"mfa", which names no factor', 'mfa,pwd'],
    ])('%s: refused as not strong, the consent unchanged', async (_name, amr) => {
      const consentId = await amrAlice.createConsent();
      const { context, page } = await openContext();
      await page.request.get(`http://127.0.0.1:${providerPort}/__test/next-sign-in?amr=${amr}`);
      const refused = page.waitForResponse((r) => r.url().includes('/psu/oidc/callback?'));
      await page.goto(authorizeUrl(consentId, amrGateway.url).url);
      await signInAtProvider(page, plainSandboxCode('anna'), false, amrGatewayPort);
      expect((await refused).status()).toBe(403);
      expect(await mainText(page)).toContain('did not confirm two independent factors');
      await context.close();
      expect(await amrConsentStatus(consentId)).toBe('received');
    });
  });

  it('the dashboard signs in at the provider too, and no password is accepted by the gateway', async () => {
    const rows = async (table: 'psu_dashboard_session' | 'psu_oidc_login'): Promise<number> => {
      const db = gateway.store.db as unknown as Kysely<OAuthTables>;
      const row = await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    };
    const sessionsBefore = await rows('psu_dashboard_session');
    const pendingBefore = await rows('psu_oidc_login');
    const { context, page } = await openContext();
    await page.goto(`${gateway.url}/psu/consents`);
    // On the way to the provider only the pending sign-in is stored (state, nonce, PKCE verifier), which
    // the sweep removes if the PSU never returns; the dashboard's session waits for the PSU to come back.
    await page.waitForURL(new RegExp(`^http://127\\.0\\.0\\.1:${providerPort}/interaction/`));
    expect(await rows('psu_dashboard_session')).toBe(sessionsBefore);
    expect(await rows('psu_oidc_login')).toBe(pendingBefore + 1);
    await signInAtProvider(page, plainSandboxCode('anna'));
    expect(page.url()).toBe(`${gateway.url}/psu/consents`);
    expect(await rows('psu_dashboard_session')).toBe(sessionsBefore + 1);
    expect(await rows('psu_oidc_login')).toBe(pendingBefore);
    expect(await mainText(page)).toContain('Anna Schmidt');
    expect(await axeViolations(page)).toEqual([]);
    // The sandbox's password form is gone: a posted password signs nobody in.
    const posted = await page.request.post(`${gateway.url}/psu/consents/sign-in`, {
      form: { username: 'anna', password: 'sandbox-anna', otp: plainSandboxCode('anna'), csrf_token: 'x' },
    });
    expect(await posted.text()).not.toContain('Withdraw');
    await context.close();
  });

  it('provider down when the browser returns: a page saying so, the consent unchanged', async () => {
    const consentId = await createConsent();
    const { context, page } = await openContext();
    await page.goto(authorizeUrl(consentId).url);
    const callbackUrl = await signInAtProvider(page, plainSandboxCode('anna'), true);
    await stopProvider(provider);
    const response = await page.goto(callbackUrl);
    expect(response?.status()).toBe(503);
    expect(await mainText(page)).toContain('cannot be reached');
    await context.close();
    expect(await consentStatus(consentId)).toBe('received');
  });
});
