import type { Kysely } from 'kysely';
import type { DashboardSession, DashboardSessionStore } from '../psu/consent_dashboard';
import type { OAuthTables } from './oauth_schema';

/** The consent dashboard's signed-in sessions; like every session secret, only the id's hash is stored. */
export class KyselyDashboardSessionRepository implements DashboardSessionStore {
  constructor(private readonly db: Kysely<OAuthTables>) {}

  async create(s: DashboardSession): Promise<void> {
    await this.db
      .insertInto('psu_dashboard_session')
      .values({
        id_hash: s.idHash,
        csrf_token: s.csrfToken,
        psu_id: s.psuId,
        psu_name: s.psuName,
        expires_at: s.expiresAt.toISOString(),
      })
      .execute();
  }

  async find(idHash: string): Promise<DashboardSession | undefined> {
    const row = await this.db
      .selectFrom('psu_dashboard_session')
      .selectAll()
      .where('id_hash', '=', idHash)
      .executeTakeFirst();
    return row === undefined
      ? undefined
      : {
          idHash: row.id_hash,
          csrfToken: row.csrf_token,
          psuId: row.psu_id,
          psuName: row.psu_name,
          expiresAt: new Date(row.expires_at),
        };
  }

  async delete(idHash: string): Promise<void> {
    await this.db.deleteFrom('psu_dashboard_session').where('id_hash', '=', idHash).execute();
  }
}
