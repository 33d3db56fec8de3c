/**
 * Keeps `npm run bench` working: builds, runs the real command for about a second per scenario with a
 * reduced set (bare node, bare Express, the gateway refusing Mallory, payment initiation, validation) and
 * checks that it prints the table and writes a results file of the expected shape. No performance
 * thresholds: the figures depend on the machine and are only required to be numbers.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const positiveNumber = expect.any(Number) as unknown;

describe('npm run bench (smoke)', () => {
  beforeAll(() => {
    execFileSync(
      process.execPath,
      [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: root,
        stdio: 'pipe',
      },
    );
  }, 120_000);

  it('measures a reduced scenario set and writes the results file', () => {
    const out = path.join(dir, 'results.json');
    const stdout = execFileSync(
      process.execPath,
      [
        path.join(root, 'dist', 'cli', 'main.js'),
        'bench',
        '--only',
        'validation,a,b,d,f,workers',
        '--duration',
        '1',
        '--warmup',
        '0.2',
        '--rounds',
        '1',
        '--connections',
        '4',
        '--out',
        out,
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 170_000 },
    );
    expect(stdout).toMatch(/keep-alive requests/);
    expect(stdout).toMatch(/refusing Mallory vs bare Express/);

    const run = JSON.parse(readFileSync(out, 'utf8')) as {
      version: number;
      scenarios: {
        id: string;
        rps: number;
        p50Ms: number;
        p99Ms: number;
        statuses: Record<string, number>;
      }[];
      validation: Record<string, number>;
      workers: {
        workers: number;
        rps: number;
        statuses: Record<string, number>;
        loadGeneratorCpuPercent?: number;
        handshakesPerS?: number;
      }[];
      targets: { id: string; met?: boolean }[];
    };
    expect(run.version).toBe(1);
    expect(run.scenarios.map((s) => s.id)).toEqual(['a', 'b', 'd', 'f']);
    for (const s of run.scenarios) {
      expect(s).toMatchObject({ rps: positiveNumber, p50Ms: positiveNumber, p99Ms: positiveNumber });
      expect(s.rps).toBeGreaterThan(0);
    }
    // Mallory is refused, the bare servers answer: the harness measured what it claims to.
    expect(Object.keys(run.scenarios.find((s) => s.id === 'd')?.statuses ?? {})).toEqual(['401']);
    expect(Object.keys(run.scenarios.find((s) => s.id === 'a')?.statuses ?? {})).toEqual(['200']);
    // (f) initiated payments: every request a new one, all answered 201 (no replay, no refusal).
    expect(stdout).toMatch(/payment initiation \(201\)/);
    expect(Object.keys(run.scenarios.find((s) => s.id === 'f')?.statuses ?? {})).toEqual(['201']);
    expect(run.validation).toMatchObject({
      coldMedianUs: positiveNumber,
      coldLeafMedianUs: positiveNumber,
      warmMeanUs: positiveNumber,
    });
    // GATEWAY_WORKERS=2: the clustered gateway answers authenticated reads like the single process.
    expect(run.workers.map((w) => w.workers)).toEqual([1, 2]);
    for (const w of run.workers) {
      expect(Object.keys(w.statuses)).toEqual(['200']);
      expect(w.loadGeneratorCpuPercent).toEqual(positiveNumber);
      expect(w.handshakesPerS).toEqual(positiveNumber);
    }
    expect(run.targets.find((t) => t.id === 'refusals-vs-express')?.met).toEqual(expect.any(Boolean));
    expect(run.targets.find((t) => t.id === 'reads-vs-express')?.met).toBeUndefined();
  }, 240_000);

  it('interleaves the scale runs: every store measured in every round, all reads answered 200', () => {
    const out = path.join(dir, 'scale.json');
    execFileSync(
      process.execPath,
      [
        path.join(root, 'dist', 'cli', 'main.js'),
        'bench',
        '--only',
        'scale',
        '--scale-counts',
        '10,200',
        '--duration',
        '1',
        '--warmup',
        '0.2',
        '--rounds',
        '2',
        '--connections',
        '4',
        '--out',
        out,
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 170_000 },
    );
    const run = JSON.parse(readFileSync(out, 'utf8')) as {
      scale: { database: string; consents: number; rounds: number[]; statuses: Record<string, number> }[];
      notes: string[];
    };
    const measured = run.scale.map((s) => `${s.database} ${s.consents}`);
    expect(measured.slice(0, 2)).toEqual(['sqlite 10', 'sqlite 200']);
    // CI brings PostgreSQL up (.ci/run); elsewhere the bench may skip it, and says so.
    if (process.env.CI === 'true' || measured.length > 2) {
      expect(measured.slice(2)).toEqual(['postgres 10', 'postgres 200']);
    } else {
      expect(run.notes.join('\n')).toMatch(/PostgreSQL scale runs skipped/);
    }
    for (const s of run.scale) {
      expect(s.rounds).toHaveLength(2);
      expect(Object.keys(s.statuses)).toEqual(['200']);
    }
  }, 240_000);
});
