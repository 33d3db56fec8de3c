import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Migrations of the OAuth tables, merged by the store's migration provider. Names start with `0100_` so
 * they sort after the consent tables they refer to by id (no foreign key: the consent store may live
 * behind an adapter).
 */
export const oauthMigrations: Record<string, Migration> = {
  '0100_oauth_tables': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('oauth_psu_session')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('redirect_uri', 'text', (c) => c.notNull())
        .addColumn('consent_id', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('code_challenge', 'text', (c) => c.notNull())
        .addColumn('psu_id', 'text')
        .addColumn('psu_name', 'text')
        .addColumn('failed_sign_ins', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('oauth_grant')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('code_hash', 'text', (c) => c.notNull().unique())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('redirect_uri', 'text', (c) => c.notNull())
        .addColumn('code_challenge', 'text', (c) => c.notNull())
        .addColumn('consent_id', 'text', (c) => c.notNull())
        .addColumn('psu_id', 'text', (c) => c.notNull())
        .addColumn('code_expires_at', 'text', (c) => c.notNull())
        .addColumn('code_used_at', 'text')
        .addColumn('revoked_at', 'text')
        .addColumn('revoked_reason', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('oauth_grant_consent_id').on('oauth_grant').column('consent_id').execute();

      await db.schema
        .createTable('oauth_token')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('grant_id', 'text', (c) => c.notNull().references('oauth_grant.id'))
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('access', 'refresh')`))
        .addColumn('cnf_thumbprint', 'text')
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('rotated_at', 'text')
        .addColumn('revoked_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('oauth_token_grant_id').on('oauth_token').column('grant_id').execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('oauth_token').execute();
      await db.schema.dropTable('oauth_grant').execute();
      await db.schema.dropTable('oauth_psu_session').execute();
    },
  },

  // Failed sign-ins counted across sessions and instances (src/sca/sign_in_limiter.ts). Times are epoch
  // milliseconds so the reset rule can compare them inside the one atomic upsert.
  '0101_oauth_sign_in_attempts': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('oauth_sign_in_attempt')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('last_counted_at', 'bigint', (c) => c.notNull())
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('oauth_sign_in_attempt').execute();
    },
  },

  // The PSU's consent dashboard (src/psu/consent_dashboard.ts): its own sessions, not tied to a consent.
  '0102_psu_dashboard_session': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('psu_dashboard_session')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('psu_id', 'text')
        .addColumn('psu_name', 'text')
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('psu_dashboard_session').execute();
    },
  },

  // Sign-ins at the bank's identity provider in flight (src/psu/idp_sign_in.ts): state, nonce and PKCE
  // verifier wait here, so the browser may return to any instance.
  '0103_psu_oidc_login': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('psu_oidc_login')
        .addColumn('state_hash', 'text', (c) => c.primaryKey())
        .addColumn('nonce', 'text', (c) => c.notNull())
        .addColumn('code_verifier', 'text', (c) => c.notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('session_hash', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('psu_oidc_login').execute();
    },
  },

  // When the browser left for the identity provider: its ID token's auth_time must not be earlier.
  // Rows written before have none and are taken as expired (src/store/kysely_pending_idp_sign_in_repository.ts).
  '0104_psu_oidc_login_started_at': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('psu_oidc_login').addColumn('started_at', 'text').execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('psu_oidc_login').dropColumn('started_at').execute();
    },
  },

  // One-time codes accepted at the gateway's sign-in (src/sca/sandbox_one_time_codes.ts), each remembered
  // until it could no longer match, so no instance accepts it twice. Epoch milliseconds, as the limiter's.
  '0105_sca_used_one_time_code': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('sca_used_one_time_code')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('sca_used_one_time_code').execute();
    },
  },
};
