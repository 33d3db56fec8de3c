/**
 * Failed sign-ins counted in the store, as several gateway instances share them: two stores opened
 * separately on the same database (own connections, own pools) count into the same series, on SQLite
 * and on PostgreSQL.
 */
import type { Kysely } from 'kysely';
import { SignInLimiter } from '../../src/sca/sign_in_limiter';
import { KyselySignInAttemptRepository } from '../../src/store/kysely_sign_in_attempt_repository';
import type { OAuthTables } from '../../src/store/oauth_schema';
import { openStore, type Store } from '../../src/store/open_store';
import { createTestDatabase, DATABASE_KINDS, describeForDatabase, type TestDatabase } from './test_databases';

const T0 = new Date('2030-01-15T10:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

for (const kind of DATABASE_KINDS) {
  describeForDatabase(kind)(`sign-in attempts on ${kind}`, () => {
    let database: TestDatabase;
    let first: Store;
    let second: Store;
    const repo = (store: Store) =>
      new KyselySignInAttemptRepository(store.db as unknown as Kysely<OAuthTables>);

    beforeAll(async () => {
      database = await createTestDatabase(kind);
      first = await openStore(database.url);
      second = await openStore(database.url);
    });

    afterAll(async () => {
      await first?.close();
      await second?.close();
      await database?.drop();
    });

    it('counts parallel attempts from two instances exactly once each', async () => {
      const a = repo(first);
      const b = repo(second);
      const counts = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          (i % 2 === 0 ? a : b).countAttempt('psu:race', at(i), at(-900), 5),
        ),
      );
      expect(counts.map((c) => c.attempts).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 30 }, (_, i) => i + 1),
      );
    });

    it('attempts over the limit do not move the lock; a quiet spell starts a new series', async () => {
      const a = repo(first);
      for (let i = 1; i <= 5; i++) {
        expect(await a.countAttempt('psu:series', at(i), at(i - 900), 5)).toEqual({
          attempts: i,
          lastCountedAt: at(i),
        });
      }
      expect(await a.countAttempt('psu:series', at(600), at(600 - 900), 5)).toEqual({
        attempts: 6,
        lastCountedAt: at(5),
      });
      expect(await repo(second).countAttempt('psu:series', at(906), at(6), 5)).toEqual({
        attempts: 1,
        lastCountedAt: at(906),
      });
    });

    it('a success forgives its own attempt; for the PSU it clears the series', async () => {
      const a = repo(first);
      await a.countAttempt('addr:x', at(0), at(-900), 50);
      await a.countAttempt('addr:x', at(1), at(-899), 50);
      await a.forgiveAttempt('addr:x', false);
      expect((await a.countAttempt('addr:x', at(2), at(-898), 50)).attempts).toBe(2);
      await a.countAttempt('psu:y', at(0), at(-900), 5);
      await a.forgiveAttempt('psu:y', true);
      expect((await a.countAttempt('psu:y', at(1), at(-899), 5)).attempts).toBe(1);
    });

    it('the limiter locks a username on both instances after five attempts, for fifteen minutes', async () => {
      const limiters = [new SignInLimiter(repo(first)), new SignInLimiter(repo(second))];
      const results = [];
      for (let i = 0; i < 12; i++) {
        const limiter = limiters[i % 2] as SignInLimiter;
        results.push(await limiter.admit({ username: 'anna', clientAddress: `198.51.100.${i}`, at: at(i) }));
      }
      expect(results.map((r) => r.admitted)).toEqual([...Array(5).fill(true), ...Array(7).fill(false)]);
      expect(results[11]).toMatchObject({ admitted: false, by: 'psu', lockedUntil: at(4 + 900) });
      expect(
        await limiters[0]?.admit({ username: 'ANNA ', clientAddress: '198.51.100.99', at: at(903) }),
      ).toMatchObject({ admitted: false });
      expect(
        await limiters[1]?.admit({ username: 'anna', clientAddress: '198.51.100.99', at: at(905) }),
      ).toMatchObject({ admitted: true });
    });
  });
}
