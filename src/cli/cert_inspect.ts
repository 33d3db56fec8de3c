/**
 * `psd2-gateway cert inspect FILE [--json]`: what an operator needs to see when a TPP says "our certificate is
 * fine": identity, validity, fingerprints (including the RFC 8705 x5t#S256 a bound token carries), key and
 * extensions, and for QWACs the PSD2 attributes together with the verdict the gateway itself would reach.
 *
 * Inspection only: nothing here validates a chain. Use `cert verify` for that.
 */
import { createHash, X509Certificate as NodeX509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { decodePemOrDer } from '../pki/pem';
import { parseOrganizationIdentifier, type OrganizationIdentifier } from '../pki/organization_identifier';
import {
  DerReader,
  OID_QC_STATEMENTS,
  Tag,
  parseQcStatements,
  type QcStatements,
} from '../pki/qc_statements';
import { identityFromQwac, type QwacIdentityResult } from '../pki/qwac_identity';
import { x509 } from '../pki/x509';

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

const KEY_USAGES: [x509.KeyUsageFlags, string][] = [
  [x509.KeyUsageFlags.digitalSignature, 'digitalSignature'],
  [x509.KeyUsageFlags.nonRepudiation, 'nonRepudiation'],
  [x509.KeyUsageFlags.keyEncipherment, 'keyEncipherment'],
  [x509.KeyUsageFlags.dataEncipherment, 'dataEncipherment'],
  [x509.KeyUsageFlags.keyAgreement, 'keyAgreement'],
  [x509.KeyUsageFlags.keyCertSign, 'keyCertSign'],
  [x509.KeyUsageFlags.cRLSign, 'cRLSign'],
  [x509.KeyUsageFlags.encipherOnly, 'encipherOnly'],
  [x509.KeyUsageFlags.decipherOnly, 'decipherOnly'],
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

/** ETSI EN 319 412-1 names the TPP by organizationIdentifier; @peculiar/x509 would print its bare OID. */
const NAME_LABELS = { organizationIdentifier: '2.5.4.97' };

function readableName(name: x509.Name): string {
  return new x509.Name(name.toArrayBuffer(), NAME_LABELS).toString();
}

function inspect(der: Buffer, index: number, now: Date): InspectedCertificate {
  const cert = new x509.X509Certificate(der);
  const native = new NodeX509Certificate(der);

  const validity: ValidityStatus =
    now.getTime() > cert.notAfter.getTime()
      ? 'expired'
      : now.getTime() < cert.notBefore.getTime()
        ? 'not yet valid'
        : 'valid';

  const keyDetails = native.publicKey.asymmetricKeyDetails ?? {};
  const publicKey: InspectedCertificate['publicKey'] = {
    type: native.publicKey.asymmetricKeyType ?? 'unknown',
    ...(keyDetails.modulusLength !== undefined ? { bits: keyDetails.modulusLength } : {}),
    ...(keyDetails.namedCurve !== undefined
      ? { curve: CURVE_NAMES[keyDetails.namedCurve] ?? keyDetails.namedCurve }
      : {}),
  };

  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  const keyUsage = cert.getExtension(x509.KeyUsagesExtension);
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);

  return {
    index,
    subject: readableName(cert.subjectName),
    issuer: readableName(cert.issuerName),
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    validity,
    fingerprints: { sha256: fingerprint(der, 'sha256'), sha1: fingerprint(der, 'sha1') },
    x5tS256: createHash('sha256').update(der).digest('base64url'),
    publicKey,
    signatureAlgorithm: signatureAlgorithm(der),
    basicConstraints: basic
      ? {
          ca: basic.ca,
          ...(basic.pathLength !== undefined ? { pathLength: basic.pathLength } : {}),
          critical: basic.critical,
        }
      : null,
    keyUsage: keyUsage
      ? KEY_USAGES.filter(([flag]) => (keyUsage.usages & flag) !== 0).map(([, n]) => n)
      : null,
    extendedKeyUsage: eku ? eku.usages.map((u) => EXTENDED_KEY_USAGES[String(u)] ?? String(u)) : null,
    subjectAltNames: san ? san.names.toJSON().map(({ type, value }) => ({ type, value })) : [],
    qwac: inspectQwac(cert, der),
  };
}

function inspectQwac(cert: x509.X509Certificate, der: Buffer): InspectedQwac | null {
  const extension = cert.getExtension(OID_QC_STATEMENTS);
  if (!extension) return null;
  let qcStatements: InspectedQwac['qcStatements'];
  try {
    qcStatements = parseQcStatements(new Uint8Array(extension.value));
  } catch (error) {
    qcStatements = { error: errorText(error) };
  }
  const orgId = cert.subjectName.getField('2.5.4.97')[0];
  let organizationIdentifier: InspectedQwac['organizationIdentifier'] = null;
  if (orgId !== undefined) {
    const parsed = parseOrganizationIdentifier(orgId);
    organizationIdentifier = parsed.ok
      ? { value: orgId, parsed: parsed.value }
      : { value: orgId, reason: parsed.reason };
  }
  return { qcStatements, organizationIdentifier, verdict: identityFromQwac(der) };
}

function fingerprint(der: Buffer, algorithm: 'sha256' | 'sha1'): string {
  return createHash(algorithm).update(der).digest('hex').toUpperCase().match(/../g)?.join(':') ?? '';
}

/** Certificate.signatureAlgorithm read directly, so an algorithm the x509 library does not know still shows. */
function signatureAlgorithm(der: Buffer): string {
  const top = new DerReader(der);
  const certificate = top.enter(top.expect(Tag.SEQUENCE, 'Certificate'));
  certificate.expect(Tag.SEQUENCE, 'tbsCertificate');
  const algorithm = certificate.enter(certificate.expect(Tag.SEQUENCE, 'signatureAlgorithm'));
  const oid = algorithm.readOid('algorithm');
  return SIGNATURE_ALGORITHMS[oid] ?? oid;
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
