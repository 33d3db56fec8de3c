import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Sandbox PSU passwords are kept as scrypt hashes, `scrypt$<N>$<salt>$<hash>` (base64url), and compared in
 * constant time. Cost is modest because these are demo credentials; a real bank authenticates elsewhere.
 */
const N = 16384;
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, cost: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, { N: cost, r: 8, p: 1 }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

export async function hashPsuPassword(password: string, salt: Buffer = randomBytes(16)): Promise<string> {
  const key = await derive(password, salt, N);
  return `scrypt$${N}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** A hash that matches no password, so unknown usernames cost the same as wrong passwords. */
export const UNUSABLE_PASSWORD_HASH = `scrypt$${N}$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(KEY_LENGTH, 0xff).toString('base64url')}`;

export async function verifyPsuPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, costText, saltText, hashText] = stored.split('$');
  if (scheme !== 'scrypt' || costText === undefined || saltText === undefined || hashText === undefined) {
    return false;
  }
  const expected = Buffer.from(hashText, 'base64url');
  const actual = await derive(password, Buffer.from(saltText, 'base64url'), Number(costText));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
