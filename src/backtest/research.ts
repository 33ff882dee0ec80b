// The research library (`hedgefund-platform/research`): what a notebook or a script imports to load bars and
// ticks, backtest a Strategy class, read trades, equity, statistics and TCA as plain values, compute VaR / ES and
// stress scenarios, price options and draw SVG charts. How a tslab notebook loads it: notebooks/README.md.

import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createLogger } from '../common/logging.ts';
import { SeededRandom } from '../common/random.ts';
import { loadRegistry, type Registry } from '../common/registry.ts';
import type { CostModelFit, FillAnalysis, OrderAnalysis, TcaAggregate } from '../analytics/index.ts';
import { emptySummary, readDataFile, type DataFileFormat, type RecordedData } from '../feeds/files/index.ts';
import type { Bar, InstrumentId, OptionGreeks, ScenarioResult } from '../model/index.ts';
import {
  analyzeDay,
  describeSource,
  fitDayCosts,
  listSessions,
  loadDayData,
  type LoadDayOptions,
  type OrderBenchmarks,
} from '../reports/index.ts';
import { loadRiskConfig } from '../risk/index.ts';
import { portfolioVar } from '../risk/portfolio-var.ts';
import { VAR_METHODS, type ReturnValues, type VarMethod } from '../risk/var.ts';
import type { BookPosition } from '../services/workers/book.ts';
import { loadScenarios, type ScenarioSetup } from '../services/workers/scenario-config.ts';
import { runScenario } from '../services/workers/scenario.ts';
import { runBacktest, type BacktestDataSource, type BacktestOptions, type BacktestResult } from './runner.ts';

// ---- the library surface: everything the package's main entry exports, and the research parts ----

export * from '../index.ts';
export {
  BACKTEST_VENUE,
  classStrategyName,
  runBacktest,
  symbolFromFile,
  type BacktestDataSource,
  type BacktestOptions,
  type BacktestResult,
  type FillRecord,
  type OpenPosition,
} from './runner.ts';
export type { ClosedTrade } from './trades.ts';
export { equityChart, resultJson, summaryLines } from './output.ts';
export {
  DataFileError,
  emptySummary,
  mergeByTime,
  readDataFile,
  type DataFileFormat,
  type DataFileOptions,
  type DataFileSummary,
  type RecordedData,
} from '../feeds/files/index.ts';
export {
  analyzeExecutions,
  computeStats,
  fitCostModel,
  maxDrawdown,
  parseReturnsCsv,
  readReturnsFile,
  returnsFromEquity,
  statsFromEquity,
  type CostModelFit,
  type FillAnalysis,
  type OrderAnalysis,
  type PerformanceStats,
  type ReturnsSeries,
  type TcaAggregate,
  type TcaInput,
  type TcaReport,
} from '../analytics/index.ts';
export {
  DAYS_PER_YEAR,
  ImpliedVolatilityError,
  PRICING_MODELS,
  PricingInputError,
  impliedVolatility,
  optionGreeks,
  optionPrice,
  thetaPerDay,
  type Greeks,
  type OptionParameters,
  type OptionType,
  type PricingModel,
} from '../pricing/index.ts';
export {
  VAR_METHODS,
  VarInputError,
  cornishFisherVar,
  gaussianVar,
  historicalVar,
  returnMoments,
  type ReturnMoments,
  type ReturnValues,
  type TailRisk,
  type VarMethod,
} from '../risk/var.ts';
export { portfolioVar, type PortfolioVarResult, type VarOptions } from '../risk/portfolio-var.ts';
export {
  ScenariosFileSchema,
  loadScenarios,
  resolveScenarios,
  type ScenarioSetup,
} from '../services/workers/scenario-config.ts';
export { runScenario } from '../services/workers/scenario.ts';
export {
  DayDataError,
  analyzeDay,
  computeDayPnl,
  fitDayCosts,
  listSessions,
  loadDayData,
  type DayData,
  type DayTca,
  type LoadDayOptions,
} from '../reports/index.ts';
export { SeededRandom } from '../common/random.ts';
export { loadRegistry, parseRegistry, type Registry } from '../common/registry.ts';
export * from './research-charts.ts';

/** The package's root folder (where configs/ and bin/ are). */
export const PACKAGE_ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The configuration folder shipped with the package: registry, risk, policy, strategies, scenarios. */
export const DEFAULT_CONFIG_DIR: string = join(PACKAGE_ROOT, 'configs');

const DAY_MICROS = 86_400_000_000;

// ---- data ----

export interface LoadDataOptions {
  /** Instrument id given to the rows; default the file name's symbol on the BACKTEST venue (`ORCL.BACKTEST`). */
  readonly instrument?: string;
  readonly format?: DataFileFormat | 'auto';
  readonly timeframe?: string;
  /** Keep rows whose time is in [from, to), unix µs. */
  readonly from?: number;
  readonly to?: number;
  /** Stop after this many rows (a quick look at a long file). */
  readonly limit?: number;
}

export interface LoadedData {
  readonly rows: readonly RecordedData[];
  readonly file: string;
  readonly format: DataFileFormat | undefined;
  readonly timeframe: string | undefined;
  /** Rows read, skipped (bad), and outside [from, to). */
  readonly read: number;
  readonly skipped: number;
  readonly outOfRange: number;
  /** Skipped rows by problem. */
  readonly problems: Readonly<Record<string, number>>;
}

/** Reads a bar or tick file (Yahoo daily, intraday bars, trades or quotes) into memory; bad rows are counted. */
export function loadData(path: string, options: LoadDataOptions = {}): LoadedData {
  const symbol =
    basename(path)
      .replace(/\.[^.]*$/, '')
      .split(/[-_. ]/)[0] ?? 'DATA';
  const instrumentId = (options.instrument ?? `${symbol.toUpperCase() || 'DATA'}.BACKTEST`) as InstrumentId;
  const summary = emptySummary(path);
  const rows: RecordedData[] = [];
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  for (const row of readDataFile(
    path,
    {
      instrumentId,
      ...(options.format !== undefined ? { format: options.format } : {}),
      ...(options.timeframe !== undefined ? { timeframe: options.timeframe } : {}),
      ...(options.from !== undefined ? { from: options.from } : {}),
      ...(options.to !== undefined ? { to: options.to } : {}),
    },
    summary,
  )) {
    if (rows.length >= limit) break;
    rows.push(row);
  }
  return {
    rows,
    file: path,
    format: summary.format,
    timeframe: summary.timeframe,
    read: summary.rows,
    skipped: summary.skipped,
    outOfRange: summary.outOfRange,
    problems: Object.fromEntries(summary.problems),
  };
}

export interface RandomWalkOptions {
  /** Trading days (weekdays) of bars. */
  readonly days: number;
  readonly symbol?: string;
  /** First day, YYYY-MM-DD; default 2020-01-01. */
  readonly start?: string;
  /** First open; default 100. */
  readonly price?: number;
  /** Annual drift and volatility of the log price; default 0.05 and 0.25. */
  readonly drift?: number;
  readonly volatility?: number;
  readonly seed?: number;
}

/**
 * Daily bars of a seeded geometric random walk (252 trading days a year): close = previous close ·
 * exp((μ − σ²/2)/252 + σ/√252 · z), the open a small gap from the previous close, high and low beyond both.
 * Prices in cents. What a notebook uses when recorded data is not at hand.
 */
export function randomWalkBars(options: RandomWalkOptions): Bar[] {
  const days = options.days;
  if (!Number.isInteger(days) || days < 1)
    throw new RangeError(`days must be a positive integer, got ${days}`);
  const startText = options.start ?? '2020-01-01';
  const start = Date.parse(`${startText}T00:00:00Z`);
  if (!Number.isFinite(start)) throw new RangeError(`start must be a date YYYY-MM-DD, got "${startText}"`);
  const volatility = options.volatility ?? 0.25;
  const drift = options.drift ?? 0.05;
  let close = options.price ?? 100;
  if (!(close > 0) || !(volatility >= 0))
    throw new RangeError('price must be positive and volatility not negative');
  const random = new SeededRandom(options.seed ?? 1);
  const instrumentId = `${options.symbol ?? 'WALK'}.BACKTEST` as InstrumentId;
  const step = volatility / Math.sqrt(252);
  const mu = (drift - (volatility * volatility) / 2) / 252;
  const cents = (value: number): number => Math.max(0.01, Math.round(value * 100) / 100);
  const bars: Bar[] = [];
  let day = Math.floor(start / 86_400_000);
  while (bars.length < days) {
    const weekday = (day + 4) % 7; // 1970-01-01 was a Thursday: 0 = Sunday
    if (weekday !== 0 && weekday !== 6) {
      const open = cents(close * Math.exp(0.2 * step * random.normal()));
      const next = cents(close * Math.exp(mu + step * random.normal()));
      const high = cents(Math.max(open, next) * (1 + Math.abs(0.3 * step * random.normal())));
      const low = cents(Math.min(open, next) * (1 - Math.abs(0.3 * step * random.normal())));
      const tsEvent = (day + 1) * DAY_MICROS - 1;
      bars.push({
        type: 'bar',
        instrumentId,
        timeframe: '1d',
        open,
        high,
        low,
        close: next,
        volume: 100_000 + random.integer(900_000),
        tsEvent,
        tsInit: tsEvent,
      });
      close = next;
    }
    day++;
  }
  return bars;
}

/**
 * Writes bars as a file the backtest reads: daily bars in Yahoo's format (`Date,Open,…,Adj Close,Volume`),
 * intraday bars as `Datetime,Open,High,Low,Close,Volume` stamped with each bar's close. Returns the path.
 */
export function writeBarsFile(path: string, bars: readonly Bar[]): string {
  mkdirSync(dirname(resolve(path)), { recursive: true });
  const daily = bars.every((b) => b.timeframe === '1d');
  const lines = [daily ? 'Date,Open,High,Low,Close,Adj Close,Volume' : 'Datetime,Open,High,Low,Close,Volume'];
  for (const b of bars) {
    const iso = new Date(Math.floor(b.tsEvent / 1000)).toISOString();
    lines.push(
      daily
        ? `${iso.slice(0, 10)},${b.open},${b.high},${b.low},${b.close},${b.close},${b.volume}`
        : `${iso.slice(0, 23)},${b.open},${b.high},${b.low},${b.close},${b.volume}`,
    );
  }
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

// ---- backtests ----

export type DataInput = string | BacktestDataSource;

export interface ResearchBacktestOptions extends Omit<BacktestOptions, 'configDir' | 'data'> {
  /** Default: the package's configs folder. */
  readonly configDir?: string;
  /** A file, a file with its registry instrument, or several. */
  readonly data: DataInput | readonly DataInput[];
}

function backtestOptions(options: ResearchBacktestOptions): BacktestOptions {
  const inputs: readonly DataInput[] = Array.isArray(options.data)
    ? (options.data as readonly DataInput[])
    : [options.data as DataInput];
  return {
    ...options,
    configDir: options.configDir ?? DEFAULT_CONFIG_DIR,
    data: inputs.map((input) => (typeof input === 'string' ? { path: input } : input)),
  };
}

/**
 * `runBacktest` with the package's configs by default and data given as paths. Logs errors only unless given a
 * logger (what a notebook wants: denials and rejections are counted in the result).
 */
export function backtest(options: ResearchBacktestOptions): Promise<BacktestResult> {
  return runBacktest({ logger: createLogger('backtest', 'error'), ...backtestOptions(options) });
}

/** Every combination of the values of each parameter (the cartesian product), in order, the last key fastest. */
export function parameterCombinations(
  grid: Readonly<Record<string, readonly unknown[]>>,
): Record<string, unknown>[] {
  let combinations: Record<string, unknown>[] = [{}];
  for (const [name, values] of Object.entries(grid)) {
    // A notebook is untyped: a single value given where a list belongs is an error, not a sweep of its letters.
    const list: readonly unknown[] = Array.isArray(values) ? (values as readonly unknown[]) : [];
    if (list.length === 0)
      throw new RangeError(`parameter "${name}": give a list of at least one value to sweep`);
    const next: Record<string, unknown>[] = [];
    for (const combination of combinations)
      for (const value of list) next.push({ ...combination, [name]: value });
    combinations = next;
  }
  return combinations;
}

export interface SweepOutcome {
  readonly params: Readonly<Record<string, unknown>>;
  /** Absent when the run failed (parameters a strategy rejects): then `error` says why. */
  readonly result?: BacktestResult;
  readonly error?: string;
}

/**
 * Backtests every combination of `grid` (merged over `base.params`), one after another in this process (a class
 * defined in a notebook cannot be sent to worker threads; `hf backtest --param` spreads named strategies over
 * threads). A run that fails is reported in its row and the sweep goes on.
 */
export async function sweepBacktests(
  base: ResearchBacktestOptions,
  grid: Readonly<Record<string, readonly unknown[]>>,
  onOutcome?: (outcome: SweepOutcome, index: number, total: number) => void,
): Promise<SweepOutcome[]> {
  const combinations = parameterCombinations(grid);
  const outcomes: SweepOutcome[] = [];
  for (const [index, params] of combinations.entries()) {
    let outcome: SweepOutcome;
    try {
      const result = await backtest({ ...base, params: { ...(base.params ?? {}), ...params } });
      outcome = { params, result };
    } catch (error) {
      outcome = { params, error: error instanceof Error ? error.message : String(error) };
    }
    outcomes.push(outcome);
    onOutcome?.(outcome, index, combinations.length);
  }
  return outcomes;
}

/** Drawdown after each point of an equity curve: value / running peak − 1 (0 at a new high, −0.2 = 20 % down). */
export function drawdowns(
  equity: readonly (readonly [time: number, value: number])[],
): [time: number, drawdown: number][] {
  const out: [number, number][] = [];
  let peak = Number.NEGATIVE_INFINITY;
  for (const [time, value] of equity) {
    if (value > peak) peak = value;
    out.push([time, peak > 0 ? value / peak - 1 : 0]);
  }
  return out;
}

// ---- risk ----

export interface VarComparisonOptions {
  /** Default 0.95 and 0.99. */
  readonly confidences?: readonly number[];
  /** Periods the figures cover (square-root-of-time); default 1. */
  readonly horizon?: number;
  /** Default all four. */
  readonly methods?: readonly VarMethod[];
  /** Monte Carlo paths and seed; default 100,000 and 1. */
  readonly paths?: number;
  readonly seed?: number;
}

export interface VarRow {
  readonly method: VarMethod;
  readonly confidence: number;
  readonly horizon: number;
  readonly valueAtRisk: number;
  readonly expectedShortfall: number;
}

/** VaR and ES of one return series by each method and confidence, side by side (conventions: src/risk/var.ts). */
export function compareVar(returns: ReturnValues, options: VarComparisonOptions = {}): VarRow[] {
  const rows: VarRow[] = [];
  const horizon = options.horizon ?? 1;
  for (const method of options.methods ?? VAR_METHODS)
    for (const confidence of options.confidences ?? [0.95, 0.99]) {
      const figures = portfolioVar([returns], [1], {
        method,
        confidence,
        horizon,
        ...(options.paths !== undefined ? { paths: options.paths } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
      });
      rows.push({
        method,
        confidence,
        horizon,
        valueAtRisk: figures.valueAtRisk,
        expectedShortfall: figures.expectedShortfall,
      });
    }
  return rows;
}

export interface StressPosition {
  /** A registry instrument id (`AAPL.SIM-A`). */
  readonly instrumentId: string;
  /** Signed: positive long. */
  readonly quantity: number;
  readonly mark: number;
  /** Default `research`. */
  readonly strategyId?: string;
}

export interface StressTestOptions {
  readonly positions: readonly StressPosition[];
  /** registry.yaml, risk.yaml (baseCurrency, fxRates) and scenarios.yaml; default the package's configs. */
  readonly configDir?: string;
  /** Instead of configDir/registry.yaml. */
  readonly registry?: Registry;
  /** Instead of configDir/scenarios.yaml: a resolved setup, or another scenarios file. */
  readonly scenarios?: ScenarioSetup | string;
  /** Greeks of the option positions, by instrument id (options are valued through them). */
  readonly greeks?: Readonly<Record<string, OptionGreeks>>;
}

export interface StressTestResult {
  readonly baseCurrency: string;
  readonly results: readonly ScenarioResult[];
  /** Positions a scenario could not value, by reason code, over all scenarios. */
  readonly unmodelled: Readonly<Record<string, number>>;
}

/** Applies every scenario to the positions (the scenario worker's valuation, src/services/workers/scenario.ts). */
export function stressTest(options: StressTestOptions): StressTestResult {
  const configDir = options.configDir ?? DEFAULT_CONFIG_DIR;
  const registry = options.registry ?? loadRegistry(join(configDir, 'registry.yaml'));
  const risk = loadRiskConfig(join(configDir, 'risk.yaml'));
  const setup =
    typeof options.scenarios === 'object'
      ? options.scenarios
      : loadScenarios(options.scenarios ?? join(configDir, 'scenarios.yaml'), registry);
  const positions: BookPosition[] = options.positions.map((p, index) => {
    const instrument = registry.instruments.get(p.instrumentId as InstrumentId);
    if (!instrument)
      throw new RangeError(`positions[${index}]: instrument "${p.instrumentId}" is not in the registry`);
    if (!Number.isFinite(p.quantity) || !(p.mark > 0))
      throw new RangeError(`positions[${index}]: quantity must be a number and mark a positive price`);
    return {
      strategyId: p.strategyId ?? 'research',
      instrumentId: instrument.id,
      currency: instrument.currency,
      quantity: p.quantity,
      averagePrice: p.mark,
      realized: 0,
      fees: 0,
      mark: p.mark,
      unrealized: 0,
    };
  });
  const greeks = options.greeks ?? {};
  const context = {
    baseCurrency: risk.baseCurrency,
    fxRates: risk.fxRates,
    instrument: (id: InstrumentId) => registry.instruments.get(id),
    greeks: (id: InstrumentId) => greeks[id],
    sensitivities: setup.sensitivities,
  };
  const unmodelled: Record<string, number> = {};
  const results = setup.scenarios.map((scenario) => runScenario(scenario, positions, context, unmodelled));
  return { baseCurrency: risk.baseCurrency, results, unmodelled };
}

// ---- a recorded day and its TCA ----

export interface RecordSessionOptions {
  /** The platform home the session is recorded under (`<home>/sessions`, `<home>/recordings`). */
  readonly home: string;
  /** Seconds of trading on the synthetic market; default 5. */
  readonly durationSeconds?: number;
  readonly configDir?: string;
  readonly seed?: number;
}

export interface RecordedSession {
  readonly home: string;
  /** The session folder. */
  readonly session: string;
  /** The UTC day it started on, YYYY-MM-DD. */
  readonly date: string;
}

/**
 * Records a short trading session: `hf run --duration N --home <home> --quiet --no-api --no-ws` in a child
 * process (the synthetic market, the configured strategies, the store and the tape). Rejects with the command's
 * output when it fails.
 */
export async function recordSession(options: RecordSessionOptions): Promise<RecordedSession> {
  const seconds = options.durationSeconds ?? 5;
  if (!(seconds > 0)) throw new RangeError(`durationSeconds must be positive, got ${seconds}`);
  const args = [join(PACKAGE_ROOT, 'bin', 'hf.mjs'), '--home', options.home];
  if (options.configDir !== undefined) args.push('--config', options.configDir);
  args.push('run', '--duration', String(seconds), '--quiet', '--no-api', '--no-ws');
  if (options.seed !== undefined) args.push('--seed', String(options.seed));
  try {
    await promisify(execFile)(process.execPath, args, {
      cwd: PACKAGE_ROOT,
      env: { ...process.env, HF_LOG_LEVEL: process.env.HF_LOG_LEVEL ?? 'warn' },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const output = error as { stderr?: string; stdout?: string; message?: string };
    const text = `${output.stderr ?? ''}${output.stdout ?? ''}`.trim().split('\n').slice(-10).join('\n');
    throw new Error(`hf run failed: ${output.message ?? String(error)}${text ? `\n${text}` : ''}`);
  }
  const sessions = listSessions(options.home);
  const latest = sessions[sessions.length - 1];
  if (latest === undefined || latest.startDay === undefined)
    throw new Error(`hf run left no session under ${join(options.home, 'sessions')}`);
  return { home: options.home, session: latest.folder, date: latest.startDay };
}

export interface DayTcaOptions extends LoadDayOptions {
  /** For contract multipliers and the venues' fee schedules (the cost-model prior); default the package's. */
  readonly configDir?: string;
  /** Markout horizons after each fill, µs; default 1 s, 10 s, 60 s. */
  readonly markoutHorizonsMicros?: readonly number[];
}

export interface DayTcaResult {
  readonly date: string;
  /** Where the day was read from. */
  readonly source: string;
  readonly markoutHorizonsMicros: readonly number[];
  readonly orders: readonly OrderAnalysis[];
  readonly fills: readonly FillAnalysis[];
  readonly byStrategy: readonly TcaAggregate[];
  readonly byVenue: readonly TcaAggregate[];
  /** Decision and arrival prices and times, by client order id. */
  readonly benchmarks: Readonly<Record<string, OrderBenchmarks>>;
  /** Orders left out and stand-in benchmarks, by reason. */
  readonly counts: Readonly<Record<string, number>>;
  /** Each venue's cost model refitted from the day's fills. */
  readonly costFits: readonly CostModelFit[];
  readonly notes: readonly string[];
}

/** TCA of one recorded day (what `hf tca --fit` prints), as plain objects. */
export async function dayTca(options: DayTcaOptions): Promise<DayTcaResult> {
  const registry = loadRegistry(join(options.configDir ?? DEFAULT_CONFIG_DIR, 'registry.yaml'));
  const day = await loadDayData(options);
  const tca = analyzeDay(
    day,
    registry,
    options.markoutHorizonsMicros ? { markoutHorizonsMicros: options.markoutHorizonsMicros } : {},
  );
  const counts: Record<string, number> = {};
  for (const [code, count] of Object.entries(tca.counts)) if (count !== undefined) counts[code] = count;
  return {
    date: day.date,
    source: describeSource(day.source),
    markoutHorizonsMicros: tca.report.markoutHorizonsMicros,
    orders: tca.report.orders,
    fills: tca.report.fills,
    byStrategy: tca.report.byStrategy,
    byVenue: tca.report.byVenue,
    benchmarks: Object.fromEntries(tca.benchmarks),
    counts,
    costFits: fitDayCosts(tca, registry),
    notes: day.notes,
  };
}
