/**
 * The AIS API writes the status line and every header of its answer in one writeHead: each answer must
 * still carry every security header helmet sets, the caller's X-Request-ID, and the framing node would
 * have given it (Content-Length, none on a 204).
 */
import type { Response } from 'supertest';
import { helmetOwnHeaders } from '../helpers/helmet_headers';
import { account, ALICE_REDIRECT, requestId, startAisGateway, type AisGateway } from './ais_gateway';

const anna = account('anna', 0);

function expectSecurityHeaders(response: Response, xRequestId: string): void {
  for (const [name, value] of Object.entries(helmetOwnHeaders())) {
    expect([name, response.headers[name]]).toEqual([name, String(value)]);
  }
  expect(response.headers['x-powered-by']).toBeUndefined();
  expect(response.headers['x-request-id']).toBe(xRequestId);
}

describe('AIS response head', () => {
  let t: AisGateway;
  beforeAll(async () => {
    t = await startAisGateway('sqlite');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('carries the security headers, the X-Request-ID and the framing on 201, 200, 400 and 204', async () => {
    const ids = [requestId(), requestId(), requestId(), requestId()] as const;
    const created = await t
      .as('alice')
      .post('/v1/consents')
      .set('X-Request-ID', ids[0])
      .set('TPP-Redirect-URI', ALICE_REDIRECT)
      .send({
        access: { balances: [{ iban: anna.iban }] },
        recurringIndicator: true,
        validUntil: '2027-02-20',
        frequencyPerDay: 4,
        combinedServiceIndicator: false,
      });
    expect(created.status).toBe(201);
    expectSecurityHeaders(created, ids[0]);
    expect(created.headers['aspsp-sca-approach']).toBe('OAUTH');
    expect(created.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(created.headers['content-length'])).toBe(Buffer.byteLength(created.text));
    const consentId = created.body.consentId as string;
    const token = await t.authorise(consentId, 'anna');

    const read = await t
      .as('alice')
      .get(`/v1/accounts/${anna.resourceId}/balances`)
      .set('X-Request-ID', ids[1])
      .set('Consent-ID', consentId)
      .set('Authorization', `Bearer ${token}`)
      .set('PSU-IP-Address', '192.0.2.10');
    expect(read.status).toBe(200);
    expectSecurityHeaders(read, ids[1]);
    expect(Number(read.headers['content-length'])).toBe(Buffer.byteLength(read.text));

    const refused = await t.as('alice').get('/v1/accounts').set('X-Request-ID', ids[2]);
    expect(refused.status).toBe(400);
    expectSecurityHeaders(refused, ids[2]);
    expect(refused.body).toMatchObject({ tppMessages: [{ code: 'FORMAT_ERROR' }] });

    const deleted = await t.as('alice').delete(`/v1/consents/${consentId}`).set('X-Request-ID', ids[3]);
    expect(deleted.status).toBe(204);
    expectSecurityHeaders(deleted, ids[3]);
    expect(deleted.headers['content-length']).toBeUndefined();
    expect(deleted.headers['transfer-encoding']).toBeUndefined();
    expect(deleted.text).toBe('');
  });
});
