import { CAROL } from '../../src/fixtures/build_client_cases';
import type { PresentedChain } from '../../src/tls/presented_chain';
import { issueUnderTrent } from '../helpers/injected_chain';
import {
  account,
  ALICE_REDIRECT,
  startAisGateway,
  requestId,
  type AisGateway,
  type TppName,
} from './ais_gateway';

const anna1 = account('anna', 0);
let t: AisGateway;
let existing: string;
let existingToken: string;

const good = {
  access: {
    accounts: [{ iban: anna1.iban }],
    balances: [{ iban: anna1.iban }],
    transactions: [{ iban: anna1.iban }],
  },
  recurringIndicator: true,
  validUntil: '2027-01-31',
  frequencyPerDay: 4,
  combinedServiceIndicator: false,
};

/** Carol with a QWAC naming `*.carol.example`: no fixture row has a wildcard. */
let carolWildcard: PresentedChain;

beforeAll(async () => {
  t = await startAisGateway('sqlite');
  carolWildcard = await issueUnderTrent({ ...CAROL, dnsName: '*.carol.example' });
  const res = await t
    .as('alice')
    .post('/v1/consents')
    .set('X-Request-ID', requestId())
    .set('TPP-Redirect-URI', ALICE_REDIRECT)
    .send(good);
  existing = res.body.consentId as string;
  existingToken = await t.authorise(existing, 'anna');
});
afterAll(async () => {
  await t?.close();
});

interface Case {
  name: string;
  body?: unknown;
  raw?: string;
  contentType?: string;
  redirect?: string | null;
  tpp?: TppName | 'carolWildcard';
  status: number;
  code: string;
  path?: string;
}

const cases: Case[] = [
  { name: 'malformed JSON', raw: '{"access": {', status: 400, code: 'FORMAT_ERROR', path: 'body' },
  {
    name: 'not JSON at all',
    raw: 'access=all',
    contentType: 'text/plain',
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'body',
  },
  { name: 'JSON array body', body: [good], status: 400, code: 'FORMAT_ERROR', path: 'body' },
  {
    name: 'JSON in a charset other than UTF-8',
    raw: JSON.stringify(good),
    contentType: 'application/json; charset=latin1',
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'body',
  },
  {
    name: 'body over 32 KB',
    raw: JSON.stringify({ ...good, padding: 'x'.repeat(40_000) }),
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'body',
  },
  {
    name: 'access missing',
    body: { ...good, access: undefined },
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'body.access',
  },
  {
    name: 'access empty',
    body: { ...good, access: {} },
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'body.access',
  },
  {
    name: 'unknown body field',
    body: { ...good, foo: 1 },
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'body.foo',
  },
  {
    name: 'IBAN of wrong shape',
    body: { ...good, access: { accounts: [{ iban: 'DE00' }] } },
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'body.access.accounts[0].iban',
  },
  {
    name: 'IBAN with wrong check digits',
    body: { ...good, access: { accounts: [{ iban: 'DE38100200300000123401' }] } },
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'body.access.accounts[0].iban',
  },
  {
    name: 'bban reference (unsupported)',
    body: { ...good, access: { accounts: [{ bban: '370400440532013000' }] } },
    status: 400,
    code: 'FORMAT_ERROR',
  },
  {
    name: 'allPsd2 with account lists',
    body: { ...good, access: { ...good.access, allPsd2: 'allAccounts' } },
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'body.access',
  },
  {
    name: 'some lists empty, some not',
    body: { ...good, access: { accounts: [{ iban: anna1.iban }], balances: [] } },
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'body.access.balances',
  },
  {
    name: 'validUntil in the past',
    body: { ...good, validUntil: '2026-11-21' },
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'body.validUntil',
  },
  {
    name: 'validUntil not a date',
    body: { ...good, validUntil: '2027-13-01' },
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'body.validUntil',
  },
  {
    name: 'frequencyPerDay 0',
    body: { ...good, frequencyPerDay: 0 },
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'body.frequencyPerDay',
  },
  {
    name: 'frequencyPerDay a string',
    body: { ...good, frequencyPerDay: 'four' },
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'body.frequencyPerDay',
  },
  {
    name: 'one-off consent with frequencyPerDay 4',
    body: { ...good, recurringIndicator: false },
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'body.frequencyPerDay',
  },
  {
    name: 'TPP-Redirect-URI missing',
    body: good,
    redirect: null,
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'header.TPP-Redirect-URI',
  },
  {
    name: 'TPP-Redirect-URI over http',
    body: good,
    redirect: 'http://tpp.bank-of-alice.example/cb',
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'header.TPP-Redirect-URI',
  },
  {
    name: 'TPP-Redirect-URI relative',
    body: good,
    redirect: '/cb',
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'header.TPP-Redirect-URI',
  },
  {
    name: 'TPP-Redirect-URI with a fragment',
    body: good,
    redirect: `${ALICE_REDIRECT}#x`,
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'header.TPP-Redirect-URI',
  },
  {
    name: 'TPP-Redirect-URI with user info',
    body: good,
    redirect: 'https://u:p@tpp.bank-of-alice.example/cb',
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'header.TPP-Redirect-URI',
  },
  {
    name: 'TPP-Redirect-URI on a host not in the certificate',
    body: good,
    redirect: 'https://evil.example/cb',
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'header.TPP-Redirect-URI',
  },
  {
    name: "TPP-Redirect-URI on another TPP's host",
    body: good,
    redirect: 'https://app.carol.example/cb',
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'header.TPP-Redirect-URI',
  },
  {
    name: 'wildcard SAN covers one label',
    body: good,
    tpp: 'carolWildcard',
    redirect: 'https://app.carol.example/cb',
    status: 201,
    code: 'received',
  },
  {
    name: 'wildcard SAN does not cover two labels',
    body: good,
    tpp: 'carolWildcard',
    redirect: 'https://a.b.carol.example/cb',
    status: 400,
    code: 'FORMAT_ERROR',
    path: 'header.TPP-Redirect-URI',
  },
  {
    name: 'bank-offered consent',
    body: { ...good, access: { accounts: [], balances: [], transactions: [] } },
    status: 201,
    code: 'received',
  },
  {
    name: 'availableAccounts one-off',
    body: {
      ...good,
      access: { availableAccounts: 'allAccountsWithBalances' },
      recurringIndicator: false,
      frequencyPerDay: 1,
    },
    status: 201,
    code: 'received',
  },
];

describe('POST /v1/consents input checks', () => {
  it.each(cases.map((c) => ({ ...c, expected: `${c.status} ${c.code}` })))('$name → $expected', async (c) => {
    let req = t
      .as(c.tpp === 'carolWildcard' ? carolWildcard : (c.tpp ?? 'alice'))
      .post('/v1/consents')
      .set('X-Request-ID', requestId());
    if (c.redirect !== null) req = req.set('TPP-Redirect-URI', c.redirect ?? ALICE_REDIRECT);
    const res =
      c.raw !== undefined
        ? await req.set('Content-Type', c.contentType ?? 'application/json').send(c.raw)
        : await req.send(c.body as object);
    expect(res.status).toBe(c.status);
    if (c.status === 201) {
      expect(res.body.consentStatus).toBe(c.code);
      return;
    }
    expect(res.body.tppMessages[0]).toMatchObject({ category: 'ERROR', code: c.code });
    if (c.path !== undefined) {
      expect(res.body.tppMessages[0].path).toBe(c.path);
      expect(res.body.tppMessages[0].text).toContain(c.path.startsWith('header.') ? 'TPP-Redirect-URI' : '');
    }
  });

  it('names the offending field in the text too', async () => {
    const res = await t
      .as('alice')
      .post('/v1/consents')
      .set('X-Request-ID', requestId())
      .set('TPP-Redirect-URI', ALICE_REDIRECT)
      .send({ ...good, frequencyPerDay: 0 });
    expect(res.body.tppMessages[0].text).toContain('body.frequencyPerDay');
  });

  it('loses no stored data and keeps serving after all that bad input', async () => {
    const status = await t
      .as('alice')
      .get(`/v1/consents/${existing}/status`)
      .set('X-Request-ID', requestId());
    expect(status.body).toEqual({ consentStatus: 'valid' });
    const list = await t
      .as('alice')
      .get('/v1/accounts')
      .set('X-Request-ID', requestId())
      .set('PSU-IP-Address', '192.0.2.1')
      .set('Authorization', `Bearer ${existingToken}`)
      .set('Consent-ID', existing);
    expect(list.status).toBe(200);
  });

  it('issues unguessable, distinct consent ids', async () => {
    const all = await t.consents.list();
    const idsSeen = new Set(all.map((c) => c.id));
    expect(idsSeen.size).toBe(all.length);
    for (const id of idsSeen) expect(id).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });
});

describe('served documentation', () => {
  it('serves the OpenAPI document', async () => {
    const res = await t.as(undefined).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/v1/consents', '/v1/accounts/{account-id}/transactions']),
    );
  });

  it('serves browsable docs with no script and nothing from elsewhere', async () => {
    const res = await t.as(undefined).get('/docs');
    expect(res.status).toBe(200);
    expect(res.text).toContain('getTransactionList');
    expect(res.text).not.toMatch(/<script/i);
    expect(res.text).not.toMatch(/(src|href)="(https?:)?\/\//i);
    expect(res.text).toContain('href="/docs/style.css"');
    const css = await t.as(undefined).get('/docs/style.css');
    expect(css.headers['content-type']).toMatch(/text\/css/);
  });
});
