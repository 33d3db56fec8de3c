/**
 * A change and its notice commit together on PostgreSQL. Shown on a real server by a role that may not
 * call pg_notify: the notice fails, and the change it would have told must not be there either (had the
 * notice been a statement after the commit, the consent would be authorised and no instance told).
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { Client } from 'pg';
import type { OAuthTables } from '../../src/store/oauth_schema';
import { OAuthRepositoryKysely } from '../../src/store/oauth_repository_kysely';
import { openStore, type Store } from '../../src/store/open_store';
import { sampleConsent } from './sample_consent';
import { createTestDatabase, describeForDatabase, type TestDatabase } from './test_databases';

const CONSENT = sampleConsent('atomic-1');

describeForDatabase('postgres')('change and notice in one transaction', () => {
  const role = `psd2_nonotify_${randomBytes(5).toString('hex')}`;
  let database: TestDatabase;
  let owner: Store;
  let restricted: Store;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    owner = await openStore(database.url);
    const admin = new Client({ connectionString: database.url });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN`);
      await admin.query(`GRANT USAGE, CREATE ON SCHEMA public TO ${role}`);
      await admin.query(`GRANT ALL ON ALL TABLES IN SCHEMA public TO ${role}`);
      await admin.query(`GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
      // Per database: only this test's database loses pg_notify for non-superusers.
      await admin.query(`REVOKE EXECUTE ON FUNCTION pg_notify(text, text) FROM PUBLIC`);
    } finally {
      await admin.end();
    }
    const url = new URL(database.url);
    url.username = role;
    restricted = await openStore(url.toString());
  });
  afterAll(async () => {
    await restricted?.close();
    await owner?.close();
    await database?.drop();
    const admin = new Client({ connectionString: database.url.replace(/\/[^/]*$/, '/postgres') });
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS ${role}`).finally(() => admin.end());
  });

  it('a consent transition whose notice fails is not committed', async () => {
    await owner.consents.insert(CONSENT);
    await expect(
      restricted.consents.transition(CONSENT.id, {
        from: ['received'],
        to: 'rejected',
        lastActionDate: '2026-11-23',
      }),
    ).rejects.toThrow(/pg_notify/);
    expect((await owner.consents.findById(CONSENT.id))?.status).toBe('received');
  });

  it('a token revocation fails with its notice (both in one transaction)', async () => {
    const oauth = new OAuthRepositoryKysely(restricted.db as unknown as Kysely<OAuthTables>);
    await expect(oauth.revokeToken('no-such-token', new Date())).rejects.toThrow(/pg_notify/);
    // And one that may notify is told and committed.
    const allowed = new OAuthRepositoryKysely(owner.db as unknown as Kysely<OAuthTables>);
    await expect(allowed.revokeToken('no-such-token', new Date())).resolves.toBeUndefined();
  });
});
