/**
 * Issue 15's acceptance in a real browser against the real gateway: Alice initiates a SEPA credit transfer
 * over mutual TLS, Anna authorises it in Debian's Chromium on the page that shows amount and payee, the
 * payment ends ACSC, and the debit shows in the balance and the booked transactions Alice reads through
 * AIS; Deny leaves the payment RJCT; a payment the account cannot cover ends RJCT AM04. The TPP's redirect
 * target is answered by the browser's request interception (Alice's callback host does not exist here).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { RunningGateway } from '../../src/gateway';
import { toMinorUnits } from '../../src/bank/money';
import { startTestGateway } from '../helpers/test_gateway';
import { chromiumAvailable, launchChromium } from '../helpers/chromium';
import { sandboxCode } from '../helpers/sandbox_psu';
import { clientCredentials, testPkiFiles } from '../helpers/test_pki';
import { mtlsRequest, tppMessageCode } from '../helpers/mtls_request';

const available = chromiumAvailable('payment browser test');

jest.setTimeout(180_000);

const ALICE_ID = 'PSDDE-BAFIN-123456';
const REDIRECT_URI = 'https://api.bank-of-alice.example/callback';
const ANNA_CURRENT = 'DE37100200300000123401';
const CREDITOR_IBAN = 'DE89370400440532013000';

const today = (): string => new Date().toISOString().slice(0, 10);

interface Json {
  [key: string]: unknown;
}

(available ? describe : describe.skip)('payment authorised in Chromium against the gateway', () => {
  let gateway: RunningGateway;
  let browser: Browser;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'psd2-payment-browser-'));

  beforeAll(async () => {
    gateway = await startTestGateway(`sqlite:${path.join(dataDir, 'gateway.db')}`);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const as = (
    who: 'alice' | 'carol',
    method: string,
    pathAndQuery: string,
    headers: Record<string, string> = {},
    body?: string,
  ) =>
    mtlsRequest({
      url: `${gateway.url}${pathAndQuery}`,
      ca: readFileSync(testPkiFiles().anchor),
      credentials: clientCredentials(who),
      method,
      headers: { 'X-Request-ID': randomUUID(), ...headers },
      ...(body !== undefined ? { body } : {}),
    });
  const asAlice = (method: string, pathAndQuery: string, headers?: Record<string, string>, body?: string) =>
    as('alice', method, pathAndQuery, headers, body);

  /** Each payment's amount, for Anna's one-time code bound to it (dynamic linking). */
  const amounts = new Map<string, string>();

  /** What Anna's authenticator shows for `scope`: the consent's code, or for a payment the one bound to it. */
  function oneTimeCode(scope: string): string {
    const paymentId = scope.startsWith('PIS:') ? scope.slice(4) : undefined;
    const amount = paymentId === undefined ? undefined : amounts.get(paymentId);
    if (paymentId === undefined || amount === undefined) {
      return sandboxCode('anna', { kind: 'consent', consentId: scope.replace(/^AIS:/, '') });
    }
    return sandboxCode('anna', {
      kind: 'payment',
      paymentId,
      amount,
      currency: 'EUR',
      creditorName: 'Bob Builder',
      creditorIban: CREDITOR_IBAN,
    });
  }

  async function initiate(amount: string, remittance: string, debtor = true): Promise<string> {
    const response = await asAlice(
      'POST',
      '/v1/payments/sepa-credit-transfers',
      {
        'Content-Type': 'application/json',
        'TPP-Redirect-URI': REDIRECT_URI,
        'PSU-IP-Address': '192.0.2.10',
      },
      JSON.stringify({
        ...(debtor ? { debtorAccount: { iban: ANNA_CURRENT } } : {}),
        instructedAmount: { currency: 'EUR', amount },
        creditorAccount: { iban: CREDITOR_IBAN },
        creditorName: 'Bob Builder',
        remittanceInformationUnstructured: remittance,
      }),
    );
    expect(response.status).toBe(201);
    expect(response.json).toMatchObject({ transactionStatus: 'RCVD' });
    const paymentId = (response.json as { paymentId: string }).paymentId;
    amounts.set(paymentId, amount);
    return paymentId;
  }

  /** Opens the authorization endpoint for `scope`, signs in as Anna, returns the page at the decision. */
  async function signIn(scope: string, page: Page) {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const callback: { url?: URL } = {};
    await page.route('https://api.bank-of-alice.example/**', async (route) => {
      callback.url = new URL(route.request().url());
      await route.fulfill({
        status: 200,
        contentType: 'text/html',
        body: '<!doctype html><title>Alice</title>',
      });
    });
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: ALICE_ID,
      redirect_uri: REDIRECT_URI,
      scope,
      state: 'payment-state',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    await page.goto(`${gateway.url}/oauth2/authorize?${query}`);
    await page.getByLabel(/user/i).fill('anna');
    await page.getByLabel(/password/i).fill('sandbox-anna');
    await page.getByLabel(/one-time code/i).fill(oneTimeCode(scope));
    await page.locator('button[type=submit]').first().click();
    await page.waitForSelector('button[name=decision]');
    return { callback, verifier };
  }

  async function decide(scope: string, decision: 'approve' | 'deny', chooseAccount?: string) {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    try {
      const { callback, verifier } = await signIn(scope, page);
      const text = await page.locator('body').innerText();
      if (chooseAccount !== undefined) await page.locator(`input[value="${chooseAccount}"]`).check();
      await page.locator(`button[name=decision][value=${decision}]`).click();
      await page.waitForURL(/api\.bank-of-alice\.example/);
      return { callback: callback.url as URL, verifier, text };
    } finally {
      await context.close();
    }
  }

  async function tokenFor(code: string, verifier: string): Promise<Json> {
    const token = await asAlice(
      'POST',
      '/oauth2/token',
      { 'Content-Type': 'application/x-www-form-urlencoded' },
      new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: ALICE_ID,
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
      }).toString(),
    );
    expect(token.status).toBe(200);
    return token.json as Json;
  }

  /** A consent on Anna's current account, approved in the browser, and a token for it. */
  async function aisAccess(): Promise<{ consentId: string; token: string; resourceId: string }> {
    const created = await asAlice(
      'POST',
      '/v1/consents',
      { 'Content-Type': 'application/json', 'TPP-Redirect-URI': REDIRECT_URI },
      JSON.stringify({
        access: {
          accounts: [{ iban: ANNA_CURRENT }],
          balances: [{ iban: ANNA_CURRENT }],
          transactions: [{ iban: ANNA_CURRENT }],
        },
        recurringIndicator: true,
        validUntil: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
        frequencyPerDay: 4,
      }),
    );
    expect(created.status).toBe(201);
    const consentId = (created.json as { consentId: string }).consentId;
    const { callback, verifier } = await decide(`AIS:${consentId}`, 'approve');
    const token = (await tokenFor(callback.searchParams.get('code') as string, verifier))
      .access_token as string;
    const accounts = await asAlice('GET', '/v1/accounts', {
      'Consent-ID': consentId,
      Authorization: `Bearer ${token}`,
      'PSU-IP-Address': '192.0.2.10',
    });
    const resourceId = (accounts.json as { accounts: { resourceId: string; iban: string }[] }).accounts.find(
      (a) => a.iban === ANNA_CURRENT,
    )?.resourceId as string;
    return { consentId, token, resourceId };
  }

  async function availableBalance(access: { consentId: string; token: string; resourceId: string }) {
    const response = await asAlice('GET', `/v1/accounts/${access.resourceId}/balances`, {
      'Consent-ID': access.consentId,
      Authorization: `Bearer ${access.token}`,
      'PSU-IP-Address': '192.0.2.10',
    });
    expect(response.status).toBe(200);
    const balances = (
      response.json as { balances: { balanceType: string; balanceAmount: { amount: string } }[] }
    ).balances;
    const interim = balances.find((b) => b.balanceType === 'interimAvailable');
    return toMinorUnits(interim?.balanceAmount.amount ?? 'none') as bigint;
  }

  it('approve: the page shows amount and payee, the payment ends ACSC, AIS shows the debit', async () => {
    const access = await aisAccess();
    const before = await availableBalance(access);

    const paymentId = await initiate('12.34', 'Invoice 4711');
    const started = await asAlice('POST', `/v1/payments/sepa-credit-transfers/${paymentId}/authorisations`, {
      'PSU-IP-Address': '192.0.2.10',
    });
    expect(started.status).toBe(201);
    expect(started.json).toMatchObject({ scaStatus: 'received', _links: { scaOAuth: expect.any(Object) } });
    const authorisationId = (started.json as { authorisationId: string }).authorisationId;

    const { callback, verifier, text } = await decide(`PIS:${paymentId}`, 'approve');
    expect(text).toContain('12.34 EUR');
    expect(text).toContain('Bob Builder');
    // IBANs read in groups of four (the form's values stay unspaced: see the debtor-choice test).
    expect(text).toContain('DE89 3704 0044 0532 0130 00');
    expect(text).toContain('Invoice 4711');
    expect(text).toContain('DE37 1002 0030 0000 1234 01');
    expect(callback.searchParams.get('state')).toBe('payment-state');
    const token = await tokenFor(callback.searchParams.get('code') as string, verifier);
    expect(token).toMatchObject({ scope: `PIS:${paymentId}`, token_type: 'Bearer' });
    expect(token.refresh_token).toBeUndefined();

    const status = await asAlice('GET', `/v1/payments/sepa-credit-transfers/${paymentId}/status`);
    expect(status.json).toEqual({ transactionStatus: 'ACSC' });
    const sca = await asAlice(
      'GET',
      `/v1/payments/sepa-credit-transfers/${paymentId}/authorisations/${authorisationId}`,
    );
    expect(sca.json).toEqual({ scaStatus: 'finalised' });

    expect(await availableBalance(access)).toBe(before - 1234n);
    const transactions = await asAlice(
      'GET',
      `/v1/accounts/${access.resourceId}/transactions?bookingStatus=booked&dateFrom=${today()}`,
      {
        'Consent-ID': access.consentId,
        Authorization: `Bearer ${access.token}`,
        'PSU-IP-Address': '192.0.2.10',
      },
    );
    expect(transactions.status).toBe(200);
    const booked = (transactions.json as { transactions: { booked: Json[] } }).transactions.booked;
    expect(booked).toContainEqual(
      expect.objectContaining({
        transactionAmount: { currency: 'EUR', amount: '-12.34' },
        creditorName: 'Bob Builder',
        remittanceInformationUnstructured: 'Invoice 4711',
      }),
    );

    // Final: no second authorisation, no cancellation; Carol (no PSP_PI) cannot even ask.
    const again = await asAlice('POST', `/v1/payments/sepa-credit-transfers/${paymentId}/authorisations`);
    expect(again.status).toBe(409);
    expect(tppMessageCode(again.json)).toBe('STATUS_INVALID');
    const cancel = await asAlice('DELETE', `/v1/payments/sepa-credit-transfers/${paymentId}`);
    expect(cancel.status).toBe(405);
    const carol = await as('carol', 'GET', `/v1/payments/sepa-credit-transfers/${paymentId}`);
    expect(carol.status).toBe(401);
    expect(tppMessageCode(carol.json)).toBe('ROLE_INVALID');
  });

  it('the PSU picks the debtor account when the TPP named none', async () => {
    const paymentId = await initiate('1.00', 'Coffee', false);
    const { callback } = await decide(`PIS:${paymentId}`, 'approve', ANNA_CURRENT);
    expect(callback.searchParams.get('code')).toBeTruthy();
    const read = await asAlice('GET', `/v1/payments/sepa-credit-transfers/${paymentId}`);
    expect(read.json).toMatchObject({ debtorAccount: { iban: ANNA_CURRENT }, transactionStatus: 'ACSC' });
  });

  it('deny: the TPP gets access_denied and the payment is RJCT', async () => {
    const paymentId = await initiate('5.00', 'Denied');
    const { callback } = await decide(`PIS:${paymentId}`, 'deny');
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('code')).toBeNull();
    const status = await asAlice('GET', `/v1/payments/sepa-credit-transfers/${paymentId}/status`);
    expect(status.json).toEqual({ transactionStatus: 'RJCT' });
    const ids = await asAlice('GET', `/v1/payments/sepa-credit-transfers/${paymentId}/authorisations`);
    const [authorisationId] = (ids.json as { authorisationIds: string[] }).authorisationIds;
    const sca = await asAlice(
      'GET',
      `/v1/payments/sepa-credit-transfers/${paymentId}/authorisations/${authorisationId as string}`,
    );
    expect(sca.json).toEqual({ scaStatus: 'failed' });
  });

  it('an amount the account cannot cover ends RJCT after the PSU approved', async () => {
    const paymentId = await initiate('999999.00', 'Too much');
    await decide(`PIS:${paymentId}`, 'approve');
    const status = await asAlice('GET', `/v1/payments/sepa-credit-transfers/${paymentId}/status`);
    expect(status.json).toEqual({ transactionStatus: 'RJCT' });
  });
});
