/**
 * The case model: what one conformance check claims (clause, expected outcome) and what it observed.
 * Cases are plain data plus a `run` function so that a mismatch with a deployment is fixed by editing a
 * row, not by rewriting control flow.
 */
import type { SuiteContext } from './suite_context';

export type Verdict = 'PASS' | 'FAIL' | 'SKIP';

export const GROUPS = [
  'tls',
  'client-certificate',
  'header-spoofing',
  'roles',
  'consent-lifecycle',
  'cross-tpp',
  'token-binding',
  'frequency-limit',
  'input-validation',
  'signatures',
  'payments',
  'funds-confirmation',
] as const;
export type CaseGroup = (typeof GROUPS)[number];

export interface TlsEvidence {
  handshake: 'completed' | 'refused' | 'not-attempted';
  protocol?: string | null;
  cipher?: string | null;
  offered?: string;
  error?: string;
  sessionReused?: boolean;
  certificatePresented?: boolean;
}

export interface CaseEvidence {
  /** Request line, e.g. `GET /v1/accounts`; several when the case made several requests. */
  request?: string;
  status?: number;
  code?: string | null;
  tls?: TlsEvidence;
  /** Anything else an auditor needs to follow the verdict. */
  notes?: string[];
}

export interface CaseOutcome {
  verdict: Verdict;
  /** What happened, in one sentence; for a FAIL it names the broken guarantee. */
  observed: string;
  /** Why a case was skipped, or what a FAIL means for the deployment. */
  reason?: string;
  evidence: CaseEvidence;
}

export interface ConformanceCase {
  /** Stable identifier, e.g. `TLS-01`, `CERT-alice`. */
  id: string;
  group: CaseGroup;
  title: string;
  /** The clause checked, e.g. `RFC 8446 §4.2.1`. */
  clause: string;
  expected: string;
  run(ctx: SuiteContext): Promise<CaseOutcome>;
}

export interface CaseResult extends CaseOutcome {
  id: string;
  group: CaseGroup;
  title: string;
  clause: string;
  expected: string;
  startedAt: string;
  durationMs: number;
}

/**
 * Thrown by a case (or a shared step it depends on) when something it needs could not be set up. The
 * runner turns it into SKIP with this message as the reason, so an unrelated failure does not
 * masquerade as a verdict on this case.
 */
export class PrerequisiteFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrerequisiteFailed';
  }
}

export const pass = (observed: string, evidence: CaseEvidence = {}): CaseOutcome => ({
  verdict: 'PASS',
  observed,
  evidence,
});

export const fail = (observed: string, evidence: CaseEvidence = {}, reason?: string): CaseOutcome => ({
  verdict: 'FAIL',
  observed,
  evidence,
  ...(reason !== undefined ? { reason } : {}),
});

export const skip = (reason: string, evidence: CaseEvidence = {}): CaseOutcome => ({
  verdict: 'SKIP',
  observed: 'not run',
  reason,
  evidence,
});
