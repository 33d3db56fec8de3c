import path from 'node:path';
import { Command } from 'commander';
import { FIXTURE_PKI_DIR } from '../config/config';
import { PROJECT_ROOT } from '../config/project_root';
import { loadClientCases, type ClientCase } from '../fixtures/client_cases';
import { ensureFixturePki, type FixtureClientCase, type FixturePki } from '../fixtures/fixture_pki';

interface FixturesOptions {
  out?: string;
  trustAnchorDir?: string;
  force?: boolean;
  json?: boolean;
}

function expectation(c: ClientCase): string {
  return c.expect.status === 200 ? '200' : `401 ${c.expect.code}`;
}

function summaryRows(pki: FixturePki, table: ClientCase[]): string[][] {
  const files = new Map(pki.cases.map((c) => [c.id, c]));
  return table.map((c) => {
    const generated = files.get(c.id);
    return [
      c.id,
      expectation(c),
      generated === undefined ? '-' : generated.thumbprintS256,
      generated === undefined ? '(sends no certificate)' : path.relative(process.cwd(), generated.chainFile),
    ];
  });
}

function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

function jsonCase(c: ClientCase, generated: FixtureClientCase | undefined): Record<string, unknown> {
  return {
    id: c.id,
    title: c.title,
    expect: c.expect,
    ...(generated === undefined
      ? {}
      : {
          chainFile: generated.chainFile,
          keyFile: generated.keyFile,
          serial: generated.serial,
          thumbprintS256: generated.thumbprintS256,
          notBefore: generated.notBefore.toISOString(),
          notAfter: generated.notAfter.toISOString(),
        }),
  };
}

export function fixturesCommand(): Command {
  return new Command('fixtures')
    .description('generate the fixture PKI (Trent, Bob, Alice, Carol, Mallory) unless a fresh one exists')
    .option('--out <dir>', 'output directory', path.join(PROJECT_ROOT, FIXTURE_PKI_DIR))
    .option(
      '--trust-anchor-dir <dir>',
      'where trent-root.pem is copied',
      path.join(PROJECT_ROOT, 'trust-anchors'),
    )
    .option('--force', 'regenerate even if the existing files are fresh')
    .option('--json', 'print the result as JSON instead of a table')
    .action(async (options: FixturesOptions) => {
      const pki = await ensureFixturePki({
        outDir: path.resolve(options.out ?? path.join(PROJECT_ROOT, FIXTURE_PKI_DIR)),
        trustAnchorDir: path.resolve(options.trustAnchorDir ?? path.join(PROJECT_ROOT, 'trust-anchors')),
        force: options.force === true,
        onProgress: (line) => process.stderr.write(`fixtures: ${line}\n`),
      });
      const table = loadClientCases();
      const byId = new Map(pki.cases.map((c) => [c.id, c]));
      if (options.json === true) {
        const result = {
          action: pki.action,
          generatedAt: pki.generatedAt.toISOString(),
          outDir: pki.outDir,
          manifestFile: pki.manifestFile,
          trustAnchorFile: pki.trustAnchorFile,
          serverChainFile: pki.serverChainFile,
          serverKeyFile: pki.serverKeyFile,
          crlFiles: [pki.issuingCaCrlFile, pki.rootCrlFile],
          cases: table.map((c) => jsonCase(c, byId.get(c.id))),
        };
        process.stdout.write(JSON.stringify(result, null, 2) + '\n');
        return;
      }
      process.stderr.write(
        `fixtures: ${pki.action} (generated ${pki.generatedAt.toISOString()}); trust anchor ${path.relative(process.cwd(), pki.trustAnchorFile)}\n`,
      );
      process.stdout.write(formatTable(['case', 'expect', 'x5t#S256', 'chain'], summaryRows(pki, table)));
    });
}
