/**
 * `psd2-gateway cert inspect FILE [--anchor FILE [--crl FILE]… [--at TIME]] [--json]`: what an operator
 * needs to see when a TPP says "our certificate is fine": identity, validity, fingerprints (including the
 * RFC 8705 x5t#S256 a bound token carries), key and extensions, and for QWACs the PSD2 attributes.
 *
 * It says exactly what it judged. Without --anchor only the leaf's PSD2 QWAC profile is checked, which
 * cannot tell a forged, expired, revoked or weak certificate from a good one, so no gateway verdict is
 * given. With --anchor the file is taken as the chain a client presents and runs through the trust gate's
 * own verifier (chain to the anchor, validity, key strength, revocation with --crl, QWAC profile).
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
import { ChainValidator } from '../pki/path/chain_validator';
import type { ClientIdentityVerdict } from '../pki/identity/client_identity';
import { QwacIdentityVerifier } from '../pki/identity/qwac_identity_verifier';
import { CrlRevocationChecker } from '../pki/path/revocation';

export interface CertInspectParams {
  file: string;
  json?: boolean;
  /** The moment validity is judged against; defaults to now. */
  now?: Date;
  /** The trust anchor: with it the file is judged as a presented chain, exactly as the trust gate does. */
  anchor?: string;
  /** CRL files for the full validation (only with `anchor`). */
  crl?: string[];
}

/**
 * What the gateway's verdict rests on. `qwac-profile-only`: only the leaf's PSD2 profile was read, so
 * there is no verdict on whether the gateway admits it. `full-validation`: the trust gate's verifier ran.
 */
export type GatewayVerdict =
  | { judged: 'qwac-profile-only'; note: string }
  | {
      judged: 'full-validation';
      anchor: string;
      crls: string[];
      at: string;
      accepted: boolean;
      code?: string;
      reason?: string;
      organizationIdentifier?: string;
      roles?: string[];
    };

const PROFILE_ONLY_NOTE =
  "not judged: only the QWAC profile of the leaf was checked, not its chain, signatures, validity, key strength or revocation; give --anchor (and --crl) for the trust gate's verdict";

export interface CertInspectResult {
  exitCode: number;
  output: string;
}

export type ValidityStatus = 'valid' | 'expired' | 'not yet valid';

export interface InspectedQwac {
  qcStatements: QcStatements | { error: string };
  organizationIdentifier:
    { value: string; parsed: OrganizationIdentifier } | { value: string; reason: string } | null;
  /** The ETSI TS 119 495 profile of this certificate alone: not a verdict on the chain. */
  profile: QwacIdentityResult;
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

class InputError extends Error {}

function readDer(file: string, what: string): Buffer[] {
  try {
    return decodePemOrDer(readFileSync(file), 'CERTIFICATE');
  } catch (error) {
    throw new InputError(`${what}${file}: ${errorText(error)}`);
  }
}

/** The trust gate's own verifier on the file as a presented chain: leaf first, then intermediates. */
async function fullValidation(
  ders: Buffer[],
  anchorFile: string,
  crlFiles: string[],
  at: Date,
): Promise<GatewayVerdict> {
  const anchors = readDer(anchorFile, 'anchor ');
  if (anchors.length !== 1)
    throw new InputError(`anchor ${anchorFile}: expected exactly one certificate, found ${anchors.length}`);
  let revocation: CrlRevocationChecker | undefined;
  if (crlFiles.length > 0) {
    try {
      revocation = CrlRevocationChecker.fromFiles(crlFiles);
    } catch (error) {
      throw new InputError(`crl ${errorText(error)}`);
    }
  }
  let validator: ChainValidator;
  try {
    validator = new ChainValidator({ anchors, ...(revocation ? { revocation } : {}) });
  } catch (error) {
    throw new InputError(`anchor ${anchorFile}: ${errorText(error)}`);
  }
  const [leaf, ...intermediates] = ders;
  if (leaf === undefined) throw new InputError('no certificate');
  const verdict: ClientIdentityVerdict = await new QwacIdentityVerifier(validator).verify(
    { leaf, intermediates },
    at,
  );
  const base = {
    judged: 'full-validation' as const,
    anchor: anchorFile,
    crls: crlFiles,
    at: at.toISOString(),
  };
  return verdict.ok
    ? {
        ...base,
        accepted: true,
        organizationIdentifier: verdict.identity.organizationIdentifier,
        roles: [...verdict.identity.roles],
      }
    : { ...base, accepted: false, code: verdict.code, reason: verdict.reason };
}

export async function runCertInspect(params: CertInspectParams): Promise<CertInspectResult> {
  const now = params.now ?? new Date();
  let certificates: InspectedCertificate[];
  let gatewayVerdict: GatewayVerdict;
  try {
    if (params.anchor === undefined && (params.crl ?? []).length > 0)
      throw new InputError('--crl needs --anchor: revocation is checked as part of the full validation');
    const blocks = readDer(params.file, '');
    certificates = blocks.map((der, index) => {
      try {
        return inspect(der, index, now);
      } catch (error) {
        throw new InputError(`${params.file}: certificate #${index} cannot be decoded (${errorText(error)})`);
      }
    });
    gatewayVerdict =
      params.anchor === undefined
        ? { judged: 'qwac-profile-only', note: PROFILE_ONLY_NOTE }
        : await fullValidation(blocks, params.anchor, params.crl ?? [], now);
  } catch (error) {
    const message = error instanceof InputError ? error.message : `${params.file}: ${errorText(error)}`;
    return { exitCode: 2, output: `psd2-gateway cert inspect: ${message}\n` };
  }
  const output = params.json
    ? `${JSON.stringify({ file: params.file, certificates, gatewayVerdict }, null, 2)}\n`
    : certificates.map((c) => render(c, certificates.length)).join('\n') + renderVerdict(gatewayVerdict);
  // Like `cert verify`: with a full validation, a refusal is exit 1.
  const refused = gatewayVerdict.judged === 'full-validation' && !gatewayVerdict.accepted;
  return { exitCode: refused ? 1 : 0, output };
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function certInspectCommand(): Command {
  return new Command('inspect')
    .description(
      "decode a PEM/DER certificate or chain and print its identity and PSD2 attributes; with --anchor, the trust gate's verdict on it",
    )
    .argument('<file>', 'certificate or chain file (PEM or DER), leaf first')
    .option('--anchor <file>', "judge the file as a presented chain with the trust gate's full validation")
    .option('--crl <file>', 'CRL (PEM or DER) for the full validation; repeat for several', collect, [])
    .option('--at <iso-time>', 'judge validity at this time (default: now)')
    .option('--json', 'machine-readable output')
    .action(
      async (file: string, options: { json?: boolean; anchor?: string; crl: string[]; at?: string }) => {
        let now: Date | undefined;
        if (options.at !== undefined) {
          now = new Date(options.at);
          if (Number.isNaN(now.getTime())) {
            process.stderr.write(
              `psd2-gateway cert inspect: --at is not an ISO date-time: "${options.at}"\n`,
            );
            process.exitCode = 2;
            return;
          }
        }
        const result = await runCertInspect({
          file,
          json: options.json === true,
          crl: options.crl,
          ...(options.anchor !== undefined ? { anchor: options.anchor } : {}),
          ...(now !== undefined ? { now } : {}),
        });
        (result.exitCode === 2 ? process.stderr : process.stdout).write(result.output);
        process.exitCode = result.exitCode;
      },
    );
}

function renderVerdict(v: GatewayVerdict): string {
  const label = `${'Gateway verdict:'.padEnd(24)}`;
  if (v.judged === 'qwac-profile-only') return `\n${label}${v.note}\n`;
  const basis = `full validation against ${v.anchor}${v.crls.length > 0 ? ` with ${v.crls.length} CRL(s)` : ', no CRL (revocation not checked)'} at ${v.at}`;
  const outcome = v.accepted
    ? `ACCEPTED as TPP ${v.organizationIdentifier ?? '?'} (roles ${(v.roles ?? []).join(', ') || 'none'})`
    : `REFUSED ${v.code ?? ''}: ${v.reason ?? ''}`;
  return `\n${label}${outcome}\n${''.padEnd(24)}(${basis})\n`;
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
  return { qcStatements, organizationIdentifier, profile: identityFromQwac(cert) };
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
  // The profile alone: a forged, expired or revoked certificate can conform to it.
  line(
    'QWAC profile',
    q.profile.ok
      ? 'conforms to ETSI TS 119 495 (this certificate alone)'
      : `does not conform: ${q.profile.reason}`,
  );
  return `${lines.join('\n')}\n`;
}
