import { sql, type Kysely, type Migration } from 'kysely';
import { AUDIT_GENESIS_HASH } from '../audit/audit_chain';

/**
 * Tables of the gateway's operational side: the audit trail (a hash chain) and the EBA statistics. Part of
 * the store's one set (migrations.ts), named `0200_` so they sort after every table that existed before
 * them.
 */
export const operationsMigrations: Record<string, Migration> = {
  '0200_audit_and_statistics': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('audit_log')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('at', 'varchar(32)', (c) => c.notNull())
        .addColumn('instance', 'varchar(128)', (c) => c.notNull())
        .addColumn('type', 'varchar(64)', (c) => c.notNull())
        .addColumn('request_id', 'varchar(64)')
        .addColumn('tpp', 'varchar(256)')
        .addColumn('thumbprint', 'varchar(64)')
        .addColumn('subject', 'varchar(128)')
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('prev_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('hash', 'varchar(64)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_log_at_idx').on('audit_log').column('at').execute();
      // One row: the chain's last sequence number and hash. Appenders lock it, so every instance writes
      // one global chain; it also lets `audit verify` notice records cut from the end.
      await db.schema
        .createTable('audit_head')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('hash', 'varchar(64)', (c) => c.notNull())
        .execute();
      await sql`insert into audit_head (id, seq, hash) values (1, 0, ${AUDIT_GENESIS_HASH})`.execute(db);

      await db.schema
        .createTable('eba_daily')
        .addColumn('day', 'varchar(10)', (c) => c.notNull())
        .addColumn('service', 'varchar(8)', (c) => c.notNull())
        .addColumn('requests', 'bigint', (c) => c.notNull())
        .addColumn('errors', 'bigint', (c) => c.notNull())
        .addColumn('total_ms', 'double precision', (c) => c.notNull())
        .addPrimaryKeyConstraint('eba_daily_pk', ['day', 'service'])
        .execute();
      await db.schema
        .createTable('eba_downtime')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('service', 'varchar(8)', (c) => c.notNull())
        .addColumn('started_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('ended_at', 'varchar(32)')
        .execute();
      await db.schema
        .createTable('eba_psu_interface_daily')
        .addColumn('day', 'varchar(10)', (c) => c.notNull())
        .addColumn('service', 'varchar(8)', (c) => c.notNull())
        .addColumn('availability', 'double precision', (c) => c.notNull())
        .addColumn('avg_response_ms', 'double precision', (c) => c.notNull())
        .addColumn('error_rate', 'double precision', (c) => c.notNull())
        .addPrimaryKeyConstraint('eba_psu_interface_daily_pk', ['day', 'service'])
        .execute();
    },
  },
};
