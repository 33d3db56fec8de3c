/**
 * The fields of an X.509 certificate that path validation reads, decoded once and cached.
 *
 * Structural damage (a certificate that is not a certificate) throws; damage inside an extension or a
 * profile violation is recorded in `problems`, so that a broken certificate that never lands on a
 * path costs nothing, and one that does is refused with a reason that names what is wrong.
 */
import type { KeyObject } from 'node:crypto';
import {
  DerError,
  DerReader,
  Tag,
  bytesEqual,
  children,
  decodeBitString,
  decodeBoolean,
  decodeOid,
  decodeSmallUnsigned,
  decodeTime,
  integerProblem,
  readOid,
  readSingle,
  toHex,
  type Tlv,
} from '../asn1/der';
import {
  inspectPublicKey,
  parseAlgorithmIdentifier,
  signatureScheme,
  verifyWithScheme,
  type AlgorithmIdentifier,
  type PublicKeyInfo,
} from './signature';
import { describeName, parseName, type X500Name } from './x500_name';

export const OID = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  certificatePolicies: '2.5.29.32',
  policyMappings: '2.5.29.33',
  authorityKeyIdentifier: '2.5.29.35',
  policyConstraints: '2.5.29.36',
  extKeyUsage: '2.5.29.37',
  inhibitAnyPolicy: '2.5.29.54',
  anyExtendedKeyUsage: '2.5.29.37.0',
  crlDistributionPoints: '2.5.29.31',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  accessOcsp: '1.3.6.1.5.5.7.48.1',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

export const KeyUsageBit = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const;
export type KeyUsageName = keyof typeof KeyUsageBit;

export type GeneralName =
  | { type: 'dns'; value: string }
  | { type: 'email'; value: string }
  | { type: 'uri'; value: string }
  | { type: 'ip'; value: Uint8Array }
  | { type: 'dir'; value: X500Name }
  | { type: 'other' | 'x400' | 'edi' | 'rid'; value: Uint8Array };

/** An iPAddress GeneralName as text: dotted quad, eight hex groups, or hex for any other length. */
export function formatIpAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.length !== 16) return toHex(bytes);
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2)
    groups.push(((bytes[i] as number) * 256 + (bytes[i + 1] as number)).toString(16));
  return groups.join(':');
}

export interface GeneralSubtree {
  base: GeneralName;
}

export interface NameConstraintsValue {
  permitted: GeneralSubtree[];
  excluded: GeneralSubtree[];
}

export interface Extension {
  oid: string;
  critical: boolean;
  value: Uint8Array;
}

function ia5(value: Uint8Array, what: string): string {
  for (const b of value) if (b > 0x7f) throw new DerError(`${what} is not IA5 (ASCII)`);
  return Buffer.from(value).toString('latin1');
}

export function parseGeneralName(tlv: Tlv): GeneralName {
  switch (tlv.tag) {
    case 0xa0:
      return { type: 'other', value: tlv.bytes };
    case 0x81:
      return { type: 'email', value: ia5(tlv.value, 'rfc822Name') };
    case 0x82:
      return { type: 'dns', value: ia5(tlv.value, 'dNSName') };
    case 0xa3:
      return { type: 'x400', value: tlv.bytes };
    case 0xa4:
      return { type: 'dir', value: parseName(readSingle(tlv.value)) };
    case 0xa5:
      return { type: 'edi', value: tlv.bytes };
    case 0x86:
      return { type: 'uri', value: ia5(tlv.value, 'URI') };
    case 0x87:
      return { type: 'ip', value: tlv.value };
    case 0x88:
      return { type: 'rid', value: tlv.bytes };
    default:
      throw new DerError(`unknown GeneralName tag 0x${tlv.tag.toString(16)}`);
  }
}

function parseGeneralNames(value: Uint8Array): GeneralName[] {
  const seq = readSingle(value, Tag.SEQUENCE);
  const names = children(seq).map(parseGeneralName);
  if (names.length === 0) throw new DerError('GeneralNames must not be empty');
  return names;
}

function parseSubtrees(tlv: Tlv): GeneralSubtree[] {
  const subtrees = children(tlv).map((subtree) => {
    if (subtree.tag !== Tag.SEQUENCE) throw new DerError('GeneralSubtree must be a SEQUENCE');
    const reader = new DerReader(subtree.value);
    const base = parseGeneralName(reader.read());
    // RFC 5280 4.2.1.10: minimum is 0 and maximum absent; anything else we cannot evaluate.
    const minimum = reader.readOptional(0x80);
    if (minimum && decodeSmallUnsigned(minimum.value) !== 0) throw new DerError('subtree minimum must be 0');
    if (reader.readOptional(0x81)) throw new DerError('subtree maximum must be absent');
    reader.end();
    return { base };
  });
  if (subtrees.length === 0) throw new DerError('GeneralSubtrees must not be empty');
  return subtrees;
}

function parseNameConstraints(value: Uint8Array): NameConstraintsValue {
  const reader = new DerReader(readSingle(value, Tag.SEQUENCE).value);
  const permitted = reader.readOptional(0xa0);
  const excluded = reader.readOptional(0xa1);
  reader.end();
  if (!permitted && !excluded)
    throw new DerError('name constraints must have permitted or excluded subtrees');
  return {
    permitted: permitted ? parseSubtrees(permitted) : [],
    excluded: excluded ? parseSubtrees(excluded) : [],
  };
}

function parseBasicConstraints(value: Uint8Array): { ca: boolean; pathLen: number | undefined } {
  const reader = new DerReader(readSingle(value, Tag.SEQUENCE).value);
  const caField = reader.readOptional(Tag.BOOLEAN);
  const ca = caField ? decodeBoolean(caField.value) : false;
  const pathField = reader.readOptional(Tag.INTEGER);
  reader.end();
  const pathLen = pathField ? decodeSmallUnsigned(pathField.value) : undefined;
  if (pathLen !== undefined && !ca) throw new DerError('pathLenConstraint without cA');
  return { ca, pathLen };
}

function parseKeyUsage(value: Uint8Array): Set<KeyUsageName> {
  const { bytes } = decodeBitString(readSingle(value, Tag.BIT_STRING).value);
  const set = new Set<KeyUsageName>();
  for (const [name, bit] of Object.entries(KeyUsageBit) as [KeyUsageName, number][]) {
    const byte = bytes[bit >> 3];
    if (byte !== undefined && byte & (0x80 >> (bit & 7))) set.add(name);
  }
  if (set.size === 0) throw new DerError('keyUsage asserts no usage');
  return set;
}

function parseExtKeyUsage(value: Uint8Array): string[] {
  const oids = children(readSingle(value, Tag.SEQUENCE)).map((t) => {
    if (t.tag !== Tag.OID) throw new DerError('extKeyUsage entries must be OIDs');
    return decodeOid(t.value);
  });
  if (oids.length === 0) throw new DerError('extKeyUsage lists no purpose');
  return oids;
}

function parseAuthorityKeyId(value: Uint8Array): Uint8Array | undefined {
  const reader = new DerReader(readSingle(value, Tag.SEQUENCE).value);
  const keyId = reader.readOptional(0x80);
  reader.readOptional(0xa1);
  reader.readOptional(0x82);
  reader.end();
  return keyId?.value;
}

function parsePolicyConstraints(value: Uint8Array): {
  requireExplicitPolicy?: number;
  inhibitPolicyMapping?: number;
} {
  const reader = new DerReader(readSingle(value, Tag.SEQUENCE).value);
  const require = reader.readOptional(0x80);
  const inhibit = reader.readOptional(0x81);
  reader.end();
  if (!require && !inhibit) throw new DerError('policyConstraints must not be empty');
  return {
    ...(require ? { requireExplicitPolicy: decodeSmallUnsigned(require.value) } : {}),
    ...(inhibit ? { inhibitPolicyMapping: decodeSmallUnsigned(inhibit.value) } : {}),
  };
}

/** The OCSP responder URIs of an authorityInfoAccess extension (RFC 5280 4.2.2.1); other methods are skipped. */
function parseOcspUrls(value: Uint8Array): string[] {
  const urls: string[] = [];
  for (const description of children(readSingle(value, Tag.SEQUENCE))) {
    const reader = DerReader.of(description, 'AccessDescription');
    const method = readOid(reader, 'accessMethod');
    const location = parseGeneralName(reader.read(undefined, 'accessLocation'));
    reader.end('accessLocation');
    if (method === OID.accessOcsp && location.type === 'uri') urls.push(location.value);
  }
  return urls;
}

/**
 * The URIs of the full names of the cRLDistributionPoints (RFC 5280 4.2.1.13) that cover every reason and
 * are published by the certificate's issuer itself: partitioned-by-reason and indirect CRLs are not
 * evaluated, so such points are not offered as sources.
 */
function parseCrlDistributionUrls(value: Uint8Array): string[] {
  const urls: string[] = [];
  for (const point of children(readSingle(value, Tag.SEQUENCE))) {
    const reader = DerReader.of(point, 'DistributionPoint');
    const name = reader.readOptional(0xa0, 'distributionPoint');
    const reasons = reader.readOptional(0x81, 'reasons');
    const crlIssuer = reader.readOptional(0xa2, 'cRLIssuer');
    reader.end('DistributionPoint');
    if (!name || reasons || crlIssuer) continue;
    const fullName = readSingle(name.value);
    // [1] nameRelativeToCRLIssuer names no location we could fetch.
    if (fullName.tag !== 0xa0) continue;
    for (const general of children(fullName).map(parseGeneralName)) {
      if (general.type === 'uri') urls.push(general.value);
    }
  }
  return urls;
}

/** Critical extensions whose meaning we evaluate (or which, given our inputs, cannot change the outcome). */
const UNDERSTOOD_CRITICAL = new Set<string>([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.subjectAltName,
  OID.nameConstraints,
  // Policies only matter once an explicit policy is required; we never set an initial policy set and
  // refuse requireExplicitPolicy, so these can be accepted without building the policy tree.
  OID.certificatePolicies,
  OID.policyMappings,
  OID.policyConstraints,
  OID.inhibitAnyPolicy,
]);

export class ParsedCertificate {
  readonly der: Uint8Array;
  readonly tbs: Uint8Array;
  readonly version: number;
  readonly serial: Uint8Array;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
  readonly issuer: X500Name;
  readonly subject: X500Name;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spki: Uint8Array;
  readonly extensions: Extension[];
  /** Profile violations and undecodable extensions; a certificate with any is never part of a valid path. */
  readonly problems: string[] = [];

  readonly basicConstraints: { ca: boolean; pathLen: number | undefined; critical: boolean } | undefined;
  readonly keyUsage: Set<KeyUsageName> | undefined;
  readonly extKeyUsage: string[] | undefined;
  readonly subjectAltNames: GeneralName[] | undefined;
  readonly nameConstraints: NameConstraintsValue | undefined;
  readonly authorityKeyId: Uint8Array | undefined;
  readonly subjectKeyId: Uint8Array | undefined;
  /** OCSP responders named in authorityInfoAccess, in the certificate's order. */
  readonly ocspUrls: readonly string[];
  /** Where the issuer publishes the CRL covering this certificate (cRLDistributionPoints full names). */
  readonly crlDistributionUrls: readonly string[];
  /** Subject and issuer are the same name (RFC 5280 "self-issued"). */
  readonly selfIssued: boolean;
  /** Short label for reasons, e.g. `CN=Trent Root CA`. */
  readonly label: string;

  private keyInfo: PublicKeyInfo | undefined;
  private readonly verifiedBy = new WeakMap<ParsedCertificate, boolean>();
  private selfSignedResult: boolean | undefined;

  /**
   * The one way to read a certificate: every consumer (path validation, the QWAC profile, the CLI,
   * the conformance suite) shares the object this returns, so a request parses each certificate once.
   * Throws DerError, naming the field, when the bytes are not a certificate at all.
   */
  static parse(der: Uint8Array): ParsedCertificate {
    return new ParsedCertificate(der);
  }

  private constructor(der: Uint8Array) {
    this.der = der;
    const cert = readSingle(der, Tag.SEQUENCE, 'Certificate');
    const outer = DerReader.of(cert, 'Certificate');
    const tbsTlv = outer.read(Tag.SEQUENCE, 'tbsCertificate');
    const outerAlg = parseAlgorithmIdentifier(outer.read(Tag.SEQUENCE, 'signatureAlgorithm'));
    const sigBits = decodeBitString(outer.read(Tag.BIT_STRING, 'signatureValue').value);
    outer.end('signatureValue');
    if (sigBits.unusedBits !== 0) throw new DerError('signature BIT STRING has unused bits');
    this.tbs = tbsTlv.bytes;
    this.signature = sigBits.bytes;
    this.signatureAlgorithm = outerAlg;

    const tbs = DerReader.of(tbsTlv, 'tbsCertificate');
    const versionField = tbs.readOptional(0xa0, 'version');
    this.version = versionField
      ? decodeSmallUnsigned(readSingle(versionField.value, Tag.INTEGER, 'version').value) + 1
      : 1;
    this.serial = tbs.read(Tag.INTEGER, 'serialNumber').value;
    const innerAlg = parseAlgorithmIdentifier(tbs.read(Tag.SEQUENCE, 'signature'));
    this.issuer = parseName(tbs.read(Tag.SEQUENCE, 'issuer'));
    const validity = DerReader.of(tbs.read(Tag.SEQUENCE, 'validity'), 'validity');
    this.notBefore = decodeTime(validity.read(undefined, 'notBefore'), 'notBefore');
    this.notAfter = decodeTime(validity.read(undefined, 'notAfter'), 'notAfter');
    validity.end('notAfter');
    this.subject = parseName(tbs.read(Tag.SEQUENCE, 'subject'));
    this.spki = tbs.read(Tag.SEQUENCE, 'subjectPublicKeyInfo').bytes;
    tbs.readOptional(0x81, 'issuerUniqueID');
    tbs.readOptional(0x82, 'subjectUniqueID');
    const extField = tbs.readOptional(0xa3, 'extensions');
    tbs.end('tbsCertificate');

    this.label = describeName(this.subject);
    this.selfIssued = this.subject.key === this.issuer.key;

    if (this.version !== 3) this.problems.push(`is not an X.509 v3 certificate (version ${this.version})`);
    if (!bytesEqual(innerAlg.der, outerAlg.der)) {
      this.problems.push('has different signature algorithms inside and outside the signed part');
    }
    this.checkSerial();
    if (this.issuer.isEmpty) this.problems.push('has an empty issuer name');

    this.extensions = extField ? this.parseExtensionList(extField) : [];
    const byOid = new Map(this.extensions.map((e) => [e.oid, e]));
    const decode = <T>(oid: string, fn: (value: Uint8Array) => T): T | undefined => {
      const ext = byOid.get(oid);
      if (!ext) return undefined;
      try {
        return fn(ext.value);
      } catch (error) {
        this.problems.push(`has a malformed ${oid} extension (${(error as Error).message})`);
        return undefined;
      }
    };

    const bc = decode(OID.basicConstraints, parseBasicConstraints);
    this.basicConstraints = bc
      ? { ...bc, critical: byOid.get(OID.basicConstraints)?.critical === true }
      : undefined;
    this.keyUsage = decode(OID.keyUsage, parseKeyUsage);
    this.extKeyUsage = decode(OID.extKeyUsage, parseExtKeyUsage);
    this.subjectAltNames = decode(OID.subjectAltName, parseGeneralNames);
    this.nameConstraints = decode(OID.nameConstraints, parseNameConstraints);
    this.authorityKeyId = decode(OID.authorityKeyIdentifier, parseAuthorityKeyId);
    this.subjectKeyId = decode(OID.subjectKeyIdentifier, (v) => readSingle(v, Tag.OCTET_STRING).value);
    const policyConstraints = decode(OID.policyConstraints, parsePolicyConstraints);
    this.ocspUrls = decode(OID.authorityInfoAccess, parseOcspUrls) ?? [];
    this.crlDistributionUrls = decode(OID.crlDistributionPoints, parseCrlDistributionUrls) ?? [];
    this.checkExtensionProfile(byOid, policyConstraints);
  }

  private checkSerial(): void {
    const s = this.serial;
    if (s.length === 0) {
      this.problems.push('has an empty serial number');
      return;
    }
    if (integerProblem(s)) this.problems.push('has a serial number that is not DER (non-minimal encoding)');
    if ((s[0] as number) & 0x80) this.problems.push('has a negative serial number');
    else if (s.every((b) => b === 0)) this.problems.push('has serial number zero');
    // 20 octets of magnitude; a leading zero octet that only keeps the number positive does not count.
    const magnitude = s[0] === 0 ? s.length - 1 : s.length;
    if (magnitude > 20) this.problems.push('has a serial number longer than 20 octets');
  }

  private parseExtensionList(field: Tlv): Extension[] {
    const list = readSingle(field.value, Tag.SEQUENCE, 'Extensions');
    const seen = new Set<string>();
    const out: Extension[] = [];
    for (const entry of children(list)) {
      if (entry.tag !== Tag.SEQUENCE) throw new DerError('Extension must be a SEQUENCE');
      const reader = DerReader.of(entry, 'extensions');
      const oid = readOid(reader, 'extnID');
      const criticalField = reader.readOptional(Tag.BOOLEAN, 'critical');
      const value = reader.read(Tag.OCTET_STRING, 'extnValue').value;
      reader.end('extnValue');
      if (seen.has(oid)) this.problems.push(`has the ${oid} extension more than once`);
      seen.add(oid);
      out.push({ oid, critical: criticalField ? decodeBoolean(criticalField.value) : false, value });
    }
    if (out.length === 0) throw new DerError('extensions must not be empty');
    return out;
  }

  private checkExtensionProfile(
    byOid: Map<string, Extension>,
    policyConstraints: { requireExplicitPolicy?: number } | undefined,
  ): void {
    for (const ext of this.extensions) {
      // AKI and SKI are understood but MUST be non-critical (RFC 5280 4.2.1.1/4.2.1.2); reported below.
      const keyId = ext.oid === OID.authorityKeyIdentifier || ext.oid === OID.subjectKeyIdentifier;
      if (ext.critical && !keyId && !UNDERSTOOD_CRITICAL.has(ext.oid)) {
        this.problems.push(`has an unknown critical extension ${ext.oid}`);
      }
    }
    if (byOid.get(OID.authorityKeyIdentifier)?.critical)
      this.problems.push('has a critical authorityKeyIdentifier');
    if (byOid.get(OID.subjectKeyIdentifier)?.critical)
      this.problems.push('has a critical subjectKeyIdentifier');
    const nc = byOid.get(OID.nameConstraints);
    if (nc && !nc.critical) this.problems.push('has a non-critical nameConstraints extension');
    const pc = byOid.get(OID.policyConstraints);
    if (pc && !pc.critical) this.problems.push('has a non-critical policyConstraints extension');
    if (policyConstraints?.requireExplicitPolicy !== undefined) {
      this.problems.push('requires an explicit certificate policy, which this validator does not evaluate');
    }
    const san = byOid.get(OID.subjectAltName);
    if (this.subject.isEmpty && (!san || !san.critical)) {
      this.problems.push('has an empty subject without a critical subjectAltName');
    }
    if (this.keyUsage?.has('keyCertSign') && !this.basicConstraints?.ca) {
      this.problems.push('asserts keyCertSign without being a CA');
    }
  }

  get isCa(): boolean {
    return this.basicConstraints?.ca === true;
  }

  /** Why the key policy refuses the subject public key (weak RSA, other curves, DSA…), if it does. */
  get keyProblem(): string | undefined {
    this.keyInfo ??= inspectPublicKey(this.spki);
    return this.keyInfo.problem;
  }

  /** The subject public key for verifying what this certificate signed; loaded once, on first use. */
  verificationKey(): KeyObject | undefined {
    this.keyInfo ??= inspectPublicKey(this.spki);
    return this.keyInfo.load();
  }

  /**
   * Whether `issuer`'s key verifies this certificate's signature (any algorithm Node can check; the
   * policy on algorithms is applied by the validator). Remembered per issuer object: both are cached
   * by DER, so the answer cannot change, and a repeated chain costs no signature check.
   */
  isSignedBy(issuer: ParsedCertificate): boolean {
    const known = this.verifiedBy.get(issuer);
    if (known !== undefined) return known;
    const key = issuer.verificationKey();
    const scheme = signatureScheme(this.signatureAlgorithm, { allowWeak: true });
    const ok =
      key !== undefined && scheme.ok && verifyWithScheme(scheme.scheme, this.tbs, this.signature, key);
    this.verifiedBy.set(issuer, ok);
    return ok;
  }

  /** Self-issued and verifiable with its own key; such certificates need no authorityKeyIdentifier. */
  get selfSigned(): boolean {
    this.selfSignedResult ??= this.selfIssued && this.isSignedBy(this);
    return this.selfSignedResult;
  }

  /** The subjectPublicKey bits (without the unused-bits octet), which an OCSP CertID hashes. */
  get subjectPublicKeyBits(): Uint8Array {
    const outer = new DerReader(readSingle(this.spki, Tag.SEQUENCE).value);
    outer.read(Tag.SEQUENCE);
    return decodeBitString(outer.read(Tag.BIT_STRING).value).bytes;
  }

  get serialHex(): string {
    return toHex(this.serial).toUpperCase();
  }
}

/** A bounded cache of parsed certificates keyed by their DER, so repeated chains skip decoding. */
export class ParsedCertificateCache {
  private readonly entries = new Map<string, ParsedCertificate>();

  constructor(private readonly capacity = 1000) {}

  get(der: Uint8Array): ParsedCertificate {
    const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
    const hit = this.entries.get(key);
    if (hit) {
      // Re-insert so the Map's insertion order doubles as least-recently-used order.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const parsed = ParsedCertificate.parse(Uint8Array.from(der));
    this.entries.set(key, parsed);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return parsed;
  }
}
