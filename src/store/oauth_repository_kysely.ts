import type { Kysely, Selectable } from 'kysely';
import type {
  Grant,
  GrantRevocationReason,
  OAuthRepository,
  PsuSession,
  StoredToken,
  TokenRecord,
} from '../oauth/oauth_repository';
import type { OAuthGrantTable, OAuthPsuSessionTable, OAuthTables } from './oauth_schema';
import { publishChange } from './change_notice';
import { PreparedQuery, type ParamSlot } from './prepared_query';

const iso = (d: Date): string => d.toISOString();
const isoOrNull = (d: Date | null): string | null => (d === null ? null : d.toISOString());
const date = (s: string): Date => new Date(s);
const dateOrNull = (s: string | null): Date | null => (s === null ? null : new Date(s));

function toSession(row: Selectable<OAuthPsuSessionTable>): PsuSession {
  return {
    idHash: row.id_hash,
    csrfToken: row.csrf_token,
    clientId: row.client_id,
    redirectUri: row.redirect_uri,
    consentId: row.consent_id,
    state: row.state,
    codeChallenge: row.code_challenge,
    psuId: row.psu_id,
    psuName: row.psu_name,
    failedSignIns: Number(row.failed_sign_ins),
    expiresAt: date(row.expires_at),
    createdAt: date(row.created_at),
  };
}

function toGrant(row: Selectable<OAuthGrantTable>): Grant {
  return {
    id: row.id,
    codeHash: row.code_hash,
    clientId: row.client_id,
    redirectUri: row.redirect_uri,
    codeChallenge: row.code_challenge,
    consentId: row.consent_id,
    psuId: row.psu_id,
    codeExpiresAt: date(row.code_expires_at),
    codeUsedAt: dateOrNull(row.code_used_at),
    revokedAt: dateOrNull(row.revoked_at),
    createdAt: date(row.created_at),
  };
}

/** The token check on every AIS read: compiled once per repository. */
function tokenByHashQuery(db: Kysely<OAuthTables>) {
  return new PreparedQuery(db, (q, p: ParamSlot<{ tokenHash: string }>) =>
    q
      .selectFrom('oauth_token as t')
      .innerJoin('oauth_grant as g', 'g.id', 't.grant_id')
      .select([
        't.token_hash',
        't.grant_id',
        't.kind',
        't.cnf_thumbprint',
        't.expires_at',
        't.rotated_at',
        't.revoked_at',
        't.created_at',
        'g.client_id',
        'g.consent_id',
        'g.revoked_at as grant_revoked_at',
      ])
      .where('t.token_hash', '=', p('tokenHash')),
  );
}

/** OAuthRepository on Kysely; the same queries serve SQLite (better-sqlite3) and PostgreSQL (pg). */
export class OAuthRepositoryKysely implements OAuthRepository {
  private readonly tokenByHash: ReturnType<typeof tokenByHashQuery>;

  constructor(private readonly db: Kysely<OAuthTables>) {
    this.tokenByHash = tokenByHashQuery(db);
  }

  async createSession(s: PsuSession): Promise<void> {
    await this.db
      .insertInto('oauth_psu_session')
      .values({
        id_hash: s.idHash,
        csrf_token: s.csrfToken,
        client_id: s.clientId,
        redirect_uri: s.redirectUri,
        consent_id: s.consentId,
        state: s.state,
        code_challenge: s.codeChallenge,
        psu_id: s.psuId,
        psu_name: s.psuName,
        failed_sign_ins: s.failedSignIns,
        expires_at: iso(s.expiresAt),
        created_at: iso(s.createdAt),
      })
      .execute();
  }

  async findSession(idHash: string): Promise<PsuSession | undefined> {
    const row = await this.db
      .selectFrom('oauth_psu_session')
      .selectAll()
      .where('id_hash', '=', idHash)
      .executeTakeFirst();
    return row === undefined ? undefined : toSession(row);
  }

  async renewSessionAtSignIn(
    idHash: string,
    renewed: { idHash: string; csrfToken: string; psuId: string; psuName: string },
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('oauth_psu_session')
      .set({
        id_hash: renewed.idHash,
        csrf_token: renewed.csrfToken,
        psu_id: renewed.psuId,
        psu_name: renewed.psuName,
      })
      .where('id_hash', '=', idHash)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async recordFailedSignIn(idHash: string): Promise<number> {
    await this.db
      .updateTable('oauth_psu_session')
      .set((eb) => ({ failed_sign_ins: eb('failed_sign_ins', '+', 1) }))
      .where('id_hash', '=', idHash)
      .execute();
    const row = await this.db
      .selectFrom('oauth_psu_session')
      .select('failed_sign_ins')
      .where('id_hash', '=', idHash)
      .executeTakeFirst();
    // A session deleted meanwhile counts as exhausted.
    return row === undefined ? Number.MAX_SAFE_INTEGER : Number(row.failed_sign_ins);
  }

  async deleteSession(idHash: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('oauth_psu_session')
      .where('id_hash', '=', idHash)
      .executeTakeFirst();
    return result.numDeletedRows === 1n;
  }

  async createGrant(g: Grant): Promise<void> {
    await this.db
      .insertInto('oauth_grant')
      .values({
        id: g.id,
        code_hash: g.codeHash,
        client_id: g.clientId,
        redirect_uri: g.redirectUri,
        code_challenge: g.codeChallenge,
        consent_id: g.consentId,
        psu_id: g.psuId,
        code_expires_at: iso(g.codeExpiresAt),
        code_used_at: isoOrNull(g.codeUsedAt),
        revoked_at: isoOrNull(g.revokedAt),
        revoked_reason: null,
        created_at: iso(g.createdAt),
      })
      .execute();
  }

  async findGrantByCodeHash(codeHash: string): Promise<Grant | undefined> {
    const row = await this.db
      .selectFrom('oauth_grant')
      .selectAll()
      .where('code_hash', '=', codeHash)
      .executeTakeFirst();
    return row === undefined ? undefined : toGrant(row);
  }

  async claimCode(grantId: string, usedAt: Date): Promise<boolean> {
    // The WHERE clause is the lock: PostgreSQL re-checks it after a concurrent update commits, SQLite
    // serialises writers, so only one UPDATE can see `code_used_at IS NULL`.
    const result = await this.db
      .updateTable('oauth_grant')
      .set({ code_used_at: iso(usedAt) })
      .where('id', '=', grantId)
      .where('code_used_at', 'is', null)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async revokeGrant(grantId: string, at: Date, reason: GrantRevocationReason): Promise<void> {
    await this.db
      .updateTable('oauth_grant')
      .set({ revoked_at: iso(at), revoked_reason: reason })
      .where('id', '=', grantId)
      .where('revoked_at', 'is', null)
      .execute();
    await publishChange(this.db, { topic: 'token' });
  }

  async revokeGrantsForConsent(consentId: string, at: Date): Promise<number> {
    const reason: GrantRevocationReason = 'consent_revoked';
    const result = await this.db
      .updateTable('oauth_grant')
      .set({ revoked_at: iso(at), revoked_reason: reason })
      .where('consent_id', '=', consentId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    const count = Number(result.numUpdatedRows);
    if (count > 0) await publishChange(this.db, { topic: 'token' });
    return count;
  }

  async insertTokens(tokens: StoredToken[]): Promise<void> {
    if (tokens.length === 0) return;
    await this.db
      .insertInto('oauth_token')
      .values(
        tokens.map((t) => ({
          token_hash: t.tokenHash,
          grant_id: t.grantId,
          kind: t.kind,
          cnf_thumbprint: t.cnfThumbprint,
          expires_at: iso(t.expiresAt),
          rotated_at: isoOrNull(t.rotatedAt),
          revoked_at: isoOrNull(t.revokedAt),
          created_at: iso(t.createdAt),
        })),
      )
      .execute();
  }

  async findToken(tokenHash: string): Promise<TokenRecord | undefined> {
    const row = await this.tokenByHash.executeTakeFirst({ tokenHash });
    if (row === undefined) return undefined;
    return {
      tokenHash: row.token_hash,
      grantId: row.grant_id,
      kind: row.kind,
      cnfThumbprint: row.cnf_thumbprint,
      expiresAt: date(row.expires_at),
      rotatedAt: dateOrNull(row.rotated_at),
      revokedAt: dateOrNull(row.revoked_at),
      createdAt: date(row.created_at),
      clientId: row.client_id,
      consentId: row.consent_id,
      grantRevokedAt: dateOrNull(row.grant_revoked_at),
    };
  }

  async claimRefreshToken(tokenHash: string, at: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('oauth_token')
      .set({ rotated_at: iso(at) })
      .where('token_hash', '=', tokenHash)
      .where('kind', '=', 'refresh')
      .where('rotated_at', 'is', null)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async revokeToken(tokenHash: string, at: Date): Promise<void> {
    await this.db
      .updateTable('oauth_token')
      .set({ revoked_at: iso(at) })
      .where('token_hash', '=', tokenHash)
      .where('revoked_at', 'is', null)
      .execute();
    await publishChange(this.db, { topic: 'token', key: tokenHash });
  }
}
