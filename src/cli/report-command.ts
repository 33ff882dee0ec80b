// `hf report`: the daily report of one UTC day (PnL, equity and drawdown, exposures, rejects, TCA,
// reconciliation, incidents) as Markdown with SVG charts and as a PDF, into <home>/reports/<date>/.

import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../common/errors.ts';
import { loadRegistry, type Registry } from '../common/registry.ts';
import {
  buildDailyReport,
  DayDataError,
  describeSource,
  loadDayData,
  REPORT_FORMATS,
  todayUtc,
  writeDailyReport,
  type ReportFormat,
} from '../reports/index.ts';
import { resolvePaths, type CliIo, type CliPaths } from './context.ts';

export interface ReportCommandOptions {
  readonly date?: string;
  readonly format: string;
  readonly out?: string;
  readonly session?: string;
}

/** `md,pdf` → ['md', 'pdf']; undefined names the first unknown format. */
export function parseFormats(text: string): { formats: ReportFormat[] } | { unknown: string } {
  const formats: ReportFormat[] = [];
  for (const part of text.split(',')) {
    const name = part.trim().toLowerCase();
    if (name === '') continue;
    if (!(REPORT_FORMATS as readonly string[]).includes(name)) return { unknown: part.trim() };
    if (!formats.includes(name as ReportFormat)) formats.push(name as ReportFormat);
  }
  return formats.length === 0 ? { unknown: text } : { formats };
}

/**
 * Runs `hf report`; returns the exit code: 0 written; 1 no data for the date, or the PDF could not be made
 * (the other formats are written); 2 bad options, configuration or store.
 */
export async function reportCommand(
  paths: CliPaths,
  io: CliIo,
  options: ReportCommandOptions,
  databaseUrl: string | undefined = process.env.DATABASE_URL,
): Promise<number> {
  const date = options.date ?? todayUtc();
  const parsed = parseFormats(options.format);
  if ('unknown' in parsed) {
    io.err(
      `hf report: --format "${parsed.unknown}" is not one of ${REPORT_FORMATS.join(', ')} (e.g. --format md,pdf)`,
    );
    return 2;
  }
  let registry: Registry;
  try {
    registry = loadRegistry(join(paths.configDir, 'registry.yaml'));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.err(`hf report: configuration error: ${error.message}`);
    return 2;
  }
  try {
    const day = await loadDayData({
      home: paths.home,
      date,
      ...(options.session !== undefined ? { session: options.session } : {}),
      ...(databaseUrl !== undefined ? { databaseUrl } : {}),
      controlSocket: paths.socket,
    });
    const report = buildDailyReport(day, registry);
    const outDir = resolve(options.out ?? join(paths.home, 'reports', date));
    const written = await writeDailyReport(report, outDir, parsed.formats);
    io.out(`report ${date} from ${describeSource(day.source)}`);
    for (const note of report.notes) io.out(`note: ${note}`);
    for (const file of written.files) io.out(`wrote ${file}`);
    if (written.pdfError !== undefined) {
      io.err(`hf report: PDF not written: ${written.pdfError}`);
      return 1;
    }
    return 0;
  } catch (error) {
    if (!(error instanceof DayDataError)) throw error;
    io.err(`hf report: ${error.message}`);
    return error.exitCode;
  }
}

export function registerReportCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('report')
    .description(
      'daily report: PnL, equity and drawdown, exposures, rejects, TCA, reconciliation and incidents of a UTC day',
    )
    .option('--date <YYYY-MM-DD>', 'UTC day to report (default: today)')
    .option('--format <list>', 'comma-separated: md (report.md and SVG charts), pdf (report.pdf)', 'md')
    .option('--out <dir>', 'output folder (default: <home>/reports/<date>)')
    .option('--session <dir>', 'session folder to read (default: the latest with data on the date)')
    .action(async (options: ReportCommandOptions, command: Command) => {
      const globals = command.optsWithGlobals<{ home?: string; config?: string }>();
      const paths = resolvePaths({
        ...(globals.home !== undefined ? { home: globals.home } : {}),
        ...(globals.config !== undefined ? { config: globals.config } : {}),
      });
      setExit(await reportCommand(paths, io, options));
    });
}
