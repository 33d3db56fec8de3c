/**
 * `psd2-gateway cert verify`: the gateway's own path validator on files, for operators asking "would
 * the gateway accept this chain, and if not, why?". Exit 0 valid, 1 invalid, 2 usage or unreadable input.
 */
import { identityFromQwac } from '../pki/qwac/qwac_identity';
import { Command, Option } from 'commander';
import { ChainValidator, type ChainPurpose } from '../pki/path/chain_validator';
import { ParsedCertificate } from '../pki/certificate/parsed_certificate';
import { readPemOrDerFile } from '../pki/asn1/pem';
import { CrlRevocationChecker } from '../pki/path/revocation';
import { formatName } from '../pki/certificate/x500_name';

export type ProfileCheck = (
  leaf: ParsedCertificate,
) => { ok: true } | { ok: false; code: string; reason: string };

export interface CertVerifyParams {
  anchor: string;
  chain: string;
  crl?: string[];
  /** PEM bundle offered to path building, as the gateway's GATEWAY_INTERMEDIATES. */
  intermediates?: string;
  /** ISO 8601; default now. */
  at?: string;
  purpose?: string;
  profile?: string;
  json?: boolean;
  /** The PSD2 QWAC profile check, injected by whoever wires the psd2 profile in. */
  profileCheck?: ProfileCheck;
}

export interface CertVerifyOutcome {
  exitCode: number;
  output: string;
}

const PURPOSES = ['clientAuth', 'serverAuth'] as const;

/** The psd2 profile: the leaf must also be a well-formed PSD2 QWAC, exactly as the trust gate demands. */
export const qwacProfileCheck: ProfileCheck = (leaf) => {
  const result = identityFromQwac(leaf);
  return result.ok ? { ok: true } : { ok: false, code: result.code, reason: result.reason };
};
const PROFILES = ['rfc5280', 'psd2'] as const;

class UsageError extends Error {}

function readCertificates(file: string, what: string): Buffer[] {
  try {
    return readPemOrDerFile(file, 'CERTIFICATE');
  } catch (error) {
    const message =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new UsageError(`${what} ${file}: ${message}`);
  }
}

function describeCert(cert: ParsedCertificate): {
  subject: string;
  issuer: string;
  serial: string;
  notAfter: string;
} {
  return {
    subject: formatName(cert.subject),
    issuer: formatName(cert.issuer),
    serial: cert.serialHex,
    notAfter: cert.notAfter.toISOString(),
  };
}

export async function runCertVerify(params: CertVerifyParams): Promise<CertVerifyOutcome> {
  const usage = (message: string): CertVerifyOutcome => ({
    exitCode: 2,
    output: params.json
      ? `${JSON.stringify({ error: message })}\n`
      : `psd2-gateway cert verify: ${message}\n`,
  });
  try {
    const purpose = params.purpose ?? 'clientAuth';
    if (!(PURPOSES as readonly string[]).includes(purpose)) {
      throw new UsageError(`--purpose must be one of ${PURPOSES.join(', ')} (got "${purpose}")`);
    }
    const profile = params.profile ?? 'rfc5280';
    if (!(PROFILES as readonly string[]).includes(profile)) {
      throw new UsageError(`--profile must be one of ${PROFILES.join(', ')} (got "${profile}")`);
    }
    if (profile === 'psd2' && !params.profileCheck)
      throw new UsageError('psd2 profile not available in this build');
    let at: Date | undefined;
    if (params.at !== undefined) {
      at = new Date(params.at);
      if (Number.isNaN(at.getTime())) throw new UsageError(`--at is not an ISO date-time: "${params.at}"`);
    }

    const anchors = readCertificates(params.anchor, 'anchor');
    if (anchors.length !== 1) {
      throw new UsageError(
        `anchor ${params.anchor}: expected exactly one certificate, found ${anchors.length}`,
      );
    }
    const [leaf, ...intermediates] = readCertificates(params.chain, 'chain');
    if (!leaf) throw new UsageError(`chain ${params.chain}: no certificate`);
    let revocation: CrlRevocationChecker | undefined;
    if (params.crl && params.crl.length > 0) {
      try {
        revocation = CrlRevocationChecker.fromFiles(params.crl);
      } catch (error) {
        throw new UsageError(`crl ${(error as Error).message}`);
      }
    }
    const configured =
      params.intermediates === undefined
        ? undefined
        : readCertificates(params.intermediates, 'intermediates');
    let validator: ChainValidator;
    try {
      validator = new ChainValidator({
        anchors,
        ...(configured !== undefined ? { intermediates: configured } : {}),
        ...(revocation ? { revocation } : {}),
      });
    } catch (error) {
      throw new UsageError(`anchor ${params.anchor}: ${(error as Error).message}`);
    }

    const result = await validator.validate({ leaf, intermediates, purpose: purpose as ChainPurpose, at });
    let verdict: { valid: true } | { valid: false; code: string; reason: string } = result.valid
      ? { valid: true }
      : { valid: false, code: result.code, reason: result.reason };
    if (result.valid && params.profileCheck && profile === 'psd2') {
      const check = params.profileCheck(result.certificates[0] as ParsedCertificate);
      if (!check.ok) verdict = { valid: false, code: check.code, reason: check.reason };
    }

    const path = result.valid ? result.certificates.map(describeCert) : [];
    if (params.json) {
      const body = verdict.valid
        ? {
            valid: true,
            purpose,
            profile,
            path,
            validUntil: result.valid ? result.validUntil.toISOString() : undefined,
          }
        : { valid: false, purpose, profile, code: verdict.code, reason: verdict.reason };
      return { exitCode: verdict.valid ? 0 : 1, output: `${JSON.stringify(body, null, 2)}\n` };
    }
    if (!verdict.valid) return { exitCode: 1, output: `INVALID ${verdict.code}: ${verdict.reason}\n` };
    const lines = [`VALID for ${purpose} (profile ${profile})`, 'path:'];
    path.forEach((cert, i) => {
      const role = i === 0 ? 'leaf' : i === path.length - 1 ? 'trust anchor' : 'intermediate';
      lines.push(`  ${i}. ${cert.subject}  [${role}, serial ${cert.serial}, notAfter ${cert.notAfter}]`);
    });
    if (result.valid) lines.push(`verdict holds until ${result.validUntil.toISOString()}`);
    return { exitCode: 0, output: `${lines.join('\n')}\n` };
  } catch (error) {
    if (error instanceof UsageError) return usage(error.message);
    return usage(`unexpected error: ${(error as Error).message}`);
  }
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function certVerifyCommand(): Command {
  return new Command('verify')
    .description("validate a certificate chain with the gateway's own validator")
    .requiredOption('--anchor <file>', 'trust anchor (PEM or DER), exactly one certificate')
    .requiredOption('--chain <file>', 'leaf first, then intermediates in any order (PEM or DER)')
    .option('--crl <file>', 'CRL (PEM or DER); repeat for several', collect, [])
    .option('--intermediates <file>', 'issuing CAs offered to path building, as GATEWAY_INTERMEDIATES (PEM)')
    .option('--at <iso-time>', 'validation time (default: now)')
    .addOption(
      new Option('--purpose <purpose>', 'extended key usage required of the leaf')
        .choices(PURPOSES)
        .default('clientAuth'),
    )
    .addOption(
      new Option(
        '--profile <profile>',
        'certificate profile (default: psd2 for clientAuth, rfc5280 for serverAuth)',
      ).choices(PROFILES),
    )
    .option('--json', 'machine-readable output')
    .action(
      async (options: {
        anchor: string;
        chain: string;
        crl: string[];
        intermediates?: string;
        at?: string;
        purpose: string;
        profile?: string;
        json?: boolean;
      }) => {
        const outcome = await runCertVerify({
          ...options,
          profile: options.profile ?? (options.purpose === 'clientAuth' ? 'psd2' : 'rfc5280'),
          profileCheck: qwacProfileCheck,
        });
        (outcome.exitCode === 2 ? process.stderr : process.stdout).write(outcome.output);
        process.exitCode = outcome.exitCode;
      },
    );
}
