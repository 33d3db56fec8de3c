import { spawnSync } from 'node:child_process';

let probed: boolean | undefined;

/**
 * Whether the `openssl` command is on PATH. Missing, the suites that drive it skip with a message on a
 * laptop; under CI=true they must run, so a missing openssl fails the run instead (`.ci/run` installs it).
 */
export function opensslAvailable(suite: string): boolean {
  probed ??= spawnSync('openssl', ['version']).status === 0;
  if (!probed && process.env.CI === 'true')
    throw new Error(`openssl is not on PATH and CI=true: ${suite} must run in CI (apt-get install openssl)`);
  if (!probed) console.warn(`SKIPPED: ${suite}: no \`openssl\` on PATH (apt-get install openssl)`);
  return probed;
}
