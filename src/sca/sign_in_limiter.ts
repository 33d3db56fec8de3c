import { createHash } from 'node:crypto';
import { clientKey } from '../tls/connections_per_address';

/**
 * Limits guessing at the PSU's sign-in across browser sessions, gateway processes and instances: the
 * counts live in the gateway's store. Two counters per attempt, one per username typed (known or not, so a
 * lock says nothing about which usernames exist) and one per client: an IPv4 address, or an IPv6 /64,
 * since one subscriber is usually given a whole /64 and could take a fresh address for every attempt.
 *
 * An attempt is counted before the credentials are checked, so parallel guesses cannot slip past the limit
 * while the first ones are still being verified; a successful sign-in takes its count back. Once over the
 * limit, attempts are refused without checking anything until the lock has run out; they do not extend
 * the lock, so nobody can keep a customer locked out for longer than one lock period per burst.
 */

export interface AttemptCount {
  /** Attempts in the current series, this one included. */
  attempts: number;
  /** When the series' last counted attempt was; the lock runs from there. */
  lastCountedAt: Date;
}

/** Storage contract; implemented in src/store (SQLite and PostgreSQL). Each call is one atomic statement. */
export interface SignInAttemptStore {
  /**
   * Counts an attempt for `key`. A series whose last counted attempt is older than `resetBefore` starts
   * again at 1. Attempts beyond `limit` are counted but leave `lastCountedAt` unchanged.
   */
  countAttempt(key: string, at: Date, resetBefore: Date, limit: number): Promise<AttemptCount>;
  /** A successful sign-in: the attempt it counted is taken back; `clear` forgets the series. */
  forgiveAttempt(key: string, clear: boolean): Promise<void>;
}

export interface SignInLimits {
  /** Attempts per username before the lock. Default 5. */
  perPsu: number;
  /** Attempts per client (IPv4 address, IPv6 /64) before the lock (shared NATs need more room). Default 50. */
  perClientAddress: number;
  /** How long a lock lasts, and how long a quiet spell resets the count. Default 900. */
  lockSeconds: number;
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = { perPsu: 5, perClientAddress: 50, lockSeconds: 900 };

/** Logged instead of the username: lets an operator correlate failures without a list of usernames. */
export function usernameHash(username: string): string {
  return createHash('sha256')
    .update(`psd2-gateway psu\n${username.trim().toLowerCase()}`)
    .digest('hex')
    .slice(0, 16);
}

export type SignInAdmission =
  | { admitted: true; keys: { psu: string; address: string } }
  | { admitted: false; lockedUntil: Date; by: 'psu' | 'clientAddress' };

export class SignInLimiter {
  constructor(
    private readonly store: SignInAttemptStore,
    private readonly limits: SignInLimits = DEFAULT_SIGN_IN_LIMITS,
  ) {}

  get lockSeconds(): number {
    return this.limits.lockSeconds;
  }

  /** Counts the attempt; admitted means the credentials may be checked now. */
  async admit(params: { username: string; clientAddress: string; at: Date }): Promise<SignInAdmission> {
    const keys = {
      psu: `psu:${usernameHash(params.username)}`,
      address: `addr:${clientKey(params.clientAddress)}`,
    };
    const resetBefore = new Date(params.at.getTime() - this.limits.lockSeconds * 1000);
    const [psu, address] = await Promise.all([
      this.store.countAttempt(keys.psu, params.at, resetBefore, this.limits.perPsu),
      this.store.countAttempt(keys.address, params.at, resetBefore, this.limits.perClientAddress),
    ]);
    const until = (count: AttemptCount): Date =>
      new Date(count.lastCountedAt.getTime() + this.limits.lockSeconds * 1000);
    if (psu.attempts > this.limits.perPsu) return { admitted: false, lockedUntil: until(psu), by: 'psu' };
    if (address.attempts > this.limits.perClientAddress) {
      return { admitted: false, lockedUntil: until(address), by: 'clientAddress' };
    }
    return { admitted: true, keys };
  }

  /** The credentials were right: this attempt does not count against the PSU or the address. */
  async succeeded(keys: { psu: string; address: string }): Promise<void> {
    await Promise.all([
      this.store.forgiveAttempt(keys.psu, true),
      this.store.forgiveAttempt(keys.address, false),
    ]);
  }
}
