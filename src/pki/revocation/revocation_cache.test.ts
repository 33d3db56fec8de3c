import { RevocationCache, type Loaded } from './revocation_cache';

const answer = (fingerprint: string, expiresInMs: number): Loaded<string> => ({
  ok: true,
  value: fingerprint,
  expiresAt: new Date(Date.now() + expiresInMs),
  fingerprint,
});

describe('RevocationCache', () => {
  it('shares one load among concurrent requests and answers later ones from the cache', async () => {
    const cache = new RevocationCache<string>();
    const load = jest.fn(async () => answer('good', 60_000));
    const now = new Date();
    const results = await Promise.all([cache.get('k', now, load), cache.get('k', now, load)]);
    await cache.get('k', now, load);
    cache.close();
    expect(results.map((r) => r.ok && r.value)).toEqual(['good', 'good']);
    expect(load).toHaveBeenCalledTimes(1);
    expect(cache.stats).toMatchObject({ waited: 2, hits: 1 });
  });

  it('never serves an answer past its expiry', async () => {
    const cache = new RevocationCache<string>();
    const load = jest.fn(async () => answer('good', 60_000));
    await cache.get('k', new Date(), load);
    await cache.get('k', new Date(Date.now() + 61_000), load);
    cache.close();
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('remembers a failure for retryMs, so requests in that time do not fetch again', async () => {
    const failing = (transient: boolean) =>
      jest.fn(async (): Promise<Loaded<string>> => ({
        ok: false,
        problem: 'refused the connection',
        ...(transient ? { transient: true as const } : {}),
      }));
    const cache = new RevocationCache<string>();
    const load = failing(false);
    for (let i = 0; i < 3; i++)
      await expect(cache.get('k', new Date(), load)).resolves.toMatchObject({
        ok: false,
        problem: 'refused the connection',
      });
    // A transient failure (the request ran out of time) says nothing about the source.
    const transient = failing(true);
    await cache.get('t', new Date(), transient);
    await cache.get('t', new Date(), transient);
    // With retryMs 0 the failure is over at once.
    const eager = new RevocationCache<string>({ retryMs: 0 });
    const again = failing(false);
    await eager.get('k', new Date(), again);
    await eager.get('k', new Date(Date.now() + 1), again);
    cache.close();
    eager.close();
    expect(load).toHaveBeenCalledTimes(1);
    expect(cache.stats.failuresServed).toBe(2);
    expect(transient).toHaveBeenCalledTimes(2);
    expect(again).toHaveBeenCalledTimes(2);
  });

  it('drops the oldest entries once their weight exceeds maxWeight', async () => {
    const cache = new RevocationCache<string>({ weigh: (v) => v.length, maxWeight: 10 });
    for (const key of ['aaaa', 'bbbb', 'cccc'])
      await cache.get(key, new Date(), async () => answer(key, 60_000));
    const size = cache.size;
    const reloaded = jest.fn(async () => answer('aaaa', 60_000));
    await cache.get('aaaa', new Date(), reloaded);
    cache.close();
    expect(size).toBe(2);
    expect(reloaded).toHaveBeenCalledTimes(1);
  });

  it('turns a thrown loader error into a failure with its message', async () => {
    const cache = new RevocationCache<string>();
    const result = await cache.get('k', new Date(), async () => {
      throw new Error('did not answer within 10 ms');
    });
    cache.close();
    expect(result).toEqual({ ok: false, problem: 'did not answer within 10 ms' });
  });

  it('refreshes a used answer in the background before it expires and reports a changed answer', async () => {
    let changes = 0;
    const changed = new Promise<void>((resolve) => {
      const cache = new RevocationCache<string>({
        onChange: () => {
          changes++;
          cache.close();
          resolve();
        },
      });
      const answers = [answer('good', 2_000), answer('revoked', 60_000)];
      void cache.get('k', new Date(), async () => answers.shift() ?? answer('revoked', 60_000));
    });
    await changed;
    expect(changes).toBe(1);
  });
});
