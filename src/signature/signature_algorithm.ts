/**
 * The `algorithm` names TPPs send, and what each means for the key of the seal certificate. Accepted:
 *
 * | name | RSA key | EC key (P-256, P-384) |
 * |---|---|---|
 * | `rsa-sha256`, `rsa-sha512` (draft-cavage-10) | PKCS#1 v1.5 | refused |
 * | `ecdsa-sha256`, `ecdsa-sha512` | refused | ECDSA |
 * | `hs2019` (algorithm from the key, draft-cavage-12) | PSS or PKCS#1 v1.5, SHA-512 or SHA-256 | ECDSA, SHA-512 or SHA-256 |
 * | `SHA256withRSA`, `SHA512withRSA` (Java names, as in the guidelines' examples) | PKCS#1 v1.5 | refused |
 * | `SHA256withRSA/PSS`, `SHA512withRSA/PSS`, `SHA256withRSAandMGF1`, … | PSS | refused |
 * | `SHA256withECDSA`, `SHA512withECDSA` | refused | ECDSA |
 *
 * Java names are matched without regard to case and with an optional hyphen (`SHA-256withRSA`). ECDSA
 * signatures are accepted DER-encoded (what `openssl dgst -sign` and Java's `SHA256withECDSA` produce) or
 * as the fixed-length r‖s concatenation (JWS, PKCS#11 tokens). PSS signatures may use any salt length.
 */
import { constants, verify, type KeyObject } from 'node:crypto';

export type SignatureScheme =
  | { kind: 'rsa-pkcs1'; hash: 'sha256' | 'sha512' }
  | { kind: 'rsa-pss'; hash: 'sha256' | 'sha512' }
  | { kind: 'ecdsa'; hash: 'sha256' | 'sha512' };

type Family = 'rsa' | 'rsa-pss' | 'ecdsa' | 'any';

interface NamedAlgorithm {
  family: Family;
  /** Hashes to try, preferred first (only `hs2019` leaves it open). */
  hashes: Array<'sha256' | 'sha512'>;
}

const CAVAGE: Readonly<Record<string, NamedAlgorithm>> = {
  'rsa-sha256': { family: 'rsa', hashes: ['sha256'] },
  'rsa-sha512': { family: 'rsa', hashes: ['sha512'] },
  'ecdsa-sha256': { family: 'ecdsa', hashes: ['sha256'] },
  'ecdsa-sha512': { family: 'ecdsa', hashes: ['sha512'] },
  hs2019: { family: 'any', hashes: ['sha512', 'sha256'] },
};

const JAVA = /^sha-?(256|512)with(rsa|ecdsa|rsa\/pss|rsaandmgf1)$/i;

function named(algorithm: string): NamedAlgorithm | undefined {
  const cavage = CAVAGE[algorithm];
  if (cavage !== undefined) return cavage;
  const java = JAVA.exec(algorithm);
  if (java === null) return undefined;
  const hash = java[1] === '256' ? 'sha256' : 'sha512';
  const kind = (java[2] as string).toLowerCase();
  const family: Family = kind === 'rsa' ? 'rsa' : kind === 'ecdsa' ? 'ecdsa' : 'rsa-pss';
  return { family, hashes: [hash] };
}

/** EC curves a seal key may use: the brief's P-256 and P-384, under the names node reports. */
const CURVES: Readonly<Record<string, number>> = { prime256v1: 32, secp384r1: 48 };

export type SchemeChoice = { ok: true; schemes: SignatureScheme[] } | { ok: false; reason: string };

/** The schemes `algorithm` allows with `key`, or why the two do not fit. */
export function schemesFor(algorithm: string, key: KeyObject): SchemeChoice {
  const spec = named(algorithm);
  if (spec === undefined) {
    return {
      ok: false,
      reason: `algorithm ${JSON.stringify(algorithm)} is not accepted (rsa-sha256, rsa-sha512, hs2019, SHA256withRSA, SHA256withECDSA, …)`,
    };
  }
  const keyType = key.asymmetricKeyType;
  if (keyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? '';
    if (CURVES[curve] === undefined)
      return {
        ok: false,
        reason: `the seal's EC key is on ${curve || 'an unknown curve'}, not P-256 or P-384`,
      };
    if (spec.family !== 'ecdsa' && spec.family !== 'any')
      return { ok: false, reason: `algorithm ${algorithm} does not fit the seal's EC key` };
    return { ok: true, schemes: spec.hashes.map((hash) => ({ kind: 'ecdsa', hash })) };
  }
  if (keyType === 'rsa' || keyType === 'rsa-pss') {
    if (spec.family === 'ecdsa')
      return { ok: false, reason: `algorithm ${algorithm} does not fit the seal's RSA key` };
    // An RSASSA-PSS key (OID id-RSASSA-PSS) may only make PSS signatures.
    if (keyType === 'rsa-pss' && spec.family === 'rsa')
      return {
        ok: false,
        reason: `algorithm ${algorithm} (PKCS#1 v1.5) does not fit the seal's RSA-PSS key`,
      };
    const kinds: Array<'rsa-pss' | 'rsa-pkcs1'> =
      spec.family === 'rsa'
        ? ['rsa-pkcs1']
        : spec.family === 'rsa-pss' || keyType === 'rsa-pss'
          ? ['rsa-pss']
          : ['rsa-pss', 'rsa-pkcs1'];
    return { ok: true, schemes: kinds.flatMap((kind) => spec.hashes.map((hash) => ({ kind, hash }))) };
  }
  return { ok: false, reason: `the seal's ${keyType ?? 'unknown'} key cannot make an accepted signature` };
}

function verifyOne(scheme: SignatureScheme, data: Buffer, signature: Buffer, key: KeyObject): boolean {
  try {
    switch (scheme.kind) {
      case 'rsa-pkcs1':
        return verify(scheme.hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
      case 'rsa-pss':
        return verify(
          scheme.hash,
          data,
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
          signature,
        );
      case 'ecdsa': {
        if (verify(scheme.hash, data, { key, dsaEncoding: 'der' }, signature)) return true;
        const size = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
        return (
          size !== undefined &&
          signature.length === 2 * size &&
          verify(scheme.hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature)
        );
      }
    }
  } catch {
    return false;
  }
}

/** The scheme under which `signature` verifies, or undefined. */
export function verifyWithAny(
  schemes: readonly SignatureScheme[],
  data: Buffer,
  signature: Buffer,
  key: KeyObject,
): SignatureScheme | undefined {
  return schemes.find((scheme) => verifyOne(scheme, data, signature, key));
}
