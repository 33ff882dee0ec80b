// `hf stats`: performance statistics of a return series read from a CSV file, as a table or one JSON object.

import { basename } from 'node:path';
import type { Command } from 'commander';
import {
  computeStats,
  readReturnsFile,
  ReturnsFileError,
  StatsInputError,
  type PerformanceStats,
} from '../analytics/index.ts';
import type { CliIo } from './context.ts';

export interface StatsCommandOptions {
  readonly returns?: string;
  readonly column: string;
  readonly periodsPerYear: string;
  readonly riskFree: string;
  readonly mar: string;
  readonly json?: boolean;
}

/** A number option: `Number()` accepts '' and '0x1f', so the text is checked first. */
function parseNumber(text: string): number | undefined {
  return /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text.trim()) ? Number(text) : undefined;
}

const percent = (value: number | null): string => (value === null ? 'n/a' : `${(value * 100).toFixed(2)} %`);
const ratio = (value: number | null): string => (value === null ? 'n/a' : value.toFixed(3));

function table(stats: PerformanceStats, source: string): string[] {
  const rows: [string, string][] = [
    ['returns', source],
    ['periods per year', String(stats.periodsPerYear)],
    ['total return', percent(stats.totalReturn)],
    ['CAGR', percent(stats.cagr)],
    ['mean per period', percent(stats.meanReturn)],
    ['volatility (annual)', percent(stats.volatility)],
    ['Sharpe (annual)', `${ratio(stats.sharpe)}  (risk-free ${stats.riskFree} per period)`],
    ['Sortino (annual)', `${ratio(stats.sortino)}  (MAR ${stats.mar} per period)`],
    ['downside deviation', `${percent(stats.downsideDeviation)}  (per period)`],
    ['max drawdown', percent(stats.maxDrawdown)],
    ['Calmar', ratio(stats.calmar)],
    ['win rate', `${percent(stats.winRate)}  (of ${stats.winRateBasis})`],
    ['best period', percent(stats.bestPeriod)],
    ['worst period', percent(stats.worstPeriod)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`);
}

/** Runs `hf stats`; returns the exit code (0, or 2 on bad options or a bad file). */
export function statsCommand(io: CliIo, options: StatsCommandOptions): number {
  const fail = (message: string): number => {
    io.err(`hf stats: ${message}`);
    return 2;
  };
  if (options.returns === undefined || options.returns === '') return fail('--returns <csv> is required');
  const column = parseNumber(options.column);
  if (column === undefined || !Number.isInteger(column) || column < 1)
    return fail(`--column must be an integer ≥ 1, got "${options.column}"`);
  const periodsPerYear = parseNumber(options.periodsPerYear);
  if (periodsPerYear === undefined || periodsPerYear <= 0)
    return fail(`--periods-per-year must be a positive number, got "${options.periodsPerYear}"`);
  const riskFree = parseNumber(options.riskFree);
  if (riskFree === undefined) return fail(`--risk-free must be a number, got "${options.riskFree}"`);
  const mar = parseNumber(options.mar);
  if (mar === undefined) return fail(`--mar must be a number, got "${options.mar}"`);

  try {
    const series = readReturnsFile(options.returns, { column });
    const stats = computeStats(series.values, { periodsPerYear, riskFree, mar });
    const first = series.labels?.[0] ?? null;
    const last = series.labels?.[series.labels.length - 1] ?? null;
    if (options.json === true) {
      io.out(
        JSON.stringify({
          file: series.file,
          column: series.column,
          columnName: series.columnName,
          firstLabel: first,
          lastLabel: last,
          ...stats,
        }),
      );
      return 0;
    }
    const name = series.columnName === null ? '' : ` "${series.columnName}"`;
    const span = first === null ? '' : `, ${first} to ${last}`;
    const source = `${basename(series.file)} column ${series.column}${name} (${stats.periods} periods${span})`;
    for (const line of table(stats, source)) io.out(line);
    return 0;
  } catch (error) {
    if (error instanceof ReturnsFileError || error instanceof StatsInputError) return fail(error.message);
    throw error;
  }
}

export function registerStatsCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('stats')
    .description(
      'performance statistics of a return series: total return, CAGR, volatility, Sharpe, Sortino, max drawdown, Calmar, win rate',
    )
    .option(
      '--returns <csv>',
      'returns file (required): one period per row, returns as fractions (0.01 = 1 %), optional header row and leading date column',
    )
    .option('--column <n>', 'numeric column to read, 1-based, the date column not counted', '1')
    .option('--periods-per-year <n>', 'periods in a year: 252 daily, 52 weekly, 12 monthly', '252')
    .option('--risk-free <r>', 'risk-free return per period, a fraction', '0')
    .option('--mar <r>', 'minimum acceptable return per period for the Sortino ratio, a fraction', '0')
    .option('--json', 'print one JSON object')
    .action((options: StatsCommandOptions) => setExit(statsCommand(io, options)));
}
