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
 * Certificates whose full wire list may still be read in this process. Node 20 has one way to see every
 * certificate the client sent, in the order sent: `getPeerX509Certificate()`. It empties OpenSSL's list
 * as it walks it and never frees the entries it takes (measured: about 8 KB per certificate, kept
 * until the process exits), so it is read only when the linked chain was refused, once per connection,
 * and within this budget; past it, the linked chain alone decides and a warning says so.
 */
export const COMPLETE_CHAIN_BUDGET = 4096;
let completeChainBudget = COMPLETE_CHAIN_BUDGET;
const completeCache = new WeakMap<TLSSocket, PresentedChain | null>();

/** Called once when the budget runs out, so operators learn why verdicts may differ from `cert verify`. */
let onBudgetExhausted: (() => void) | undefined;
export function whenCompleteChainBudgetExhausted(callback: () => void): void {
  onBudgetExhausted = callback;
}

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
  if (
    linked !== undefined &&
    completeChainBudget > 0 &&
    typeof socket.getPeerX509Certificate === 'function'
  ) {
    const sent: Buffer[] = [];
    for (let cert = socket.getPeerX509Certificate(); cert !== undefined; cert = cert.issuerCertificate) {
      sent.push(cert.raw);
      if (sent.length > MAX_PRESENTED_CERTIFICATES + 1) break;
    }
    completeChainBudget -= sent.length;
    if (completeChainBudget <= 0) onBudgetExhausted?.();
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
