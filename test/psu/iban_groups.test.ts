/**
 * Issue 14, item 6 (IBANs in groups of four), on every PSU page that shows one: the payment to approve
 * (payee, debtor account given, accounts to choose from, a debtor account that is not the PSU's), the
 * consent page and the dashboard. What the PSU reads is grouped; what the forms send is the IBAN as the
 * payment or consent holds it. The pages are rendered as the routes render them, in both languages.
 */
import { consentPage, signInPage, type PageChrome } from '../../src/api/oauth_pages';
import type { ConsentView, TppView } from '../../src/api/oauth_view_models';
import { paymentPage } from '../../src/api/payment_page';
import { dashboardPage } from '../../src/api/psu_dashboard_pages';
import type { Lang } from '../../src/api/page_text';
import type { PaymentApprovalView } from '../../src/oauth/payment_approval_view';

const CREDITOR = 'DE89370400440532013000';
const CURRENT = 'DE37100200300000123401';
const SAVINGS = 'DE75512108001245126199';
const grouped = (iban: string): string => iban.replace(/(.{4})(?=.)/g, '$1 ');

const tpp: TppView = {
  name: 'Bank of Alice',
  organizationIdentifier: 'PSDDE-BAFIN-123456',
  ncaName: 'BaFin',
  ncaId: 'DE-BAFIN',
};

/** The text a reader sees: tags (and with them every attribute value) removed. */
function visibleText(html: string): string {
  return html.replace(/<[^>]*>/g, ' ');
}

/** Values the page's forms send. */
function formValues(html: string): string[] {
  return [...html.matchAll(/<input[^>]* value="([^"]*)"/g)].map((m) => m[1] as string);
}

function expectGroupedOnly(html: string, ibans: readonly string[]): void {
  const text = visibleText(html);
  for (const iban of ibans) {
    expect(text).toContain(grouped(iban));
    expect(text).not.toContain(iban);
  }
}

function payment(debtor: PaymentApprovalView['debtor']): PaymentApprovalView {
  return {
    csrfToken: 'csrf',
    tpp,
    psuName: 'Anna Schmidt',
    redirectUri: 'https://api.bank-of-alice.example/callback',
    amount: { currency: 'EUR', amount: '25.00' },
    creditorName: 'Bob Builder',
    creditorIban: CREDITOR,
    remittanceInformation: 'Invoice 4711',
    executionDate: undefined,
    standingOrder: undefined,
    debtor,
    dynamicLink: 'link',
  };
}

const current = { iban: CURRENT, currency: 'EUR', name: 'Girokonto' };
const savings = { iban: SAVINGS, currency: 'EUR', name: 'Tagesgeld' };

describe.each<Lang>(['en', 'de'])('IBANs in groups of four (%s)', (lang) => {
  const chrome: PageChrome = { bankName: "Bob's Bank", lang, switchHref: '/x' };

  it('the payment to approve: payee and the debtor account given by the TPP', () => {
    const html = paymentPage(chrome, payment({ kind: 'given', iban: CURRENT, account: current }));
    expectGroupedOnly(html, [CREDITOR, CURRENT]);
  });

  it('the payment to approve: the accounts to choose from, whose radio values stay unspaced', () => {
    const html = paymentPage(chrome, payment({ kind: 'choose', accounts: [current, savings] }));
    expectGroupedOnly(html, [CREDITOR, CURRENT, SAVINGS]);
    expect(formValues(html)).toEqual(expect.arrayContaining([CURRENT, SAVINGS]));
  });

  it('the payment that would debit an account not the PSU’s', () => {
    expectGroupedOnly(paymentPage(chrome, payment({ kind: 'notYours', iban: SAVINGS })), [SAVINGS]);
  });

  it('the sign-in for a payment: the payee before the one-time code', () => {
    const html = signInPage(chrome, {
      csrfToken: 'csrf',
      tpp,
      passwordSignIn: true,
      authorising: { amount: '25.00', currency: 'EUR', creditorName: 'Bob Builder', creditorIban: CREDITOR },
    });
    expectGroupedOnly(html, [CREDITOR]);
  });

  it('the consent page: named accounts, and the accounts to pick with unspaced checkbox values', () => {
    const base: Omit<ConsentView, 'access'> = {
      csrfToken: 'csrf',
      tpp,
      psuName: 'Anna Schmidt',
      redirectUri: 'https://api.bank-of-alice.example/callback',
      validUntil: '2030-12-31',
      frequencyPerDay: 4,
      recurringIndicator: true,
    };
    const named = consentPage(chrome, {
      ...base,
      access: {
        kind: 'named',
        accounts: [{ iban: CURRENT, account: current, details: true, balances: true, transactions: false }],
      },
    });
    expectGroupedOnly(named, [CURRENT]);
    const choose = consentPage(chrome, {
      ...base,
      access: { kind: 'choose', scope: 'allPsd2', accounts: [current, savings], selected: [] },
    });
    expectGroupedOnly(choose, [CURRENT, SAVINGS]);
    expect(formValues(choose)).toEqual(expect.arrayContaining([CURRENT, SAVINGS]));
    expectGroupedOnly(consentPage(chrome, { ...base, access: { kind: 'notYours', ibans: [SAVINGS] } }), [
      SAVINGS,
    ]);
  });

  it('the dashboard', () => {
    const html = dashboardPage(chrome, {
      kind: 'consents',
      csrfToken: 'csrf',
      psuName: 'Anna Schmidt',
      consents: [
        {
          consentId: 'c-1',
          status: 'valid',
          tppName: 'Bank of Alice',
          tppOrganizationIdentifier: 'PSDDE-BAFIN-123456',
          tppNcaName: 'BaFin',
          accounts: [
            { iban: CURRENT, balances: true, transactions: true },
            { iban: SAVINGS, balances: false, transactions: false },
          ],
          listOnly: false,
          validUntil: '2030-12-31',
          frequencyPerDay: 4,
          recurringIndicator: true,
          lastUsedDay: undefined,
          givenOn: '2025-01-02',
        },
      ],
    });
    expectGroupedOnly(html, [CURRENT, SAVINGS]);
  });
});
