import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Whether Debian's Chromium is installed. Missing, browser suites skip with a message; under CI=true
 * they must run, so a missing browser fails the run instead.
 */
export function chromiumAvailable(suite: string): boolean {
  const available = existsSync(CHROMIUM);
  if (!available && process.env.CI === 'true')
    throw new Error(`${CHROMIUM} is missing: CI must install chromium (${suite})`);
  if (!available) console.warn(`SKIPPED: ${suite}: ${CHROMIUM} not found (apt-get install chromium)`);
  return available;
}

/** Headless, and without the background traffic this closed network would refuse. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
