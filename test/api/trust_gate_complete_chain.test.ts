/**
 * The full wire list of a TLS client's certificates is rationed (Node 20 keeps every certificate it
 * reads), so the trust gate asks for it only when more candidates could change the verdict (issue 11
 * review, item 2): a leaf refused on its own never spends the budget, an expired cross-certificate
 * that Node linked does. The chain readers are injected (they stand in for the TLS socket); validation
 * is the real one.
 */
import type { IncomingMessage } from 'node:http';
import { createTrustGate } from '../../src/api/trust_gate';
import { createLogger } from '../../src/audit/logger';
import { ChainValidator } from '../../src/pki/path/chain_validator';
import { QwacIdentityVerifier } from '../../src/pki/identity/qwac_identity_verifier';
import { TrustedProxies } from '../../src/tls/forwarded_certificate';
import { CertificateBudget } from '../../src/tls/peer_certificate';
import type { PresentedChain } from '../../src/tls/presented_chain';
import { EMPTY_STOP_LIST } from '../helpers/empty_stop_list';
import { issue, trentWorld, type TrentWorld } from '../pki/cert_factory';

const DAY = 86_400_000;
let w: TrentWorld;
beforeAll(async () => {
  w = await trentWorld();
});

async function gateCalls(linked: PresentedChain, complete?: PresentedChain) {
  let fullReads = 0;
  const gate = createTrustGate({
    verifier: new QwacIdentityVerifier(new ChainValidator({ anchors: [w.root.der] })),
    trustedProxies: new TrustedProxies([]),
    logger: createLogger('silent'),
    publicPaths: [],
    roleRequirements: [],
    oauthPaths: [],
    stopList: EMPTY_STOP_LIST,
    tlsChainOf: () => linked,
    completeTlsChainOf: () => {
      fullReads++;
      return complete;
    },
  });
  const req = { headers: {}, headersDistinct: {}, socket: { remoteAddress: '127.0.0.1' }, method: 'GET' };
  const admission = await gate(req as unknown as IncomingMessage, '/v1/accounts', 'req-1');
  return { admission, fullReads };
}

const tls = (leaf: Uint8Array, intermediates: Uint8Array[] = []): PresentedChain => ({
  leaf: Buffer.from(leaf),
  intermediates: intermediates.map((c) => Buffer.from(c)),
  source: 'tls',
});

describe('trust gate: when the full certificate list is read', () => {
  it.each([
    ['a self-signed leaf', async () => (await issue({ subject: 'CN=Mallory Bank' })).der],
    [
      'a leaf without clientAuth',
      async () =>
        (await issue({ subject: 'CN=Mallory Bank', issuer: w.issuing, eku: ['1.3.6.1.5.5.7.3.1'] })).der,
    ],
    [
      'an expired leaf',
      async () =>
        (await issue({ subject: 'CN=Mallory Bank', issuer: w.issuing, notAfter: new Date(Date.now() - DAY) }))
          .der,
    ],
    ['garbage as the leaf', async () => new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])],
  ])('not for %s: the leaf alone decides', async (_name, leaf) => {
    const { admission, fullReads } = await gateCalls(tls(await leaf(), [w.issuing.der]));
    expect(admission.admitted).toBe(false);
    expect(fullReads).toBe(0);
  });

  it('for a leaf whose issuer Node did not link', async () => {
    const { admission, fullReads } = await gateCalls(tls(w.alice.der));
    expect(admission.admitted).toBe(false);
    expect(fullReads).toBe(1);
  });

  it('for an expired cross-certificate Node linked while the genuine issuer was also sent', async () => {
    const expiredCopy = await issue({
      subject: w.issuing.subject,
      keys: w.issuing.keys,
      issuer: w.root,
      ca: true,
      pathLen: 0,
      notAfter: new Date(Date.now() - DAY),
    });
    const { fullReads } = await gateCalls(
      tls(w.alice.der, [expiredCopy.der]),
      tls(w.alice.der, [expiredCopy.der, w.issuing.der]),
    );
    // The verdict needs a QWAC leaf to be an admission; what matters here is that the retry happened.
    expect(fullReads).toBe(1);
  });
});

describe('trust gate: an internal validator failure', () => {
  it('answers a fixed text and keeps the exception for the log', async () => {
    const lines: string[] = [];
    const gate = createTrustGate({
      verifier: new QwacIdentityVerifier(
        new ChainValidator({
          anchors: [w.root.der],
          revocation: { check: () => Promise.reject(new Error('pool exhausted at internal-host:5432')) },
        }),
      ),
      trustedProxies: new TrustedProxies([]),
      logger: createLogger('warn', { write: (line: string) => void lines.push(line) }),
      publicPaths: [],
      roleRequirements: [],
      oauthPaths: [],
      stopList: EMPTY_STOP_LIST,
      tlsChainOf: () => tls(w.alice.der, [w.issuing.der]),
      completeTlsChainOf: () => undefined,
    });
    const req = { headers: {}, headersDistinct: {}, socket: { remoteAddress: '127.0.0.1' }, method: 'GET' };
    const admission = await gate(req as unknown as IncomingMessage, '/v1/accounts', 'req-2');
    if (admission.admitted) throw new Error('admitted');
    const body = admission.refusal.body.toString();
    expect(body).toContain('certificate chain could not be validated');
    expect(body).not.toContain('internal-host');
    expect(lines.join('')).toContain('pool exhausted at internal-host:5432');
  });
});

describe('CertificateBudget', () => {
  it('refills over time instead of dying for the process lifetime, and warns once per drought', () => {
    let now = 0;
    let warnings = 0;
    const budget = new CertificateBudget(
      10,
      5,
      () => now,
      () => warnings++,
    );
    expect(budget.take(10)).toBe(true);
    expect(budget.take(1)).toBe(false);
    expect(budget.take(1)).toBe(false);
    expect(warnings).toBe(1);
    now += 60_000;
    expect(budget.take(5)).toBe(true);
    expect(budget.take(1)).toBe(false);
    now += 10 * 60_000;
    expect(budget.take(10)).toBe(true);
    budget.charge(3);
    now += 60_000;
    expect(budget.take(3)).toBe(false);
    expect(budget.take(2)).toBe(true);
  });
});
