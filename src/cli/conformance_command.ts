/**
 * `psd2-gateway conformance`: runs the black-box suite against a deployment (--target) or against a
 * gateway it starts itself on the fixtures, prints progress, writes the evidence and sets the exit code
 * (0 all PASS/SKIP, 1 any FAIL, 2 usage or pre-flight error).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { FIXTURE_DEFAULTS, FIXTURE_PKI_DIR } from '../config/config';
import { PROJECT_ROOT } from '../config/project_root';
import { readSandboxBankFixture } from '../accounts/sandbox_bank';
import { catalogue } from '../conformance/catalogue';
import { loadClientCases, type ClientCaseRow } from '../conformance/client_cases';
import { IdentityStore } from '../conformance/identity_store';
import { preflight } from '../conformance/preflight';
import { runSuite, selectCases, SelectionError } from '../conformance/runner';
import { DEFAULT_ROLES, SuiteContext, type PsuCredentials } from '../conformance/suite_context';
import { buildSuiteReport } from '../conformance/suite_report';
import { TerminalReporter } from '../conformance/terminal_reporter';
import { writeReports } from '../conformance/write_reports';
import { toolVersion } from './tool_version';
import { ensureFixturePki } from '../fixtures/fixture_pki';
import { startGateway } from '../gateway';

export const DEFAULTS = {
  anchor: FIXTURE_DEFAULTS.trustAnchorFile,
  identities: `${FIXTURE_PKI_DIR}/clients`,
  cases: 'fixtures/client_cases.json',
  sandbox: 'fixtures/sandbox_bank.json',
  reportDir: 'reports/conformance',
  /** Used only when neither --psu nor the sandbox file gives credentials. */
  psu: { username: 'psu', password: 'password' },
} as const;

export interface ConformanceOptions {
  target?: string;
  anchor: string;
  identities: string;
  cases: string;
  psu?: string;
  /** Hex TOTP seed of the PSU given by --psu (its second factor). */
  psuTotpSeed?: string;
  serverName?: string;
  only?: string;
  skip?: string;
  reportDir: string;
  json?: boolean;
  color: boolean;
  /** The target requires request signatures: sign with `<id>-seal` identities and run the signatures group. */
  signatures?: boolean;
}

export interface ConformanceIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTty: boolean;
  /** Starts a gateway on the fixtures when no --target is given. */
  startGateway?: () => Promise<StartedGateway>;
  /**
   * Makes sure the fixture PKI the started gateway and the suite's identities come from exists (and is
   * not about to expire) when no --target is given; default: generate it in the project, as `npm start` does.
   */
  prepareFixtures?: (progress: (line: string) => void) => Promise<void>;
}

/** The project's fixture PKI, generated on first use like `npm start` does. */
async function prepareProjectFixtures(progress: (line: string) => void): Promise<void> {
  const pki = await ensureFixturePki({
    outDir: path.join(PROJECT_ROOT, FIXTURE_PKI_DIR),
    trustAnchorDir: path.join(PROJECT_ROOT, 'trust-anchors'),
    onProgress: (line) => progress(`fixtures: ${line}`),
  });
  if (pki.action !== 'reused') progress(`fixture PKI ${pki.action} in ${FIXTURE_PKI_DIR}`);
}

/**
 * Without --target the suite runs against the project's own fixtures, wherever it is started from; a
 * relative path the user gave is still relative to the working directory.
 */
function fixturePath(value: string, fallback: string): string {
  return value === fallback ? path.join(PROJECT_ROOT, fallback) : value;
}

export interface StartedGateway {
  url: string;
  close(): Promise<void>;
}

class UsageError extends Error {}

/** Seal identities the signatures group expects to be valid (the refused ones are expected not to be). */
const SEAL_IDENTITIES = ['alice-seal', 'carol-seal', 'alice-seal-pi-only'];

/**
 * A gateway on the fixtures for `npm run conformance`: a free port on 127.0.0.1 and a throwaway SQLite
 * file, so a run never depends on, nor changes, the developer's own database.
 */
export async function startFixtureGateway(requireSignature = false): Promise<StartedGateway> {
  const dir = mkdtempSync(path.join(tmpdir(), 'psd2-conformance-db-'));
  const gateway = await startGateway({
    ...(requireSignature ? { env: { ...process.env, GATEWAY_REQUIRE_SIGNATURE: 'true' } } : {}),
    host: '127.0.0.1',
    port: 0,
    quiet: true,
    databaseUrl: `sqlite:${path.join(dir, 'gateway.db')}`,
  });
  return {
    url: gateway.url,
    close: async () => {
      await gateway.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `--psu` wins, then fixtures/sandbox_bank.json (several plausible shapes), then the documented default. */
export function resolvePsu(flag: string | undefined, sandboxFile: string): PsuCredentials {
  if (flag !== undefined) {
    const colon = flag.indexOf(':');
    if (colon <= 0) throw new UsageError('--psu expects USER:PASSWORD');
    return { username: flag.slice(0, colon), password: flag.slice(colon + 1) };
  }
  if (existsSync(sandboxFile)) {
    // Our own sandbox: the PSU logs in with its psuId.
    const first = readSandboxBankFixture(sandboxFile).psus[0];
    if (first !== undefined) {
      return { username: first.psuId, password: first.password, totpSeed: first.totpSeed };
    }
  }
  return { ...DEFAULTS.psu };
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** The whole command as a function of its options, returning the exit code; tests call it directly. */
export async function runConformance(options: ConformanceOptions, io: ConformanceIo): Promise<number> {
  const colour = options.color && io.isTty && options.json !== true;
  const progress = new TerminalReporter(options.json === true ? io.stderr : io.stdout, colour);
  let gateway: StartedGateway | undefined;
  try {
    if (options.target === undefined) {
      await (io.prepareFixtures ?? prepareProjectFixtures)((line) => progress.line(line));
      options = {
        ...options,
        anchor: fixturePath(options.anchor, DEFAULTS.anchor),
        identities: fixturePath(options.identities, DEFAULTS.identities),
        cases: fixturePath(options.cases, DEFAULTS.cases),
      };
    }
    if (!existsSync(options.anchor)) throw new UsageError(`trust anchor not found: ${options.anchor}`);
    const anchorPem = readFileSync(options.anchor, 'utf8');
    let clientCases: ClientCaseRow[] = [];
    if (existsSync(options.cases)) clientCases = loadClientCases(options.cases);
    else progress.line(`note: ${options.cases} not found: the client-certificate group has no cases`);
    const psu = resolvePsu(options.psu, DEFAULTS.sandbox);
    if (options.psuTotpSeed !== undefined) {
      if (!/^(?:[0-9a-fA-F]{2})+$/.test(options.psuTotpSeed))
        throw new UsageError('--psu-totp-seed expects hex');
      psu.totpSeed = options.psuTotpSeed;
    }
    const identities = new IdentityStore(options.identities);
    const cases = selectCases(catalogue(clientCases), list(options.only), list(options.skip));

    const validRows = clientCases.filter((r) => r.expect.status === 200).map((r) => r.id);
    const check = preflight({
      anchorPem,
      identities,
      required: [DEFAULT_ROLES.alice, DEFAULT_ROLES.carol],
      optional: [
        ...validRows,
        DEFAULT_ROLES.piOnly,
        ...(options.signatures === true ? SEAL_IDENTITIES.filter((id) => identities.has(id)) : []),
      ],
    });
    progress.line(
      `pre-flight against anchor ${check.anchorSubject ?? '?'} (SHA-256 ${check.anchorFingerprint ?? '?'})`,
    );
    for (const p of check.problems) progress.line(`  problem: ${p}`);
    for (const f of check.findings) {
      progress.line(
        `  ${f.usable ? 'ok      ' : f.required ? 'UNUSABLE' : 'unusable'} ${f.identity}: ${f.message}`,
      );
    }
    if (!check.ok) {
      io.stderr(
        "conformance: pre-flight failed: the suite's own identities are unusable (see above); nothing was run\n",
      );
      return 2;
    }

    let target = options.target;
    let serverName = options.serverName;
    if (target === undefined) {
      gateway = await (io.startGateway ?? (() => startFixtureGateway(options.signatures === true)))();
      target = gateway.url;
      // The fixture server certificate is issued for localhost.
      serverName ??= 'localhost';
      progress.line(`started a gateway on the fixtures at ${target}`);
    }
    let targetUrl: URL;
    try {
      targetUrl = new URL(target);
    } catch {
      throw new UsageError(`--target is not a URL: ${target}`);
    }
    if (targetUrl.protocol !== 'https:') throw new UsageError('--target must be an https:// URL');

    const ctx = new SuiteContext({
      target: targetUrl.origin,
      ...(serverName !== undefined ? { serverName } : {}),
      anchorPem,
      identities,
      clientCases,
      psu,
      ...(options.signatures === true ? { signatures: true } : {}),
    });
    progress.line(
      `running ${cases.length} cases against ${targetUrl.origin} (server name ${ctx.serverName})`,
    );
    const run = await runSuite({ ctx, cases, onResult: (r) => progress.caseFinished(r) });
    const report = buildSuiteReport({
      run,
      tool: { name: 'psd2-gateway', version: toolVersion() },
      target: targetUrl.origin,
      serverName: ctx.serverName,
      anchor: { subject: check.anchorSubject ?? null, sha256: ctx.anchorFingerprint },
      tls: { protocol: ctx.firstConnection?.protocol ?? null, cipher: ctx.firstConnection?.cipher ?? null },
      preflight: check.findings,
    });
    const files = writeReports(report, options.reportDir);
    progress.summary(report, files);
    if (options.json === true) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    return report.verdict === 'FAIL' ? 1 : 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof SelectionError) {
      io.stderr(`conformance: ${error.message}\n`);
      return 2;
    }
    throw error;
  } finally {
    await gateway?.close();
  }
}

export function conformanceCommand(): Command {
  return new Command('conformance')
    .description('run the black-box PSD2 conformance suite and write JSON, JUnit and HTML evidence')
    .option('--target <url>', 'gateway to test, https://host:port (default: start one on the fixtures)')
    .option('--anchor <file>', 'the trust anchor (PEM)', DEFAULTS.anchor)
    .option(
      '--identities <dir>',
      'directory of <id>.chain.pem / <id>.key.pem client identities',
      DEFAULTS.identities,
    )
    .option('--cases <file>', 'client-certificate cases (JSON array)', DEFAULTS.cases)
    .option(
      '--psu <user:password>',
      `sandbox PSU credentials (default: from ${DEFAULTS.sandbox}, else psu:password)`,
    )
    .option(
      '--psu-totp-seed <hex>',
      "the PSU's TOTP seed, for a sign-in form that asks for a one-time code (default: from the sandbox file)",
    )
    .option('--server-name <name>', "name the server certificate must carry (default: the target's host)")
    .option('--only <ids>', 'comma-separated case ids or groups to run')
    .option('--skip <ids>', 'comma-separated case ids or groups to leave out')
    .option(
      '--report-dir <dir>',
      'where report.json, junit.xml, report.html and SHA256SUMS go',
      DEFAULTS.reportDir,
    )
    .option(
      '--signatures',
      'the target requires request signatures: sign with <id>-seal identities and run the signatures group',
    )
    .option('--json', 'print the JSON report on stdout (progress goes to stderr)')
    .option('--no-color', 'no ANSI colours')
    .action(async (options: ConformanceOptions) => {
      process.exitCode = await runConformance(options, {
        stdout: (t) => process.stdout.write(t),
        stderr: (t) => process.stderr.write(t),
        isTty: process.stdout.isTTY === true,
      });
    });
}
