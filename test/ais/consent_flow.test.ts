import { DATABASE_KINDS, describeForDatabase } from '../store/test_databases';
import {
  account,
  ALICE_REDIRECT,
  startAisGateway,
  PUBLIC_URL,
  requestId,
  type AisGateway,
  type TppName,
} from './ais_gateway';

const anna1 = account('anna', 0);
const anna2 = account('anna', 1);

describe.each(DATABASE_KINDS)('AIS flow on %s', (kind) => {
  describeForDatabase(kind)(kind, () => {
    let t: AisGateway;
    beforeAll(async () => {
      t = await startAisGateway(kind);
    });
    afterAll(async () => {
      await t?.close();
    });

    /** Alice's access token per consent, from the real OAuth flow. */
    const tokens = new Map<string, string>();
    const create = (body: unknown, tpp: TppName = 'alice') =>
      t
        .as(tpp)
        .post('/v1/consents')
        .set('X-Request-ID', requestId())
        .set('TPP-Redirect-URI', ALICE_REDIRECT)
        .send(body as object);
    const read = (path: string, consentId: string, psuIp = true) => {
      const r = t
        .as('alice')
        .get(path)
        .set('X-Request-ID', requestId())
        .set('Consent-ID', consentId)
        .set('Authorization', `Bearer ${tokens.get(consentId) ?? 'none'}`);
      return psuIp ? r.set('PSU-IP-Address', '192.0.2.10') : r;
    };

    it('creates, authorises and reads within a consent, then terminates it', async () => {
      const xRequestId = requestId();
      const created = await t
        .as('alice')
        .post('/v1/consents')
        .set('X-Request-ID', xRequestId)
        .set('TPP-Redirect-URI', ALICE_REDIRECT)
        .send({
          access: {
            accounts: [{ iban: anna1.iban }, { iban: anna2.iban }],
            balances: [{ iban: anna1.iban }],
            transactions: [{ iban: anna1.iban }],
          },
          recurringIndicator: true,
          validUntil: '2027-02-20',
          frequencyPerDay: 4,
          combinedServiceIndicator: false,
        });
      expect(created.status).toBe(201);
      expect(created.headers['x-request-id']).toBe(xRequestId);
      const consentId = created.body.consentId as string;
      expect(consentId).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(created.headers.location).toBe(`${PUBLIC_URL}/v1/consents/${consentId}`);
      expect(created.headers['aspsp-sca-approach']).toBe('OAUTH');
      expect(created.body).toEqual({
        consentStatus: 'received',
        consentId,
        _links: {
          self: { href: `/v1/consents/${consentId}` },
          status: { href: `/v1/consents/${consentId}/status` },
          scaOAuth: { href: `${PUBLIC_URL}/.well-known/oauth-authorization-server` },
        },
      });
      const stored = await t.consents.findById(consentId);
      const alice = await t.identity('alice');
      expect(stored?.owner).toEqual({
        organizationIdentifier: alice.organizationIdentifier,
        name: alice.name,
        ncaName: alice.ncaName,
        ncaId: alice.ncaId,
        certificateThumbprint: alice.thumbprintS256,
      });
      expect(stored?.tppRedirectUri).toBe(ALICE_REDIRECT);

      const before = await read('/v1/accounts', consentId);
      expect(before.status).toBe(401);
      expect(before.body.tppMessages[0].code).toBe('CONSENT_INVALID');

      tokens.set(consentId, await t.authorise(consentId, 'anna'));
      const status = await t
        .as('alice')
        .get(`/v1/consents/${consentId}/status`)
        .set('X-Request-ID', requestId());
      expect(status.body).toEqual({ consentStatus: 'valid' });
      const info = await t.as('alice').get(`/v1/consents/${consentId}`).set('X-Request-ID', requestId());
      expect(info.status).toBe(200);
      expect(info.body).toMatchObject({
        consentStatus: 'valid',
        frequencyPerDay: 4,
        validUntil: '2027-02-20',
        lastActionDate: '2026-11-22',
      });

      const list = await read('/v1/accounts?withBalance=true', consentId);
      expect(list.status).toBe(200);
      expect(list.body.accounts.map((a: { iban: string }) => a.iban).sort()).toEqual(
        [anna1.iban, anna2.iban].sort(),
      );
      const first = list.body.accounts.find((a: { iban: string }) => a.iban === anna1.iban);
      expect(first._links).toEqual({
        balances: { href: `/v1/accounts/${anna1.resourceId}/balances` },
        transactions: { href: `/v1/accounts/${anna1.resourceId}/transactions` },
      });
      expect(first.balances).toHaveLength(3);
      const second = list.body.accounts.find((a: { iban: string }) => a.iban === anna2.iban);
      expect(second._links).toBeUndefined();
      expect(second.balances).toBeUndefined();

      const details = await read(`/v1/accounts/${anna2.resourceId}`, consentId);
      expect(details.status).toBe(200);
      expect(details.body.account).toMatchObject({ iban: anna2.iban, currency: 'EUR', status: 'enabled' });

      const balances = await read(`/v1/accounts/${anna1.resourceId}/balances`, consentId);
      expect(balances.status).toBe(200);
      expect(balances.body.account).toEqual({ iban: anna1.iban, currency: 'EUR' });
      expect(balances.body.balances.map((b: { balanceType: string }) => b.balanceType).sort()).toEqual([
        'closingBooked',
        'expected',
        'interimAvailable',
      ]);

      const booked = await read(
        `/v1/accounts/${anna1.resourceId}/transactions?bookingStatus=booked&dateFrom=2026-01-01`,
        consentId,
      );
      expect(booked.status).toBe(200);
      expect(booked.body.transactions.booked).toHaveLength(50);
      expect(booked.body.transactions.pending).toBeUndefined();
      const links = booked.body.transactions._links;
      expect(links.account).toEqual({ href: `/v1/accounts/${anna1.resourceId}` });
      expect(links.previous).toBeUndefined();
      const next = await read(links.next.href as string, consentId);
      expect(next.status).toBe(200);
      expect(next.body.transactions._links.previous.href).toBe(links.first.href);
      const firstIds = new Set(
        booked.body.transactions.booked.map((x: { transactionId: string }) => x.transactionId),
      );
      expect(
        next.body.transactions.booked.some((x: { transactionId: string }) => firstIds.has(x.transactionId)),
      ).toBe(false);

      const both = await read(
        `/v1/accounts/${anna1.resourceId}/transactions?bookingStatus=both&dateFrom=2026-11-19&dateTo=2026-11-20`,
        consentId,
      );
      expect(both.status).toBe(200);
      expect(both.body.transactions.pending.length).toBeGreaterThan(0);
      expect(
        both.body.transactions.pending.every((x: { bookingDate?: string }) => x.bookingDate === undefined),
      ).toBe(true);

      const deleted = await t
        .as('alice')
        .delete(`/v1/consents/${consentId}`)
        .set('X-Request-ID', requestId());
      expect(deleted.status).toBe(204);
      const after = await read('/v1/accounts', consentId);
      expect(after.status).toBe(401);
      expect(after.body.tppMessages[0].code).toBe('CONSENT_INVALID');
      expect((await t.consents.findById(consentId))?.status).toBe('terminatedByTpp');
    });

    it('admits exactly frequencyPerDay of 50 parallel TPP-initiated reads, and PSU-initiated reads are not counted', async () => {
      const created = await create({
        access: { allPsd2: 'allAccounts' },
        recurringIndicator: true,
        validUntil: '2027-01-01',
        frequencyPerDay: 4,
      });
      const consentId = created.body.consentId as string;
      tokens.set(consentId, await t.authorise(consentId, 'anna', { accounts: [anna1.iban, anna2.iban] }));
      const responses = await Promise.all(
        Array.from({ length: 50 }, () => read('/v1/accounts', consentId, false)),
      );
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(4);
      expect(statuses.filter((s) => s === 429)).toHaveLength(46);
      const refused = responses.find((r) => r.status === 429);
      expect(refused?.body.tppMessages[0].code).toBe('ACCESS_EXCEEDED');
      expect((await read('/v1/accounts', consentId, true)).status).toBe(200);
      // The count is per UTC calendar day.
      t.clock.now = new Date('2026-11-23T00:00:01Z');
      try {
        expect((await read('/v1/accounts', consentId, false)).status).toBe(200);
      } finally {
        t.clock.now = new Date('2026-11-22T12:00:00Z');
      }
    });

    it('keeps every consent across a restart', async () => {
      const created = await create({
        access: { accounts: [], balances: [], transactions: [] },
        recurringIndicator: true,
        validUntil: '2027-01-01',
        frequencyPerDay: 10,
      });
      const consentId = created.body.consentId as string;
      tokens.set(consentId, await t.authorise(consentId, 'clara', { accounts: [account('clara', 1).iban] }));
      const before = await t.consents.list();
      await t.restart();
      expect(await t.consents.list()).toEqual(before);
      const list = await read('/v1/accounts', consentId);
      expect(list.status).toBe(200);
      expect(list.body.accounts.map((a: { iban: string }) => a.iban)).toEqual([account('clara', 1).iban]);
      const info = await t.as('alice').get(`/v1/consents/${consentId}`).set('X-Request-ID', requestId());
      expect(info.body.access).toEqual({
        accounts: [{ iban: account('clara', 1).iban }],
        balances: [{ iban: account('clara', 1).iban }],
        transactions: [{ iban: account('clara', 1).iban }],
      });
    });
  });
});
