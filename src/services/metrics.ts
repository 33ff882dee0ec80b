// Prometheus metrics (`GET /metrics`), pull model: a prom-client Registry whose collectors read the kernel, the
// bus, the feed hub and the WebSocket gateway when scraped. The order-flow tally (rejects by strategy and reason,
// fills by venue, the ingest → signal → risk stages, alerts by code) counts bus messages into plain maps.

import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram as PromHistogram,
  Registry,
  type LabelValues,
} from 'prom-client';
import type { Bus, Subscription } from '../common/bus.ts';
import { LiveClock, type Clock } from '../common/clock.ts';
import type { Histogram } from '../common/histogram.ts';
import { ControlKeys, Streams } from '../common/topics.ts';
import { ioredisUrl } from '../common/url.ts';
import { RedisBus, type RedisBusStats } from '../bus/redis.ts';
import type { Kernel } from '../kernel/kernel.ts';
import {
  currencyDecimals,
  fromMinor,
  type Alert,
  type OrderDenied,
  type OrderEvent,
  type OrderFilled,
  type TradingCommand,
} from '../model/index.ts';
import type { WsGatewayStats } from './ws-gateway.ts';

/** Upper bounds of the latency histograms, seconds: 10 µs to 10 s (the in-process path is µs, Redis hops ms). */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
  0.5, 1, 2.5, 5, 10,
];

/**
 * Stages of an order's path. From the OMS's own histograms (the router process): `signal_to_route` (strategy
 * decision → sent to the venue, risk included), `route_to_ack` (sent → venue acknowledgement) and
 * `ingest_to_ack` (the market data that triggered the decision → acknowledged: the total). From the order-flow
 * tally: `ingest_to_signal` (market data ingested → decision) and `signal_to_risk` (decision → validated command
 * seen on orders.validated).
 */
export const LATENCY_STAGES = [
  'ingest_to_signal',
  'signal_to_risk',
  'signal_to_route',
  'route_to_ack',
  'ingest_to_ack',
] as const;
export type LatencyStage = (typeof LATENCY_STAGES)[number];

/** The consumer group of the order-flow tally: processes that count share it, so each message counts once. */
export const METRICS_GROUP = 'metrics';

/** Distinct label values kept per label of a tally; beyond it a value counts as `other` (a bounded series set). */
const MAX_LABEL_VALUES = 500;

export interface StreamLengthSource {
  /** Entries per stream (XLEN), by stream name. */
  lengths(): Promise<ReadonlyMap<string, number>>;
}

/** What the collectors read. Every source is optional: each process passes what it runs. */
export interface MetricsSources {
  /** Added as a `service` label to every series (api, router, run, …). */
  readonly service?: string;
  /**
   * The process's kernel. OMS, venue and reconciliation figures are read when it runs the router; risk figures
   * when it runs risk; strategy figures when it runs the strategy runner.
   */
  readonly kernel?: Kernel;
  /** The process's bus (default: the kernel's). A RedisBus adds connection, lag, pending and dead-letter figures. */
  readonly bus?: Bus;
  /**
   * Count the order flow and alerts from the bus in consumer group `metrics` (default false). In the distributed
   * deployment turn it on in one service (the api): its replicas share the group, so `sum()` counts each once.
   */
  readonly orderFlow?: boolean;
  /**
   * PnL, positions and ledger counters from the kernel's ledger view (default: when the kernel runs the ledger).
   * One process per deployment should export them, or sums across services count them twice.
   */
  readonly ledger?: boolean;
  /** The clock for ages and stage latencies (default: the kernel's, else the wall clock). */
  readonly clock?: Clock;
  /** The market-data feed hub of this process (`hf run`, `hf service ingest`). */
  readonly feeds?: FeedStatusSource;
  /** The WebSocket gateway's counters; a function because the gateway may start after the API. */
  readonly wsStats?: () => WsGatewayStats | undefined;
  /** Bus counters, lag and pending per group (default: the bus's own when it is a RedisBus). */
  readonly busStats?: () => RedisBusStats;
  /** Stream lengths (the distributed deployment: `createStreamLengthProbe`). */
  readonly streamLengths?: StreamLengthSource;
  /** Other components' `stats()` (workers, news): every finite number in them becomes a gauge. */
  readonly components?: Readonly<Record<string, () => unknown>>;
  /** Node process metrics: CPU, memory, GC, event-loop lag (default true). */
  readonly processMetrics?: boolean;
}

/** The shape of `FeedHub.status()` the collectors read. */
export interface FeedStatusSource {
  status(): {
    readonly sources: Readonly<Record<string, number>>;
    readonly instruments: readonly {
      readonly instrumentId: string;
      readonly active: 'primary' | 'backup';
      readonly activeFeed: string;
      readonly primaryLastUpdate: number | undefined;
      readonly backupLastUpdate: number | undefined;
      readonly primaryStale: boolean;
      readonly backupStale: boolean;
    }[];
    readonly quarantined: Readonly<Record<string, number>>;
    /** The ingest pipeline's counters (IngestStats): every number in it is exported by its snake_case name. */
    readonly stats: object;
  };
}

/** A prom-client Registry that also owns the order-flow subscriptions; `stop()` ends them. */
export class MetricsRegistry extends Registry {
  /** Bumped before each scrape: collectors that read one snapshot share it within a scrape. */
  private scrape = 0;
  private readonly stops: (() => void)[] = [];

  override async metrics(): Promise<string> {
    this.scrape++;
    return super.metrics();
  }

  override async getMetricsAsJSON(): ReturnType<Registry['getMetricsAsJSON']> {
    this.scrape++;
    return super.getMetricsAsJSON();
  }

  /** `read()` once per scrape, shared by every collector that asks. */
  perScrape<T>(read: () => T): () => T {
    let seen = -1;
    let value: T;
    return () => {
      if (seen !== this.scrape) {
        value = read();
        seen = this.scrape;
      }
      return value;
    };
  }

  onStop(stop: () => void): void {
    this.stops.push(stop);
  }

  stop(): void {
    for (const stop of this.stops.splice(0)) stop();
  }
}

// ---- building blocks ----

type Labels = LabelValues<string>;
type Emit = (labels: Labels, value: number) => void;

/** Counts collector failures: a collector that throws leaves its series empty for that scrape, never a 500. */
class CollectGuard {
  private readonly errors = new Map<string, number>();

  /** Registered after every other metric: synchronous collectors run in registration order within a scrape. */
  register(registry: Registry): void {
    const errors = this.errors;
    new Counter({
      name: 'hf_metrics_collect_errors_total',
      help: 'Collectors that threw during a scrape, by collector (their series were left empty).',
      labelNames: ['collector'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [collector, n] of errors) this.inc({ collector }, n);
      },
    });
  }

  run(name: string, read: () => void): void {
    try {
      read();
    } catch {
      this.fail(name);
    }
  }

  fail(name: string): void {
    this.errors.set(name, (this.errors.get(name) ?? 0) + 1);
  }
}

interface FamilyOptions {
  readonly registry: Registry;
  readonly guard: CollectGuard;
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly string[];
}

/** A gauge whose series are rebuilt from `read` at every scrape. */
function pulledGauge(options: FamilyOptions, read: (emit: Emit) => void): void {
  const { guard, name } = options;
  new Gauge({
    name,
    help: options.help,
    labelNames: options.labelNames ?? [],
    registers: [options.registry],
    collect() {
      this.reset();
      guard.run(name, () =>
        read((labels, value) => {
          if (!Number.isNaN(value)) this.set(labels, value);
        }),
      );
    },
  });
}

/** A counter whose series are read (as totals) from `read` at every scrape. */
function pulledCounter(options: FamilyOptions, read: (emit: Emit) => void): void {
  const { guard, name } = options;
  new Counter({
    name,
    help: options.help,
    labelNames: options.labelNames ?? [],
    registers: [options.registry],
    collect() {
      this.reset();
      guard.run(name, () =>
        read((labels, value) => {
          if (Number.isFinite(value) && value >= 0) this.inc(labels, value);
        }),
      );
    },
  });
}

/** One series of a pulled histogram: cumulative counts per upper bound (same order as the buckets). */
interface HistogramSeries {
  readonly labels: Labels;
  readonly cumulative: readonly number[];
  readonly count: number;
  readonly sum: number;
}

/**
 * A histogram whose buckets are read at scrape time instead of observed. prom-client builds the exposition from
 * `getForPromString()` (and `get()` from it), so that is the one method replaced.
 */
class PulledHistogram extends PromHistogram {
  constructor(
    options: FamilyOptions,
    private readonly bounds: readonly number[],
    private readonly read: () => readonly HistogramSeries[],
  ) {
    super({
      name: options.name,
      help: options.help,
      labelNames: options.labelNames ?? [],
      buckets: [...bounds],
      registers: [options.registry],
    });
    this.metricName = options.name;
    this.metricHelp = options.help;
    this.guard = options.guard;
  }

  private readonly metricName: string;
  private readonly metricHelp: string;
  private readonly guard: CollectGuard;

  getForPromString(): Promise<unknown> {
    let series: readonly HistogramSeries[] = [];
    this.guard.run(this.metricName, () => {
      series = this.read();
    });
    const bucket = `${this.metricName}_bucket`;
    const values: unknown[] = [];
    for (const s of series) {
      for (let i = 0; i < this.bounds.length; i++)
        values.push({
          labels: { le: this.bounds[i] },
          sharedLabels: s.labels,
          value: s.cumulative[i] ?? 0,
          metricName: bucket,
        });
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucket },
        { labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.metricName}_sum` },
        { labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.metricName}_count` },
      );
    }
    return Promise.resolve({
      name: this.metricName,
      help: this.metricHelp,
      type: 'histogram',
      values,
      aggregator: 'sum',
    });
  }
}

/** Fixed buckets in seconds, counted without allocating. */
export class BucketCounts {
  readonly counts: Float64Array;
  count = 0;
  sum = 0;

  constructor(readonly bounds: readonly number[] = LATENCY_BUCKETS_SECONDS) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(seconds: number): void {
    if (!(seconds >= 0) || seconds === Number.POSITIVE_INFINITY) return;
    this.count++;
    this.sum += seconds;
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++)
      if (seconds <= (bounds[i] as number)) {
        this.counts[i] = (this.counts[i] as number) + 1;
        return;
      }
  }

  cumulative(): number[] {
    const out: number[] = [];
    let total = 0;
    for (let i = 0; i < this.counts.length; i++) {
      total += this.counts[i] as number;
      out.push(total);
    }
    return out;
  }
}

/**
 * Values at or below `bound` recorded in a kernel histogram, found from its quantiles by bisection over ranks
 * (the histogram's public API; exact to its 2 % bucket width).
 */
export function countAtMost(histogram: Histogram, bound: number): number {
  const n = histogram.count;
  if (n === 0 || histogram.min > bound) return 0;
  if (histogram.max <= bound) return n;
  // Largest rank r in [0, n] whose value is ≤ bound; quantile((r − ½) / n) is the r-th smallest value's bucket.
  let low = 0;
  let high = n;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (histogram.quantile((mid - 0.5) / n) <= bound) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** A kernel histogram (microseconds) as one series of a seconds histogram. */
function fromKernelHistogram(labels: Labels, histogram: Histogram): HistogramSeries {
  const cumulative: number[] = [];
  for (const bound of LATENCY_BUCKETS_SECONDS) cumulative.push(countAtMost(histogram, bound * 1e6));
  return { labels, cumulative, count: histogram.count, sum: histogram.sum / 1e6 };
}

function bump(map: Map<string, number>, key: string): void {
  const current = map.get(key);
  if (current !== undefined) map.set(key, current + 1);
  else if (map.size < MAX_LABEL_VALUES) map.set(key, 1);
  else map.set('other', (map.get('other') ?? 0) + 1);
}

function bump2(map: Map<string, Map<string, number>>, outer: string, inner: string): void {
  let counts = map.get(outer);
  if (counts === undefined) {
    const key = map.size < MAX_LABEL_VALUES ? outer : 'other';
    counts = map.get(key);
    if (counts === undefined) {
      counts = new Map();
      map.set(key, counts);
    }
  }
  bump(counts, inner);
}

const text = (value: unknown, fallback = 'unknown'): string =>
  typeof value === 'string' && value.length > 0 ? value : fallback;

// ---- the order-flow tally ----

/** Counts of the order flow seen on the bus; the handlers are created once and allocate nothing per message. */
export class OrderFlowTally {
  readonly submits = new Map<string, number>();
  /** strategy → venue → orders sent to a venue (order_submitted). */
  readonly routed = new Map<string, Map<string, number>>();
  /** strategy → venue → fills. */
  readonly fills = new Map<string, Map<string, number>>();
  /** strategy → reason → submits denied by risk. */
  readonly riskRejects = new Map<string, Map<string, number>>();
  /** strategy → reason → orders rejected by a venue. */
  readonly venueRejects = new Map<string, Map<string, number>>();
  /** strategy → reason → cancels confirmed. */
  readonly cancels = new Map<string, Map<string, number>>();
  /** code → severity → alerts. */
  readonly alerts = new Map<string, Map<string, number>>();
  readonly ingestToSignal = new BucketCounts();
  readonly signalToRisk = new BucketCounts();
  malformed = 0;
  private readonly subscriptions: Subscription[] = [];

  constructor(private readonly clock: Clock) {}

  start(bus: Bus, group = METRICS_GROUP): void {
    this.subscriptions.push(
      bus.subscribe(Streams.ordersIncoming, group, this.onIncoming),
      bus.subscribe(Streams.ordersValidated, group, this.onValidated),
      bus.subscribe(Streams.ordersRejected, group, this.onDenied),
      bus.subscribe(Streams.ordersEvents, group, this.onEvent),
      bus.subscribe(Streams.fills, group, this.onFill),
      bus.subscribe(Streams.alerts, group, this.onAlert),
    );
  }

  stop(): void {
    for (const s of this.subscriptions.splice(0)) s.unsubscribe();
  }

  private readonly onIncoming = (command: TradingCommand): void => {
    if (typeof command !== 'object' || command === null) {
      this.malformed++;
      return;
    }
    if (command.type !== 'submit_order') return;
    const order = command.order;
    if (typeof order !== 'object' || order === null) {
      this.malformed++;
      return;
    }
    bump(this.submits, text(order.strategyId));
    if (typeof order.tsOrigin === 'number' && typeof order.tsInit === 'number')
      this.ingestToSignal.observe((order.tsInit - order.tsOrigin) / 1e6);
  };

  private readonly onValidated = (command: TradingCommand): void => {
    if (typeof command !== 'object' || command === null || typeof command.tsInit !== 'number') {
      this.malformed++;
      return;
    }
    if (command.type === 'submit_order') this.signalToRisk.observe((this.clock.now() - command.tsInit) / 1e6);
  };

  private readonly onDenied = (denial: OrderDenied): void => {
    if (typeof denial !== 'object' || denial === null) {
      this.malformed++;
      return;
    }
    if (denial.command !== 'submit_order') return;
    bump2(this.riskRejects, text(denial.strategyId), text(denial.reason));
  };

  private readonly onEvent = (event: OrderEvent): void => {
    if (typeof event !== 'object' || event === null) {
      this.malformed++;
      return;
    }
    const type = event.type;
    if (type === 'order_submitted') bump2(this.routed, text(event.strategyId), text(event.venue));
    else if (type === 'order_rejected') bump2(this.venueRejects, text(event.strategyId), text(event.reason));
    else if (type === 'order_canceled') bump2(this.cancels, text(event.strategyId), text(event.reason));
  };

  private readonly onFill = (fill: OrderFilled): void => {
    if (typeof fill !== 'object' || fill === null) {
      this.malformed++;
      return;
    }
    bump2(this.fills, text(fill.strategyId), text(fill.venue));
  };

  private readonly onAlert = (alert: Alert): void => {
    if (typeof alert !== 'object' || alert === null) {
      this.malformed++;
      return;
    }
    bump2(this.alerts, text(alert.code), text(alert.severity));
  };
}

function emitNested(map: Map<string, Map<string, number>>, outer: string, inner: string, emit: Emit): void {
  for (const [a, counts] of map) for (const [b, n] of counts) emit({ [outer]: a, [inner]: b }, n);
}

// ---- VaR / ES and drawdown, read defensively from the risk snapshot ----

type Loose = Readonly<Record<string, unknown>>;

const isRecord = (value: unknown): value is Loose =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function pick(record: Loose | undefined, ...keys: string[]): unknown {
  if (!record) return undefined;
  for (const key of keys) if (record[key] !== undefined) return record[key];
  return undefined;
}

function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

const VAR_KEYS = ['var', 'valueAtRisk', 'VaR'];
const ES_KEYS = ['es', 'expectedShortfall', 'cvar', 'ES'];

/** A figure that is a number, or an object holding it under one of `keys` (e.g. `{ value }`, `{ var }`). */
function figure(value: unknown, keys: readonly string[]): number | undefined {
  const direct = finite(value);
  if (direct !== undefined) return direct;
  if (isRecord(value)) return finite(pick(value, ...keys, 'value', 'amount'));
  return undefined;
}

interface TailFigures {
  readonly var?: number;
  readonly es?: number;
}

/** VaR and ES of an entry: the numbers themselves, or under `figures` (`{ valueAtRisk, expectedShortfall }`). */
function tailOf(record: unknown): TailFigures {
  if (!isRecord(record)) return {};
  const source = isRecord(record.figures) ? record.figures : record;
  const out: { var?: number; es?: number } = {};
  const v = figure(pick(source, ...VAR_KEYS), ['value']);
  const e = figure(pick(source, ...ES_KEYS), ['value']);
  if (v !== undefined) out.var = v;
  if (e !== undefined) out.es = e;
  return out;
}

/** An entry's band: its own `limits` / `limit` (null or absent = no band). */
function limitOf(record: unknown, fallback?: unknown): TailFigures {
  const own = isRecord(record) ? pick(record, 'limits', 'limit', 'bands') : undefined;
  return tailOf(own ?? fallback);
}

export interface RiskTailReading {
  readonly scope: 'portfolio' | 'strategy' | 'instrument';
  readonly name: string;
  readonly var?: number;
  readonly es?: number;
  readonly varLimit?: number;
  readonly esLimit?: number;
  /** Euler component (the entry's share of the portfolio's figure). */
  readonly componentVar?: number;
  readonly componentEs?: number;
}

function entries(value: unknown, idKeys: readonly string[]): [string, unknown][] {
  if (Array.isArray(value)) {
    const out: [string, unknown][] = [];
    for (const item of value as unknown[])
      if (isRecord(item)) {
        const id = pick(item, ...idKeys);
        if (typeof id === 'string') out.push([id, item]);
      }
    return out;
  }
  return isRecord(value) ? Object.entries(value) : [];
}

/**
 * The VaR/ES section of a risk snapshot (`valueAtRisk`, or `var`), read defensively: the portfolio's figures and
 * band (`portfolio: { figures: { valueAtRisk, expectedShortfall }, limits: { var, es } }`, or the numbers flat),
 * per strategy (own figures, Euler component, band) and per instrument (component). Absent, null or non-finite
 * figures are skipped, never exported as NaN.
 */
export function readRiskTail(snapshot: unknown): RiskTailReading[] {
  if (!isRecord(snapshot)) return [];
  const section = pick(snapshot, ...VAR_KEYS, 'tailRisk');
  if (!isRecord(section)) {
    const flat = tailOf(snapshot);
    return flat.var === undefined && flat.es === undefined
      ? []
      : [{ scope: 'portfolio', name: 'portfolio', ...flat }];
  }
  const sharedLimits = pick(section, 'limits', 'limit', 'bands');
  const sharedRecord = isRecord(sharedLimits) ? sharedLimits : undefined;
  const strategyLimits = new Map(entries(pick(sharedRecord, 'strategies'), ['strategyId', 'id', 'name']));
  const out: RiskTailReading[] = [];
  const reading = (
    scope: RiskTailReading['scope'],
    name: string,
    entry: unknown,
    limit: TailFigures,
  ): void => {
    const figures = tailOf(entry);
    const component = isRecord(entry) ? tailOf(entry.component) : {};
    const r = {
      scope,
      name,
      ...figures,
      ...(limit.var !== undefined ? { varLimit: limit.var } : {}),
      ...(limit.es !== undefined ? { esLimit: limit.es } : {}),
      ...(component.var !== undefined ? { componentVar: component.var } : {}),
      ...(component.es !== undefined ? { componentEs: component.es } : {}),
    };
    if (Object.keys(r).length > 2) out.push(r);
  };
  const portfolio = pick(section, 'portfolio') ?? section;
  reading(
    'portfolio',
    'portfolio',
    portfolio,
    limitOf(portfolio, pick(sharedRecord, 'portfolio') ?? sharedRecord),
  );
  for (const [id, value] of entries(pick(section, 'strategies', 'byStrategy'), ['strategyId', 'id', 'name']))
    reading('strategy', id, value, limitOf(value, strategyLimits.get(id)));
  for (const [id, value] of entries(pick(section, 'instruments', 'byInstrument'), [
    'instrumentId',
    'id',
    'name',
  ]))
    reading('instrument', id, value, {});
  return out;
}

export interface DrawdownReading {
  readonly scope: 'portfolio' | 'strategy';
  readonly name: string;
  /** `current` (below the peak), `intraday` (below today's peak), `worst` and `worst_intraday` (the deepest seen). */
  readonly window: string;
  readonly value: number;
}

const DRAWDOWN_WINDOWS: readonly (readonly [string, readonly string[]])[] = [
  ['current', ['peakDrawdown', 'current', 'drawdown', 'fromPeak']],
  ['intraday', ['intradayDrawdown', 'intraday']],
  ['worst', ['worstPeakDrawdown', 'maxDrawdown', 'peakToTrough', 'max', 'worst']],
  ['worst_intraday', ['worstIntradayDrawdown']],
];

function drawdownsOf(
  scope: DrawdownReading['scope'],
  name: string,
  value: unknown,
  out: DrawdownReading[],
): void {
  const direct = finite(value);
  if (direct !== undefined) {
    out.push({ scope, name, window: 'current', value: direct });
    return;
  }
  if (!isRecord(value)) return;
  for (const [window, keys] of DRAWDOWN_WINDOWS) {
    const v = finite(pick(value, ...keys));
    if (v !== undefined) out.push({ scope, name, window, value: v });
  }
}

/** Drawdowns of a risk snapshot (`drawdowns` / `drawdown`: the portfolio and per strategy), when present. */
export function readDrawdowns(snapshot: unknown): DrawdownReading[] {
  if (!isRecord(snapshot)) return [];
  const section = pick(snapshot, 'drawdowns', 'drawdown');
  const out: DrawdownReading[] = [];
  if (!isRecord(section)) {
    drawdownsOf('portfolio', 'portfolio', section, out);
    return out;
  }
  drawdownsOf('portfolio', 'portfolio', pick(section, 'portfolio') ?? section, out);
  for (const [id, value] of entries(pick(section, 'strategies', 'byStrategy'), ['strategyId', 'id', 'name']))
    drawdownsOf('strategy', id, value, out);
  return out;
}

/** Every finite number in a stats object, by dotted path (nested objects, no arrays), for the generic gauges. */
export function numericFigures(
  value: unknown,
  prefix = '',
  out: [string, number][] = [],
  depth = 0,
): [string, number][] {
  if (depth > 4) return out;
  if (typeof value === 'number') {
    if (Number.isFinite(value) && prefix) out.push([prefix, value]);
  } else if (typeof value === 'boolean') {
    if (prefix) out.push([prefix, value ? 1 : 0]);
  } else if (isRecord(value))
    for (const [key, inner] of Object.entries(value))
      numericFigures(inner, prefix ? `${prefix}.${key}` : key, out, depth + 1);
  return out;
}

// ---- the registry ----

/** Builds the registry: every collector reads its source when scraped. */
export function createMetrics(sources: MetricsSources): MetricsRegistry {
  const registry = new MetricsRegistry();
  if (sources.service) registry.setDefaultLabels({ service: sources.service });
  const guard = new CollectGuard();
  const family = (name: string, help: string, labelNames: readonly string[] = []): FamilyOptions => ({
    registry,
    guard,
    name,
    help,
    labelNames,
  });
  const kernel = sources.kernel;
  const bus = sources.bus ?? kernel?.bus;
  const clock = sources.clock ?? kernel?.clock ?? new LiveClock();

  if (sources.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'hf_' });

  let tally: OrderFlowTally | undefined;
  if (sources.orderFlow && bus) {
    const t = new OrderFlowTally(clock);
    t.start(bus);
    registry.onStop(() => t.stop());
    tally = t;
  }

  // Stage latencies: the OMS's histograms (router) and the tally's.
  const router = kernel !== undefined && kernel.components.has('router') ? kernel : undefined;
  if (router || tally) {
    new PulledHistogram(
      family(
        'hf_order_stage_latency_seconds',
        'Latency of each stage of an order: ingest_to_signal, signal_to_risk, signal_to_route, route_to_ack, and ingest_to_ack (the total, market data to venue acknowledgement).',
        ['stage'],
      ),
      LATENCY_BUCKETS_SECONDS,
      () => {
        const out: HistogramSeries[] = [];
        if (tally) {
          for (const [stage, counts] of [
            ['ingest_to_signal', tally.ingestToSignal],
            ['signal_to_risk', tally.signalToRisk],
          ] as const)
            out.push({
              labels: { stage },
              cumulative: counts.cumulative(),
              count: counts.count,
              sum: counts.sum,
            });
        }
        if (router) {
          const latency = router.oms.latency;
          out.push(
            fromKernelHistogram({ stage: 'signal_to_route' }, latency.signalToRoute),
            fromKernelHistogram({ stage: 'route_to_ack' }, latency.routeToAck),
            fromKernelHistogram({ stage: 'ingest_to_ack' }, latency.tickToAck),
          );
        }
        return out;
      },
    );
  }

  if (tally) {
    const t = tally;
    pulledCounter(
      family('hf_order_submits_total', 'Submit commands decided by strategies (orders.incoming).', [
        'strategy',
      ]),
      (emit) => {
        for (const [strategy, n] of t.submits) emit({ strategy }, n);
      },
    );
    pulledCounter(
      family('hf_orders_routed_total', 'Orders sent to a venue (order_submitted events).', [
        'strategy',
        'venue',
      ]),
      (emit) => emitNested(t.routed, 'strategy', 'venue', emit),
    );
    pulledCounter(
      family('hf_order_fills_total', 'Fills (the fills stream).', ['strategy', 'venue']),
      (emit) => emitNested(t.fills, 'strategy', 'venue', emit),
    );
    pulledCounter(
      family(
        'hf_order_rejects_total',
        'Orders refused: stage="risk" (submits denied by pre-trade risk, orders.rejected) or stage="venue" (rejected by the venue), by reason code.',
        ['strategy', 'reason', 'stage'],
      ),
      (emit) => {
        for (const [strategy, reasons] of t.riskRejects)
          for (const [reason, n] of reasons) emit({ strategy, reason, stage: 'risk' }, n);
        for (const [strategy, reasons] of t.venueRejects)
          for (const [reason, n] of reasons) emit({ strategy, reason, stage: 'venue' }, n);
      },
    );
    pulledCounter(
      family('hf_order_cancels_total', 'Cancels confirmed, by reason code.', ['strategy', 'reason']),
      (emit) => emitNested(t.cancels, 'strategy', 'reason', emit),
    );
    pulledCounter(
      family('hf_alerts_total', 'Alerts published (the alerts stream), by reason code and severity.', [
        'code',
        'severity',
      ]),
      (emit) => emitNested(t.alerts, 'code', 'severity', emit),
    );
    pulledCounter(
      family(
        'hf_feed_failovers_total',
        'Instruments switched to their other market-data source (MD_FEED_FAILOVER alerts).',
      ),
      (emit) => {
        let n = 0;
        for (const count of t.alerts.get('MD_FEED_FAILOVER')?.values() ?? []) n += count;
        emit({}, n);
      },
    );
    pulledCounter(
      family('hf_metrics_malformed_messages_total', 'Bus messages the order-flow tally could not read.'),
      (emit) => emit({}, t.malformed),
    );
  }

  if (bus) {
    pulledGauge(
      family('hf_kill_switch_engaged', 'Kill switch (policy:kill_switch enabled): 1 engaged, 0 released.'),
      (emit) => emit({}, bus.control.get(ControlKeys.killSwitch, 'enabled') === 'true' ? 1 : 0),
    );
    pulledGauge(
      family(
        'hf_strategy_enabled',
        'Strategy toggles on the control plane (strategy:enabled): 1 enabled, 0 disabled.',
        ['strategy'],
      ),
      (emit) => {
        for (const [strategy, value] of Object.entries(bus.control.getAll(ControlKeys.strategyEnabled)))
          emit({ strategy }, value === 'false' ? 0 : 1);
      },
    );
    pulledGauge(
      family(
        'hf_route_override_active',
        'Venues whose flow is rerouted (policy:route_override), by venue and target.',
        ['venue', 'target'],
      ),
      (emit) => {
        for (const [venue, target] of Object.entries(bus.control.getAll(ControlKeys.routeOverride)))
          emit({ venue, target }, 1);
      },
    );
  }

  const busStats = sources.busStats ?? (bus instanceof RedisBus ? () => bus.stats() : undefined);
  if (busStats) registerBusMetrics(family, registry.perScrape(busStats));
  if (sources.streamLengths) registerStreamLengths(registry, guard, sources.streamLengths);
  if (router) registerRouterMetrics(family, router);
  if (kernel?.components.has('risk')) registerRiskMetrics(family, registry, kernel);
  if (kernel?.components.has('strategy')) registerStrategyMetrics(family, kernel);
  if (kernel && (sources.ledger ?? kernel.components.has('ledger')))
    registerLedgerMetrics(family, registry, kernel);
  if (sources.feeds) registerFeedMetrics(family, registry, sources.feeds, clock);
  if (sources.wsStats) registerWsMetrics(family, sources.wsStats);
  if (sources.components) {
    const components = sources.components;
    pulledGauge(
      family(
        'hf_component_figure',
        "Every number in a component's stats() (workers, news), by component and dotted path.",
        ['component', 'figure'],
      ),
      (emit) => {
        for (const [component, stats] of Object.entries(components))
          for (const [path, value] of numericFigures(stats())) emit({ component, figure: path }, value);
      },
    );
  }
  guard.register(registry);
  return registry;
}

type Family = (name: string, help: string, labelNames?: readonly string[]) => FamilyOptions;

function registerBusMetrics(family: Family, stats: () => RedisBusStats): void {
  pulledGauge(family('hf_bus_connected', 'Redis connection of this process: 1 ready, 0 not.'), (emit) =>
    emit({}, stats().connected ? 1 : 0),
  );
  pulledGauge(family('hf_bus_buffered_messages', 'Published messages not yet written to Redis.'), (emit) =>
    emit({}, stats().bufferSize),
  );
  pulledGauge(family('hf_bus_backpressure', 'Publish buffer above its limit: 1 yes, 0 no.'), (emit) =>
    emit({}, stats().backpressure ? 1 : 0),
  );
  pulledCounter(
    family(
      'hf_bus_messages_total',
      'Bus operations of this process: published, written, delivered, acked, retried, claimed, dropped, write_failed, malformed, handler_error.',
      ['operation'],
    ),
    (emit) => {
      const s = stats();
      emit({ operation: 'published' }, s.published);
      emit({ operation: 'written' }, s.written);
      emit({ operation: 'delivered' }, s.delivered);
      emit({ operation: 'acked' }, s.acked);
      emit({ operation: 'retried' }, s.retried);
      emit({ operation: 'claimed' }, s.claimed);
      emit({ operation: 'dropped' }, s.dropped);
      emit({ operation: 'write_failed' }, s.writeFailed);
      emit({ operation: 'malformed' }, s.malformed);
      emit({ operation: 'handler_error' }, s.handlerErrors);
    },
  );
  pulledCounter(
    family(
      'hf_bus_dead_lettered_total',
      'Entries this process moved to the dead-letter stream (delivered too often, malformed).',
    ),
    (emit) => emit({}, stats().deadLettered),
  );
  pulledGauge(
    family(
      'hf_stream_consumer_lag_messages',
      'Entries of a stream not yet delivered to a consumer group (XINFO GROUPS lag, refreshed every few seconds).',
      ['stream', 'group'],
    ),
    (emit) => {
      for (const s of stats().subscriptions)
        if (s.lag !== undefined) emit({ stream: s.stream, group: s.group }, s.lag);
    },
  );
  pulledGauge(
    family(
      'hf_stream_pending_messages',
      'Entries delivered to a consumer group and not yet acked (XINFO GROUPS pending).',
      ['stream', 'group'],
    ),
    (emit) => {
      for (const s of stats().subscriptions)
        if (s.pending !== undefined) emit({ stream: s.stream, group: s.group }, s.pending);
    },
  );
}

function registerStreamLengths(registry: Registry, guard: CollectGuard, source: StreamLengthSource): void {
  const name = 'hf_stream_length_messages';
  new Gauge({
    name,
    help: 'Entries in each stream (XLEN), the dead-letter stream included.',
    labelNames: ['stream'],
    registers: [registry],
    async collect() {
      this.reset();
      try {
        for (const [stream, length] of await source.lengths()) this.set({ stream }, length);
      } catch {
        guard.fail(name);
      }
    },
  });
}

function registerRouterMetrics(family: Family, kernel: Kernel): void {
  pulledGauge(family('hf_oms_open_orders', 'Orders open in the OMS (not in a terminal state).'), (emit) =>
    emit({}, kernel.oms.openOrders().length),
  );
  pulledCounter(
    family(
      'hf_oms_events_total',
      'OMS counters: submitted, accepted, rejected, canceled, filled, duplicate_command, duplicate_fill, illegal_transition, unknown_order_event.',
      ['event'],
    ),
    (emit) => {
      const c = kernel.oms.counters;
      emit({ event: 'submitted' }, c.submitted);
      emit({ event: 'accepted' }, c.accepted);
      emit({ event: 'rejected' }, c.rejected);
      emit({ event: 'canceled' }, c.canceled);
      emit({ event: 'filled' }, c.fills);
      emit({ event: 'duplicate_command' }, c.duplicateCommands);
      emit({ event: 'duplicate_fill' }, c.duplicateFills);
      emit({ event: 'illegal_transition' }, c.illegalTransitions);
      emit({ event: 'unknown_order_event' }, c.unknownOrderEvents);
      emit({ event: 'released' }, c.releasedOrders);
      emit({ event: 'late_event' }, c.lateEvents);
    },
  );
  pulledGauge(
    family(
      'hf_oms_orders_held',
      'Orders the OMS holds in memory: every open order and the closed ones within the retention horizon.',
    ),
    (emit) => emit({}, kernel.oms.retained().orders),
  );
  pulledGauge(
    family('hf_venue_connected', 'Venue connection: 1 connected, 0 otherwise.', ['venue']),
    (emit) => {
      for (const [venue, adapter] of kernel.venues) emit({ venue }, adapter.state === 'connected' ? 1 : 0);
    },
  );
  pulledGauge(
    family('hf_venue_state', "Venue connection state: 1 for the venue's current state.", ['venue', 'state']),
    (emit) => {
      for (const [venue, adapter] of kernel.venues) emit({ venue, state: adapter.state }, 1);
    },
  );
  pulledGauge(
    family('hf_reconciliation_breaks', 'Breaks found by the last reconciliation (OMS and ledger vs venues).'),
    (emit) => {
      const last = kernel.lastReconciliation;
      if (last) emit({}, last.breaks.length);
    },
  );
  pulledGauge(
    family('hf_reconciliation_last_run_timestamp_seconds', 'When the last reconciliation ran, unix seconds.'),
    (emit) => {
      const last = kernel.lastReconciliation;
      if (last) emit({}, last.ts / 1e6);
    },
  );
}

function registerRiskMetrics(family: Family, registry: MetricsRegistry, kernel: Kernel): void {
  const snapshot = registry.perScrape(() => kernel.risk.snapshot());
  pulledGauge(
    family(
      'hf_trading_state',
      'Trading state of the risk engine: 1 for the current one (ACTIVE, REDUCING, HALTED).',
      ['state'],
    ),
    (emit) => {
      const current = kernel.risk.state();
      for (const state of ['ACTIVE', 'REDUCING', 'HALTED']) emit({ state }, state === current ? 1 : 0);
    },
  );
  pulledCounter(
    family('hf_risk_checks_total', 'Pre-trade checks by outcome: validated or denied.', ['outcome']),
    (emit) => {
      const counts = snapshot().counts;
      emit({ outcome: 'validated' }, counts.validated);
      emit({ outcome: 'denied' }, counts.denied);
    },
  );
  pulledCounter(
    family('hf_risk_denials_total', 'Orders denied by pre-trade risk, by reason code.', ['reason']),
    (emit) => {
      for (const [reason, n] of Object.entries(snapshot().counts.deniedByReason)) emit({ reason }, n);
    },
  );
  pulledGauge(family('hf_risk_open_orders', 'Open orders as the risk engine counts them.'), (emit) =>
    emit({}, snapshot().openOrders),
  );
  pulledGauge(
    family(
      'hf_exposure',
      'Exposure in the base currency, by scope (strategy, sector, region), name and measure (gross, net, projected_gross, projected_net_long, projected_net_short).',
      ['scope', 'name', 'measure', 'currency'],
    ),
    (emit) => {
      const s = snapshot();
      const currency = s.baseCurrency;
      for (const [scope, group] of [
        ['strategy', s.exposures.strategies],
        ['sector', s.exposures.sectors],
        ['region', s.exposures.regions],
      ] as const)
        for (const [name, e] of Object.entries(group)) {
          emit({ scope, name, measure: 'gross', currency }, e.gross);
          emit({ scope, name, measure: 'net', currency }, e.net);
          emit({ scope, name, measure: 'projected_gross', currency }, e.projectedGross);
          emit({ scope, name, measure: 'projected_net_long', currency }, e.projectedNetLong);
          emit({ scope, name, measure: 'projected_net_short', currency }, e.projectedNetShort);
        }
    },
  );
  pulledGauge(
    family('hf_buying_power', 'Buying power left, per currency (cash × leverage + flows − committed buys).', [
      'currency',
    ]),
    (emit) => {
      for (const [currency, c] of Object.entries(snapshot().cash)) emit({ currency }, c.buyingPower);
    },
  );
  const tail = registry.perScrape(() => readRiskTail(snapshot()));
  type TailField = 'var' | 'es' | 'varLimit' | 'esLimit' | 'componentVar' | 'componentEs';
  const tailGauge = (name: string, help: string, field: TailField): void =>
    pulledGauge(family(name, help, ['scope', 'name']), (emit) => {
      for (const r of tail()) {
        const value = r[field];
        if (value !== undefined) emit({ scope: r.scope, name: r.name }, value);
      }
    });
  tailGauge(
    'hf_risk_var',
    'Value at risk over the configured horizon and confidence, in the base currency (positive = loss), by scope (portfolio, strategy).',
    'var',
  );
  tailGauge('hf_risk_es', 'Expected shortfall, in the base currency (positive = loss), by scope.', 'es');
  tailGauge('hf_risk_var_limit', 'VaR band configured for the scope (risk.yaml var.limits).', 'varLimit');
  tailGauge('hf_risk_es_limit', 'ES band configured for the scope (risk.yaml var.limits).', 'esLimit');
  tailGauge(
    'hf_risk_component_var',
    "Euler component VaR: the scope's share of the portfolio VaR (strategy, instrument).",
    'componentVar',
  );
  tailGauge(
    'hf_risk_component_es',
    "Euler component ES: the scope's share of the portfolio ES.",
    'componentEs',
  );
  pulledGauge(
    family('hf_risk_var_ready', 'The VaR model has enough return history for a figure: 1 yes, 0 no.'),
    (emit) => {
      const section: unknown = (snapshot() as unknown as Loose).valueAtRisk;
      if (isRecord(section) && typeof section.ready === 'boolean') emit({}, section.ready ? 1 : 0);
    },
  );
  pulledGauge(
    family(
      'hf_risk_drawdown',
      'Drawdown below the peak from the risk engine, in the base currency, by scope, name and window (current, intraday, worst, worst_intraday).',
      ['scope', 'name', 'window'],
    ),
    (emit) => {
      for (const d of readDrawdowns(snapshot()))
        emit({ scope: d.scope, name: d.name, window: d.window }, d.value);
    },
  );
  pulledGauge(
    family(
      'hf_strategy_trading_state',
      "A strategy's own trading state set by its drawdown band (1 for the current one; absent = ACTIVE).",
      ['strategy', 'state'],
    ),
    (emit) => {
      const drawdowns: unknown = (snapshot() as unknown as Loose).drawdowns;
      const strategies = isRecord(drawdowns) ? drawdowns.strategies : undefined;
      for (const [strategy, value] of entries(strategies, ['strategyId', 'id']))
        if (isRecord(value) && typeof value.tradingState === 'string')
          for (const state of ['ACTIVE', 'REDUCING', 'HALTED'])
            emit({ strategy, state }, state === value.tradingState ? 1 : 0);
    },
  );
}

function registerStrategyMetrics(family: Family, kernel: Kernel): void {
  const status = () => kernel.strategies.status();
  pulledGauge(
    family('hf_strategy_running', 'Strategy running in this process: 1 yes, 0 no.', ['strategy']),
    (emit) => {
      for (const s of status()) emit({ strategy: s.id }, s.running ? 1 : 0);
    },
  );
  pulledGauge(
    family('hf_strategy_failed', 'Strategy stopped by an error: 1 yes, 0 no.', ['strategy']),
    (emit) => {
      for (const s of status()) emit({ strategy: s.id }, s.lastError ? 1 : 0);
    },
  );
  pulledGauge(family('hf_strategy_open_orders', 'Open orders per strategy.', ['strategy']), (emit) => {
    for (const s of status()) emit({ strategy: s.id }, s.openOrders);
  });
  pulledCounter(
    family('hf_strategy_orders_submitted_total', 'Orders submitted per strategy (the runner).', ['strategy']),
    (emit) => {
      for (const s of status()) emit({ strategy: s.id }, s.submitted);
    },
  );
  pulledCounter(
    family('hf_strategy_fills_total', 'Fills received per strategy (the runner).', ['strategy']),
    (emit) => {
      for (const s of status()) emit({ strategy: s.id }, s.fills);
    },
  );
}

interface PnlRow {
  readonly labels: Labels;
  readonly quantity: number;
  readonly realized: number;
  readonly unrealized: number;
  readonly fees: number;
}

function registerLedgerMetrics(family: Family, registry: MetricsRegistry, kernel: Kernel): void {
  const rows = registry.perScrape((): PnlRow[] => {
    const ledger = kernel.ledger.ledger;
    const out: PnlRow[] = [];
    for (const p of ledger.strategyPositions()) {
      const strategy = p.strategyId;
      if (strategy === undefined) continue;
      const decimals = currencyDecimals(p.currency);
      const mark = kernel.markPrice(p.instrumentId);
      const unrealizedMinor =
        mark === undefined || p.quantity === 0
          ? 0n
          : (ledger.strategyUnrealizedMinor(strategy, p.instrumentId, mark) ?? 0n);
      out.push({
        labels: {
          strategy,
          instrument: p.instrumentId,
          venue: kernel.registry.instruments.get(p.instrumentId)?.venue ?? 'unknown',
          currency: p.currency,
        },
        quantity: p.quantity,
        realized: fromMinor(p.realizedMinor, decimals),
        unrealized: fromMinor(unrealizedMinor, decimals),
        fees: fromMinor(p.feesMinor, decimals),
      });
    }
    return out;
  });
  const labelNames = ['strategy', 'instrument', 'venue', 'currency'];
  pulledGauge(
    family('hf_position', 'Booked position (signed quantity) per strategy and instrument.', labelNames),
    (emit) => {
      for (const r of rows()) emit(r.labels, r.quantity);
    },
  );
  pulledGauge(
    family(
      'hf_pnl_realized',
      'Realized PnL before fees, in the instrument currency (the ledger).',
      labelNames,
    ),
    (emit) => {
      for (const r of rows()) emit(r.labels, r.realized);
    },
  );
  pulledGauge(
    family(
      'hf_pnl_unrealized',
      'Unrealized PnL of the open position at the mark, in the instrument currency.',
      labelNames,
    ),
    (emit) => {
      for (const r of rows()) emit(r.labels, r.unrealized);
    },
  );
  pulledGauge(
    family(
      'hf_fees_paid',
      'Fees paid, in the instrument currency (PnL net of fees = realized + unrealized − fees).',
      labelNames,
    ),
    (emit) => {
      for (const r of rows()) emit(r.labels, r.fees);
    },
  );
  pulledCounter(
    family(
      'hf_ledger_fills_total',
      'Fills reaching the ledger by outcome: booked, duplicate, unknown_instrument, invalid.',
      ['outcome'],
    ),
    (emit) => {
      const s = kernel.ledger.stats();
      emit({ outcome: 'booked' }, s.booked);
      emit({ outcome: 'duplicate' }, s.duplicates);
      emit({ outcome: 'unknown_instrument' }, s.unknownInstrument);
      emit({ outcome: 'invalid' }, s.invalid);
    },
  );
  pulledCounter(
    family('hf_ledger_store_failures_total', 'Ledger writes to the store that failed (kept and retried).'),
    (emit) => emit({}, kernel.ledger.stats().storeFailures),
  );
  pulledGauge(
    family('hf_ledger_unsaved_entries', 'Ledger entries booked in memory and not yet in the store.'),
    (emit) => emit({}, kernel.ledger.stats().unsaved),
  );
}

function registerFeedMetrics(
  family: Family,
  registry: MetricsRegistry,
  feeds: FeedStatusSource,
  clock: Clock,
): void {
  const status = registry.perScrape(() => feeds.status());
  pulledCounter(
    family('hf_feed_messages_total', 'Messages produced by each market-data source.', ['source']),
    (emit) => {
      for (const [source, n] of Object.entries(status().sources)) emit({ source }, n);
    },
  );
  pulledCounter(
    family(
      'hf_ingest_messages_total',
      'Ingest pipeline counters (received, quarantined, published, conflated, …), by outcome.',
      ['outcome'],
    ),
    (emit) => {
      for (const [name, n] of numericFigures(status().stats))
        emit({ outcome: name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) }, n);
    },
  );
  pulledCounter(
    family('hf_ingest_quarantined_total', 'Market data quarantined by the quality gate, by reason code.', [
      'reason',
    ]),
    (emit) => {
      for (const [reason, n] of Object.entries(status().quarantined)) emit({ reason }, n);
    },
  );
  pulledGauge(
    family(
      'hf_feed_staleness_seconds',
      "Age of the last message of an instrument's active source (instruments with a primary/backup pair).",
      ['instrument', 'source'],
    ),
    (emit) => {
      const now = clock.now();
      for (const i of status().instruments) {
        const last = i.active === 'primary' ? i.primaryLastUpdate : i.backupLastUpdate;
        if (last !== undefined)
          emit({ instrument: i.instrumentId, source: i.activeFeed }, Math.max(0, now - last) / 1e6);
      }
    },
  );
  pulledGauge(
    family('hf_feed_stale', 'A source of an instrument marked stale by the failover: 1 stale, 0 healthy.', [
      'instrument',
      'role',
    ]),
    (emit) => {
      for (const i of status().instruments) {
        emit({ instrument: i.instrumentId, role: 'primary' }, i.primaryStale ? 1 : 0);
        emit({ instrument: i.instrumentId, role: 'backup' }, i.backupStale ? 1 : 0);
      }
    },
  );
  pulledGauge(
    family('hf_feed_on_backup', 'Instrument served by its backup source: 1 yes, 0 primary.', ['instrument']),
    (emit) => {
      for (const i of status().instruments)
        emit({ instrument: i.instrumentId }, i.active === 'backup' ? 1 : 0);
    },
  );
}

function registerWsMetrics(family: Family, read: () => WsGatewayStats | undefined): void {
  pulledGauge(family('hf_ws_clients', 'WebSocket clients connected.'), (emit) => {
    const s = read();
    if (s) emit({}, s.clients);
  });
  pulledGauge(family('hf_ws_subscriptions', 'Channel subscriptions over all WebSocket clients.'), (emit) => {
    const s = read();
    if (s) emit({}, s.subscriptions);
  });
  pulledGauge(
    family('hf_ws_backlogged_clients', 'WebSocket clients holding queued updates (slow readers).'),
    (emit) => {
      const s = read();
      if (s) emit({}, s.backlogged);
    },
  );
  pulledCounter(family('hf_ws_connections_total', 'WebSocket connections accepted.'), (emit) => {
    const s = read();
    if (s) emit({}, s.connectionsAccepted);
  });
  pulledCounter(
    family(
      'hf_ws_refused_total',
      'WebSocket connections refused: origin (not allowed), auth (no valid credentials) or full (max clients).',
      ['reason'],
    ),
    (emit) => {
      const s = read();
      if (!s) return;
      emit({ reason: 'origin' }, s.rejectedOrigin);
      emit({ reason: 'full' }, s.rejectedFull);
      // Authentication is newer than the other counters: read it when the gateway reports it.
      const auth: unknown = (s as unknown as Loose).rejectedAuth;
      if (typeof auth === 'number') emit({ reason: 'auth' }, auth);
    },
  );
  pulledCounter(
    family(
      'hf_ws_closed_total',
      'WebSocket connections closed by the gateway: slow, heartbeat, abuse, oversize.',
      ['reason'],
    ),
    (emit) => {
      const s = read();
      if (!s) return;
      emit({ reason: 'slow' }, s.closedSlow);
      emit({ reason: 'heartbeat' }, s.closedHeartbeat);
      emit({ reason: 'abuse' }, s.closedAbuse);
      emit({ reason: 'oversize' }, s.closedOversize);
    },
  );
  pulledCounter(
    family(
      'hf_ws_messages_total',
      'WebSocket gateway traffic: bus_in (from the bus), ignored, frames_in, frames_out, conflated, dropped, errors_sent.',
      ['kind'],
    ),
    (emit) => {
      const s = read();
      if (!s) return;
      emit({ kind: 'bus_in' }, s.messagesIn);
      emit({ kind: 'ignored' }, s.messagesIgnored);
      emit({ kind: 'frames_in' }, s.framesIn);
      emit({ kind: 'frames_out' }, s.framesOut);
      emit({ kind: 'conflated' }, s.conflated);
      emit({ kind: 'dropped' }, s.dropped);
      emit({ kind: 'errors_sent' }, s.errorsSent);
    },
  );
}

// ---- stream lengths over Redis ----

export interface StreamLengthProbeOptions {
  readonly url: string;
  /** HF_REDIS_PREFIX of the deployment. */
  readonly keyPrefix?: string;
  /** Candle timeframes whose `candles.<tf>` streams to measure. */
  readonly candleTimeframes?: readonly string[];
  /** Streams to measure (default: every stream of topics.ts, the dead-letter stream included). */
  readonly streams?: readonly string[];
}

/** XLEN of each stream on its own Redis connection (one pipeline a scrape); `close()` quits it. */
export function createStreamLengthProbe(
  options: StreamLengthProbeOptions,
): StreamLengthSource & { close(): Promise<void> } {
  const streams = options.streams ?? [
    ...Object.values(Streams).filter(
      (s): s is Exclude<typeof s, (timeframe: string) => string> => typeof s === 'string',
    ),
    ...(options.candleTimeframes ?? []).map((tf) => Streams.candles(tf)),
  ];
  const prefix = options.keyPrefix ?? '';
  const redis = new Redis(ioredisUrl(options.url), {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
  });
  redis.on('error', () => undefined); // reported as a collector error at the next scrape
  return {
    async lengths() {
      const pipeline = redis.pipeline();
      for (const stream of streams) pipeline.xlen(prefix + stream);
      const results = (await pipeline.exec()) ?? [];
      const out = new Map<string, number>();
      let failure: Error | undefined;
      results.forEach(([error, length], i) => {
        const stream = streams[i];
        if (error) failure ??= error;
        else if (typeof length === 'number' && stream !== undefined) out.set(stream, length);
      });
      // Nothing answered (Redis down): a collector error for this scrape rather than every stream at 0.
      if (out.size === 0 && failure !== undefined) throw failure;
      return out;
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

// ---- the route ----

/** `GET /metrics` in the Prometheus text format. */
export function registerMetricsRoute(app: FastifyInstance, registry: Registry): void {
  app.get('/metrics', async (_request, reply) => {
    const body = await registry.metrics();
    return reply.header('content-type', registry.contentType).send(body);
  });
}
