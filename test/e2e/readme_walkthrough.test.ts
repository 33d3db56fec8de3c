/**
 * The README's walkthrough, run exactly as written (the block between the walkthrough markers) by bash
 * against a freshly started gateway (see readme_script.ts for the working directory).
 */
import { runBash } from '../helpers/run_bash';
import { readmeScript, readmeWorkspace } from '../helpers/readme_script';

describe('README walkthrough', () => {
  const workspace = readmeWorkspace('psd2-readme-');

  it('runs as written: consent, PSU approval, token, reads, Carol refused, DELETE', async () => {
    const { code, stdout, stderr } = await runBash(readmeScript('walkthrough'), workspace.work, {
      GW: workspace.gateway().url,
    });
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
