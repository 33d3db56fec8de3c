/**
 * EBA statistics: the downtime rule on the recorder, the figures in a real store, the quarterly report in
 * its three formats, the import of the PSU interface's figures, and the HTML page as Chromium renders it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { statsCommand } from '../../src/cli/stats_command';
import { parseQuarter, type QuarterReport } from '../../src/ops/eba_report';
import {
  EbaStatistics,
  type DailyFigures,
  type Downtime,
  type EbaStatisticsRepository,
} from '../../src/ops/eba_statistics';
import { KyselyEbaStatistics } from '../../src/store/kysely_eba_statistics';
import { openStore } from '../../src/store/open_store';
import { createTestDatabase, type TestDatabase } from '../store/test_databases';
import { chromiumAvailable, launchChromium } from '../helpers/chromium';
import { mtlsRequest } from '../helpers/mtls_request';
import { useSqliteTestGateway } from '../helpers/test_gateway';
import { clientCredentials, testPkiFiles } from '../helpers/test_pki';
import { readFileSync } from 'node:fs';

class MemoryRepository implements EbaStatisticsRepository {
  daily: DailyFigures[] = [];
  downtimes: Downtime[] = [];
  addDaily(figures: readonly DailyFigures[]): Promise<void> {
    this.daily.push(...figures);
    return Promise.resolve();
  }
  openDowntime(downtime: Downtime): Promise<void> {
    this.downtimes.push({ ...downtime });
    return Promise.resolve();
  }
  closeDowntime(id: string, endedAt: string): Promise<void> {
    const d = this.downtimes.find((x) => x.id === id);
    if (d !== undefined) d.endedAt = endedAt;
    return Promise.resolve();
  }
}

const T0 = Date.parse('2026-11-12T02:10:00Z');

describe('EBA downtime rule', () => {
  it.each([
    ['four 5xx in a row: no downtime', [503, 503, 503, 503, 200], 0],
    ['five 5xx in a row: down from the first', [503, 503, 503, 503, 503, 200], 1],
    ['4xx refusals are answers', [400, 401, 403, 404, 429, 200], 0],
    ['a success in between restarts the count', [503, 503, 503, 200, 503, 503, 503, 200], 0],
  ])('%s', async (_name, statuses, downtimes) => {
    const repository = new MemoryRepository();
    const recorder = new EbaStatistics(repository);
    statuses.forEach((status, i) => recorder.record('AIS', T0 + i * 1000, 50, status, true));
    await recorder.flush();
    expect(repository.downtimes).toHaveLength(downtimes);
    if (downtimes === 1) {
      expect(repository.downtimes[0]).toMatchObject({
        service: 'AIS',
        startedAt: new Date(T0).toISOString(),
        endedAt: new Date(T0 + (statuses.length - 1) * 1000).toISOString(),
      });
    }
    expect(repository.daily).toEqual([
      expect.objectContaining({ day: '2026-11-12', service: 'AIS', requests: statuses.length }),
    ]);
  });

  it('counts requests unanswered within 30 s or not answered at all', async () => {
    const repository = new MemoryRepository();
    const recorder = new EbaStatistics(repository);
    recorder.record('PIS', T0, 31_000, 200, true);
    recorder.record('PIS', T0 + 1, 10, 0, false);
    recorder.record('PIS', T0 + 2, 30_500, 201, true);
    recorder.record('PIS', T0 + 3, 10, 502, true);
    recorder.record('PIS', T0 + 4, 40_000, 200, true);
    await recorder.flush();
    expect(repository.downtimes).toEqual([
      expect.objectContaining({ service: 'PIS', startedAt: new Date(T0).toISOString(), endedAt: null }),
    ]);
    expect(repository.daily[0]).toMatchObject({ requests: 5, errors: 2 });
  });
});

describe('EBA daily figures', () => {
  it('counts each request on the UTC day it started, across midnight and across flushes', async () => {
    const repository = new MemoryRepository();
    const recorder = new EbaStatistics(repository);
    const midnight = Date.parse('2026-11-13T00:00:00Z');
    recorder.record('AIS', midnight - 1, 10, 200, true);
    recorder.record('AIS', midnight, 20, 200, true);
    recorder.record('PIS', midnight - 1, 5, 503, true);
    recorder.record('AIS', midnight - 2, 30, 200, true);
    await recorder.flush();
    recorder.record('AIS', midnight + 1, 40, 500, true);
    await recorder.flush();
    expect(repository.daily).toEqual([
      { day: '2026-11-12', service: 'AIS', requests: 2, errors: 0, totalMs: 40 },
      { day: '2026-11-13', service: 'AIS', requests: 1, errors: 0, totalMs: 20 },
      { day: '2026-11-12', service: 'PIS', requests: 1, errors: 1, totalMs: 5 },
      { day: '2026-11-13', service: 'AIS', requests: 1, errors: 1, totalMs: 40 },
    ]);
  });
});

describe('quarterly report', () => {
  let database: TestDatabase;
  const work = mkdtempSync(path.join(os.tmpdir(), 'psd2-stats-'));
  const quarter = parseQuarter('2026Q4');
  const now = new Date('2027-01-05T08:00:00Z');

  const run = async (args: string[]): Promise<string> => {
    let text = '';
    await statsCommand({
      env: { GATEWAY_DATABASE_URL: database.url },
      out: (t) => (text += t),
      err: () => undefined,
      now: () => now,
    })
      .exitOverride()
      .parseAsync(args, { from: 'user' });
    return text;
  };

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const store = await openStore(database.url);
    const statistics = new KyselyEbaStatistics(store.db);
    // A quarter of traffic: AIS busy, PIS and PIIS lighter; one AIS outage of 37 minutes on 12 November.
    const figures: DailyFigures[] = quarter.days.flatMap((day, i) => [
      {
        day,
        service: 'AIS',
        requests: 20_000 + (i % 7) * 900,
        errors: 3 + (i % 5),
        totalMs: (20_000 + (i % 7) * 900) * (118 + (i % 9) * 4),
      },
      {
        day,
        service: 'PIS',
        requests: 1_500 + (i % 4) * 120,
        errors: i % 3,
        totalMs: (1_500 + (i % 4) * 120) * (240 + (i % 6) * 9),
      },
      {
        day,
        service: 'PIIS',
        requests: 300 + (i % 3) * 20,
        errors: 0,
        totalMs: (300 + (i % 3) * 20) * (85 + (i % 4) * 3),
      },
    ]);
    await statistics.addDaily(figures);
    // Added twice for one day, as two workers would: the store adds up.
    await statistics.addDaily([
      { day: '2026-10-01', service: 'PIIS', requests: 10, errors: 1, totalMs: 1000 },
    ]);
    await statistics.openDowntime({
      id: 'outage-1',
      service: 'AIS',
      startedAt: '2026-11-12T02:10:00.000Z',
      endedAt: null,
    });
    await statistics.closeDowntime('outage-1', '2026-11-12T02:47:00.000Z');
    await store.close();
    const csv = ['day,service,availability_percent,avg_response_ms,error_rate_percent'];
    quarter.days.forEach((day, i) => {
      csv.push(`${day},AIS,${i === 40 ? '98.40' : '99.98'},${210 + (i % 5) * 12},0.04`);
      csv.push(`${day},PIS,99.97,${330 + (i % 3) * 15},0.07`);
    });
    writeFileSync(path.join(work, 'psu.csv'), `${csv.join('\n')}\n`);
    await run(['import-psu', path.join(work, 'psu.csv')]);
  });

  afterAll(async () => {
    await database?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it('computes availability with the downtime and the performance per service (JSON)', async () => {
    const report = JSON.parse(await run(['--quarter', '2026Q4', '--format', 'json'])) as QuarterReport;
    expect(report).toMatchObject({ quarter: '2026Q4', daysCovered: 92 });
    const ais = report.services.find((s) => s.service === 'AIS');
    const outageDay = ais?.dedicated.days.find((d) => d.day === '2026-11-12');
    expect(outageDay?.downtimeMinutes).toBeCloseTo(37, 6);
    expect(outageDay?.availability).toBeCloseTo(1 - 37 / 1440, 9);
    expect(ais?.dedicated.summary.availability).toBeCloseTo(1 - 37 / (92 * 1440), 9);
    expect(ais?.psuInterface?.summary.availability).toBeGreaterThan(0.99);
    const piis = report.services.find((s) => s.service === 'PIIS');
    expect(piis?.dedicated.days[0]).toMatchObject({ requests: 310, errorRate: 1 / 310 });
    expect(piis?.psuInterface).toBeUndefined();
  });

  it('writes CSV with both interfaces side by side', async () => {
    const csv = (await run(['--quarter', '2026Q4', '--format', 'csv'])).trim().split('\n');
    expect(csv[0]).toBe(
      'day,service,interface,availability_percent,avg_response_ms,error_rate_percent,requests,downtime_minutes',
    );
    expect(csv).toContain('2026-11-10,AIS,psu,98.400,210.0,0.040,,');
    expect(csv.filter((l) => l.includes(',AIS,dedicated,'))).toHaveLength(92);
  });

  it('refuses a PSU interface file with a bad row, naming the line', async () => {
    writeFileSync(
      path.join(work, 'bad.csv'),
      'day,service,availability_percent,avg_response_ms,error_rate_percent\n2026-10-01,XS2A,99,100,0\n',
    );
    await expect(run(['import-psu', path.join(work, 'bad.csv')])).rejects.toThrow(
      'line 2: service must be one of AIS, PIS, PIIS, got "XS2A"',
    );
  });

  it('renders a self-contained HTML page with charts that Chromium shows without fetching anything', async () => {
    const html = await run(['--quarter', '2026Q4', '--format', 'html']);
    expect(html).not.toMatch(/(src|href)=["']?https?:/i);
    expect(html.match(/<figure>/g)).toHaveLength(9);
    if (!chromiumAvailable('EBA statistics HTML')) return;
    const file = path.join(work, 'report.html');
    writeFileSync(file, html);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(`file://${file}`);
      expect(requests).toEqual([`file://${file}`]);
      expect(await page.locator('svg path').count()).toBeGreaterThanOrEqual(9 + 6);
      expect(await page.locator('h2').allTextContents()).toEqual([
        'Account information (AIS)',
        'Payment initiation (PIS)',
        'Confirmation of funds (PIIS)',
      ]);
      if (process.env.PSD2_STATS_SCREENSHOT !== undefined)
        await page.screenshot({ path: process.env.PSD2_STATS_SCREENSHOT, fullPage: true });
    } finally {
      await browser.close();
    }
  });
});

describe('statistics of a running gateway', () => {
  const gatewayOf = useSqliteTestGateway();

  it('counts AIS requests per day in the store', async () => {
    const ca = readFileSync(testPkiFiles().anchor);
    for (let i = 0; i < 3; i++)
      await mtlsRequest({
        url: `${gatewayOf().url}/v1/accounts`,
        ca,
        credentials: clientCredentials('alice'),
      });
    await gatewayOf().operations.statistics.flush();
    const today = new Date().toISOString().slice(0, 10);
    const rows = await new KyselyEbaStatistics(gatewayOf().store.db).daily(today, today);
    expect(rows).toEqual([expect.objectContaining({ service: 'AIS', requests: 3, errors: 0 })]);
  });
});
