import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import type { PresentedChain } from './presented_chain';

/** Bounds the walk over Node's issuer links: a client cannot make us loop or allocate without limit. */
const MAX_PRESENTED_CERTIFICATES = 16;

const cache = new WeakMap<TLSSocket, PresentedChain | null>();

/**
 * The chain the client presented on this TLS connection. Node links the certificates by name and may
 * append the trust anchor from our own store, so the result is only a bag of candidates: order and
 * membership prove nothing. Renegotiation is disabled, so a connection's chain never changes and is
 * read once per connection.
 */
export function presentedChainOf(socket: TLSSocket): PresentedChain | undefined {
  const cached = cache.get(socket);
  if (cached !== undefined) return cached ?? undefined;
  const chain = readPeerChain(socket);
  cache.set(socket, chain ?? null);
  return chain;
}

function readPeerChain(socket: TLSSocket): PresentedChain | undefined {
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  // Node returns an empty object, not undefined, when the client presented nothing.
  const peer: Partial<DetailedPeerCertificate> = socket.getPeerCertificate(true);
  if (!Buffer.isBuffer(peer.raw) || peer.raw.length === 0) return undefined;
  const leaf = peer.raw;
  const intermediates: Buffer[] = [];
  const seen = new Set<Partial<DetailedPeerCertificate>>([peer]);
  let current: DetailedPeerCertificate | undefined = peer.issuerCertificate;
  while (current !== undefined && !seen.has(current) && intermediates.length < MAX_PRESENTED_CERTIFICATES) {
    seen.add(current);
    if (Buffer.isBuffer(current.raw) && current.raw.length > 0) intermediates.push(current.raw);
    current = current.issuerCertificate;
  }
  return { leaf, intermediates, source: 'tls' };
}

/**
 * Node 20 has one way to see every certificate the client sent, in the order sent:
 * `getPeerX509Certificate()`. It empties OpenSSL's list as it walks it and never frees the entries it
 * takes (measured: about 8 KB per certificate, kept until the process exits), so it is read only when the
 * linked chain was refused for its path (not for the leaf alone), once per connection, and within a
 * budget. The budget is a token bucket: anyone can spend it by sending chains to unknown issuers, so it
 * refills (genuine rollover chains get through again a minute later) but slowly, which caps what a
 * sustained flood can make the process keep at about 8 MB an hour. While it is empty the linked chain
 * alone decides (fails closed) and a warning says so.
 */
export class CertificateBudget {
  private tokens: number;
  private last: number;
  private warned = false;

  constructor(
    readonly capacity: number,
    readonly refillPerMinute: number,
    private readonly now: () => number = Date.now,
    private readonly onExhausted?: () => void,
  ) {
    this.tokens = capacity;
    this.last = now();
  }

  /** Whether `count` certificates may be read now; charges them if so. */
  take(count: number): boolean {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 60_000) * this.refillPerMinute);
    this.last = now;
    if (this.tokens < count) {
      // Warn once per time the bucket runs dry, not once per refused read.
      if (!this.warned) this.onExhausted?.();
      this.warned = true;
      return false;
    }
    this.tokens -= count;
    if (this.tokens >= this.capacity / 2) this.warned = false;
    return true;
  }

  /** Charges what a read cost beyond what `take` granted; the bucket may go below empty. */
  charge(count: number): void {
    this.tokens -= count;
  }
}

export const COMPLETE_CHAIN_BUDGET = 4096;
export const COMPLETE_CHAIN_REFILL_PER_MINUTE = 16;

/** Called when the budget runs dry, so operators learn why verdicts may differ from `cert verify`. */
let onBudgetExhausted: (() => void) | undefined;
export function whenCompleteChainBudgetExhausted(callback: () => void): void {
  onBudgetExhausted = callback;
}
const completeChainBudget = new CertificateBudget(
  COMPLETE_CHAIN_BUDGET,
  COMPLETE_CHAIN_REFILL_PER_MINUTE,
  Date.now,
  () => onBudgetExhausted?.(),
);
const completeCache = new WeakMap<TLSSocket, PresentedChain | null>();

/**
 * Every certificate the client sent, in wire order, when that is more than Node linked by name (a
 * cross-signed issuing CA beside the genuine one, RFC 8446 §4.4.2), else undefined. Call only after
 * `presentedChainOf` read the connection: afterwards Node reports the leaf alone.
 */
export function completePresentedChainOf(socket: TLSSocket): PresentedChain | undefined {
  const cached = completeCache.get(socket);
  if (cached !== undefined) return cached ?? undefined;
  const linked = presentedChainOf(socket);
  let complete: PresentedChain | undefined;
  // The linked chain's length is the least the read will cost; the rest is charged once known.
  if (
    linked !== undefined &&
    typeof socket.getPeerX509Certificate === 'function' &&
    completeChainBudget.take(linked.intermediates.length + 1)
  ) {
    const sent: Buffer[] = [];
    for (let cert = socket.getPeerX509Certificate(); cert !== undefined; cert = cert.issuerCertificate) {
      sent.push(cert.raw);
      if (sent.length > MAX_PRESENTED_CERTIFICATES + 1) break;
    }
    completeChainBudget.charge(sent.length - (linked.intermediates.length + 1));
    const known = [linked.leaf, ...linked.intermediates];
    const [leaf, ...intermediates] = sent;
    if (leaf !== undefined && sent.some((der) => !known.some((k) => k.equals(der)))) {
      // Node may have added the anchor from our own store; it stays a candidate like the rest.
      const extra = linked.intermediates.filter((der) => !sent.some((s) => s.equals(der)));
      complete = { leaf, intermediates: [...intermediates, ...extra], source: 'tls' };
    }
  }
  completeCache.set(socket, complete ?? null);
  return complete;
}
