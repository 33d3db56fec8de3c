/**
 * Security review, finding 1: the stop list reaches the PSU's authorisation. The PSU's browser presents no
 * TPP certificate, so the trust gate alone never stopped a blocked TPP's payment from being approved and
 * executed (nor its consent from being approved). The gateway as startGateway wires it, on SQLite and
 * PostgreSQL, with the real trust gate and certificate chains injected per connection; the PSU's browser
 * is supertest without a certificate. Also the payment's authorisation deadline, and `tpp block` rejecting
 * the blocked TPP's payments that await the PSU.
 */
import { pkce } from '../../src/oauth/pkce';
import { secretToken } from '../../src/oauth/secret_token';
import { tppCommand } from '../../src/cli/tpp_command';
import { DEFAULT_PAYMENT_AUTHORISATION_SECONDS } from '../../src/config/config';
import { KyselyTppStopList } from '../../src/store/kysely_tpp_stop_list';
import { STOP_LIST_POLL_MS } from '../../src/tpp/stop_list';
import {
  account,
  ALICE_REDIRECT,
  annaAccountConsent,
  requestId,
  startAisGateway,
  type AisGateway,
  type TppName,
} from '../ais/ais_gateway';
import { sandboxCode } from '../helpers/sandbox_psu';
import { cookieOf, csrfOf } from '../helpers/psu_browser';
import { DATABASE_KINDS, describeForDatabase } from '../store/test_databases';

const anna1 = account('anna', 0);
const CREDITOR = 'DE89370400440532013000';
const SCT = '/v1/payments/sepa-credit-transfers';
const BLOCKED_PAYMENT = 'The provider that initiated this payment has been blocked by the bank';
const BLOCKED_CONSENT = 'The provider that asked for this access has been blocked by the bank';

interface Browser {
  cookie: string;
  csrf: string;
  html: string;
}

const dynamicLinkOf = (html: string): string => /name="dynamic_link" value="([^"]+)"/.exec(html)?.[1] ?? '';

describe.each(DATABASE_KINDS)('the stop list at the PSU authorisation, on %s', (kind) => {
  describeForDatabase(kind)('', () => {
    let t: AisGateway;
    let alice: { organizationIdentifier: string; thumbprintS256: string };

    beforeAll(async () => {
      t = await startAisGateway(kind);
      alice = await t.identity('alice');
    }, 60_000);
    afterAll(async () => {
      await t?.close();
    });

    const stopList = () => new KyselyTppStopList(t.store.db);
    /** A block is older than one poll interval before the next request is sure to see it. */
    const pastPollInterval = () => new Promise((resolve) => setTimeout(resolve, STOP_LIST_POLL_MS + 100));
    /**
     * A block written to the store without `tpp block`'s rejection of waiting payments: what a payment
     * initiated in the second before the gateways saw the block meets.
     */
    async function block(subject: string): Promise<void> {
      await stopList().block(subject, 'test', new Date());
      await pastPollInterval();
    }
    async function unblock(subject: string): Promise<void> {
      await stopList().unblock(subject);
      await pastPollInterval();
    }

    async function initiate(tpp: TppName = 'alice', amount = '12.50'): Promise<string> {
      let req = t.as(tpp).post(SCT).set('X-Request-ID', requestId()).set('PSU-IP-Address', '192.0.2.10');
      // Only Alice's QWAC names the redirect host.
      if (tpp === 'alice') req = req.set('TPP-Redirect-URI', ALICE_REDIRECT);
      const res = await req.send({
        debtorAccount: { iban: anna1.iban },
        instructedAmount: { currency: 'EUR', amount },
        creditorAccount: { iban: CREDITOR },
        creditorName: 'Bob Builder',
      });
      if (res.status !== 201) throw new Error(`initiation: ${res.status} ${res.text}`);
      return (res.body as { paymentId: string }).paymentId;
    }

    const stored = async (paymentId: string) => t.store.payments.findById(paymentId);

    function authorizeQuery(scope: string, clientId = alice.organizationIdentifier) {
      return {
        response_type: 'code',
        client_id: clientId,
        redirect_uri: ALICE_REDIRECT,
        scope,
        state: 'st',
        code_challenge: pkce.s256(secretToken.generate()),
        code_challenge_method: 'S256',
      };
    }

    const openPage = (scope: string, lang = 'en') =>
      t.as(undefined).get('/oauth2/authorize').set('Accept-Language', lang).query(authorizeQuery(scope));

    async function post(browser: Browser, fields: Record<string, string>) {
      const res = await t
        .as(undefined)
        .post('/oauth2/authorize')
        .set('Cookie', browser.cookie)
        .type('form')
        .send(new URLSearchParams({ csrf_token: browser.csrf, ...fields }).toString());
      browser.cookie = cookieOf(res) ?? browser.cookie;
      browser.csrf = csrfOf(res.text) || browser.csrf;
      browser.html = res.text;
      return res;
    }

    /** Anna opens the page and signs in with the code bound to this payment (or the plain one). */
    async function signedIn(scope: string, amount?: string): Promise<Browser> {
      const page = await openPage(scope);
      expect(page.status).toBe(200);
      const browser = { cookie: cookieOf(page) ?? '', csrf: csrfOf(page.text), html: page.text };
      const paymentId = scope.startsWith('PIS:') ? scope.slice(4) : undefined;
      const otp =
        paymentId === undefined || amount === undefined
          ? sandboxCode('anna', { kind: 'consent', consentId: scope.replace(/^AIS:/, '') })
          : sandboxCode('anna', {
              kind: 'payment',
              paymentId,
              amount,
              currency: 'EUR',
              creditorName: 'Bob Builder',
              creditorIban: CREDITOR,
            });
      const res = await post(browser, { username: 'anna', password: 'sandbox-anna', otp });
      expect(res.status).toBe(200);
      expect(res.text).toContain('name="decision"');
      return browser;
    }

    const approve = (browser: Browser) =>
      post(browser, { decision: 'approve', dynamic_link: dynamicLinkOf(browser.html) });

    it('a TPP blocked after initiating: the page refuses in both languages, the payment is RJCT and never executed', async () => {
      const paymentId = await initiate();
      await block(alice.organizationIdentifier);
      try {
        const page = await openPage(`PIS:${paymentId}`);
        expect(page.status).toBe(403);
        expect(page.text).toContain(BLOCKED_PAYMENT);
        expect(page.headers['set-cookie']).toBeUndefined();
        const german = await openPage(`PIS:${paymentId}`, 'de');
        expect(german.status).toBe(403);
        expect(german.text).toContain(
          'Der Anbieter, der diese Zahlung veranlasst hat, wurde von der Bank gesperrt',
        );
        expect(await stored(paymentId)).toMatchObject({
          status: 'RJCT',
          psuId: undefined,
          bankTransactionId: undefined,
        });
      } finally {
        await unblock(alice.organizationIdentifier);
      }
      // Unblocking does not revive it.
      const status = await t.as('alice').get(`${SCT}/${paymentId}/status`).set('X-Request-ID', requestId());
      expect(status.body).toEqual({ transactionStatus: 'RJCT' });
      const sca = await t
        .as('alice')
        .get(`${SCT}/${paymentId}/authorisations`)
        .set('X-Request-ID', requestId());
      const authorisationId = (sca.body as { authorisationIds: string[] }).authorisationIds[0] ?? '';
      const scaStatus = await t
        .as('alice')
        .get(`${SCT}/${paymentId}/authorisations/${authorisationId}`)
        .set('X-Request-ID', requestId());
      expect(scaStatus.body).toEqual({ scaStatus: 'failed' });
    });

    it('blocked while the PSU is on the page: Approve is refused, the payment RJCT, nothing booked', async () => {
      const paymentId = await initiate('alice', '13.00');
      const browser = await signedIn(`PIS:${paymentId}`, '13.00');
      await block(alice.organizationIdentifier);
      try {
        const decided = await approve(browser);
        expect(decided.status).toBe(403);
        expect(decided.text).toContain(BLOCKED_PAYMENT);
        expect(decided.headers.location).toBeUndefined();
        expect(await stored(paymentId)).toMatchObject({ status: 'RJCT', bankTransactionId: undefined });
      } finally {
        await unblock(alice.organizationIdentifier);
      }
    });

    it('a block of the one certificate that initiated the payment (x5t#S256) stops it too', async () => {
      const paymentId = await initiate('alice', '14.00');
      await block(alice.thumbprintS256);
      try {
        const page = await openPage(`PIS:${paymentId}`);
        expect(page.status).toBe(403);
        expect(page.text).toContain(BLOCKED_PAYMENT);
        expect((await stored(paymentId))?.status).toBe('RJCT');
      } finally {
        await unblock(alice.thumbprintS256);
      }
    });

    it("a blocked TPP's consent: not shown, not approved while the PSU is on the page, left received", async () => {
      const consentId = await annaAccountConsent(t);
      const browser = await signedIn(`AIS:${consentId}`);
      await block(alice.organizationIdentifier);
      try {
        const decided = await approve(browser);
        expect(decided.status).toBe(403);
        expect(decided.text).toContain(BLOCKED_CONSENT);
        expect(decided.headers.location).toBeUndefined();
        const page = await openPage(`AIS:${consentId}`);
        expect(page.status).toBe(403);
        expect(page.text).toContain(BLOCKED_CONSENT);
        expect((await t.consents.findById(consentId))?.status).toBe('received');
      } finally {
        await unblock(alice.organizationIdentifier);
      }
    });

    it("`tpp block` rejects the TPP's payments awaiting the PSU, says how many, and leaves other TPPs' alone", async () => {
      const mine = [await initiate('alice', '1.00'), await initiate('alice', '2.00')];
      const other = await initiate('pisp', '3.00');
      // Earlier tests' payments of Alice count too if any still waits.
      const waiting = await t.store.db
        .selectFrom('payments')
        .select('id')
        .where('status', '=', 'RCVD')
        .where('tpp_organization_identifier', '=', alice.organizationIdentifier)
        .execute();
      expect(waiting.map((p) => p.id)).toEqual(expect.arrayContaining(mine));
      const lines: string[] = [];
      const run = async (...args: string[]) => {
        const command = tppCommand({
          env: { GATEWAY_DATABASE_URL: t.database.url },
          out: (line) => lines.push(line),
        });
        for (const c of [command, ...command.commands]) c.exitOverride();
        await command.parseAsync(args, { from: 'user' });
      };
      await run('block', alice.organizationIdentifier, '--reason', 'NCA withdrew the licence');
      try {
        expect(lines).toEqual([
          `organizationIdentifier ${alice.organizationIdentifier} is blocked`,
          `${waiting.length} payments awaiting the PSU's authorisation rejected (RJCT)`,
        ]);
        for (const id of mine) expect((await stored(id))?.status).toBe('RJCT');
        expect((await stored(other))?.status).toBe('RCVD');
      } finally {
        await run('unblock', alice.organizationIdentifier);
        await pastPollInterval();
      }
    });

    describe('the authorisation deadline', () => {
      const seconds = DEFAULT_PAYMENT_AUTHORISATION_SECONDS;
      let start: Date;
      beforeEach(() => {
        start = t.clock.now;
      });
      afterEach(() => {
        t.clock.now = start;
      });
      const advance = (s: number) => {
        t.clock.now = new Date(t.clock.now.getTime() + s * 1000);
      };

      it('RCVD until the deadline; at it the next status read finds RJCT (scaStatus failed)', async () => {
        const paymentId = await initiate('alice', '4.00');
        advance(seconds - 1);
        const before = await t.as('alice').get(`${SCT}/${paymentId}/status`).set('X-Request-ID', requestId());
        expect(before.body).toEqual({ transactionStatus: 'RCVD' });
        advance(1);
        const after = await t.as('alice').get(`${SCT}/${paymentId}/status`).set('X-Request-ID', requestId());
        expect(after.body).toEqual({ transactionStatus: 'RJCT' });
        const start = await t
          .as('alice')
          .post(`${SCT}/${paymentId}/authorisations`)
          .set('X-Request-ID', requestId())
          .send({});
        expect(start.status).toBe(409);
      });

      it('signed in before the deadline, Approve after it: refused, RJCT, nothing executed', async () => {
        const paymentId = await initiate('alice', '5.00');
        const browser = await signedIn(`PIS:${paymentId}`, '5.00');
        advance(seconds);
        const decided = await approve(browser);
        expect(decided.status).toBe(400);
        expect(decided.text).toContain('This payment has already been answered or cancelled');
        expect(await stored(paymentId)).toMatchObject({ status: 'RJCT', bankTransactionId: undefined });
      });

      it('the authorisation page after the deadline refuses and the payment is RJCT', async () => {
        const paymentId = await initiate('alice', '6.00');
        advance(seconds + 60);
        const page = await openPage(`PIS:${paymentId}`);
        expect(page.status).toBe(400);
        expect((await stored(paymentId))?.status).toBe('RJCT');
      });
    });
  });
});
