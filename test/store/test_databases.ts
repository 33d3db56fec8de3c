import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { openStore, type OpenStoreOptions, type Store } from '../../src/store/open_store';

/**
 * Throwaway databases for store tests: a SQLite file in a fresh temp directory, or a fresh PostgreSQL
 * database `psd2_test_<random>` dropped afterwards. PostgreSQL is probed once, synchronously, so suites
 * can be declared skipped at collection time; with CI=true an unreachable server fails instead.
 */
export type DatabaseKind = 'sqlite' | 'postgres';

export interface TestDatabase {
  kind: DatabaseKind;
  url: string;
  drop(): Promise<void>;
}

const ADMIN_URL = process.env.PSD2_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function probePostgres(): boolean {
  const script = `const {Client}=require('pg');const c=new Client({connectionString:${JSON.stringify(ADMIN_URL)},connectionTimeoutMillis:2000});c.connect().then(()=>c.end()).then(()=>process.exit(0),()=>process.exit(1));`;
  const result = spawnSync(process.execPath, ['-e', script], { timeout: 5000, cwd: process.cwd() });
  return result.status === 0;
}

export const POSTGRES_AVAILABLE = probePostgres();

if (!POSTGRES_AVAILABLE) {
  if (process.env.CI === 'true') {
    throw new Error(
      `PostgreSQL is not reachable at ${ADMIN_URL} and CI=true: PostgreSQL tests must run in CI`,
    );
  }
  console.warn(
    `PostgreSQL not reachable at ${ADMIN_URL}: PostgreSQL store tests are SKIPPED (set CI=true to fail instead)`,
  );
}

export const DATABASE_KINDS: DatabaseKind[] = ['sqlite', 'postgres'];

/** `describe` for SQLite, and for PostgreSQL when a server answers. */
export function describeForDatabase(kind: DatabaseKind): jest.Describe {
  return kind === 'postgres' && !POSTGRES_AVAILABLE ? describe.skip : describe;
}

export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'psd2-store-'));
    return {
      kind,
      url: `sqlite:${path.join(dir, 'gateway.db')}`,
      drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
    };
  }
  const name = `psd2_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    kind,
    url: url.toString(),
    async drop() {
      const client = new Client({ connectionString: ADMIN_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

export interface TestStore {
  /** The store currently open; valid once the suite's beforeAll hooks ran. */
  readonly store: Store;
  /** Closes the open store and opens the same database again (a restart). */
  reopen(options?: OpenStoreOptions): Promise<Store>;
  readonly url: string;
}

/**
 * A migrated store on a throwaway database for the enclosing `describe`, opened before its tests and
 * dropped after them.
 */
export function useTestStore(kind: DatabaseKind): TestStore {
  let database: TestDatabase | undefined;
  let current: Store | undefined;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    current = await openStore(database.url);
  });
  afterAll(async () => {
    await current?.close();
    await database?.drop();
  });
  const opened = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the test store is opened in beforeAll');
    return value;
  };
  return {
    get store() {
      return opened(current);
    },
    get url() {
      return opened(database).url;
    },
    async reopen(options) {
      await current?.close();
      current = undefined;
      current = await openStore(opened(database).url, options);
      return current;
    },
  };
}
