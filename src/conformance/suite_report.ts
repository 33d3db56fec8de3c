/**
 * The one report model every output is rendered from, so JSON, JUnit, HTML and the terminal never
 * disagree.
 */
import { GROUPS, type CaseGroup, type CaseResult, type Verdict } from './conformance_case';
import type { PreflightFinding } from './preflight';
import type { SuiteRun } from './runner';

export type Tally = Record<Verdict, number> & { total: number };

export interface SuiteReport {
  tool: { name: string; version: string };
  target: string;
  serverName: string;
  anchor: { subject: string | null; sha256: string };
  /** From the first completed handshake of the run. */
  tls: { protocol: string | null; cipher: string | null };
  startedAt: string;
  finishedAt: string;
  verdict: 'PASS' | 'FAIL';
  summary: Tally;
  groups: Array<{ group: CaseGroup } & Tally>;
  preflight: PreflightFinding[];
  results: CaseResult[];
}

export interface BuildSuiteReportParams {
  run: SuiteRun;
  tool: { name: string; version: string };
  target: string;
  serverName: string;
  anchor: { subject: string | null; sha256: string };
  tls: { protocol: string | null; cipher: string | null };
  preflight: PreflightFinding[];
}

export function tally(results: readonly CaseResult[]): Tally {
  const t: Tally = { PASS: 0, FAIL: 0, SKIP: 0, total: 0 };
  for (const r of results) {
    t[r.verdict]++;
    t.total++;
  }
  return t;
}

export function buildSuiteReport(params: BuildSuiteReportParams): SuiteReport {
  const { results } = params.run;
  const summary = tally(results);
  return {
    tool: params.tool,
    target: params.target,
    serverName: params.serverName,
    anchor: params.anchor,
    tls: params.tls,
    startedAt: params.run.startedAt,
    finishedAt: params.run.finishedAt,
    verdict: summary.FAIL > 0 ? 'FAIL' : 'PASS',
    summary,
    groups: GROUPS.map((group) => ({ group, ...tally(results.filter((r) => r.group === group)) })).filter(
      (g) => g.total > 0,
    ),
    preflight: params.preflight,
    results,
  };
}
