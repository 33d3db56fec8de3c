/**
 * One migration set whoever opens the store, on databases as they exist in the field: gateways applied
 * the OAuth tables (0100) before core 0003/0004 and the operations tables (0200) existed, and the CLIs
 * must open such a database as well as one the gateway just created.
 */
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { Pool } from 'pg';
import { coreMigrations } from '../../src/store/core_migrations';
import { STORE_MIGRATIONS } from '../../src/store/migrations';
import { oauthMigrations } from '../../src/store/oauth_migrations';
import { migrationProvider, openStore } from '../../src/store/open_store';
import { createTestDatabase, DATABASE_KINDS, describeForDatabase, type TestDatabase } from './test_databases';

function rawKysely(url: string): Kysely<unknown> {
  return url.startsWith('sqlite:')
    ? new Kysely({ dialect: new SqliteDialect({ database: new BetterSqlite3(url.slice('sqlite:'.length)) }) })
    : new Kysely({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: url, max: 1 }) }) });
}

it('folds every feature into one set: core, 0004 stop list, 0005 payments, 0006 redirect hosts, 0007 funds permissions per TPP, 0100-0105 OAuth, PSU and SCA, 0200 operations', () => {
  expect(Object.keys(STORE_MIGRATIONS).sort()).toEqual([
    '0001_consents',
    '0002_sandbox_bank',
    '0003_sandbox_bank_payments',
    '0004_tpp_stop_list',
    '0005_payments',
    '0006_tpp_redirect_hosts',
    '0007_sandbox_funds_permissions_per_tpp',
    '0100_oauth_tables',
    '0101_oauth_sign_in_attempts',
    '0102_psu_dashboard_session',
    '0103_psu_oidc_login',
    '0104_psu_oidc_login_started_at',
    '0105_sca_used_one_time_code',
    '0200_audit_and_statistics',
  ]);
});

describe.each(DATABASE_KINDS)('the store migration set on %s', (kind) => {
  describeForDatabase(kind)(kind, () => {
    let database: TestDatabase;
    beforeEach(async () => {
      database = await createTestDatabase(kind);
    });
    afterEach(async () => {
      await database.drop();
    });

    it('opens a database that applied 0100 before 0003 existed, and adds what is missing', async () => {
      const old = rawKysely(database.url);
      const field = {
        '0001_consents': coreMigrations['0001_consents'],
        '0002_sandbox_bank': coreMigrations['0002_sandbox_bank'],
        ...oauthMigrations,
      };
      const { error } = await new Migrator({
        db: old,
        provider: migrationProvider(field as typeof STORE_MIGRATIONS),
      }).migrateToLatest();
      await old.destroy();
      expect(error).toBeUndefined();

      const store = await openStore(database.url);
      try {
        const applied = await sql<{ name: string }>`select name from kysely_migration`.execute(store.db);
        expect(applied.rows.map((r) => r.name).sort()).toEqual(Object.keys(STORE_MIGRATIONS).sort());
      } finally {
        await store.close();
      }
      // A second opener (the consent CLI next to the gateway) finds nothing it does not know.
      const again = await openStore(database.url);
      await again.close();
    });
  });
});
