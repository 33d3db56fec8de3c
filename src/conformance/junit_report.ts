/**
 * JUnit XML as CI systems read it (Jenkins, GitLab, GitHub test reporters): one <testsuite> per group,
 * a <failure> for FAIL, <skipped message> for SKIP, and the evidence in <system-out>.
 */
import type { CaseResult } from './conformance_case';
import type { SuiteReport } from './suite_report';

/** Escapes for text and attribute values, dropping characters XML 1.0 cannot carry at all. */
export function xmlEscape(text: string): string {
  return text
    .replace(/[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

export function evidenceText(r: CaseResult): string {
  const lines = [`clause: ${r.clause}`, `expected: ${r.expected}`, `observed: ${r.observed}`];
  if (r.reason !== undefined) lines.push(`reason: ${r.reason}`);
  const e = r.evidence;
  if (e.request !== undefined) lines.push(`request: ${e.request}`);
  if (e.status !== undefined) lines.push(`status: ${e.status}`);
  if (e.code !== undefined && e.code !== null) lines.push(`code: ${e.code}`);
  if (e.tls !== undefined) {
    const t = e.tls;
    lines.push(
      `tls: ${t.handshake}${t.protocol ? ` ${t.protocol}` : ''}${t.cipher ? ` ${t.cipher}` : ''}${t.offered ? ` (offered ${t.offered})` : ''}${t.error ? ` error=${t.error}` : ''}`,
    );
  }
  for (const note of e.notes ?? []) lines.push(`note: ${note}`);
  return lines.join('\n');
}

function testcase(r: CaseResult): string {
  const open = `    <testcase classname="conformance.${xmlEscape(r.group)}" name="${xmlEscape(`${r.id} ${r.title}`)}" time="${seconds(r.durationMs)}">`;
  const body: string[] = [];
  if (r.verdict === 'FAIL') {
    body.push(
      `      <failure message="${xmlEscape(r.observed)}" type="FAIL">${xmlEscape(evidenceText(r))}</failure>`,
    );
  } else if (r.verdict === 'SKIP') {
    body.push(`      <skipped message="${xmlEscape(r.reason ?? 'skipped')}"/>`);
  }
  body.push(`      <system-out>${xmlEscape(evidenceText(r))}</system-out>`);
  return [open, ...body, '    </testcase>'].join('\n');
}

export function renderJunitReport(report: SuiteReport): string {
  const totalMs = Date.parse(report.finishedAt) - Date.parse(report.startedAt);
  const suites = report.groups.map((g) => {
    const results = report.results.filter((r) => r.group === g.group);
    const ms = results.reduce((sum, r) => sum + r.durationMs, 0);
    return [
      `  <testsuite name="${xmlEscape(g.group)}" tests="${g.total}" failures="${g.FAIL}" errors="0" skipped="${g.SKIP}" time="${seconds(ms)}" timestamp="${xmlEscape(report.startedAt.replace(/\.\d+Z$/, ''))}">`,
      `    <properties>`,
      `      <property name="target" value="${xmlEscape(report.target)}"/>`,
      `      <property name="anchor.sha256" value="${xmlEscape(report.anchor.sha256)}"/>`,
      `    </properties>`,
      ...results.map(testcase),
      '  </testsuite>',
    ].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xmlEscape(`${report.tool.name} conformance`)}" tests="${report.summary.total}" failures="${report.summary.FAIL}" errors="0" skipped="${report.summary.SKIP}" time="${seconds(Number.isFinite(totalMs) ? totalMs : 0)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
