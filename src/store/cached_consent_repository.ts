import type { Consent } from '../consent/consent';
import type {
  ConsentListFilter,
  ConsentRepository,
  ConsentTransitionParams,
} from '../consent/consent_repository';
import { BoundedCache } from './bounded_cache';

/**
 * Consents by id, kept between requests on PostgreSQL where change notices say when one changed (another
 * instance's DELETE, a PSU's revocation). What a read is admitted on is re-checked in the database by the
 * read's one statement (PostgresReadAdmission), so a notice still in flight cannot let a read through.
 */
export class CachedConsentRepository implements ConsentRepository {
  private readonly cache: BoundedCache<Consent>;

  constructor(
    private readonly inner: ConsentRepository,
    options: { maxEntries?: number; trusted: () => boolean },
  ) {
    this.cache = new BoundedCache(options.maxEntries ?? 10_000, options.trusted);
  }

  findById(id: string): Promise<Consent | undefined> {
    return this.cache.get(id, () => this.inner.findById(id));
  }

  /** A notice for this consent (or a transition here). */
  forget(id: string): void {
    this.cache.forget(id);
  }

  /** Notices may have been missed. */
  clear(): void {
    this.cache.clear();
  }

  insert(consent: Consent): Promise<void> {
    return this.inner.insert(consent);
  }

  list(filter?: ConsentListFilter): Promise<Consent[]> {
    return this.inner.list(filter);
  }

  async transition(id: string, params: ConsentTransitionParams): Promise<Consent | undefined> {
    this.cache.forget(id);
    try {
      return await this.inner.transition(id, params);
    } finally {
      this.cache.forget(id);
    }
  }

  admitAccess(id: string, day: string, limit: number): Promise<boolean> {
    return this.inner.admitAccess(id, day, limit);
  }

  accessCount(id: string, day: string): Promise<number> {
    return this.inner.accessCount(id, day);
  }

  lastAccessDay(id: string): Promise<string | undefined> {
    return this.inner.lastAccessDay(id);
  }
}
