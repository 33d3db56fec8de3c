/**
 * Availability and performance of the dedicated interface, per UTC day and service, for the quarterly
 * publication the RTS (Art. 32(4)) and EBA/GL/2018/07 ask for.
 *
 * Performance: requests, error responses and the sum of response times per day and service, kept in
 * memory and added to the store every few seconds (one upsert per day and service, not one per request).
 *
 * Availability, by the EBA rule: the interface is down from the first of five consecutive requests that
 * were not answered within 30 s, until the next request answered in time. "Not answered" here is: no
 * response at all (the connection closed first), a response after more than 30 s, or a 5xx (the gateway
 * or the bank's systems failed; a refusal of a bad request, 4xx, is an answer). Each worker judges the
 * requests it serves, so with several workers a total outage shows in every worker's streak and the
 * report merges overlapping downtimes.
 */
import { AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../audit/logger';
import type { EbaService } from './eba_service';
import type { ServiceStatistics } from './request_observer';

export const EBA_UNANSWERED_AFTER_MS = 30_000;
export const EBA_CONSECUTIVE_FAILURES = 5;

const DAY_MS = 86_400_000;

export interface DailyFigures {
  day: string;
  service: EbaService;
  requests: number;
  errors: number;
  totalMs: number;
}

export interface Downtime {
  id: string;
  service: EbaService;
  startedAt: string;
  endedAt: string | null;
}

/** Where the figures are kept (store/kysely_eba_statistics.ts). */
export interface EbaStatisticsRepository {
  /** Adds the figures to what the store holds for each day and service. */
  addDaily(figures: readonly DailyFigures[]): Promise<void>;
  openDowntime(downtime: Downtime): Promise<void>;
  closeDowntime(id: string, endedAt: string): Promise<void>;
}

interface Streak {
  failures: number;
  firstFailureAt: number;
  openDowntime: string | undefined;
}

export class EbaStatistics implements ServiceStatistics {
  private pending = new Map<string, DailyFigures>();
  /** Per service, the figures last counted into and the UTC day they cover, so a request needs no date text. */
  private readonly recent = new Map<EbaService, { figures: DailyFigures; from: number; until: number }>();
  private readonly streaks = new Map<EbaService, Streak>();
  private writes: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  /** Store writes run outside the request that triggered them (no request id on their log lines). */
  private readonly scope = new AsyncResource('psd2-eba-statistics');

  constructor(
    private readonly repository: EbaStatisticsRepository,
    private readonly logger?: Logger,
    private readonly flushIntervalMs = 5_000,
  ) {}

  record(
    service: EbaService,
    startedAt: number,
    durationMs: number,
    status: number,
    answered: boolean,
  ): void {
    const figures = this.figuresFor(service, startedAt);
    figures.requests++;
    figures.totalMs += durationMs;
    const failed = !answered || status >= 500 || durationMs > EBA_UNANSWERED_AFTER_MS;
    if (status >= 500 || !answered) figures.errors++;
    const streak = this.streaks.get(service);
    // The common case (an answered request, no failures counted, no downtime open, the flush already
    // scheduled) changes nothing outside these figures: no async scope to enter, nothing to allocate.
    if (!failed && streak?.failures === 0 && streak.openDowntime === undefined && this.timer !== undefined)
      return;
    this.scope.runInAsyncScope(() => {
      this.streak(service, startedAt, failed);
      if (this.timer === undefined) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          void this.flush();
        }, this.flushIntervalMs);
        this.timer.unref();
      }
    });
  }

  /** The pending figures of the UTC day `at` falls on; the last day's are kept at hand per service. */
  private figuresFor(service: EbaService, at: number): DailyFigures {
    const recent = this.recent.get(service);
    if (recent !== undefined && at >= recent.from && at < recent.until) return recent.figures;
    const day = new Date(at).toISOString().slice(0, 10);
    const key = `${day}|${service}`;
    let figures = this.pending.get(key);
    if (figures === undefined)
      this.pending.set(key, (figures = { day, service, requests: 0, errors: 0, totalMs: 0 }));
    const from = Date.parse(`${day}T00:00:00Z`);
    this.recent.set(service, { figures, from, until: from + DAY_MS });
    return figures;
  }

  private streak(service: EbaService, startedAt: number, failed: boolean): void {
    let streak = this.streaks.get(service);
    if (streak === undefined)
      this.streaks.set(service, (streak = { failures: 0, firstFailureAt: 0, openDowntime: undefined }));
    if (!failed) {
      if (streak.openDowntime !== undefined) {
        const id = streak.openDowntime;
        this.enqueue(() => this.repository.closeDowntime(id, new Date(startedAt).toISOString()));
        this.logger?.warn({ event: 'eba_downtime_ended', service }, `${service} interface answering again`);
      }
      streak.failures = 0;
      streak.openDowntime = undefined;
      return;
    }
    if (streak.failures === 0) streak.firstFailureAt = startedAt;
    streak.failures++;
    if (streak.failures === EBA_CONSECUTIVE_FAILURES && streak.openDowntime === undefined) {
      const downtime: Downtime = {
        id: randomUUID(),
        service,
        startedAt: new Date(streak.firstFailureAt).toISOString(),
        endedAt: null,
      };
      streak.openDowntime = downtime.id;
      this.enqueue(() => this.repository.openDowntime(downtime));
      this.logger?.error(
        { event: 'eba_downtime_started', service, since: downtime.startedAt },
        `${service} interface down by the EBA rule (${EBA_CONSECUTIVE_FAILURES} consecutive requests unanswered)`,
      );
    }
  }

  /** Store writes run one after another, in the order the events happened. */
  private enqueue(write: () => Promise<void>): Promise<void> {
    this.writes = this.writes
      .then(write)
      .catch((error: unknown) =>
        this.logger?.error(
          { event: 'eba_statistics_write_failed', error: (error as Error).message },
          'EBA statistics not written',
        ),
      );
    return this.writes;
  }

  /** Adds the figures gathered so far to the store. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const figures = [...this.pending.values()];
    this.pending = new Map();
    this.recent.clear();
    if (figures.length === 0) return this.writes;
    return this.enqueue(() => this.repository.addDaily(figures));
  }
}
