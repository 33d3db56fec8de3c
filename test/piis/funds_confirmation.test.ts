import { startAisGateway, requestId, type AisGateway, type TppName } from '../ais/ais_gateway';
import { DATABASE_KINDS, describeForDatabase } from '../store/test_databases';

// Fixture accounts: Anna's current account allows funds checks, her savings account does not.
const ALLOWED = 'DE37100200300000123401';
const NOT_ALLOWED = 'DE10100200300000123402';
// Valid check digits, held by no bank customer of the sandbox.
const UNKNOWN = 'DE89370400440532013000';
const FUNDS = '/v1/funds-confirmations';

describe.each(DATABASE_KINDS)('funds confirmation on %s', (kind) => {
  describeForDatabase(kind)('', () => {
    let t: AisGateway;
    beforeAll(async () => {
      t = await startAisGateway(kind);
    });
    afterAll(async () => {
      await t?.close();
    });

    const check = (body: unknown, tpp: TppName = 'piisp') =>
      t
        .as(tpp)
        .post(FUNDS)
        .set('X-Request-ID', requestId())
        .send(body as object);
    const ask = (iban: string, amount: string) =>
      check({ account: { iban }, instructedAmount: { currency: 'EUR', amount } });

    it('answers fundsAvailable for an account whose PSU allowed checks', async () => {
      const covered = await ask(ALLOWED, '1.00');
      expect({ status: covered.status, body: covered.body }).toEqual({
        status: 200,
        body: { fundsAvailable: true },
      });
      const uncovered = await ask(ALLOWED, '99999999.00');
      expect(uncovered.body).toEqual({ fundsAvailable: false });
    });

    it.each([
      ['an account without the permission', NOT_ALLOWED],
      ['an account the bank does not hold', UNKNOWN],
    ])('%s: 400 NO_PIIS_ACTIVATION, the same answer either way', async (_name, iban) => {
      const res = await ask(iban, '1.00');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        tppMessages: [
          {
            category: 'ERROR',
            code: 'NO_PIIS_ACTIVATION',
            path: 'body.account.iban',
            text: 'Funds confirmation is not activated for this account',
          },
        ],
      });
    });

    it.each<[string, TppName]>([
      ['Alice (PSP_AI, PSP_PI)', 'alice'],
      ['a payment initiator (PSP_PI)', 'pisp'],
    ])('%s without PSP_IC: 401 ROLE_INVALID', async (_name, tpp) => {
      const res = await check(
        { account: { iban: ALLOWED }, instructedAmount: { currency: 'EUR', amount: '1.00' } },
        tpp,
      );
      expect(res.status).toBe(401);
      expect(res.body.tppMessages[0].code).toBe('ROLE_INVALID');
    });

    it.each([
      [
        'IBAN check digits',
        {
          account: { iban: 'DE38100200300000123401' },
          instructedAmount: { currency: 'EUR', amount: '1.00' },
        },
        'body.account.iban',
      ],
      [
        'amount zero',
        { account: { iban: ALLOWED }, instructedAmount: { currency: 'EUR', amount: '0.00' } },
        'body.instructedAmount.amount',
      ],
    ])('%s: 400 FORMAT_ERROR with the field', async (_name, body, path) => {
      const res = await check(body);
      expect(res.status).toBe(400);
      expect(res.body.tppMessages[0]).toMatchObject({ code: 'FORMAT_ERROR', path });
    });

    it('a body without instructedAmount is refused by the schema', async () => {
      const res = await check({ account: { iban: ALLOWED } });
      expect(res.status).toBe(400);
      expect(res.body.tppMessages[0].code).toBe('FORMAT_ERROR');
    });
  });
});
