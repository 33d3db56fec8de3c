import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import type { Logger } from '../audit/logger';
import type { OAuthTables } from './oauth_schema';

/** How often each instance sweeps. Rows live 10 to 15 minutes; a minute more costs nothing. */
export const SWEEP_INTERVAL_MS = 60_000;

export interface ExpiredRowsSweepOptions {
  db: Kysely<OAuthTables>;
  dialect: 'sqlite' | 'postgres';
  /**
   * The sign-in limiter's lock window: a count whose last attempt is older has no effect any more (the
   * next attempt starts a new series), so its row can go.
   */
  signInLockSeconds: number;
  intervalMs?: number;
  now?: () => Date;
  logger?: Logger;
}

/** Rows deleted by one sweep, per table. */
export interface SweepCounts {
  oauth_psu_session: number;
  psu_dashboard_session: number;
  psu_oidc_login: number;
  oauth_sign_in_attempt: number;
  sca_used_one_time_code: number;
}

/**
 * Deletes what browsers leave behind without signing in or finishing: authorisation sessions, dashboard
 * sessions, sign-ins at the bank's identity provider in flight, and sign-in counts past their lock window;
 * and used one-time codes once no verification could accept them any more.
 * Anyone can create such rows, and every reader already ignores an expired one, so nothing else removed
 * them. Every instance sweeps on its own: each statement is an idempotent `DELETE … WHERE` on the expiry,
 * so instances sweeping at once delete each row once between them.
 */
export class ExpiredRowsSweep {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(private readonly options: ExpiredRowsSweepOptions) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      // A slow sweep is not overtaken by the next one.
      this.running ??= this.sweep()
        .catch((error: unknown) =>
          this.options.logger?.warn(
            { event: 'expired_rows_sweep_failed', error: (error as Error).message },
            'expired sessions could not be deleted; the next sweep tries again',
          ),
        )
        .finally(() => (this.running = undefined));
    }, this.options.intervalMs ?? SWEEP_INTERVAL_MS);
    // The sweep alone never keeps the process up; close() stops it before the store closes.
    this.timer.unref();
  }

  /** Stops the timer and waits for a sweep under way, so the store can close after it. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  async sweep(): Promise<SweepCounts> {
    const { db } = this.options;
    const now = (this.options.now ?? (() => new Date()))();
    const expired = (column: 'expires_at'): Expression<SqlBool> =>
      // ISO-8601 UTC text of one width (toISOString) orders as it reads under SQLite's binary collation;
      // PostgreSQL's may not, so there the text is compared as the instant it names.
      this.options.dialect === 'postgres'
        ? sql<SqlBool>`cast(${sql.ref(column)} as timestamptz) <= cast(${now.toISOString()} as timestamptz)`
        : sql<SqlBool>`${sql.ref(column)} <= ${now.toISOString()}`;
    const deleted = async (query: { executeTakeFirst(): Promise<{ numDeletedRows: bigint }> }) =>
      Number((await query.executeTakeFirst()).numDeletedRows);
    const counts: SweepCounts = {
      oauth_psu_session: await deleted(db.deleteFrom('oauth_psu_session').where(expired('expires_at'))),
      psu_dashboard_session: await deleted(
        db.deleteFrom('psu_dashboard_session').where(expired('expires_at')),
      ),
      psu_oidc_login: await deleted(db.deleteFrom('psu_oidc_login').where(expired('expires_at'))),
      oauth_sign_in_attempt: await deleted(
        db
          .deleteFrom('oauth_sign_in_attempt')
          .where('last_counted_at', '<', now.getTime() - this.options.signInLockSeconds * 1000),
      ),
      sca_used_one_time_code: await deleted(
        db.deleteFrom('sca_used_one_time_code').where('expires_at', '<=', now.getTime()),
      ),
    };
    if (Object.values(counts).some((n) => n > 0)) {
      this.options.logger?.debug({ event: 'expired_rows_swept', ...counts });
    }
    return counts;
  }
}
