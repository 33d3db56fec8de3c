import { sql, type Kysely } from 'kysely';
import type { Database } from './schema';
import type { DailyFigures, Downtime, EbaStatisticsRepository } from '../ops/eba_statistics';
import type { EbaService } from '../ops/eba_service';

interface EbaTables {
  eba_daily: { day: string; service: string; requests: number; errors: number; total_ms: number };
  eba_downtime: { id: string; service: string; started_at: string; ended_at: string | null };
  eba_psu_interface_daily: {
    day: string;
    service: string;
    availability: number;
    avg_response_ms: number;
    error_rate: number;
  };
}

/** The PSU interface's figures for one day and service, as the bank reports them. */
export interface PsuInterfaceFigures {
  day: string;
  service: EbaService;
  /** 0..1 */
  availability: number;
  avgResponseMs: number;
  /** 0..1 */
  errorRate: number;
}

/** PostgreSQL returns bigint and numeric columns as text. */
const num = (value: unknown): number => Number(value);

export class KyselyEbaStatistics implements EbaStatisticsRepository {
  private readonly db: Kysely<EbaTables>;

  constructor(db: Kysely<Database>) {
    this.db = db as unknown as Kysely<EbaTables>;
  }

  async addDaily(figures: readonly DailyFigures[]): Promise<void> {
    for (const f of figures) {
      // Several workers add to the same row: the increment happens in the database.
      await this.db
        .insertInto('eba_daily')
        .values({
          day: f.day,
          service: f.service,
          requests: f.requests,
          errors: f.errors,
          total_ms: f.totalMs,
        })
        .onConflict((oc) =>
          oc.columns(['day', 'service']).doUpdateSet({
            requests: sql`eba_daily.requests + excluded.requests`,
            errors: sql`eba_daily.errors + excluded.errors`,
            total_ms: sql`eba_daily.total_ms + excluded.total_ms`,
          }),
        )
        .execute();
    }
  }

  async openDowntime(downtime: Downtime): Promise<void> {
    await this.db
      .insertInto('eba_downtime')
      .values({ id: downtime.id, service: downtime.service, started_at: downtime.startedAt, ended_at: null })
      .execute();
  }

  async closeDowntime(id: string, endedAt: string): Promise<void> {
    await this.db.updateTable('eba_downtime').set({ ended_at: endedAt }).where('id', '=', id).execute();
  }

  async daily(fromDay: string, toDay: string): Promise<DailyFigures[]> {
    const rows = await this.db
      .selectFrom('eba_daily')
      .selectAll()
      .where('day', '>=', fromDay)
      .where('day', '<=', toDay)
      .orderBy('day')
      .execute();
    return rows.map((r) => ({
      day: r.day,
      service: r.service as EbaService,
      requests: num(r.requests),
      errors: num(r.errors),
      totalMs: num(r.total_ms),
    }));
  }

  /** Downtimes that overlap [from, to) (ISO timestamps). */
  async downtimes(from: string, to: string): Promise<Downtime[]> {
    const rows = await this.db
      .selectFrom('eba_downtime')
      .selectAll()
      .where('started_at', '<', to)
      .where((eb) => eb.or([eb('ended_at', 'is', null), eb('ended_at', '>', from)]))
      .orderBy('started_at')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      service: r.service as EbaService,
      startedAt: r.started_at,
      endedAt: r.ended_at,
    }));
  }

  /** Replaces the PSU interface's figures for the days and services given. */
  async importPsuInterface(figures: readonly PsuInterfaceFigures[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (const f of figures) {
        await trx
          .deleteFrom('eba_psu_interface_daily')
          .where('day', '=', f.day)
          .where('service', '=', f.service)
          .execute();
        await trx
          .insertInto('eba_psu_interface_daily')
          .values({
            day: f.day,
            service: f.service,
            availability: f.availability,
            avg_response_ms: f.avgResponseMs,
            error_rate: f.errorRate,
          })
          .execute();
      }
    });
  }

  async psuInterface(fromDay: string, toDay: string): Promise<PsuInterfaceFigures[]> {
    const rows = await this.db
      .selectFrom('eba_psu_interface_daily')
      .selectAll()
      .where('day', '>=', fromDay)
      .where('day', '<=', toDay)
      .orderBy('day')
      .execute();
    return rows.map((r) => ({
      day: r.day,
      service: r.service as EbaService,
      availability: num(r.availability),
      avgResponseMs: num(r.avg_response_ms),
      errorRate: num(r.error_rate),
    }));
  }
}
