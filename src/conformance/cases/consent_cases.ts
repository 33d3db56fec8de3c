/**
 * Consent lifecycle (create -> received -> PSU approves -> valid -> read -> DELETE -> terminatedByTpp ->
 * refused) and cross-TPP isolation. Lifecycle steps are memoised so each case checks one transition and
 * later cases SKIP, naming the step, when an earlier one did not happen.
 */
import { randomUUID } from 'node:crypto';
import type { TppResponse } from '../../client/tpp_client';
import { fail, pass, PrerequisiteFailed, type ConformanceCase } from '../conformance_case';
import { codeOf, describe, evidenceOf, type SuiteContext } from '../suite_context';
import { aliceTargetConsent, flowsOf, type AuthorisationCode } from '../tpp_flows';
import { expectAnswer, judge, meets } from './expectations';

const BG = 'Berlin Group NextGenPSD2 1.3.x';

interface Lifecycle {
  create(): Promise<TppResponse>;
  consentId(): Promise<string>;
  code(): Promise<AuthorisationCode>;
  token(): Promise<string>;
  deleted(): Promise<TppResponse>;
}

function lifecycle(ctx: SuiteContext): Lifecycle {
  const flows = flowsOf(ctx);
  const alice = ctx.roles.alice;
  const create = (): Promise<TppResponse> =>
    ctx.memo('lifecycle:create', () =>
      ctx.send(alice, {
        method: 'POST',
        path: ctx.contract.consentsPath,
        headers: { 'TPP-Redirect-URI': ctx.contract.redirectUri, 'PSU-IP-Address': '192.0.2.10' },
        json: ctx.contract.consentBody({ frequencyPerDay: 4 }),
      }),
    );
  const consentId = async (): Promise<string> => {
    const res = await create();
    const id = (res.json as { consentId?: unknown } | undefined)?.consentId;
    if (res.status !== 201 || typeof id !== 'string')
      throw new PrerequisiteFailed(`consent could not be created: answered ${describe(res)}`);
    return id;
  };
  const code = (): Promise<AuthorisationCode> =>
    ctx.memo('lifecycle:code', async () => {
      const id = await consentId();
      const { outcome, state, pkce } = await flows.authorise(alice, id);
      if (outcome.kind !== 'redirected' || outcome.code === null) {
        const why =
          outcome.kind === 'stopped'
            ? outcome.reason
            : `redirect without code (error=${outcome.error ?? 'none'})`;
        throw new PrerequisiteFailed(`consent could not be authorised: ${why} [${outcome.trail.join('; ')}]`);
      }
      return { identity: alice, consentId: id, code: outcome.code, state, pkce, outcome };
    });
  const tokenResponse = (): Promise<TppResponse> =>
    ctx.memo('lifecycle:token', async () => flows.redeem(alice, await code()));
  const token = async (): Promise<string> => {
    const res = await tokenResponse();
    const t = (res.json as { access_token?: unknown } | undefined)?.access_token;
    if (res.status !== 200 || typeof t !== 'string')
      throw new PrerequisiteFailed(`token could not be obtained: answered ${describe(res)}`);
    return t;
  };
  const deleted = (): Promise<TppResponse> =>
    ctx.memo('lifecycle:delete', async () => {
      const id = await consentId();
      await token();
      return ctx.send(alice, { method: 'DELETE', path: `${ctx.contract.consentsPath}/${id}` });
    });
  return { create, consentId, code, token, deleted };
}

async function statusOf(ctx: SuiteContext, identity: string, consentId: string): Promise<TppResponse> {
  return ctx.send(identity, { path: `${ctx.contract.consentsPath}/${consentId}/status` });
}

function consentStatus(res: TppResponse): string | undefined {
  const s = (res.json as { consentStatus?: unknown } | undefined)?.consentStatus;
  return typeof s === 'string' ? s : undefined;
}

function expectStatus(res: TppResponse, wanted: string, guarantee: string): ReturnType<typeof pass> {
  const got = consentStatus(res);
  if (res.status === 200 && got === wanted) return pass(`consentStatus ${got}`, evidenceOf(res));
  return fail(
    `${guarantee}: answered ${describe(res)} with consentStatus ${got ?? 'absent'}`,
    evidenceOf(res),
  );
}

export function consentLifecycleCases(): ConformanceCase[] {
  const g = 'consent-lifecycle' as const;
  return [
    {
      id: 'CON-01',
      group: g,
      title: 'Alice creates an AIS consent',
      clause: `${BG} §6.3.1 (Establish Account Information Consent)`,
      expected:
        '201 with consentId, consentStatus "received" and an SCA link (_links.scaOAuth or scaRedirect)',
      async run(ctx) {
        const res = await lifecycle(ctx).create();
        const body = (res.json ?? {}) as {
          consentId?: unknown;
          consentStatus?: unknown;
          _links?: Record<string, unknown>;
        };
        const links = Object.keys(body._links ?? {});
        const notes = [`_links: ${links.join(', ') || 'none'}`];
        if (res.status !== 201)
          return fail(`consent creation refused: answered ${describe(res)}`, evidenceOf(res, notes));
        if (typeof body.consentId !== 'string' || body.consentStatus !== 'received') {
          return fail(
            `201 without consentId or with consentStatus ${String(body.consentStatus)}`,
            evidenceOf(res, notes),
          );
        }
        if (!links.includes('scaOAuth') && !links.includes('scaRedirect'))
          return fail('201 without an SCA link', evidenceOf(res, notes));
        return pass(`201, consentStatus received, links ${links.join(', ')}`, evidenceOf(res, notes));
      },
    },
    {
      id: 'CON-02',
      group: g,
      title: 'A new consent reports status "received"',
      clause: `${BG} §6.3.3 (Get Status Request)`,
      expected: '200 {"consentStatus":"received"}',
      async run(ctx) {
        const id = await lifecycle(ctx).consentId();
        return expectStatus(
          await statusOf(ctx, ctx.roles.alice, id),
          'received',
          'the new consent is not reported as received',
        );
      },
    },
    {
      id: 'CON-03',
      group: g,
      title: 'Alice reads her consent',
      clause: `${BG} §6.3.4 (Get Consent Request)`,
      expected: '200 with the access object and consentStatus',
      async run(ctx) {
        const id = await lifecycle(ctx).consentId();
        const res = await ctx.send(ctx.roles.alice, { path: `${ctx.contract.consentsPath}/${id}` });
        const body = (res.json ?? {}) as { access?: unknown; consentStatus?: unknown };
        if (res.status === 200 && typeof body.access === 'object' && typeof body.consentStatus === 'string') {
          return pass(`200, consentStatus ${body.consentStatus}`, evidenceOf(res));
        }
        return fail(`the consent could not be read back: answered ${describe(res)}`, evidenceOf(res));
      },
    },
    {
      id: 'CON-04',
      group: g,
      title: 'The PSU approves on the authorisation page',
      clause: 'RFC 6749 §4.1.2; Berlin Group NextGenPSD2 1.3.x OAuth SCA approach',
      expected: '303 to the redirect_uri with a code and the unchanged state',
      async run(ctx) {
        const lc = lifecycle(ctx);
        await lc.consentId();
        let code;
        try {
          code = await lc.code();
        } catch (error) {
          if (error instanceof PrerequisiteFailed)
            return fail(`the PSU could not authorise the consent: ${error.message}`);
          throw error;
        }
        const notes = code.outcome.trail;
        return pass(`redirected to the redirect_uri with a code; state unchanged`, {
          request: notes[0] ?? '',
          notes,
        });
      },
    },
    {
      id: 'CON-05',
      group: g,
      title: 'The code is redeemed with PKCE for a bearer token',
      clause: 'RFC 6749 §4.1.3-4.1.4; RFC 7636 §4.5; RFC 8705 §2.1',
      expected: '200 with access_token and token_type Bearer',
      async run(ctx) {
        const lc = lifecycle(ctx);
        await lc.code();
        const res = await ctx.memo('lifecycle:token', async () =>
          flowsOf(ctx).redeem(ctx.roles.alice, await lc.code()),
        );
        const body = (res.json ?? {}) as { access_token?: unknown; token_type?: unknown };
        if (
          res.status === 200 &&
          typeof body.access_token === 'string' &&
          String(body.token_type).toLowerCase() === 'bearer'
        ) {
          return pass('200 with a Bearer access token', evidenceOf(res));
        }
        return fail(
          `the code was not exchanged for a bearer token: answered ${describe(res)}`,
          evidenceOf(res),
        );
      },
    },
    {
      id: 'CON-06',
      group: g,
      title: 'An approved consent reports status "valid"',
      clause: `${BG} §6.3.3`,
      expected: '200 {"consentStatus":"valid"}',
      async run(ctx) {
        const lc = lifecycle(ctx);
        await lc.token();
        return expectStatus(
          await statusOf(ctx, ctx.roles.alice, await lc.consentId()),
          'valid',
          'the approved consent is not valid',
        );
      },
    },
    {
      id: 'CON-07',
      group: g,
      title: 'Alice reads the account list under the consent',
      clause: `${BG} §6.5.1 (Read Account List)`,
      expected: '200 with an accounts array',
      async run(ctx) {
        const lc = lifecycle(ctx);
        const res = await flowsOf(ctx).readAccounts(ctx.roles.alice, await lc.consentId(), await lc.token(), {
          'PSU-IP-Address': '192.0.2.10',
        });
        const accounts = (res.json as { accounts?: unknown } | undefined)?.accounts;
        if (res.status === 200 && Array.isArray(accounts))
          return pass(`200 with ${accounts.length} account(s)`, evidenceOf(res));
        return fail(
          `a valid consent with its token could not read accounts: answered ${describe(res)}`,
          evidenceOf(res),
        );
      },
    },
    {
      id: 'CON-08',
      group: g,
      title: 'Alice deletes the consent',
      clause: `${BG} §6.3.5 (Delete an Account Information Consent Object)`,
      expected: '204',
      async run(ctx) {
        const res = await lifecycle(ctx).deleted();
        return judge(res, { status: 204 }, 'the TPP could not terminate its consent');
      },
    },
    {
      id: 'CON-09',
      group: g,
      title: 'A deleted consent reports status "terminatedByTpp"',
      clause: `${BG} §6.3.3; consent status codes`,
      expected: '200 {"consentStatus":"terminatedByTpp"}',
      async run(ctx) {
        const lc = lifecycle(ctx);
        const del = await lc.deleted();
        if (del.status !== 204)
          throw new PrerequisiteFailed(`consent could not be deleted: answered ${describe(del)}`);
        return expectStatus(
          await statusOf(ctx, ctx.roles.alice, await lc.consentId()),
          'terminatedByTpp',
          'the deleted consent is not terminatedByTpp',
        );
      },
    },
    {
      id: 'CON-10',
      group: g,
      title: 'A deleted consent no longer gives access',
      clause: `${BG} error codes (CONSENT_INVALID)`,
      expected: '401 CONSENT_INVALID',
      async run(ctx) {
        const lc = lifecycle(ctx);
        const del = await lc.deleted();
        if (del.status !== 204)
          throw new PrerequisiteFailed(`consent could not be deleted: answered ${describe(del)}`);
        const res = await flowsOf(ctx).readAccounts(ctx.roles.alice, await lc.consentId(), await lc.token(), {
          'PSU-IP-Address': '192.0.2.10',
        });
        return judge(
          res,
          { status: 401, codes: ['CONSENT_INVALID'] },
          'a terminated consent still gives access',
        );
      },
    },
    {
      id: 'CON-11',
      group: g,
      title: 'The PSU denies: no code, consent "rejected"',
      clause: 'RFC 6749 §4.1.2.1 (access_denied); Berlin Group consent status "rejected"',
      expected: 'redirect with error=access_denied and no code; consentStatus rejected',
      async run(ctx) {
        const flows = flowsOf(ctx);
        const { consentId } = await flows.createConsent(ctx.roles.alice);
        const { outcome } = await flows.authorise(ctx.roles.alice, consentId, { decision: 'deny' });
        const notes = outcome.trail;
        if (outcome.kind !== 'redirected')
          throw new PrerequisiteFailed(
            `the decision form could not be submitted: ${outcome.reason} [${notes.join('; ')}]`,
          );
        if (outcome.code !== null)
          return fail('a denied authorisation still produced an authorization code', { notes });
        const status = await statusOf(ctx, ctx.roles.alice, consentId);
        const s = consentStatus(status);
        const ev = evidenceOf(status, [...notes, `redirect error=${outcome.error ?? 'none'}`]);
        if (outcome.error !== 'access_denied')
          return fail(
            `the denial was redirected with error=${outcome.error ?? 'none'}, not access_denied`,
            ev,
          );
        if (s !== 'rejected') return fail(`the denied consent is ${s ?? 'unreadable'}, not rejected`, ev);
        return pass('error=access_denied, no code, consentStatus rejected', ev);
      },
    },
    {
      id: 'CON-12',
      group: g,
      title: 'Wrong PSU credentials produce no code',
      clause: 'Berlin Group NextGenPSD2 1.3.x OAuth SCA approach; PSD2 RTS Art. 4 (authentication code)',
      expected: 'the login is refused: no redirect with a code',
      async run(ctx) {
        const flows = flowsOf(ctx);
        const { consentId } = await flows.createConsent(ctx.roles.alice);
        const { outcome } = await flows.authorise(ctx.roles.alice, consentId, {
          password: `wrong-${randomUUID()}`,
        });
        const notes = outcome.trail;
        if (outcome.kind === 'redirected' && outcome.code !== null)
          return fail('the authorisation page issued a code for a wrong password', { notes });
        return pass(
          outcome.kind === 'stopped'
            ? `refused: ${outcome.reason}`
            : `redirected with error=${outcome.error ?? 'none'}`,
          { notes },
        );
      },
    },
    {
      id: 'CON-13',
      group: g,
      title: 'A consent the PSU has not authorised gives no access',
      clause: `${BG} error codes (CONSENT_INVALID); RFC 6750 §3.1`,
      expected: '401 (CONSENT_INVALID or a TOKEN_* code); never 200',
      async run(ctx) {
        const { consentId } = await flowsOf(ctx).createConsent(ctx.roles.alice);
        const res = await flowsOf(ctx).readAccounts(ctx.roles.alice, consentId, undefined);
        return judge(res, { status: 401 }, 'accounts were read under a consent that was never authorised');
      },
    },
  ];
}

export function crossTppCases(): ConformanceCase[] {
  const g = 'cross-tpp' as const;
  const unknownInPath = { status: 403, codes: ['CONSENT_UNKNOWN'] } as const;
  const guarantee = "Carol reached Alice's consent";
  return [
    {
      id: 'XTPP-01',
      group: g,
      title: "Carol cannot read Alice's consent",
      clause: `${BG} error codes (CONSENT_UNKNOWN, 403 for an id in the path)`,
      expected: '403 CONSENT_UNKNOWN',
      async run(ctx) {
        const { consentId } = await aliceTargetConsent(ctx);
        return expectAnswer(
          ctx,
          ctx.roles.carol,
          { path: `${ctx.contract.consentsPath}/${consentId}` },
          unknownInPath,
          guarantee,
        );
      },
    },
    {
      id: 'XTPP-02',
      group: g,
      title: "Carol cannot read the status of Alice's consent",
      clause: `${BG} error codes (CONSENT_UNKNOWN)`,
      expected: '403 CONSENT_UNKNOWN',
      async run(ctx) {
        const { consentId } = await aliceTargetConsent(ctx);
        return expectAnswer(
          ctx,
          ctx.roles.carol,
          { path: `${ctx.contract.consentsPath}/${consentId}/status` },
          unknownInPath,
          guarantee,
        );
      },
    },
    {
      id: 'XTPP-03',
      group: g,
      title: "Carol cannot delete Alice's consent",
      clause: `${BG} §6.3.5; error codes (CONSENT_UNKNOWN)`,
      expected: "403 CONSENT_UNKNOWN, and Alice's consent keeps its status",
      async run(ctx) {
        const { consentId } = await aliceTargetConsent(ctx);
        const res = await ctx.send(ctx.roles.carol, {
          method: 'DELETE',
          path: `${ctx.contract.consentsPath}/${consentId}`,
        });
        const after = await statusOf(ctx, ctx.roles.alice, consentId);
        const notes = [`Alice's consent afterwards: ${describe(after)} ${consentStatus(after) ?? ''}`.trim()];
        if (consentStatus(after) === 'terminatedByTpp')
          return fail("Carol terminated Alice's consent", evidenceOf(res, notes));
        return judge(res, unknownInPath, guarantee, notes);
      },
    },
    {
      id: 'XTPP-04',
      group: g,
      title: "Carol cannot read accounts with Alice's Consent-ID",
      clause: `${BG} error codes (CONSENT_UNKNOWN, 400 for an id in a header)`,
      expected: '400 CONSENT_UNKNOWN',
      async run(ctx) {
        const { consentId } = await aliceTargetConsent(ctx);
        return expectAnswer(
          ctx,
          ctx.roles.carol,
          { path: ctx.contract.accountsPath, headers: { 'Consent-ID': consentId } },
          { status: 400, codes: ['CONSENT_UNKNOWN'] },
          guarantee,
        );
      },
    },
    {
      id: 'XTPP-05',
      group: g,
      title: "Alice's consent id in a path is indistinguishable from an unknown id for Carol",
      clause: `${BG} error codes; RFC 6749 §10 (no existence oracle)`,
      expected: 'the same status and code for both',
      async run(ctx) {
        const { consentId } = await aliceTargetConsent(ctx);
        const foreign = await ctx.send(ctx.roles.carol, {
          path: `${ctx.contract.consentsPath}/${consentId}`,
        });
        const unknown = await ctx.send(ctx.roles.carol, {
          path: `${ctx.contract.consentsPath}/${randomUUID()}`,
        });
        const notes = [`foreign id: ${describe(foreign)}`, `unknown id: ${describe(unknown)}`];
        if (describe(foreign) !== describe(unknown))
          return fail("the answer reveals that Alice's consent exists", evidenceOf(foreign, notes));
        if (!meets(unknown, unknownInPath))
          return fail(
            `both answered ${describe(unknown)} instead of 403 CONSENT_UNKNOWN`,
            evidenceOf(foreign, notes),
          );
        return pass(`both answered ${describe(unknown)}`, evidenceOf(foreign, notes));
      },
    },
    {
      id: 'XTPP-06',
      group: g,
      title: "Alice's Consent-ID in a header is indistinguishable from an unknown id for Carol",
      clause: `${BG} error codes (CONSENT_UNKNOWN, 400)`,
      expected: 'the same status and code for both: 400 CONSENT_UNKNOWN',
      async run(ctx) {
        const { consentId } = await aliceTargetConsent(ctx);
        const foreign = await ctx.send(ctx.roles.carol, {
          path: ctx.contract.accountsPath,
          headers: { 'Consent-ID': consentId },
        });
        const unknown = await ctx.send(ctx.roles.carol, {
          path: ctx.contract.accountsPath,
          headers: { 'Consent-ID': randomUUID() },
        });
        const notes = [`foreign id: ${describe(foreign)}`, `unknown id: ${describe(unknown)}`];
        if (codeOf(foreign) !== codeOf(unknown) || foreign.status !== unknown.status) {
          return fail("the answer reveals that Alice's consent exists", evidenceOf(foreign, notes));
        }
        if (!meets(unknown, { status: 400, codes: ['CONSENT_UNKNOWN'] }))
          return fail(
            `both answered ${describe(unknown)} instead of 400 CONSENT_UNKNOWN`,
            evidenceOf(foreign, notes),
          );
        return pass(`both answered ${describe(unknown)}`, evidenceOf(foreign, notes));
      },
    },
  ];
}
