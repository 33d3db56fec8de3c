/**
 * The README's payment walkthrough, run exactly as written (the block between the payment-walkthrough
 * markers) by bash against a freshly started gateway (see readme_script.ts for the working directory).
 */
import { runBash } from '../helpers/run_bash';
import { readmeScript, readmeWorkspace } from '../helpers/readme_script';

describe('README payment walkthrough', () => {
  const workspace = readmeWorkspace('psd2-readme-pis-');

  it('runs as written: initiation, retry, Carol refused, authorisation bound to amount and payee, ACSC, the booked debit', async () => {
    const { code, stdout, stderr } = await runBash(readmeScript('payment-walkthrough'), workspace.work, {
      GW: workspace.gateway().url,
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const id = /^payment ([A-Za-z0-9_-]+)$/m.exec(stdout)?.[1];
    expect(id).toBeDefined();
    expect(stdout).toContain(`retry ${id as string}`);
    expect(stdout).toContain('"code":"ROLE_INVALID"');
    expect(stdout).toMatch(/"scaStatus":"received","authorisationId":"[A-Za-z0-9_-]+","_links":\{"scaOAuth"/);
    // The one-time code is bound to amount and payee: the code for 250.00 EUR does not sign Anna in.
    expect(stdout).toContain('The username, password or one-time code is not correct. Please try again.');
    expect(stdout).toContain('Pay 25.00 EUR to Bob Builder?');
    expect(stdout).toContain(`PIS:${id as string}`);
    expect(stdout).toContain('{"transactionStatus":"ACSC"}');
    const booked = /"booked":\[(\{[^\]]*\})\]/.exec(stdout)?.[1];
    expect(JSON.parse(booked ?? '{}')).toMatchObject({
      transactionAmount: { currency: 'EUR', amount: '-25.00' },
      creditorName: 'Bob Builder',
      remittanceInformationUnstructured: 'Invoice 4711',
    });
  }, 90_000);
});
