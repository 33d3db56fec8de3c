import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateFixturePki } from '../../src/fixtures/fixture_pki';

/**
 * One fixture PKI per test run, generated before any worker starts (generation is not safe to run
 * concurrently) and never the developer's own fixtures/pki.
 */
export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'psd2-test-pki-'));
  await generateFixturePki({ outDir: dir, trustAnchorDir: path.join(dir, 'trust-anchors') });
  process.env.PSD2_TEST_PKI_DIR = dir;
}
