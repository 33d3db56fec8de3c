import { createHash } from 'node:crypto';
import type { CandidateChain } from '../identity/client_identity';

/**
 * The cache key of a presented chain: SHA-256 over the leaf and every candidate, length-prefixed so
 * different splits cannot collide. Verdicts are cached per chain, so two chains share a verdict only
 * when they are byte for byte the same.
 */
export function presentedChainKey(chain: CandidateChain): string {
  const hash = createHash('sha256');
  for (const der of [chain.leaf, ...chain.intermediates]) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(der.length);
    hash.update(length).update(der);
  }
  return hash.digest('base64url');
}
