/**
 * Targets, verdicts and the printed table of a bench run. Ratios are within one run: the gateway's
 * figures are divided by the bare servers' figures measured minutes earlier on the same machine.
 */
import type { BenchRun, ScaleResult } from './run_bench';

export interface TargetVerdict {
  id: string;
  description: string;
  /** The measured figure the target is judged on, or undefined when that part was not run. */
  value?: number;
  unit: string;
  threshold: string;
  met?: boolean;
}

/** A p99 that grows by no more than this factor (or this many ms, whichever is larger) counts as flat. */
export const FLAT_P99 = { factor: 1.25, slackMs: 0.5 } as const;

const byId = (run: BenchRun, id: string) => run.scenarios.find((s) => s.id === id);
const handshakesOf = (run: BenchRun, id: string) => run.handshakes.find((h) => h.id === id);

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

function verdict(
  base: Omit<TargetVerdict, 'met' | 'value'>,
  value: number | undefined,
  ok: (v: number) => boolean,
): TargetVerdict {
  return value === undefined ? base : { ...base, value, met: ok(value) };
}

export function scaleFlatness(
  scale: ScaleResult[],
): { database: string; fromP99: number; toP99: number; flat: boolean }[] {
  const out: { database: string; fromP99: number; toP99: number; flat: boolean }[] = [];
  for (const database of ['sqlite', 'postgres']) {
    const rows = scale.filter((r) => r.database === database).sort((x, y) => x.consents - y.consents);
    const first = rows[0];
    const last = rows[rows.length - 1];
    if (first === undefined || last === undefined || first === last) continue;
    const limit = Math.max(first.p99Ms * FLAT_P99.factor, first.p99Ms + FLAT_P99.slackMs);
    out.push({ database, fromP99: first.p99Ms, toP99: last.p99Ms, flat: last.p99Ms <= limit });
  }
  return out;
}

export function evaluateTargets(run: BenchRun): TargetVerdict[] {
  const b = byId(run, 'b');
  const c = byId(run, 'c');
  const d = byId(run, 'd');
  const e = byId(run, 'e');
  const targets: TargetVerdict[] = [
    verdict(
      {
        id: 'connector-cpu',
        description: '(e) gateway CPU per read through the bank connector vs (c) in-process',
        unit: 'x',
        threshold: '<= 1.5',
      },
      ratio(e?.cpuUsPerRequest, c?.cpuUsPerRequest),
      (v) => v <= 1.5,
    ),
    verdict(
      {
        id: 'reads-vs-express',
        description: '(c) authenticated reads vs bare Express',
        unit: 'x',
        threshold: '>= 0.5',
      },
      ratio(c?.rps, b?.rps),
      (v) => v >= 0.5,
    ),
    verdict(
      {
        id: 'refusals-vs-express',
        description: '(d) refusing Mallory vs bare Express',
        unit: 'x',
        threshold: '>= 0.8',
      },
      ratio(d?.rps, b?.rps),
      (v) => v >= 0.8,
    ),
    verdict(
      {
        id: 'handshakes-vs-node',
        description: 'new mTLS handshakes: gateway vs bare node',
        unit: 'x',
        threshold: '>= 0.9',
      },
      ratio(handshakesOf(run, 'c')?.handshakesPerS, handshakesOf(run, 'a')?.handshakesPerS),
      (v) => v >= 0.9,
    ),
    verdict(
      {
        id: 'warm-validation',
        description: 'warm validation (cache hit per request)',
        unit: 'us',
        threshold: '< 5',
      },
      run.validation?.warmMeanUs,
      (v) => v < 5,
    ),
    verdict(
      {
        id: 'cold-validation',
        description: 'cold validation (mean, unseen chain)',
        unit: 'us',
        threshold: '< 1000',
      },
      run.validation?.coldMeanUs,
      (v) => v < 1000,
    ),
    verdict(
      { id: 'rss', description: 'gateway RSS under load (peak)', unit: 'MB', threshold: '< 200' },
      [c?.rssMb, d?.rssMb]
        .filter((v): v is number => v !== undefined)
        .reduce<number | undefined>((m, v) => (m === undefined ? v : Math.max(m, v)), undefined),
      (v) => v < 200,
    ),
  ];
  if (run.instances?.cpuRatioPostgresToSqlite !== undefined) {
    targets.push(
      verdict(
        {
          id: 'postgres-read-cpu',
          description: 'gateway CPU per PostgreSQL read / per SQLite read',
          unit: 'x',
          threshold: '<= 1.5',
        },
        run.instances.cpuRatioPostgresToSqlite,
        (v) => v <= 1.5,
      ),
    );
  }
  for (const flat of scaleFlatness(run.scale)) {
    targets.push({
      id: `scale-p99-${flat.database}`,
      description: `${flat.database}: p99 flat from fewest to most consents`,
      value: flat.toP99 / flat.fromP99,
      unit: 'x',
      threshold: `<= ${FLAT_P99.factor}x or +${FLAT_P99.slackMs} ms`,
      met: flat.flat,
    });
  }
  return targets;
}

const fmt = (v: number | undefined, digits = 0): string =>
  v === undefined || Number.isNaN(v)
    ? '-'
    : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function statusSummary(statuses: Record<string, number>): string {
  return Object.entries(statuses)
    .map(([k, v]) => `${k}:${v}`)
    .join(' ');
}

export function formatReport(run: BenchRun, targets: TargetVerdict[]): string {
  const out: string[] = [];
  const env = run.environment;
  out.push(
    `psd2-gateway bench  ${run.startedAt}  node ${env.node}  ${env.cores} x ${env.cpus}`,
    `servers ${env.pinned ? 'on core 1, load generator on core 0 (taskset)' : 'not pinned'}; ` +
      `${run.options.durationS} s per measurement after ${run.options.warmupS} s warm-up; ` +
      `${run.options.connections} keep-alive connections, pipelining 1; client certificate P-256 (Alice)`,
    `server node flags (as npm start): ${env.serverNodeFlags?.join(' ') || '(none)'}`,
    '',
  );
  const a = byId(run, 'a');
  const b = byId(run, 'b');
  if (run.scenarios.length > 0) {
    out.push(
      table(
        [
          'keep-alive requests',
          'req/s',
          'p50 ms',
          'p99 ms',
          'vs (a)',
          'vs (b)',
          'CPU µs/req',
          'RSS MB',
          'conns',
          'statuses',
        ],
        run.scenarios.map((s) => [
          `(${s.id}) ${s.name}`,
          fmt(s.rps),
          fmt(s.p50Ms, 2),
          fmt(s.p99Ms, 2),
          fmt(ratio(s.rps, a?.rps), 2),
          fmt(ratio(s.rps, b?.rps), 2),
          fmt(s.cpuUsPerRequest),
          fmt(s.rssMb, 0),
          fmt(s.connects),
          statusSummary(s.statuses),
        ]),
      ),
      '',
    );
    const connector = byId(run, 'e');
    if (connector?.bankCpuUsPerRequest !== undefined) {
      out.push(
        `(e) the sandbox bank process behind the connector: ${fmt(connector.bankCpuUsPerRequest)} CPU µs per read (not in the gateway's figure)`,
        '',
      );
    }
  }
  if (run.handshakes.length > 0) {
    const ha = handshakesOf(run, 'a');
    out.push(
      table(
        ['new mTLS connections', 'handshakes/s', 'p50 ms', 'p99 ms', 'vs (a)', '+1 request/s', 'vs (a)'],
        run.handshakes.map((h) => [
          `(${h.id}) ${h.name}`,
          fmt(h.handshakesPerS),
          fmt(h.p50Ms, 2),
          fmt(h.p99Ms, 2),
          fmt(ratio(h.handshakesPerS, ha?.handshakesPerS), 2),
          fmt(h.connectionsWithRequestPerS),
          fmt(ratio(h.connectionsWithRequestPerS, ha?.connectionsWithRequestPerS), 2),
        ]),
      ),
      '',
    );
  }
  const v = run.validation;
  if (v !== undefined) {
    out.push(
      table(
        ['certificate validation', 'µs'],
        [
          [`cold: unseen chain, fresh validator (median of ${v.coldSamples})`, fmt(v.coldMedianUs, 1)],
          ['cold: mean / p99', `${fmt(v.coldMeanUs, 1)} / ${fmt(v.coldP99Us, 1)}`],
          ['cold leaf under a known intermediate (median)', fmt(v.coldLeafMedianUs, 1)],
          [
            `warm: cache hit, request on a known connection (mean of ${fmt(v.warmIterations)})`,
            fmt(v.warmMeanUs, 2),
          ],
          [
            'warm: cache hit, first request of a new connection (chain hashed)',
            fmt(v.warmNewConnectionUs, 2),
          ],
          ...(v.hostileBagUs !== undefined
            ? [['hostile: a 1000-certificate bag refused (mean)', fmt(v.hostileBagUs, 1)]]
            : []),
          ...(v.qwacProfileUs !== undefined
            ? [['PSD2 QWAC profile read of one leaf, warm (mean)', fmt(v.qwacProfileUs, 2)]]
            : []),
        ],
      ),
      '',
    );
  }
  if (run.scale.length > 0) {
    out.push(
      table(
        ['scale: authenticated read', 'req/s', 'p50 ms', 'p99 ms', 'vs (c)', 'CPU µs/req'],
        run.scale.map((r) => [
          `${r.database}, ${fmt(r.consents)} seeded consents`,
          fmt(r.rps),
          fmt(r.p50Ms, 2),
          fmt(r.p99Ms, 2),
          fmt(ratio(r.rps, byId(run, 'c')?.rps), 2),
          fmt(r.cpuUsPerRequest),
        ]),
      ),
      '',
    );
  }
  if (run.instances !== undefined) {
    const i = run.instances;
    out.push(
      table(
        [
          'instances: authenticated read',
          'req/s',
          'p50 ms',
          'p99 ms',
          'CPU µs/req',
          'ratio',
          'machine CPU %',
        ],
        [
          ['SQLite, one gateway (pinned)', i.readSqlite, 1, undefined] as const,
          [
            'PostgreSQL, one gateway (pinned)',
            i.readPostgres,
            i.cpuRatioPostgresToSqlite,
            undefined,
          ] as const,
          ['PostgreSQL, one instance (both cores)', i.oneInstance, 1, undefined] as const,
          [
            'PostgreSQL, two instances, one database',
            i.twoInstances,
            i.throughputRatio,
            i.machineCpuPercent,
          ] as const,
        ].map(([label, t, r, machine]) => [
          label,
          fmt(t.rps),
          fmt(t.p50Ms, 2),
          fmt(t.p99Ms, 2),
          fmt(t.cpuUsPerRequest),
          fmt(r, 2),
          fmt(machine),
        ]),
      ),
      '(ratio: CPU per read vs SQLite for the pinned rows; req/s vs one instance for the two-instance row)',
      '',
    );
  }
  if (run.workers.length > 0) {
    const one = run.workers.find((w) => w.workers === 1);
    out.push(
      table(
        [
          'GATEWAY_WORKERS (load generator on the same cores)',
          'req/s',
          'p50 ms',
          'p99 ms',
          'vs 1 worker',
          'CPU µs/req',
          'load gen CPU %',
          'handshakes/s',
          'vs 1 worker',
        ],
        run.workers.map((w) => [
          `${w.workers} worker${w.workers === 1 ? '' : 's'}`,
          fmt(w.rps),
          fmt(w.p50Ms, 2),
          fmt(w.p99Ms, 2),
          fmt(ratio(w.rps, one?.rps), 2),
          fmt(w.cpuUsPerRequest),
          fmt(w.loadGeneratorCpuPercent),
          fmt(w.handshakesPerS),
          fmt(ratio(w.handshakesPerS, one?.handshakesPerS), 2),
        ]),
      ),
      '',
    );
  }
  out.push(
    table(
      ['target', 'measured', 'threshold', 'verdict'],
      targets.map((t) => [
        t.description,
        t.value === undefined
          ? '-'
          : `${fmt(t.value, t.unit === 'x' ? 2 : t.unit === 'us' ? 2 : 0)} ${t.unit}`,
        `${t.threshold} ${t.unit === 'x' ? '' : t.unit}`.trim(),
        t.met === undefined ? 'not run' : t.met ? 'MET' : 'MISSED',
      ]),
    ),
  );
  for (const s of run.scenarios) {
    const m = s.memoryMb;
    if (m === undefined) continue;
    out.push(
      `memory (${s.id}) after load: rss ${fmt(m.rss)} MB, heap ${fmt(m.heapUsed)} used / ${fmt(m.heapTotal)} total, external ${fmt(m.external)} MB`,
    );
  }
  for (const note of run.notes) out.push(`note: ${note}`);
  return out.join('\n') + '\n';
}
