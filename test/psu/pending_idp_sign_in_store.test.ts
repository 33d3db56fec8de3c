/**
 * The pending sign-in at the bank's identity provider keeps when the browser left, which the ID token's
 * auth_time is held to (security review, finding 3). A row written before that column existed cannot be
 * judged and is taken as expired. SQLite and PostgreSQL.
 */
import type { Kysely } from 'kysely';
import { KyselyPendingIdpSignInRepository } from '../../src/store/kysely_pending_idp_sign_in_repository';
import type { OAuthTables } from '../../src/store/oauth_schema';
import { openStore, type Store } from '../../src/store/open_store';
import {
  createTestDatabase,
  DATABASE_KINDS,
  describeForDatabase,
  type TestDatabase,
} from '../store/test_databases';

describe.each(DATABASE_KINDS)('pending identity-provider sign-ins on %s', (kind) => {
  describeForDatabase(kind)('', () => {
    let database: TestDatabase;
    let store: Store;
    let db: Kysely<OAuthTables>;

    beforeAll(async () => {
      database = await createTestDatabase(kind);
      store = await openStore(database.url);
      db = store.db as unknown as Kysely<OAuthTables>;
    });
    afterAll(async () => {
      await store?.close();
      await database?.drop();
    });

    it('keeps when the sign-in started, and hands the row out once', async () => {
      const pending = new KyselyPendingIdpSignInRepository(db);
      const startedAt = new Date('2030-01-15T10:00:00.123Z');
      const saved = {
        stateHash: 'state-1',
        nonce: 'n',
        codeVerifier: 'v',
        purpose: 'authorize' as const,
        sessionHash: 'h',
        startedAt,
        expiresAt: new Date(startedAt.getTime() + 600_000),
      };
      await pending.save(saved);
      expect(await pending.take('state-1')).toEqual(saved);
      expect(await pending.take('state-1')).toBeUndefined();
    });

    it('a row from before started_at existed is taken as expired, and consumed', async () => {
      await db
        .insertInto('psu_oidc_login')
        .values({
          state_hash: 'state-old',
          nonce: 'n',
          code_verifier: 'v',
          purpose: 'authorize',
          session_hash: 'h',
          started_at: null,
          expires_at: new Date(Date.now() + 600_000).toISOString(),
        })
        .execute();
      const pending = new KyselyPendingIdpSignInRepository(db);
      expect(await pending.take('state-old')).toBeUndefined();
      const left = await db.selectFrom('psu_oidc_login').select('state_hash').execute();
      expect(left).toEqual([]);
    });
  });
});
