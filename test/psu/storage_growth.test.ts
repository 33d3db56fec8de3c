/**
 * Security review, finding 2: nothing an unauthenticated browser does may grow the store without bound.
 * The consent dashboard stores a session only once the PSU has signed in (before that the cookie holds a
 * value kept nowhere and the form's CSRF token is derived from it), and ExpiredRowsSweep deletes what
 * browsers leave behind (authorisation sessions, pending identity-provider sign-ins, sign-in counts past
 * their lock). The gateway as startGateway assembles it, on SQLite and PostgreSQL; the PSU's browser is
 * supertest without a client certificate.
 */
import type { Kysely } from 'kysely';
import { randomUUID } from 'node:crypto';
import { DEFAULT_SIGN_IN_LIMITS } from '../../src/sca/sign_in_limiter';
import { ExpiredRowsSweep } from '../../src/store/expired_rows';
import { KyselyDashboardSessionRepository } from '../../src/store/kysely_dashboard_session_repository';
import { KyselyPendingIdpSignInRepository } from '../../src/store/kysely_pending_idp_sign_in_repository';
import { KyselySignInAttemptRepository } from '../../src/store/kysely_sign_in_attempt_repository';
import { KyselyUsedOneTimeCodes } from '../../src/store/kysely_used_one_time_codes';
import { OAuthRepositoryKysely } from '../../src/store/oauth_repository_kysely';
import type { OAuthTables } from '../../src/store/oauth_schema';
import { startAisGateway, type AisGateway } from '../ais/ais_gateway';
import { plainSandboxCode } from '../helpers/sandbox_psu';
import { cookieOf, csrfOf } from '../helpers/psu_browser';
import { DATABASE_KINDS, describeForDatabase } from '../store/test_databases';

const TABLES = [
  'psu_dashboard_session',
  'oauth_psu_session',
  'psu_oidc_login',
  'oauth_sign_in_attempt',
  'sca_used_one_time_code',
] as const;

describe.each(DATABASE_KINDS)('storage an unauthenticated browser can cause, on %s', (kind) => {
  describeForDatabase(kind)('', () => {
    let t: AisGateway;
    let db: Kysely<OAuthTables>;

    beforeAll(async () => {
      t = await startAisGateway(kind);
      db = t.store.db as unknown as Kysely<OAuthTables>;
    }, 60_000);
    afterAll(async () => {
      await t?.close();
    });

    async function rows(): Promise<Record<(typeof TABLES)[number], number>> {
      const counts = await Promise.all(
        TABLES.map(async (table) => {
          const row = await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number | string>().as('n'))
            .executeTakeFirstOrThrow();
          return [table, Number(row.n)] as const;
        }),
      );
      return Object.fromEntries(counts) as Record<(typeof TABLES)[number], number>;
    }

    const browser = () => t.as(undefined);

    it('200 cookieless GETs of the consent dashboard store nothing', async () => {
      const before = await rows();
      for (let i = 0; i < 200; i++) {
        const res = await browser().get('/psu/consents');
        expect(res.status).toBe(200);
        expect(res.text).toContain('name="csrf_token"');
        expect(cookieOf(res)).toMatch(/^__Host-psd2-psu=/);
      }
      expect(await rows()).toEqual(before);
    });

    it('a session row exists only while a PSU is signed in: a wrong password, a foreign form and a sign-out leave none', async () => {
      const sessions = async () => (await rows()).psu_dashboard_session;
      const start = await sessions();
      const page = await browser().get('/psu/consents');
      let cookie = cookieOf(page) ?? '';
      const csrf = csrfOf(page.text);
      const post = (path: string, fields: Record<string, string>) =>
        browser().post(path).set('Cookie', cookie).type('form').send(new URLSearchParams(fields).toString());

      const wrong = await post('/psu/consents/sign-in', {
        csrf_token: csrf,
        username: 'anna',
        password: 'not her password',
        otp: plainSandboxCode('anna'),
      });
      expect(wrong.text).toContain('The username, password or one-time code is not correct');
      expect(await sessions()).toBe(start);

      // A form from another browser's page: its token is not the one derived from this cookie.
      const other = csrfOf((await browser().get('/psu/consents')).text);
      const foreign = await post('/psu/consents/sign-in', {
        csrf_token: other,
        username: 'anna',
        password: 'sandbox-anna',
        otp: plainSandboxCode('anna'),
      });
      expect(foreign.text).not.toContain('Withdraw');
      expect(foreign.text).toContain('Your session has expired');
      expect(await sessions()).toBe(start);

      const signedIn = await post('/psu/consents/sign-in', {
        csrf_token: csrf,
        username: 'anna',
        password: 'sandbox-anna',
        otp: plainSandboxCode('anna'),
      });
      expect(signedIn.text).toContain('Anna Schmidt');
      const renewed = cookieOf(signedIn) ?? '';
      expect(renewed).not.toBe(cookie);
      expect(await sessions()).toBe(start + 1);
      cookie = renewed;
      // Signed in, the page is the overview on every visit.
      const again = await browser().get('/psu/consents').set('Cookie', cookie);
      expect(again.text).toContain('Anna Schmidt');

      const signedOut = await post('/psu/consents/sign-out', { csrf_token: csrfOf(signedIn.text) });
      expect(signedOut.status).toBe(303);
      expect(await sessions()).toBe(start);
    });

    it('the sweep deletes expired rows of every table and keeps live ones; instances sweeping at once agree', async () => {
      const now = new Date();
      const past = new Date(now.getTime() - 1000);
      const future = new Date(now.getTime() + 600_000);
      const mark = randomUUID();
      const dashboard = new KyselyDashboardSessionRepository(db);
      const oauth = new OAuthRepositoryKysely(db);
      const pending = new KyselyPendingIdpSignInRepository(db);
      const attempts = new KyselySignInAttemptRepository(db);
      const used = new KyselyUsedOneTimeCodes(db);
      for (const [suffix, expiresAt] of [
        ['old', past],
        ['live', future],
      ] as const) {
        const id = `${mark}-${suffix}`;
        await dashboard.create({ idHash: id, csrfToken: 'c', psuId: 'anna', psuName: 'Anna', expiresAt });
        await oauth.createSession({
          idHash: id,
          csrfToken: 'c',
          clientId: 'PSDDE-BAFIN-123456',
          redirectUri: 'https://api.bank-of-alice.example/callback',
          consentId: 'some-consent',
          state: 's',
          codeChallenge: 'x',
          psuId: null,
          psuName: null,
          failedSignIns: 0,
          expiresAt,
          createdAt: now,
        });
        await pending.save({
          stateHash: id,
          nonce: 'n',
          codeVerifier: 'v',
          purpose: 'dashboard',
          sessionHash: 'h',
          startedAt: now,
          expiresAt,
        });
        await used.record(id, expiresAt);
      }
      const lockMs = DEFAULT_SIGN_IN_LIMITS.lockSeconds * 1000;
      const countAt = (key: string, at: Date) =>
        attempts.countAttempt(key, at, new Date(at.getTime() - lockMs), DEFAULT_SIGN_IN_LIMITS.perPsu);
      await countAt(`psu:${mark}-old`, new Date(now.getTime() - lockMs - 1000));
      await countAt(`psu:${mark}-live`, new Date(now.getTime() - lockMs + 60_000));

      // Two instances on one store sweep at the same moment.
      const instance = () =>
        new ExpiredRowsSweep({
          db,
          dialect: t.store.dialect,
          signInLockSeconds: DEFAULT_SIGN_IN_LIMITS.lockSeconds,
          now: () => now,
        });
      const [a, b] = await Promise.all([instance().sweep(), instance().sweep()]);
      for (const table of TABLES) expect(a[table] + b[table]).toBe(1);
      expect(await instance().sweep()).toEqual({
        oauth_psu_session: 0,
        psu_dashboard_session: 0,
        psu_oidc_login: 0,
        oauth_sign_in_attempt: 0,
        sca_used_one_time_code: 0,
      });

      const left = async (table: (typeof TABLES)[number], column: 'id_hash' | 'state_hash' | 'key') =>
        (await db.selectFrom(table).select(column).where(column, 'like', `%${mark}%`).execute()).map(
          (r) => (r as Record<string, string>)[column],
        );
      expect(await left('psu_dashboard_session', 'id_hash')).toEqual([`${mark}-live`]);
      expect(await left('oauth_psu_session', 'id_hash')).toEqual([`${mark}-live`]);
      expect(await left('psu_oidc_login', 'state_hash')).toEqual([`${mark}-live`]);
      expect(await left('oauth_sign_in_attempt', 'key')).toEqual([`psu:${mark}-live`]);
      expect(await left('sca_used_one_time_code', 'key')).toEqual([`${mark}-live`]);
    });

    it('runs on its timer until stopped, and leaves no timer behind', async () => {
      const dashboard = new KyselyDashboardSessionRepository(db);
      const expiredSession = async (id: string) =>
        dashboard.create({
          idHash: id,
          csrfToken: 'c',
          psuId: 'anna',
          psuName: 'Anna',
          expiresAt: new Date(Date.now() - 1000),
        });
      const exists = async (id: string) => (await dashboard.find(id)) !== undefined;
      const sweep = new ExpiredRowsSweep({
        db,
        dialect: t.store.dialect,
        signInLockSeconds: DEFAULT_SIGN_IN_LIMITS.lockSeconds,
        intervalMs: 20,
      });
      const first = `timer-${randomUUID()}`;
      await expiredSession(first);
      sweep.start();
      try {
        while (await exists(first)) await new Promise((resolve) => setTimeout(resolve, 20));
      } finally {
        await sweep.stop();
      }
      const second = `timer-${randomUUID()}`;
      await expiredSession(second);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await exists(second)).toBe(true);
      await dashboard.delete(second);
    });
  });
});
