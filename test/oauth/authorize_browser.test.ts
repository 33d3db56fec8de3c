import { mkdirSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { axeViolations } from '../helpers/axe';
import { chromiumAvailable, launchChromium } from '../helpers/chromium';
import { x509, webcrypto } from '../../src/fixtures/x509';
import {
  ALICE,
  aliceConsent,
  authorizeQuery,
  createTestApp,
  credentials,
  newPkce,
  tokenRequest,
  type TestApp,
} from './oauth_gateway';

const available = chromiumAvailable('OAuth browser test');
const describeBrowser = available ? describe : describe.skip;

jest.setTimeout(120_000);

/** A throwaway server certificate for 127.0.0.1; the browser context ignores that nobody trusts it. */
async function serverCertificate(): Promise<{ cert: string; key: string }> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=127.0.0.1',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3_600_000),
    signingAlgorithm: alg,
    keys,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }])],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { cert: cert.toString('pem'), key: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
}

function listen(server: https.Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve(`https://127.0.0.1:${(server.address() as AddressInfo).port}`),
    );
  });
}

function close(server: https.Server | undefined): Promise<void> {
  return new Promise((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
}

describeBrowser('the authorisation page in Chromium', () => {
  let t: TestApp;
  let gateway: https.Server | undefined;
  let tpp: https.Server | undefined;
  let gatewayUrl = '';
  let callbackUrl = '';
  let browser: Browser | undefined;

  beforeAll(async () => {
    t = await createTestApp();
    const tls = await serverCertificate();
    gateway = https.createServer(tls, t.app);
    gatewayUrl = await listen(gateway);
    // Alice's redirect target: answers with a plain page; the test reads the URL the browser arrived at.
    tpp = https.createServer(tls, (_req, res) => {
      res
        .writeHead(200, { 'Content-Type': 'text/html' })
        .end('<!doctype html><title>Bank of Alice</title><p>Back at Alice');
    });
    callbackUrl = `${await listen(tpp)}/callback`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await close(gateway);
    await close(tpp);
    await t?.close();
  });

  /** Opens a new page that fails the test on any CSP violation or failed sub-resource. */
  async function newPage(): Promise<{ page: Page; problems: string[] }> {
    if (browser === undefined) throw new Error('no browser');
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const problems: string[] = [];
    // Chromium asks every origin for /favicon.ico on its own; the page itself references nothing missing.
    // The gateway answers it like any path that is not a PSU page: 401, no client certificate.
    const isFavicon = (url: string): boolean => url !== '' && new URL(url).pathname === '/favicon.ico';
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !isFavicon(msg.location().url)) problems.push(msg.text());
    });
    page.on('response', (res) => {
      if (res.status() >= 400 && !isFavicon(res.url())) {
        problems.push(`${res.status()} ${res.url()}`);
      }
    });
    page.on('requestfailed', (req) => problems.push(`${req.url()}: ${req.failure()?.errorText ?? 'failed'}`));
    return { page, problems };
  }

  async function signIn(page: Page, consentId: string, challenge: string): Promise<void> {
    const consent = t.consents.consents.get(consentId);
    if (consent === undefined) throw new Error('no consent');
    const query = new URLSearchParams(authorizeQuery(consent, { verifier: '', challenge }));
    await page.goto(`${gatewayUrl}/oauth2/authorize?${query.toString()}`);
    await expect(page.title()).resolves.toMatch(/Sign in/);
    // Labels are wired to their fields: fill by accessible name, as a screen reader user would find them.
    await page.getByLabel('Username').fill('petra');
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByLabel('One-time code').fill(credentials(t, consent).otp);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1 }).waitFor();
  }

  it('sign in, review, approve, exchange the code, use the token', async () => {
    const consent = t.consents.add(
      aliceConsent({
        tppRedirectUri: callbackUrl,
        access: {
          accounts: ['DE89370400440532013000', 'DE02120300000000202051'],
          balances: ['DE89370400440532013000', 'DE02120300000000202051'],
          transactions: ['DE89370400440532013000'],
        },
      }),
    );
    const pair = newPkce();
    const { page, problems } = await newPage();
    await signIn(page, consent.consentId, pair.challenge);

    const h1 = await page.getByRole('heading', { level: 1 }).textContent();
    expect(h1).toContain('Bank of Alice');
    const body = (await page.locator('main').textContent()) ?? '';
    expect(body).toContain(ALICE.organizationIdentifier);
    expect(body).toContain('DE-BAFIN');
    expect(body).toContain('DE89 3704 0044 0532 0130 00');
    expect(body).toContain('DE02 1203 0000 0000 2020 51');
    expect(body).toContain('2030-06-30');
    // The stylesheet loaded under the CSP: the primary button got the brand colour, not the UA default.
    const background = await page.getByRole('button', { name: 'Allow access' }).evaluate(
      // The test compiles without DOM typings; this runs inside the page.
      (el) =>
        (
          globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }
        ).getComputedStyle(el).backgroundColor,
    );
    expect(background).toBe('rgb(11, 61, 110)');

    const reports = path.resolve(__dirname, '../../reports');
    mkdirSync(reports, { recursive: true });
    await page.screenshot({ path: path.join(reports, 'oauth_consent_screen.png'), fullPage: true });

    await Promise.all([
      page.waitForURL((url) => url.toString().startsWith(callbackUrl)),
      page.getByRole('button', { name: 'Allow access' }).click(),
    ]);
    const redirected = new URL(page.url());
    expect(redirected.searchParams.get('state')).toBe('state-xyz');
    const code = redirected.searchParams.get('code');
    expect(code).not.toBeNull();
    expect(problems).toEqual([]);

    const tokens = await tokenRequest(t.app, 'alice', {
      grant_type: 'authorization_code',
      client_id: ALICE.organizationIdentifier,
      code: code ?? '',
      redirect_uri: callbackUrl,
      code_verifier: pair.verifier,
    }).expect(200);
    await expect(
      t.service.verifyAccessToken({
        authorization: `Bearer ${String(tokens.body.access_token)}`,
        consentIdHeader: consent.consentId,
        presenter: ALICE,
      }),
    ).resolves.toEqual({ consentId: consent.consentId });
    expect(t.consents.consents.get(consent.consentId)?.status).toBe('valid');
  });

  it('sign in, deny: back at the TPP with error=access_denied', async () => {
    const consent = t.consents.add(aliceConsent({ tppRedirectUri: callbackUrl }));
    const { page, problems } = await newPage();
    await signIn(page, consent.consentId, newPkce().challenge);
    await Promise.all([
      page.waitForURL((url) => url.toString().startsWith(callbackUrl)),
      page.getByRole('button', { name: 'Deny' }).click(),
    ]);
    const redirected = new URL(page.url());
    expect(redirected.searchParams.get('error')).toBe('access_denied');
    expect(redirected.searchParams.get('state')).toBe('state-xyz');
    expect(redirected.searchParams.get('code')).toBeNull();
    expect(problems).toEqual([]);
    expect(t.consents.consents.get(consent.consentId)?.status).toBe('rejected');
  });

  it('axe-core finds no WCAG 2.1 A/AA violation on the sign-in, error and consent pages', async () => {
    const consent = t.consents.add(aliceConsent({ tppRedirectUri: callbackUrl }));
    const { page } = await newPage();
    const query = new URLSearchParams(authorizeQuery(consent, newPkce()));
    await page.goto(`${gatewayUrl}/oauth2/authorize?${query.toString()}`);
    expect(await axeViolations(page)).toEqual([]);
    await page.getByLabel('Username').fill('petra');
    await page.getByLabel('Password').fill('wrong');
    await page.getByLabel('One-time code').fill('000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByLabel('Username').fill('petra');
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByLabel('One-time code').fill(credentials(t, consent).otp);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Allow access' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    // Touch targets: every control at least 44 CSS pixels high (WCAG 2.5.5 and platform guidelines).
    for (const button of await page.getByRole('button').all()) {
      expect((await button.boundingBox())?.height ?? 0).toBeGreaterThanOrEqual(44);
    }
    await expect(page.locator('#destination').textContent()).resolves.toMatch(/return to 127\.0\.0\.1/);
  });

  it('a wrong password shows the error, focusable fields still labelled', async () => {
    const consent = t.consents.add(aliceConsent({ tppRedirectUri: callbackUrl }));
    const { page } = await newPage();
    const query = new URLSearchParams(authorizeQuery(consent, newPkce()));
    await page.goto(`${gatewayUrl}/oauth2/authorize?${query.toString()}`);
    await page.getByLabel('Username').fill('petra');
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/not correct/);
    await expect(page.getByLabel('Password').getAttribute('aria-describedby')).resolves.toBe('sign-in-error');
  });
});
