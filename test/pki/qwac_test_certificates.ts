/**
 * Test-only builders: hand-written DER for QCStatements (so tests state the bytes the standard describes, not
 * what our parser happens to accept) and self-signed leaf certificates carrying them.
 */
import { x509, webcrypto } from '../../src/fixtures/x509';

type CryptoKeyPair = webcrypto.CryptoKeyPair;

export const OID = {
  qcStatements: '1.3.6.1.5.5.7.1.3',
  qcCompliance: '0.4.0.1862.1.1',
  qcSscd: '0.4.0.1862.1.4',
  qcPds: '0.4.0.1862.1.5',
  qcType: '0.4.0.1862.1.6',
  qcTypeEsign: '0.4.0.1862.1.6.1',
  qcTypeEseal: '0.4.0.1862.1.6.2',
  qcTypeWeb: '0.4.0.1862.1.6.3',
  qcCClegislation: '0.4.0.1862.1.7',
  psd2: '0.4.0.19495.2',
  pspAs: '0.4.0.19495.1.1',
  pspPi: '0.4.0.19495.1.2',
  pspAi: '0.4.0.19495.1.3',
  pspIc: '0.4.0.19495.1.4',
  semanticsV2: '1.3.6.1.5.5.7.11.2',
} as const;

type Bytes = Uint8Array | number[];

function concat(parts: Bytes[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)))));
}

function encodeLength(length: number): number[] {
  if (length < 0x80) return [length];
  const out: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) out.unshift(n % 256);
  return [0x80 | out.length, ...out];
}

export function tlv(tag: number, ...contents: Bytes[]): Uint8Array {
  const body = concat(contents);
  return concat([[tag], encodeLength(body.length), body]);
}

export const seq = (...items: Bytes[]): Uint8Array => tlv(0x30, ...items);
export const utf8 = (s: string): Uint8Array => tlv(0x0c, Buffer.from(s, 'utf8'));
export const printable = (s: string): Uint8Array => tlv(0x13, Buffer.from(s, 'latin1'));
export const ia5 = (s: string): Uint8Array => tlv(0x16, Buffer.from(s, 'latin1'));

export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((a) => BigInt(a));
  const [first = 0n, second = 0n, ...rest] = arcs;
  const body: number[] = [];
  for (const arc of [first * 40n + second, ...rest]) {
    const chunk: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) chunk.unshift(Number((v & 0x7fn) | 0x80n));
    body.push(...chunk);
  }
  return tlv(0x06, body);
}

/** QCStatement ::= SEQUENCE { statementId, statementInfo OPTIONAL } */
export const statement = (id: string, info?: Bytes): Uint8Array => (info ? seq(oid(id), info) : seq(oid(id)));

export const qcType = (...types: string[]): Uint8Array => statement(OID.qcType, seq(...types.map(oid)));

export function psd2Statement(roles: [string, string][], ncaName: string, ncaId: string): Uint8Array {
  return statement(
    OID.psd2,
    seq(seq(...roles.map(([roleOid, name]) => seq(oid(roleOid), utf8(name)))), utf8(ncaName), utf8(ncaId)),
  );
}

export const ALICE_ROLES: [string, string][] = [
  [OID.pspAi, 'PSP_AI'],
  [OID.pspPi, 'PSP_PI'],
];

/** The qcStatements of a good Alice-like QWAC, led by an unrelated statement as real ones often are. */
export function aliceQcStatements(): Uint8Array {
  return seq(
    statement(OID.semanticsV2, seq(oid('0.4.0.194121.1.2'))),
    statement(OID.qcCompliance),
    qcType(OID.qcTypeWeb),
    statement(OID.qcPds, seq(seq(ia5('https://pds.trent.example/en'), printable('en')))),
    psd2Statement(ALICE_ROLES, 'Federal Financial Supervisory Authority', 'DE-BAFIN'),
  );
}

let keysPromise: Promise<CryptoKeyPair> | undefined;
const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

/** One key pair per test file: the tests are about certificate contents, not keys. */
function keys(): Promise<CryptoKeyPair> {
  keysPromise ??= webcrypto.subtle.generateKey(algorithm, false, [
    'sign',
    'verify',
  ]) as Promise<CryptoKeyPair>;
  return keysPromise;
}

export interface LeafParams {
  /** Value of the qcStatements extension; `null` leaves the extension out. */
  qcStatements?: Uint8Array | null;
  /** Subject organizationIdentifier; `null` leaves it out. */
  organizationIdentifier?: string | null;
  organizationName?: string | null;
  commonName?: string;
  notBefore?: Date;
  notAfter?: Date;
  extraExtensions?: x509.Extension[];
}

export async function makeLeaf(params: LeafParams = {}): Promise<x509.X509Certificate> {
  const name: Record<string, string[]>[] = [{ C: ['DE'] }];
  const organizationName =
    params.organizationName === undefined ? 'Bank of Alice AG' : params.organizationName;
  if (organizationName !== null) name.push({ O: [organizationName] });
  const orgId =
    params.organizationIdentifier === undefined ? 'PSDDE-BAFIN-123456' : params.organizationIdentifier;
  if (orgId !== null) name.push({ '2.5.4.97': [orgId] });
  name.push({ CN: [params.commonName ?? 'tpp.alice.example'] });
  const qc = params.qcStatements === undefined ? aliceQcStatements() : params.qcStatements;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ...(qc ? [new x509.Extension(OID.qcStatements, false, qc)] : []),
    ...(params.extraExtensions ?? []),
  ];
  const now = Date.now();
  return x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name,
    notBefore: params.notBefore ?? new Date(now - 60_000),
    notAfter: params.notAfter ?? new Date(now + 90 * 24 * 3600_000),
    signingAlgorithm: algorithm,
    keys: await keys(),
    extensions,
  });
}

export async function makeLeafDer(params: LeafParams = {}): Promise<Uint8Array> {
  return new Uint8Array((await makeLeaf(params)).rawData);
}
