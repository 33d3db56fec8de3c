/**
 * A bounded map for copies of rows that change rarely and are read on every request. Kept only while
 * `trusted()` says change notices arrive (PostgreSQL LISTEN connection up); otherwise every lookup goes
 * to the source. Entries are dropped by notice (`forget`, `clear`), never by age: a notice is how a
 * change is learnt.
 */
export class BoundedCache<V> {
  private readonly entries = new Map<string, V>();
  /** Bumped by clear(): a lookup that started before it must not store its (possibly stale) answer. */
  private generation = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly trusted: () => boolean,
  ) {}

  /** The cached value, or `load()`'s, which is kept when `keep` allows it. */
  async get(
    key: string,
    load: () => Promise<V | undefined>,
    keep: (value: V) => boolean = () => true,
  ): Promise<V | undefined> {
    if (!this.trusted()) return load();
    const hit = this.entries.get(key);
    if (hit !== undefined) return hit;
    const generation = this.generation;
    const value = await load();
    if (value !== undefined && keep(value) && generation === this.generation && this.trusted()) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(key, value);
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
