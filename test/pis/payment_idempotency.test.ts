import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { account, startAisGateway, requestId, type AisGateway, type TppName } from '../ais/ais_gateway';
import { serverPresenting } from '../helpers/injected_chain';
import { DATABASE_KINDS, describeForDatabase } from '../store/test_databases';

const SCT = '/v1/payments/sepa-credit-transfers';
const payment = {
  debtorAccount: { iban: account('anna', 0).iban },
  instructedAmount: { currency: 'EUR', amount: '7.00' },
  creditorAccount: { iban: 'DE89370400440532013000' },
  creditorName: 'Bob Builder',
};

describe.each(DATABASE_KINDS)('payment initiation idempotency on %s', (kind) => {
  describeForDatabase(kind)('', () => {
    let t: AisGateway;
    // A real listener per TPP, each connection presenting that TPP's certificate, so the parallel
    // requests really are parallel connections.
    const servers = new Map<TppName, { server: Server; base: Promise<string> }>();

    beforeAll(async () => {
      t = await startAisGateway(kind);
    });
    afterAll(async () => {
      for (const { server } of servers.values()) {
        // fetch keeps its connections alive; without this the listeners outlive the test file.
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
      await t?.close();
    });

    async function baseOf(tpp: TppName): Promise<string> {
      let entry = servers.get(tpp);
      if (entry === undefined) {
        // Registered before listening: twenty parallel first calls must share one listener, or the
        // others would be left open and keep jest from exiting.
        const server = serverPresenting(t.app, t.chainOf(tpp));
        entry = {
          server,
          base: new Promise<string>((resolve) =>
            server.listen(0, '127.0.0.1', () =>
              resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
            ),
          ),
        };
        servers.set(tpp, entry);
      }
      return entry.base;
    }

    async function initiate(id: string, body: unknown, tpp: TppName = 'alice') {
      const res = await fetch(`${await baseOf(tpp)}${SCT}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-request-id': id,
          'psu-ip-address': '192.0.2.10',
        },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    }

    async function storedFor(id: string): Promise<number> {
      const rows = await t.store.db
        .selectFrom('payments')
        .select('id')
        .where('x_request_id', '=', id)
        .execute();
      return rows.length;
    }

    it('20 parallel identical initiations create one payment and get one answer', async () => {
      const id = requestId();
      const answers = await Promise.all(Array.from({ length: 20 }, () => initiate(id, payment)));
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(201));
      const first = answers[0]?.body;
      for (const answer of answers) expect(answer.body).toEqual(first);
      expect(await storedFor(id)).toBe(1);
    });

    it('a retry after the payment moved on gets the original answer', async () => {
      const id = requestId();
      const first = await initiate(id, payment);
      await fetch(`${await baseOf('alice')}${SCT}/${first.body.paymentId as string}`, {
        method: 'DELETE',
        headers: { 'x-request-id': requestId() },
      });
      // Same fields in another order: the same request.
      const { creditorName, ...rest } = payment;
      const retry = await initiate(id, { creditorName, ...rest });
      expect(retry).toEqual(first);
    });

    it('the same X-Request-ID with another body is 400 FORMAT_ERROR naming X-Request-ID, also in parallel', async () => {
      const id = requestId();
      const other = { ...payment, instructedAmount: { currency: 'EUR', amount: '7.01' } };
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => initiate(id, i % 2 === 0 ? payment : other)),
      );
      const winners = answers.filter((a) => a.status === 201);
      const refused = answers.filter((a) => a.status === 400);
      expect(winners.length + refused.length).toBe(10);
      expect(new Set(winners.map((w) => w.body.paymentId)).size).toBe(1);
      for (const r of refused) {
        expect(r.body).toEqual({
          tppMessages: [
            {
              category: 'ERROR',
              code: 'FORMAT_ERROR',
              path: 'header.X-Request-ID',
              text: 'X-Request-ID was already used for another payment initiation',
            },
          ],
        });
      }
      expect(await storedFor(id)).toBe(1);
    });

    it("another TPP's request with the same X-Request-ID is its own payment", async () => {
      const id = requestId();
      const alice = await initiate(id, payment, 'alice');
      const pisp = await initiate(id, payment, 'pisp');
      expect([alice.status, pisp.status]).toEqual([201, 201]);
      expect(pisp.body.paymentId).not.toBe(alice.body.paymentId);
      expect(await storedFor(id)).toBe(2);
    });
  });
});
