/**
 * Issue 14, item 6: the PSU's pages in German and English. Accept-Language picks the first language, the
 * visible switch changes it and a cookie keeps the choice; axe-core finds no WCAG 2.1 A/AA violation in
 * either language. Against the real gateway with the sandbox's two-factor sign-in, in Chromium.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { RunningGateway } from '../../src/gateway';
import { ALICE_ID, ALICE_REDIRECT_URI, aliceTpp } from '../helpers/alice_tpp';
import { axeViolations } from '../helpers/axe';
import { chromiumAvailable, launchChromium } from '../helpers/chromium';
import { consentCode, plainSandboxCode } from '../helpers/sandbox_psu';
import { startTestGateway } from '../helpers/test_gateway';

const available = chromiumAvailable('page language browser test');
jest.setTimeout(180_000);

(available ? describe : describe.skip)('the PSU pages in German and English, in Chromium', () => {
  let gateway: RunningGateway;
  let browser: Browser;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'psd2-lang-'));
  const alice = aliceTpp(() => gateway.url);

  beforeAll(async () => {
    gateway = await startTestGateway(`sqlite:${path.join(dataDir, 'gateway.db')}`);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const authorizeUrl = (consentId: string): string =>
    `${gateway.url}/oauth2/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: ALICE_ID,
      redirect_uri: ALICE_REDIRECT_URI,
      scope: `AIS:${consentId}`,
      state: 'lang-state',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    })}`;

  const consentStatus = async (consentId: string): Promise<string> =>
    ((await alice.request('GET', `/v1/consents/${consentId}/status`)).json as { consentStatus: string })
      .consentStatus;

  async function expectPage(page: Page, lang: 'de' | 'en', heading: RegExp): Promise<void> {
    expect(await page.locator('html').getAttribute('lang')).toBe(lang);
    expect(await page.locator('h1').innerText()).toMatch(heading);
    expect(await axeViolations(page)).toEqual([]);
  }

  async function signInAs(
    page: Page,
    labels: { user: string; password: string; code: string },
    oneTimeCode: string,
    psu: { username: string; password: string } = { username: 'anna', password: 'sandbox-anna' },
  ) {
    await page.getByLabel(labels.user).fill(psu.username);
    await page.getByLabel(labels.password).fill(psu.password);
    await page.getByLabel(labels.code).fill(oneTimeCode);
    await page.locator('form button[type=submit]').first().click();
  }

  it('German from Accept-Language; the switch turns the consent page English, and the choice is kept', async () => {
    const consentId = await alice.createConsent();
    const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'de-DE' });
    const page = await context.newPage();
    await page.goto(authorizeUrl(consentId));
    await expectPage(page, 'de', /Bei Bob's Bank anmelden/);
    expect(await page.locator('main').innerText()).toContain('bittet um Zugriff auf Ihre Kontoinformationen');

    await signInAs(
      page,
      { user: 'Benutzername', password: 'Passwort', code: 'Einmalcode' },
      consentCode('anna', consentId),
    );
    await page.waitForSelector('button[name=decision]');
    await expectPage(page, 'de', /Bank of Alice Zugriff auf Ihre Kontoinformationen erlauben\?/);
    expect(await page.locator('button[value=approve]').innerText()).toBe('Zugriff erlauben');
    expect(await page.locator('main').innerText()).toContain('DE37 1002 0030 0000 1234 01');

    await page.getByRole('link', { name: 'English' }).click();
    await page.waitForSelector('button[name=decision]');
    await expectPage(page, 'en', /Allow Bank of Alice to see your account information\?/);
    expect(await page.locator('button[value=approve]').innerText()).toBe('Allow access');

    // The cookie outranks the browser's German from now on.
    await page.goto(`${gateway.url}/psu/consents`);
    await expectPage(page, 'en', /Your consents at Bob's Bank/);
    await page.getByRole('link', { name: 'Deutsch' }).click();
    await expectPage(page, 'de', /Ihre Einwilligungen bei Bob's Bank/);
    await context.close();
    expect(await consentStatus(consentId)).toBe('received');
  });

  /** Submits the page's first form with these sign-in fields; the status of the page that answers. */
  async function submitSignIn(page: Page, username: string, password: string, code: string): Promise<number> {
    await page.locator('#username').fill(username);
    await page.locator('#password').fill(password);
    await page.locator('#otp').fill(code);
    const [response] = await Promise.all([
      page.waitForNavigation(),
      page.locator('form button[type=submit]').first().click(),
    ]);
    return response?.status() ?? 0;
  }

  /** Follows the language switch; the status of the page it shows. */
  async function switchTo(page: Page, name: 'English' | 'Deutsch'): Promise<number> {
    const [response] = await Promise.all([
      page.waitForNavigation(),
      page.getByRole('link', { name }).click(),
    ]);
    return response?.status() ?? 0;
  }

  const alertText = (page: Page): Promise<string> => page.locator('[role=alert]').first().innerText();

  /** The right code with its first digit changed: the right password and a wrong second factor. */
  const wrongCode = (code: string): string => {
    return `${(Number(code[0]) + 1) % 10}${code.slice(1)}`;
  };

  it('a wrong one-time code in German: the switch shows the same sign-in and its error in English, and signing in there continues in English', async () => {
    const consentId = await alice.createConsent();
    const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'de-DE' });
    const page = await context.newPage();
    await page.goto(authorizeUrl(consentId));
    expect(await submitSignIn(page, 'anna', 'sandbox-anna', wrongCode(consentCode('anna', consentId)))).toBe(
      200,
    );
    await expectPage(page, 'de', /Bei Bob's Bank anmelden/);
    expect(await alertText(page)).toBe(
      'Benutzername, Passwort oder Einmalcode sind nicht richtig. Bitte versuchen Sie es erneut.',
    );

    expect(await switchTo(page, 'English')).toBe(200);
    expect(new URL(page.url()).pathname).toBe('/oauth2/authorize/sign-in');
    await expectPage(page, 'en', /Sign in to Bob's Bank/);
    expect(await alertText(page)).toBe(
      'The username, password or one-time code is not correct. Please try again.',
    );
    expect(await page.locator('main').innerText()).toContain('Bank of Alice');

    // The same session and form: signing in now works, and the pages stay English.
    expect(await submitSignIn(page, 'anna', 'sandbox-anna', consentCode('anna', consentId))).toBe(200);
    await expectPage(page, 'en', /Allow Bank of Alice to see your account information\?/);
    await context.close();
  });

  it('five wrong sign-ins in German end the session (403), then the pause: both switch to English with the same message', async () => {
    const consentId = await alice.createConsent();
    const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'de-DE' });
    const page = await context.newPage();
    await page.goto(authorizeUrl(consentId));
    // An unknown username is counted like a known one; this one is used by no other test.
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push(await submitSignIn(page, 'lang-lockout', 'wrong', '000000'));
    expect(statuses).toEqual([200, 200, 200, 200, 403]);
    await expectPage(page, 'de', /Diese Anfrage kann nicht abgeschlossen werden/);
    expect(await alertText(page)).toBe(
      'Zu viele fehlgeschlagene Anmeldeversuche. Kehren Sie zur App zurück, von der Sie kamen, und beginnen Sie neu.',
    );
    expect(await switchTo(page, 'English')).toBe(403);
    await expectPage(page, 'en', /This request cannot be completed/);
    expect(await alertText(page)).toBe(
      'Too many failed sign-in attempts. Return to the app you came from and start again.',
    );

    // A fresh session, back in German: the username's sixth attempt is paused across sessions.
    await page.goto(`${authorizeUrl(consentId)}&lang=de`);
    expect(await submitSignIn(page, 'lang-lockout', 'wrong', '000000')).toBe(200);
    await expectPage(page, 'de', /Bei Bob's Bank anmelden/);
    expect(await alertText(page)).toMatch(
      /^Zu viele fehlgeschlagene Anmeldungen\. .* in 15 Minuten erneut\.$/,
    );
    expect(await switchTo(page, 'English')).toBe(200);
    await expectPage(page, 'en', /Sign in to Bob's Bank/);
    expect(await alertText(page)).toMatch(/^Too many failed sign-ins\. .* try again in 15 minutes\.$/);
    await context.close();
    expect(await consentStatus(consentId)).toBe('received');
  });

  it('a session that expired before the form was sent: the error in German, the switch shows it in English', async () => {
    const consentId = await alice.createConsent();
    const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'de-DE' });
    const page = await context.newPage();
    await page.goto(authorizeUrl(consentId));
    // The browser lost its session cookie (expired, or cleared) while the PSU was typing.
    await context.clearCookies();
    expect(await submitSignIn(page, 'anna', 'sandbox-anna', consentCode('anna', consentId))).toBe(403);
    await expectPage(page, 'de', /Diese Anfrage kann nicht abgeschlossen werden/);
    expect(await alertText(page)).toContain('Ihre Sitzung ist abgelaufen');
    expect(await switchTo(page, 'English')).toBe(403);
    expect(new URL(page.url()).pathname).toBe('/psu/error');
    await expectPage(page, 'en', /This request cannot be completed/);
    expect(await alertText(page)).toContain('Your session has expired');
    await context.close();
  });

  it('a consent naming an account that is not Anna’s: the refusal after sign-in switches language, Deny included', async () => {
    const created = await alice.request(
      'POST',
      '/v1/consents',
      { 'Content-Type': 'application/json', 'TPP-Redirect-URI': ALICE_REDIRECT_URI },
      JSON.stringify({
        access: { accounts: [{ iban: 'DE89370400440532013000' }] },
        recurringIndicator: false,
        validUntil: new Date(Date.now() + 86_400_000).toISOString().slice(0, 10),
        frequencyPerDay: 1,
      }),
    );
    expect(created.status).toBe(201);
    const consentId = (created.json as { consentId: string }).consentId;
    const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'de-DE' });
    const page = await context.newPage();
    await page.goto(authorizeUrl(consentId));
    expect(await submitSignIn(page, 'anna', 'sandbox-anna', consentCode('anna', consentId))).toBe(403);
    await expectPage(page, 'de', /Anfrage kann nicht erlaubt werden/);
    expect(await page.locator('main').innerText()).toContain('DE89 3704 0044 0532 0130 00');
    expect(await switchTo(page, 'English')).toBe(403);
    await expectPage(page, 'en', /Request cannot be approved/);
    expect(await page.locator('button[value=deny]').innerText()).toBe('Deny and return');
    await context.close();
  });

  it('the dashboard: a wrong code, then a withdrawal, each answer switches language with its message', async () => {
    // A consent of Anna's to withdraw, approved in the browser.
    const consentId = await alice.createConsent();
    const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'de-DE' });
    const page = await context.newPage();
    await page.route('https://api.bank-of-alice.example/**', (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Alice</title>' }),
    );
    await page.goto(authorizeUrl(consentId));
    await submitSignIn(page, 'anna', 'sandbox-anna', consentCode('anna', consentId));
    await page.locator('button[value=approve]').click();
    await page.waitForURL(/api\.bank-of-alice\.example/);

    await page.goto(`${gateway.url}/psu/consents`);
    expect(await submitSignIn(page, 'anna', 'sandbox-anna', wrongCode(plainSandboxCode('anna')))).toBe(200);
    await expectPage(page, 'de', /Ihre Einwilligungen bei Bob's Bank/);
    expect(await alertText(page)).toContain('Einmalcode sind nicht richtig');
    expect(await switchTo(page, 'English')).toBe(200);
    await expectPage(page, 'en', /Your consents at Bob's Bank/);
    expect(await alertText(page)).toBe(
      'The username, password or one-time code is not correct. Please try again.',
    );

    expect(await submitSignIn(page, 'anna', 'sandbox-anna', plainSandboxCode('anna'))).toBe(200);
    await expectPage(page, 'en', /Your consents/);
    await Promise.all([
      page.waitForNavigation(),
      page.locator(`form:has(input[value="${consentId}"]) button`).click(),
    ]);
    expect(await page.locator('[role=status]').innerText()).toBe(
      'Bank of Alice can no longer access your accounts.',
    );
    expect(await switchTo(page, 'Deutsch')).toBe(200);
    await expectPage(page, 'de', /Ihre Einwilligungen/);
    expect(await page.locator('[role=status]').innerText()).toBe(
      'Bank of Alice kann nicht mehr auf Ihre Konten zugreifen.',
    );
    await context.close();
    expect(await consentStatus(consentId)).toBe('revokedByPsu');
  });

  it('the error page names only known texts: another address shows nothing of its own (404)', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-GB' });
    const page = await context.newPage();
    const response = await page.goto(`${gateway.url}/psu/error?m=<script>&status=200`);
    expect(response?.status()).toBe(404);
    await expectPage(page, 'en', /This request cannot be completed/);
    expect(await alertText(page)).toBe('There is nothing to show at this address.');
    expect(await page.content()).not.toContain('<script>');
    await context.close();
  });

  it.each([
    ['en-GB', 'en', /This request cannot be completed/, 'The request is missing the parameter'],
    ['de-DE', 'de', /Diese Anfrage kann nicht abgeschlossen werden/, 'Der Anfrage fehlt der Parameter'],
  ] as const)('error page for a %s browser: %s, accessible', async (locale, lang, heading, message) => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, locale });
    const page = await context.newPage();
    const response = await page.goto(`${gateway.url}/oauth2/authorize`);
    expect(response?.status()).toBe(400);
    await expectPage(page, lang, heading);
    expect(await page.locator('main').innerText()).toContain(message);
    await context.close();
  });

  it('the dashboard, signed in, in German, accessible, and switching to English', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${gateway.url}/psu/consents?lang=de`);
    // Clara, not Anna: a code is accepted once, and Anna's dashboard code of this 30 s step may have been
    // used by the test above.
    await signInAs(
      page,
      { user: 'Benutzername', password: 'Passwort', code: 'Einmalcode' },
      plainSandboxCode('clara'),
      { username: 'clara', password: 'sandbox-clara' },
    );
    await expectPage(page, 'de', /Ihre Einwilligungen/);
    expect(await page.locator('main').innerText()).toContain('Angemeldet als Clara Weber');
    await page.getByRole('link', { name: 'English' }).click();
    await expectPage(page, 'en', /Your consents/);
    await context.close();
  });
});
