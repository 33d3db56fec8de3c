/**
 * `psd2-gateway bench` (npm run bench): measures the gateway side by side with a bare node:https mTLS
 * server and a bare Express app on the same certificates and TLS options, prints the table with each
 * target's verdict and writes the run as JSON (bench/results/<date>.json by default).
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { PROJECT_ROOT } from '../config/project_root';
import { formatCpuProfileSummary, summarizeCpuProfile, type CpuProfile } from '../bench/cpu_profile_summary';
import { evaluateTargets, formatReport } from '../bench/report';
import { runBench, SCENARIO_IDS, type ScenarioId } from '../bench/run_bench';

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

function scenarioList(value: string): ScenarioId[] {
  const ids = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const id of ids) {
    if (!(SCENARIO_IDS as readonly string[]).includes(id))
      throw new InvalidArgumentError(
        `unknown scenario ${JSON.stringify(id)} (known: ${SCENARIO_IDS.join(', ')})`,
      );
  }
  return ids as ScenarioId[];
}

function countList(value: string): number[] {
  return value.split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n < 0)
      throw new InvalidArgumentError(`not a consent count: ${JSON.stringify(s)}`);
    return n;
  });
}

export interface BenchCommandOptions {
  duration: number;
  warmup: number;
  connections: number;
  rounds: number;
  handshakeConcurrency: number;
  only: ScenarioId[];
  scaleCounts: number[];
  postgres: string;
  pin: boolean;
  cpuProf?: string;
  json?: boolean;
  out?: string;
}

export function benchCommand(): Command {
  return new Command('bench')
    .description('measure the gateway against bare node:https and bare Express on the same mTLS setup')
    .option('--duration <seconds>', 'measured seconds per scenario', positive, 10)
    .option('--warmup <seconds>', 'unmeasured seconds before each measurement', positive, 2)
    .option('--connections <n>', 'keep-alive connections of the load generator', positive, 16)
    .option('--rounds <n>', 'interleaved rounds the side-by-side comparison is split into', positive, 3)
    .option('--handshake-concurrency <n>', 'parallel clients opening new connections', positive, 4)
    .option('--only <ids>', `scenarios to run, comma-separated (${SCENARIO_IDS.join(',')})`, scenarioList, [
      ...SCENARIO_IDS,
    ])
    .option('--scale-counts <n,n>', 'seeded consent counts for the scale runs', countList, [1000, 100_000])
    .option(
      '--postgres <url>',
      'PostgreSQL maintenance database (a throwaway database is created and dropped)',
      'postgres://postgres@127.0.0.1:5432/postgres',
    )
    .option('--no-pin', 'do not pin servers and load generator to separate cores')
    .option('--cpu-prof <dir>', 'write V8 CPU profiles of the gateway server processes to <dir>')
    .option('--json', 'print the run as JSON instead of the table')
    .option('--out <file>', 'results file (default bench/results/<date>.json)')
    .action(async (opts: BenchCommandOptions) => {
      const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
      const startedMs = Date.now();
      const run = await runBench({
        durationS: opts.duration,
        warmupS: opts.warmup,
        connections: Math.round(opts.connections),
        rounds: Math.round(opts.rounds),
        handshakeConcurrency: Math.round(opts.handshakeConcurrency),
        only: new Set(opts.only),
        postgresUrl: opts.postgres,
        scaleCounts: opts.scaleCounts,
        pin: opts.pin,
        ...(opts.cpuProf !== undefined ? { cpuProfDir: path.resolve(opts.cpuProf) } : {}),
        log,
      });
      const targets = evaluateTargets(run);
      const out = path.resolve(
        opts.out ?? path.join(PROJECT_ROOT, 'bench', 'results', `${run.startedAt.slice(0, 10)}.json`),
      );
      mkdirSync(path.dirname(out), { recursive: true });
      writeFileSync(out, JSON.stringify({ ...run, targets }, null, 2) + '\n');
      if (opts.json === true) process.stdout.write(JSON.stringify({ ...run, targets }, null, 2) + '\n');
      else process.stdout.write(formatReport(run, targets));
      log(`results written to ${path.relative(process.cwd(), out) || out}`);
      if (opts.cpuProf !== undefined) summarizeProfiles(path.resolve(opts.cpuProf), startedMs, log);
    });
}

/** Beside each profile this run wrote, `<profile>.txt`: where its busy time went (cpu_profile_summary). */
function summarizeProfiles(dir: string, sinceMs: number, log: (line: string) => void): void {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (!name.endsWith('.cpuprofile') || statSync(file).mtimeMs < sinceMs) continue;
    const summary = summarizeCpuProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
    writeFileSync(`${file}.txt`, formatCpuProfileSummary(summary));
    log(`profile summary written to ${path.relative(process.cwd(), file) || file}.txt`);
  }
}
