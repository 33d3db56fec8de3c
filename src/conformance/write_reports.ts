/**
 * Writes report.json, junit.xml and report.html, then SHA256SUMS over the three in the format
 * `sha256sum -c` reads, so an auditor can check that the files handed over are the ones produced.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderHtmlReport } from './html_report';
import { renderJunitReport } from './junit_report';
import type { SuiteReport } from './suite_report';

export const REPORT_FILES = ['report.json', 'junit.xml', 'report.html'] as const;
export const CHECKSUM_FILE = 'SHA256SUMS';

export function writeReports(report: SuiteReport, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const contents: Record<(typeof REPORT_FILES)[number], string> = {
    'report.json': `${JSON.stringify(report, null, 2)}\n`,
    'junit.xml': renderJunitReport(report),
    'report.html': renderHtmlReport(report),
  };
  const sums: string[] = [];
  for (const name of REPORT_FILES) {
    const data = Buffer.from(contents[name], 'utf8');
    writeFileSync(path.join(dir, name), data);
    sums.push(`${createHash('sha256').update(data).digest('hex')}  ${name}`);
  }
  writeFileSync(path.join(dir, CHECKSUM_FILE), `${sums.join('\n')}\n`);
  return [...REPORT_FILES, CHECKSUM_FILE].map((f) => path.join(dir, f));
}
