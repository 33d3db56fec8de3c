import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  type Migration,
  type SqliteDatabase,
  type MigrationProvider,
  type LogEvent,
} from 'kysely';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import type { Logger } from '../audit/logger';
import type { ConsentRepository } from '../consent/consent_repository';
import { STORE_MIGRATIONS } from './migrations';
import { KyselyConsentRepository } from './kysely_consent_repository';
import { KyselyPaymentRepository } from './kysely_payment_repository';
import type { PaymentRepository } from '../payment/payment_repository';
import { registerDirectStatements, type DirectStatements } from './prepared_query';
import { SqliteReadSnapshot } from './sqlite_read_snapshot';
import type { Database } from './schema';

export interface OpenStoreOptions {
  logger?: Logger;
  /** Told each statement's duration and whether it failed (the store metrics). */
  onQuery?: (seconds: number, ok: boolean) => void;
}

export interface Store {
  /** Other features reach their own tables with `store.db.withTables<TheirTables>()`. */
  db: Kysely<Database>;
  dialect: 'sqlite' | 'postgres';
  consents: ConsentRepository;
  payments: PaymentRepository;
  close(): Promise<void>;
}

export class StoreError extends Error {
  override name = 'StoreError';
}

/** A MigrationProvider over an in-memory map, so migrations ship inside the build with no file scanning. */
export function migrationProvider(migrations: Readonly<Record<string, Migration>>): MigrationProvider {
  return { getMigrations: () => Promise.resolve(migrations) };
}

/** Distinct SQL texts kept prepared; the gateway issues a few dozen, bulk inserts vary with row count. */
export const STATEMENT_CACHE_SIZE = 256;

interface CachingSqlite extends SqliteDatabase {
  prepare(sql: string): BetterSqlite3.Statement;
}

/**
 * Kysely's SQLite driver prepares every query afresh; preparing was the largest single cost of an AIS
 * read (bench: 13% of the gateway's CPU). Statements are reused by SQL text instead. Kysely runs one
 * query at a time on its single connection, so a cached statement is never in use twice at once, and
 * SQLite re-prepares a statement by itself when the schema changes under it.
 */
export function withStatementCache(database: BetterSqlite3.Database): CachingSqlite {
  // Recency is a use counter on each entry rather than the map's order: moving a key to the end on every
  // use (delete, then set) churned the map's table on each AIS read, and that garbage lived long enough
  // to be promoted. The least recently used entry is looked for only when a new text must be added.
  const statements = new Map<string, { statement: BetterSqlite3.Statement; used: number }>();
  let uses = 0;
  return {
    close: () => database.close(),
    prepare: (sql: string) => {
      const cached = statements.get(sql);
      if (cached !== undefined) {
        cached.used = ++uses;
        return cached.statement;
      }
      const statement = database.prepare(sql);
      if (statements.size >= STATEMENT_CACHE_SIZE) {
        let oldest: string | undefined;
        let oldestUse = Infinity;
        for (const [text, entry] of statements) {
          if (entry.used < oldestUse) {
            oldest = text;
            oldestUse = entry.used;
          }
        }
        if (oldest !== undefined) statements.delete(oldest);
      }
      statements.set(sql, { statement, used: ++uses });
      return statement;
    },
  };
}

/**
 * The server-side name of a prepared statement: derived from its text, since node-postgres refuses a
 * name it has already prepared on a connection with another text.
 */
export function postgresStatementName(sql: string): string {
  return `psd2_${createHash('sha256').update(sql).digest('base64url').slice(0, 22)}`;
}

/**
 * A named statement the connection can no longer run: its result type changed under it (another
 * gateway instance migrated the schema: `select *` gained a column), or the server forgot it (a pooler's
 * DISCARD ALL). Run unnamed, the same query works.
 */
function isStalePreparedStatement(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '0A000' || code === '26000';
}

/** Kysely's own statements, timed through its log hook. */
function queryLog(options: OpenStoreOptions): { log?: (event: LogEvent) => void } {
  const { onQuery } = options;
  if (onQuery === undefined) return {};
  return { log: (event) => onQuery(event.queryDurationMillis / 1000, event.level === 'query') };
}

/** The direct statements (every AIS read) bypass Kysely's hook: timed here. */
function timed(options: OpenStoreOptions, direct: DirectStatements): DirectStatements {
  const { onQuery } = options;
  if (onQuery === undefined) return direct;
  return {
    dialect: direct.dialect,
    run: (sql, parameters) => {
      const started = performance.now();
      const done = (ok: boolean) => onQuery((performance.now() - started) / 1000, ok);
      let result: ReturnType<DirectStatements['run']>;
      try {
        result = direct.run(sql, parameters);
      } catch (error) {
        done(false);
        throw error;
      }
      if (result === undefined) return undefined;
      if (Array.isArray(result)) {
        done(true);
        return result;
      }
      return result.then(
        (rows) => {
          done(true);
          return rows;
        },
        (error: unknown) => {
          done(false);
          throw error;
        },
      );
    },
  };
}

function sqliteFile(databaseUrl: string): string {
  const file = databaseUrl.slice('sqlite:'.length);
  if (file === '') throw new StoreError('sqlite: URL names no file');
  return file;
}

/**
 * Opens the database named by `databaseUrl` (`sqlite:<file>`, `sqlite::memory:`, `postgres://…`) and brings
 * its schema up to date before returning, so no request ever meets an old schema.
 */
export async function openStore(databaseUrl: string, options: OpenStoreOptions = {}): Promise<Store> {
  let db: Kysely<Database>;
  let dialect: Store['dialect'];
  if (databaseUrl.startsWith('sqlite:')) {
    const file = sqliteFile(databaseUrl);
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const database = new BetterSqlite3(file);
    // WAL lets the CLI write while a gateway reads; busy_timeout makes the two wait instead of failing.
    database.pragma('journal_mode = WAL');
    database.pragma('busy_timeout = 5000');
    database.pragma('foreign_keys = ON');
    const cached = withStatementCache(database);
    const snapshot = new SqliteReadSnapshot(database, (error) =>
      options.logger?.warn(
        { event: 'sqlite_snapshot_end_failed', error: error.message },
        'SQLite read snapshot could not be ended cleanly',
      ),
    );
    const forKysely: SqliteDatabase = {
      close: () => {
        snapshot.endBeforeOtherUse();
        database.close();
      },
      prepare: (sql: string) => {
        snapshot.endBeforeOtherUse();
        return cached.prepare(sql);
      },
    };
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: forKysely }), ...queryLog(options) });
    registerDirectStatements(
      db,
      timed(options, {
        dialect: 'sqlite',
        run: (sql, parameters) => {
          const statement = cached.prepare(sql);
          // `reader` alone would let INSERT … RETURNING in: it writes, so it goes through Kysely.
          if (!statement.reader || !statement.readonly) return undefined;
          return snapshot.read(() => statement.all([...parameters]));
        },
      }),
    );
    dialect = 'sqlite';
  } else if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    const pool = new Pool({ connectionString: databaseUrl, max: 10 });
    // An idle client dropped by the server emits 'error' on the pool; unheard, it would end the process.
    pool.on('error', (error) =>
      options.logger?.warn(
        { event: 'postgres_pool_error', error: error.message },
        'PostgreSQL connection lost',
      ),
    );
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...queryLog(options) });
    // Outside a transaction, like Kysely's own non-transactional queries: any pooled connection will do.
    const names = new Map<string, string>();
    registerDirectStatements(
      db,
      timed(options, {
        dialect: 'postgres',
        run: async (sql, parameters) => {
          let name = names.get(sql);
          if (name === undefined) names.set(sql, (name = postgresStatementName(sql)));
          const values = [...parameters];
          try {
            return (await pool.query({ name, text: sql, values })).rows;
          } catch (error) {
            if (!isStalePreparedStatement(error)) throw error;
            // pool.query has already dropped the connection that held the stale statement.
            return (await pool.query({ text: sql, values })).rows;
          }
        },
      }),
    );
    dialect = 'postgres';
  } else {
    throw new StoreError('database URL must start with sqlite: or postgres://');
  }

  // Features add tables independently (core 0003 and 0004 arrived after OAuth's 0100 was applied in the
  // field): each migration runs once, whatever its place in the order.
  const migrator = new Migrator({
    db,
    provider: migrationProvider(STORE_MIGRATIONS),
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  for (const result of results ?? []) {
    if (result.status === 'Success')
      options.logger?.info({ migration: result.migrationName }, 'migration applied');
    if (result.status === 'Error')
      options.logger?.error({ migration: result.migrationName }, 'migration failed');
  }
  if (error !== undefined) {
    await db.destroy();
    throw error instanceof Error ? error : new StoreError(`migration failed: ${String(error)}`);
  }

  return {
    db,
    dialect,
    consents: new KyselyConsentRepository(db),
    payments: new KyselyPaymentRepository(db),
    close: () => db.destroy(),
  };
}
