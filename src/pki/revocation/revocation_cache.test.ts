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

  it('does not cache a failure: the next request asks again', async () => {
    const cache = new RevocationCache<string>();
    const load = jest.fn(async (): Promise<Loaded<string>> => ({
      ok: false,
      problem: 'refused the connection',
    }));
    await expect(cache.get('k', new Date(), load)).resolves.toEqual({
      ok: false,
      problem: 'refused the connection',
    });
    await cache.get('k', new Date(), load);
    cache.close();
    expect(load).toHaveBeenCalledTimes(2);
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
