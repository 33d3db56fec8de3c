/**
 * The auditor's copy: one HTML file with inline CSS, no scripts and no external references, so it opens
 * offline and can be archived as it is. Every value from the target is escaped.
 */
import type { CaseResult } from './conformance_case';
import type { SuiteReport } from './suite_report';

export function htmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1b1f24}
h1{font-size:1.4rem;margin:0 0 .5rem}h2{font-size:1.1rem;margin:2rem 0 .5rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #d0d7de;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px;word-break:break-all}
.v{font-weight:700;white-space:nowrap}.PASS{color:#116329}.FAIL{color:#a40e26}.SKIP{color:#7d4e00}
tr.FAIL td{background:#fff5f5}.verdict{font-size:1.2rem;padding:.5rem 1rem;display:inline-block;border:2px solid}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}dd{margin:0}
ul{margin:.2rem 0;padding-left:1.2rem}
@media print{body{margin:0}tr{page-break-inside:avoid}}
`;

function evidenceCell(r: CaseResult): string {
  const e = r.evidence;
  const items: string[] = [];
  if (e.request !== undefined) items.push(`<li>request: <code>${htmlEscape(e.request)}</code></li>`);
  if (e.status !== undefined) items.push(`<li>status: <code>${e.status}</code></li>`);
  if (e.code !== undefined && e.code !== null)
    items.push(`<li>code: <code>${htmlEscape(e.code)}</code></li>`);
  if (e.tls !== undefined) {
    const t = e.tls;
    const parts = [
      t.handshake,
      t.protocol ?? '',
      t.cipher ?? '',
      t.offered ? `offered ${t.offered}` : '',
      t.error ?? '',
    ]
      .filter((p) => p !== '')
      .map(htmlEscape)
      .join(', ');
    items.push(`<li>TLS: <code>${parts}</code></li>`);
  }
  for (const note of e.notes ?? []) items.push(`<li>${htmlEscape(note)}</li>`);
  return items.length === 0 ? '' : `<ul>${items.join('')}</ul>`;
}

function row(r: CaseResult): string {
  const observed =
    htmlEscape(r.observed) + (r.reason !== undefined ? `<br><em>${htmlEscape(r.reason)}</em>` : '');
  return `<tr class="${r.verdict}"><td class="v ${r.verdict}">${r.verdict}</td><td class="mono">${htmlEscape(r.id)}</td><td>${htmlEscape(r.title)}<br><small>${htmlEscape(r.clause)}</small></td><td>${htmlEscape(r.expected)}</td><td>${observed}</td><td>${evidenceCell(r)}</td></tr>`;
}

export function renderHtmlReport(report: SuiteReport): string {
  const s = report.summary;
  const groups = report.groups
    .map(
      (g) =>
        `<tr><td>${htmlEscape(g.group)}</td><td>${g.total}</td><td class="PASS">${g.PASS}</td><td class="FAIL">${g.FAIL}</td><td class="SKIP">${g.SKIP}</td></tr>`,
    )
    .join('');
  const preflight = report.preflight
    .map(
      (f) =>
        `<tr><td class="mono">${htmlEscape(f.identity)}</td><td class="v ${f.usable ? 'PASS' : f.required ? 'FAIL' : 'SKIP'}">${f.usable ? 'usable' : 'unusable'}</td><td>${htmlEscape(f.message)}</td></tr>`,
    )
    .join('');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${htmlEscape(`PSD2 conformance report: ${report.target}`)}</title>
<style>${CSS}</style></head><body>
<h1>PSD2 gateway conformance report</h1>
<p class="verdict ${report.verdict}">${report.verdict}: ${s.PASS} passed, ${s.FAIL} failed, ${s.SKIP} skipped of ${s.total}</p>
<dl>
<dt>Target</dt><dd class="mono">${htmlEscape(report.target)}</dd>
<dt>Server name checked</dt><dd class="mono">${htmlEscape(report.serverName)}</dd>
<dt>Trust anchor</dt><dd>${htmlEscape(report.anchor.subject ?? 'unknown')}</dd>
<dt>Anchor SHA-256</dt><dd class="mono">${htmlEscape(report.anchor.sha256)}</dd>
<dt>TLS negotiated</dt><dd class="mono">${htmlEscape(report.tls.protocol ?? 'none')} ${htmlEscape(report.tls.cipher ?? '')}</dd>
<dt>Started</dt><dd>${htmlEscape(report.startedAt)}</dd>
<dt>Finished</dt><dd>${htmlEscape(report.finishedAt)}</dd>
<dt>Tool</dt><dd>${htmlEscape(`${report.tool.name} ${report.tool.version}`)}</dd>
</dl>
<h2>Summary by group</h2>
<table><thead><tr><th>Group</th><th>Cases</th><th>Pass</th><th>Fail</th><th>Skip</th></tr></thead><tbody>${groups}</tbody></table>
<h2>Pre-flight: the suite's own identities</h2>
<table><thead><tr><th>Identity</th><th>State</th><th>Finding</th></tr></thead><tbody>${preflight}</tbody></table>
<h2>Cases</h2>
<table><thead><tr><th>Verdict</th><th>Id</th><th>Title / clause</th><th>Expected</th><th>Observed</th><th>Evidence</th></tr></thead>
<tbody>${report.results.map(row).join('\n')}</tbody></table>
</body></html>
`;
}
