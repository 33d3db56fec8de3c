/**
 * Payment initiation (PIS) and funds confirmation (PIIS): roles, ownership, idempotency, lifecycle, final
 * states and formats. As with consents, shared steps are memoised and a case whose prerequisite did not
 * happen SKIPs naming the step.
 */
import { randomUUID } from 'node:crypto';
import type { TppResponse } from '../../client/tpp_client';
import {
  fail,
  pass,
  PrerequisiteFailed,
  skip,
  type CaseOutcome,
  type ConformanceCase,
} from '../conformance_case';
import { describe, evidenceOf, sealIdentityOf, type SuiteContext } from '../suite_context';
import { flowsOf } from '../tpp_flows';
import { expectAnswer, judge, type Expectation } from './expectations';

const BG = 'Berlin Group NextGenPSD2 1.3.x';
const PSU_IP = { 'PSU-IP-Address': '192.0.2.10' };

function initiationHeaders(ctx: SuiteContext, requestId?: string): Record<string, string> {
  return {
    ...PSU_IP,
    'TPP-Redirect-URI': ctx.contract.redirectUri,
    ...(requestId !== undefined ? { 'X-Request-ID': requestId } : {}),
  };
}

function initiate(
  ctx: SuiteContext,
  identity: string,
  body: unknown,
  requestId?: string,
): Promise<TppResponse> {
  return ctx.send(identity, {
    method: 'POST',
    path: ctx.contract.paymentsPath,
    headers: initiationHeaders(ctx, requestId),
    json: body,
  });
}

function paymentIdOf(res: TppResponse): string | undefined {
  const id = (res.json as { paymentId?: unknown } | undefined)?.paymentId;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

function transactionStatusOf(res: TppResponse): string | undefined {
  const s = (res.json as { transactionStatus?: unknown } | undefined)?.transactionStatus;
  return typeof s === 'string' ? s : undefined;
}

/** Alice's first payment, initiated once per run under a fixed X-Request-ID. */
function firstPayment(ctx: SuiteContext): Promise<{ res: TppResponse; requestId: string; body: unknown }> {
  return ctx.memo('pis:first', async () => {
    const requestId = randomUUID();
    const body = ctx.contract.paymentBody({ amount: '1.23' });
    return { res: await initiate(ctx, ctx.roles.alice, body, requestId), requestId, body };
  });
}

async function firstPaymentId(ctx: SuiteContext): Promise<string> {
  const { res } = await firstPayment(ctx);
  const id = paymentIdOf(res);
  if (res.status !== 201 || id === undefined)
    throw new PrerequisiteFailed(`payment could not be initiated: answered ${describe(res)}`);
  return id;
}

/** A fresh payment of Alice's (status RCVD), for cases that change it. */
async function freshPaymentId(ctx: SuiteContext, amount = '1.00'): Promise<string> {
  const res = await initiate(ctx, ctx.roles.alice, ctx.contract.paymentBody({ amount }));
  const id = paymentIdOf(res);
  if (res.status !== 201 || id === undefined)
    throw new PrerequisiteFailed(`payment could not be initiated: answered ${describe(res)}`);
  return id;
}

/** Alice's payment authorised by the PSU through the OAuth redirect; its id once the PSU was sent back. */
function authorisedPayment(ctx: SuiteContext): Promise<string> {
  return ctx.memo('pis:authorised', async () => {
    const id = await freshPaymentId(ctx, '2.00');
    const { outcome } = await flowsOf(ctx).authorise(ctx.roles.alice, id, {
      scope: ctx.contract.paymentScopeFor(id),
    });
    if (outcome.kind !== 'redirected' || outcome.code === null) {
      const why =
        outcome.kind === 'stopped'
          ? outcome.reason
          : `redirect without code (error=${outcome.error ?? 'none'})`;
      throw new PrerequisiteFailed(`payment could not be authorised: ${why} [${outcome.trail.join('; ')}]`);
    }
    return id;
  });
}

const paymentPath = (ctx: SuiteContext, id: string): string => `${ctx.contract.paymentsPath}/${id}`;

function oneRequest(
  id: string,
  title: string,
  clause: string,
  expectation: Expectation,
  guarantee: string,
  request: (ctx: SuiteContext) => Promise<{
    identity: string;
    method: string;
    path: string;
    headers?: Record<string, string>;
    json?: unknown;
  }>,
  options: {
    group?: 'payments' | 'funds-confirmation';
    /**
     * The expected answer comes after the signature check, so in a signed run the identity must be able to
     * sign (have a seal); otherwise the case cannot tell a refusal for its own reason from a missing one.
     */
    afterSignatureCheck?: boolean;
  } = {},
): ConformanceCase {
  return {
    id,
    group: options.group ?? 'payments',
    title,
    clause,
    expected: `${expectation.status}${expectation.codes !== undefined ? ` ${expectation.codes.join(' or ')}` : ''}`,
    async run(ctx) {
      const r = await request(ctx);
      if (!ctx.identities.has(r.identity))
        return skip(`identity ${r.identity} is not available in ${ctx.identities.dir}`);
      if (
        options.afterSignatureCheck === true &&
        ctx.signatures &&
        !ctx.identities.has(sealIdentityOf(r.identity))
      )
        return skip(
          `identity ${r.identity} has no seal (${sealIdentityOf(r.identity)}) to sign with, and the target requires signatures`,
        );
      return expectAnswer(
        ctx,
        r.identity,
        {
          method: r.method,
          path: r.path,
          ...(r.headers !== undefined ? { headers: r.headers } : {}),
          ...(r.json !== undefined ? { json: r.json } : {}),
        },
        expectation,
        guarantee,
      );
    },
  };
}

function expectTransactionStatus(
  res: TppResponse,
  accepted: readonly string[],
  guarantee: string,
): CaseOutcome {
  const got = transactionStatusOf(res);
  if (res.status === 200 && got !== undefined && accepted.includes(got))
    return pass(`transactionStatus ${got}`, evidenceOf(res));
  return fail(
    `${guarantee}: answered ${describe(res)} with transactionStatus ${got ?? 'absent'}`,
    evidenceOf(res),
  );
}

export function paymentCases(): ConformanceCase[] {
  const g = 'payments' as const;
  const formats = `${BG} §5.3.1 (Payment Initiation Request); ISO 13616 (IBAN)`;
  return [
    {
      id: 'PIS-01',
      group: g,
      title: 'Alice initiates a SEPA credit transfer',
      clause: `${BG} §5.3.1 (Payment Initiation Request)`,
      expected: '201 with paymentId, transactionStatus RCVD and an SCA link (_links.scaOAuth or scaRedirect)',
      async run(ctx) {
        const { res } = await firstPayment(ctx);
        const links = Object.keys(
          (res.json as { _links?: Record<string, unknown> } | undefined)?._links ?? {},
        );
        const notes = [`_links: ${links.join(', ') || 'none'}`];
        if (res.status !== 201)
          return fail(`payment initiation refused: answered ${describe(res)}`, evidenceOf(res, notes));
        if (paymentIdOf(res) === undefined || transactionStatusOf(res) !== 'RCVD')
          return fail('201 without paymentId or not in status RCVD', evidenceOf(res, notes));
        if (!links.includes('scaOAuth') && !links.includes('scaRedirect'))
          return fail('201 without an SCA link', evidenceOf(res, notes));
        return pass(`201 RCVD, links ${links.join(', ')}`, evidenceOf(res, notes));
      },
    },
    {
      id: 'PIS-02',
      group: g,
      title: 'A retry with the same X-Request-ID and body is the same payment',
      clause: `${BG} (X-Request-ID); PSD2 RTS Art. 30 (no duplicate execution)`,
      expected: '201 with the same paymentId',
      async run(ctx) {
        const first = await firstPaymentId(ctx);
        const { requestId, body } = await firstPayment(ctx);
        const res = await initiate(ctx, ctx.roles.alice, body, requestId);
        if (res.status === 201 && paymentIdOf(res) === first)
          return pass('201 with the original paymentId', evidenceOf(res));
        return fail(
          `a retry created another payment or was refused: answered ${describe(res)} with paymentId ${paymentIdOf(res) ?? 'absent'}`,
          evidenceOf(res),
        );
      },
    },
    oneRequest(
      'PIS-03',
      'The same X-Request-ID with another body is refused',
      `${BG} (X-Request-ID)`,
      { status: 400, codes: ['FORMAT_ERROR'] },
      'an X-Request-ID was reused for a different payment',
      async (ctx) => {
        await firstPaymentId(ctx);
        const { requestId } = await firstPayment(ctx);
        return {
          identity: ctx.roles.alice,
          method: 'POST',
          path: ctx.contract.paymentsPath,
          headers: initiationHeaders(ctx, requestId),
          json: ctx.contract.paymentBody({ amount: '9.99' }),
        };
      },
    ),
    oneRequest(
      'PIS-04',
      'A certificate without PSP_PI cannot initiate a payment',
      'ETSI TS 119 495 §5.1 (rolesOfPSP); Berlin Group NextGenPSD2 1.3.x (ROLE_INVALID)',
      { status: 401, codes: ['ROLE_INVALID'] },
      'a TPP without PSP_PI initiated a payment',
      async (ctx) => ({
        identity: ctx.roles.carol,
        method: 'POST',
        path: ctx.contract.paymentsPath,
        headers: initiationHeaders(ctx),
        json: ctx.contract.paymentBody({ amount: '1.00' }),
      }),
    ),
    oneRequest(
      'PIS-05',
      "Another PSP_PI TPP reading Alice's payment gets the unknown-resource answer",
      `${BG} §5.5 (Get Payment Request); OWASP API1 (BOLA)`,
      { status: 403, codes: ['RESOURCE_UNKNOWN'] },
      "another TPP could see Alice's payment",
      async (ctx) => ({
        identity: ctx.roles.piOnly,
        method: 'GET',
        path: paymentPath(ctx, await firstPaymentId(ctx)),
      }),
      { afterSignatureCheck: true },
    ),
    oneRequest(
      'PIS-06',
      "Another PSP_PI TPP cannot cancel Alice's payment",
      `${BG} §5.4 (Payment Cancellation Request); OWASP API1 (BOLA)`,
      { status: 403, codes: ['RESOURCE_UNKNOWN'] },
      "another TPP could cancel Alice's payment",
      async (ctx) => ({
        identity: ctx.roles.piOnly,
        method: 'DELETE',
        path: paymentPath(ctx, await firstPaymentId(ctx)),
      }),
      { afterSignatureCheck: true },
    ),
    oneRequest(
      'PIS-07',
      'An IBAN with wrong check digits is refused',
      formats,
      { status: 400, codes: ['FORMAT_ERROR'] },
      'a payment to an invalid IBAN was accepted',
      async (ctx) => ({
        identity: ctx.roles.alice,
        method: 'POST',
        path: ctx.contract.paymentsPath,
        headers: initiationHeaders(ctx),
        json: {
          ...ctx.contract.paymentBody({ amount: '1.00' }),
          creditorAccount: { iban: 'DE88370400440532013000' },
        },
      }),
    ),
    oneRequest(
      'PIS-08',
      'An unknown payment product is 404 PRODUCT_UNKNOWN',
      `${BG} §5.3.1 (payment-product)`,
      { status: 404, codes: ['PRODUCT_UNKNOWN'] },
      'an unknown payment product was accepted',
      async (ctx) => ({
        identity: ctx.roles.alice,
        method: 'POST',
        path: ctx.contract.paymentsPath.replace(/[^/]+$/, 'no-such-product'),
        headers: initiationHeaders(ctx),
        json: ctx.contract.paymentBody({ amount: '1.00' }),
      }),
    ),
    oneRequest(
      'PIS-09',
      'A requested execution date in the past is refused',
      `${BG} §5.3.1 (requestedExecutionDate; EXECUTION_DATE_INVALID)`,
      { status: 400, codes: ['EXECUTION_DATE_INVALID'] },
      'a payment with a past execution date was accepted',
      async (ctx) => ({
        identity: ctx.roles.alice,
        method: 'POST',
        path: ctx.contract.paymentsPath,
        headers: initiationHeaders(ctx),
        json: { ...ctx.contract.paymentBody({ amount: '1.00' }), requestedExecutionDate: '2020-01-02' },
      }),
    ),
    oneRequest(
      'PIS-10',
      'Initiation without PSU-IP-Address is refused',
      `${BG} §5.3.1 (PSU-IP-Address mandatory)`,
      { status: 400, codes: ['FORMAT_ERROR'] },
      'a payment was initiated without the PSU present',
      async (ctx) => ({
        identity: ctx.roles.alice,
        method: 'POST',
        path: ctx.contract.paymentsPath,
        headers: { 'TPP-Redirect-URI': ctx.contract.redirectUri },
        json: ctx.contract.paymentBody({ amount: '1.00' }),
      }),
    ),
    {
      id: 'PIS-11',
      group: g,
      title: 'A payment the PSU authorised is executed',
      clause: `${BG} §5.6 (transactionStatus); ISO 20022 ExternalPaymentTransactionStatus1Code`,
      expected: '200 with transactionStatus ACSC, ACSP or ACCC after the PSU approved',
      async run(ctx) {
        const id = await authorisedPayment(ctx);
        const res = await ctx.send(ctx.roles.alice, { path: `${paymentPath(ctx, id)}/status` });
        return expectTransactionStatus(
          res,
          ['ACSC', 'ACSP', 'ACCC'],
          'an authorised payment was not executed',
        );
      },
    },
    oneRequest(
      'PIS-12',
      'An executed payment cannot be authorised again',
      `${BG} §5.8 (Start Authorisation; STATUS_INVALID)`,
      { status: 409, codes: ['STATUS_INVALID'] },
      'a payment in a final status accepted a new authorisation',
      async (ctx) => ({
        identity: ctx.roles.alice,
        method: 'POST',
        path: `${paymentPath(ctx, await authorisedPayment(ctx))}/authorisations`,
        headers: PSU_IP,
      }),
    ),
    oneRequest(
      'PIS-13',
      'An executed payment cannot be cancelled',
      `${BG} §5.4 (Payment Cancellation; CANCELLATION_INVALID)`,
      { status: 405, codes: ['CANCELLATION_INVALID'] },
      'a payment in a final status was cancelled',
      async (ctx) => ({
        identity: ctx.roles.alice,
        method: 'DELETE',
        path: paymentPath(ctx, await authorisedPayment(ctx)),
      }),
    ),
    {
      id: 'PIS-14',
      group: g,
      title: 'A payment not yet authorised is cancelled at once and stays cancelled',
      clause: `${BG} §5.4 (Payment Cancellation Request)`,
      expected: '204, then transactionStatus CANC',
      async run(ctx) {
        const id = await freshPaymentId(ctx);
        const res = await ctx.send(ctx.roles.alice, { method: 'DELETE', path: paymentPath(ctx, id) });
        if (res.status !== 204)
          return judge(res, { status: 204 }, 'a payment awaiting authorisation could not be cancelled');
        const status = await ctx.send(ctx.roles.alice, { path: `${paymentPath(ctx, id)}/status` });
        return expectTransactionStatus(status, ['CANC'], 'a cancelled payment is not reported CANC');
      },
    },
  ];
}

export function fundsConfirmationCases(): ConformanceCase[] {
  const clause =
    'ETSI TS 119 495 §5.1 (rolesOfPSP); Berlin Group NextGenPSD2 1.3.x §7 (Confirmation of Funds)';
  const body = (ctx: SuiteContext) => ({
    account: (ctx.contract.paymentBody({ amount: '1.00' }) as { debtorAccount?: unknown }).debtorAccount,
    instructedAmount: { currency: 'EUR', amount: '1.00' },
  });
  return [
    oneRequest(
      'PIIS-01',
      'A PSP_AI/PSP_PI certificate without PSP_IC cannot confirm funds',
      clause,
      { status: 401, codes: ['ROLE_INVALID'] },
      'a TPP without PSP_IC learned whether funds are available',
      async (ctx) => ({
        identity: ctx.roles.alice,
        method: 'POST',
        path: ctx.contract.fundsConfirmationsPath,
        json: body(ctx),
      }),
      { group: 'funds-confirmation' },
    ),
    oneRequest(
      'PIIS-02',
      'A PSP_PI-only certificate cannot confirm funds',
      clause,
      { status: 401, codes: ['ROLE_INVALID'] },
      'a TPP without PSP_IC learned whether funds are available',
      async (ctx) => ({
        identity: ctx.roles.piOnly,
        method: 'POST',
        path: ctx.contract.fundsConfirmationsPath,
        json: body(ctx),
      }),
      { group: 'funds-confirmation' },
    ),
  ];
}
