/**
 * `psd2-gateway cert verify`: the gateway's own path validator on files, for operators asking "would
 * the gateway accept this chain, and if not, why?". Revocation is checked as the gateway checks it: the
 * CRL files given, then the OCSP responders and CRL distribution points the certificates name, under the
 * same policy (`--revocation`, as GATEWAY_REVOCATION); `--offline` asks no network source. Unlike the
 * gateway's refusal text, the output names every source and what it said: it is the operator's tool.
 * Exit 0 valid, 1 invalid, 2 usage or unreadable input.
 */
import { identityFromQwac } from '../pki/qwac/qwac_identity';
import { Command, Option } from 'commander';
import { UndiciRevocationFetcher } from '../adapters/undici_revocation_fetcher';
import {
  CRL_GRACE_SECONDS_RANGE,
  DEFAULT_REVOCATION_TIMEOUT_MS,
  REVOCATION_TIMEOUT_MS_RANGE,
} from '../config/config';
import { ChainValidator, type ChainPurpose } from '../pki/path/chain_validator';
import { ParsedCertificate } from '../pki/certificate/parsed_certificate';
import { readPemOrDerFile } from '../pki/asn1/pem';
import { CrlRevocationChecker, type RevocationChecker, type RevocationStatus } from '../pki/path/revocation';
import { RevocationSources, type RevocationPolicy } from '../pki/revocation/revocation_sources';
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
  /** As GATEWAY_REVOCATION: hard-fail (default) or soft-fail. */
  revocation?: string;
  /** Ask no OCSP responder and no CRL distribution point: the CRL files only. */
  offline?: boolean;
  /** As GATEWAY_REVOCATION_TIMEOUT_MS (a number, or its text from the command line). */
  revocationTimeoutMs?: number | string;
  /** As GATEWAY_CRL_GRACE_SECONDS. */
  crlGraceSeconds?: number | string;
}

/** What one certificate's revocation check found. */
interface RevocationAnswer {
  certificate: string;
  issuer: string;
  /** `unchecked`: let through without any source's answer (see `why`). */
  status: RevocationStatus['status'] | 'unchecked';
  /** The source that answered. */
  source?: string;
  /** Why no source's answer was needed. */
  why?: string;
  nextUpdate?: string;
  /** Revoked, or why no answer could be had. */
  reason?: string;
  /** Which source failed how (locations, network errors). */
  detail?: string;
}

export interface CertVerifyOutcome {
  exitCode: number;
  output: string;
}

const PURPOSES = ['clientAuth', 'serverAuth'] as const;
const POLICIES = ['hard-fail', 'soft-fail'] as const;

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

function integerIn(
  value: number | string | undefined,
  fallback: number,
  range: readonly [number, number],
  flag: string,
): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < range[0] || n > range[1])
    throw new UsageError(`${flag} must be a whole number from ${range[0]} to ${range[1]} (got "${value}")`);
  return n;
}

/** Records what each revocation check of the validation found, in order. */
function recording(sources: RevocationChecker, answers: RevocationAnswer[]): RevocationChecker {
  return {
    async check(cert, issuer, at, budget) {
      const status = await sources.check(cert, issuer, at, budget);
      const unchecked = status.status === 'good' ? status.unchecked : undefined;
      answers.push({
        certificate: cert.label,
        issuer: issuer.label,
        status: unchecked === undefined ? status.status : 'unchecked',
        ...(status.status !== 'unknown' && status.source !== undefined ? { source: status.source } : {}),
        ...(unchecked !== undefined ? { why: unchecked } : {}),
        ...(status.status === 'good' && status.nextUpdate !== undefined
          ? { nextUpdate: status.nextUpdate.toISOString() }
          : {}),
        ...(status.status !== 'good' ? { reason: status.reason } : {}),
        ...(status.status === 'unknown' && status.detail !== undefined ? { detail: status.detail } : {}),
      });
      return status;
    },
  };
}

/**
 * The answers for the certificates of `path` (the last check of each: path building may have tried
 * other paths first), or every answer when no path was accepted.
 */
function answersFor(
  answers: readonly RevocationAnswer[],
  path: readonly ParsedCertificate[],
): RevocationAnswer[] {
  if (path.length === 0) return [...answers];
  return path.flatMap((cert) => {
    const last = [...answers].reverse().find((a) => a.certificate === cert.label);
    return last === undefined ? [] : [last];
  });
}

function answerLine(a: RevocationAnswer): string {
  const until = a.nextUpdate ? ` (until ${a.nextUpdate})` : '';
  switch (a.status) {
    case 'good':
      return `  ${a.certificate}: good, answered by ${a.source ?? 'an unnamed source'}${until}`;
    case 'revoked':
      return `  ${a.certificate}: REVOKED, answered by ${a.source ?? 'an unnamed source'}`;
    case 'unchecked':
      return `  ${a.certificate}: not checked: ${a.why ?? 'no source'}${until}`;
    default:
      return `  ${a.certificate}: no answer: ${a.detail ?? a.reason ?? 'no source answered'}`;
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
    const policy = params.revocation ?? 'hard-fail';
    if (!(POLICIES as readonly string[]).includes(policy))
      throw new UsageError(`--revocation must be one of ${POLICIES.join(', ')} (got "${policy}")`);
    const timeoutMs = integerIn(
      params.revocationTimeoutMs,
      DEFAULT_REVOCATION_TIMEOUT_MS,
      REVOCATION_TIMEOUT_MS_RANGE,
      '--revocation-timeout',
    );
    const graceSeconds = integerIn(params.crlGraceSeconds, 0, CRL_GRACE_SECONDS_RANGE, '--crl-grace-seconds');
    let files: CrlRevocationChecker;
    try {
      files = CrlRevocationChecker.fromFiles(params.crl ?? [], graceSeconds);
    } catch (error) {
      throw new UsageError(`crl ${(error as Error).message}`);
    }
    const configured =
      params.intermediates === undefined
        ? undefined
        : readCertificates(params.intermediates, 'intermediates');
    const fetcher = params.offline === true ? undefined : new UndiciRevocationFetcher();
    const sources = new RevocationSources({
      files,
      fetcher,
      policy: policy as RevocationPolicy,
      timeoutMs,
      crlGraceSeconds: graceSeconds,
    });
    try {
      const answers: RevocationAnswer[] = [];
      let validator: ChainValidator;
      try {
        validator = new ChainValidator({
          anchors,
          ...(configured !== undefined ? { intermediates: configured } : {}),
          revocation: recording(sources, answers),
        });
      } catch (error) {
        throw new UsageError(`anchor ${params.anchor}: ${(error as Error).message}`);
      }
      const result = await validator.validate({ leaf, intermediates, purpose: purpose as ChainPurpose, at });
      return report(params, { purpose, profile, policy, result, answers });
    } finally {
      sources.close();
      await fetcher?.close();
    }
  } catch (error) {
    if (error instanceof UsageError) return usage(error.message);
    return usage(`unexpected error: ${(error as Error).message}`);
  }
}

type Validated = Awaited<ReturnType<ChainValidator['validate']>>;

function report(
  params: CertVerifyParams,
  run: { purpose: string; profile: string; policy: string; result: Validated; answers: RevocationAnswer[] },
): CertVerifyOutcome {
  const { purpose, profile, result } = run;
  let verdict: { valid: true } | { valid: false; code: string; reason: string } = result.valid
    ? { valid: true }
    : { valid: false, code: result.code, reason: result.reason };
  if (result.valid && params.profileCheck && profile === 'psd2') {
    const check = params.profileCheck(result.certificates[0] as ParsedCertificate);
    if (!check.ok) verdict = { valid: false, code: check.code, reason: check.reason };
  }
  const mode = params.offline === true ? 'offline: CRL files only' : 'online';
  const revocation = {
    policy: run.policy,
    online: params.offline !== true,
    answers: answersFor(run.answers, result.valid ? result.certificates : []),
  };

  const path = result.valid ? result.certificates.map(describeCert) : [];
  if (params.json) {
    const body = verdict.valid
      ? {
          valid: true,
          purpose,
          profile,
          path,
          revocation,
          validUntil: result.valid ? result.validUntil.toISOString() : undefined,
        }
      : { valid: false, purpose, profile, code: verdict.code, reason: verdict.reason, revocation };
    return { exitCode: verdict.valid ? 0 : 1, output: `${JSON.stringify(body, null, 2)}\n` };
  }
  const revocationLines =
    revocation.answers.length === 0
      ? []
      : [`revocation (${run.policy}, ${mode}):`, ...revocation.answers.map(answerLine)];
  if (!verdict.valid)
    return {
      exitCode: 1,
      output: `${[`INVALID ${verdict.code}: ${verdict.reason}`, ...revocationLines].join('\n')}\n`,
    };
  const lines = [`VALID for ${purpose} (profile ${profile})`, 'path:'];
  path.forEach((cert, i) => {
    const role = i === 0 ? 'leaf' : i === path.length - 1 ? 'trust anchor' : 'intermediate';
    lines.push(`  ${i}. ${cert.subject}  [${role}, serial ${cert.serial}, notAfter ${cert.notAfter}]`);
  });
  lines.push(...revocationLines);
  if (result.valid) lines.push(`verdict holds until ${result.validUntil.toISOString()}`);
  return { exitCode: 0, output: `${lines.join('\n')}\n` };
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
      new Option(
        '--revocation <policy>',
        'when no revocation source answers: hard-fail refuses, soft-fail admits (as GATEWAY_REVOCATION)',
      )
        .choices(POLICIES)
        .default('hard-fail'),
    )
    .option('--offline', 'ask no OCSP responder and no CRL distribution point: the --crl files only')
    .option(
      '--revocation-timeout <ms>',
      'deadline of the online revocation check, all sources together (as GATEWAY_REVOCATION_TIMEOUT_MS)',
      String(DEFAULT_REVOCATION_TIMEOUT_MS),
    )
    .option(
      '--crl-grace-seconds <s>',
      'how long past its nextUpdate a CRL still counts (as GATEWAY_CRL_GRACE_SECONDS)',
      '0',
    )
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
        revocation: string;
        offline?: boolean;
        revocationTimeout: string;
        crlGraceSeconds: string;
      }) => {
        const { revocationTimeout, ...rest } = options;
        const outcome = await runCertVerify({
          ...rest,
          revocationTimeoutMs: revocationTimeout,
          profile: options.profile ?? (options.purpose === 'clientAuth' ? 'psd2' : 'rfc5280'),
          profileCheck: qwacProfileCheck,
        });
        (outcome.exitCode === 2 ? process.stderr : process.stdout).write(outcome.output);
        process.exitCode = outcome.exitCode;
      },
    );
}
