/**
 * What /readyz asks. Every dependency the gateway needs to answer a TPP plugs in one check; the bank
 * connector registers its own (the embedded sandbox bank's is trivially ready).
 */

/** One named check; `check` resolves when ready and rejects (or resolves a reason) when not. */
export interface ReadinessCheck {
  readonly name: string;
  /** Resolves undefined when ready, or a short reason for the operator. A rejection counts as not ready. */
  check(): Promise<string | undefined>;
}

export interface ReadinessReport {
  ready: boolean;
  checks: { name: string; ok: boolean; reason?: string }[];
}

/** A check that takes longer than this counts as failed: a load balancer probe must not hang. */
const CHECK_TIMEOUT_MS = 2_000;

function withTimeout(check: ReadinessCheck): Promise<string | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(`no answer within ${CHECK_TIMEOUT_MS} ms`), CHECK_TIMEOUT_MS);
    timer.unref();
    check.check().then(
      (reason) => {
        clearTimeout(timer);
        resolve(reason);
      },
      (error: unknown) => {
        clearTimeout(timer);
        resolve(error instanceof Error ? error.message : String(error));
      },
    );
  });
}

export class Readiness {
  private readonly checks: ReadinessCheck[] = [];
  private drainingSince: Date | undefined;

  /** Adds a check, or replaces the one of the same name (the bank connector replaces the sandbox's). */
  set(check: ReadinessCheck): void {
    const index = this.checks.findIndex((c) => c.name === check.name);
    if (index >= 0) this.checks[index] = check;
    else this.checks.push(check);
  }

  /** From now on /readyz fails, so the load balancer stops sending before the listener closes. */
  startDraining(): void {
    this.drainingSince ??= new Date();
  }

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  async report(): Promise<ReadinessReport> {
    const results = await Promise.all(
      this.checks.map(async (c) => {
        const reason = await withTimeout(c);
        return reason === undefined ? { name: c.name, ok: true } : { name: c.name, ok: false, reason };
      }),
    );
    const draining = this.drainingSince;
    const checks = [
      draining === undefined
        ? { name: 'not_draining', ok: true }
        : { name: 'not_draining', ok: false, reason: `draining since ${draining.toISOString()}` },
      ...results,
    ];
    return { ready: checks.every((c) => c.ok), checks };
  }
}

/** Merges the reports of several workers: ready only when every one is; failing checks name the worker. */
export function mergeReports(reports: { worker: string; report: ReadinessReport }[]): ReadinessReport {
  const checks = reports.flatMap(({ worker, report }) =>
    report.checks.map((c) => (reports.length > 1 ? { ...c, name: `${worker}:${c.name}` } : c)),
  );
  return { ready: reports.length > 0 && reports.every((r) => r.report.ready), checks };
}
