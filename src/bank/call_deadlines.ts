import { performance } from 'node:perf_hooks';

/**
 * A call under a deadline: `start` sets `at`; `expire` is run once, and `expired` set, if the call is
 * still pending when its time is up. `expire` must not throw.
 */
export interface DeadlineTicket {
  at: number;
  expired: boolean;
  expire(): void;
}

/**
 * Deadlines of the bank calls in flight, all of the same length, kept by one timer.
 *
 * A timer (or `AbortSignal.timeout`) per call cost the connector more CPU than any other part of a call
 * besides the socket write: an abort signal and a timer object per call, kept alive until the timer ran
 * out seconds later, so that under load tens of thousands of them reached the old generation (issue 13's
 * bench: heap 164 MB against 44 MB in-process, twice the GC time per read). All calls get the same
 * timeout, so the pending set in insertion order is in deadline order: the one timer waits for the oldest
 * pending call, and a call that ends costs one Set delete.
 */
export class CallDeadlines {
  private readonly pending = new Set<DeadlineTicket>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Starts a call's deadline; `finish` it when the call has settled, whatever the outcome. */
  start<T extends DeadlineTicket>(ticket: T): T {
    ticket.at = this.now() + this.timeoutMs;
    this.pending.add(ticket);
    if (this.timer === undefined) this.arm(this.timeoutMs);
    return ticket;
  }

  finish(ticket: DeadlineTicket): void {
    this.pending.delete(ticket);
  }

  /** No deadline runs out after this; calls still pending are left to whoever closes their transport. */
  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  private arm(ms: number): void {
    // Not what keeps the process alive: a pending call's socket does that.
    this.timer = setTimeout(this.sweep, Math.max(1, Math.ceil(ms))).unref();
  }

  private readonly sweep = (): void => {
    this.timer = undefined;
    const now = this.now();
    for (const ticket of this.pending) {
      if (ticket.at > now) {
        this.arm(ticket.at - now);
        return;
      }
      this.pending.delete(ticket);
      ticket.expired = true;
      ticket.expire();
    }
  };
}
