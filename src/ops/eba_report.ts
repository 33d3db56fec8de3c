/**
 * The quarterly publication of the dedicated interface's availability and performance (RTS Art. 32(4),
 * EBA/GL/2018/07 Guideline 2): per service and day, the gateway's own figures next to those of the PSU
 * interface the bank imports. Rendered as JSON, CSV, or a self-contained HTML page with inline SVG charts.
 */
import type { DailyFigures, Downtime } from './eba_statistics';
import { EBA_SERVICES, type EbaService } from './eba_service';

const DAY_MS = 86_400_000;

export interface Quarter {
  label: string;
  /** First and last day, YYYY-MM-DD. */
  first: string;
  last: string;
  days: string[];
}

export function parseQuarter(label: string): Quarter {
  const match = /^(\d{4})Q([1-4])$/.exec(label);
  if (match === null) throw new Error(`--quarter: expected e.g. 2026Q4, got ${JSON.stringify(label)}`);
  const year = Number(match[1]);
  const q = Number(match[2]);
  const start = Date.UTC(year, (q - 1) * 3, 1);
  const end = Date.UTC(year, q * 3, 1);
  const days: string[] = [];
  for (let t = start; t < end; t += DAY_MS) days.push(new Date(t).toISOString().slice(0, 10));
  return { label, first: days[0] as string, last: days[days.length - 1] as string, days };
}

export interface DayFigures {
  day: string;
  /** 0..1; undefined for days not yet over or without figures. */
  availability: number | undefined;
  avgResponseMs: number | undefined;
  errorRate: number | undefined;
  requests?: number;
  downtimeMinutes?: number;
}

export interface ServiceReport {
  service: EbaService;
  dedicated: { days: DayFigures[]; summary: Summary };
  psuInterface: { days: DayFigures[]; summary: Summary } | undefined;
}

export interface Summary {
  availability: number | undefined;
  avgResponseMs: number | undefined;
  errorRate: number | undefined;
  requests?: number;
  downtimeMinutes?: number;
}

export interface QuarterReport {
  quarter: string;
  generatedAt: string;
  /** Days of the quarter the figures cover (up to yesterday for the running quarter). */
  daysCovered: number;
  services: ServiceReport[];
}

export interface ReportSources {
  daily: DailyFigures[];
  downtimes: Downtime[];
  psuInterface: {
    day: string;
    service: EbaService;
    availability: number;
    avgResponseMs: number;
    errorRate: number;
  }[];
}

/** Milliseconds of [dayStart, dayStart + 1 day) covered by the union of the intervals. */
function downtimeWithin(intervals: [number, number][], dayStart: number): number {
  const dayEnd = dayStart + DAY_MS;
  const clipped = intervals
    .map(([a, b]) => [Math.max(a, dayStart), Math.min(b, dayEnd)] as [number, number])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let cursor = dayStart;
  for (const [a, b] of clipped) {
    const from = Math.max(a, cursor);
    if (b > from) total += b - from;
    cursor = Math.max(cursor, b);
  }
  return total;
}

const mean = (values: (number | undefined)[]): number | undefined => {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length === 0 ? undefined : known.reduce((a, b) => a + b, 0) / known.length;
};

export function buildQuarterReport(quarter: Quarter, sources: ReportSources, now: Date): QuarterReport {
  const today = now.toISOString().slice(0, 10);
  const closedDays = quarter.days.filter((d) => d < today);
  const services = EBA_SERVICES.map((service): ServiceReport => {
    const intervals = sources.downtimes
      .filter((d) => d.service === service)
      .map(
        (d) =>
          [Date.parse(d.startedAt), d.endedAt === null ? now.getTime() : Date.parse(d.endedAt)] as [
            number,
            number,
          ],
      );
    const days = closedDays.map((day): DayFigures => {
      const f = sources.daily.find((x) => x.day === day && x.service === service);
      const downtimeMs = downtimeWithin(intervals, Date.parse(`${day}T00:00:00Z`));
      return {
        day,
        availability: 1 - downtimeMs / DAY_MS,
        avgResponseMs: f !== undefined && f.requests > 0 ? f.totalMs / f.requests : undefined,
        errorRate: f !== undefined && f.requests > 0 ? f.errors / f.requests : undefined,
        requests: f?.requests ?? 0,
        downtimeMinutes: downtimeMs / 60_000,
      };
    });
    const requests = days.reduce((n, d) => n + (d.requests ?? 0), 0);
    const totalMs = sources.daily
      .filter((x) => x.service === service && closedDays.includes(x.day))
      .reduce((n, x) => n + x.totalMs, 0);
    const errors = sources.daily
      .filter((x) => x.service === service && closedDays.includes(x.day))
      .reduce((n, x) => n + x.errors, 0);
    const downtimeMinutes = days.reduce((n, d) => n + (d.downtimeMinutes ?? 0), 0);
    const psuDays = sources.psuInterface.filter((p) => p.service === service);
    return {
      service,
      dedicated: {
        days,
        summary: {
          availability: days.length === 0 ? undefined : 1 - downtimeMinutes / (days.length * 1440),
          avgResponseMs: requests > 0 ? totalMs / requests : undefined,
          errorRate: requests > 0 ? errors / requests : undefined,
          requests,
          downtimeMinutes,
        },
      },
      psuInterface:
        psuDays.length === 0
          ? undefined
          : {
              days: closedDays.map((day) => {
                const p = psuDays.find((x) => x.day === day);
                return {
                  day,
                  availability: p?.availability,
                  avgResponseMs: p?.avgResponseMs,
                  errorRate: p?.errorRate,
                };
              }),
              summary: {
                availability: mean(psuDays.map((p) => p.availability)),
                avgResponseMs: mean(psuDays.map((p) => p.avgResponseMs)),
                errorRate: mean(psuDays.map((p) => p.errorRate)),
              },
            },
    };
  });
  return { quarter: quarter.label, generatedAt: now.toISOString(), daysCovered: closedDays.length, services };
}

/** Parses the bank's CSV of its PSU interface: `day,service,availability_percent,avg_response_ms,error_rate_percent`. */
export function parsePsuInterfaceCsv(text: string): ReportSources['psuInterface'] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines
    .shift()
    ?.split(',')
    .map((h) => h.trim());
  const expected = ['day', 'service', 'availability_percent', 'avg_response_ms', 'error_rate_percent'];
  if (header?.join(',') !== expected.join(','))
    throw new Error(`the first line must be the header ${expected.join(',')}`);
  return lines.map((line, i) => {
    const where = `line ${i + 2}`;
    const [day, service, availability, avg, errorRate, ...rest] = line.split(',').map((c) => c.trim());
    if (rest.length > 0 || errorRate === undefined) throw new Error(`${where}: expected 5 columns`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day ?? '') || Number.isNaN(Date.parse(`${day}T00:00:00Z`)))
      throw new Error(`${where}: day must be YYYY-MM-DD, got ${JSON.stringify(day)}`);
    if (!(EBA_SERVICES as readonly string[]).includes(service ?? ''))
      throw new Error(
        `${where}: service must be one of ${EBA_SERVICES.join(', ')}, got ${JSON.stringify(service)}`,
      );
    const number = (value: string | undefined, name: string, max: number): number => {
      const n = Number(value);
      if (value === undefined || value === '' || !Number.isFinite(n) || n < 0 || n > max)
        throw new Error(`${where}: ${name} must be a number from 0 to ${max}, got ${JSON.stringify(value)}`);
      return n;
    };
    return {
      day: day as string,
      service: service as EbaService,
      availability: number(availability, 'availability_percent', 100) / 100,
      avgResponseMs: number(avg, 'avg_response_ms', 3_600_000),
      errorRate: number(errorRate, 'error_rate_percent', 100) / 100,
    };
  });
}

const pct = (v: number | undefined, digits = 3): string => (v === undefined ? '' : (v * 100).toFixed(digits));
const ms = (v: number | undefined): string => (v === undefined ? '' : v.toFixed(1));

export function reportCsv(report: QuarterReport): string {
  const rows = [
    'day,service,interface,availability_percent,avg_response_ms,error_rate_percent,requests,downtime_minutes',
  ];
  for (const s of report.services) {
    const sides = [['dedicated', s.dedicated.days] as const, ['psu', s.psuInterface?.days ?? []] as const];
    for (const [side, days] of sides)
      for (const d of days)
        rows.push(
          [
            d.day,
            s.service,
            side,
            pct(d.availability),
            ms(d.avgResponseMs),
            pct(d.errorRate),
            d.requests ?? '',
            d.downtimeMinutes === undefined ? '' : d.downtimeMinutes.toFixed(1),
          ].join(','),
        );
  }
  return `${rows.join('\n')}\n`;
}

const escapeHtml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

interface Series {
  name: string;
  color: string;
  dash?: string;
  values: (number | undefined)[];
}

const CHART = { width: 360, height: 210, left: 44, right: 10, top: 12, bottom: 28 };

/** A line chart of one value per day; gaps where a value is unknown. */
function lineChart(
  title: string,
  days: string[],
  series: Series[],
  format: (v: number) => string,
  floor?: number,
): string {
  const known = series.flatMap((s) => s.values.filter((v): v is number => v !== undefined));
  let min = known.length === 0 ? 0 : Math.min(...known);
  let max = known.length === 0 ? 1 : Math.max(...known);
  if (floor !== undefined) min = Math.min(min, floor);
  if (max === min) {
    max += max === 0 ? 1 : Math.abs(max) * 0.1;
    min -= min === 0 ? 0 : Math.abs(min) * 0.1;
  }
  const w = CHART.width - CHART.left - CHART.right;
  const h = CHART.height - CHART.top - CHART.bottom;
  const x = (i: number) => CHART.left + (days.length <= 1 ? w / 2 : (i * w) / (days.length - 1));
  const y = (v: number) => CHART.top + h - ((v - min) / (max - min)) * h;
  const parts: string[] = [];
  for (let t = 0; t <= 4; t++) {
    const v = min + ((max - min) * t) / 4;
    parts.push(
      `<line x1="${CHART.left}" x2="${CHART.width - CHART.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/>`,
      `<text x="${CHART.left - 6}" y="${(y(v) + 4).toFixed(1)}" class="tick" text-anchor="end">${escapeHtml(format(v))}</text>`,
    );
  }
  days.forEach((day, i) => {
    if (day.endsWith('-01') || i === 0)
      parts.push(
        `<text x="${x(i).toFixed(1)}" y="${CHART.height - 10}" class="tick" text-anchor="${i === 0 ? 'start' : 'middle'}">${day.slice(0, 7)}</text>`,
      );
  });
  for (const s of series) {
    let path = '';
    s.values.forEach((v, i) => {
      if (v === undefined) return;
      const previous = i > 0 ? s.values[i - 1] : undefined;
      path += `${previous === undefined ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)} `;
    });
    if (path !== '')
      parts.push(
        `<path d="${path.trim()}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash !== undefined ? ` stroke-dasharray="${s.dash}"` : ''}/>`,
      );
  }
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg viewBox="0 0 ${CHART.width} ${CHART.height}" role="img" aria-label="${escapeHtml(title)}">${parts.join('')}</svg></figure>`;
}

function legendHtml(series: Series[]): string {
  const items = series.map(
    (s) =>
      `<span><svg viewBox="0 0 26 10" aria-hidden="true"><line x1="0" x2="26" y1="5" y2="5" stroke="${s.color}" stroke-width="2.5"${s.dash !== undefined ? ` stroke-dasharray="${s.dash}"` : ''}/></svg>${escapeHtml(s.name)}</span>`,
  );
  return `<div class="legend">${items.join('')}</div>`;
}

const SERVICE_NAMES: Record<EbaService, string> = {
  AIS: 'Account information (AIS)',
  PIS: 'Payment initiation (PIS)',
  PIIS: 'Confirmation of funds (PIIS)',
};

export interface HtmlReportParams {
  /** The bank's name as it publishes it. */
  institution?: string;
}

export function reportHtml(report: QuarterReport, params: HtmlReportParams = {}): string {
  const institution = params.institution ?? 'Bob’s Bank';
  const cell = (v: string) => `<td>${v === '' ? '–' : escapeHtml(v)}</td>`;
  const sections = report.services
    .map((s) => {
      const days = s.dedicated.days.map((d) => d.day);
      const psu = s.psuInterface;
      const series = (pick: (d: DayFigures) => number | undefined): Series[] => [
        { name: 'Dedicated interface (PSD2 API)', color: '#1f5fa8', values: s.dedicated.days.map(pick) },
        ...(psu !== undefined
          ? [
              {
                name: 'PSU interface (online banking)',
                color: '#c2571a',
                dash: '6 4',
                values: psu.days.map(pick),
              },
            ]
          : []),
      ];
      const summaryRow = (name: string, sum: Summary | undefined) =>
        `<tr><th scope="row">${name}</th>${cell(pct(sum?.availability))}${cell(ms(sum?.avgResponseMs))}${cell(pct(sum?.errorRate))}${cell(sum?.downtimeMinutes === undefined ? '' : sum.downtimeMinutes.toFixed(1))}${cell(sum?.requests === undefined ? '' : String(sum.requests))}</tr>`;
      return `<section>
<h2>${SERVICE_NAMES[s.service]}</h2>
<table>
<thead><tr><th></th><th>Availability (%)</th><th>Average response time (ms)</th><th>Error responses (%)</th><th>Downtime (min)</th><th>Requests</th></tr></thead>
<tbody>${summaryRow('Dedicated interface', s.dedicated.summary)}${summaryRow('PSU interface', psu?.summary)}</tbody>
</table>
${legendHtml(series(() => undefined))}
<div class="charts">
${lineChart(
  'Daily availability (%)',
  days,
  series((d) => (d.availability === undefined ? undefined : d.availability * 100)),
  (v) => v.toFixed(2),
  99,
)}
${lineChart(
  'Daily average response time (ms)',
  days,
  series((d) => d.avgResponseMs),
  (v) => v.toFixed(0),
  0,
)}
${lineChart(
  'Daily error responses (%)',
  days,
  series((d) => (d.errorRate === undefined ? undefined : d.errorRate * 100)),
  (v) => v.toFixed(2),
  0,
)}
</div>
</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(institution)}: PSD2 interface statistics ${escapeHtml(report.quarter)}</title>
<style>
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1c2430;margin:0;background:#f6f7f9}
main{max-width:1000px;margin:0 auto;padding:32px 24px 48px;background:#fff}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:36px 0 10px;border-bottom:2px solid #e3e7ed;padding-bottom:4px}
p.lead{color:#4a5566;margin:0 0 8px}
table{border-collapse:collapse;width:100%;margin:8px 0 12px;font-variant-numeric:tabular-nums}
th,td{padding:6px 10px;border-bottom:1px solid #e3e7ed;text-align:right}th:first-child{text-align:left}
thead th{font-weight:600;color:#4a5566;font-size:13px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:12px}
.legend{display:flex;gap:24px;font-size:13px;color:#4a5566;margin:4px 0}.legend svg{width:26px;height:10px;vertical-align:middle;margin-right:6px}
figure{margin:0}figcaption{font-weight:600;font-size:14px;margin:6px 0 2px}
svg{width:100%;height:auto}.grid{stroke:#e3e7ed;stroke-width:1}.tick{font-size:10px;fill:#6b7685}
footer{margin-top:36px;font-size:13px;color:#6b7685}
@media print{body{background:#fff}main{padding:0}}
</style>
</head>
<body>
<main>
<h1>Availability and performance of the PSD2 dedicated interface</h1>
<p class="lead">${escapeHtml(institution)} · ${escapeHtml(report.quarter)} · ${report.daysCovered} days covered</p>
<p>Published under Article 32(4) of the RTS on strong customer authentication and common and secure communication
(Delegated Regulation (EU) 2018/389) and EBA Guidelines EBA/GL/2018/07. Figures per calendar day (UTC) for the
dedicated interface used by third-party providers, next to the interface the bank offers its own customers.</p>
${sections}
<footer>
<p>Availability: share of the day the interface was up. The dedicated interface counts as down from the first of five
consecutive requests not answered within 30 seconds (no response, a response after 30 s, or a server error) until
the next request answered in time. Average response time: from receipt of the request to the end of the response,
at the interface. Error responses: server errors (5xx) and requests left unanswered, as a share of all requests.</p>
<p>Generated ${escapeHtml(report.generatedAt)} by psd2-gateway.</p>
</footer>
</main>
</body>
</html>
`;
}
