/**
 * Fetched revocation data (an OCSP answer, a CRL from a distribution point), kept until it expires and
 * fetched again before that, in the background, so that once warm the request path never waits on a
 * responder. An entry nobody asked for since its last fetch is dropped at its refresh time instead of
 * refreshed: the cache follows the TPPs that actually call. A failed refresh keeps the entry (still
 * valid until it expires) and retries.
 */
export type Loaded<T> =
  | {
      ok: true;
      value: T;
      expiresAt: Date;
      /** Equal fingerprints mean an unchanged answer; a change is reported to `onChange`. */
      fingerprint: string;
    }
  | { ok: false; problem: string };

export interface RevocationCacheOptions {
  /** Called when a refresh replaced an answer with a different one (cached verdicts must go). */
  onChange?: () => void;
  /** After a failed background refresh, the next attempt; default 30 s. */
  retryMs?: number;
  /** Longest wait before a refresh, however far away expiry is; default 12 h. */
  maxRefreshMs?: number;
  maxEntries?: number;
}

interface Entry<T> {
  loaded: Extract<Loaded<T>, { ok: true }>;
  refreshAt: number;
  used: boolean;
  timer: NodeJS.Timeout | undefined;
  load: (at: Date) => Promise<Loaded<T>>;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export class RevocationCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly inFlight = new Map<string, Promise<Loaded<T>>>();
  private readonly retryMs: number;
  private readonly maxRefreshMs: number;
  private readonly maxEntries: number;
  private closed = false;
  /** Fetches made on the request path (cold or expired) and in the background, for tests and metrics. */
  readonly stats = { waited: 0, background: 0, hits: 0 };

  constructor(private readonly options: RevocationCacheOptions = {}) {
    this.retryMs = options.retryMs ?? 30_000;
    this.maxRefreshMs = options.maxRefreshMs ?? 12 * 3600_000;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  /** The cached answer while it has not expired at `at`; otherwise loads now (one load per key at a time). */
  async get(key: string, at: Date, load: (at: Date) => Promise<Loaded<T>>): Promise<Loaded<T>> {
    const entry = this.entries.get(key);
    if (entry !== undefined && at < entry.loaded.expiresAt) {
      entry.used = true;
      this.stats.hits++;
      if (at.getTime() >= entry.refreshAt) void this.refresh(key);
      return entry.loaded;
    }
    this.stats.waited++;
    return this.loadOnce(key, at, load);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Stops every refresh timer (the process is shutting down). */
  close(): void {
    this.closed = true;
    for (const entry of this.entries.values()) clearTimeout(entry.timer);
    this.entries.clear();
  }

  private loadOnce(key: string, at: Date, load: (at: Date) => Promise<Loaded<T>>): Promise<Loaded<T>> {
    const pending = this.inFlight.get(key);
    if (pending !== undefined) return pending;
    const promise = load(at)
      .catch((error: unknown): Loaded<T> => ({ ok: false, problem: (error as Error).message }))
      .then((loaded) => {
        this.inFlight.delete(key);
        if (loaded.ok) this.store(key, loaded, load);
        return loaded;
      });
    this.inFlight.set(key, promise);
    return promise;
  }

  private async refresh(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (entry === undefined || this.inFlight.has(key)) return;
    this.stats.background++;
    const loaded = await this.loadOnce(key, new Date(), entry.load);
    if (!loaded.ok && this.entries.get(key) === entry) this.schedule(key, entry, Date.now() + this.retryMs);
  }

  private store(key: string, loaded: Extract<Loaded<T>, { ok: true }>, load: Entry<T>['load']): void {
    if (this.closed) return;
    const now = Date.now();
    const previous = this.entries.get(key);
    if (previous !== undefined) clearTimeout(previous.timer);
    else if (this.entries.size >= this.maxEntries) this.evictOldest();
    const lifetime = loaded.expiresAt.getTime() - now;
    const entry: Entry<T> = {
      loaded,
      refreshAt: now + Math.min(Math.max(lifetime, 0) * 0.75, this.maxRefreshMs),
      used: previous?.used ?? true,
      timer: undefined,
      load,
    };
    this.entries.delete(key);
    this.entries.set(key, entry);
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
          this.entries.delete(key);
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
    clearTimeout(oldest.value[1].timer);
    this.entries.delete(oldest.value[0]);
  }
}
