/**
 * The sandbox second factor from the outside: the CLI prints what an authenticator app shows, the README's
 * openssl function computes the same codes, a consent code is bound to the consent and a payment code to
 * the payment, its amount and payee.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readSandboxBankFixture } from '../../src/accounts/sandbox_bank';
import { base32, totpCommand } from '../../src/cli/totp_command';
import { PROJECT_ROOT } from '../../src/config/project_root';
import type { AuthorisationSubject } from '../../src/sca/authorisation_subject';
import { SandboxAuthenticator } from '../../src/sca/sandbox_one_time_codes';
import { totp } from '../../src/sca/totp';

const fixture = readSandboxBankFixture();
const codes = new SandboxAuthenticator(fixture.psus);
/** Whether the code matches (the store that makes it single-use is tested in used_one_time_codes.test.ts). */
const matches = (params: Parameters<SandboxAuthenticator['matchingStep']>[0]): boolean =>
  codes.matchingStep(params) !== undefined;
const anna = fixture.psus.find((p) => p.psuId === 'anna');
const AT = new Date('2026-11-30T12:00:10Z');

function runTotp(args: string[]): string {
  const lines: string[] = [];
  totpCommand({ out: (l) => lines.push(l), now: () => AT }).parse(args, { from: 'user' });
  return lines.join('\n');
}

describe('sandbox TOTP', () => {
  it('every sandbox PSU has a seed, and the CLI prints the RFC 6238 code of it', () => {
    expect(anna).toBeDefined();
    for (const psu of fixture.psus) {
      expect(runTotp([psu.psuId])).toBe(totp(Buffer.from(psu.totpSeed, 'hex'), AT));
    }
  });

  it('--json carries an otpauth:// URI with the base32 seed for authenticator apps', () => {
    const out = JSON.parse(runTotp(['anna', '--json'])) as Record<string, unknown>;
    expect(out).toMatchObject({
      psuId: 'anna',
      code: codes.codeFor('anna', { kind: 'consentDashboard' }, AT),
    });
    expect(out.validForSeconds).toBe(20);
    expect(String(out.otpauthUri)).toMatch(
      new RegExp(
        `^otpauth://totp/Bob's%20Bank%3Aanna\\?secret=${base32(Buffer.from(anna?.totpSeed ?? '', 'hex'))}&`,
      ),
    );
  });

  it('base32 follows RFC 4648 (test vectors, unpadded)', () => {
    expect(['', 'f', 'fo', 'foo', 'foob', 'fooba', 'foobar'].map((s) => base32(Buffer.from(s)))).toEqual([
      '',
      'MY',
      'MZXQ',
      'MZXW6',
      'MZXW6YQ',
      'MZXW6YTB',
      'MZXW6YTBOI',
    ]);
  });

  it.each([
    ['the plain code (dashboard)', [], { kind: 'consentDashboard' }],
    ['a consent code', ['consent', 'c-42'], { kind: 'consent', consentId: 'c-42' }],
    [
      'a payment code',
      ['payment', 'p-7', '12.50', 'EUR', 'DE89370400440532013000', 'Corner Bakery'],
      {
        kind: 'payment',
        paymentId: 'p-7',
        amount: '12.5',
        currency: 'EUR',
        creditorIban: 'DE89370400440532013000',
        creditorName: 'Corner Bakery',
      },
    ],
  ] as const)("the README's openssl function computes %s as the gateway does", (_name, args, subject) => {
    const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
    const functions = [...readme.matchAll(/^totp\(\) \{\n[\s\S]*?\n\}$/gm)].map((m) => m[0]);
    // Both walkthroughs carry it; one text, so this test covers both.
    expect(functions).toHaveLength(2);
    expect(new Set(functions).size).toBe(1);
    const quoted = args.map((a) => `'${a}'`).join(' ');
    const before = new Date();
    const shell = execFileSync('bash', ['-c', `set -eu\n${functions[0]}\ntotp ${anna?.totpSeed} ${quoted}`], {
      encoding: 'utf8',
    }).trim();
    const after = new Date();
    // The shell read the clock between the two; a step boundary may fall in between.
    expect([codes.codeFor('anna', subject, before), codes.codeFor('anna', subject, after)]).toContain(shell);
  });

  it('a consent code is bound to its consent: refused for another, and the plain code signs in for none', () => {
    const consent = { kind: 'consent', consentId: 'c-1' } as const;
    const code = codes.codeFor('anna', consent, AT);
    expect(matches({ username: 'anna', code, subject: consent, at: AT })).toBe(true);
    expect(matches({ username: 'anna', code, subject: { kind: 'consent', consentId: 'c-2' }, at: AT })).toBe(
      false,
    );
    const plain = codes.codeFor('anna', { kind: 'consentDashboard' }, AT);
    expect(matches({ username: 'anna', code: plain, subject: consent, at: AT })).toBe(false);
    expect(runTotp(['anna', '--consent', 'c-1'])).toBe(code);
  });

  describe('dynamic linking: a payment code binds the payment, amount and payee', () => {
    const payment: AuthorisationSubject = {
      kind: 'payment',
      paymentId: 'p-1',
      amount: '12.50',
      currency: 'EUR',
      creditorName: 'Corner Bakery',
      creditorIban: 'DE89370400440532013000',
    };
    const code = codes.codeFor('anna', payment, AT);
    const verify = (subject: AuthorisationSubject, c = code) =>
      matches({ username: 'anna', code: c, subject, at: AT });

    it('is accepted for that payment, also written differently (12.5, spaced IBAN)', () => {
      expect(verify(payment)).toBe(true);
      expect(verify({ ...payment, amount: '12.5' })).toBe(true);
      expect(verify({ ...payment, creditorIban: 'DE89 3704 0044 0532 0130 00' })).toBe(true);
    });

    it.each([
      ['another payment of the same amount to the same payee', { paymentId: 'p-2' }],
      ['another amount', { amount: '12.51' }],
      ['another currency', { currency: 'CHF' }],
      ['another payee IBAN', { creditorIban: 'NL91ABNA0417164300' }],
      ['another payee name', { creditorName: 'Mallory Ltd' }],
    ])('is refused for %s', (_name, change) => {
      expect(verify({ ...payment, ...change } as AuthorisationSubject)).toBe(false);
    });

    it('the plain code is not a payment code, and the payment code does not sign in', () => {
      const plain = codes.codeFor('anna', { kind: 'consent', consentId: 'c' }, AT);
      expect(verify(payment, plain)).toBe(false);
      expect(matches({ username: 'anna', code, subject: { kind: 'consent', consentId: 'c' }, at: AT })).toBe(
        false,
      );
    });

    it('the CLI prints the payment code', () => {
      expect(
        runTotp([
          'anna',
          '--payment-id',
          'p-1',
          '--amount',
          '12.50',
          '--payee-iban',
          'DE89370400440532013000',
          '--payee-name',
          'Corner Bakery',
        ]),
      ).toBe(code);
    });
  });

  it('an unknown username is refused, whatever the code', () => {
    expect(
      matches({
        username: 'nobody',
        code: '000000',
        subject: { kind: 'consent', consentId: 'c' },
        at: AT,
      }),
    ).toBe(false);
  });
});
