import type { Kysely } from 'kysely';
import type { AttemptCount, SignInAttemptStore } from '../sca/sign_in_limiter';
import type { OAuthTables } from './oauth_schema';

/**
 * SignInAttemptStore on Kysely. Counting is one upsert with RETURNING (SQLite 3.35+, PostgreSQL), so
 * concurrent attempts from several processes each get their own count. In an UPDATE's SET list every
 * column reference reads the row as it was before the statement, on both databases.
 */
export class KyselySignInAttemptRepository implements SignInAttemptStore {
  constructor(private readonly db: Kysely<OAuthTables>) {}

  async countAttempt(key: string, at: Date, resetBefore: Date, limit: number): Promise<AttemptCount> {
    const now = at.getTime();
    const cutoff = resetBefore.getTime();
    const row = await this.db
      .insertInto('oauth_sign_in_attempt')
      .values({ key, attempts: 1, last_counted_at: now })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet((eb) => {
          const stale = eb('oauth_sign_in_attempt.last_counted_at', '<', cutoff);
          return {
            attempts: eb
              .case()
              .when(stale)
              .then(1)
              .else(eb('oauth_sign_in_attempt.attempts', '+', 1))
              .end(),
            last_counted_at: eb
              .case()
              .when(stale)
              .then(now)
              .when('oauth_sign_in_attempt.attempts', '>=', limit)
              .then(eb.ref('oauth_sign_in_attempt.last_counted_at'))
              .else(now)
              .end(),
          };
        }),
      )
      .returning(['attempts', 'last_counted_at'])
      .executeTakeFirstOrThrow();
    return { attempts: Number(row.attempts), lastCountedAt: new Date(Number(row.last_counted_at)) };
  }

  async forgiveAttempt(key: string, clear: boolean): Promise<void> {
    if (clear) {
      await this.db.deleteFrom('oauth_sign_in_attempt').where('key', '=', key).execute();
      return;
    }
    await this.db
      .updateTable('oauth_sign_in_attempt')
      .set((eb) => ({ attempts: eb('attempts', '-', 1) }))
      .where('key', '=', key)
      .where('attempts', '>', 0)
      .execute();
  }
}
