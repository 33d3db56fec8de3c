import type { Kysely } from 'kysely';
import type { StopListSource, TppBlock } from '../tpp/stop_list';
import { publishChange } from './change_notice';
import type { Database } from './schema';

/** The stop list's rows; every change bumps the version row in the same transaction. */
export class KyselyTppStopList implements StopListSource {
  constructor(private readonly db: Kysely<Database>) {}

  /** Adds or re-words a block; `created` is false when the subject was already blocked. */
  async block(subject: string, reason: string, at: Date): Promise<{ created: boolean }> {
    return this.db.transaction().execute(async (trx) => {
      const existing = await trx
        .selectFrom('tpp_stop_list')
        .select('subject')
        .where('subject', '=', subject)
        .executeTakeFirst();
      if (existing === undefined) {
        await trx
          .insertInto('tpp_stop_list')
          .values({ subject, reason, blocked_at: at.toISOString() })
          .execute();
      } else {
        await trx.updateTable('tpp_stop_list').set({ reason }).where('subject', '=', subject).execute();
      }
      await bumpVersion(trx);
      return { created: existing === undefined };
    });
  }

  /** Whether the subject was blocked. */
  async unblock(subject: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx.deleteFrom('tpp_stop_list').where('subject', '=', subject).executeTakeFirst();
      const removed = result.numDeletedRows > 0n;
      if (removed) await bumpVersion(trx);
      return removed;
    });
  }

  async list(): Promise<TppBlock[]> {
    const rows = await this.db.selectFrom('tpp_stop_list').selectAll().orderBy('blocked_at').execute();
    return rows.map((r) => ({ subject: r.subject, reason: r.reason, blockedAt: r.blocked_at }));
  }

  async version(): Promise<number> {
    const row = await this.db
      .selectFrom('tpp_stop_list_version')
      .select('version')
      .where('id', '=', 1)
      .executeTakeFirst();
    return Number(row?.version ?? 0);
  }
}

/** The version row the gateways poll, and (PostgreSQL) a notice delivered at commit so none waits for its poll. */
async function bumpVersion(trx: Kysely<Database>): Promise<void> {
  await trx
    .updateTable('tpp_stop_list_version')
    .set((eb) => ({ version: eb('version', '+', 1) }))
    .where('id', '=', 1)
    .execute();
  await publishChange(trx, { topic: 'stop_list' });
}
