/**
 * From a PSD2 QWAC to the TPP identity the rest of the gateway trusts.
 *
 * Only call this on a leaf whose chain has already validated to the trust anchor: this module checks what the
 * certificate says about its holder (ETSI EN 319 412-5 QCStatements, ETSI TS 119 495 PSD2 attributes), not
 * whether anyone should believe it.
 *
 * The leaf arrives already parsed (the ParsedCertificate path validation walked), so a request reads each
 * certificate once; only the qcStatements extension value is decoded here.
 */
import { createHash } from 'node:crypto';
import { DerError } from '../asn1/der';
import type { ParsedCertificate } from '../certificate/parsed_certificate';
import {
  OID_QC_COMPLIANCE,
  OID_QC_SSCD,
  OID_QC_STATEMENTS,
  OID_QC_TYPE,
  OID_PSD2_STATEMENT,
  parseQcStatements,
  type QcStatements,
} from './qc_statements';
import { attributeValues } from '../certificate/x500_name';
import { parseNcaId, parseOrganizationIdentifier, quote } from './organization_identifier';
import type { PspRole, TppIdentity } from '../identity/tpp_identity';

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

function refuse(reason: string): QwacIdentityResult {
  return { ok: false, code: 'CERTIFICATE_INVALID', reason };
}

/**
 * Which qualified certificate is expected: `web` a QWAC (the TLS client certificate), `eseal` a QSealC (the
 * certificate of a request signature). Both carry the same PSD2 statement and organizationIdentifier.
 */
export type QualifiedCertificateKind = 'web' | 'eseal';

/** The string values of subject attribute `type`, or why one of them is not a string. */
function subjectStrings(leaf: ParsedCertificate, type: string, label: string): string[] | { reason: string } {
  const values: string[] = [];
  for (const value of attributeValues(leaf.subject, type)) {
    if (value.text === undefined) return { reason: `subject ${label} is not a string (${value.display})` };
    values.push(value.text);
  }
  return values;
}

/**
 * Derives the TPP identity from a parsed PSD2 QWAC leaf, or from a QSealC with `kind` eseal. Never throws:
 * every problem comes back as a CERTIFICATE_INVALID refusal whose reason names it.
 */
export function identityFromQwac(
  leaf: ParsedCertificate,
  kind: QualifiedCertificateKind = 'web',
): QwacIdentityResult {
  const qcStatements = leaf.extensions.filter((e) => e.oid === OID_QC_STATEMENTS).map((e) => e.value);
  if (qcStatements.length === 0) {
    return refuse(
      `certificate has no qcStatements extension (${OID_QC_STATEMENTS}): not a qualified certificate`,
    );
  }
  if (qcStatements.length > 1) return refuse('certificate has more than one qcStatements extension');
  let qc: QcStatements;
  try {
    qc = parseQcStatements(qcStatements[0] as Uint8Array);
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
  let unknownRole: string | undefined;
  for (const { oid, name } of psd2.roles) {
    const role = ROLE_BY_OID.get(oid);
    if (!role) {
      // A role defined after TS 119 495 §5.1 grants nothing here, but does not spoil the roles we know.
      unknownRole ??= `PSD2 role OID ${oid} (named ${quote(name)}) is not one of PSP_AS, PSP_PI, PSP_AI, PSP_IC (TS 119 495 §5.1)`;
      continue;
    }
    // TS 119 495 §5.2.2: the name must be the one belonging to the OID; a mismatch means the issuer got one wrong
    // and we cannot tell which.
    if (name !== role) return refuse(`PSD2 role ${oid} is named ${quote(name)}, but that OID is ${role}`);
    if (!roles.includes(role)) roles.push(role);
  }
  if (roles.length === 0 && unknownRole !== undefined) return refuse(unknownRole);

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

  const orgIds = subjectStrings(leaf, OID_ORGANIZATION_IDENTIFIER, 'organizationIdentifier');
  if (!Array.isArray(orgIds)) return refuse(orgIds.reason);
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

  const organizationNames = subjectStrings(leaf, OID_ORGANIZATION_NAME, 'organizationName');
  if (!Array.isArray(organizationNames)) return refuse(organizationNames.reason);
  const commonNames = subjectStrings(leaf, OID_COMMON_NAME, 'commonName');
  if (!Array.isArray(commonNames)) return refuse(commonNames.reason);
  const name = organizationNames[0] ?? commonNames[0];
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
      thumbprintS256: createHash('sha256').update(leaf.der).digest('base64url'),
      notAfter: leaf.notAfter,
      // One subject CN or none: with several, none of them names the TPP's host unambiguously.
      ...(commonNames.length === 1 ? { commonName: commonNames[0] as string } : {}),
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
  if (error instanceof DerError) return error.message;
  // Anything else is a bug in the reader, not the input's fault; still report it rather than throw.
  return `unexpected ${error instanceof Error ? error.name : 'error'}: ${String(error)}`;
}
