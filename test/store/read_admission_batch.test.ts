/**
 * The PostgreSQL read admission answers the reads of one event-loop turn with one statement. Each read
 * keeps its own verdict, and frequencyPerDay stays exact however many reads of one consent arrive
 * together, on one store or on two (two pools: as two gateway instances).
 */
import { sql, type Kysely } from 'kysely';
import type { ReadAdmissionParams } from '../../src/consent/read_admission';
import { openStore, type Store } from '../../src/store/open_store';
import { PostgresReadAdmission } from '../../src/store/postgres_read_admission';
import { sampleConsent } from './sample_consent';
import { describeForDatabase, useTestStore } from './test_databases';

const DAY = '2026-11-30';
const NOW = '2026-11-30T10:00:00.000Z';

async function grantWithToken(db: Kysely<unknown>, consentId: string, tokenHash: string): Promise<void> {
  const grantId = `grant-${tokenHash}`;
  await sql`insert into oauth_grant (id, code_hash, client_id, redirect_uri, code_challenge, consent_id,
      psu_id, code_expires_at, created_at)
    values (${grantId}, ${`code-${tokenHash}`}, 'PSDDE-BAFIN-111111', 'https://tpp.alice.example/cb',
      'challenge', ${consentId}, 'anna', ${NOW}, ${NOW})`.execute(db);
  await sql`insert into oauth_token (token_hash, grant_id, kind, expires_at, created_at)
    values (${tokenHash}, ${grantId}, 'access', '2099-01-01T00:00:00.000Z', ${NOW})`.execute(db);
}

function read(consentId: string, tokenHash: string, count = true, limit = 4): ReadAdmissionParams {
  return { consentId, accessTokenHash: tokenHash, day: DAY, limit, count };
}

async function usage(db: Kysely<unknown>, consentId: string): Promise<number> {
  const { rows } = await sql<{ count: number }>`select count from consent_usage
    where consent_id = ${consentId} and day = ${DAY}`.execute(db);
  return rows[0]?.count ?? 0;
}

describeForDatabase('postgres')('PostgreSQL read admission, several reads per statement', () => {
  const testStore = useTestStore('postgres');
  let store: Store;
  let db: Kysely<unknown>;
  let statements = 0;

  beforeAll(async () => {
    store = await testStore.reopen({ onQuery: () => statements++ });
    db = store.db as unknown as Kysely<unknown>;
    for (const id of ['busy', 'mixed', 'ended', 'two-stores']) {
      await store.consents.insert(sampleConsent(id, { status: id === 'ended' ? 'revokedByPsu' : 'valid' }));
      await grantWithToken(db, id, `token-${id}`);
    }
    await grantWithToken(db, 'mixed', 'token-revoked');
    await sql`update oauth_token set revoked_at = ${NOW} where token_hash = 'token-revoked'`.execute(db);
    await grantWithToken(db, 'mixed', 'token-grant-revoked');
    await sql`update oauth_grant set revoked_at = ${NOW} where id = 'grant-token-grant-revoked'`.execute(db);
  });

  it('admits exactly frequencyPerDay of many counted reads of one consent arriving together', async () => {
    const admission = new PostgresReadAdmission(db);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => admission.admit(read('busy', 'token-busy'))),
    );
    expect(results.filter((r) => r.admitted)).toHaveLength(4);
    expect(results.every((r) => r.live)).toBe(true);
    expect(await usage(db, 'busy')).toBe(4);
    // The PSU asking is not counted, so the spent day does not stop it.
    expect(await admission.admit(read('busy', 'token-busy', false))).toEqual({ live: true, admitted: true });
  });

  it('gives each read of one statement its own verdict', async () => {
    const admission = new PostgresReadAdmission(db);
    const before = statements;
    const results = await Promise.all([
      admission.admit(read('mixed', 'token-mixed')),
      admission.admit(read('mixed', 'token-revoked', false)),
      admission.admit(read('mixed', 'token-grant-revoked', false)),
      admission.admit(read('ended', 'token-ended', false)),
      admission.admit(read('absent', 'token-mixed', false)),
      // Another consent's token is not this consent's.
      admission.admit(read('busy', 'token-mixed', false)),
      admission.admit(read('mixed', 'token-mixed', false)),
    ]);
    expect(statements - before).toBe(1);
    expect(results).toEqual([
      { live: true, admitted: true },
      { live: false, admitted: false },
      { live: false, admitted: false },
      { live: false, admitted: false },
      { live: false, admitted: false },
      { live: false, admitted: false },
      { live: true, admitted: true },
    ]);
    expect(await usage(db, 'mixed')).toBe(1);
  });

  it('stays exact with reads arriving together at two stores on one database', async () => {
    const other = await openStore(testStore.url);
    try {
      const here = new PostgresReadAdmission(db);
      const there = new PostgresReadAdmission(other.db as unknown as Kysely<unknown>);
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          (i % 2 === 0 ? here : there).admit(read('two-stores', 'token-two-stores', true, 5)),
        ),
      );
      expect(results.filter((r) => r.admitted)).toHaveLength(5);
      expect(await usage(db, 'two-stores')).toBe(5);
    } finally {
      await other.close();
    }
  });
});
