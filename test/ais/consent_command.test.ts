import { consentCommand } from '../../src/cli/consent_command';
import { account, ALICE_REDIRECT, startAisGateway, requestId, type AisGateway } from './ais_gateway';

let t: AisGateway;
beforeAll(async () => {
  t = await startAisGateway('sqlite');
});
afterAll(async () => {
  await t?.close();
});

async function cli(...args: string[]): Promise<string[]> {
  const lines: string[] = [];
  const command = consentCommand({
    env: { GATEWAY_DATABASE_URL: t.database.url },
    out: (l) => lines.push(l),
  });
  // Usage errors must fail the test, not end the jest worker.
  for (const c of [command, ...command.commands]) c.exitOverride();
  await command.parseAsync(args, { from: 'user' });
  return lines;
}

async function createConsent(): Promise<string> {
  const res = await t
    .as('alice')
    .post('/v1/consents')
    .set('X-Request-ID', requestId())
    .set('TPP-Redirect-URI', ALICE_REDIRECT)
    .send({
      access: { allPsd2: 'allAccounts' },
      recurringIndicator: true,
      validUntil: '2099-01-01',
      frequencyPerDay: 4,
    });
  return res.body.consentId as string;
}

describe('psd2-gateway consent', () => {
  it('authorises a consent for chosen accounts, which the API then reports', async () => {
    const consentId = await createConsent();
    const iban = account('anna', 1).iban;
    const lines = await cli('authorise', consentId, '--psu', 'anna', '--accounts', iban);
    expect(lines[0]).toBe(`consent ${consentId} is valid for PSU anna`);
    const res = await t.as('alice').get(`/v1/consents/${consentId}`).set('X-Request-ID', requestId());
    expect(res.body).toMatchObject({ consentStatus: 'valid' });
    expect((await t.consents.findById(consentId))?.grant?.accounts).toEqual([iban]);
    // Reads still need a token, which only the OAuth flow issues.
    const read = await t
      .as('alice')
      .get('/v1/accounts')
      .set('X-Request-ID', requestId())
      .set('PSU-IP-Address', '192.0.2.1')
      .set('Consent-ID', consentId);
    expect(read.body.tppMessages[0].code).toBe('TOKEN_INVALID');
  });

  it('lists consents as text and JSON', async () => {
    const text = await cli('list');
    expect(text[0]).toMatch(/^consentId/);
    const json = JSON.parse((await cli('list', '--json', '--status', 'valid')).join('\n')) as {
      status: string;
    }[];
    expect(json.length).toBeGreaterThan(0);
    expect(json.every((c) => c.status === 'valid')).toBe(true);
  });

  it('rejects a consent', async () => {
    const consentId = await createConsent();
    expect(await cli('reject', consentId)).toEqual([`consent ${consentId} is rejected`]);
  });

  it.each([
    ['an account of another PSU', ['--accounts', account('ben', 0).iban], /RESOURCE_UNKNOWN/],
    ['an unknown PSU', [], /RESOURCE_UNKNOWN: Unknown PSU/],
  ])('refuses to grant %s', async (_name, extra, message) => {
    const consentId = await createConsent();
    const psu = extra.length === 0 ? 'nobody' : 'anna';
    await expect(cli('authorise', consentId, '--psu', psu, ...extra)).rejects.toThrow(message);
    expect((await t.consents.findById(consentId))?.status).toBe('received');
  });

  it('refuses to decide a consent twice', async () => {
    const consentId = await createConsent();
    await cli('reject', consentId);
    await expect(cli('authorise', consentId, '--psu', 'anna')).rejects.toThrow(/STATUS_INVALID/);
  });
});
