/**
 * The `Digest` header (RFC 3230) over the exact body bytes: `SHA-256=<base64>` or `SHA-512=<base64>`, an empty
 * body hashed as empty input. Several comma-separated entries are allowed; every one must be SHA-256 or
 * SHA-512 and must match.
 */
import { createHash } from 'node:crypto';

export type DigestAlgorithm = 'SHA-256' | 'SHA-512';

const HASHES: Readonly<Record<string, { name: DigestAlgorithm; node: string }>> = {
  'sha-256': { name: 'SHA-256', node: 'sha256' },
  'sha-512': { name: 'SHA-512', node: 'sha512' },
};
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** `SHA-256=<base64>` of `body`. */
export function digestHeaderValue(body: Uint8Array, algorithm: DigestAlgorithm = 'SHA-256'): string {
  const hash = HASHES[algorithm.toLowerCase()] as { node: string };
  return `${algorithm}=${createHash(hash.node).update(body).digest('base64')}`;
}

/** Why `header` does not attest `body`, or undefined when it does. */
export function digestProblem(header: string, body: Uint8Array): string | undefined {
  const entries = header.split(',').map((e) => e.trim());
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0) return `Digest entry ${JSON.stringify(entry)} is not algorithm=value`;
    const hash = HASHES[entry.slice(0, eq).toLowerCase()];
    if (hash === undefined) {
      return `Digest algorithm ${JSON.stringify(entry.slice(0, eq))} is not accepted (SHA-256 or SHA-512)`;
    }
    const value = entry.slice(eq + 1);
    if (!BASE64.test(value)) return `Digest ${hash.name} value is not base64`;
    const actual = createHash(hash.node).update(body).digest('base64');
    if (actual !== value) return `Digest ${hash.name} does not match the request body`;
  }
  return undefined;
}
