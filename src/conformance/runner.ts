/**
 * Runs cases one after another (they share consents and a rate-limited target) and turns anything a
 * case throws into a verdict: a missing prerequisite is SKIP, any other exception is FAIL, because a
 * suite that cannot tell what happened must not report success.
 */
import { GROUPS, PrerequisiteFailed, type CaseResult, type ConformanceCase } from './conformance_case';
import type { SuiteContext } from './suite_context';

export class SelectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectionError';
  }
}

/** `--only` / `--skip` entries: a case id or a group name, case-insensitive. */
export function selectCases(
  cases: readonly ConformanceCase[],
  only: readonly string[] = [],
  skipped: readonly string[] = [],
): ConformanceCase[] {
  const known = new Set([...cases.map((c) => c.id.toLowerCase()), ...GROUPS]);
  for (const entry of [...only, ...skipped]) {
    if (!known.has(entry.toLowerCase())) {
      throw new SelectionError(`unknown case or group: ${entry} (groups: ${GROUPS.join(', ')})`);
    }
  }
  const matches = (c: ConformanceCase, list: readonly string[]): boolean =>
    list.some((e) => e.toLowerCase() === c.id.toLowerCase() || e.toLowerCase() === c.group);
  return cases.filter((c) => (only.length === 0 || matches(c, only)) && !matches(c, skipped));
}

export interface RunSuiteParams {
  ctx: SuiteContext;
  cases: readonly ConformanceCase[];
  onResult?: (result: CaseResult) => void;
}

export interface SuiteRun {
  startedAt: string;
  finishedAt: string;
  results: CaseResult[];
}

export async function runSuite(params: RunSuiteParams): Promise<SuiteRun> {
  const startedAt = new Date().toISOString();
  const results: CaseResult[] = [];
  for (const c of params.cases) {
    const started = Date.now();
    let outcome;
    try {
      outcome = await c.run(params.ctx);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      outcome =
        error instanceof PrerequisiteFailed
          ? { verdict: 'SKIP' as const, observed: 'not run', reason: message, evidence: {} }
          : {
              verdict: 'FAIL' as const,
              observed: `the case could not complete: ${message}`,
              reason: 'an unexpected error is not evidence of conformance',
              evidence: {},
            };
    }
    const result: CaseResult = {
      id: c.id,
      group: c.group,
      title: c.title,
      clause: c.clause,
      expected: c.expected,
      ...outcome,
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
    };
    results.push(result);
    params.onResult?.(result);
  }
  return { startedAt, finishedAt: new Date().toISOString(), results };
}
