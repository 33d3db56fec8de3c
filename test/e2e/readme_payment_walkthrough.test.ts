/**
 * The README's payment walkthrough, run exactly as written (the block between the payment-walkthrough
 * markers) by bash against a freshly started gateway, as readme_walkthrough.test.ts does for AIS.
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
  const match =
    /<!-- payment-walkthrough:begin -->\s*```bash\n([\s\S]*?)```\s*<!-- payment-walkthrough:end -->/.exec(
      readme,
    );
  if (match?.[1] === undefined) throw new Error('README.md has no payment walkthrough block');
  return match[1];
}

describe('README payment walkthrough', () => {
  let gateway: RunningGateway;
  const work = mkdtempSync(path.join(os.tmpdir(), 'psd2-readme-pis-'));

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

  it('runs as written: initiation, retry, Carol refused, authorisation, ACSC, the booked debit', async () => {
    const { code, stdout, stderr } = await runBash(walkthroughScript(), work, { GW: gateway.url });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const id = /^payment ([A-Za-z0-9_-]+)$/m.exec(stdout)?.[1];
    expect(id).toBeDefined();
    expect(stdout).toContain(`retry ${id as string}`);
    expect(stdout).toContain('"code":"ROLE_INVALID"');
    expect(stdout).toMatch(/"scaStatus":"received","authorisationId":"[A-Za-z0-9_-]+","_links":\{"scaOAuth"/);
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
