import { DEFAULT_MAX_REFRESH_MS, REFRESH_AT_FRACTION } from '../revocation/revocation_cache';
import type { CandidateChain, ClientIdentityVerdict, ClientIdentityVerifier } from './client_identity';

export interface CachedIdentityVerifierOptions {
  /** Bound on remembered chains; the oldest entry is dropped first. */
  maxEntries?: number;
  /** Refusals are remembered briefly: long enough to make a flood cheap, short enough to notice a fix. */
  refusalTtlMs?: number;
}

interface Entry {
  verdict: ClientIdentityVerdict;
  expiresAt: number;
  generation: number;
}

/**
 * Steady-state requests pay a map lookup, not a verification. A verdict is reused only until the
 * earliest notAfter or CRL nextUpdate it depended on, and never across a revocation-data reload.
 */
export class CachedIdentityVerifier implements ClientIdentityVerifier {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<ClientIdentityVerdict>>();
  /**
   * The key of a chain object already seen. The TLS layer hands every request on a connection the same
   * chain object, so a keep-alive request pays a WeakMap lookup instead of hashing the whole chain again
   * (SHA-256 over ~2.5 kB was two thirds of a cache hit). Keys depend on content only, so they survive
   * invalidate().
   */
  private readonly keys = new WeakMap<CandidateChain, string>();
  private readonly maxEntries: number;
  private readonly refusalTtlMs: number;
  private generation = 0;
  /** Lookups answered from the cache and those that went to the verifier, for the metrics. */
  readonly stats = { hits: 0, misses: 0 };

  constructor(
    private readonly inner: ClientIdentityVerifier,
    private readonly keyOf: (chain: CandidateChain) => string,
    options: CachedIdentityVerifierOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.refusalTtlMs = options.refusalTtlMs ?? 60_000;
  }

  /** Forget every verdict, e.g. after CRLs were reloaded. Validations under way are not cached. */
  invalidate(): void {
    this.generation++;
    this.entries.clear();
    this.inFlight.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private keyFor(chain: CandidateChain): string {
    let key = this.keys.get(chain);
    if (key === undefined) {
      key = this.keyOf(chain);
      this.keys.set(chain, key);
    }
    return key;
  }

  /** A remembered verdict still in force, counted as a hit; undefined (nothing counted) otherwise. */
  knownVerdict(chain: CandidateChain, at: Date): ClientIdentityVerdict | undefined {
    const hit = this.entries.get(this.keyFor(chain));
    if (hit === undefined || hit.generation !== this.generation || at.getTime() >= hit.expiresAt)
      return undefined;
    this.stats.hits++;
    return hit.verdict;
  }

  async verify(chain: CandidateChain, at: Date): Promise<ClientIdentityVerdict> {
    const known = this.knownVerdict(chain, at);
    if (known !== undefined) return known;
    const key = this.keyFor(chain);
    const now = at.getTime();
    this.stats.misses++;
    // A verdict past its time (or of an earlier generation) is dropped now rather than left to the bound.
    this.entries.delete(key);

    const pending = this.inFlight.get(key);
    if (pending !== undefined) return pending;

    const generation = this.generation;
    const promise = this.inner.verify(chain, at).then(
      (verdict) => {
        if (this.inFlight.get(key) === promise) this.inFlight.delete(key);
        if (generation === this.generation) this.remember(key, verdict, now, generation);
        return verdict;
      },
      (error: unknown) => {
        if (this.inFlight.get(key) === promise) this.inFlight.delete(key);
        throw error;
      },
    );
    this.inFlight.set(key, promise);
    return promise;
  }

  private remember(key: string, verdict: ClientIdentityVerdict, now: number, generation: number): void {
    // An admission is re-derived by the time the revocation answers it rests on are due for their
    // background refresh: the request that re-derives it finds them still valid (no wait on the network)
    // and marks them in use, so they keep being refreshed while the TPP keeps calling.
    const remaining = verdict.validUntil.getTime() - now;
    let expiresAt = now + Math.min(remaining * REFRESH_AT_FRACTION, DEFAULT_MAX_REFRESH_MS);
    if (!verdict.ok) expiresAt = Math.min(verdict.validUntil.getTime(), now + this.refusalTtlMs);
    if (!(expiresAt > now)) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { verdict, expiresAt, generation });
  }
}
