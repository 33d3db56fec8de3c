/**
 * The TPP side: the Digest, Signature and TPP-Signature-Certificate headers for a request, made with a QSealC
 * and its private key. The gateway's own client and the tests sign with this; the README shows the same steps
 * with plain openssl.
 */
import { createPrivateKey, sign, constants, type KeyObject } from 'node:crypto';
import { ParsedCertificate } from '../pki/certificate/parsed_certificate';
import { decodePemOrDer } from '../pki/asn1/pem';
import { digestHeaderValue, type DigestAlgorithm } from './digest_header';
import { keyIdFor } from './key_id';
import { headersToSign } from './signed_header_rules';
import { signingString } from './signing_string';

export interface SealCredential {
  /** The QSealC, PEM or DER. */
  certificate: string | Buffer;
  /** Its private key, PEM (PKCS#8 or traditional). */
  privateKey: string | Buffer | KeyObject;
}

export interface SignParams {
  /** Headers the request sends (any case); X-Request-ID must be among them. */
  headers: Readonly<Record<string, string>>;
  body: Uint8Array;
  seal: SealCredential;
  /** Default: `rsa-sha256` for an RSA seal, `SHA256withECDSA` for an EC seal. */
  algorithm?: string;
  digestAlgorithm?: DigestAlgorithm;
}

/** Digest, Signature and TPP-Signature-Certificate, ready to add to the request. */
export function signatureHeaders(params: SignParams): Record<string, string> {
  const [der] = decodePemOrDer(Buffer.from(params.seal.certificate), 'CERTIFICATE');
  if (der === undefined) throw new Error('seal certificate missing');
  const certificate = ParsedCertificate.parse(der);
  const key =
    typeof params.seal.privateKey === 'object' && 'asymmetricKeyType' in params.seal.privateKey
      ? params.seal.privateKey
      : createPrivateKey(params.seal.privateKey as string | Buffer);
  const ec = key.asymmetricKeyType === 'ec';
  const algorithm = params.algorithm ?? (ec ? 'SHA256withECDSA' : 'rsa-sha256');
  const hash = /512/.test(algorithm) ? 'sha512' : 'sha256';
  const pss = /pss|mgf1/i.test(algorithm);

  const values = new Map<string, string[]>();
  for (const [name, value] of Object.entries(params.headers)) values.set(name.toLowerCase(), [value.trim()]);
  const digest = digestHeaderValue(params.body, params.digestAlgorithm ?? 'SHA-256');
  values.set('digest', [digest]);
  if (!values.has('x-request-id')) throw new Error('a signed request needs an X-Request-ID header');
  const names = headersToSign((name) => values.has(name));
  const text = signingString(names, values);
  const signature = sign(
    hash,
    Buffer.from(text, 'utf8'),
    pss
      ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
      : ec
        ? { key, dsaEncoding: 'der' }
        : key,
  );
  return {
    Digest: digest,
    Signature: `keyId="${keyIdFor(certificate)}",algorithm="${algorithm}",headers="${names.join(' ')}",signature="${signature.toString('base64')}"`,
    'TPP-Signature-Certificate': der.toString('base64'),
  };
}
