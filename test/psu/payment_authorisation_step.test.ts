/**
 * Issue 14, item 3, the part the payments pages will reuse: the sign-in step shows what is authorised
 * (amount, currency, payee, payee's IBAN) before the final factor, in both languages and accessibly; the
 * sandbox code for that view's payment is accepted and a changed amount or payee refuses it; with the
 * bank's identity provider the same facts go out as RFC 9396 authorization_details.
 */
import { readSandboxBankFixture } from '../../src/accounts/sandbox_bank';
import { authorisationView, formattedAmount } from '../../src/api/authorisation_view';
import {
  layout,
  OAUTH_STYLESHEET,
  OAUTH_STYLESHEET_PATH,
  signInForm,
  type PageChrome,
} from '../../src/api/oauth_pages';
import { IdpSignIn, type PendingIdpSignIn } from '../../src/psu/idp_sign_in';
import type { PsuIdentityProvider } from '../../src/psu/psu_identity_provider';
import type { AuthorisationSubject } from '../../src/sca/authorisation_subject';
import { SandboxAuthenticator } from '../../src/sca/sandbox_one_time_codes';
import { axeViolations } from '../helpers/axe';
import { chromiumAvailable, launchChromium } from '../helpers/chromium';

jest.setTimeout(120_000);

const PAYMENT: Extract<AuthorisationSubject, { kind: 'payment' }> = {
  kind: 'payment',
  paymentId: 'pay-1',
  amount: '1234.5',
  currency: 'EUR',
  creditorName: 'Corner Bakery',
  creditorIban: 'DE89370400440532013000',
};

describe('the amount as the PSU reads it', () => {
  it.each([
    ['en', '1234.5', 'EUR', '1,234.50 EUR'],
    ['de', '1234.5', 'EUR', '1.234,50 EUR'],
    ['de', '12', 'eur', '12,00 EUR'],
    ['en', '9007199254740993.01', 'EUR', '9,007,199,254,740,993.01 EUR'],
  ] as const)('%s %s %s → %s', (lang, amount, currency, expected) => {
    expect(formattedAmount(lang, amount, currency)).toBe(expected);
  });
});

describe('the sandbox code is bound to the payment shown', () => {
  const codes = new SandboxAuthenticator(readSandboxBankFixture().psus);
  const at = new Date();
  const code = codes.codeFor('anna', PAYMENT, at);
  const verify = (subject: AuthorisationSubject) =>
    codes.matchingStep({ username: 'anna', code, subject, at }) !== undefined;

  it('accepted for what the page showed; refused for another amount or payee', () => {
    expect(authorisationView(PAYMENT)).toEqual({
      amount: '1234.5',
      currency: 'EUR',
      creditorName: 'Corner Bakery',
      creditorIban: 'DE89370400440532013000',
    });
    expect(verify(PAYMENT)).toBe(true);
    expect(verify({ ...PAYMENT, amount: '1234.51' })).toBe(false);
    expect(verify({ ...PAYMENT, creditorIban: 'DE44500105175407324931' })).toBe(false);
    expect(verify({ ...PAYMENT, creditorName: 'Mallory Ltd' })).toBe(false);
  });
});

describe('with the bank identity provider', () => {
  it('the payment travels as RFC 9396 authorization_details', async () => {
    // Stands in for the bank's provider, which is outside our control; the real one is exercised in
    // identity_provider_browser.test.ts. This one only records what the gateway asked for.
    const asked: Record<string, unknown>[][] = [];
    const provider: PsuIdentityProvider = {
      authorizationRequest: ({ authorizationDetails }) => {
        asked.push(authorizationDetails);
        return Promise.resolve({
          url: 'https://idp.example/auth',
          state: 's',
          nonce: 'n',
          codeVerifier: 'v',
        });
      },
      identify: () => Promise.reject(new Error('not used')),
    };
    const saved: PendingIdpSignIn[] = [];
    const signIn = new IdpSignIn({
      provider,
      pending: { save: (p) => Promise.resolve(void saved.push(p)), take: () => Promise.resolve(undefined) },
      policy: { acrValues: ['urn:bob:sca'], evidence: 'acr', amrCombinations: [], psuIdClaim: 'sub' },
      now: () => new Date(),
      logger: undefined,
    });
    await signIn.start('authorize', 'session-id', PAYMENT);
    expect(asked).toEqual([
      [
        {
          type: 'psd2_payment_initiation',
          paymentId: 'pay-1',
          instructedAmount: { currency: 'EUR', amount: '1234.5' },
          creditorName: 'Corner Bakery',
          creditorAccount: { iban: 'DE89370400440532013000' },
        },
      ],
    ]);
    expect(saved).toHaveLength(1);
  });
});

const available = chromiumAvailable('payment authorisation step browser test');

(available ? describe : describe.skip)('the step in Chromium', () => {
  it.each([
    ['en', '1,234.50 EUR', "Payee's IBAN", 'valid only for exactly this amount and payee'],
    ['de', '1.234,50 EUR', 'IBAN des Empfängers', 'gilt nur für genau diesen Betrag'],
  ] as const)('%s: amount and payee before the code, accessible', async (lang, amount, ibanLabel, hint) => {
    const chrome: PageChrome = { bankName: "Bob's Bank", lang };
    const view = authorisationView(PAYMENT);
    const html = layout(
      chrome,
      'Payment',
      signInForm(chrome, {
        action: '/pay',
        csrfToken: 'csrf',
        ...(view !== undefined ? { authorising: view } : {}),
      }),
    );
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      // The page as served, with its stylesheet, at an address that exists only inside this browser.
      await page.route('https://bank.test/**', (route) =>
        route.request().url().endsWith(OAUTH_STYLESHEET_PATH)
          ? route.fulfill({ contentType: 'text/css', body: OAUTH_STYLESHEET })
          : route.fulfill({ contentType: 'text/html', body: html }),
      );
      await page.goto('https://bank.test/pay');
      const main = await page.locator('main').innerText();
      expect(main).toContain(amount);
      expect(main).toContain('Corner Bakery');
      expect(main).toContain(ibanLabel);
      expect(main).toContain('DE89 3704 0044 0532 0130 00');
      expect(main).toContain(hint);
      // Shown before the code is asked for.
      expect(main.indexOf('Corner Bakery')).toBeLessThan(
        main.indexOf(lang === 'de' ? 'Einmalcode' : 'One-time code'),
      );
      expect(await axeViolations(page)).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
