import type request from 'supertest';
import {
  account,
  ALICE_REDIRECT,
  startAisGateway,
  requestId,
  type AisGateway,
  type TppName,
} from '../ais/ais_gateway';

const anna1 = account('anna', 0);
const CREDITOR = 'DE89370400440532013000';
const SCT = '/v1/payments/sepa-credit-transfers';
const INSTANT = '/v1/payments/instant-sepa-credit-transfers';
const PERIODIC = '/v1/periodic-payments/sepa-credit-transfers';

const payment = {
  debtorAccount: { iban: anna1.iban },
  instructedAmount: { currency: 'EUR', amount: '12.50' },
  creditorAccount: { iban: CREDITOR },
  creditorName: 'Bob Builder',
  remittanceInformationUnstructured: 'Invoice 4711',
};

let t: AisGateway;

beforeAll(async () => {
  t = await startAisGateway('sqlite');
});
afterAll(async () => {
  await t?.close();
});

function post(path: string, body: unknown, tpp: TppName = 'alice', headers: Record<string, string> = {}) {
  let req = t.as(tpp).post(path).set('X-Request-ID', requestId()).set('PSU-IP-Address', '192.0.2.10');
  for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
  return req.send(body as object);
}

function expectRefusal(res: request.Response, status: number, code: string, path?: string): void {
  expect({ status: res.status, message: res.body.tppMessages?.[0] }).toMatchObject({
    status,
    message: { category: 'ERROR', code, ...(path !== undefined ? { path } : {}) },
  });
}

describe('payment initiation', () => {
  it('201 RCVD with paymentId, links, Location and ASPSP-SCA-Approach; readable and its status', async () => {
    const res = await post(SCT, payment, 'alice', { 'TPP-Redirect-URI': ALICE_REDIRECT });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ transactionStatus: 'RCVD', paymentId: expect.any(String) });
    const self = `${SCT}/${res.body.paymentId as string}`;
    expect(res.body._links.self.href).toBe(self);
    expect(res.headers.location).toMatch(new RegExp(`${self}$`));
    expect(res.headers['aspsp-sca-approach']).toBe('OAUTH');

    const read = await t.as('alice').get(self).set('X-Request-ID', requestId());
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ ...payment, transactionStatus: 'RCVD' });
    const status = await t.as('alice').get(`${self}/status`).set('X-Request-ID', requestId());
    expect(status.body).toEqual({ transactionStatus: 'RCVD' });
  });

  it('instant payments on a Saturday and a standing order', async () => {
    expect((await post(INSTANT, { ...payment, requestedExecutionDate: '2026-11-28' })).status).toBe(201);
    const periodic = await post(PERIODIC, {
      ...payment,
      startDate: '2026-12-01',
      endDate: '2027-12-01',
      frequency: 'Monthly',
      executionRule: 'following',
      dayOfExecution: '1',
    });
    expect(periodic.status).toBe(201);
    expect(periodic.body._links.self.href).toBe(`${PERIODIC}/${periodic.body.paymentId as string}`);
  });

  // The test clock stands at Sunday 2026-11-22.
  it.each([
    ['a certificate without PSP_PI', SCT, payment, 'carol', 401, 'ROLE_INVALID', undefined],
    [
      'an unknown product',
      '/v1/payments/sepa-credit-transfer',
      payment,
      'alice',
      404,
      'PRODUCT_UNKNOWN',
      'payment-product',
    ],
    [
      'a product not offered',
      '/v1/payments/target-2-payments',
      payment,
      'alice',
      403,
      'PRODUCT_INVALID',
      'payment-product',
    ],
    [
      'instant standing orders',
      '/v1/periodic-payments/instant-sepa-credit-transfers',
      payment,
      'alice',
      403,
      'PRODUCT_INVALID',
      'payment-product',
    ],
    [
      'a creditor IBAN failing mod-97',
      SCT,
      { ...payment, creditorAccount: { iban: 'DE89370400440532013001' } },
      'alice',
      400,
      'FORMAT_ERROR',
      'body.creditorAccount.iban',
    ],
    [
      'a debtor IBAN failing mod-97',
      SCT,
      { ...payment, debtorAccount: { iban: 'DE00370400440532013000' } },
      'alice',
      400,
      'FORMAT_ERROR',
      'body.debtorAccount.iban',
    ],
    [
      'a zero amount',
      SCT,
      { ...payment, instructedAmount: { currency: 'EUR', amount: '0.00' } },
      'alice',
      400,
      'FORMAT_ERROR',
      'body.instructedAmount.amount',
    ],
    [
      'a negative amount',
      SCT,
      { ...payment, instructedAmount: { currency: 'EUR', amount: '-1' } },
      'alice',
      400,
      'FORMAT_ERROR',
      'body.instructedAmount.amount',
    ],
    [
      'three decimals',
      SCT,
      { ...payment, instructedAmount: { currency: 'EUR', amount: '1.005' } },
      'alice',
      400,
      'FORMAT_ERROR',
      'body.instructedAmount.amount',
    ],
    [
      'a malformed amount',
      SCT,
      { ...payment, instructedAmount: { currency: 'EUR', amount: '1,00' } },
      'alice',
      400,
      'FORMAT_ERROR',
      'body.instructedAmount.amount',
    ],
    [
      'a non-euro SEPA payment',
      SCT,
      { ...payment, instructedAmount: { currency: 'USD', amount: '1.00' } },
      'alice',
      400,
      'FORMAT_ERROR',
      'body.instructedAmount.currency',
    ],
    [
      'a malformed currency',
      SCT,
      { ...payment, instructedAmount: { currency: 'eur', amount: '1.00' } },
      'alice',
      400,
      'FORMAT_ERROR',
      'body.instructedAmount.currency',
    ],
    [
      'no creditorName',
      SCT,
      { ...payment, creditorName: undefined },
      'alice',
      400,
      'FORMAT_ERROR',
      'body.creditorName',
    ],
    [
      'an impossible date',
      SCT,
      { ...payment, requestedExecutionDate: '2026-02-30' },
      'alice',
      400,
      'FORMAT_ERROR',
      'body.requestedExecutionDate',
    ],
    [
      'a date in the past',
      SCT,
      { ...payment, requestedExecutionDate: '2026-11-20' },
      'alice',
      400,
      'EXECUTION_DATE_INVALID',
      'body.requestedExecutionDate',
    ],
    [
      'a Saturday',
      SCT,
      { ...payment, requestedExecutionDate: '2026-11-28' },
      'alice',
      400,
      'EXECUTION_DATE_INVALID',
      'body.requestedExecutionDate',
    ],
    [
      'Christmas Day',
      SCT,
      { ...payment, requestedExecutionDate: '2026-12-25' },
      'alice',
      400,
      'EXECUTION_DATE_INVALID',
      'body.requestedExecutionDate',
    ],
    [
      'Boxing Day',
      SCT,
      { ...payment, requestedExecutionDate: '2026-12-26' },
      'alice',
      400,
      'EXECUTION_DATE_INVALID',
      'body.requestedExecutionDate',
    ],
    [
      "New Year's Day",
      SCT,
      { ...payment, requestedExecutionDate: '2027-01-01' },
      'alice',
      400,
      'EXECUTION_DATE_INVALID',
      'body.requestedExecutionDate',
    ],
    [
      'Good Friday 2027',
      SCT,
      { ...payment, requestedExecutionDate: '2027-03-26' },
      'alice',
      400,
      'EXECUTION_DATE_INVALID',
      'body.requestedExecutionDate',
    ],
    [
      'Easter Monday 2027',
      SCT,
      { ...payment, requestedExecutionDate: '2027-03-29' },
      'alice',
      400,
      'EXECUTION_DATE_INVALID',
      'body.requestedExecutionDate',
    ],
    [
      'Labour Day 2028 (a Monday)',
      SCT,
      { ...payment, requestedExecutionDate: '2028-05-01' },
      'alice',
      400,
      'EXECUTION_DATE_INVALID',
      'body.requestedExecutionDate',
    ],
    [
      'a standing order starting in the past',
      PERIODIC,
      { ...payment, startDate: '2026-11-01', frequency: 'Monthly' },
      'alice',
      400,
      'EXECUTION_DATE_INVALID',
      'body.startDate',
    ],
    [
      'a standing order ending before it starts',
      PERIODIC,
      { ...payment, startDate: '2026-12-01', endDate: '2026-11-30', frequency: 'Monthly' },
      'alice',
      400,
      'EXECUTION_DATE_INVALID',
      'body.endDate',
    ],
    [
      'a standing order without frequency',
      PERIODIC,
      { ...payment, startDate: '2026-12-01' },
      'alice',
      400,
      'FORMAT_ERROR',
      'body.frequency',
    ],
    [
      'an unknown frequency',
      PERIODIC,
      { ...payment, startDate: '2026-12-01', frequency: 'Hourly' },
      'alice',
      400,
      'FORMAT_ERROR',
      'body.frequency',
    ],
    [
      'a standing-order field on a single payment',
      SCT,
      { ...payment, frequency: 'Monthly' },
      'alice',
      400,
      'FORMAT_ERROR',
      'body.frequency',
    ],
  ])('%s: POST %s %j as %s → %i %s', async (_name, path, body, tpp, status, code, field) => {
    expectRefusal(await post(path, body, tpp as TppName), status, code, field);
  });

  it('a business day after the weekend is accepted', async () => {
    expect((await post(SCT, { ...payment, requestedExecutionDate: '2026-11-23' })).status).toBe(201);
    expect((await post(SCT, { ...payment, requestedExecutionDate: '2027-03-30' })).status).toBe(201);
  });

  it('PSU-IP-Address is required on initiation', async () => {
    const res = await t.as('alice').post(SCT).set('X-Request-ID', requestId()).send(payment);
    expectRefusal(res, 400, 'FORMAT_ERROR', 'header.PSU-IP-Address');
  });
});

describe('ownership', () => {
  it("another TPP's payment is answered exactly like an unknown one", async () => {
    const created = await post(SCT, payment, 'alice');
    const id = created.body.paymentId as string;
    const ask = (method: 'get' | 'delete', path: string) =>
      t.as('pisp')[method](path).set('X-Request-ID', requestId());
    for (const [method, suffix] of [
      ['get', ''],
      ['get', '/status'],
      ['delete', ''],
    ] as const) {
      const foreign = await ask(method, `${SCT}/${id}${suffix}`);
      const unknown = await ask(method, `${SCT}/no-such-payment${suffix}`);
      expect(foreign.status).toBe(403);
      expect(foreign.body).toEqual(unknown.body);
      expect(foreign.status).toBe(unknown.status);
    }
    // Under another product it is unknown to its owner too.
    const other = await t.as('alice').get(`${INSTANT}/${id}`).set('X-Request-ID', requestId());
    expect(other.status).toBe(403);
    const still = await t.as('alice').get(`${SCT}/${id}/status`).set('X-Request-ID', requestId());
    expect(still.body).toEqual({ transactionStatus: 'RCVD' });
  });
});

describe('cancellation without authorisation', () => {
  it('RCVD is cancelled at once; a cancelled payment cannot be cancelled again', async () => {
    const created = await post(SCT, payment);
    const self = `${SCT}/${created.body.paymentId as string}`;
    const del = () => t.as('alice').delete(self).set('X-Request-ID', requestId());
    expect((await del()).status).toBe(204);
    const status = await t.as('alice').get(`${self}/status`).set('X-Request-ID', requestId());
    expect(status.body).toEqual({ transactionStatus: 'CANC' });
    expectRefusal(await del(), 405, 'CANCELLATION_INVALID');
  });
});
