import { CachedIdentityVerifier } from './cached_identity_verifier';
import type { CandidateChain, ClientIdentityVerdict, ClientIdentityVerifier } from './client_identity';

const chainA: CandidateChain = { leaf: Buffer.from('a'), intermediates: [] };
const chainB: CandidateChain = { leaf: Buffer.from('b'), intermediates: [] };
const keyOf = (c: CandidateChain) => Buffer.from(c.leaf).toString('hex');

class CountingVerifier implements ClientIdentityVerifier {
  calls = 0;
  constructor(private readonly verdict: (at: Date) => ClientIdentityVerdict) {}
  async verify(_chain: CandidateChain, at: Date): Promise<ClientIdentityVerdict> {
    this.calls++;
    await new Promise((resolve) => setImmediate(resolve));
    return this.verdict(at);
  }
}

const t0 = new Date('2026-06-01T00:00:00Z');
const plus = (ms: number) => new Date(t0.getTime() + ms);
const okUntil = (until: Date): ClientIdentityVerdict => ({
  ok: true,
  validUntil: until,
  identity: {
    organizationIdentifier: 'PSDDE-BAFIN-123456',
    name: 'Bank of Alice',
    roles: ['PSP_AI'],
    ncaName: 'BaFin',
    ncaId: 'DE-BAFIN',
    thumbprintS256: 'x',
    notAfter: until,
  },
});

describe('CachedIdentityVerifier', () => {
  it('verifies a chain once and serves repeats until the revocation data behind it is due for refresh', async () => {
    const inner = new CountingVerifier(() => okUntil(plus(1000)));
    const cached = new CachedIdentityVerifier(inner, keyOf);
    await cached.verify(chainA, t0);
    await cached.verify(chainA, plus(749));
    expect(inner.calls).toBe(1);
    // Re-derived at three quarters of the lifetime, when the revocation cache refreshes in the background
    // (issue 17 review: a verdict served to its end let the refresh lapse and the request path wait).
    await cached.verify(chainA, plus(750));
    expect(inner.calls).toBe(2);
  });

  it('re-derives a long-lived admission at least every 12 hours', async () => {
    const inner = new CountingVerifier(() => okUntil(plus(30 * 24 * 3600_000)));
    const cached = new CachedIdentityVerifier(inner, keyOf);
    await cached.verify(chainA, t0);
    await cached.verify(chainA, plus(12 * 3600_000 - 1));
    expect(inner.calls).toBe(1);
    await cached.verify(chainA, plus(12 * 3600_000));
    expect(inner.calls).toBe(2);
  });

  it('hands a remembered verdict over at once, and nothing for a chain it has not verified or no longer holds', async () => {
    const inner = new CountingVerifier(() => okUntil(plus(1000)));
    const cached = new CachedIdentityVerifier(inner, keyOf);
    expect(cached.knownVerdict(chainA, t0)).toBeUndefined();
    const verdict = await cached.verify(chainA, t0);
    expect(cached.knownVerdict(chainA, plus(749))).toBe(verdict);
    expect(cached.knownVerdict(chainB, plus(1))).toBeUndefined();
    expect(cached.knownVerdict(chainA, plus(750))).toBeUndefined();
    cached.invalidate();
    expect(cached.knownVerdict(chainA, plus(1))).toBeUndefined();
    expect(inner.calls).toBe(1);
    expect(cached.stats).toEqual({ hits: 1, misses: 1 });
  });

  it('shares one validation among concurrent requests for the same chain', async () => {
    const inner = new CountingVerifier(() => okUntil(plus(1000)));
    const cached = new CachedIdentityVerifier(inner, keyOf);
    await Promise.all(Array.from({ length: 20 }, () => cached.verify(chainA, t0)));
    expect(inner.calls).toBe(1);
  });

  it('forgets everything on invalidate, including a validation that was under way', async () => {
    const inner = new CountingVerifier(() => okUntil(plus(1000)));
    const cached = new CachedIdentityVerifier(inner, keyOf);
    const pending = cached.verify(chainA, t0);
    cached.invalidate();
    await pending;
    expect(cached.size).toBe(0);
    await cached.verify(chainA, t0);
    expect(inner.calls).toBe(2);
  });

  it('remembers refusals only for the refusal TTL', async () => {
    const inner = new CountingVerifier(() => ({
      ok: false,
      code: 'CERTIFICATE_INVALID',
      reason: 'chain does not lead to the trust anchor',
      validUntil: plus(10_000_000),
    }));
    const cached = new CachedIdentityVerifier(inner, keyOf, { refusalTtlMs: 50 });
    await cached.verify(chainA, t0);
    await cached.verify(chainA, plus(49));
    expect(inner.calls).toBe(1);
    await cached.verify(chainA, plus(50));
    expect(inner.calls).toBe(2);
  });

  it('keeps at most maxEntries chains', async () => {
    const inner = new CountingVerifier(() => okUntil(plus(1000)));
    const cached = new CachedIdentityVerifier(inner, keyOf, { maxEntries: 1 });
    await cached.verify(chainA, t0);
    await cached.verify(chainB, t0);
    expect(cached.size).toBe(1);
    await cached.verify(chainA, t0);
    expect(inner.calls).toBe(3);
  });
});
