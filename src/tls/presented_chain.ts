import { createHash } from 'node:crypto';

/**
 * What a client showed us: a leaf and an unordered bag of candidate intermediates. Nothing here is
 * trusted; the chain validator decides by signature.
 */
export interface PresentedChain {
  leaf: Buffer;
  intermediates: Buffer[];
  /** Where it came from, for logs. */
  source: 'tls' | 'forwarded';
}

/** RFC 8705 `x5t#S256`: base64url(SHA-256(leaf DER)), unpadded. */
export function thumbprintS256(leafDer: Uint8Array): string {
  return createHash('sha256').update(leafDer).digest('base64url');
}

const leafThumbprints = new WeakMap<PresentedChain, string>();

/**
 * `thumbprintS256` of the chain's leaf, hashed once per chain object: every request on a connection
 * shares the TLS layer's chain object, so keep-alive requests skip the SHA-256.
 */
export function leafThumbprintOf(chain: PresentedChain): string {
  let thumbprint = leafThumbprints.get(chain);
  if (thumbprint === undefined) {
    thumbprint = thumbprintS256(chain.leaf);
    leafThumbprints.set(chain, thumbprint);
  }
  return thumbprint;
}
