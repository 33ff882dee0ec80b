// The backtest runner: recorded bars or ticks through the real kernel (strategy → risk → OMS → paper venue →
// ledger) on a simulated clock driven by the data, with the equity curve, round-trip trades and statistics.
//
// Choices a user should know (README "Backtests"):
// - Instruments: each data file is one instrument. `instrument` names a registry instrument (`AAPL.SIM-A`: its
//   venue's fees and tick size apply); otherwise the file's name gives the symbol (`orcl-1995-2014.txt` → ORCL)
//   on a paper venue `BACKTEST` whose tick size is the finest price increment seen in the first rows.
// - Money: `cash` is deposited at the venue(s) used (split evenly when there are several) and is the risk
//   engine's buying power. `commission` (a fraction of notional, 0.001 = 0.1 %) replaces the venues' fees.
// - Limits: risk.yaml and policy.yaml of the config folder apply as they do live (backtest/live parity); denials
//   are counted by reason in the result.
// - Fills: the paper venue's rules (src/venues/paper/matching-engine.ts): a market order decided on a bar's close
//   fills at the next bar's open, and the strategy sees that bar after the fill.
// - Statistics: on the equity at the last event of each UTC day (252 periods a year), see src/analytics/stats.ts.

import { statSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { SimulatedClock } from '../common/clock.ts';
import { ConfigError } from '../common/errors.ts';
import { createLogger, type Logger } from '../common/logging.ts';
import { buildRegistry, loadRegistry, RegistryConfigSchema, type Registry } from '../common/registry.ts';
import { Streams } from '../common/topics.ts';
import { computeStats, type PerformanceStats } from '../analytics/index.ts';
import {
  emptySummary,
  mergeByTime,
  readDataFile,
  type DataFileFormat,
  type DataFileSummary,
  type RecordedData,
} from '../feeds/files/index.ts';
import { Kernel } from '../kernel/kernel.ts';
import { Accounts } from '../ledger/index.ts';
import { currencyDecimals, fromMinor, type InstrumentId, type OrderFilled } from '../model/index.ts';
import { loadPolicyConfig, loadRiskConfig } from '../risk/index.ts';
import { StrategiesConfigSchema, type StrategyClass } from '../strategy/index.ts';
import { DecimatingSeries, TradeBook, type ClosedTrade } from './trades.ts';

export const BACKTEST_VENUE = 'BACKTEST';
const DAY_MICROS = 86_400_000_000;
const PEEK_ROWS = 256;

export interface BacktestDataSource {
  readonly path: string;
  /** A registry instrument id; default: the file name's symbol on the BACKTEST venue. */
  readonly instrument?: string;
}

export interface BacktestOptions {
  readonly configDir: string;
  readonly data: readonly BacktestDataSource[];
  readonly format?: DataFileFormat | 'auto';
  readonly timeframe?: string;
  readonly barTime?: 'open' | 'close';
  /**
   * Built-in strategy name, a .ts/.js file, or a Strategy subclass given in code (a class defined in a notebook);
   * a class runs under its name in kebab case (`MomentumStrategy` → `momentum-strategy`). Default sma-cross.
   */
  readonly strategy?: string | StrategyClass;
  readonly params?: Readonly<Record<string, unknown>>;
  /** Fixed order size, passed to the strategy as its `size` parameter. */
  readonly size?: number;
  readonly cash?: number;
  readonly currency?: string;
  /** Fraction of notional per fill, e.g. 0.001. Replaces the venues' fee schedules. */
  readonly commission?: number;
  readonly from?: number;
  readonly to?: number;
  readonly seed?: number;
  readonly strict?: boolean;
  readonly logger?: Logger;
  /** Called about every 64k events with the fraction of the input read. */
  readonly onProgress?: (fraction: number) => void;
}

export interface OpenPosition {
  readonly instrumentId: string;
  readonly quantity: number;
  readonly averagePrice: number;
  readonly markPrice: number;
  readonly unrealized: number;
}

export interface FillRecord {
  readonly time: number;
  readonly clientOrderId: string;
  readonly instrumentId: string;
  readonly side: string;
  readonly quantity: number;
  readonly price: number;
  readonly fee: number;
  readonly liquidity: string;
}

export interface BacktestResult {
  readonly strategy: string;
  readonly instruments: readonly string[];
  readonly startValue: number;
  readonly finalValue: number;
  readonly cash: number;
  readonly currency: string;
  readonly closedTrades: number;
  readonly openPositions: number;
  readonly fills: number;
  readonly commission: number;
  readonly stats: PerformanceStats;
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly firstTime: number | undefined;
  readonly lastTime: number | undefined;
  readonly orders: number;
  readonly denials: Readonly<Record<string, number>>;
  readonly venueRejections: Readonly<Record<string, number>>;
  readonly trades: readonly ClosedTrade[];
  readonly positions: readonly OpenPosition[];
  readonly fillList: readonly FillRecord[];
  /** Equity after each event, thinned to at most a few thousand points (for charts). */
  readonly equity: readonly (readonly [time: number, value: number])[];
  /** Equity at the end of each UTC day (what the statistics use). */
  readonly dailyEquity: readonly (readonly [time: number, value: number])[];
  readonly dataFiles: readonly {
    readonly file: string;
    readonly instrument: string;
    readonly format: string | undefined;
    readonly timeframe: string | undefined;
    readonly rows: number;
    readonly used: number;
    readonly skipped: number;
    readonly outOfRange: number;
    readonly problems: readonly string[];
  }[];
  readonly ledgerBalanced: boolean;
}

/** `orcl-1995-2014.txt` → `ORCL`. */
export function symbolFromFile(path: string): string {
  const stem = basename(path).replace(/\.[^.]*$/, '');
  const symbol = (stem.split(/[-_. ]/)[0] ?? stem).toUpperCase().replace(/[^A-Z0-9]/g, '');
  return symbol.length > 0 ? symbol : 'DATA';
}

/** `MomentumStrategy` → `momentum-strategy`; an anonymous class → `strategy`. */
export function classStrategyName(strategyClass: StrategyClass): string {
  const kebab = strategyClass.name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[^a-z0-9]+|-+$/g, '');
  return kebab.length > 0 ? kebab : 'strategy';
}

function decimalsOf(value: number): number {
  for (let d = 0; d <= 8; d++) {
    const scaled = value * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-7 * Math.max(1, Math.abs(scaled))) return d;
  }
  return 8;
}

function pricesOf(m: RecordedData): number[] {
  switch (m.type) {
    case 'bar':
      return [m.open, m.high, m.low, m.close];
    case 'trade':
      return [m.price];
    case 'quote':
      return [m.bid, m.ask];
  }
}

function markOf(m: RecordedData): number {
  switch (m.type) {
    case 'bar':
      return m.close;
    case 'trade':
      return m.price;
    case 'quote':
      return (m.bid + m.ask) / 2;
  }
}

/** Reads the first rows of a stream to learn its tick size; the rows read are handed back with the rest. */
function peek(stream: Generator<RecordedData>): {
  tickSize: number;
  head: RecordedData[];
  rest: Iterator<RecordedData>;
} {
  const head: RecordedData[] = [];
  while (head.length < PEEK_ROWS) {
    const r = stream.next();
    if (r.done) break;
    head.push(r.value);
  }
  let decimals = 0;
  for (const m of head) for (const p of pricesOf(m)) decimals = Math.max(decimals, decimalsOf(p));
  return { tickSize: Number((10 ** -decimals).toFixed(decimals)), head, rest: stream };
}

/** The peeked rows, then the rest of the stream. */
function* resume(head: readonly RecordedData[], rest: Iterator<RecordedData>): Generator<RecordedData> {
  yield* head;
  for (let r = rest.next(); !r.done; r = rest.next()) yield r.value;
}

function dayOf(ts: number): number {
  return Math.floor(ts / DAY_MICROS);
}

export async function runBacktest(options: BacktestOptions): Promise<BacktestResult> {
  const logger = options.logger ?? createLogger('backtest', 'warn');
  const configDir = options.configDir;
  const cash = options.cash ?? 100_000;
  const currency = options.currency ?? 'USD';
  if (options.data.length === 0) throw new ConfigError('backtest', '--data', 'give at least one data file');
  if (!(cash > 0)) throw new ConfigError('backtest', '--cash', 'must be a positive amount');

  // ---- instruments and registry ----
  const base = loadRegistry(join(configDir, 'registry.yaml'));
  const summaries: DataFileSummary[] = [];
  const peeked: { head: RecordedData[]; rest: Iterator<RecordedData> }[] = [];
  const instrumentIds: InstrumentId[] = [];
  const synthetic: { symbol: string; tickSize: number }[] = [];
  const venuesUsed = new Set<string>();
  let totalBytes = 0;
  for (const [index, source] of options.data.entries()) {
    let id: InstrumentId;
    if (source.instrument !== undefined) {
      if (!base.instruments.has(source.instrument as InstrumentId))
        throw new ConfigError(
          join(configDir, 'registry.yaml'),
          'instruments',
          `--instrument ${source.instrument} (for ${source.path}) is not in the registry`,
        );
      id = source.instrument as InstrumentId;
      venuesUsed.add(base.instruments.get(id)!.venue);
    } else {
      const symbol = symbolFromFile(source.path);
      id = `${symbol}.${BACKTEST_VENUE}` as InstrumentId;
      venuesUsed.add(BACKTEST_VENUE);
    }
    if (instrumentIds.includes(id))
      throw new ConfigError('backtest', `--data[${index}]`, `${source.path}: instrument ${id} given twice`);
    instrumentIds.push(id);
    totalBytes += statSync(source.path).size;
    const summary = emptySummary(source.path);
    summaries.push(summary);
    const raw = readDataFile(
      source.path,
      {
        instrumentId: id,
        strict: options.strict ?? false,
        ...(options.format ? { format: options.format } : {}),
        ...(options.timeframe ? { timeframe: options.timeframe } : {}),
        ...(options.barTime ? { barTime: options.barTime } : {}),
        ...(options.from !== undefined ? { from: options.from } : {}),
        ...(options.to !== undefined ? { to: options.to } : {}),
      },
      summary,
    );
    const p = peek(raw);
    if (source.instrument === undefined) synthetic.push({ symbol: id.split('.')[0]!, tickSize: p.tickSize });
    peeked.push(p);
  }
  const registry = backtestRegistry(base, venuesUsed, synthetic, cash, currency, options.commission);

  // ---- limits, strategy ----
  // Per-instrument overrides of instruments this run does not trade are left out (risk.yaml names them all).
  const risk = loadRiskConfig(join(configDir, 'risk.yaml'));
  const riskConfig = {
    ...risk,
    cash: { [currency]: cash },
    instruments: Object.fromEntries(
      Object.entries(risk.instruments).filter(
        ([key]) => registry.instruments.has(key as InstrumentId) || registry.bySymbol.has(key),
      ),
    ),
  };
  const policy = loadPolicyConfig(join(configDir, 'policy.yaml'));
  const sectors = new Set<string>();
  const regions = new Set<string>();
  for (const instrument of registry.instruments.values()) {
    sectors.add(instrument.sector);
    regions.add(instrument.region);
  }
  const policyConfig = {
    ...policy,
    sectors: Object.fromEntries(Object.entries(policy.sectors).filter(([k]) => sectors.has(k))),
    regions: Object.fromEntries(Object.entries(policy.regions).filter(([k]) => regions.has(k))),
  };
  const spec = options.strategy ?? 'sma-cross';
  const strategyClass = typeof spec === 'function' ? spec : undefined;
  const strategyName = typeof spec === 'function' ? classStrategyName(spec) : spec;
  const isFile = !strategyClass && /\.(ts|js|mjs)$/.test(strategyName);
  const strategyId = isFile ? symbolFromFile(strategyName).toLowerCase() || 'strategy' : strategyName;
  const params: Record<string, unknown> = { ...(options.params ?? {}) };
  if (options.size !== undefined) params.size = options.size;
  const strategies = StrategiesConfigSchema.parse({
    strategies: [
      {
        id: strategyId.replace(/[^a-z0-9_-]/g, '-'),
        strategy: isFile && !isAbsolute(strategyName) ? resolve(strategyName) : strategyName,
        instruments: instrumentIds,
        params,
      },
    ],
  });

  // The first event sets the clock before the kernel starts, so nothing is stamped before the data.
  // One file: its rows straight from the reader (no merge layer on the hot path); several: merged by time.
  const single = peeked.length === 1 ? peeked[0]! : undefined;
  const merged: Iterator<RecordedData> = single
    ? single.rest
    : mergeByTime(peeked.map((p) => resume(p.head, p.rest)));
  let headIndex = 0;
  const pull = (): IteratorResult<RecordedData> => {
    if (single && headIndex < single.head.length) return { done: false, value: single.head[headIndex++]! };
    return merged.next();
  };
  const first = pull();
  const timeframes = new Set<string>();
  for (const s of summaries) if (s.timeframe) timeframes.add(s.timeframe);
  if (!first.done && first.value.type === 'bar') timeframes.add(first.value.timeframe);
  const clock = new SimulatedClock(first.done ? 0 : first.value.tsEvent);
  const kernel = await Kernel.create({
    mode: 'backtest',
    configDir,
    clock,
    logger,
    seed: options.seed ?? 1,
    registry,
    riskConfig,
    policyConfig,
    strategies,
    strategiesBaseDir: process.cwd(),
    ...(strategyClass ? { strategyClasses: { [strategyName]: strategyClass } } : {}),
    candleTimeframes: [...timeframes],
  });
  await kernel.start();

  // ---- what the run records ----
  const book = new TradeBook(registry);
  const fillList: FillRecord[] = [];
  let commission = 0;
  let runningCash = cash;
  const quantity = new Map<InstrumentId, number>();
  const marks = new Map<InstrumentId, number>();
  let positionValue = 0;
  kernel.bus.subscribe(Streams.fills, 'backtest-recorder', (fill: OrderFilled) => {
    const instrument = registry.instruments.get(fill.instrumentId);
    const multiplier = instrument?.multiplier ?? 1;
    const sign = fill.side === 'buy' ? 1 : -1;
    commission += fill.fee;
    runningCash -= sign * fill.lastPrice * fill.lastQuantity * multiplier + fill.fee;
    const held = quantity.get(fill.instrumentId) ?? 0;
    quantity.set(fill.instrumentId, held + sign * fill.lastQuantity);
    positionValue += sign * fill.lastQuantity * (marks.get(fill.instrumentId) ?? fill.lastPrice) * multiplier;
    book.onFill(fill, multiplier);
    fillList.push({
      time: fill.tsEvent,
      clientOrderId: fill.clientOrderId,
      instrumentId: fill.instrumentId,
      side: fill.side,
      quantity: fill.lastQuantity,
      price: fill.lastPrice,
      fee: fill.fee,
      liquidity: fill.liquidity,
    });
  });

  const equity = new DecimatingSeries(4096);
  const daily: [number, number][] = [];
  let day = Number.NaN;
  let dayValue = cash;
  let dayTime = 0;
  let events = 0;
  const started = process.hrtime.bigint();
  const multiplierOf = new Map<InstrumentId, number>();
  for (const id of instrumentIds) multiplierOf.set(id, registry.instruments.get(id)?.multiplier ?? 1);

  let next = first;
  while (!next.done) {
    const m = next.value;
    clock.advanceTo(m.tsEvent);
    kernel.publishMarketData(m);
    const mark = markOf(m);
    const id = m.instrumentId;
    const previous = marks.get(id);
    positionValue += (quantity.get(id) ?? 0) * (mark - (previous ?? mark)) * (multiplierOf.get(id) ?? 1);
    marks.set(id, mark);
    const value = runningCash + positionValue;
    const d = dayOf(m.tsEvent);
    if (d !== day) {
      if (!Number.isNaN(day)) daily.push([dayTime, dayValue]);
      day = d;
    }
    dayValue = value;
    dayTime = m.tsEvent;
    equity.push(m.tsEvent, value);
    events++;
    if ((events & 0xffff) === 0 && options.onProgress) {
      let read = 0;
      for (const s of summaries) read += s.bytesRead;
      options.onProgress(totalBytes > 0 ? read / totalBytes : 1);
    }
    next = pull();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (!Number.isNaN(day)) daily.push([dayTime, dayValue]);
  await kernel.bus.flush();

  // ---- the ledger's word on cash and positions (exact), marked at the last prices ----
  const ledger = kernel.ledger.ledger;
  const decimals = currencyDecimals(currency);
  const ledgerCash = fromMinor(ledger.balance(Accounts.cash(currency)), decimals);
  const positions: OpenPosition[] = [];
  let marked = 0;
  for (const p of ledger.positions()) {
    if (p.quantity === 0) continue;
    const mark = marks.get(p.instrumentId) ?? p.averagePrice;
    const multiplier = registry.instruments.get(p.instrumentId)?.multiplier ?? 1;
    const value = p.quantity * mark * multiplier;
    marked += value;
    positions.push({
      instrumentId: p.instrumentId,
      quantity: p.quantity,
      averagePrice: p.averagePrice,
      markPrice: mark,
      unrealized: value - fromMinor(p.costBasisMinor, decimals),
    });
  }
  const finalValue = round(ledgerCash + marked, decimals);
  const trial = ledger.trialBalance();
  const ledgerBalanced = Object.values(trial).every((v) => v === 0n);
  const denials = Object.fromEntries(kernel.denials);
  const venueRejections = Object.fromEntries(kernel.venueRejects);
  const orders = kernel.oms.counters.submitted;
  await kernel.stop();

  const dailyReturns = new Float64Array(daily.length);
  let previousValue = cash;
  for (let i = 0; i < daily.length; i++) {
    const v = daily[i]![1];
    dailyReturns[i] = previousValue > 0 ? v / previousValue - 1 : 0;
    previousValue = v;
  }
  const trades = book.closed();
  const stats = computeStats(dailyReturns, { periodsPerYear: 252, trades: trades.map((t) => t.netPnl) });
  return {
    strategy: strategyName,
    instruments: instrumentIds,
    startValue: cash,
    finalValue,
    cash: round(ledgerCash, decimals),
    currency,
    closedTrades: trades.length,
    openPositions: positions.length,
    fills: fillList.length,
    commission: round(commission, decimals),
    stats,
    events,
    seconds,
    eventsPerSecond: seconds > 0 ? events / seconds : 0,
    firstTime: first.done ? undefined : first.value.tsEvent,
    lastTime: dayTime === 0 ? undefined : dayTime,
    orders,
    denials,
    venueRejections,
    trades,
    positions,
    fillList,
    equity: equity.points(),
    dailyEquity: daily,
    dataFiles: summaries.map((s, i) => ({
      file: s.file,
      instrument: instrumentIds[i]!,
      format: s.format,
      timeframe: s.timeframe,
      rows: s.rows,
      used: s.emitted,
      skipped: s.skipped,
      outOfRange: s.outOfRange,
      problems: [...s.problems].map(([problem, n]) => `${n} × ${problem}`),
    })),
    ledgerBalanced,
  };
}

function round(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}

/**
 * The run's registry: the venues the data trades on (fees replaced by `commission` when given, the cash split
 * between them) plus the BACKTEST paper venue and its instruments when a file is not a registry instrument.
 */
function backtestRegistry(
  base: Registry,
  venuesUsed: ReadonlySet<string>,
  synthetic: readonly { symbol: string; tickSize: number }[],
  cash: number,
  currency: string,
  commission: number | undefined,
): Registry {
  const share = cash / venuesUsed.size;
  const fees =
    commission === undefined
      ? undefined
      : { makerBps: commission * 10_000, takerBps: commission * 10_000, perUnit: 0, minimum: 0 };
  const venues: Record<string, unknown> = {};
  for (const venue of venuesUsed) {
    const config = base.venues.get(venue as never);
    venues[venue] = {
      adapter: 'paper',
      fees: fees ?? config?.fees ?? { makerBps: 0, takerBps: 0, perUnit: 0, minimum: 0 },
      latency: config?.latency ?? { baseMicros: 0, jitterMicros: 0 },
      slippageBps: config?.slippageBps ?? 0,
      cash: { [currency]: share },
    };
  }
  const instruments: unknown[] = [];
  for (const instrument of base.instruments.values())
    if (venuesUsed.has(instrument.venue))
      instruments.push({
        symbol: instrument.symbol,
        venues: [instrument.venue],
        assetClass: instrument.assetClass,
        currency: instrument.currency,
        tickSize: instrument.tickSize,
        lotSize: instrument.lotSize,
        multiplier: instrument.multiplier,
        region: instrument.region,
        sector: instrument.sector,
      });
  for (const s of synthetic)
    instruments.push({
      symbol: s.symbol,
      venues: [BACKTEST_VENUE],
      assetClass: 'equity',
      currency,
      tickSize: s.tickSize,
      lotSize: 1,
      region: 'unknown',
      sector: 'unknown',
    });
  return buildRegistry(RegistryConfigSchema.parse({ venues, instruments }), 'backtest registry');
}
