import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import { Client, Pool } from 'pg';
import type { Grant, StoredToken } from '../../src/oauth/oauth_repository';
import { secretToken } from '../../src/oauth/secret_token';
import { oauthMigrations } from '../../src/store/oauth_migrations';
import { OAuthRepositoryKysely } from '../../src/store/oauth_repository_kysely';
import type { OAuthTables } from '../../src/store/oauth_schema';

interface Backend {
  db: Kysely<OAuthTables>;
  teardown(): Promise<void>;
}

async function migrate(db: Kysely<OAuthTables>): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => oauthMigrations } });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) throw error;
  expect(results?.map((r) => [r.migrationName, r.status])).toEqual([
    ['0100_oauth_tables', 'Success'],
    ['0101_oauth_sign_in_attempts', 'Success'],
    ['0102_psu_dashboard_session', 'Success'],
    ['0103_psu_oidc_login', 'Success'],
    ['0104_psu_oidc_login_started_at', 'Success'],
    ['0105_sca_used_one_time_code', 'Success'],
  ]);
}

async function sqliteFile(): Promise<Backend> {
  const dir = mkdtempSync(path.join(tmpdir(), 'oauth-repo-'));
  const db = new Kysely<OAuthTables>({
    dialect: new SqliteDialect({ database: new Database(path.join(dir, 'gateway.db')) }),
  });
  return {
    db,
    teardown: async () => {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const PG = { host: '127.0.0.1', port: 5432, user: 'postgres' };

/** A throwaway database per run, or undefined when PostgreSQL is not reachable (outside CI). */
async function postgres(): Promise<Backend | undefined> {
  const admin = new Client({ ...PG, database: 'postgres', connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (error) {
    if (process.env.CI === 'true') throw error;
    console.warn(
      `SKIPPED: OAuth repository tests on PostgreSQL: cannot reach ${PG.host}:${PG.port} (${String(error)})`,
    );
    return undefined;
  }
  const database = `oauth_test_${randomUUID().replace(/-/g, '')}`;
  await admin.query(`CREATE DATABASE ${database}`);
  // Pool size 20 so the parallel redemptions below really race on separate connections.
  const pool = new Pool({ ...PG, database, max: 20 });
  // pg requires a listener: without one, an idle client terminated by the server crashes the process.
  pool.on('error', (error) => console.warn(`PostgreSQL idle client error: ${error.message}`));
  const db = new Kysely<OAuthTables>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    teardown: async () => {
      await db.destroy();
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    },
  };
}

const T0 = new Date('2030-01-15T10:00:00.000Z');
const later = (s: number): Date => new Date(T0.getTime() + s * 1000);

function grant(overrides: Partial<Grant> = {}): Grant {
  return {
    id: randomUUID(),
    codeHash: secretToken.hash(secretToken.generate()),
    clientId: 'PSDDE-BAFIN-111111',
    redirectUri: 'https://alice.example/callback',
    codeChallenge: 'c'.repeat(43),
    consentId: `consent-${randomUUID()}`,
    psuId: 'psu-1',
    codeExpiresAt: later(120),
    codeUsedAt: null,
    revokedAt: null,
    createdAt: T0,
    ...overrides,
  };
}

function token(grantId: string, kind: 'access' | 'refresh'): StoredToken {
  return {
    tokenHash: secretToken.hash(secretToken.generate()),
    grantId,
    kind,
    cnfThumbprint: kind === 'access' ? 'thumb' : null,
    expiresAt: later(300),
    rotatedAt: null,
    revokedAt: null,
    createdAt: T0,
  };
}

describe.each([
  ['SQLite file', sqliteFile],
  ['PostgreSQL', postgres],
] as const)('OAuthRepositoryKysely on %s', (_name, open) => {
  let backend: Backend | undefined;
  let repo: OAuthRepositoryKysely;

  beforeAll(async () => {
    backend = await open();
    if (backend === undefined) return;
    await migrate(backend.db);
    repo = new OAuthRepositoryKysely(backend.db);
  });
  afterAll(async () => {
    await backend?.teardown();
  });

  /** Runs the body only when the backend is there; the skip was announced in beforeAll. */
  const maybe = (name: string, body: () => Promise<void>): void => {
    it(name, async () => {
      if (backend === undefined) return;
      await body();
    });
  };

  maybe('stores PSU sessions, counts failed sign-ins and deletes once', async () => {
    const idHash = secretToken.hash(secretToken.generate());
    await repo.createSession({
      idHash,
      csrfToken: 'csrf',
      clientId: 'PSDDE-BAFIN-111111',
      redirectUri: 'https://alice.example/callback',
      consentId: 'consent-1',
      state: 's',
      codeChallenge: 'c'.repeat(43),
      psuId: null,
      psuName: null,
      failedSignIns: 0,
      expiresAt: later(600),
      createdAt: T0,
    });
    expect(await repo.recordFailedSignIn(idHash)).toBe(1);
    expect(await repo.recordFailedSignIn(idHash)).toBe(2);
    const renewed = { idHash: `${idHash}-2`, csrfToken: 'csrf-2', psuId: 'psu-1', psuName: 'Petra Schmidt' };
    expect(await repo.renewSessionAtSignIn(idHash, renewed)).toBe(true);
    expect(await repo.renewSessionAtSignIn(idHash, renewed)).toBe(false);
    expect(await repo.findSession(idHash)).toBeUndefined();
    const found = await repo.findSession(renewed.idHash);
    expect(found).toMatchObject({
      psuId: 'psu-1',
      psuName: 'Petra Schmidt',
      failedSignIns: 2,
      csrfToken: 'csrf-2',
    });
    expect(found?.expiresAt.toISOString()).toBe(later(600).toISOString());
    const deletions = await Promise.all([
      repo.deleteSession(renewed.idHash),
      repo.deleteSession(renewed.idHash),
    ]);
    expect(deletions.filter(Boolean)).toHaveLength(1);
    expect(await repo.findSession(renewed.idHash)).toBeUndefined();
  });

  maybe('round-trips a grant', async () => {
    const g = grant();
    await repo.createGrant(g);
    expect(await repo.findGrantByCodeHash(g.codeHash)).toEqual(g);
    expect(await repo.findGrantByCodeHash('nope')).toBeUndefined();
  });

  maybe('20 parallel redemptions of one code: exactly one succeeds', async () => {
    const g = grant();
    await repo.createGrant(g);
    const results = await Promise.all(Array.from({ length: 20 }, () => repo.claimCode(g.id, later(1))));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await repo.findGrantByCodeHash(g.codeHash))?.codeUsedAt?.toISOString()).toBe(
      later(1).toISOString(),
    );
  });

  maybe('a revoked grant cannot be claimed', async () => {
    const g = grant();
    await repo.createGrant(g);
    await repo.revokeGrant(g.id, later(1), 'consent_revoked');
    expect(await repo.claimCode(g.id, later(2))).toBe(false);
  });

  maybe('20 parallel rotations of one refresh token: exactly one succeeds', async () => {
    const g = grant();
    await repo.createGrant(g);
    const refresh = token(g.id, 'refresh');
    await repo.insertTokens([refresh]);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => repo.claimRefreshToken(refresh.tokenHash, later(1))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  maybe('finds tokens with their grant, and revocation reaches them through the grant', async () => {
    const g = grant();
    await repo.createGrant(g);
    const access = token(g.id, 'access');
    const refresh = token(g.id, 'refresh');
    await repo.insertTokens([access, refresh]);
    expect(await repo.findToken(access.tokenHash)).toEqual({
      ...access,
      clientId: g.clientId,
      consentId: g.consentId,
      grantRevokedAt: null,
    });

    await repo.revokeToken(access.tokenHash, later(5));
    expect((await repo.findToken(access.tokenHash))?.revokedAt?.toISOString()).toBe(later(5).toISOString());
    expect((await repo.findToken(refresh.tokenHash))?.revokedAt).toBeNull();

    await repo.revokeGrant(g.id, later(6), 'code_replayed');
    await repo.revokeGrant(g.id, later(7), 'revoked_by_client');
    const revoked = await repo.findToken(refresh.tokenHash);
    expect(revoked?.grantRevokedAt?.toISOString()).toBe(later(6).toISOString());
  });

  maybe('revokes every grant of a consent, once', async () => {
    const consentId = `consent-${randomUUID()}`;
    await repo.createGrant(grant({ consentId }));
    await repo.createGrant(grant({ consentId }));
    await repo.createGrant(grant());
    expect(await repo.revokeGrantsForConsent(consentId, later(1))).toBe(2);
    expect(await repo.revokeGrantsForConsent(consentId, later(2))).toBe(0);
  });
});
