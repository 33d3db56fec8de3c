/**
 * `cert verify` asks the revocation sources the certificates name, as the gateway does: certificates made
 * by plain openssl (test/openssl_pki/make_revocation_pki.sh) name their OCSP responder and CRL; real
 * `openssl ocsp` processes answer (a delegated responder for the leaves, the root itself for the issuing
 * CA) and a plain HTTP server publishes the CRL. The exit codes are checked on the command in its own
 * process; the remaining cases call the command's function in this one.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { qwacProfileCheck, runCertVerify, type CertVerifyParams } from '../../src/cli/cert_verify';
import { cliCommand } from '../helpers/cli_process';
import {
  freePorts,
  makeRevocationPki,
  opensslAvailable,
  startHttpServer,
  startOcspResponder,
  type Responder,
} from '../helpers/openssl_revocation';

if (!opensslAvailable) console.warn('openssl not found: the cert verify revocation tests are SKIPPED');

(opensslAvailable ? describe : describe.skip)('cert verify against openssl ocsp and a published CRL', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'psd2-cert-verify-'));
  const file = (name: string) => path.join(dir, name);
  const stops: Responder[] = [];
  const url: Record<'delegated' | 'root' | 'dead' | 'crls', string> = {
    delegated: '',
    root: '',
    dead: '',
    crls: '',
  };

  beforeAll(async () => {
    const [delegated, root, dead, crls] = (await freePorts(4)) as [number, number, number, number];
    const at = (port: number) => `http://127.0.0.1:${port}/`;
    Object.assign(url, { delegated: at(delegated), root: at(root), dead: at(dead), crls: at(crls) });
    makeRevocationPki(
      dir,
      [
        { name: 'good', status: 'good', ocsp: url.delegated },
        { name: 'revoked', status: 'revoked', ocsp: url.delegated },
        // Nothing listens on the dead port: the connection is refused.
        { name: 'down', status: 'good', ocsp: url.dead },
        { name: 'fallback', status: 'good', ocsp: url.dead, crl: `${url.crls}issuing.crl` },
      ],
      url.root,
    );
    stops.push(
      await startOcspResponder(dir, root, 'root', ['-nmin', '10'], {
        cert: 'root.pem',
        index: 'root-index.txt',
      }),
    );
    stops.push(await startOcspResponder(dir, delegated, 'responder', ['-nmin', '10']));
    stops.push(
      await startHttpServer(
        crls,
        new Map([['/issuing.crl', () => readFileSync(file('issuing-ca.crl.der'))]]),
      ),
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all(stops.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  const args = (name: string, ...extra: string[]) => [
    'cert',
    'verify',
    '--anchor',
    file('root.pem'),
    '--chain',
    file(`${name}.chain.pem`),
    '--revocation-timeout',
    '2000',
    ...extra,
  ];
  const verify = (name: string, extra: Partial<CertVerifyParams> = {}) =>
    runCertVerify({
      anchor: file('root.pem'),
      chain: file(`${name}.chain.pem`),
      profile: 'psd2',
      profileCheck: qwacProfileCheck,
      revocationTimeoutMs: 2000,
      ...extra,
    });

  it('a certificate the responder says is good: exit 0, each certificate with the responder that answered', async () => {
    const result = await cliCommand(args('good'));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^VALID for clientAuth \(profile psd2\)\n/);
    expect(result.stdout).toContain('\nrevocation (hard-fail, online):\n');
    expect(result.stdout).toMatch(
      new RegExp(`\\n  CN=[^\\n]*: good, answered by OCSP responder ${url.delegated} \\(until \\d{4}-`),
    );
    // The issuing CA names the root's responder, which answers for it.
    expect(result.stdout).toMatch(
      new RegExp(`\\n  CN=[^\\n]*Issuing[^\\n]*: good, answered by OCSP responder ${url.root} \\(until`, 'i'),
    );
  }, 60_000);

  it('a certificate the responder says is revoked: exit 1, CERTIFICATE_REVOKED, the responder named', async () => {
    const result = await cliCommand(args('revoked'));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^INVALID CERTIFICATE_REVOKED: certificate CN=[^\n]* was revoked at [^\n]*\(OCSP\)\n/,
    );
    expect(result.stdout).toContain(`: REVOKED, answered by OCSP responder ${url.delegated}`);
  }, 60_000);

  it('responder down under hard-fail: exit 1, and the operator sees which source failed how', async () => {
    const result = await cliCommand(args('down'));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^INVALID CERTIFICATE_INVALID: revocation status of CN=[^\n]* could not be established: no revocation source answered\n/,
    );
    expect(result.stdout).toContain(`: no answer: OCSP responder ${url.dead}: refused the connection`);
  }, 60_000);

  it('a policy that is not one: exit 2', async () => {
    const result = await cliCommand(args('good', '--revocation', 'fail-open'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--revocation/);
  }, 60_000);

  it('responder down under soft-fail: valid, the certificate reported as not checked', async () => {
    const outcome = await verify('down', { revocation: 'soft-fail' });
    expect(outcome.exitCode).toBe(0);
    expect(outcome.output).toContain('\nrevocation (soft-fail, online):\n');
    expect(outcome.output).toMatch(
      new RegExp(
        `: not checked: no source answered \\(OCSP responder ${url.dead}: refused the connection\\); admitted under soft-fail`,
      ),
    );
  });

  it('responder down, CRL distribution point up: the CRL answers', async () => {
    const outcome = await verify('fallback', { json: true });
    expect(outcome.exitCode).toBe(0);
    const body = JSON.parse(outcome.output) as { revocation: { answers: Record<string, unknown>[] } };
    expect(body.revocation.answers[0]).toMatchObject({
      status: 'good',
      source: `the CRL at ${url.crls}issuing.crl`,
      nextUpdate: expect.stringMatching(/^\d{4}-/),
    });
  });

  it('--offline asks no network source: the certificate is reported as not checked', async () => {
    const outcome = await verify('revoked', { offline: true });
    expect(outcome.exitCode).toBe(0);
    expect(outcome.output).toContain('\nrevocation (hard-fail, offline: CRL files only):\n');
    expect(outcome.output).toContain(
      ': not checked: the sources the certificate names are online, and fetching is off',
    );
    // With the CA's CRL file given, offline still finds the revocation.
    const withFile = await verify('revoked', { offline: true, crl: [file('issuing-ca.crl.pem')] });
    expect(withFile.exitCode).toBe(1);
    expect(withFile.output).toMatch(/^INVALID CERTIFICATE_REVOKED/);
    expect(withFile.output).toContain(': REVOKED, answered by a configured CRL file (CRL of ');
  });
});
