/** Live progress for a person at a terminal: one line per finished case, then a table by group. */
import type { CaseResult, Verdict } from './conformance_case';
import type { SuiteReport } from './suite_report';

const COLOURS: Record<Verdict, string> = { PASS: '\u001b[32m', FAIL: '\u001b[31m', SKIP: '\u001b[33m' };
const RESET = '\u001b[0m';
const BOLD = '\u001b[1m';

export class TerminalReporter {
  constructor(
    private readonly write: (text: string) => void,
    private readonly colour: boolean,
  ) {}

  private paint(text: string, verdict: Verdict | 'bold'): string {
    if (!this.colour) return text;
    return `${verdict === 'bold' ? BOLD : COLOURS[verdict]}${text}${RESET}`;
  }

  line(text: string): void {
    this.write(`${text}\n`);
  }

  caseFinished(r: CaseResult): void {
    const detail = r.verdict === 'SKIP' ? (r.reason ?? 'skipped') : r.observed;
    this.line(`${this.paint(r.verdict.padEnd(4), r.verdict)}  ${r.id.padEnd(40)} ${r.title} — ${detail}`);
  }

  summary(report: SuiteReport, reportFiles: readonly string[]): void {
    const header = ['group', 'cases', 'pass', 'fail', 'skip'];
    const rows = report.groups.map((g) => [g.group, g.total, g.PASS, g.FAIL, g.SKIP].map(String));
    rows.push(
      ['all', report.summary.total, report.summary.PASS, report.summary.FAIL, report.summary.SKIP].map(
        String,
      ),
    );
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    const fmt = (cells: string[]): string =>
      cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
    this.line('');
    this.line(this.paint(fmt(header), 'bold'));
    for (const r of rows) this.line(fmt(r));
    this.line('');
    const failed = report.results.filter((r) => r.verdict === 'FAIL');
    if (failed.length > 0) {
      this.line(this.paint('Broken guarantees:', 'FAIL'));
      for (const r of failed) this.line(`  ${r.id}: ${r.observed}`);
      this.line('');
    }
    this.line(
      `${this.paint(report.verdict, report.verdict)} against ${report.target} (anchor SHA-256 ${report.anchor.sha256})`,
    );
    for (const f of reportFiles) this.line(`  wrote ${f}`);
  }
}
