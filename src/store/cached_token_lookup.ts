import type { OAuthRepository, TokenRecord } from '../oauth/oauth_repository';
import { BoundedCache } from './bounded_cache';

/**
 * Access-token records by hash for the check in front of every AIS read, kept on PostgreSQL while change
 * notices arrive. A revocation anywhere sends a `token` notice, which drops them all (a grant's tokens are
 * not indexed by grant here, and revocations are rare); the read's own statement re-checks revocation in
 * the database, so the cache only saves the lookup.
 */
export class CachedTokenLookup implements Pick<OAuthRepository, 'findToken'> {
  private readonly cache: BoundedCache<TokenRecord>;

  constructor(
    private readonly inner: Pick<OAuthRepository, 'findToken'>,
    options: { maxEntries?: number; trusted: () => boolean },
  ) {
    this.cache = new BoundedCache(options.maxEntries ?? 10_000, options.trusted);
  }

  findToken(tokenHash: string): Promise<TokenRecord | undefined> {
    return this.cache.get(
      tokenHash,
      () => this.inner.findToken(tokenHash),
      // Only access tokens are read on every request; a refresh token is looked up once per use.
      (record) => record.kind === 'access',
    );
  }

  forget(tokenHash: string): void {
    this.cache.forget(tokenHash);
  }

  clear(): void {
    this.cache.clear();
  }
}
