/**
 * The README's openssl signing recipe, run exactly as written (the block between the signing markers) by bash
 * with openssl and curl against a gateway started with GATEWAY_REQUIRE_SIGNATURE=true over real TLS, then the
 * recipe's own `sign` used for each refusal the issue names. As in the walkthrough test, the run's PKI is
 * linked where the README expects fixtures/pki and trust-anchors.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config/project_root';
import type { RunningGateway } from '../../src/gateway';
import { startTestGateway } from '../helpers/test_gateway';
import { runBash, type BashResult } from '../helpers/run_bash';
import { testPkiDir } from '../helpers/test_pki';

function signingRecipe(): string {
  const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  const match = /<!-- signing:begin -->\s*```bash\n([\s\S]*?)```\s*<!-- signing:end -->/.exec(readme);
  if (match?.[1] === undefined) throw new Error('README.md has no signing block');
  return match[1];
}

/** Each line: LABEL <response body> <status>, using only the recipe's variables and its `sign`. */
const REFUSALS = `
attempt() {
  printf '%s ' "$1"
  curl -s $ALICE "$GW/v1/consents" -H 'Content-Type: application/json' \\
    -H "TPP-Redirect-URI: \${SENT_REDIRECT_URI:-$REDIRECT_URI}" "\${SIGNED[@]}" --data-binary @"$2" -w ' %{http_code}\\n'
}
printf %s '{"access":{"allPsd2":"allAccounts"},"recurringIndicator":false,"validUntil":"2030-12-31","frequencyPerDay":1}' > other.json
CLIENTS=fixtures/pki/clients
sign qsealc.pem qsealc.key.pem consent.json
attempt changed-body other.json
sign qsealc.pem qsealc.key.pem consent.json
SENT_REDIRECT_URI=https://api.bank-of-alice.example/elsewhere attempt changed-signed-header consent.json
SIGNED_HEADERS="digest x-request-id" sign qsealc.pem qsealc.key.pem consent.json
attempt header-missing-from-list consent.json
ALGORITHM=SHA256withRSA sign $CLIENTS/carol-seal.chain.pem $CLIENTS/carol-seal.key.pem consent.json
attempt another-organisations-seal consent.json
sign $CLIENTS/alice.chain.pem $CLIENTS/alice.key.pem consent.json
attempt qwac-as-seal consent.json
sign $CLIENTS/expired-seal.chain.pem $CLIENTS/expired-seal.key.pem consent.json
attempt expired-seal consent.json
`;

describe('README signing recipe (openssl and curl, GATEWAY_REQUIRE_SIGNATURE=true)', () => {
  let gateway: RunningGateway;
  const work = mkdtempSync(path.join(os.tmpdir(), 'psd2-readme-signing-'));
  let result: BashResult;

  beforeAll(async () => {
    mkdirSync(path.join(work, 'fixtures'));
    symlinkSync(testPkiDir(), path.join(work, 'fixtures', 'pki'));
    symlinkSync(path.join(testPkiDir(), 'trust-anchors'), path.join(work, 'trust-anchors'));
    gateway = await startTestGateway(`sqlite:${path.join(work, 'gateway.db')}`, {
      GATEWAY_REQUIRE_SIGNATURE: 'true',
    });
    result = await runBash(`${signingRecipe()}\n${REFUSALS}`, work, { GW: gateway.url });
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const line = (label: string): string => {
    const found = result.stdout.split('\n').find((l) => l.startsWith(`${label} `));
    if (found === undefined) throw new Error(`no output for ${label}:\n${result.stdout}\n${result.stderr}`);
    return found;
  };

  it('runs as written, and the correctly signed request creates the consent', () => {
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toMatch(/^\{"consentStatus":"received","consentId":"[^"]+".* 201$/);
  });

  it.each([
    ['changed-body', 'SIGNATURE_INVALID', /Digest SHA-256 does not match the request body/],
    ['changed-signed-header', 'SIGNATURE_INVALID', /signature does not verify/],
    ['header-missing-from-list', 'SIGNATURE_INVALID', /sends tpp-redirect-uri but headers does not list it/],
    ['another-organisations-seal', 'CERTIFICATE_INVALID', /belongs to PSDFR-ACPR-654321/],
    ['qwac-as-seal', 'CERTIFICATE_INVALID', /not eseal/],
    ['expired-seal', 'CERTIFICATE_EXPIRED', /expired/],
  ])('%s is refused: 401 %s', (label, code, text) => {
    const output = line(label);
    expect(output).toMatch(/ 401$/);
    const body = JSON.parse(output.slice(label.length + 1, -4)) as {
      tppMessages: Array<{ code: string; text: string }>;
    };
    expect(body.tppMessages[0]?.code).toBe(code);
    expect(body.tppMessages[0]?.text).toMatch(text);
  });
});
