import { randomUUID } from 'node:crypto';
import type { Logger } from '../audit/logger';
import type { PaymentExecutionStep } from './execution';
import type { PaymentRepository } from './payment_repository';

export interface PaymentResendOptions {
  /** The wait before the first resend after a deferral. Default 1 s. */
  firstDelayMs: number;
  /** The wait doubles after every round in which the bank still did not answer, up to this. Default 60 s. */
  maxDelayMs: number;
}

export const DEFAULT_PAYMENT_RESEND: PaymentResendOptions = { firstDelayMs: 1000, maxDelayMs: 60_000 };

/** Payments swept up at start per query; the rest follow in the next round. */
const RECOVERY_BATCH = 500;

/**
 * Sends authorised payments the bank could not execute (they stayed ACTC) again, with backoff, until the
 * bank answers. Each send carries the payment id as idempotency key, so however often a payment is sent
 * (here, on a TPP's status read, by another instance) the bank executes it once.
 *
 * It keeps the ids this process deferred; at start, `recover` adds every payment left ACTC by an earlier
 * run (a crash, a stop while the bank was down, another instance gone). One timer at a time, unref'd.
 */
export class PaymentResend {
  private readonly options: PaymentResendOptions;
  private readonly pending = new Set<string>();
  private delayMs: number;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly deps: {
      repository: PaymentRepository;
      execution: () => PaymentExecutionStep;
      logger?: Logger;
    },
    options: Partial<PaymentResendOptions> = {},
  ) {
    this.options = { ...DEFAULT_PAYMENT_RESEND, ...options };
    this.delayMs = this.options.firstDelayMs;
  }

  /** A payment stayed ACTC: it is sent again after the current wait. */
  add(paymentId: string): void {
    if (this.closed) return;
    this.pending.add(paymentId);
    this.arm();
  }

  /** At start: the payments an earlier run left authorised but not executed. */
  async recover(): Promise<void> {
    const ids = await this.deps.repository.idsAwaitingExecution(RECOVERY_BATCH);
    if (ids.length > 0) this.deps.logger?.info({ event: 'payment.resend_recovered', count: ids.length });
    for (const id of ids) this.add(id);
  }

  /** Stops resending; a round under way finishes its current payment. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.round;
  }

  private arm(): void {
    if (this.closed || this.timer !== undefined || this.round !== undefined || this.pending.size === 0)
      return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.round = this.resendAll().finally(() => {
        this.round = undefined;
        this.arm();
      });
    }, this.delayMs);
    this.timer.unref();
  }

  private async resendAll(): Promise<void> {
    const ids = [...this.pending];
    this.pending.clear();
    for (const [i, id] of ids.entries()) {
      if (this.closed) return;
      try {
        const payment = await this.deps.repository.findById(id);
        // Executed meanwhile (a status read, another instance), or no longer there.
        if (payment?.status !== 'ACTC') continue;
        // A deferral adds the id again (PaymentExecutionStep's onDeferred).
        await this.deps.execution().execute(payment, {
          requestId: randomUUID(),
          tppOrganizationIdentifier: payment.owner.organizationIdentifier,
          paymentId: id,
        });
      } catch (error) {
        // The store failed under us: keep this id and the rest for the next round.
        this.deps.logger?.error({ event: 'payment.resend_failed', paymentId: id, err: error });
        for (const rest of ids.slice(i)) this.pending.add(rest);
        break;
      }
    }
    const stillPending = ids.some((id) => this.pending.has(id));
    this.delayMs = stillPending
      ? Math.min(this.delayMs * 2, this.options.maxDelayMs)
      : this.options.firstDelayMs;
    if (stillPending) {
      this.deps.logger?.info({
        event: 'payment.resend_waiting',
        pending: this.pending.size,
        nextInMs: this.delayMs,
      });
    }
  }
}
