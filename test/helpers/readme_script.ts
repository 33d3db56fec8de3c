/**
 * README blocks run as written: the bash block between `<!-- NAME:begin -->` and `<!-- NAME:end -->`, and a
 * working directory laid out as the README expects (fixtures/pki and trust-anchors linked to the run's
 * PKI) with a freshly started gateway. Only the gateway's address and the certificates' location differ
 * from a developer's machine.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config/project_root';
import type { RunningGateway } from '../../src/gateway';
import { startTestGateway } from './test_gateway';
import { testPkiDir } from './test_pki';

export function readmeScript(name: string): string {
  const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  const match = new RegExp(
    `<!-- ${name}:begin -->\\s*\`\`\`bash\\n([\\s\\S]*?)\`\`\`\\s*<!-- ${name}:end -->`,
  ).exec(readme);
  if (match?.[1] === undefined) throw new Error(`README.md has no ${name} block`);
  return match[1];
}

/** Registers beforeAll/afterAll in the calling describe; read the fields inside tests. */
export function readmeWorkspace(prefix: string): { work: string; gateway(): RunningGateway } {
  let gateway: RunningGateway | undefined;
  const work = mkdtempSync(path.join(os.tmpdir(), prefix));
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
  return {
    work,
    gateway: () => {
      if (gateway === undefined) throw new Error('the gateway has not started');
      return gateway;
    },
  };
}
