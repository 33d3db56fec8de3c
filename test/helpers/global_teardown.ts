import { rmSync } from 'node:fs';

/** How long jest may take to exit on its own after the last test before a leak is called a failure. */
const EXIT_GRACE_MS = 30_000;

export default async function globalTeardown(): Promise<void> {
  const dir = process.env.PSD2_TEST_PKI_DIR;
  if (dir !== undefined && dir.includes('psd2-test-pki-')) rmSync(dir, { recursive: true, force: true });
  // CI runs the suites in this process (one worker on two cores): a server, socket or timer a test left
  // open keeps jest alive until CI's own time limit. The timer is unref'd, so it fires only when
  // something else still holds the process; then the run fails at once, naming what was left open.
  setTimeout(() => {
    const open = process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap');
    process.stderr.write(
      `\njest did not exit ${EXIT_GRACE_MS / 1000} s after the last test: a test left open ${open.join(', ')}. ` +
        'Run the suites with --runInBand --detectOpenHandles to find it.\n',
    );
    process.exit(1);
  }, EXIT_GRACE_MS).unref();
}
