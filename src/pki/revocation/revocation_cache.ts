/**
 * Fetched revocation data (an OCSP answer, a CRL from a distribution point), kept until it expires and
 * fetched again before that, in the background, so that once warm the request path never waits on a
 * responder. An entry nobody asked for since its last fetch is dropped at its refresh time instead of
 * refreshed: the cache follows the TPPs that actually call. A failed refresh keeps the entry (still
 * valid until it expires) and retries. A failed load with no valid entry to fall back on is remembered for
 * `retryMs`: requests in that time get the same failure without a fetch, so a responder that is down, or a
 * CRL that is stale or badly signed, costs one fetch (and one parse) per key every 30 s, not one per request.
 */
export type Loaded<T> =
  | {
      ok: true;
      value: T;
      expiresAt: Date;
      /** Equal fingerprints mean an unchanged answer; a change is reported to `onChange`. */
      fingerprint: string;
    }
  | {
      ok: false;
      problem: string;
      /** The failure says nothing about the source (the request ran out of time): not remembered. */
      transient?: true;
    };

import { clipped, ExpiringMemory } from './expiring_memory';

export interface RevocationCacheOptions<T> {
  /** Called when a refresh replaced an answer with a different one (cached verdicts must go). */
  onChange?: () => void;
  /** After a failed background refresh, the next attempt; default 30 s. */
  retryMs?: number;
  /** Longest wait before a refresh, however far away expiry is; default 12 h. */
  maxRefreshMs?: number;
  maxEntries?: number;
  /** Size of a value (bytes, roughly); with `maxWeight`, the oldest entries go once the sum exceeds it. */
  weigh?: (value: T) => number;
  maxWeight?: number;
}

/** Loads an answer; `background` is true for a refresh nobody waits on (no request deadline applies). */
export type Load<T> = (at: Date, background: boolean) => Promise<Loaded<T>>;

interface Entry<T> {
  loaded: Extract<Loaded<T>, { ok: true }>;
  refreshAt: number;
  used: boolean;
  timer: NodeJS.Timeout | undefined;
  load: Load<T>;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/** Share of an answer's remaining lifetime after which it is refreshed in the background. */
export const REFRESH_AT_FRACTION = 0.75;
/** Default longest wait before a refresh. */
export const DEFAULT_MAX_REFRESH_MS = 12 * 3600_000;

export class RevocationCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly failures: ExpiringMemory<Extract<Loaded<T>, { ok: false }>>;
  private weight = 0;
  private readonly inFlight = new Map<string, Promise<Loaded<T>>>();
  private readonly retryMs: number;
  private readonly maxRefreshMs: number;
  private readonly maxEntries: number;
  private closed = false;
  /** Fetches made on the request path (cold or expired) and in the background, for tests and metrics. */
  readonly stats = { waited: 0, background: 0, hits: 0, failuresServed: 0 };

  constructor(private readonly options: RevocationCacheOptions<T> = {}) {
    this.retryMs = options.retryMs ?? 30_000;
    this.maxRefreshMs = options.maxRefreshMs ?? DEFAULT_MAX_REFRESH_MS;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.failures = new ExpiringMemory(this.maxEntries);
  }

  /** The cached answer while it has not expired at `at`; otherwise loads now (one load per key at a time). */
  async get(key: string, at: Date, load: Load<T>): Promise<Loaded<T>> {
    const entry = this.entries.get(key);
    if (entry !== undefined && at < entry.loaded.expiresAt) {
      entry.used = true;
      this.stats.hits++;
      if (at.getTime() >= entry.refreshAt) void this.refresh(key);
      return entry.loaded;
    }
    const failed = this.failures.get(key, Date.now());
    if (failed !== undefined) {
      this.stats.failuresServed++;
      return failed;
    }
    this.stats.waited++;
    return this.loadOnce(key, at, load);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Failures remembered (each until its retry time), for tests and diagnostics. */
  get failureCount(): number {
    return this.failures.size;
  }

  /** Stops every refresh timer (the process is shutting down). */
  close(): void {
    this.closed = true;
    for (const entry of this.entries.values()) clearTimeout(entry.timer);
    this.entries.clear();
    this.failures.clear();
    this.weight = 0;
  }

  private loadOnce(key: string, at: Date, load: Load<T>, background = false): Promise<Loaded<T>> {
    const pending = this.inFlight.get(key);
    if (pending !== undefined) return pending;
    const promise = load(at, background)
      .catch((error: unknown): Loaded<T> => ({ ok: false, problem: (error as Error).message }))
      .then((loaded) => {
        this.inFlight.delete(key);
        if (loaded.ok) {
          this.failures.delete(key);
          this.store(key, loaded, load);
        } else if (!this.closed && loaded.transient !== true) {
          const now = Date.now();
          this.failures.set(key, { ok: false, problem: clipped(loaded.problem) }, now + this.retryMs, now);
        }
        return loaded;
      });
    this.inFlight.set(key, promise);
    return promise;
  }

  private async refresh(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (entry === undefined || this.inFlight.has(key)) return;
    this.stats.background++;
    const loaded = await this.loadOnce(key, new Date(), entry.load, true);
    if (!loaded.ok && this.entries.get(key) === entry) this.schedule(key, entry, Date.now() + this.retryMs);
  }

  private store(key: string, loaded: Extract<Loaded<T>, { ok: true }>, load: Entry<T>['load']): void {
    if (this.closed) return;
    const now = Date.now();
    const previous = this.entries.get(key);
    if (previous !== undefined) {
      clearTimeout(previous.timer);
      this.weight -= this.weighOf(previous.loaded.value);
    } else if (this.entries.size >= this.maxEntries) this.evictOldest();
    const lifetime = loaded.expiresAt.getTime() - now;
    const entry: Entry<T> = {
      loaded,
      refreshAt: now + Math.min(Math.max(lifetime, 0) * REFRESH_AT_FRACTION, this.maxRefreshMs),
      used: previous?.used ?? true,
      timer: undefined,
      load,
    };
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.weight += this.weighOf(loaded.value);
    // The newest entry stays even alone over the bound: it is the answer the caller is waiting for.
    while (
      this.options.maxWeight !== undefined &&
      this.weight > this.options.maxWeight &&
      this.entries.size > 1
    )
      this.evictOldest();
    this.schedule(key, entry, entry.refreshAt);
    if (previous !== undefined && previous.loaded.fingerprint !== loaded.fingerprint)
      this.options.onChange?.();
  }

  private schedule(key: string, entry: Entry<T>, when: number): void {
    clearTimeout(entry.timer);
    if (this.closed) return;
    const expires = entry.loaded.expiresAt.getTime();
    entry.timer = setTimeout(
      () => {
        if (this.entries.get(key) !== entry) return;
        if (!entry.used || Date.now() >= expires) {
          this.remove(key, entry);
          return;
        }
        entry.used = false;
        void this.refresh(key);
      },
      Math.min(Math.max(when - Date.now(), 1000), MAX_TIMER_MS),
    );
    entry.timer.unref();
  }

  private evictOldest(): void {
    const oldest = this.entries.entries().next();
    if (oldest.done === true) return;
    this.remove(oldest.value[0], oldest.value[1]);
  }

  private remove(key: string, entry: Entry<T>): void {
    clearTimeout(entry.timer);
    this.entries.delete(key);
    this.weight -= this.weighOf(entry.loaded.value);
  }

  private weighOf(value: T): number {
    return this.options.weigh?.(value) ?? 0;
  }
}
