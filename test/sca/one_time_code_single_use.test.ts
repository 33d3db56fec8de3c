/**
 * Security review, finding 4: a sandbox one-time code is bound to the payment (or consent) it authorises
 * and accepted once. The gateway as startGateway assembles it, on SQLite and PostgreSQL; the PSU's browser
 * is supertest without a client certificate. Used codes live in the store, so two stores on one database
 * (two instances) agree.
 */
import type { Kysely } from 'kysely';
import { randomUUID } from 'node:crypto';
import { pkce } from '../../src/oauth/pkce';
import { secretToken } from '../../src/oauth/secret_token';
import { KyselyUsedOneTimeCodes } from '../../src/store/kysely_used_one_time_codes';
import type { OAuthTables } from '../../src/store/oauth_schema';
import { openStore } from '../../src/store/open_store';
import {
  account,
  ALICE_REDIRECT,
  annaAccountConsent,
  requestId,
  startAisGateway,
  type AisGateway,
} from '../ais/ais_gateway';
import { consentCode, plainSandboxCode, sandboxCode } from '../helpers/sandbox_psu';
import { cookieOf, csrfOf } from '../helpers/psu_browser';
import { DATABASE_KINDS, describeForDatabase } from '../store/test_databases';

const anna1 = account('anna', 0);
const CREDITOR = 'DE89370400440532013000';
const SCT = '/v1/payments/sepa-credit-transfers';
const WRONG = 'The username, password or one-time code is not correct';

describe.each(DATABASE_KINDS)('sandbox one-time codes on %s', (kind) => {
  describeForDatabase(kind)('', () => {
    let t: AisGateway;
    let aliceId: string;

    beforeAll(async () => {
      t = await startAisGateway(kind);
      aliceId = (await t.identity('alice')).organizationIdentifier;
    }, 60_000);
    afterAll(async () => {
      await t?.close();
    });

    /** A fresh browser at the authorisation page of `scope`, signing in as Anna with `otp`. */
    async function signIn(scope: string, otp: string): Promise<string> {
      const page = await t
        .as(undefined)
        .get('/oauth2/authorize')
        .query({
          response_type: 'code',
          client_id: aliceId,
          redirect_uri: ALICE_REDIRECT,
          scope,
          state: 'st',
          code_challenge: pkce.s256(secretToken.generate()),
          code_challenge_method: 'S256',
        });
      expect(page.status).toBe(200);
      const res = await t
        .as(undefined)
        .post('/oauth2/authorize')
        .set('Cookie', cookieOf(page) ?? '')
        .type('form')
        .send(
          new URLSearchParams({
            csrf_token: csrfOf(page.text),
            username: 'anna',
            password: 'sandbox-anna',
            otp,
          }).toString(),
        );
      expect(res.status).toBe(200);
      return res.text;
    }

    const signedIn = (html: string) => /name="decision"/.test(html);

    async function initiate(): Promise<string> {
      const res = await t
        .as('alice')
        .post(SCT)
        .set('X-Request-ID', requestId())
        .set('PSU-IP-Address', '192.0.2.10')
        .set('TPP-Redirect-URI', ALICE_REDIRECT)
        .send({
          debtorAccount: { iban: anna1.iban },
          instructedAmount: { currency: 'EUR', amount: '7.00' },
          creditorAccount: { iban: CREDITOR },
          creditorName: 'Bob Builder',
        });
      expect(res.status).toBe(201);
      return (res.body as { paymentId: string }).paymentId;
    }
    const paymentCode = (paymentId: string) =>
      sandboxCode('anna', {
        kind: 'payment',
        paymentId,
        amount: '7.00',
        currency: 'EUR',
        creditorName: 'Bob Builder',
        creditorIban: CREDITOR,
      });

    it("a payment's code does not sign in for a second payment of the same amount to the same payee", async () => {
      const first = await initiate();
      const second = await initiate();
      expect(signedIn(await signIn(`PIS:${second}`, paymentCode(first)))).toBe(false);
      expect(signedIn(await signIn(`PIS:${second}`, paymentCode(second)))).toBe(true);
    });

    it('a code is accepted once: the same code in a second browser session is refused with the usual message', async () => {
      const paymentId = await initiate();
      const code = paymentCode(paymentId);
      expect(signedIn(await signIn(`PIS:${paymentId}`, code))).toBe(true);
      const again = await signIn(`PIS:${paymentId}`, code);
      expect(signedIn(again)).toBe(false);
      expect(again).toContain(WRONG);
    });

    it("a consent's code is bound to the consent and accepted once", async () => {
      const [a, b] = [await annaAccountConsent(t), await annaAccountConsent(t)];
      expect(signedIn(await signIn(`AIS:${b}`, consentCode('anna', a)))).toBe(false);
      expect(signedIn(await signIn(`AIS:${b}`, plainSandboxCode('anna')))).toBe(false);
      expect(signedIn(await signIn(`AIS:${a}`, consentCode('anna', a)))).toBe(true);
      expect(signedIn(await signIn(`AIS:${a}`, consentCode('anna', a)))).toBe(false);
      expect(signedIn(await signIn(`AIS:${b}`, consentCode('anna', b)))).toBe(true);
    });

    it('two instances on one database: of many sign-ins racing with one code, exactly one is recorded', async () => {
      const other = await openStore(t.database.url);
      try {
        const stores = [t.store, other].map(
          (s) => new KyselyUsedOneTimeCodes(s.db as unknown as Kysely<OAuthTables>),
        );
        const key = randomUUID();
        const expiresAt = new Date(Date.now() + 90_000);
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => stores[i % 2]?.record(key, expiresAt)),
        );
        expect(results.filter((r) => r === true)).toHaveLength(1);
      } finally {
        await other.close();
      }
    });
  });
});
