/** The running gateway appends its decisions to the audit trail: admissions, refusals, consent changes. */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { verifyAuditTrail } from '../../src/store/kysely_audit_trail';
import { mtlsRequest } from '../helpers/mtls_request';
import { useSqliteTestGateway } from '../helpers/test_gateway';
import { clientCredentials, testPkiFiles } from '../helpers/test_pki';

describe('audit events of a running gateway', () => {
  const gatewayOf = useSqliteTestGateway();
  const ca = readFileSync(testPkiFiles().anchor);

  it('records admission, refusal, consent creation and termination in one verifiable chain', async () => {
    const alice = clientCredentials('alice');
    const created = await mtlsRequest({
      url: `${gatewayOf().url}/v1/consents`,
      ca,
      credentials: alice,
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Request-ID': randomUUID(),
        'TPP-Redirect-URI': 'https://api.bank-of-alice.example/callback',
      },
      body: JSON.stringify({
        access: { accounts: [], balances: [], transactions: [] },
        recurringIndicator: true,
        validUntil: '2030-12-31',
        frequencyPerDay: 4,
      }),
    });
    expect(created.status).toBe(201);
    const consentId = (created.json as { consentId: string }).consentId;
    const deleted = await mtlsRequest({
      url: `${gatewayOf().url}/v1/consents/${consentId}`,
      ca,
      credentials: alice,
      method: 'DELETE',
      headers: { 'X-Request-ID': randomUUID() },
    });
    expect(deleted.status).toBe(204);
    const refused = await mtlsRequest({
      url: `${gatewayOf().url}/v1/accounts`,
      ca,
      credentials: clientCredentials('mallory-copied-names'),
    });
    expect(refused.status).toBe(401);

    await gatewayOf().operations.auditTrail.flush();
    const events = (
      await sql<{ type: string; tpp: string | null; subject: string | null; detail: string }>`
        select type, tpp, subject, detail from audit_log order by seq`.execute(gatewayOf().store.db)
    ).rows;
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'consent.created', tpp: 'PSDDE-BAFIN-123456', subject: consentId }),
        expect.objectContaining({
          type: 'consent.terminated',
          tpp: 'PSDDE-BAFIN-123456',
          subject: consentId,
        }),
        expect.objectContaining({ type: 'tpp.admitted', tpp: 'PSDDE-BAFIN-123456' }),
        expect.objectContaining({ type: 'tpp.refused', tpp: null }),
      ]),
    );
    const refusal = events.find((e) => e.type === 'tpp.refused');
    expect(JSON.parse(refusal?.detail ?? '{}')).toMatchObject({ code: 'CERTIFICATE_INVALID', status: 401 });
    expect(await verifyAuditTrail(gatewayOf().store.db)).toMatchObject({ ok: true, records: events.length });
  });
});
