import {
  account,
  ALICE_REDIRECT,
  startAisGateway,
  requestId,
  type AisGateway,
  type TppName,
} from './ais_gateway';

const anna1 = account('anna', 0);
const anna2 = account('anna', 1);
const ben1 = account('ben', 0);

const ids: Record<string, string> = {};
/** Alice's access tokens, by the consent they were issued for (the real OAuth flow, bound to her certificate). */
const tokens: Record<string, string> = {};
let t: AisGateway;

async function createConsent(body: object): Promise<string> {
  const res = await t
    .as('alice')
    .post('/v1/consents')
    .set('X-Request-ID', requestId())
    .set('TPP-Redirect-URI', ALICE_REDIRECT)
    .send(body);
  if (res.status !== 201) throw new Error(`setup: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.consentId as string;
}

const detailed = {
  access: {
    accounts: [{ iban: anna1.iban }, { iban: anna2.iban }],
    balances: [{ iban: anna1.iban }],
    transactions: [{ iban: anna1.iban }],
  },
  recurringIndicator: true,
  validUntil: '2027-06-30',
  frequencyPerDay: 100,
};

beforeAll(async () => {
  t = await startAisGateway('sqlite');
  const anna = [anna1.iban, anna2.iban];
  ids.valid = await createConsent(detailed);
  tokens.valid = await t.authorise(ids.valid, 'anna');
  ids.received = await createConsent(detailed);
  ids.rejected = await createConsent(detailed);
  await t.consents.reject(ids.rejected, 'anna');
  ids.revoked = await createConsent(detailed);
  tokens.revoked = await t.authorise(ids.revoked, 'anna');
  await t.consents.revokeByPsu(ids.revoked, 'anna');
  ids.terminated = await createConsent(detailed);
  tokens.terminated = await t.authorise(ids.terminated, 'anna');
  await t.consents.terminateByTpp(ids.terminated, await t.identity('alice'));
  ids.listOnly = await createConsent({
    access: { availableAccounts: 'allAccounts' },
    recurringIndicator: false,
    validUntil: '2027-06-30',
    frequencyPerDay: 1,
  });
  tokens.listOnly = await t.authorise(ids.listOnly, 'anna', { accounts: anna });
  // Valid, but read with the token of another consent.
  ids.otherToken = await createConsent(detailed);
  await t.authorise(ids.otherToken, 'anna');
  tokens.otherToken = tokens.valid;
  // Valid, but read without a bearer token.
  ids.noToken = await createConsent(detailed);
  await t.authorise(ids.noToken, 'anna');
  // A consent authorised in January, valid until the end of January.
  t.clock.now = new Date('2026-01-10T09:00:00Z');
  ids.expired = await createConsent({ ...detailed, validUntil: '2026-01-31' });
  tokens.expired = await t.authorise(ids.expired, 'anna');
  t.clock.now = new Date('2026-11-22T12:00:00Z');
  ids.unknown = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
  // Alice's token travels with her reads of the consents she has one for.
  for (const name of ['received', 'rejected']) tokens[name] = tokens.valid ?? '';
});
afterAll(async () => {
  await t?.close();
});

interface Row {
  name: string;
  tpp: TppName;
  method: 'get' | 'delete' | 'put' | 'post';
  url: (ids: Record<string, string>) => string;
  consent?: string;
  headers?: Record<string, string>;
  omit?: string[];
  status: number;
  code?: string;
  path?: string;
}

const reads = (consent: string, url: string): Pick<Row, 'method' | 'url' | 'consent'> => ({
  method: 'get',
  url: () => url,
  consent,
});

const rows: Row[] = [
  { name: 'owner reads the account list', tpp: 'alice', ...reads('valid', '/v1/accounts'), status: 200 },
  {
    name: 'owner reads balances in the list',
    tpp: 'alice',
    ...reads('valid', '/v1/accounts?withBalance=true'),
    status: 200,
  },
  {
    name: 'owner reads transactions',
    tpp: 'alice',
    ...reads(
      'valid',
      `/v1/accounts/${anna1.resourceId}/transactions?bookingStatus=booked&dateFrom=2026-10-01`,
    ),
    status: 200,
  },
  {
    name: 'PSP_PI-only TPP reads accounts',
    tpp: 'pisp',
    ...reads('valid', '/v1/accounts'),
    status: 401,
    code: 'ROLE_INVALID',
  },
  {
    name: 'PSP_PI-only TPP creates a consent',
    tpp: 'pisp',
    method: 'post',
    url: () => '/v1/consents',
    status: 401,
    code: 'ROLE_INVALID',
  },
  {
    name: 'other TPP names the consent in Consent-ID',
    tpp: 'carol',
    ...reads('valid', '/v1/accounts'),
    status: 400,
    code: 'CONSENT_UNKNOWN',
    path: 'header.Consent-ID',
  },
  {
    name: 'unknown Consent-ID',
    tpp: 'alice',
    ...reads('unknown', '/v1/accounts'),
    status: 400,
    code: 'CONSENT_UNKNOWN',
    path: 'header.Consent-ID',
  },
  {
    name: 'other TPP reads the consent',
    tpp: 'carol',
    method: 'get',
    url: (i) => `/v1/consents/${i.valid}`,
    status: 403,
    code: 'CONSENT_UNKNOWN',
  },
  {
    name: 'other TPP reads the consent status',
    tpp: 'carol',
    method: 'get',
    url: (i) => `/v1/consents/${i.valid}/status`,
    status: 403,
    code: 'CONSENT_UNKNOWN',
  },
  {
    name: 'other TPP deletes the consent',
    tpp: 'carol',
    method: 'delete',
    url: (i) => `/v1/consents/${i.valid}`,
    status: 403,
    code: 'CONSENT_UNKNOWN',
  },
  {
    name: 'unknown consent in the path',
    tpp: 'alice',
    method: 'get',
    url: (i) => `/v1/consents/${i.unknown}`,
    status: 403,
    code: 'CONSENT_UNKNOWN',
  },
  {
    name: 'consent not yet authorised',
    tpp: 'alice',
    ...reads('received', '/v1/accounts'),
    status: 401,
    code: 'CONSENT_INVALID',
  },
  {
    name: 'consent rejected',
    tpp: 'alice',
    ...reads('rejected', '/v1/accounts'),
    status: 401,
    code: 'CONSENT_INVALID',
  },
  {
    name: 'consent revoked by the PSU',
    tpp: 'alice',
    ...reads('revoked', '/v1/accounts'),
    status: 401,
    code: 'CONSENT_INVALID',
  },
  {
    name: 'consent terminated by the TPP',
    tpp: 'alice',
    ...reads('terminated', '/v1/accounts'),
    status: 401,
    code: 'CONSENT_INVALID',
  },
  {
    name: 'consent past validUntil',
    tpp: 'alice',
    ...reads('expired', '/v1/accounts'),
    status: 401,
    code: 'CONSENT_EXPIRED',
  },
  {
    name: 'account of another PSU',
    tpp: 'alice',
    ...reads('valid', `/v1/accounts/${ben1.resourceId}`),
    status: 404,
    code: 'RESOURCE_UNKNOWN',
  },
  {
    name: 'account that does not exist',
    tpp: 'alice',
    ...reads('valid', '/v1/accounts/acc-000000000000'),
    status: 404,
    code: 'RESOURCE_UNKNOWN',
  },
  {
    name: 'balances not granted for the account',
    tpp: 'alice',
    ...reads('valid', `/v1/accounts/${anna2.resourceId}/balances`),
    status: 401,
    code: 'CONSENT_INVALID',
  },
  {
    name: 'transactions not granted for the account',
    tpp: 'alice',
    ...reads('valid', `/v1/accounts/${anna2.resourceId}/transactions?bookingStatus=both&dateFrom=2026-01-01`),
    status: 401,
    code: 'CONSENT_INVALID',
  },
  {
    name: 'withBalance on an account without balance access',
    tpp: 'alice',
    ...reads('valid', `/v1/accounts/${anna2.resourceId}?withBalance=true`),
    status: 401,
    code: 'CONSENT_INVALID',
  },
  {
    name: 'availableAccounts consent lists accounts',
    tpp: 'alice',
    ...reads('listOnly', '/v1/accounts'),
    status: 200,
  },
  {
    name: 'availableAccounts consent asks for balances',
    tpp: 'alice',
    ...reads('listOnly', '/v1/accounts?withBalance=true'),
    status: 401,
    code: 'CONSENT_INVALID',
  },
  {
    name: 'availableAccounts consent reads account details',
    tpp: 'alice',
    ...reads('listOnly', `/v1/accounts/${anna1.resourceId}`),
    status: 401,
    code: 'CONSENT_INVALID',
  },
  {
    name: 'token issued for another consent',
    tpp: 'alice',
    ...reads('otherToken', '/v1/accounts'),
    status: 401,
    code: 'TOKEN_INVALID',
  },
  {
    name: 'no bearer token',
    tpp: 'alice',
    ...reads('noToken', '/v1/accounts'),
    status: 401,
    code: 'TOKEN_INVALID',
  },
  {
    name: 'X-Request-ID missing',
    tpp: 'alice',
    ...reads('valid', '/v1/accounts'),
    omit: ['X-Request-ID'],
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'header.X-Request-ID',
  },
  {
    name: 'X-Request-ID not a UUID',
    tpp: 'alice',
    ...reads('valid', '/v1/accounts'),
    headers: { 'X-Request-ID': 'req-1' },
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'header.X-Request-ID',
  },
  {
    name: 'Consent-ID missing',
    tpp: 'alice',
    ...reads('valid', '/v1/accounts'),
    omit: ['Consent-ID'],
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'header.Consent-ID',
  },
  {
    name: 'PSU-IP-Address malformed',
    tpp: 'alice',
    ...reads('valid', '/v1/accounts'),
    headers: { 'PSU-IP-Address': 'my laptop' },
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'header.PSU-IP-Address',
  },
  // Regression (issue 11, item 8): these passed a character-class pattern and lifted frequencyPerDay.
  ...['999.999.999.999', '1.2.3', '01.2.3.4', '::gg', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', '....'].map(
    (address): Row => ({
      name: `PSU-IP-Address ${address}`,
      tpp: 'alice',
      ...reads('valid', '/v1/accounts'),
      headers: { 'PSU-IP-Address': address },
      status: 400,
      code: 'FORMAT_ERROR',
      path: 'header.PSU-IP-Address',
    }),
  ),
  ...['192.0.2.1', '2001:db8::1', '::ffff:192.0.2.1'].map((address): Row => ({
    name: `PSU-IP-Address ${address}`,
    tpp: 'alice',
    ...reads('valid', '/v1/accounts'),
    headers: { 'PSU-IP-Address': address },
    status: 200,
  })),
  {
    name: 'bookingStatus missing',
    tpp: 'alice',
    ...reads('valid', `/v1/accounts/${anna1.resourceId}/transactions?dateFrom=2026-01-01`),
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'query.bookingStatus',
  },
  {
    name: 'bookingStatus not allowed',
    tpp: 'alice',
    ...reads('valid', `/v1/accounts/${anna1.resourceId}/transactions?bookingStatus=all&dateFrom=2026-01-01`),
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'query.bookingStatus',
  },
  {
    name: 'dateFrom not a calendar date',
    tpp: 'alice',
    ...reads(
      'valid',
      `/v1/accounts/${anna1.resourceId}/transactions?bookingStatus=booked&dateFrom=2026-02-30`,
    ),
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'query.dateFrom',
  },
  {
    name: 'dateFrom after dateTo',
    tpp: 'alice',
    ...reads(
      'valid',
      `/v1/accounts/${anna1.resourceId}/transactions?bookingStatus=booked&dateFrom=2026-10-02&dateTo=2026-10-01`,
    ),
    status: 400,
    code: 'PERIOD_INVALID',
  },
  {
    name: 'unsupported query parameter',
    tpp: 'alice',
    ...reads('valid', '/v1/accounts?deltaList=true'),
    status: 400,
    code: 'PARAMETER_NOT_SUPPORTED',
    path: 'query.deltaList',
  },
  {
    name: 'unknown endpoint',
    tpp: 'alice',
    ...reads('valid', '/v1/card-accounts'),
    status: 404,
    code: 'RESOURCE_UNKNOWN',
  },
  {
    name: 'method not offered',
    tpp: 'alice',
    method: 'put',
    url: (i) => `/v1/consents/${i.valid}`,
    status: 405,
    code: 'SERVICE_INVALID',
  },
  {
    name: 'deleting a terminated consent',
    tpp: 'alice',
    method: 'delete',
    url: (i) => `/v1/consents/${i.terminated}`,
    status: 409,
    code: 'STATUS_INVALID',
  },
];

describe('AIS access rules', () => {
  const labelled = rows.map((row) => ({ ...row, expected: `${row.status} ${row.code ?? 'OK'}` }));
  it.each(labelled)('$name → $expected', async (row) => {
    let req = t.as(row.tpp)[row.method](row.url(ids));
    const headers: Record<string, string> = { 'X-Request-ID': requestId(), 'PSU-IP-Address': '192.0.2.1' };
    const consentId = row.consent === undefined ? undefined : ids[row.consent];
    if (consentId !== undefined) headers['Consent-ID'] = consentId;
    // Alice presents her token for the consent; other TPPs have none for it.
    const token = row.tpp === 'alice' && row.consent !== undefined ? tokens[row.consent] : undefined;
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    Object.assign(headers, row.headers);
    for (const name of row.omit ?? []) delete headers[name];
    for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
    const res = await req;
    expect(res.status).toBe(row.status);
    if (row.code !== undefined) {
      expect(res.body.tppMessages).toHaveLength(1);
      expect(res.body.tppMessages[0]).toMatchObject({ category: 'ERROR', code: row.code });
      if (row.path !== undefined) expect(res.body.tppMessages[0].path).toBe(row.path);
      expect(JSON.stringify(res.body)).not.toContain('hunter2');
    }
  });

  it('checks the token only for the owner of a valid consent', async () => {
    // Without any token, the consent's own refusal comes first: the token is judged last.
    const carol = await t
      .as('carol')
      .get('/v1/accounts')
      .set('X-Request-ID', requestId())
      .set('Consent-ID', ids.valid ?? '');
    expect(carol.body.tppMessages[0].code).toBe('CONSENT_UNKNOWN');
    const received = await t
      .as('alice')
      .get('/v1/accounts')
      .set('X-Request-ID', requestId())
      .set('Consent-ID', ids.received ?? '');
    expect(received.body.tppMessages[0].code).toBe('CONSENT_INVALID');
    const valid = await t
      .as('alice')
      .get('/v1/accounts')
      .set('X-Request-ID', requestId())
      .set('Consent-ID', ids.valid ?? '');
    expect(valid.body.tppMessages[0].code).toBe('TOKEN_INVALID');
  });

  it("refuses Carol presenting Alice's token before looking at the consent", async () => {
    const res = await t
      .as('carol')
      .get('/v1/accounts')
      .set('X-Request-ID', requestId())
      .set('Authorization', `Bearer ${tokens.valid ?? ''}`)
      .set('Consent-ID', ids.valid ?? '');
    expect(res.status).toBe(401);
    expect(res.body.tppMessages[0].code).toBe('TOKEN_INVALID');
  });
});

describe("BOLA: Carol and Alice's consent", () => {
  const carolVersusUnknown = async (
    method: 'get' | 'delete',
    url: (id: string) => string,
    header?: boolean,
  ) => {
    const send = (id: string) => {
      const r = t
        .as('carol')
        [method](header === true ? url('') : url(id))
        .set('X-Request-ID', '11111111-1111-4111-8111-111111111111');
      return header === true ? r.set('Consent-ID', id) : r;
    };
    const onAlices = await send(ids.valid ?? '');
    const onUnknown = await send(ids.unknown ?? '');
    expect(onAlices.status).toBe(onUnknown.status);
    expect(onAlices.body).toEqual(onUnknown.body);
    expect(onAlices.headers['content-type']).toBe(onUnknown.headers['content-type']);
    return onAlices;
  };

  it.each([
    ['reads the consent', 'get', (id: string) => `/v1/consents/${id}`, false, 403],
    ['reads the status', 'get', (id: string) => `/v1/consents/${id}/status`, false, 403],
    ['deletes the consent', 'delete', (id: string) => `/v1/consents/${id}`, false, 403],
    ['lists accounts under it', 'get', () => '/v1/accounts', true, 400],
    ['reads balances under it', 'get', () => `/v1/accounts/${anna1.resourceId}/balances`, true, 400],
  ] as const)(
    'Carol %s: the same answer as for an unknown consent',
    async (_name, method, url, header, status) => {
      const res = await carolVersusUnknown(method, url, header);
      expect(res.status).toBe(status);
      expect(res.body.tppMessages[0].code).toBe('CONSENT_UNKNOWN');
    },
  );

  it("leaves Alice's consent untouched", async () => {
    expect((await t.consents.findById(ids.valid ?? ''))?.status).toBe('valid');
    const res = await t
      .as('alice')
      .get('/v1/accounts')
      .set('X-Request-ID', requestId())
      .set('PSU-IP-Address', '192.0.2.1')
      .set('Authorization', `Bearer ${tokens.valid ?? ''}`)
      .set('Consent-ID', ids.valid ?? '');
    expect(res.status).toBe(200);
  });
});
