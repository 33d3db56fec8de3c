/**
 * The README's walkthrough, run exactly as written (the block between the walkthrough markers) by bash
 * against a freshly started gateway. Only the gateway's address and the location of the certificates
 * differ from a developer's machine: the run's PKI is linked where the README expects fixtures/pki and
 * trust-anchors.
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config/project_root';
import type { RunningGateway } from '../../src/gateway';
import { startTestGateway } from '../helpers/test_gateway';
import { runBash } from '../helpers/run_bash';
import { testPkiDir } from '../helpers/test_pki';

function walkthroughScript(): string {
  const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  const match = /<!-- walkthrough:begin -->\s*```bash\n([\s\S]*?)```\s*<!-- walkthrough:end -->/.exec(readme);
  if (match?.[1] === undefined) throw new Error('README.md has no walkthrough block');
  return match[1];
}

describe('README walkthrough', () => {
  let gateway: RunningGateway;
  const work = mkdtempSync(path.join(os.tmpdir(), 'psd2-readme-'));

  beforeAll(async () => {
    mkdirSync(path.join(work, 'fixtures'));
    symlinkSync(testPkiDir(), path.join(work, 'fixtures', 'pki'));
    symlinkSync(path.join(testPkiDir(), 'trust-anchors'), path.join(work, 'trust-anchors'));
    gateway = await startTestGateway(`sqlite:${path.join(work, 'gateway.db')}`);
  });

  afterAll(async () => {
    await gateway?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('runs as written: consent, PSU approval, token, reads, Carol refused, DELETE', async () => {
    const { code, stdout, stderr } = await runBash(walkthroughScript(), work, { GW: gateway.url });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^consent [A-Za-z0-9_-]{32}$/m);
    expect(stdout).toMatch(
      /PSU's browser goes back to https:\/\/api\.bank-of-alice\.example\/callback\?code=[^&\s]+&state=demo/,
    );
    expect(stdout).toContain('"iban":"DE37100200300000123401"');
    expect(stdout).toContain('"balanceType":"closingBooked"');
    expect(stdout).toContain('"transactions":');
    expect(stdout).toContain('"code":"TOKEN_INVALID"');
    expect(stdout).toContain('DELETE 204');
    expect(stdout).toContain('"consentStatus":"terminatedByTpp"');
  }, 60_000);
});
