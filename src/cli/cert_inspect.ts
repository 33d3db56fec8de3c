/**
 * `psd2-gateway cert inspect FILE [--json]`: what an operator needs to see when a TPP says "our certificate is
 * fine": identity, validity, fingerprints (including the RFC 8705 x5t#S256 a bound token carries), key and
 * extensions, and for QWACs the PSD2 attributes together with the verdict the gateway itself would reach.
 *
 * Inspection only: nothing here validates a chain. Use `cert verify` for that.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { toHex } from '../pki/asn1/der';
import {
  ParsedCertificate,
  formatIpAddress,
  type GeneralName,
  type KeyUsageName,
} from '../pki/certificate/parsed_certificate';
import { decodePemOrDer } from '../pki/asn1/pem';
import {
  parseOrganizationIdentifier,
  type OrganizationIdentifier,
} from '../pki/qwac/organization_identifier';
import { OID_QC_STATEMENTS, parseQcStatements, type QcStatements } from '../pki/qwac/qc_statements';
import { identityFromQwac, type QwacIdentityResult } from '../pki/qwac/qwac_identity';
import { attributeValues, formatName } from '../pki/certificate/x500_name';

export interface CertInspectParams {
  file: string;
  json?: boolean;
  /** The moment validity is judged against; defaults to now. */
  now?: Date;
}

export interface CertInspectResult {
  exitCode: number;
  output: string;
}

export type ValidityStatus = 'valid' | 'expired' | 'not yet valid';

export interface InspectedQwac {
  qcStatements: QcStatements | { error: string };
  organizationIdentifier:
    { value: string; parsed: OrganizationIdentifier } | { value: string; reason: string } | null;
  verdict: QwacIdentityResult;
}

export interface InspectedCertificate {
  index: number;
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  validity: ValidityStatus;
  fingerprints: { sha256: string; sha1: string };
  x5tS256: string;
  publicKey: { type: string; bits?: number; curve?: string };
  signatureAlgorithm: string;
  basicConstraints: { ca: boolean; pathLength?: number; critical: boolean } | null;
  keyUsage: string[] | null;
  extendedKeyUsage: string[] | null;
  subjectAltNames: { type: string; value: string }[];
  /** What the certificate walk found wrong (profile violations, undecodable extensions, a refused key). */
  problems: string[];
  /** null when the certificate has no qcStatements extension. */
  qwac: InspectedQwac | null;
}

const SIGNATURE_ALGORITHMS: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'RSASSA-PSS',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
};

const EXTENDED_KEY_USAGES: Readonly<Record<string, string>> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '2.5.29.37.0': 'anyExtendedKeyUsage',
};

const KEY_USAGES: readonly KeyUsageName[] = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

export async function runCertInspect(params: CertInspectParams): Promise<CertInspectResult> {
  const now = params.now ?? new Date();
  let certificates: InspectedCertificate[];
  try {
    const blocks = decodePemOrDer(readFileSync(params.file), 'CERTIFICATE');
    certificates = blocks.map((der, index) => {
      try {
        return inspect(der, index, now);
      } catch (error) {
        throw new Error(`certificate #${index} cannot be decoded (${errorText(error)})`);
      }
    });
  } catch (error) {
    return { exitCode: 2, output: `psd2-gateway cert inspect: ${params.file}: ${errorText(error)}\n` };
  }
  const output = params.json
    ? `${JSON.stringify({ file: params.file, certificates }, null, 2)}\n`
    : certificates.map((c) => render(c, certificates.length)).join('\n');
  return { exitCode: 0, output };
}

export function certInspectCommand(): Command {
  return new Command('inspect')
    .description('decode a PEM/DER certificate or chain and print its identity and PSD2 attributes')
    .argument('<file>', 'certificate or chain file (PEM or DER)')
    .option('--json', 'machine-readable output')
    .action(async (file: string, options: { json?: boolean }) => {
      const result = await runCertInspect({ file, json: options.json === true });
      (result.exitCode === 0 ? process.stdout : process.stderr).write(result.output);
      process.exitCode = result.exitCode;
    });
}

function errorText(error: unknown): string {
  // Duck-typed rather than instanceof: errors from node:fs can come from another realm (jest's sandbox, for one).
  if (typeof error === 'object' && error !== null) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (code === 'ENOENT') return 'file not found';
    if (code === 'EACCES') return 'permission denied';
    if (code === 'EISDIR') return 'is a directory';
    if (typeof message === 'string' && message.length > 0) return message.split('\n')[0] as string;
  }
  return String(error);
}

/** OpenSSL's curve names, as node:crypto reports them, to the names operators see in JOSE and WebCrypto. */
const CURVE_NAMES: Readonly<Record<string, string>> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};

function inspect(der: Buffer, index: number, now: Date): InspectedCertificate {
  const cert = ParsedCertificate.parse(der);

  const validity: ValidityStatus =
    now.getTime() > cert.notAfter.getTime()
      ? 'expired'
      : now.getTime() < cert.notBefore.getTime()
        ? 'not yet valid'
        : 'valid';

  const key = cert.verificationKey();
  const keyDetails = key?.asymmetricKeyDetails ?? {};
  const publicKey: InspectedCertificate['publicKey'] = {
    type: key?.asymmetricKeyType ?? 'unknown',
    ...(keyDetails.modulusLength !== undefined ? { bits: keyDetails.modulusLength } : {}),
    ...(keyDetails.namedCurve !== undefined
      ? { curve: CURVE_NAMES[keyDetails.namedCurve] ?? keyDetails.namedCurve }
      : {}),
  };

  const basic = cert.basicConstraints;
  const keyProblem = cert.keyProblem;
  return {
    index,
    subject: formatName(cert.subject),
    issuer: formatName(cert.issuer),
    serialNumber: toHex(cert.serial),
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    validity,
    fingerprints: { sha256: fingerprint(der, 'sha256'), sha1: fingerprint(der, 'sha1') },
    x5tS256: createHash('sha256').update(der).digest('base64url'),
    publicKey,
    signatureAlgorithm: SIGNATURE_ALGORITHMS[cert.signatureAlgorithm.oid] ?? cert.signatureAlgorithm.oid,
    basicConstraints: basic
      ? {
          ca: basic.ca,
          ...(basic.pathLen !== undefined ? { pathLength: basic.pathLen } : {}),
          critical: basic.critical,
        }
      : null,
    keyUsage: cert.keyUsage ? KEY_USAGES.filter((usage) => cert.keyUsage?.has(usage)) : null,
    extendedKeyUsage: cert.extKeyUsage ? cert.extKeyUsage.map((u) => EXTENDED_KEY_USAGES[u] ?? u) : null,
    subjectAltNames: (cert.subjectAltNames ?? []).map(describeGeneralName),
    problems: [
      ...cert.problems.map((problem) => `certificate ${problem}`),
      ...(keyProblem ? [`public key: ${keyProblem}`] : []),
    ],
    qwac: inspectQwac(cert),
  };
}

function describeGeneralName(name: GeneralName): { type: string; value: string } {
  switch (name.type) {
    case 'dns':
    case 'email':
    case 'uri':
      return { type: name.type, value: name.value };
    case 'ip':
      return { type: 'ip', value: formatIpAddress(name.value) };
    case 'dir':
      return { type: 'dirName', value: formatName(name.value) };
    default:
      return { type: name.type, value: toHex(name.value) };
  }
}

function inspectQwac(cert: ParsedCertificate): InspectedQwac | null {
  const extension = cert.extensions.find((e) => e.oid === OID_QC_STATEMENTS);
  if (!extension) return null;
  let qcStatements: InspectedQwac['qcStatements'];
  try {
    qcStatements = parseQcStatements(extension.value);
  } catch (error) {
    qcStatements = { error: errorText(error) };
  }
  const orgId = attributeValues(cert.subject, '2.5.4.97')[0]?.display;
  let organizationIdentifier: InspectedQwac['organizationIdentifier'] = null;
  if (orgId !== undefined) {
    const parsed = parseOrganizationIdentifier(orgId);
    organizationIdentifier = parsed.ok
      ? { value: orgId, parsed: parsed.value }
      : { value: orgId, reason: parsed.reason };
  }
  return { qcStatements, organizationIdentifier, verdict: identityFromQwac(cert) };
}

function fingerprint(der: Buffer, algorithm: 'sha256' | 'sha1'): string {
  return createHash(algorithm).update(der).digest('hex').toUpperCase().match(/../g)?.join(':') ?? '';
}

function render(c: InspectedCertificate, total: number): string {
  const lines: string[] = [];
  const line = (label: string, value: string): void => {
    lines.push(`  ${`${label}:`.padEnd(24)}${value}`);
  };
  lines.push(total > 1 ? `Certificate #${c.index}${c.index === 0 ? ' (leaf)' : ''}` : 'Certificate');
  line('Subject', c.subject);
  line('Issuer', c.issuer);
  line('Serial', c.serialNumber);
  const marker =
    c.validity === 'expired' ? '  EXPIRED' : c.validity === 'not yet valid' ? '  NOT YET VALID' : '';
  line('Not before', `${c.notBefore}${c.validity === 'not yet valid' ? marker : ''}`);
  line('Not after', `${c.notAfter}${c.validity === 'expired' ? marker : ''}`);
  line('SHA-256 fingerprint', c.fingerprints.sha256);
  line('SHA-1 fingerprint', c.fingerprints.sha1);
  line('x5t#S256', c.x5tS256);
  const key = c.publicKey;
  line(
    'Public key',
    [key.type, key.bits ? `${key.bits} bits` : '', key.curve ?? ''].filter(Boolean).join(' '),
  );
  line('Signature algorithm', c.signatureAlgorithm);
  line(
    'Basic constraints',
    c.basicConstraints
      ? `CA:${c.basicConstraints.ca ? 'TRUE' : 'FALSE'}` +
          (c.basicConstraints.pathLength !== undefined ? `, pathlen:${c.basicConstraints.pathLength}` : '') +
          (c.basicConstraints.critical ? ' (critical)' : '')
      : '(absent)',
  );
  line('Key usage', c.keyUsage ? c.keyUsage.join(', ') || '(empty)' : '(absent)');
  line('Extended key usage', c.extendedKeyUsage ? c.extendedKeyUsage.join(', ') || '(empty)' : '(absent)');
  line('Subject alt names', c.subjectAltNames.map((n) => `${n.type}:${n.value}`).join(', ') || '(none)');
  for (const problem of c.problems) line('Problem', problem);

  const q = c.qwac;
  if (!q) {
    line('QWAC', 'no (no qcStatements extension)');
    return `${lines.join('\n')}\n`;
  }
  if ('error' in q.qcStatements) {
    line('qcStatements', `MALFORMED: ${q.qcStatements.error}`);
  } else {
    const qc = q.qcStatements;
    line('QcCompliance', qc.compliance ? 'yes' : 'no');
    line('QcType', qc.types ? qc.types.join(', ') || '(empty)' : '(absent)');
    if (qc.sscd) line('QcSSCD', 'yes');
    if (qc.psd2) {
      line('PSD2 roles', qc.psd2.roles.map((r) => `${r.name} (${r.oid})`).join(', ') || '(none)');
      line('NCA name', qc.psd2.ncaName);
      line('NCA id', qc.psd2.ncaId);
    } else {
      line('PSD2 statement', '(absent)');
    }
  }
  const orgId = q.organizationIdentifier;
  if (!orgId) line('organizationIdentifier', '(absent)');
  else if ('parsed' in orgId) {
    const p = orgId.parsed;
    line(
      'organizationIdentifier',
      `${orgId.value} (scheme ${p.scheme}, country ${p.country}, NCA ${p.nca}, authorisation ${p.authorizationNumber})`,
    );
  } else line('organizationIdentifier', `${orgId.value} (invalid: ${orgId.reason})`);
  line('Gateway verdict', q.verdict.ok ? 'ACCEPTED as TPP identity' : `REFUSED: ${q.verdict.reason}`);
  return `${lines.join('\n')}\n`;
}
