/**
 * The command-line tools as a user meets them on a fresh clone: the build in a directory that holds what
 * a clone holds (package.json, openapi/, fixtures/*.json, node_modules) and no generated fixture PKI, no
 * database, no prior `npm start`. Each command runs as a child process, so exit codes and output are
 * what a shell sees.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestGateway } from '../helpers/test_gateway';
import { testPkiDir, testPkiFiles } from '../helpers/test_pki';

const root = path.resolve(__dirname, '..', '..');
const clone = mkdtempSync(path.join(tmpdir(), 'psd2-fresh-clone-'));
const cli = path.join(clone, 'dist', 'cli', 'main.js');
afterAll(() => rmSync(clone, { recursive: true, force: true }));

beforeAll(() => {
  copyFileSync(path.join(root, 'package.json'), path.join(clone, 'package.json'));
  cpSync(path.join(root, 'openapi'), path.join(clone, 'openapi'), { recursive: true });
  mkdirSync(path.join(clone, 'fixtures'));
  for (const file of ['sandbox_bank.json', 'client_cases.json'])
    copyFileSync(path.join(root, 'fixtures', file), path.join(clone, 'fixtures', file));
  symlinkSync(path.join(root, 'node_modules'), path.join(clone, 'node_modules'), 'dir');
  execFileSync(
    process.execPath,
    [
      path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      path.join(root, 'tsconfig.build.json'),
      '--outDir',
      path.join(clone, 'dist'),
      '--tsBuildInfoFile',
      path.join(clone, 'dist', '.tsbuildinfo'),
    ],
    { cwd: root, stdio: 'pipe' },
  );
}, 240_000);

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string> = {}, timeout = 60_000): Run {
  const result = spawnSync(process.execPath, [cli, ...args], {
    cwd: clone,
    encoding: 'utf8',
    timeout,
    // The gateway's variables of the developer's shell must not leak into a "fresh" run.
    env: { PATH: process.env.PATH ?? '', HOME: clone, ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('psd2-gateway CLI on a fresh clone', () => {
  it('prints its version with --version and -V', () => {
    const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string })
      .version;
    expect(run(['--version'])).toMatchObject({ status: 0, stdout: `${version}\n` });
    expect(run(['-V']).stdout).toBe(`${version}\n`);
  });

  it.each([
    ['an unknown option', ['cert', 'inspect', 'x.pem', '--nope']],
    ['a missing argument', ['cert', 'inspect']],
    ['an unknown command', ['frobnicate']],
    ['a group without its subcommand', ['cert']],
    ['a missing required option', ['cert', 'verify', '--chain', 'x.pem']],
    ['a bad choice', ['consent', 'list', '--status', 'happy']],
    ['--crl without --anchor', ['cert', 'inspect', 'package.json', '--crl', 'x.crl']],
  ])('exits 2 on a usage error: %s', (_name, args) => {
    const result = run(args);
    expect(result.status).toBe(2);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  describe('cert inspect says what it judged and never accepts what the gateway refuses', () => {
    const clientChain = (id: string) => path.join(testPkiDir(), 'clients', `${id}.chain.pem`);
    const refused = [
      ['expired', 'CERTIFICATE_EXPIRED'],
      ['revoked', 'CERTIFICATE_REVOKED'],
      ['mallory-copied-names', 'CERTIFICATE_INVALID'],
      ['mallory-own-ca', 'CERTIFICATE_INVALID'],
      ['rsa-1024', 'CERTIFICATE_INVALID'],
      ['sha1-signature', 'CERTIFICATE_INVALID'],
    ] as const;

    it.each(refused)('%s without --anchor: QWAC profile only, no verdict', (id) => {
      const result = run(['cert', 'inspect', clientChain(id)]);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/Gateway verdict: +not judged: only the QWAC profile/);
      expect(result.stdout).not.toMatch(/ACCEPTED/);
    });

    it.each(refused)('%s with --anchor and the CRLs: REFUSED %s, exit 1', (id, code) => {
      const files = testPkiFiles();
      const args = ['cert', 'inspect', clientChain(id), '--anchor', files.anchor];
      for (const crl of files.crls) args.push('--crl', crl);
      const result = run(args);
      expect(result.status).toBe(1);
      expect(result.stdout).toMatch(new RegExp(`Gateway verdict: +REFUSED ${code}: `));
      expect(result.stdout).toMatch(/full validation against .* with 2 CRL\(s\)/);
      expect(result.stdout).not.toMatch(/ACCEPTED/);
      if (id === 'revoked') {
        const json = JSON.parse(run([...args, '--json']).stdout) as { gatewayVerdict: unknown };
        expect(json.gatewayVerdict).toMatchObject({ judged: 'full-validation', accepted: false, code });
      }
    });

    it('accepts Alice with --anchor, naming her organizationIdentifier and roles', () => {
      const files = testPkiFiles();
      const result = run(['cert', 'inspect', clientChain('alice'), '--anchor', files.anchor]);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/Gateway verdict: +ACCEPTED as TPP PSD\S+ \(roles PSP_AI/);
      expect(result.stdout).toMatch(/no CRL \(revocation not checked\)/);
    });
  });

  describe('consent on a database the gateway has used', () => {
    const dbDir = mkdtempSync(path.join(tmpdir(), 'psd2-cli-db-'));
    const url = `sqlite:${path.join(dbDir, 'gateway.db')}`;
    afterAll(() => rmSync(dbDir, { recursive: true, force: true }));

    beforeAll(async () => {
      // The gateway migrates the database with all its tables, then stops, as after `npm start` + Ctrl-C.
      const gateway = await startTestGateway(url);
      await gateway.close();
    });

    it('lists, and refuses to decide an unknown consent with exit 1', () => {
      const list = run(['consent', 'list'], { GATEWAY_DATABASE_URL: url });
      expect(list).toMatchObject({ status: 0, stdout: 'no consents\n' });
      expect(run(['consent', 'list', '--json'], { GATEWAY_DATABASE_URL: url }).stdout).toBe('[]\n');
      for (const args of [
        ['consent', 'authorise', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '--psu', 'anna'],
        ['consent', 'reject', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
      ]) {
        const decided = run(args, { GATEWAY_DATABASE_URL: url });
        expect(decided.status).toBe(1);
        expect(decided.stderr).toMatch(/CONSENT_UNKNOWN/);
        expect(decided.stderr).not.toMatch(/corrupted migrations/);
      }
    });
  });

  it('runs the conformance suite without a prior npm start, generating the fixture PKI itself', () => {
    expect(existsSync(path.join(clone, 'fixtures', 'pki'))).toBe(false);
    const reports = path.join(clone, 'reports');
    const result = run(
      ['conformance', '--only', 'roles', '--report-dir', reports, '--no-color'],
      {},
      170_000,
    );
    expect(result.stderr).not.toMatch(/trust anchor not found/);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/started a gateway on the fixtures/);
    expect(existsSync(path.join(clone, 'trust-anchors', 'trent-root.pem'))).toBe(true);
    expect(existsSync(path.join(reports, 'report.json'))).toBe(true);
  }, 180_000);
});
