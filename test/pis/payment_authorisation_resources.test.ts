import {
  account,
  ALICE_REDIRECT,
  startAisGateway,
  requestId,
  type AisGateway,
  type TppName,
} from '../ais/ais_gateway';
import { authorisationIdOf } from '../../src/payment/payment_sca';

const SCT = '/v1/payments/sepa-credit-transfers';
const PERIODIC = '/v1/periodic-payments/sepa-credit-transfers';

const payment = {
  debtorAccount: { iban: account('anna', 0).iban },
  instructedAmount: { currency: 'EUR', amount: '3.00' },
  creditorAccount: { iban: 'DE89370400440532013000' },
  creditorName: 'Bob Builder',
};

let t: AisGateway;
beforeAll(async () => {
  t = await startAisGateway('sqlite');
});
afterAll(async () => {
  await t?.close();
});

const call = (method: 'get' | 'post' | 'delete', path: string, tpp: TppName = 'alice') =>
  t.as(tpp)[method](path).set('X-Request-ID', requestId());

async function initiate(base = SCT, body: object = payment): Promise<string> {
  const res = await t
    .as('alice')
    .post(base)
    .set('X-Request-ID', requestId())
    .set('PSU-IP-Address', '192.0.2.10')
    .set('TPP-Redirect-URI', ALICE_REDIRECT)
    .send(body);
  expect(res.status).toBe(201);
  return res.body.paymentId as string;
}

describe('payment authorisation sub-resources', () => {
  it('POST starts the one OAuth authorisation: 201 received, scaOAuth, Location; GET lists it and its scaStatus', async () => {
    const id = await initiate();
    const started = await call('post', `${SCT}/${id}/authorisations`);
    expect(started.status).toBe(201);
    expect(started.headers['aspsp-sca-approach']).toBe('OAUTH');
    const authorisationId = authorisationIdOf(id);
    expect(started.body).toEqual({
      scaStatus: 'received',
      authorisationId,
      _links: {
        scaOAuth: { href: 'https://localhost:8443/.well-known/oauth-authorization-server' },
        scaStatus: { href: `${SCT}/${id}/authorisations/${authorisationId}` },
      },
    });
    expect(started.headers.location).toBe(
      `https://localhost:8443${SCT}/${id}/authorisations/${authorisationId}`,
    );
    // Starting again returns the same authorisation.
    expect((await call('post', `${SCT}/${id}/authorisations`)).body.authorisationId).toBe(authorisationId);

    expect((await call('get', `${SCT}/${id}/authorisations`)).body).toEqual({
      authorisationIds: [authorisationId],
    });
    expect((await call('get', `${SCT}/${id}/authorisations/${authorisationId}`)).body).toEqual({
      scaStatus: 'received',
    });
  });

  it('another authorisation id is 403 RESOURCE_UNKNOWN', async () => {
    const id = await initiate();
    const res = await call('get', `${SCT}/${id}/authorisations/${authorisationIdOf('another')}`);
    expect(res.status).toBe(403);
    expect(res.body.tppMessages[0]).toMatchObject({ code: 'RESOURCE_UNKNOWN', path: 'authorisationId' });
  });

  it('a cancelled payment: no new authorisation (409 STATUS_INVALID), scaStatus failed', async () => {
    const id = await initiate();
    expect((await call('delete', `${SCT}/${id}`)).status).toBe(204);
    const res = await call('post', `${SCT}/${id}/authorisations`);
    expect(res.status).toBe(409);
    expect(res.body.tppMessages[0].code).toBe('STATUS_INVALID');
    expect((await call('get', `${SCT}/${id}/authorisations/${authorisationIdOf(id)}`)).body).toEqual({
      scaStatus: 'failed',
    });
  });

  it.each([
    ['POST authorisations', 'post', '/authorisations'],
    ['GET authorisations', 'get', '/authorisations'],
    ['GET scaStatus', 'get', '/authorisations/AUTH'],
    ['POST cancellation-authorisations', 'post', '/cancellation-authorisations'],
    ['GET cancellation-authorisations', 'get', '/cancellation-authorisations'],
  ] as const)(
    "%s of another TPP's payment: 403 RESOURCE_UNKNOWN like an unknown id",
    async (_name, method, suffix) => {
      const id = await initiate();
      const path = `${SCT}/${id}${suffix.replace('AUTH', authorisationIdOf(id))}`;
      const foreign = await call(method, path, 'pisp');
      const unknown = await call(method, path.replace(id, 'no-such-payment'), 'alice');
      expect(foreign.status).toBe(403);
      expect(foreign.body).toEqual(unknown.body);
      expect(foreign.body.tppMessages[0]).toMatchObject({ code: 'RESOURCE_UNKNOWN', path: 'paymentId' });
    },
  );

  it('a certificate without PSP_PI: 401 ROLE_INVALID', async () => {
    const id = await initiate();
    const res = await call('get', `${SCT}/${id}/authorisations`, 'carol');
    expect(res.status).toBe(401);
    expect(res.body.tppMessages[0].code).toBe('ROLE_INVALID');
  });

  it('cancellations need no authorisation here: none listed, POST 409, GET of an id 403', async () => {
    const id = await initiate();
    expect((await call('get', `${SCT}/${id}/cancellation-authorisations`)).body).toEqual({
      authorisationIds: [],
    });
    const start = await call('post', `${SCT}/${id}/cancellation-authorisations`);
    expect(start.status).toBe(409);
    expect(start.body.tppMessages[0].code).toBe('STATUS_INVALID');
    const one = await call('get', `${SCT}/${id}/cancellation-authorisations/${authorisationIdOf(id)}`);
    expect(one.status).toBe(403);
  });

  it('periodic payments have the same sub-resources', async () => {
    const start = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    const id = await initiate(PERIODIC, {
      ...payment,
      startDate: start,
      frequency: 'Monthly',
      dayOfExecution: '5',
    });
    const started = await call('post', `${PERIODIC}/${id}/authorisations`);
    expect(started.status).toBe(201);
    expect(started.body.scaStatus).toBe('received');
  });
});
