/** How long a copy is used at most, notice or not (the default of `ttlMs`). */
export const CACHE_TTL_MS = 60_000;

/**
 * A bounded map for copies of rows that change rarely and are read on every request. Kept only while
 * `trusted()` says change notices arrive (PostgreSQL LISTEN connection up); otherwise every lookup goes
 * to the source. Entries are dropped by notice (`forget`, `clear`), and also once `ttlMs` old: a notice
 * can be lost in ways the listener cannot see (a writer that crashed between commit and NOTIFY, a
 * connection that dies between heartbeats), and the age limit bounds how long such a copy is served.
 */
export class BoundedCache<V> {
  private readonly entries = new Map<string, { value: V; storedAt: number }>();
  /** Bumped by clear(): a lookup that started before it must not store its (possibly stale) answer. */
  private generation = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly trusted: () => boolean,
    private readonly options: { ttlMs?: number; now?: () => number } = {},
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** The cached value, or `load()`'s, which is kept when `keep` allows it. */
  async get(
    key: string,
    load: () => Promise<V | undefined>,
    keep: (value: V) => boolean = () => true,
  ): Promise<V | undefined> {
    if (!this.trusted()) return load();
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      if (this.now() - hit.storedAt < (this.options.ttlMs ?? CACHE_TTL_MS)) return hit.value;
      this.entries.delete(key);
    }
    const generation = this.generation;
    // Aged from before the load: the row may have changed while it was read.
    const loadedAt = this.now();
    const value = await load();
    if (value !== undefined && keep(value) && generation === this.generation && this.trusted()) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(key, { value, storedAt: loadedAt });
    }
    return value;
  }

  forget(key: string): void {
    this.entries.delete(key);
    // A load of this key under way may have read the row before the change: make it not store.
    this.generation++;
  }

  clear(): void {
    this.entries.clear();
    this.generation++;
  }

  get size(): number {
    return this.entries.size;
  }
}
