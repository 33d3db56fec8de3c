/**
 * From a PSD2 QWAC to the TPP identity the rest of the gateway trusts.
 *
 * Only call this on a leaf whose chain has already validated to the trust anchor: this module checks what the
 * certificate says about its holder (ETSI EN 319 412-5 QCStatements, ETSI TS 119 495 PSD2 attributes), not
 * whether anyone should believe it.
 *
 * The leaf is walked with the same small DER reader as the QCStatements, once, without a schema library: this
 * runs on the TLS handshake path for every new client certificate.
 */
import { createHash } from 'node:crypto';
import {
  DerParseError,
  DerReader,
  OID_QC_COMPLIANCE,
  OID_QC_SSCD,
  OID_QC_STATEMENTS,
  OID_QC_TYPE,
  OID_PSD2_STATEMENT,
  Tag,
  parseQcStatements,
  type QcStatements,
} from './qc_statements';
import { parseNcaId, parseOrganizationIdentifier, quote } from './organization_identifier';
import type { PspRole, TppIdentity } from './tpp_identity';

export type QwacIdentityResult =
  { ok: true; identity: TppIdentity } | { ok: false; code: 'CERTIFICATE_INVALID'; reason: string };

/** TS 119 495 §5.1 role OIDs (id-psd2-role). */
export const PSP_ROLE_OIDS: Readonly<Record<PspRole, string>> = {
  PSP_AS: '0.4.0.19495.1.1',
  PSP_PI: '0.4.0.19495.1.2',
  PSP_AI: '0.4.0.19495.1.3',
  PSP_IC: '0.4.0.19495.1.4',
};

const ROLE_BY_OID: ReadonlyMap<string, PspRole> = new Map(
  (Object.entries(PSP_ROLE_OIDS) as [PspRole, string][]).map(([role, oid]) => [oid, role]),
);

const OID_ORGANIZATION_IDENTIFIER = '2.5.4.97';
const OID_ORGANIZATION_NAME = '2.5.4.10';
const OID_COMMON_NAME = '2.5.4.3';

/** nCAName and nCAId are UTF8String (SIZE (1..256)) in the TS 119 495 ASN.1 module. */
const MAX_NCA_LENGTH = 256;

/** What identityFromQwac needs from a leaf certificate. */
interface LeafFields {
  /** Subject attribute values by attribute type OID, in DN order. */
  subject: Map<string, string[]>;
  notAfter: Date;
  /** extnValue contents of each qcStatements extension found (more than one is itself an error). */
  qcStatements: Uint8Array[];
}

function refuse(reason: string): QwacIdentityResult {
  return { ok: false, code: 'CERTIFICATE_INVALID', reason };
}

/**
 * Which qualified certificate is expected: `web` a QWAC (the TLS client certificate), `eseal` a QSealC (the
 * certificate of a request signature). Both carry the same PSD2 statement and organizationIdentifier.
 */
export type QualifiedCertificateKind = 'web' | 'eseal';

/**
 * Derives the TPP identity from a PSD2 QWAC leaf (DER), or from a QSealC with `kind` eseal. Never throws: every
 * problem, including garbage input, comes back as a CERTIFICATE_INVALID refusal whose reason names it.
 */
export function identityFromQwac(
  leafDer: Uint8Array,
  kind: QualifiedCertificateKind = 'web',
): QwacIdentityResult {
  let leaf: LeafFields;
  try {
    leaf = readLeaf(leafDer);
  } catch (error) {
    return refuse(`certificate is not well-formed DER: ${errorMessage(error)}`);
  }

  if (leaf.qcStatements.length === 0) {
    return refuse(
      `certificate has no qcStatements extension (${OID_QC_STATEMENTS}): not a qualified certificate`,
    );
  }
  if (leaf.qcStatements.length > 1) return refuse('certificate has more than one qcStatements extension');
  let qc: QcStatements;
  try {
    qc = parseQcStatements(leaf.qcStatements[0] as Uint8Array);
  } catch (error) {
    return refuse(`qcStatements extension is malformed: ${errorMessage(error)}`);
  }

  const qcProblem = kind === 'web' ? checkQualifiedWebCertificate(qc) : checkQualifiedSealCertificate(qc);
  if (qcProblem) return refuse(qcProblem);

  const psd2 = qc.psd2;
  if (!psd2) {
    return refuse(`qcStatements lack the PSD2 statement (${OID_PSD2_STATEMENT}): not a PSD2 certificate`);
  }
  if (psd2.roles.length === 0) return refuse('PSD2 statement lists no roles (rolesOfPSP is empty)');
  const roles: PspRole[] = [];
  for (const { oid, name } of psd2.roles) {
    const role = ROLE_BY_OID.get(oid);
    if (!role) {
      return refuse(
        `PSD2 role OID ${oid} (named ${quote(name)}) is not one of PSP_AS, PSP_PI, PSP_AI, PSP_IC (TS 119 495 §5.1)`,
      );
    }
    // TS 119 495 §5.2.2: the name must be the one belonging to the OID; a mismatch means the issuer got one wrong
    // and we cannot tell which.
    if (name !== role) return refuse(`PSD2 role ${oid} is named ${quote(name)}, but that OID is ${role}`);
    if (!roles.includes(role)) roles.push(role);
  }

  for (const [field, value] of [
    ['nCAName', psd2.ncaName],
    ['nCAId', psd2.ncaId],
  ] as const) {
    if (value.length === 0) return refuse(`PSD2 ${field} is empty`);
    if ([...value].length > MAX_NCA_LENGTH)
      return refuse(`PSD2 ${field} is longer than ${MAX_NCA_LENGTH} characters`);
  }
  const ncaId = parseNcaId(psd2.ncaId);
  if (!ncaId.ok) return refuse(`PSD2 ${ncaId.reason}`);

  const orgIds = leaf.subject.get(OID_ORGANIZATION_IDENTIFIER) ?? [];
  if (orgIds.length === 0)
    return refuse(`subject has no organizationIdentifier (${OID_ORGANIZATION_IDENTIFIER})`);
  if (orgIds.length > 1) return refuse('subject has more than one organizationIdentifier');
  const organizationIdentifier = orgIds[0] as string;
  const orgId = parseOrganizationIdentifier(organizationIdentifier);
  if (!orgId.ok) return refuse(orgId.reason);

  // TS 119 495 §5.2.1 (GEN-5.2.1-3) builds the organizationIdentifier from the country and identifier of the
  // competent authority that issued the authorisation number; §5.2.3 (GEN-5.2.3-2) builds nCAId from the same
  // two parts for the same authority. They must therefore agree: a certificate whose identity claims one
  // authority while its PSD2 statement names another is inconsistent, and we cannot tell which part is true.
  if (orgId.value.country !== ncaId.value.country || orgId.value.nca !== ncaId.value.nca) {
    return refuse(
      `organizationIdentifier ${quote(organizationIdentifier)} names NCA ${orgId.value.country}-${orgId.value.nca}` +
        `, but the PSD2 statement's nCAId is ${quote(psd2.ncaId)}`,
    );
  }

  const name = leaf.subject.get(OID_ORGANIZATION_NAME)?.[0] ?? leaf.subject.get(OID_COMMON_NAME)?.[0];
  if (name === undefined || name.length === 0)
    return refuse('subject has neither organizationName nor commonName');

  return {
    ok: true,
    identity: {
      organizationIdentifier,
      name,
      roles,
      ncaName: psd2.ncaName,
      ncaId: psd2.ncaId,
      thumbprintS256: createHash('sha256').update(leafDer).digest('base64url'),
      notAfter: leaf.notAfter,
    },
  };
}

export function hasRole(identity: TppIdentity, role: PspRole): boolean {
  return identity.roles.includes(role);
}

/** EN 319 412-5 statements that make a certificate an EU qualified website certificate, or why it is not one. */
function checkQualifiedWebCertificate(qc: QcStatements): string | undefined {
  if (!qc.compliance) {
    return `qcStatements lack QcCompliance (${OID_QC_COMPLIANCE}): not an EU qualified certificate`;
  }
  // EN 319 412-5 §4.2.3 makes QcType the statement that says which kind of qualified certificate this is.
  // Without it a certificate reads as the Directive 1999/93 kind (the only one there was: e-signatures); it never
  // means "web". A QWAC must say QcType web, so absence is a refusal.
  if (qc.types === undefined) {
    return `qcStatements lack QcType (${OID_QC_TYPE}): a QWAC must declare QcType web`;
  }
  if (qc.types.length === 0) return 'QcType lists no certificate type';
  if (qc.types.length > 1) {
    // eIDAS certificate types are distinct legal categories; a certificate claiming several is not one we can
    // rely on as a website certificate.
    return `QcType lists several types (${qc.types.join(', ')}); a QWAC declares web only`;
  }
  const type = qc.types[0];
  if (type === 'eseal') return 'certificate is a QSealC (QcType eseal), not a website certificate';
  if (type === 'esign') return 'certificate is for e-signatures (QcType esign), not a website certificate';
  if (type !== 'web') return `QcType ${type} is not web: not a website certificate`;
  // EN 319 412-5 QcSSCD asserts a key held in a qualified signature/seal creation device, which is meaningless
  // for TLS keys; on a QWAC it signals a mis-issued or repurposed certificate.
  if (qc.sscd) return `certificate carries QcSSCD (${OID_QC_SSCD}), which must not appear on a QWAC`;
  return undefined;
}

/** EN 319 412-5 statements that make a certificate an EU qualified electronic seal certificate. */
function checkQualifiedSealCertificate(qc: QcStatements): string | undefined {
  if (!qc.compliance) {
    return `qcStatements lack QcCompliance (${OID_QC_COMPLIANCE}): not an EU qualified certificate`;
  }
  if (qc.types === undefined) {
    return `qcStatements lack QcType (${OID_QC_TYPE}): a QSealC must declare QcType eseal`;
  }
  if (qc.types.length !== 1 || qc.types[0] !== 'eseal') {
    // A QWAC (QcType web) used to sign requests lands here: its key is for TLS, not for seals.
    return `QcType is ${qc.types.join(', ') || 'empty'}, not eseal: not a seal certificate (QSealC)`;
  }
  // QcSSCD is expected on many seals (key in a qualified seal creation device); it is no reason to refuse.
  return undefined;
}

function errorMessage(error: unknown): string {
  if (error instanceof DerParseError) return error.message;
  // Anything else is a bug in the reader, not the input's fault; still report it rather than throw.
  return `unexpected ${error instanceof Error ? error.name : 'error'}: ${String(error)}`;
}

/**
 * Walks Certificate -> TBSCertificate (RFC 5280 §4.1) for the subject, notAfter and qcStatements extension.
 * Signature and key are not looked at: path validation owns those.
 */
function readLeaf(der: Uint8Array): LeafFields {
  const top = new DerReader(der, 0, der.length, 'certificate');
  const certificate = top.enter(top.expect(Tag.SEQUENCE, 'Certificate'));
  top.done('Certificate');
  const tbs = certificate.enter(certificate.expect(Tag.SEQUENCE, 'tbsCertificate'), 'tbsCertificate');
  certificate.expect(Tag.SEQUENCE, 'signatureAlgorithm');
  certificate.expect(Tag.BIT_STRING, 'signatureValue');
  certificate.done('signatureValue');

  if (tbs.peekTag() === 0xa0) tbs.next('version');
  tbs.expect(Tag.INTEGER, 'serialNumber');
  tbs.expect(Tag.SEQUENCE, 'signature');
  tbs.expect(Tag.SEQUENCE, 'issuer');
  const validity = tbs.enter(tbs.expect(Tag.SEQUENCE, 'validity'), 'validity');
  readTime(validity, 'notBefore');
  const notAfter = readTime(validity, 'notAfter');
  validity.done('notAfter');
  const subject = readName(tbs, tbs.expect(Tag.SEQUENCE, 'subject'));
  tbs.expect(Tag.SEQUENCE, 'subjectPublicKeyInfo');
  if (tbs.peekTag() === 0x81) tbs.next('issuerUniqueID');
  if (tbs.peekTag() === 0x82) tbs.next('subjectUniqueID');

  const qcStatements: Uint8Array[] = [];
  if (tbs.peekTag() === 0xa3) {
    const wrapper = tbs.enter(tbs.next('extensions'), 'extensions');
    const list = wrapper.enter(wrapper.expect(Tag.SEQUENCE, 'Extensions'));
    wrapper.done('Extensions');
    for (let index = 0; list.hasMore(); index++) {
      const what = `extension #${index}`;
      const extension = list.enter(list.expect(Tag.SEQUENCE, what), `extensions: ${what}`);
      const oid = extension.readOid('extnID');
      if (extension.peekTag() === Tag.BOOLEAN) extension.next('critical');
      const value = extension.expect(Tag.OCTET_STRING, 'extnValue');
      extension.done('extnValue');
      if (oid === OID_QC_STATEMENTS) qcStatements.push(der.subarray(value.contentStart, value.end));
    }
  }
  tbs.done('tbsCertificate');
  return { subject, notAfter, qcStatements };
}

function readName(parent: DerReader, element: ReturnType<DerReader['next']>): Map<string, string[]> {
  const attributes = new Map<string, string[]>();
  const rdns = parent.enter(element, 'subject');
  while (rdns.hasMore()) {
    const rdn = rdns.enter(rdns.expect(Tag.SET, 'RelativeDistinguishedName'));
    while (rdn.hasMore()) {
      const atv = rdn.enter(rdn.expect(Tag.SEQUENCE, 'AttributeTypeAndValue'));
      const type = atv.readOid('attribute type');
      const valueElement = atv.next(`attribute ${type} value`);
      atv.done(`attribute ${type} value`);
      // Only the attributes we read need to be strings; others (e.g. binary ones) are left alone.
      if (type !== OID_ORGANIZATION_IDENTIFIER && type !== OID_ORGANIZATION_NAME && type !== OID_COMMON_NAME)
        continue;
      const value = atv.decodeString(valueElement, `attribute ${type} value`);
      const values = attributes.get(type);
      if (values) values.push(value);
      else attributes.set(type, [value]);
    }
  }
  return attributes;
}

const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d*[1-9]))?Z$/;

/** RFC 5280 §4.1.2.5: UTCTime (years 1950-2049) or GeneralizedTime, always UTC with seconds. */
function readTime(reader: DerReader, what: string): Date {
  const element = reader.next(what);
  if (element.tag !== Tag.UTC_TIME && element.tag !== Tag.GENERALIZED_TIME) {
    reader.fail(`${what}: expected UTCTime or GeneralizedTime`, element.start);
  }
  const text = Buffer.from(reader.bytes.subarray(element.contentStart, element.end)).toString('latin1');
  const match = (element.tag === Tag.UTC_TIME ? UTC_TIME : GENERALIZED_TIME).exec(text);
  if (!match) return reader.fail(`${what}: malformed time ${quote(text)}`, element.start);
  const [, y = '', mo = '', d = '', h = '', mi = '', s = '', fraction] = match;
  let year = Number(y);
  if (element.tag === Tag.UTC_TIME) year += year < 50 ? 2000 : 1900;
  const millis = fraction ? Math.floor(Number(`0.${fraction}`) * 1000) : 0;
  const time = Date.UTC(year, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), millis);
  const date = new Date(time);
  // Date.UTC rolls 31 February over into March; a round trip catches impossible dates.
  if (
    Number.isNaN(time) ||
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== Number(mo) - 1 ||
    date.getUTCDate() !== Number(d) ||
    date.getUTCHours() !== Number(h) ||
    date.getUTCMinutes() !== Number(mi) ||
    date.getUTCSeconds() !== Number(s)
  ) {
    reader.fail(`${what}: impossible date ${quote(text)}`, element.start);
  }
  return date;
}
