// `hf tca`: transaction cost analysis of one day's orders (per order, per strategy, per venue) against the
// recorded tape, as a table or JSON; `--fit` refits each venue's cost model from the fills, as YAML for
// configs/registry.yaml (the feedback step of the post-close routine).

import { join } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../common/errors.ts';
import { loadRegistry, type Registry } from '../common/registry.ts';
import {
  analyzeDay,
  costModelYaml,
  DayDataError,
  describeSource,
  fitDayCosts,
  formatBps,
  formatMoney,
  formatNumber,
  formatPrice,
  formatTime,
  loadDayData,
  ReportReasons,
  tcaTable,
  textTable,
  todayUtc,
  type DayTca,
} from '../reports/index.ts';
import { resolvePaths, type CliIo, type CliPaths } from './context.ts';

export interface TcaCommandOptions {
  readonly date?: string;
  readonly session?: string;
  readonly json?: boolean;
  readonly fit?: boolean;
}

function orderTable(tca: DayTca): string[] {
  return textTable({
    headers: [
      'Decided (UTC)',
      'Order',
      'Strategy',
      'Venue',
      'Instrument',
      'Side',
      'Qty',
      'Filled',
      'Avg price',
      'Decision',
      'Arrival',
      'IS dec bps',
      'IS arr bps',
      'Spread bps',
      'Fees',
    ],
    align: ['left', 'left', 'left', 'left', 'left', 'left'],
    rows: tca.report.orders.map((order) => {
      const benchmarks = tca.benchmarks.get(order.clientOrderId);
      return [
        benchmarks === undefined ? '–' : formatTime(benchmarks.decisionTime),
        order.clientOrderId,
        order.strategyId,
        order.venue,
        order.instrumentId,
        order.side,
        formatNumber(order.quantity),
        formatNumber(order.filledQuantity),
        formatPrice(order.averagePrice),
        formatPrice(benchmarks?.decisionPrice ?? null),
        formatPrice(benchmarks?.arrivalPrice ?? null),
        formatBps(order.shortfallDecisionBps),
        formatBps(order.shortfallArrivalBps),
        formatBps(order.effectiveSpreadBps),
        formatMoney(order.fees),
      ];
    }),
  });
}

function loadRegistryFor(paths: CliPaths): Registry {
  return loadRegistry(join(paths.configDir, 'registry.yaml'));
}

/** Runs `hf tca`; returns the exit code (0; 1 when the date has no data; 2 on bad options or a store error). */
export async function tcaCommand(
  paths: CliPaths,
  io: CliIo,
  options: TcaCommandOptions,
  databaseUrl: string | undefined = process.env.DATABASE_URL,
): Promise<number> {
  const date = options.date ?? todayUtc();
  let registry: Registry;
  try {
    registry = loadRegistryFor(paths);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.err(`hf tca: configuration error: ${error.message}`);
    return 2;
  }
  let tca: DayTca;
  let source: string;
  let notes: readonly string[];
  try {
    const day = await loadDayData({
      home: paths.home,
      date,
      ...(options.session !== undefined ? { session: options.session } : {}),
      ...(databaseUrl !== undefined ? { databaseUrl } : {}),
      controlSocket: paths.socket,
    });
    tca = analyzeDay(day, registry);
    source = describeSource(day.source);
    notes = day.notes;
  } catch (error) {
    if (!(error instanceof DayDataError)) throw error;
    io.err(`hf tca: ${error.message}`);
    return error.exitCode;
  }
  const fits = options.fit === true ? fitDayCosts(tca, registry) : undefined;
  const { report } = tca;

  if (options.json === true) {
    const counts: Record<string, number> = {};
    for (const [code, n] of Object.entries(report.counts)) if (n > 0) counts[code] = n;
    io.out(
      JSON.stringify({
        date,
        source,
        notes,
        markoutHorizonsMicros: report.markoutHorizonsMicros,
        orders: report.orders.map((order) => ({ ...order, ...tca.benchmarks.get(order.clientOrderId) })),
        fills: report.fills,
        byStrategy: report.byStrategy,
        byVenue: report.byVenue,
        excluded: tca.counts,
        counts,
        issues: report.issues,
        ...(fits ? { fit: fits, fitYaml: costModelYaml(fits, date).join('\n') } : {}),
      }),
    );
    return 0;
  }

  const filled = report.orders.filter((o) => o.filledQuantity > 0).length;
  io.out(
    `TCA ${date}: ${report.orders.length} order(s) routed, ${filled} filled, ${report.fills.length} fill(s)`,
  );
  io.out(`source: ${source}`);
  for (const note of notes) io.out(`note: ${note}`);
  io.out('');
  io.out('Per order (bps: positive = cost; decision / arrival = tape mid when decided / routed)');
  for (const line of orderTable(tca)) io.out(line);
  for (const [title, rows, label] of [
    ['By strategy', report.byStrategy, 'Strategy'],
    ['By venue', report.byVenue, 'Venue'],
  ] as const) {
    io.out('');
    io.out(title);
    for (const line of textTable(tcaTable(rows, label, report.markoutHorizonsMicros))) io.out(line);
  }
  const excluded = Object.entries(tca.counts);
  const issues = Object.entries(report.counts).filter(([, n]) => n > 0);
  if (excluded.length > 0 || issues.length > 0) {
    io.out('');
    for (const [code, n] of excluded)
      io.out(`${code} × ${n}: ${ReportReasons[code as keyof typeof ReportReasons]}`);
    for (const [code, n] of issues) io.out(`${code} × ${n}`);
  }
  if (fits) {
    io.out('');
    for (const line of costModelYaml(fits, date)) io.out(line);
  }
  return 0;
}

export function registerTcaCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('tca')
    .description(
      "transaction cost analysis of a day's orders against the recorded tape: per order, strategy and venue",
    )
    .option('--date <YYYY-MM-DD>', 'UTC day to analyse (default: today)')
    .option('--session <dir>', 'session folder to read (default: the latest with data on the date)')
    .option('--json', 'print one JSON object')
    .option('--fit', "also refit each venue's cost model from the fills, as YAML for configs/registry.yaml")
    .action(async (options: TcaCommandOptions, command: Command) => {
      const globals = command.optsWithGlobals<{ home?: string; config?: string }>();
      const paths = resolvePaths({
        ...(globals.home !== undefined ? { home: globals.home } : {}),
        ...(globals.config !== undefined ? { config: globals.config } : {}),
      });
      setExit(await tcaCommand(paths, io, options));
    });
}
