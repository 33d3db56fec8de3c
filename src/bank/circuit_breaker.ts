/**
 * Answers fast while the bank is down instead of letting every TPP request wait for a timeout, and closes
 * again by itself: after `failureThreshold` consecutive failures the circuit opens for `openMs`; then one
 * trial call is let through (half-open), whose outcome closes or reopens it.
 */
export interface CircuitBreakerOptions {
  failureThreshold: number;
  openMs: number;
  now?: () => number;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | undefined;
  private trialInFlight = false;
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  get state(): CircuitState {
    if (this.openedAt === undefined) return 'closed';
    return this.now() - this.openedAt >= this.options.openMs ? 'half-open' : 'open';
  }

  /** Undefined: go ahead. A number: refused, retry after that many milliseconds. */
  admit(): number | undefined {
    if (this.openedAt === undefined) return undefined;
    const elapsed = this.now() - this.openedAt;
    if (elapsed < this.options.openMs) return this.options.openMs - elapsed;
    if (this.trialInFlight) return this.options.openMs;
    this.trialInFlight = true;
    return undefined;
  }

  success(): void {
    this.failures = 0;
    this.openedAt = undefined;
    this.trialInFlight = false;
  }

  failure(): void {
    this.failures += 1;
    if (this.trialInFlight || this.failures >= this.options.failureThreshold) this.openedAt = this.now();
    this.trialInFlight = false;
  }
}
