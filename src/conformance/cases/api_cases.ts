/** Frequency limit (frequencyPerDay) and input validation / error format. */
import { randomUUID } from 'node:crypto';
import type { TppResponse } from '../../client/tpp_client';
import { fail, pass, PrerequisiteFailed, type ConformanceCase } from '../conformance_case';
import { describe, evidenceOf, type SuiteContext } from '../suite_context';
import { flowsOf } from '../tpp_flows';
import { expectAnswer, judge } from './expectations';

const BG = 'Berlin Group NextGenPSD2 1.3.x';
const PSU_IP = { 'PSU-IP-Address': '192.0.2.10' };

async function reads(
  ctx: SuiteContext,
  key: string,
  frequencyPerDay: number,
  plan: Array<'psu' | 'batch'>,
): Promise<TppResponse[]> {
  return ctx.memo(`frequency:${key}`, async () => {
    const flows = flowsOf(ctx);
    const c = await flows.authorisedConsent(ctx.roles.alice, frequencyPerDay);
    const out: TppResponse[] = [];
    for (const kind of plan)
      out.push(
        await flows.readAccounts(ctx.roles.alice, c.consentId, c.accessToken, kind === 'psu' ? PSU_IP : {}),
      );
    return out;
  });
}

const trail = (rs: TppResponse[], plan: Array<'psu' | 'batch'>): string[] =>
  rs.map(
    (r, i) =>
      `read ${i + 1} (${plan[i] === 'psu' ? 'with PSU-IP-Address' : 'without PSU-IP-Address'}): ${describe(r)}`,
  );

export function frequencyCases(): ConformanceCase[] {
  const g = 'frequency-limit' as const;
  const planA: Array<'psu' | 'batch'> = ['batch', 'batch', 'batch'];
  const planB: Array<'psu' | 'batch'> = ['psu', 'psu', 'psu', 'batch', 'batch'];
  return [
    {
      id: 'FRQ-01',
      group: g,
      title: 'Reads without the PSU beyond frequencyPerDay are refused',
      clause: `${BG} §6.3.1 (frequencyPerDay); error codes (ACCESS_EXCEEDED)`,
      expected: 'frequencyPerDay 2: reads 1-2 answer 200, read 3 answers 429 ACCESS_EXCEEDED',
      async run(ctx) {
        const rs = await reads(ctx, 'limit2', 2, planA);
        const notes = trail(rs, planA);
        const [r1, r2, r3] = rs;
        if (r1 === undefined || r2 === undefined || r3 === undefined)
          throw new PrerequisiteFailed('reads missing');
        if (r1.status !== 200 || r2.status !== 200)
          return fail(
            `reads within the limit were refused (${describe(r1)}, ${describe(r2)})`,
            evidenceOf(r2, notes),
          );
        return judge(
          r3,
          { status: 429, codes: ['ACCESS_EXCEEDED'] },
          'the daily frequency limit is not enforced',
          notes,
        );
      },
    },
    {
      id: 'FRQ-02',
      group: g,
      title: 'Reads with PSU-IP-Address do not count against frequencyPerDay',
      clause: `${BG} §6.3.1 (frequencyPerDay applies to access without the PSU)`,
      expected:
        'frequencyPerDay 1: three reads with PSU-IP-Address 200, then one without 200, the next without 429',
      async run(ctx) {
        const rs = await reads(ctx, 'psu-present', 1, planB);
        const notes = trail(rs, planB);
        const ok = rs.map((r) => r.status);
        const last = rs[4];
        if (last === undefined) throw new PrerequisiteFailed('reads missing');
        if (ok.slice(0, 4).some((s) => s !== 200)) {
          return fail(
            'reads with the PSU present (or the first without) were refused or counted against the limit',
            evidenceOf(last, notes),
          );
        }
        return judge(
          last,
          { status: 429, codes: ['ACCESS_EXCEEDED'] },
          'the limit is not enforced once the PSU is absent',
          notes,
        );
      },
    },
    {
      id: 'FRQ-03',
      group: g,
      title: 'The limit belongs to the consent, not to the TPP',
      clause: `${BG} §6.3.1`,
      expected: "after one consent's limit is exhausted, another consent of the same TPP still reads 200",
      async run(ctx) {
        const rs = await reads(ctx, 'limit2', 2, planA);
        if (rs[2]?.status !== 429)
          throw new PrerequisiteFailed(
            `the limit was not reached on the first consent (${rs[2] ? describe(rs[2]) : 'no read'})`,
          );
        const flows = flowsOf(ctx);
        const other = await flows.authorisedConsent(ctx.roles.alice, 2);
        const res = await flows.readAccounts(ctx.roles.alice, other.consentId, other.accessToken);
        return judge(res, { status: 200 }, "one consent's exhausted limit blocked another consent");
      },
    },
  ];
}

const STACK =
  /(\n\s+at [^\n]+:\d+:\d+)|(node_modules[\\/])|((\/[\w.-]+)+\.(ts|js):\d+)|(Error: [^\n]*\n\s+at )/;

function isBerlinGroupError(r: { body: string; contentType: string | undefined }): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(r.body);
  } catch {
    return 'body is not JSON';
  }
  const msgs = (json as { tppMessages?: unknown }).tppMessages;
  if (!Array.isArray(msgs) || msgs.length === 0) return 'no tppMessages array';
  for (const m of msgs as Array<Record<string, unknown>>) {
    if (m.category !== 'ERROR') return `category ${String(m.category)}`;
    if (typeof m.code !== 'string' || m.code === '') return 'message without code';
    if (m.text !== undefined && typeof m.text !== 'string') return 'text is not a string';
  }
  if (!/application\/json/i.test(r.contentType ?? '')) return `Content-Type ${r.contentType ?? 'absent'}`;
  return undefined;
}

export function validationCases(): ConformanceCase[] {
  const g = 'input-validation' as const;
  const formatError = { status: 400, codes: ['FORMAT_ERROR'] };
  const consentPost = (ctx: SuiteContext, json?: unknown, body?: string) => ({
    method: 'POST',
    path: ctx.contract.consentsPath,
    headers: {
      'TPP-Redirect-URI': ctx.contract.redirectUri,
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    },
    ...(json !== undefined ? { json } : {}),
    ...(body !== undefined ? { body } : {}),
  });
  return [
    {
      id: 'VAL-01',
      group: g,
      title: 'A request without X-Request-ID is refused',
      clause: `${BG} §4 (X-Request-ID mandatory); FORMAT_ERROR`,
      expected: '400 FORMAT_ERROR (401 SIGNATURE_MISSING where signatures are required)',
      run: (ctx) =>
        expectAnswer(
          ctx,
          ctx.roles.alice,
          consentPost(ctx, ctx.contract.consentBody({ frequencyPerDay: 1 })),
          // Berlin Group signs X-Request-ID: where signatures are required, a request without one cannot be
          // signed, and the signature check answers first.
          ctx.signatures ? { status: 401, codes: ['SIGNATURE_MISSING', 'SIGNATURE_INVALID'] } : formatError,
          'a request without X-Request-ID was processed',
          { omitRequestId: true },
        ),
    },
    {
      id: 'VAL-02',
      group: g,
      title: 'A malformed X-Request-ID is refused',
      clause: `${BG} §4 (X-Request-ID is a UUID); FORMAT_ERROR`,
      expected: '400 FORMAT_ERROR',
      run: (ctx) => {
        const req = consentPost(ctx, ctx.contract.consentBody({ frequencyPerDay: 1 }));
        return expectAnswer(
          ctx,
          ctx.roles.alice,
          { ...req, headers: { ...req.headers, 'X-Request-ID': 'not-a-uuid' } },
          formatError,
          'a malformed X-Request-ID was accepted',
        );
      },
    },
    {
      id: 'VAL-03',
      group: g,
      title: 'A malformed JSON body is refused',
      clause: `${BG} error codes (FORMAT_ERROR)`,
      expected: '400 FORMAT_ERROR',
      run: (ctx) =>
        expectAnswer(
          ctx,
          ctx.roles.alice,
          consentPost(ctx, undefined, '{"access": {'),
          formatError,
          'malformed JSON was not refused as FORMAT_ERROR',
        ),
    },
    {
      id: 'VAL-04',
      group: g,
      title: 'A consent without access is refused',
      clause: `${BG} §6.3.1 (access is mandatory); FORMAT_ERROR`,
      expected: '400 FORMAT_ERROR',
      run: (ctx) => {
        const body = { ...ctx.contract.consentBody({ frequencyPerDay: 1 }) };
        delete body.access;
        return expectAnswer(
          ctx,
          ctx.roles.alice,
          consentPost(ctx, body),
          formatError,
          'a consent without access was accepted',
        );
      },
    },
    {
      id: 'VAL-05',
      group: g,
      title: 'frequencyPerDay 0 is refused',
      clause: `${BG} §6.3.1 (frequencyPerDay ≥ 1); FORMAT_ERROR`,
      expected: '400 FORMAT_ERROR',
      run: (ctx) =>
        expectAnswer(
          ctx,
          ctx.roles.alice,
          consentPost(ctx, ctx.contract.consentBody({ frequencyPerDay: 0 })),
          formatError,
          'frequencyPerDay 0 was accepted',
        ),
    },
    {
      id: 'VAL-06',
      group: g,
      title: 'An unknown path answers 404',
      clause: `${BG} error codes (404 RESOURCE_UNKNOWN); RFC 9110 §15.5.5`,
      expected: '404 with a tppMessages body',
      run: (ctx) =>
        expectAnswer(
          ctx,
          ctx.roles.alice,
          { path: `/v1/no-such-resource-${randomUUID().slice(0, 8)}` },
          { status: 404 },
          'an unknown path was not answered 404',
        ),
    },
    {
      id: 'VAL-07',
      group: g,
      title: 'A method the endpoint does not offer answers 405',
      clause: `${BG} error codes (405 SERVICE_INVALID); RFC 9110 §15.5.6`,
      expected: '405 SERVICE_INVALID',
      run: (ctx) =>
        expectAnswer(
          ctx,
          ctx.roles.alice,
          { method: 'PUT', path: ctx.contract.consentsPath, json: {} },
          { status: 405, codes: ['SERVICE_INVALID'] },
          'a wrong method was not answered 405 SERVICE_INVALID',
        ),
    },
    {
      id: 'VAL-08',
      group: g,
      title: "Responses carry the request's X-Request-ID",
      clause: `${BG} §4 (X-Request-ID in every response)`,
      expected: 'the X-Request-ID response header equals the one sent',
      async run(ctx) {
        const id = randomUUID();
        const res = await ctx.send(ctx.roles.alice, {
          path: ctx.contract.accountsPath,
          headers: { 'X-Request-ID': id },
        });
        const got = res.headers['x-request-id'];
        const ev = evidenceOf(res, [`sent ${id}, received ${String(got ?? 'none')}`]);
        return got === id
          ? pass('echoed', ev)
          : fail("the response does not carry the request's X-Request-ID", ev);
      },
    },
    {
      id: 'VAL-09',
      group: g,
      title: 'Every /v1 error seen in this run is a Berlin Group tppMessages body',
      clause: `${BG} §14 (error information: tppMessages with category, code, text)`,
      expected: '{"tppMessages":[{"category":"ERROR","code":…,"text":…}]} with Content-Type application/json',
      async run(ctx) {
        const v1 = ctx.errorResponses.filter((r) => / \/v1\//.test(r.requestLine));
        if (v1.length === 0) throw new PrerequisiteFailed('no /v1 error responses were observed in this run');
        const bad = v1
          .map((r) => ({ r, problem: isBerlinGroupError(r) }))
          .filter((x) => x.problem !== undefined);
        const notes = bad.slice(0, 10).map((x) => `${x.r.requestLine} -> ${x.r.status}: ${x.problem ?? ''}`);
        if (bad.length > 0)
          return fail(`${bad.length} of ${v1.length} error responses are not in the Berlin Group format`, {
            notes,
          });
        return pass(`${v1.length} error responses checked`);
      },
    },
    {
      id: 'VAL-10',
      group: g,
      title: 'No error response leaks a stack trace or source path',
      clause: 'OWASP ASVS 7.4.1; RFC 9457 §5 (security considerations)',
      expected: 'no "at file:line:col" frames, node_modules or source paths in any error body',
      async run(ctx) {
        const all = ctx.errorResponses;
        if (all.length === 0) throw new PrerequisiteFailed('no error responses were observed in this run');
        const leaks = all.filter((r) => STACK.test(r.body));
        const notes = leaks
          .slice(0, 5)
          .map((r) => `${r.requestLine} -> ${r.status}: ${r.body.slice(0, 200)}`);
        if (leaks.length > 0)
          return fail(`${leaks.length} error responses leak internals (stack trace or source path)`, {
            notes,
          });
        return pass(`${all.length} error responses checked`);
      },
    },
  ];
}
