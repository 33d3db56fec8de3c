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
