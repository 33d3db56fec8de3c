/**
 * Security review, finding 5: the sign-in limiter counted the full IPv6 address, so a subscriber holding a
 * /64 (the usual assignment) could take a fresh address for every guess. It now counts an IPv6 /64 as one
 * client, as the connection cap does. The real gateway over TLS behind a trusted proxy (127.0.0.1, which
 * names the browser in X-Forwarded-For), on SQLite; the PSU's browser signs in at the consent dashboard.
 */
import { readFileSync } from 'node:fs';
import type { RunningGateway } from '../../src/gateway';
import { DEFAULT_SIGN_IN_LIMITS } from '../../src/sca/sign_in_limiter';
import { mtlsRequest } from '../helpers/mtls_request';
import { cookieOf, csrfOf } from '../helpers/psu_browser';
import { startTestGateway } from '../helpers/test_gateway';
import { testPkiFiles } from '../helpers/test_pki';
import { createTestDatabase, type TestDatabase } from '../store/test_databases';

jest.setTimeout(120_000);

let database: TestDatabase;
let gateway: RunningGateway;

beforeAll(async () => {
  database = await createTestDatabase('sqlite');
  gateway = await startTestGateway(database.url, {
    GATEWAY_TRUSTED_PROXIES: '127.0.0.1',
    GATEWAY_FORWARDED_CERT_HEADER: 'client-cert',
  });
});
afterAll(async () => {
  await gateway?.close();
  await database?.drop();
});

/** One sign-in at the dashboard from a fresh browser whose address the proxy reports. */
async function signIn(address: string, username: string): Promise<'wrong' | 'locked'> {
  const request = (method: string, path: string, headers: Record<string, string>, body?: string) =>
    mtlsRequest({
      url: `${gateway.url}${path}`,
      ca: readFileSync(testPkiFiles().anchor),
      method,
      headers: { 'X-Forwarded-For': address, ...headers },
      ...(body !== undefined ? { body } : {}),
    });
  const page = await request('GET', '/psu/consents', {});
  const res = await request(
    'POST',
    '/psu/consents/sign-in',
    { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookieOf(page) ?? '' },
    new URLSearchParams({
      csrf_token: csrfOf(page.body),
      username,
      password: 'not-a-password',
      otp: '000000',
    }).toString(),
  );
  expect(res.status).toBe(200);
  if (/Too many failed sign-ins/.test(res.body)) return 'locked';
  expect(res.body).toContain('The username, password or one-time code is not correct');
  return 'wrong';
}

it('addresses of one IPv6 /64 share one count; the next /64 and an IPv4 client are counted apart', async () => {
  const limit = DEFAULT_SIGN_IN_LIMITS.perClientAddress;
  const answers: string[] = [];
  // A new address and a new username for every guess: only the /64 ties them together.
  for (let i = 1; i <= limit + 1; i++) {
    answers.push(await signIn(`2001:db8:1:2:${i.toString(16)}::${i.toString(16)}`, `guess${i}`));
  }
  expect(answers.slice(0, limit)).toEqual(Array(limit).fill('wrong'));
  expect(answers[limit]).toBe('locked');
  // Written another way, the same /64 is still the same client.
  expect(await signIn('2001:0db8:0001:0002:ffff:ffff:ffff:ffff', 'someone')).toBe('locked');
  expect(await signIn('2001:db8:1:3::1', 'someone')).toBe('wrong');
  expect(await signIn('192.0.2.77', 'someone-else')).toBe('wrong');
});
