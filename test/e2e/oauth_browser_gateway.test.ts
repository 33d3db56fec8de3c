/**
 * Issue 4's acceptance in a real browser against the real gateway: Alice creates a consent over mutual
 * TLS, the PSU approves it in Debian's Chromium, Alice exchanges the code and reads balances with a token
 * bound to her certificate; and the deny path. The TPP's redirect target is answered by the browser's
 * request interception (Alice's callback host does not exist on this machine).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { RunningGateway } from '../../src/gateway';
import { startTestGateway } from '../helpers/test_gateway';
import { chromiumAvailable, launchChromium } from '../helpers/chromium';
import { clientCredentials, testPkiFiles } from '../helpers/test_pki';
import { mtlsRequest, tppMessageCode } from '../helpers/mtls_request';
import { consentCode, plainSandboxCode } from '../helpers/sandbox_psu';
import { ALICE_ID, ALICE_REDIRECT_URI, ANNA_CURRENT, aliceTpp } from '../helpers/alice_tpp';

const available = chromiumAvailable('gateway browser test');

jest.setTimeout(120_000);

const REDIRECT_URI = ALICE_REDIRECT_URI;

(available ? describe : describe.skip)('OAuth SCA in Chromium against the gateway', () => {
  let gateway: RunningGateway;
  let browser: Browser;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'psd2-browser-'));

  beforeAll(async () => {
    gateway = await startTestGateway(`sqlite:${path.join(dataDir, 'gateway.db')}`);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const alice = aliceTpp(() => gateway.url);
  const asAlice = alice.request;
  const exchangeCode = alice.exchangeCode;
  const createConsent = alice.createConsent;

  /** Signs in as Anna, takes the decision, returns the URL the browser was sent back to. */
  async function authorise(consentId: string, decision: 'approve' | 'deny', page: Page) {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    let callback: URL | undefined;
    await page.route('https://api.bank-of-alice.example/**', async (route) => {
      callback = new URL(route.request().url());
      await route.fulfill({
        status: 200,
        contentType: 'text/html',
        body: '<!doctype html><title>Bank of Alice</title>',
      });
    });
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: ALICE_ID,
      redirect_uri: REDIRECT_URI,
      scope: `AIS:${consentId}`,
      state: 'browser-state',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    await page.goto(`${gateway.url}/oauth2/authorize?${query}`);
    await page.getByLabel(/user/i).fill('anna');
    await page.getByLabel(/password/i).fill('sandbox-anna');
    await page.getByLabel(/one-time code/i).fill(consentCode('anna', consentId));
    await page.locator('button[type=submit]').first().click();
    await page.waitForSelector('button[name=decision]');
    const text = await page.locator('body').innerText();
    await page.locator(`button[name=decision][value=${decision}]`).click();
    await page.waitForURL(/api\.bank-of-alice\.example/);
    return { callback: callback as URL, verifier, text };
  }

  it('approve: the page shows who asks and what; the code buys a token that reads balances', async () => {
    const consentId = await createConsent();
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const { callback, verifier, text } = await authorise(consentId, 'approve', page);
    await context.close();

    expect(text).toContain('Bank of Alice');
    expect(text).toContain(ALICE_ID);
    expect(text).toContain('DE37 1002 0030 0000 1234 01');
    expect(callback.searchParams.get('state')).toBe('browser-state');
    const code = callback.searchParams.get('code');
    expect(code).toBeTruthy();

    const token = await exchangeCode(code as string, verifier);
    expect(token.status).toBe(200);
    const accessToken = (token.json as { access_token: string }).access_token;

    const accounts = await asAlice('GET', '/v1/accounts', {
      'Consent-ID': consentId,
      Authorization: `Bearer ${accessToken}`,
    });
    expect(accounts.status).toBe(200);
    const resourceId = (accounts.json as { accounts: { resourceId: string; iban: string }[] }).accounts.find(
      (a) => a.iban === ANNA_CURRENT,
    )?.resourceId;
    const balances = await asAlice('GET', `/v1/accounts/${resourceId}/balances`, {
      'Consent-ID': consentId,
      Authorization: `Bearer ${accessToken}`,
    });
    expect(balances.status).toBe(200);
    expect(balances.json).toMatchObject({
      balances: expect.arrayContaining([expect.objectContaining({ balanceType: 'closingBooked' })]),
    });

    // The same token on Carol's connection is worthless.
    const stolen = await mtlsRequest({
      url: `${gateway.url}/v1/accounts/${resourceId}/balances`,
      ca: readFileSync(testPkiFiles().anchor),
      credentials: clientCredentials('carol'),
      headers: {
        'X-Request-ID': randomUUID(),
        'Consent-ID': consentId,
        Authorization: `Bearer ${accessToken}`,
      },
    });
    expect(stolen.status).toBe(401);
    expect(tppMessageCode(stolen.json)).toBe('TOKEN_INVALID');
  });

  it("consent dashboard: Anna signs in with two factors, withdraws Alice's consent, Alice's next read is refused", async () => {
    const consentId = await createConsent();
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const authPage = await context.newPage();
    const { callback, verifier } = await authorise(consentId, 'approve', authPage);
    const token = await exchangeCode(callback.searchParams.get('code') ?? '', verifier);
    const accessToken = (token.json as { access_token: string }).access_token;
    const read = () =>
      asAlice('GET', '/v1/accounts', { 'Consent-ID': consentId, Authorization: `Bearer ${accessToken}` });
    expect((await read()).status).toBe(200);

    const page = await context.newPage();
    await page.goto(`${gateway.url}/psu/consents`);
    await page.getByLabel('Username').fill('anna');
    await page.getByLabel('Password').fill('sandbox-anna');
    await page.getByLabel('One-time code').fill(plainSandboxCode('anna'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your consents' }).waitFor();
    const card = page.locator('section.consent', { has: page.locator(`input[value="${consentId}"]`) });
    const text = await card.innerText();
    expect(text).toContain('Bank of Alice');
    expect(text).toContain(ALICE_ID);
    expect(text).toContain('DE37 1002 0030 0000 1234 01');
    expect(text).toMatch(/details, balances/);
    expect(text).toMatch(/up to 4 times a day/);
    expect(text).toMatch(/Valid until/);
    expect(text).toMatch(/Last used/);

    await card.getByRole('button', { name: 'Withdraw consent' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toMatch(
      /Bank of Alice can no longer access/,
    );
    await context.close();

    const refused = await read();
    expect(refused.status).toBe(401);
    const status = await asAlice('GET', `/v1/consents/${consentId}/status`);
    expect(status.json).toMatchObject({ consentStatus: 'revokedByPsu' });
  });

  it('deny: the TPP gets access_denied and the consent is rejected', async () => {
    const consentId = await createConsent();
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const { callback } = await authorise(consentId, 'deny', page);
    await context.close();
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('code')).toBeNull();
    const status = await asAlice('GET', `/v1/consents/${consentId}/status`);
    expect(status.json).toMatchObject({ consentStatus: 'rejected' });
  });
});
