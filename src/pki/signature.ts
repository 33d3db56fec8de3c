/**
 * Signature algorithms and public keys the gateway accepts, and verification with node:crypto
 * (measured faster than WebCrypto for one-shot verifies, and it takes the DER SubjectPublicKeyInfo
 * and DER-encoded ECDSA signatures as they come out of the certificate, with no conversion).
 */
import { createPublicKey, verify, constants, type KeyObject } from 'node:crypto';
import { DerError, DerReader, Tag, bytesEqual, decodeOid, type Tlv } from './der';

export interface AlgorithmIdentifier {
  oid: string;
  /** Encoded parameters (whole TLV), absent when the field is absent. */
  params: Uint8Array | undefined;
  /** The whole AlgorithmIdentifier encoding, for comparing the two copies in a certificate. */
  der: Uint8Array;
}

export function parseAlgorithmIdentifier(tlv: Tlv): AlgorithmIdentifier {
  if (tlv.tag !== Tag.SEQUENCE) throw new DerError('AlgorithmIdentifier must be a SEQUENCE');
  const reader = new DerReader(tlv.value);
  const oid = decodeOid(reader.read(Tag.OID).value);
  const params = reader.done ? undefined : reader.read().bytes;
  reader.end();
  return { oid, params, der: tlv.bytes };
}

export type Scheme =
  | { kind: 'rsa-pkcs1'; hash: string }
  | { kind: 'rsa-pss'; hash: string; saltLength: number }
  | { kind: 'ecdsa'; hash: string }
  | { kind: 'ed25519' };

const RSA_PKCS1: Record<string, string> = {
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
};
const ECDSA: Record<string, string> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};
const HASH_OIDS: Record<string, string> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
/** Refused on every link; the hash is still known so that a link can be found and then refused by name. */
const WEAK: Record<string, { name: string; scheme?: Scheme }> = {
  '1.2.840.113549.1.1.2': { name: 'MD2 with RSA' },
  '1.2.840.113549.1.1.4': { name: 'MD5 with RSA', scheme: { kind: 'rsa-pkcs1', hash: 'md5' } },
  '1.2.840.113549.1.1.5': { name: 'SHA-1 with RSA', scheme: { kind: 'rsa-pkcs1', hash: 'sha1' } },
  '1.3.14.3.2.29': { name: 'SHA-1 with RSA', scheme: { kind: 'rsa-pkcs1', hash: 'sha1' } },
  '1.2.840.113549.1.1.14': { name: 'SHA-224 with RSA', scheme: { kind: 'rsa-pkcs1', hash: 'sha224' } },
  '1.2.840.10045.4.1': { name: 'ECDSA with SHA-1', scheme: { kind: 'ecdsa', hash: 'sha1' } },
  '1.2.840.10045.4.3.1': { name: 'ECDSA with SHA-224', scheme: { kind: 'ecdsa', hash: 'sha224' } },
  '1.2.840.10040.4.3': { name: 'DSA with SHA-1' },
  '2.16.840.1.101.3.4.3.1': { name: 'DSA with SHA-224' },
  '2.16.840.1.101.3.4.3.2': { name: 'DSA with SHA-256' },
};
const OID_RSA_PSS = '1.2.840.113549.1.1.10';
const OID_ED25519 = '1.3.101.112';
const OID_MGF1 = '1.2.840.113549.1.1.8';
const DER_NULL = Uint8Array.of(0x05, 0x00);

/** RSASSA-PSS-params with the hash, MGF1 hash and salt length all explicit (the shape CAs use). */
function parsePssParams(params: Uint8Array | undefined): Scheme {
  if (!params) throw new DerError('RSASSA-PSS without parameters (SHA-1 defaults) is not accepted');
  const outer = new DerReader(params).read(Tag.SEQUENCE);
  const reader = new DerReader(outer.value);
  const hashField = reader.readOptional(0xa0);
  const mgfField = reader.readOptional(0xa1);
  const saltField = reader.readOptional(0xa2);
  const trailerField = reader.readOptional(0xa3);
  reader.end();
  if (!hashField || !mgfField) throw new DerError('RSASSA-PSS with default (SHA-1) hash is not accepted');
  const hashAlg = parseAlgorithmIdentifier(new DerReader(hashField.value).read());
  const hash = HASH_OIDS[hashAlg.oid];
  if (!hash) throw new DerError(`RSASSA-PSS hash ${hashAlg.oid} is not accepted`);
  const mgf = parseAlgorithmIdentifier(new DerReader(mgfField.value).read());
  if (mgf.oid !== OID_MGF1 || !mgf.params) throw new DerError('RSASSA-PSS mask generation must be MGF1');
  const mgfHash = parseAlgorithmIdentifier(new DerReader(mgf.params).read());
  if (HASH_OIDS[mgfHash.oid] !== hash) throw new DerError('RSASSA-PSS MGF1 hash differs from the hash');
  let saltLength = 20;
  if (saltField) {
    const salt = new DerReader(saltField.value).read(Tag.INTEGER).value;
    if (salt.length > 2) throw new DerError('RSASSA-PSS salt length out of range');
    saltLength = salt.reduce((n, b) => n * 256 + b, 0);
  }
  if (trailerField) {
    const trailer = new DerReader(trailerField.value).read(Tag.INTEGER).value;
    if (trailer.length !== 1 || trailer[0] !== 1) throw new DerError('RSASSA-PSS trailer field must be 1');
  }
  return { kind: 'rsa-pss', hash, saltLength };
}

/** The verification scheme for an algorithm, or a refusal naming it. */
export function signatureScheme(
  alg: AlgorithmIdentifier,
  options: { allowWeak?: boolean } = {},
): { ok: true; scheme: Scheme } | { ok: false; reason: string } {
  const weak = WEAK[alg.oid];
  if (weak) {
    if (options.allowWeak && weak.scheme) return { ok: true, scheme: weak.scheme };
    return { ok: false, reason: `${weak.name} signatures are not accepted` };
  }
  try {
    const pkcs1 = RSA_PKCS1[alg.oid];
    if (pkcs1) {
      if (alg.params && !bytesEqual(alg.params, DER_NULL)) throw new DerError('RSA parameters must be NULL');
      return { ok: true, scheme: { kind: 'rsa-pkcs1', hash: pkcs1 } };
    }
    const ecdsa = ECDSA[alg.oid];
    if (ecdsa) {
      if (alg.params) throw new DerError('ECDSA signature algorithm must have no parameters');
      return { ok: true, scheme: { kind: 'ecdsa', hash: ecdsa } };
    }
    if (alg.oid === OID_ED25519) {
      if (alg.params) throw new DerError('Ed25519 must have no parameters');
      return { ok: true, scheme: { kind: 'ed25519' } };
    }
    if (alg.oid === OID_RSA_PSS) return { ok: true, scheme: parsePssParams(alg.params) };
  } catch (error) {
    return { ok: false, reason: `signature algorithm ${alg.oid}: ${(error as Error).message}` };
  }
  return { ok: false, reason: `signature algorithm ${alg.oid} is not supported` };
}

export function verifyWithScheme(
  scheme: Scheme,
  data: Uint8Array,
  signature: Uint8Array,
  key: KeyObject,
): boolean {
  const keyType = key.asymmetricKeyType;
  try {
    switch (scheme.kind) {
      case 'rsa-pkcs1':
        if (keyType !== 'rsa') return false;
        return verify(scheme.hash, data, key, signature);
      case 'rsa-pss':
        if (keyType !== 'rsa' && keyType !== 'rsa-pss') return false;
        return verify(
          scheme.hash,
          data,
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: scheme.saltLength },
          signature,
        );
      case 'ecdsa':
        if (keyType !== 'ec') return false;
        return verify(scheme.hash, data, { key, dsaEncoding: 'der' }, signature);
      case 'ed25519':
        if (keyType !== 'ed25519') return false;
        return verify(null, data, key, signature);
    }
  } catch {
    // A malformed signature or a key that does not fit the algorithm is simply not a valid signature.
    return false;
  }
}

function hasNamedCurve(spki: Uint8Array): boolean {
  try {
    const outer = new DerReader(new DerReader(spki).read(Tag.SEQUENCE).value);
    const alg = parseAlgorithmIdentifier(outer.read(Tag.SEQUENCE));
    return alg.params !== undefined && alg.params[0] === Tag.OID;
  } catch {
    return false;
  }
}

const CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
export const MIN_RSA_BITS = 2048;

/**
 * Loads a SubjectPublicKeyInfo. `key` is there whenever Node can load it (so a link can still be found
 * and then refused with a precise reason); `problem` says why the key policy (RSA ≥ 2048 bits,
 * P-256/P-384/P-521, Ed25519) refuses it.
 */
export function loadPublicKey(spki: Uint8Array): { key: KeyObject | undefined; problem: string | undefined } {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (error) {
    return { key: undefined, problem: `public key cannot be loaded (${(error as Error).message})` };
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec' && !hasNamedCurve(spki)) {
    // OpenSSL maps explicit parameters back to a curve name; RFC 5480 2.1.1 forbids them in PKIX.
    return { key, problem: 'EC key with explicit curve parameters is not accepted' };
  }
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss': {
      const bits = details.modulusLength ?? 0;
      const problem =
        bits < MIN_RSA_BITS ? `RSA key of ${bits} bits is below the ${MIN_RSA_BITS}-bit minimum` : undefined;
      return { key, problem };
    }
    case 'ec': {
      const curve = details.namedCurve;
      const problem =
        curve && CURVES[curve]
          ? undefined
          : `EC key on curve ${curve ?? '(explicit parameters)'} is not accepted`;
      return { key, problem };
    }
    case 'ed25519':
      return { key, problem: undefined };
    default:
      return { key, problem: `${String(key.asymmetricKeyType).toUpperCase()} keys are not accepted` };
  }
}
