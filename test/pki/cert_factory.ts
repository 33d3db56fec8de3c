/**
 * Generates certificates and CRLs per test run (nothing frozen that can expire): Trent's root and
 * issuing CA, TPP leaves, and whatever Mallory tries.
 */
import { webcrypto } from 'node:crypto';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Algorithm = webcrypto.Algorithm;
type EcdsaParams = webcrypto.EcdsaParams;
import { x509 } from '../../src/fixtures/x509';

export type KeyKind = 'ec' | 'rsa2048' | 'rsa1024' | 'rsa2048-sha1';

export interface Issued {
  cert: x509.X509Certificate;
  der: Uint8Array;
  keys: CryptoKeyPair;
  subject: string;
}

const DAY = 86_400_000;
const EC: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const ECDSA_SHA256: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

export async function makeKeys(kind: KeyKind = 'ec'): Promise<CryptoKeyPair> {
  if (kind === 'ec')
    return (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const rsa: webcrypto.RsaHashedKeyGenParams = {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: kind === 'rsa1024' ? 1024 : 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: kind === 'rsa2048-sha1' ? 'SHA-1' : 'SHA-256',
  };
  return (await webcrypto.subtle.generateKey(rsa, true, ['sign', 'verify'])) as CryptoKeyPair;
}

export interface IssueParams {
  subject: string;
  /** Absent: self-signed. */
  issuer?: Issued;
  keys?: CryptoKeyPair;
  ca?: boolean;
  pathLen?: number;
  /** Omit basicConstraints entirely. */
  noBasicConstraints?: boolean;
  /** x509.KeyUsageFlags bits; null omits the extension. Default: CA keyCertSign|cRLSign, leaf digitalSignature. */
  keyUsage?: number | null;
  /** Default: clientAuth for leaves, none for CAs; null omits it. */
  eku?: string[] | null;
  notBefore?: Date;
  notAfter?: Date;
  extraExtensions?: x509.Extension[];
  /** Force this SKI (Mallory copying Trent's). */
  ski?: string;
  serial?: string;
  signingAlgorithm?: Algorithm | EcdsaParams;
  sans?: x509.JsonGeneralName[];
}

function signingFor(keys: CryptoKeyPair): Algorithm | EcdsaParams {
  const alg = keys.privateKey.algorithm as webcrypto.RsaHashedKeyAlgorithm | webcrypto.EcKeyAlgorithm;
  if (alg.name === 'ECDSA') return ECDSA_SHA256;
  return { name: 'RSASSA-PKCS1-v1_5', hash: (alg as webcrypto.RsaHashedKeyAlgorithm).hash } as Algorithm;
}

export async function issue(params: IssueParams): Promise<Issued> {
  const keys = params.keys ?? (await makeKeys());
  const ca = params.ca ?? false;
  const now = Date.now();
  const extensions: x509.Extension[] = [];
  if (!params.noBasicConstraints)
    extensions.push(new x509.BasicConstraintsExtension(ca, params.pathLen, true));
  const keyUsage =
    params.keyUsage === undefined
      ? ca
        ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
        : x509.KeyUsageFlags.digitalSignature
      : params.keyUsage;
  if (keyUsage !== null) extensions.push(new x509.KeyUsagesExtension(keyUsage, true));
  const eku = params.eku === undefined ? (ca ? null : ['1.3.6.1.5.5.7.3.2']) : params.eku;
  if (eku !== null) extensions.push(new x509.ExtendedKeyUsageExtension(eku, false));
  extensions.push(
    params.ski
      ? new x509.SubjectKeyIdentifierExtension(params.ski)
      : await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  );
  if (params.issuer) {
    const issuerSki = params.issuer.cert.getExtension(x509.SubjectKeyIdentifierExtension);
    if (issuerSki) extensions.push(new x509.AuthorityKeyIdentifierExtension(issuerSki.keyId));
  }
  if (params.sans) extensions.push(new x509.SubjectAlternativeNameExtension(params.sans));
  extensions.push(...(params.extraExtensions ?? []));

  const signingKey = params.issuer ? params.issuer.keys.privateKey : keys.privateKey;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: params.serial ?? randomSerial(),
    subject: params.subject,
    issuer: params.issuer ? params.issuer.subject : params.subject,
    notBefore: params.notBefore ?? new Date(now - DAY),
    notAfter: params.notAfter ?? new Date(now + 365 * DAY),
    publicKey: keys.publicKey,
    signingKey,
    signingAlgorithm: params.signingAlgorithm ?? signingFor(params.issuer ? params.issuer.keys : keys),
    extensions,
  });
  return { cert, der: new Uint8Array(cert.rawData), keys, subject: params.subject };
}

export function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] as number) & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}

export interface TrentWorld {
  root: Issued;
  issuing: Issued;
  alice: Issued;
}

export async function trentWorld(): Promise<TrentWorld> {
  const root = await issue({ subject: 'CN=Trent Root CA, O=Trent, C=EU', ca: true });
  const issuing = await issue({
    subject: 'CN=Trent QWAC CA, O=Trent, C=EU',
    issuer: root,
    ca: true,
    pathLen: 0,
  });
  const alice = await issue({
    subject: 'CN=Bank of Alice, O=Bank of Alice, C=DE, 2.5.4.97=PSDDE-BAFIN-123456',
    issuer: issuing,
  });
  return { root, issuing, alice };
}

/** cRLNumber 1, the extension RFC 5280 5.2.3 requires. */
export const crlNumber = (n = 1): x509.Extension =>
  new x509.Extension('2.5.29.20', false, new Uint8Array([0x02, 0x01, n]));

export interface CrlParams {
  issuer: Issued;
  /** Sign with these keys instead of the issuer's (Mallory's forged CRL). */
  signingKeys?: CryptoKeyPair;
  revoked?: { serial: string; at?: Date }[];
  thisUpdate?: Date;
  /** null: no nextUpdate. */
  nextUpdate?: Date | null;
  extensions?: x509.Extension[];
}

export async function makeCrl(params: CrlParams): Promise<Uint8Array> {
  const now = Date.now();
  const keys = params.signingKeys ?? params.issuer.keys;
  const crl = await x509.X509CrlGenerator.create({
    issuer: params.issuer.subject,
    thisUpdate: params.thisUpdate ?? new Date(now - 3_600_000),
    ...(params.nextUpdate === null ? {} : { nextUpdate: params.nextUpdate ?? new Date(now + 7 * DAY) }),
    entries: (params.revoked ?? []).map((r) => ({
      serialNumber: r.serial,
      revocationDate: r.at ?? new Date(now - 60_000),
    })),
    signingAlgorithm: signingFor(keys),
    signingKey: keys.privateKey,
    extensions: params.extensions ?? [crlNumber()],
  });
  return new Uint8Array(crl.rawData);
}
