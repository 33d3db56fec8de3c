import { readFileSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { loadDatabaseUrl, type Env } from '../config/config';
import {
  buildQuarterReport,
  parsePsuInterfaceCsv,
  parseQuarter,
  reportCsv,
  reportHtml,
} from '../ops/eba_report';
import { KyselyEbaStatistics } from '../store/kysely_eba_statistics';
import { openStore } from '../store/open_store';

export interface StatsCommandParams {
  env?: Env;
  /** Where the report goes when no --out is given; stdout by default. */
  out?: (text: string) => void;
  err?: (line: string) => void;
  now?: () => Date;
}

const FORMATS = ['json', 'csv', 'html'] as const;

/**
 * The EBA statistics of the dedicated interface (RTS Art. 32(4), EBA/GL/2018/07): the quarterly report,
 * and the import of the PSU interface's figures it is compared with.
 */
export function statsCommand(params: StatsCommandParams = {}): Command {
  const out = params.out ?? ((text: string) => process.stdout.write(text));
  const err = params.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  const openStatistics = async () => {
    const store = await openStore(loadDatabaseUrl(params.env ?? process.env));
    return { statistics: new KyselyEbaStatistics(store.db), close: () => store.close() };
  };

  const command = new Command('stats')
    .description(
      'quarterly availability and performance of the dedicated interface per service (AIS, PIS, PIIS), from GATEWAY_DATABASE_URL',
    )
    .option('--quarter <quarter>', 'the quarter to report, e.g. 2026Q4 (required)')
    .addOption(new Option('--format <format>', 'output format').choices([...FORMATS]).default('json'))
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--institution <name>', 'the bank as named in the HTML report', 'Bob’s Bank')
    .action(
      async (options: {
        quarter: string;
        format: (typeof FORMATS)[number];
        out?: string;
        institution: string;
      }) => {
        // Not a requiredOption: commander would then demand it of `stats import-psu` too.
        if (options.quarter === undefined)
          command.error("error: required option '--quarter <quarter>' not specified");
        const quarter = parseQuarter(options.quarter);
        const { statistics, close } = await openStatistics();
        let report;
        try {
          const from = `${quarter.first}T00:00:00.000Z`;
          const to = new Date(Date.parse(`${quarter.last}T00:00:00.000Z`) + 86_400_000).toISOString();
          report = buildQuarterReport(
            quarter,
            {
              daily: await statistics.daily(quarter.first, quarter.last),
              downtimes: await statistics.downtimes(from, to),
              psuInterface: await statistics.psuInterface(quarter.first, quarter.last),
            },
            params.now?.() ?? new Date(),
          );
        } finally {
          await close();
        }
        const text =
          options.format === 'csv'
            ? reportCsv(report)
            : options.format === 'html'
              ? reportHtml(report, { institution: options.institution })
              : `${JSON.stringify(report, null, 2)}\n`;
        if (options.out === undefined) out(text);
        else {
          writeFileSync(options.out, text);
          err(`stats: ${quarter.label} report (${options.format}) written to ${options.out}`);
        }
      },
    );

  command
    .command('import-psu <file>')
    .description(
      "import the PSU interface's daily figures (CSV: day,service,availability_percent,avg_response_ms,error_rate_percent) to show beside the dedicated interface",
    )
    .action(async (file: string) => {
      const figures = parsePsuInterfaceCsv(readFileSync(file, 'utf8'));
      const { statistics, close } = await openStatistics();
      try {
        await statistics.importPsuInterface(figures);
      } finally {
        await close();
      }
      err(`stats: ${figures.length} days of PSU interface figures imported from ${file}`);
    });
  return command;
}
