/** OAuth refusals: one generic description per kind for the client, the reason only in the log. */
import { captureLogger } from '../helpers/capture_logger';
import {
  aliceConsent,
  createTestApp,
  exchangeCode,
  newPkce,
  obtainCode,
  type TestApp,
} from './oauth_gateway';

let t: TestApp;
let lines: Record<string, unknown>[];

beforeEach(async () => {
  const capture = captureLogger();
  lines = capture.lines;
  t = await createTestApp({ logger: capture.logger });
});

afterEach(async () => {
  await t.close();
});

describe('invalid_grant: generic for the client, specific in the log', () => {
  it.each([
    ['a wrong code_verifier', { code_verifier: newPkce().verifier }, /code_verifier does not match/],
    ['a wrong redirect_uri', { redirect_uri: 'https://alice.example/elsewhere' }, /redirect_uri .* differs/],
    ['an unknown code', { code: 'not-a-code' }, /unknown authorization code/],
  ])('%s', async (_name, change, detail) => {
    const consent = t.consents.add(aliceConsent());
    const pair = newPkce();
    const code = await obtainCode(t, consent, pair);
    const res = await exchangeCode(t.app, 'alice', code, pair, change).expect(400);
    expect(res.body).toEqual({
      error: 'invalid_grant',
      error_description:
        'The authorization code or refresh token is invalid, expired, revoked, already used or was issued to another client',
    });
    const refused = lines.filter((l) => l.event === 'oauth.request_refused');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ error: 'invalid_grant', detail: expect.stringMatching(detail) });
  });
});
