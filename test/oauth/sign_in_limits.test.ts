/**
 * No guessing: failed sign-ins are limited per PSU and per client address across browser sessions (the
 * count lives in the store, see test/store/sign_in_attempt_repository.test.ts for several instances),
 * and neither the answers nor the log give away passwords or which usernames exist.
 */
import { captureLogger } from '../helpers/capture_logger';
import { usernameHash } from '../../src/sca/sign_in_limiter';
import type { ConsentForAuthorisation } from '../../src/oauth/consent_port';
import {
  aliceConsent,
  authorizeQuery,
  createTestApp,
  credentials,
  newPkce,
  openAuthorize,
  postForm,
  type TestApp,
} from './oauth_gateway';

let t: TestApp;
let logLines: Record<string, unknown>[];
let rawLog: () => string;

beforeEach(async () => {
  const capture = captureLogger();
  logLines = capture.lines;
  rawLog = capture.raw;
  t = await createTestApp({ logger: capture.logger });
});

afterEach(async () => {
  await t.close();
});

/**
 * One attempt from a fresh browser session on a new consent: open the page, post the form once. `fields`
 * may depend on the consent (its one-time code does).
 */
async function attempt(
  fields: Record<string, string> | ((consent: ConsentForAuthorisation) => Record<string, string>),
) {
  const consent = t.consents.add(aliceConsent());
  const page = await openAuthorize(t.app, authorizeQuery(consent, newPkce()));
  return postForm(t.app, page, {
    csrf_token: page.csrf,
    ...(typeof fields === 'function' ? fields(consent) : fields),
  });
}

const outcome = (html: string): 'consent' | 'wrong' | 'locked' =>
  /name="decision"/.test(html) ? 'consent' : /Too many failed sign-ins/.test(html) ? 'locked' : 'wrong';

describe('sign-in limits across sessions', () => {
  it('50 wrong passwords from fresh sessions lock the PSU and never succeed; the right ones wait out the lock', async () => {
    const answers: string[] = [];
    for (let i = 0; i < 50; i++) {
      // Every tenth guess is the right password with a wrong code: still not a sign-in.
      const guess = (consent: ConsentForAuthorisation) =>
        i % 10 === 9
          ? { ...credentials(t, consent), otp: '000000' }
          : { ...credentials(t, consent), password: `guess-${i}` };
      const res = await attempt(guess);
      expect(res.status).toBe(200);
      answers.push(outcome(res.text));
    }
    expect(answers.slice(0, 5)).toEqual(Array(5).fill('wrong'));
    expect(answers.slice(5)).toEqual(Array(45).fill('locked'));

    // Locked means locked: the right password and code are not even checked.
    const right = await attempt((c) => credentials(t, c));
    expect(outcome(right.text)).toBe('locked');
    expect(right.text).toMatch(/try again in 15 minutes/);
    expect(right.text).toMatch(/id="password"[^>]*aria-describedby="sign-in-error"/);

    // Attempts during the lock did not extend it.
    t.clock.advance(15 * 60 + 1);
    expect(outcome((await attempt((c) => credentials(t, c))).text)).toBe('consent');
  });

  it('a success clears the PSU count: four failures, a sign-in, four failures still do not lock', async () => {
    for (let i = 0; i < 4; i++)
      expect(outcome((await attempt((c) => ({ ...credentials(t, c), password: 'x' }))).text)).toBe('wrong');
    expect(outcome((await attempt((c) => credentials(t, c))).text)).toBe('consent');
    for (let i = 0; i < 4; i++)
      expect(outcome((await attempt((c) => ({ ...credentials(t, c), password: 'x' }))).text)).toBe('wrong');
    expect(outcome((await attempt((c) => credentials(t, c))).text)).toBe('consent');
  });

  it('per client address: guessing across many usernames locks the address, whichever username comes next', async () => {
    const answers: string[] = [];
    for (let i = 0; i < 51; i++) {
      answers.push(
        outcome((await attempt({ username: `user${i}`, password: 'password1', otp: '123456' })).text),
      );
    }
    expect(answers.slice(0, 50)).toEqual(Array(50).fill('wrong'));
    expect(answers[50]).toBe('locked');
    expect(outcome((await attempt((c) => credentials(t, c))).text)).toBe('locked');
  });

  it('an unknown username gets the same answers, the same lock and the same log as a known one', async () => {
    const known: string[] = [];
    const unknown: string[] = [];
    for (let i = 0; i < 6; i++) {
      known.push((await attempt((c) => ({ ...credentials(t, c), password: 'x' }))).text);
      unknown.push((await attempt({ username: 'nobody', password: 'x', otp: '123456' })).text);
    }
    const strip = (html: string) => html.replace(/value="[^"]+"/g, 'value=""');
    expect(unknown.map(strip)).toEqual(known.map(strip));
    const events = logLines.filter((l) => String(l.event).startsWith('oauth.psu_sign_in'));
    const byHash = (name: string) =>
      events.filter((e) => e.usernameHash === usernameHash(name)).map((e) => e.event);
    expect(byHash('nobody')).toEqual(byHash('petra'));
  });

  it('every failure is logged with the client address and a username hash, never the password or the code', async () => {
    await attempt({ username: 'petra', password: 'hunter2-secret', otp: '424242' });
    const failure = logLines.find((l) => l.event === 'oauth.psu_sign_in_failed');
    expect(failure).toMatchObject({
      level: 40,
      clientAddress: expect.stringMatching(/127\.0\.0\.1/),
      usernameHash: usernameHash('petra'),
    });
    expect(rawLog()).not.toContain('hunter2-secret');
    expect(rawLog()).not.toContain('424242');
    expect(rawLog()).not.toMatch(/"petra"/);
  });
});
