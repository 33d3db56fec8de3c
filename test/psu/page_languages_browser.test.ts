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

  async function expectPage(page: Page, lang: 'de' | 'en', heading: RegExp): Promise<void> {
    expect(await page.locator('html').getAttribute('lang')).toBe(lang);
    expect(await page.locator('h1').innerText()).toMatch(heading);
    expect(await axeViolations(page)).toEqual([]);
  }

  async function signInAsAnna(
    page: Page,
    labels: { user: string; password: string; code: string },
    oneTimeCode: string,
  ) {
    await page.getByLabel(labels.user).fill('anna');
    await page.getByLabel(labels.password).fill('sandbox-anna');
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

    await signInAsAnna(
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
    expect(
      ((await alice.request('GET', `/v1/consents/${consentId}/status`)).json as { consentStatus: string })
        .consentStatus,
    ).toBe('received');
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

  it('the dashboard, signed in, in German: every consent and the withdraw button, accessible', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${gateway.url}/psu/consents?lang=de`);
    await signInAsAnna(
      page,
      { user: 'Benutzername', password: 'Passwort', code: 'Einmalcode' },
      plainSandboxCode('anna'),
    );
    await expectPage(page, 'de', /Ihre Einwilligungen/);
    expect(await page.locator('main').innerText()).toContain('Angemeldet als Anna Schmidt');
    await page.getByRole('link', { name: 'English' }).click();
    await expectPage(page, 'en', /Your consents/);
    await context.close();
  });
});
