import { hash as oneShotHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Random bearer secrets (codes, tokens, session ids). Only their SHA-256 is stored: 256 bits of entropy
 * make a slow password hash unnecessary, and a leaked table then holds nothing usable.
 */
export const secretToken = {
  generate(prefix?: string): string {
    const value = randomBytes(32).toString('base64url');
    // A recognisable prefix lets secret scanners and log reviewers tell what leaked.
    return prefix === undefined ? value : `${prefix}_${value}`;
  },

  hash(value: string): string {
    // One-shot: a bearer token is hashed on every AIS read, and a Hash object costs three times as much.
    return oneShotHash('sha256', value, 'base64url');
  },

  equals(a: string, b: string): boolean {
    const left = Buffer.from(a, 'utf8');
    const right = Buffer.from(b, 'utf8');
    return left.length === right.length && timingSafeEqual(left, right);
  },
};
