// `hf backtest`: a strategy (built-in or a user file) over recorded data through the real kernel, a summary or
// JSON, output files, and parameter sweeps over worker threads.

import { existsSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { ConfigError } from '../common/errors.ts';
import { DataFileError, parseTimestamp } from '../feeds/files/index.ts';
import { resultJson, summaryLines, writeOutputs } from '../backtest/output.ts';
import { runBacktest, type BacktestOptions } from '../backtest/runner.ts';
import { driftLines, replayDay } from '../backtest/replay-day.ts';
import { parameterGrid, runSweep, type SweepReply } from '../backtest/sweep.ts';
import { DayDataError } from '../reports/day-data.ts';
import { resolvePaths, type CliIo } from './context.ts';

const DAY_MICROS = 86_400_000_000;

interface BacktestFlags {
  data?: string[];
  date?: string;
  session?: string;
  instrument?: string[];
  format?: 'yahoo' | 'bars-csv' | 'ticks-csv';
  timeframe?: string;
  barTime?: 'open' | 'close';
  strategy: string;
  param: string[];
  cash: number;
  currency: string;
  commission?: number;
  size?: number;
  from?: string;
  to?: string;
  seed: number;
  strict?: boolean;
  json?: boolean;
  out?: string;
  threads?: number;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function positive(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
    return n;
  };
}

function nonNegative(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number ≥ 0`);
    return n;
  };
}

function dateArgument(name: string, text: string, endOfDay: boolean): number {
  const ts = parseTimestamp(text);
  if (Number.isNaN(ts)) throw new InvalidArgumentError(`${name} "${text}" is not a date (YYYY-MM-DD)`);
  // --to is inclusive of its whole day when given as a date.
  return endOfDay && text.trim().length === 10 ? ts + DAY_MICROS : ts;
}

function percent(value: number | null): string {
  return value === null ? '—' : `${(value * 100).toFixed(2)}%`;
}

export function registerBacktestCommand(
  program: Command,
  io: CliIo,
  setExit: (code: number) => void,
  globals: () => { home?: string; config?: string } = () => program.opts(),
): void {
  program
    .command('backtest')
    .description('run a strategy over recorded bars or ticks through the real kernel on a simulated clock')
    .option('--data <file>', 'data file (repeat for a portfolio backtest)', collect)
    .option(
      '--date <YYYY-MM-DD>',
      "replay that day's recording and compare with what was traded live (drift report)",
    )
    .option(
      '--session <dir>',
      'with --date: the session to compare with (default: the latest with data that day)',
    )
    .option(
      '--instrument <id>',
      'registry instrument for the data file at the same position (repeatable)',
      collect,
    )
    .addOption(
      new Option('--format <format>', 'data format (default: from the header)').choices([
        'yahoo',
        'bars-csv',
        'ticks-csv',
      ]),
    )
    .option('--timeframe <tf>', 'bar timeframe such as 1m or 1d (default: from the data)')
    .addOption(
      new Option('--bar-time <when>', 'intraday rows are stamped with the bar open or close time').choices([
        'open',
        'close',
      ]),
    )
    .option('--strategy <name|path.ts>', 'built-in strategy or a strategy file', 'sma-cross')
    .option('--param <k=v>', 'strategy parameter; lo..hi[:step] sweeps it (repeatable)', collect, [])
    .option('--cash <n>', 'starting cash', positive('--cash'), 100_000)
    .option('--currency <code>', 'currency of the cash and of file instruments', 'USD')
    .option(
      '--commission <fraction>',
      'commission as a fraction of notional per fill (0.001 = 0.1%)',
      nonNegative('--commission'),
    )
    .option('--size <n>', 'fixed order size (the strategy size parameter)', positive('--size'))
    .option('--from <date>', 'first day to replay (YYYY-MM-DD)')
    .option('--to <date>', 'last day to replay, inclusive (YYYY-MM-DD)')
    .option('--seed <n>', 'seed of the paper venue models', (v) => Number.parseInt(v, 10), 1)
    .option('--strict', 'stop at the first bad data row instead of skipping and counting it')
    .option('--json', 'print one JSON object')
    .option('--out <dir>', 'write summary.json, trades.csv, fills.csv, equity.csv and equity.svg here')
    .option('--threads <n>', 'worker threads for a sweep (default: CPU count)', positive('--threads'))
    .action(async (flags: BacktestFlags) => setExit(await backtest(flags, io, globals())));
}

async function backtest(
  flags: BacktestFlags,
  io: CliIo,
  globals: { home?: string; config?: string },
): Promise<number> {
  if (flags.date !== undefined) {
    if (flags.data !== undefined) {
      io.err('hf backtest: give --data (a file) or --date (a recorded day), not both');
      return 2;
    }
    return replay(flags, io, globals);
  }
  if (flags.data === undefined) {
    io.err('hf backtest: give --data <file> (repeatable) or --date YYYY-MM-DD');
    return 2;
  }
  const data = flags.data;
  try {
    for (const path of data)
      if (!existsSync(path)) {
        io.err(`hf backtest: data file not found: ${path}`);
        return 2;
      }
    const instruments = flags.instrument ?? [];
    if (instruments.length > data.length) {
      io.err('hf backtest: more --instrument than --data');
      return 2;
    }
    const from = flags.from === undefined ? undefined : dateArgument('--from', flags.from, false);
    const to = flags.to === undefined ? undefined : dateArgument('--to', flags.to, true);
    if (from !== undefined && to !== undefined && to <= from) {
      io.err(`hf backtest: empty date range: --from ${flags.from} is after --to ${flags.to}`);
      return 2;
    }
    const { fixed, grid } = parameterGrid(flags.param);
    const options: BacktestOptions = {
      configDir: resolvePaths(globals).configDir,
      data: data.map((path, i) => ({
        path,
        ...(instruments[i] ? { instrument: instruments[i] } : {}),
      })),
      strategy: flags.strategy,
      params: fixed,
      cash: flags.cash,
      currency: flags.currency,
      seed: flags.seed,
      strict: flags.strict ?? false,
      ...(flags.format ? { format: flags.format } : {}),
      ...(flags.timeframe ? { timeframe: flags.timeframe } : {}),
      ...(flags.barTime ? { barTime: flags.barTime } : {}),
      ...(flags.commission !== undefined ? { commission: flags.commission } : {}),
      ...(flags.size !== undefined ? { size: flags.size } : {}),
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
    };
    if (grid.length > 0) return await sweep(options, grid, flags, io);

    const tty = process.stderr.isTTY && !flags.json;
    const result = await runBacktest({
      ...options,
      ...(tty
        ? {
            onProgress: (fraction: number) => {
              const width = 30;
              const filled = Math.round(Math.min(1, fraction) * width);
              process.stderr.write(
                `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(0)}%`,
              );
            },
          }
        : {}),
    });
    if (tty) process.stderr.write('\r' + ' '.repeat(40) + '\r');
    if (result.events === 0) {
      const range =
        from !== undefined || to !== undefined
          ? ` between ${flags.from ?? 'the start'} and ${flags.to ?? 'the end'}`
          : '';
      io.err(`hf backtest: no data${range} in ${data.join(', ')}: nothing to replay`);
      return 1;
    }
    if (flags.json) io.out(JSON.stringify(resultJson(result)));
    else for (const line of summaryLines(result)) io.out(line);
    if (flags.out) {
      const written = writeOutputs(result, flags.out);
      if (!flags.json) io.out(`  wrote ${written.join(', ')} to ${flags.out}`);
    }
    return 0;
  } catch (error) {
    if (error instanceof DataFileError || error instanceof ConfigError) {
      io.err(`hf backtest: ${error.message}`);
      return 2;
    }
    throw error;
  }
}

/** `--date`: the day's recording through the kernel, compared with the live session (exit 2 on an error). */
async function replay(
  flags: BacktestFlags,
  io: CliIo,
  globals: { home?: string; config?: string },
): Promise<number> {
  const paths = resolvePaths(globals);
  try {
    const report = await replayDay({
      home: paths.home,
      configDir: paths.configDir,
      date: flags.date!,
      controlSocket: paths.socket,
      seed: flags.seed,
      ...(flags.session !== undefined ? { session: flags.session } : {}),
      ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
    });
    if (flags.json) io.out(JSON.stringify(report));
    else for (const line of driftLines(report)) io.out(line);
    return 0;
  } catch (error) {
    if (error instanceof DayDataError) {
      io.err(`hf backtest: ${error.message}`);
      return error.exitCode;
    }
    io.err(`hf backtest: ${(error as Error).message}`);
    return 2;
  }
}

async function sweep(
  options: BacktestOptions,
  grid: readonly Record<string, unknown>[],
  flags: BacktestFlags,
  io: CliIo,
): Promise<number> {
  const started = Date.now();
  const rows = await runSweep(options, grid, flags.threads);
  const seconds = (Date.now() - started) / 1000;
  const failed = rows.filter((r): r is Extract<SweepReply, { error: string }> => 'error' in r);
  if (flags.json) io.out(JSON.stringify({ runs: rows, seconds, threads: flags.threads ?? null }));
  else {
    const names = Object.keys(grid[0] ?? {});
    io.out(`sweep of ${grid.length} runs over ${names.join(', ')} in ${seconds.toFixed(1)} s`);
    io.out(
      [...names, 'final value', 'return', 'sharpe', 'max dd', 'trades', 'win rate']
        .map((h) => h.padStart(12))
        .join(''),
    );
    for (const r of rows) {
      if ('error' in r) {
        io.out(
          [...names.map((n) => String(r.params[n])), `error: ${r.error}`].map((c) => c.padStart(12)).join(''),
        );
        continue;
      }
      io.out(
        [
          ...names.map((n) => String(r.params[n])),
          r.finalValue.toFixed(2),
          percent(r.totalReturn),
          r.sharpe === null ? '—' : r.sharpe.toFixed(3),
          percent(r.maxDrawdown),
          String(r.closedTrades),
          percent(r.winRate),
        ]
          .map((c) => c.padStart(12))
          .join(''),
      );
    }
  }
  return failed.length > 0 ? 1 : 0;
}
