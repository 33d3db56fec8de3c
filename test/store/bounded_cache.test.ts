/**
 * The cache in front of consents and access tokens on PostgreSQL. A copy is dropped by notice and, since
 * a notice can be lost without the listener noticing, also by age.
 */
import { BoundedCache, CACHE_TTL_MS } from '../../src/store/bounded_cache';

function source(): { load: () => Promise<string>; loads: () => number; set: (v: string) => void } {
  let value = 'v1';
  let count = 0;
  return {
    load: () => {
      count++;
      return Promise.resolve(value);
    },
    loads: () => count,
    set: (v) => (value = v),
  };
}

it('serves a copy until it is TTL old, then reads the row again', async () => {
  let clock = 1_000;
  const cache = new BoundedCache<string>(10, () => true, { now: () => clock });
  const row = source();
  expect(await cache.get('c', row.load)).toBe('v1');
  row.set('v2'); // changed, and the notice lost
  clock += CACHE_TTL_MS - 1;
  expect(await cache.get('c', row.load)).toBe('v1');
  clock += 1;
  expect(await cache.get('c', row.load)).toBe('v2');
  expect(row.loads()).toBe(2);
});

it('drops a copy by notice before its age, and keeps nothing while notices are not trusted', async () => {
  let trusted = true;
  const cache = new BoundedCache<string>(10, () => trusted, { ttlMs: 1_000_000 });
  const row = source();
  await cache.get('c', row.load);
  row.set('v2');
  cache.forget('c');
  expect(await cache.get('c', row.load)).toBe('v2');
  trusted = false;
  row.set('v3');
  expect(await cache.get('c', row.load)).toBe('v3');
  expect(row.loads()).toBe(3);
});
