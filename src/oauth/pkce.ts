import { createHash } from 'node:crypto';
import { secretToken } from './secret_token';

/** RFC 7636 §4.1: 43 to 128 characters from the URI unreserved set. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
/** An S256 challenge is base64url(SHA-256) without padding: always 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** PKCE with the S256 method only: `plain` would let a stolen authorisation request carry the verifier. */
export const pkce = {
  isValidVerifier(verifier: string): boolean {
    return VERIFIER.test(verifier);
  },

  isValidS256Challenge(challenge: string): boolean {
    return S256_CHALLENGE.test(challenge);
  },

  s256(verifier: string): string {
    return createHash('sha256').update(verifier, 'ascii').digest('base64url');
  },

  matches(verifier: string, challenge: string): boolean {
    return VERIFIER.test(verifier) && secretToken.equals(pkce.s256(verifier), challenge);
  },
};
