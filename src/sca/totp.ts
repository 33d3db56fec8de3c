import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * One-time passwords: HOTP (RFC 4226) and its time-based form TOTP (RFC 6238). node:crypto's HMAC is all
 * it takes; a library would add a dependency for twenty lines. Codes are compared in constant time.
 */

export type OtpAlgorithm = 'sha1' | 'sha256' | 'sha512';

export interface TotpOptions {
  /** Default sha1, which every authenticator app supports. */
  algorithm?: OtpAlgorithm;
  /** Default 6. */
  digits?: number;
  /** Default 30 (RFC 6238 §5.2). */
  stepSeconds?: number;
}

export interface TotpVerifyOptions extends TotpOptions {
  /** Steps accepted either side of now, for clock drift (RFC 6238 §5.2 recommends at most one). */
  window?: number;
}

const DEFAULTS = { algorithm: 'sha1', digits: 6, stepSeconds: 30 } as const;

function counterBytes(counter: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(BigInt(counter));
  return bytes;
}

/** RFC 4226 §5.3 dynamic truncation of an HMAC into `digits` decimal digits. */
export function truncate(mac: Buffer, digits: number): string {
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** RFC 4226: the code for one counter value. `message` replaces the counter as HMAC input when given. */
export function hotp(
  key: Buffer,
  counter: number,
  options: Pick<TotpOptions, 'algorithm' | 'digits'> = {},
  message?: Buffer,
): string {
  const algorithm = options.algorithm ?? DEFAULTS.algorithm;
  const digits = options.digits ?? DEFAULTS.digits;
  const input =
    message === undefined ? counterBytes(counter) : Buffer.concat([counterBytes(counter), message]);
  return truncate(createHmac(algorithm, key).update(input).digest(), digits);
}

/** The RFC 6238 time step of a moment. */
export function timeStep(at: Date, stepSeconds: number = DEFAULTS.stepSeconds): number {
  return Math.floor(at.getTime() / 1000 / stepSeconds);
}

/** RFC 6238: the code valid at `at`. */
export function totp(key: Buffer, at: Date, options: TotpOptions = {}): string {
  return hotp(key, timeStep(at, options.stepSeconds), options);
}

function sameCode(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The time step whose code matches, or undefined. Every candidate step is computed and compared, so the
 * time taken does not depend on which one matched. The caller refuses a step already used (RFC 6238 §5.2).
 */
export function verifyTotp(
  key: Buffer,
  code: string,
  at: Date,
  options: TotpVerifyOptions = {},
  message?: Buffer,
): number | undefined {
  const window = options.window ?? 1;
  const now = timeStep(at, options.stepSeconds);
  let matched: number | undefined;
  for (let step = now - window; step <= now + window; step++) {
    if (sameCode(hotp(key, step, options, message), code) && matched === undefined) matched = step;
  }
  return matched;
}
