import { hotp, totp, verifyTotp, type OtpAlgorithm } from './totp';

// RFC 6238 Appendix B: the seed is the ASCII digits repeated to the hash's output length.
const SEEDS: Record<OtpAlgorithm, Buffer> = {
  sha1: Buffer.from('12345678901234567890'),
  sha256: Buffer.from('12345678901234567890123456789012'),
  sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
};

describe('TOTP (RFC 6238 Appendix B test vectors, 8 digits, 30 s steps)', () => {
  it.each([
    [59, 'sha1', '94287082'],
    [59, 'sha256', '46119246'],
    [59, 'sha512', '90693936'],
    [1111111109, 'sha1', '07081804'],
    [1111111109, 'sha256', '68084774'],
    [1111111109, 'sha512', '25091201'],
    [1111111111, 'sha1', '14050471'],
    [1111111111, 'sha256', '67062674'],
    [1111111111, 'sha512', '99943326'],
    [1234567890, 'sha1', '89005924'],
    [1234567890, 'sha256', '91819424'],
    [1234567890, 'sha512', '93441116'],
    [2000000000, 'sha1', '69279037'],
    [2000000000, 'sha256', '90698825'],
    [2000000000, 'sha512', '38618901'],
    [20000000000, 'sha1', '65353130'],
    [20000000000, 'sha256', '77737706'],
    [20000000000, 'sha512', '47863826'],
  ] as const)('T=%i %s → %s', (seconds, algorithm, code) => {
    const at = new Date(seconds * 1000);
    expect(totp(SEEDS[algorithm], at, { algorithm, digits: 8 })).toBe(code);
    expect(verifyTotp(SEEDS[algorithm], code, at, { algorithm, digits: 8, window: 0 })).toBe(
      Math.floor(seconds / 30),
    );
  });
});

describe('HOTP (RFC 4226 Appendix D test vectors)', () => {
  it.each([
    [0, '755224'],
    [1, '287082'],
    [2, '359152'],
    [3, '969429'],
    [9, '520489'],
  ])('counter %i → %s', (counter, code) => {
    expect(hotp(SEEDS.sha1, counter)).toBe(code);
  });
});

describe('verifyTotp', () => {
  const key = SEEDS.sha1;
  const at = new Date(1_700_000_000_000);

  it('accepts the previous and next step (clock drift) and nothing further', () => {
    const step = Math.floor(at.getTime() / 30_000);
    expect(verifyTotp(key, totp(key, new Date(at.getTime() - 30_000)), at)).toBe(step - 1);
    expect(verifyTotp(key, totp(key, new Date(at.getTime() + 30_000)), at)).toBe(step + 1);
    expect(verifyTotp(key, totp(key, new Date(at.getTime() - 60_000)), at)).toBeUndefined();
  });

  it.each([
    ['', 'empty'],
    ['12345', 'too short'],
    ['1234567', 'too long'],
    ['abcdef', 'not digits'],
  ])('refuses %j (%s)', (code) => {
    expect(verifyTotp(key, code, at)).toBeUndefined();
  });

  it('a code bound to a message is not the plain code, and differs per message', () => {
    const plain = totp(key, at);
    const bound = (m: string) => hotp(key, Math.floor(at.getTime() / 30_000), {}, Buffer.from(m));
    expect(bound('a')).not.toBe(plain);
    expect(verifyTotp(key, bound('a'), at, {}, Buffer.from('a'))).toBeDefined();
    expect(verifyTotp(key, bound('a'), at, {}, Buffer.from('b'))).toBeUndefined();
  });
});
