/** Shared judging for cases that send one request and expect one answer. */
import { TlsRefusedError, type TppRequest, type TppResponse } from '../../client/tpp_client';
import { fail, pass, type CaseEvidence, type CaseOutcome } from '../conformance_case';
import { codeOf, describe, evidenceOf, type SendOptions, type SuiteContext } from '../suite_context';

export interface Expectation {
  status: number;
  /** Acceptable codes (Berlin Group `tppMessages[0].code` or OAuth `error`); any code when absent. */
  codes?: readonly string[];
  /** A connection dropped by the server's TLS layer also counts as the expected refusal. */
  tlsRefusalAllowed?: boolean;
}

export function expectationText(e: Expectation): string {
  const codes = e.codes === undefined ? '' : ` ${e.codes.join(' or ')}`;
  return `${e.status}${codes}${e.tlsRefusalAllowed ? ' (or the handshake refused)' : ''}`;
}

export function meets(res: TppResponse, e: Expectation): boolean {
  const code = codeOf(res);
  return res.status === e.status && (e.codes === undefined || (code !== null && e.codes.includes(code)));
}

/**
 * PASS when the answer meets the expectation; otherwise FAIL with `guarantee` (the promise the deployment
 * broke, e.g. "a request without a certificate was served") leading the observation.
 */
export function judge(res: TppResponse, e: Expectation, guarantee: string, notes?: string[]): CaseOutcome {
  const evidence = evidenceOf(res, notes);
  if (meets(res, e)) return pass(`answered ${describe(res)}`, evidence);
  return fail(`${guarantee}: answered ${describe(res)} instead of ${expectationText(e)}`, evidence);
}

export function tlsRefusalEvidence(error: TlsRefusedError, request?: string): CaseEvidence {
  return {
    ...(request !== undefined ? { request } : {}),
    tls: { handshake: 'refused', error: `${error.stage}: ${error.code ?? ''} ${error.message}`.trim() },
  };
}

/** Sends one request and judges it, treating a TLS-layer refusal according to the expectation. */
export async function expectAnswer(
  ctx: SuiteContext,
  identity: string | null,
  request: TppRequest,
  e: Expectation,
  guarantee: string,
  options?: SendOptions,
): Promise<CaseOutcome> {
  const line = `${(request.method ?? 'GET').toUpperCase()} ${request.path}`;
  try {
    const res = await ctx.send(identity, request, options);
    return judge(res, e, guarantee);
  } catch (error) {
    if (!(error instanceof TlsRefusedError)) throw error;
    const evidence = tlsRefusalEvidence(error, line);
    if (e.tlsRefusalAllowed === true) return pass(`refused at the TLS layer (${error.stage})`, evidence);
    return fail(
      `${guarantee}: the connection was dropped at the TLS layer (${error.message}) instead of ${expectationText(e)}`,
      evidence,
    );
  }
}
