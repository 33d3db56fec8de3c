import { createHash } from 'node:crypto';

/**
 * What the revocation sources remember about a location until a set time (a responder that did not
 * answer, a source whose answer was unusable), within a fixed number of entries. Locations come from
 * certificates, so their number and length are the issuing CAs' choice, not ours: keys are digests of
 * fixed size, the remembered text is clipped, and when the memory is full the expired entries go first,
 * then the oldest ones. Forgetting early only means one more fetch.
 */
export class ExpiringMemory<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  constructor(private readonly maxEntries: number) {
    if (!(maxEntries >= 1)) throw new RangeError('ExpiringMemory needs room for one entry at least');
  }

  /** The value remembered for `key` if it has not expired at `now`. */
  get(key: string, now: number): V | undefined {
    const digest = digestOf(key);
    const entry = this.entries.get(digest);
    if (entry === undefined) return undefined;
    if (now < entry.until) return entry.value;
    this.entries.delete(digest);
    return undefined;
  }

  set(key: string, value: V, until: number, now: number): void {
    const digest = digestOf(key);
    // Re-inserted, so that Map order stays the order of the last write: the oldest is first.
    this.entries.delete(digest);
    if (this.entries.size >= this.maxEntries) this.makeRoom(now);
    this.entries.set(digest, { value, until });
  }

  delete(key: string): void {
    this.entries.delete(digestOf(key));
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private makeRoom(now: number): void {
    for (const [digest, entry] of this.entries) if (entry.until <= now) this.entries.delete(digest);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) return;
      this.entries.delete(oldest.value);
    }
  }
}

function digestOf(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}

/** Remembered problem texts are kept this short: a location or an error message can be long. */
export const MAX_REMEMBERED_TEXT = 300;

export function clipped(text: string): string {
  return text.length <= MAX_REMEMBERED_TEXT ? text : `${text.slice(0, MAX_REMEMBERED_TEXT - 1)}…`;
}
