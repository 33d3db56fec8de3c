import type { Kysely, Migration } from 'kysely';
import type { Database } from './schema';

/**
 * The gateway's own tables. Names sort in application order; other features add theirs to the one set
 * in migrations.ts with a different prefix (OAuth `0100_`, operations `0200_`).
 * Column types are the common subset of SQLite and PostgreSQL.
 */
export const coreMigrations: Record<string, Migration> = {
  '0001_consents': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('consents')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('tpp_organization_identifier', 'varchar(256)', (c) => c.notNull())
        .addColumn('tpp_name', 'text', (c) => c.notNull())
        .addColumn('tpp_nca_name', 'text', (c) => c.notNull())
        .addColumn('tpp_nca_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('tpp_certificate_thumbprint', 'varchar(64)', (c) => c.notNull())
        .addColumn('tpp_redirect_uri', 'text', (c) => c.notNull())
        .addColumn('status', 'varchar(32)', (c) => c.notNull())
        .addColumn('requested_access', 'text', (c) => c.notNull())
        .addColumn('granted_access', 'text')
        .addColumn('psu_id', 'varchar(128)')
        .addColumn('recurring_indicator', 'integer', (c) => c.notNull())
        .addColumn('valid_until', 'varchar(10)', (c) => c.notNull())
        .addColumn('frequency_per_day', 'integer', (c) => c.notNull())
        .addColumn('combined_service_indicator', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('last_action_date', 'varchar(10)', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('consents_tpp_idx')
        .on('consents')
        .column('tpp_organization_identifier')
        .execute();
      await db.schema
        .createTable('consent_usage')
        .addColumn('consent_id', 'varchar(64)', (c) =>
          c.notNull().references('consents.id').onDelete('cascade'),
        )
        .addColumn('day', 'varchar(10)', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('consent_usage_pk', ['consent_id', 'day'])
        .execute();
    },
  },
  '0002_sandbox_bank': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('psus')
        .addColumn('psu_id', 'varchar(128)', (c) => c.primaryKey())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('accounts')
        .addColumn('resource_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('psu_id', 'varchar(128)', (c) => c.notNull().references('psus.psu_id'))
        .addColumn('iban', 'varchar(34)', (c) => c.notNull().unique())
        .addColumn('bic', 'varchar(11)', (c) => c.notNull())
        .addColumn('currency', 'varchar(3)', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('owner_name', 'text', (c) => c.notNull())
        .addColumn('product', 'text', (c) => c.notNull())
        .addColumn('cash_account_type', 'varchar(4)', (c) => c.notNull())
        .addColumn('credit_limit', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('accounts_psu_idx').on('accounts').column('psu_id').execute();
      await db.schema
        .createTable('balances')
        .addColumn('resource_id', 'varchar(64)', (c) => c.notNull().references('accounts.resource_id'))
        .addColumn('balance_type', 'varchar(32)', (c) => c.notNull())
        .addColumn('amount', 'varchar(32)', (c) => c.notNull())
        .addColumn('currency', 'varchar(3)', (c) => c.notNull())
        .addColumn('reference_date', 'varchar(10)')
        .addColumn('last_change_date_time', 'varchar(32)')
        .addColumn('credit_limit_included', 'integer')
        .addPrimaryKeyConstraint('balances_pk', ['resource_id', 'balance_type'])
        .execute();
      await db.schema
        .createTable('transactions')
        .addColumn('transaction_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('resource_id', 'varchar(64)', (c) => c.notNull().references('accounts.resource_id'))
        .addColumn('booking_status', 'varchar(16)', (c) => c.notNull())
        .addColumn('booking_date', 'varchar(10)')
        .addColumn('value_date', 'varchar(10)', (c) => c.notNull())
        .addColumn('amount', 'varchar(32)', (c) => c.notNull())
        .addColumn('currency', 'varchar(3)', (c) => c.notNull())
        .addColumn('creditor_name', 'text')
        .addColumn('creditor_iban', 'varchar(34)')
        .addColumn('debtor_name', 'text')
        .addColumn('debtor_iban', 'varchar(34)')
        .addColumn('remittance_information', 'text', (c) => c.notNull())
        .addColumn('end_to_end_id', 'varchar(64)')
        .execute();
      await db.schema
        .createIndex('transactions_account_date_idx')
        .on('transactions')
        .columns(['resource_id', 'value_date'])
        .execute();
    },
  },
  '0003_sandbox_bank_payments': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('sandbox_payments')
        .addColumn('payment_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('order_digest', 'varchar(64)', (c) => c.notNull())
        .addColumn('resource_id', 'varchar(64)')
        .addColumn('status', 'varchar(4)', (c) => c.notNull())
        .addColumn('reason_code', 'varchar(4)')
        .addColumn('transaction_id', 'varchar(64)')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('sandbox_funds_permissions')
        .addColumn('iban', 'varchar(34)', (c) => c.primaryKey())
        .execute();
    },
  },
  '0004_tpp_stop_list': {
    async up(db: Kysely<unknown>): Promise<void> {
      // `subject` is an organizationIdentifier or an x5t#S256 thumbprint: the gate matches either.
      await db.schema
        .createTable('tpp_stop_list')
        .addColumn('subject', 'varchar(256)', (c) => c.primaryKey())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('blocked_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      // One row, bumped with every change: a running gateway polls it instead of reading the list.
      await db.schema
        .createTable('tpp_stop_list_version')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('version', 'integer', (c) => c.notNull())
        .execute();
      await (db as Kysely<Pick<Database, 'tpp_stop_list_version'>>)
        .insertInto('tpp_stop_list_version')
        .values({ id: 1, version: 0 })
        .execute();
    },
  },
  '0005_payments': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('payments')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('payment_service', 'varchar(32)', (c) => c.notNull())
        .addColumn('payment_product', 'varchar(64)', (c) => c.notNull())
        .addColumn('tpp_organization_identifier', 'varchar(256)', (c) => c.notNull())
        .addColumn('tpp_name', 'text', (c) => c.notNull())
        .addColumn('tpp_nca_name', 'text', (c) => c.notNull())
        .addColumn('tpp_nca_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('tpp_certificate_thumbprint', 'varchar(64)', (c) => c.notNull())
        .addColumn('x_request_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('request_digest', 'varchar(64)', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('tpp_redirect_uri', 'text')
        .addColumn('status', 'varchar(4)', (c) => c.notNull())
        .addColumn('reason_code', 'varchar(4)')
        .addColumn('psu_id', 'varchar(128)')
        .addColumn('debtor_iban', 'varchar(34)')
        .addColumn('bank_transaction_id', 'varchar(64)')
        .addColumn('initiation_response', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        // The idempotency key of an initiation: one payment per TPP and X-Request-ID, decided by the
        // database so parallel retries on several gateway instances cannot both insert.
        .addUniqueConstraint('payments_tpp_request_unique', ['tpp_organization_identifier', 'x_request_id'])
        .execute();
    },
  },
  '0006_tpp_redirect_hosts': {
    async up(db: Kysely<unknown>): Promise<void> {
      // The bank's TPP directory: hosts a TPP's TPP-Redirect-URI may name (`psd2-gateway tpp hosts`).
      await db.schema
        .createTable('tpp_redirect_hosts')
        .addColumn('organization_identifier', 'varchar(256)', (c) => c.notNull())
        .addColumn('host', 'varchar(255)', (c) => c.notNull())
        .addColumn('added_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('tpp_redirect_hosts_pk', ['organization_identifier', 'host'])
        .execute();
    },
  },
  '0007_sandbox_funds_permissions_per_tpp': {
    async up(db: Kysely<unknown>): Promise<void> {
      // A PSU's permission to confirm funds names the TPP. The rows before named none (every TPP could
      // check): they are dropped, not carried over to every TPP; `psd2-gateway sandbox-funds allow`
      // grants again.
      await db.schema.dropTable('sandbox_funds_permissions').execute();
      await db.schema
        .createTable('sandbox_funds_permissions')
        .addColumn('iban', 'varchar(34)', (c) => c.notNull())
        .addColumn('tpp_organization_identifier', 'varchar(256)', (c) => c.notNull())
        .addPrimaryKeyConstraint('sandbox_funds_permissions_pk', ['iban', 'tpp_organization_identifier'])
        .execute();
    },
  },
};
