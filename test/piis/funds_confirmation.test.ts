import { sandboxFundsCommand } from '../../src/cli/sandbox_funds_command';
import type { PresentedChain } from '../../src/tls/presented_chain';
import { PIISP_PROFILE, startAisGateway, requestId, type AisGateway, type TppName } from '../ais/ais_gateway';
import { issueUnderTrent } from '../helpers/injected_chain';
import { DATABASE_KINDS, describeForDatabase } from '../store/test_databases';

// Fixture accounts: Anna allowed the card issuer (piisp, PSDDE-BAFIN-444444) to check her current
// account, and nobody her savings account.
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

    const check = (body: unknown, tpp: TppName | PresentedChain = 'piisp') =>
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

    describe("the PSU's permission names the TPP (security review, finding 6)", () => {
      const OTHER_ISSUER = 'PSDDE-BAFIN-555555';
      let otherIssuer: PresentedChain;
      beforeAll(async () => {
        otherIssuer = await issueUnderTrent({
          ...PIISP_PROFILE,
          organization: 'Other Card Issuer AG',
          organizationIdentifier: OTHER_ISSUER,
          commonName: 'api.other-card-issuer.example',
          dnsName: 'api.other-card-issuer.example',
        });
      });
      const body = { account: { iban: ALLOWED }, instructedAmount: { currency: 'EUR', amount: '1.00' } };
      const cli = async (...args: string[]): Promise<string[]> => {
        const lines: string[] = [];
        const command = sandboxFundsCommand({
          env: { GATEWAY_DATABASE_URL: t.database.url },
          out: (line) => lines.push(line),
        });
        for (const c of [command, ...command.commands]) c.exitOverride();
        await command.parseAsync(args, { from: 'user' });
        return lines;
      };

      it('another card issuer asking about the same account gets NO_PIIS_ACTIVATION until the PSU allows it too', async () => {
        const refused = await check(body, otherIssuer);
        expect({ status: refused.status, code: refused.body.tppMessages?.[0]?.code }).toEqual({
          status: 400,
          code: 'NO_PIIS_ACTIVATION',
        });

        expect(await cli('allow', 'DE37 1002 0030 0000 1234 01', OTHER_ISSUER)).toEqual([
          `${OTHER_ISSUER} may now confirm funds on ${ALLOWED}`,
        ]);
        expect((await check(body, otherIssuer)).body).toEqual({ fundsAvailable: true });
        expect(JSON.parse((await cli('list', '--json')).join('\n'))).toEqual(
          expect.arrayContaining([
            { iban: ALLOWED, psuId: 'anna', tpp: 'PSDDE-BAFIN-444444' },
            { iban: ALLOWED, psuId: 'anna', tpp: OTHER_ISSUER },
          ]),
        );

        expect(await cli('revoke', ALLOWED, OTHER_ISSUER)).toEqual([
          `${OTHER_ISSUER} may no longer confirm funds on ${ALLOWED}`,
        ]);
        expect((await check(body, otherIssuer)).status).toBe(400);
        // The first issuer's permission is its own and stands.
        expect((await check(body)).body).toEqual({ fundsAvailable: true });
      });

      it('the CLI refuses an account the sandbox does not hold and a malformed organizationIdentifier', async () => {
        await expect(cli('allow', UNKNOWN, OTHER_ISSUER)).rejects.toThrow(
          `the sandbox holds no account ${UNKNOWN}`,
        );
        await expect(cli('allow', ALLOWED, 'Other Card Issuer')).rejects.toThrow(
          /is not a PSD2 organizationIdentifier/,
        );
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
