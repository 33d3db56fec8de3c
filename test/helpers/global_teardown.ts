import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const dir = process.env.PSD2_TEST_PKI_DIR;
  if (dir !== undefined && dir.includes('psd2-test-pki-')) rmSync(dir, { recursive: true, force: true });
}
