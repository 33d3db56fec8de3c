/**
 * The whole product, end to end: the gateway started only through GATEWAY_* variables (production mode,
 * so no fixture default can stand in) on a PKI generated for this run, and the conformance suite run
 * against it over real TLS. Every case must pass, on SQLite and on PostgreSQL.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runConformance } from '../../src/cli/conformance_command';
import { PROJECT_ROOT } from '../../src/config/project_root';
import type { RunningGateway } from '../../src/gateway';
import { startTestGateway } from '../helpers/test_gateway';
import { FIXTURE_FILES } from '../../src/fixtures/fixture_pki';
import {
  createTestDatabase,
  DATABASE_KINDS,
  describeForDatabase,
  type TestDatabase,
} from '../store/test_databases';
import { testPkiDir, testPkiFiles } from '../helpers/test_pki';

interface CaseResult {
  id: string;
  verdict: 'PASS' | 'FAIL' | 'SKIP';
  observed: string;
  reason?: string;
}

describe.each(DATABASE_KINDS)('conformance suite against the gateway on %s', (kind) => {
  describeForDatabase(kind)('', () => {
    let database: TestDatabase;
    let gateway: RunningGateway;
    const reportDir = mkdtempSync(path.join(os.tmpdir(), 'psd2-conformance-'));

    beforeAll(async () => {
      database = await createTestDatabase(kind);
      gateway = await startTestGateway(database.url, { GATEWAY_MODE: 'production', GATEWAY_SANDBOX: 'true' });
    });

    afterAll(async () => {
      await gateway?.close();
      await database?.drop();
      rmSync(reportDir, { recursive: true, force: true });
    });

    it('passes every case', async () => {
      const output: string[] = [];
      const exitCode = await runConformance(
        {
          target: gateway.url,
          anchor: testPkiFiles().anchor,
          identities: path.join(testPkiDir(), FIXTURE_FILES.clientsDir),
          cases: path.join(PROJECT_ROOT, 'fixtures', 'client_cases.json'),
          reportDir,
          color: false,
        },
        { stdout: (t) => output.push(t), stderr: (t) => output.push(t), isTty: false },
      );
      const report = JSON.parse(readFileSync(path.join(reportDir, 'report.json'), 'utf8')) as {
        verdict: string;
        results: CaseResult[];
      };
      const notPassed = report.results
        .filter((r) => r.verdict !== 'PASS')
        .map((r) => `${r.id} ${r.verdict}: ${r.reason ?? r.observed}`);
      expect(notPassed).toEqual([]);
      expect(report.results.length).toBeGreaterThanOrEqual(45);
      expect(report.verdict).toBe('PASS');
      expect(exitCode).toBe(0);
    }, 180_000);
  });
});
