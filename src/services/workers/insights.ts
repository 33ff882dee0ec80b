// The insights worker: drift flags, each published as an alert (source `insights`) with a one-line explanation.
//
// Boundary (group 'insights'): subscribes ticks.live, books.live, candles.<tf>, orders.incoming, orders.rejected,
// orders.events, fills; publishes alerts. Reads the book and backtest replay reports.
//
// - PnL drift (INSIGHT_PNL_DRIFT): every interval each strategy's PnL change (realized − fees + unrealized, in the
//   base currency) is one observation; one more than zThreshold sample standard deviations from the mean of the
//   strategy's own previous observations is flagged. The observation then joins the history.
// - Feed staleness (INSIGHT_FEED_STALE / _RESUMED): a watched instrument without market data for staleSeconds is
//   flagged once, and again when data comes back.
// - Reject-rate spikes (INSIGHT_REJECT_SPIKE): risk denials plus venue rejections over submits in a sliding window,
//   flagged when above maxRate and baselineFactor × the rate before the window (at most once per window).
// - Replay divergence (INSIGHT_REPLAY_DIVERGENCE): when a configured backtest replay report (summary.json) exists,
//   its fills and orders are compared with the strategy's live counts; each new version of the file is checked once.

import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { Bus, Subscription } from '../../common/bus.ts';
import type { Clock } from '../../common/clock.ts';
import type { Logger } from '../../common/logging.ts';
import { PriceBoard } from '../../common/price-board.ts';
import { Streams } from '../../common/topics.ts';
import type {
  AlertSeverity,
  MarketData,
  OrderDenied,
  OrderEvent,
  OrderFilled,
  TradingCommand,
} from '../../model/index.ts';
import type { BookView } from './book.ts';
import type { InsightsConfig } from './config.ts';
import type { WorkerReasonCode } from './reasons.ts';

export interface InsightFlag {
  readonly code: WorkerReasonCode;
  readonly severity: AlertSeverity;
  /** What the flag is about: a strategy, an instrument, `orders`, or a replay file. */
  readonly subject: string;
  readonly message: string;
  readonly ts: number;
}

export interface InsightsStats {
  readonly evaluations: number;
  /** Flags raised, by code. */
  readonly flags: Readonly<Record<string, number>>;
  readonly stale: readonly string[];
  readonly strategiesTracked: number;
}

export interface InsightsWorker {
  stop(): void;
  stats(): InsightsStats;
  /** Runs every check now; publishes and returns the flags raised. */
  evaluate(): InsightFlag[];
  /** The latest flags, newest last (at most 200). */
  recent(): readonly InsightFlag[];
}

export interface InsightsWorkerOptions {
  /** Strategy PnL for the drift check; without it the check is off. */
  readonly book?: BookView;
  /** Instruments to watch for staleness when the config lists none (e.g. the registry's). */
  readonly instruments?: readonly string[];
  readonly candleTimeframes?: readonly string[];
  readonly baseCurrency: string;
  readonly fxRates: Readonly<Record<string, number>>;
  /** Relative replay report paths resolve against this folder (the platform home). */
  readonly baseDir?: string;
  readonly group?: string;
  /** Evaluate on a timer every evaluateSeconds (default true). */
  readonly schedule?: boolean;
}

const MICROS_PER_SECOND = 1_000_000;
const BUCKETS = 60;
const RECENT = 200;

const counts = z.looseObject({ fills: z.number().int().min(0), orders: z.number().int().min(0) });
/** `hf backtest --out`'s summary.json: one strategy's replay. */
const ReplaySummarySchema = counts;
/** `hf backtest --date --json`: the day's live and replay counts side by side. */
const DriftReportSchema = z.looseObject({
  date: z.string(),
  live: counts,
  replay: counts,
  meanAbsPriceDriftBps: z.number().nullable(),
});

interface PnlTrack {
  last: number;
  readonly history: number[];
}

export function startInsightsWorker(
  bus: Bus,
  clock: Clock,
  config: InsightsConfig,
  logger: Logger,
  options: InsightsWorkerOptions,
): InsightsWorker {
  const log = logger.child('insights');
  const group = options.group ?? 'insights';
  const timerName = `insights-worker:${group}`;
  const flagCounts: Record<string, number> = {};
  const recentFlags: InsightFlag[] = [];
  let evaluations = 0;
  let stopped = false;

  // ---- state fed by the bus ----
  const started = clock.now();
  const lastSeen = new PriceBoard<string>();
  const watched =
    config.feeds.instruments.length > 0 ? config.feeds.instruments : (options.instruments ?? []);
  const stale = new Set<string>();
  const resumed: string[] = [];

  const bucketWidth = Math.max(1, Math.floor((config.rejects.windowSeconds * MICROS_PER_SECOND) / BUCKETS));
  const bucketEpoch = new Float64Array(BUCKETS).fill(-1);
  const bucketSubmits = new Float64Array(BUCKETS);
  const bucketRejects = new Float64Array(BUCKETS);
  const bucketReasons: (Map<string, number> | undefined)[] = new Array<Map<string, number> | undefined>(
    BUCKETS,
  );
  let totalSubmits = 0;
  let totalRejects = 0;
  let lastRejectFlag = Number.NEGATIVE_INFINITY;

  const liveFills = new Map<string, number>();
  const liveOrders = new Map<string, number>();
  const replayVersions = new Map<string, number>();

  const pnl = new Map<string, PnlTrack>();
  let lastPnlSample = Number.NEGATIVE_INFINITY;

  const bucketAt = (now: number): number => {
    const epoch = Math.floor(now / bucketWidth);
    const index = epoch % BUCKETS;
    if (bucketEpoch[index] !== epoch) {
      bucketEpoch[index] = epoch;
      bucketSubmits[index] = 0;
      bucketRejects[index] = 0;
      bucketReasons[index]?.clear();
    }
    return index;
  };

  const onMarketData = (m: MarketData): void => {
    const id = m.instrumentId;
    lastSeen.set(id, clock.now());
    if (stale.size > 0 && stale.delete(id)) resumed.push(id);
  };

  const onCommand = (command: TradingCommand): void => {
    if (command.type !== 'submit_order') return;
    const index = bucketAt(clock.now());
    bucketSubmits[index] = (bucketSubmits[index] as number) + 1;
    totalSubmits++;
    const strategy = command.order?.strategyId;
    if (typeof strategy === 'string') liveOrders.set(strategy, (liveOrders.get(strategy) ?? 0) + 1);
  };

  const countReject = (reason: string): void => {
    const index = bucketAt(clock.now());
    bucketRejects[index] = (bucketRejects[index] as number) + 1;
    totalRejects++;
    let reasons = bucketReasons[index];
    if (!reasons) {
      reasons = new Map();
      bucketReasons[index] = reasons;
    }
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  };

  const onDenied = (denial: OrderDenied): void => {
    if (denial.command === 'submit_order') countReject(String(denial.reason));
  };
  const onOrderEvent = (event: OrderEvent): void => {
    if (event.type === 'order_rejected') countReject(String(event.reason));
  };
  const onFill = (fill: OrderFilled): void => {
    const strategy = fill.strategyId;
    if (typeof strategy === 'string') liveFills.set(strategy, (liveFills.get(strategy) ?? 0) + 1);
  };

  const subscriptions: Subscription[] = [
    bus.subscribe(Streams.ticks, group, onMarketData),
    bus.subscribe(Streams.books, group, onMarketData),
    bus.subscribe(Streams.ordersIncoming, group, onCommand),
    bus.subscribe(Streams.ordersRejected, group, onDenied),
    bus.subscribe(Streams.ordersEvents, group, onOrderEvent),
    bus.subscribe(Streams.fills, group, onFill),
  ];
  for (const tf of options.candleTimeframes ?? [])
    subscriptions.push(bus.subscribe(Streams.candles(tf), group, onMarketData));

  // ---- checks ----

  const raise = (
    out: InsightFlag[],
    code: WorkerReasonCode,
    severity: AlertSeverity,
    subject: string,
    message: string,
  ): void => {
    const ts = clock.now();
    const flag: InsightFlag = { code, severity, subject, message, ts };
    out.push(flag);
    flagCounts[code] = (flagCounts[code] ?? 0) + 1;
    recentFlags.push(flag);
    if (recentFlags.length > RECENT) recentFlags.splice(0, recentFlags.length - RECENT);
    log.warn(message, { code, subject });
    bus.publish(Streams.alerts, { type: 'alert', severity, code, source: 'insights', message, tsEvent: ts });
  };

  const checkPnl = (out: InsightFlag[], now: number): void => {
    const book = options.book;
    const interval = config.pnl.intervalSeconds * MICROS_PER_SECOND;
    if (!book || now - lastPnlSample < interval) return;
    lastPnlSample = now;
    const totals = new Map<string, number>();
    const unpriced = new Set<string>();
    for (const p of book.strategyPositions()) {
      const rate = p.currency === options.baseCurrency ? 1 : options.fxRates[p.currency];
      if (rate === undefined || p.unrealized === undefined) {
        unpriced.add(p.strategyId);
        continue;
      }
      totals.set(p.strategyId, (totals.get(p.strategyId) ?? 0) + (p.realized - p.fees + p.unrealized) * rate);
    }
    for (const [strategy, value] of totals) {
      if (unpriced.has(strategy)) continue;
      const track = pnl.get(strategy);
      if (!track) {
        pnl.set(strategy, { last: value, history: [] });
        continue;
      }
      const change = value - track.last;
      track.last = value;
      const n = track.history.length;
      if (n >= config.pnl.minHistory) {
        const { mean, sd } = meanAndDeviation(track.history);
        if (sd > 0) {
          const z = (change - mean) / sd;
          if (Math.abs(z) >= config.pnl.zThreshold)
            raise(
              out,
              'INSIGHT_PNL_DRIFT',
              'warning',
              strategy,
              `strategy ${strategy} PnL ${money(change)} ${options.baseCurrency} over the last ${config.pnl.intervalSeconds} s is ${Math.abs(z).toFixed(1)}σ ${z < 0 ? 'below' : 'above'} its own history (mean ${money(mean)}, sd ${money(sd)} over ${n} intervals)`,
            );
        }
      }
      track.history.push(change);
      if (track.history.length > config.pnl.history) track.history.shift();
    }
  };

  const checkFeeds = (out: InsightFlag[], now: number): void => {
    for (const id of resumed.splice(0))
      raise(out, 'INSIGHT_FEED_RESUMED', 'info', id, `${id}: market data resumed`);
    const limit = config.feeds.staleSeconds * MICROS_PER_SECOND;
    for (const id of watched) {
      if (stale.has(id)) continue;
      const last = lastSeen.get(id) ?? started;
      if (now - last <= limit) continue;
      stale.add(id);
      const seen = lastSeen.has(id);
      raise(
        out,
        'INSIGHT_FEED_STALE',
        'warning',
        id,
        `${id}: no market data for ${Math.round((now - last) / MICROS_PER_SECOND)} s (limit ${config.feeds.staleSeconds} s)${seen ? '' : ', none since the worker started'}`,
      );
    }
  };

  const checkRejects = (out: InsightFlag[], now: number): void => {
    const windowMicros = config.rejects.windowSeconds * MICROS_PER_SECOND;
    if (now - lastRejectFlag < windowMicros) return;
    const current = Math.floor(now / bucketWidth);
    let submits = 0;
    let rejects = 0;
    const reasons = new Map<string, number>();
    for (let i = 0; i < BUCKETS; i++) {
      const epoch = bucketEpoch[i] as number;
      if (epoch < 0 || epoch <= current - BUCKETS || epoch > current) continue;
      submits += bucketSubmits[i] as number;
      rejects += bucketRejects[i] as number;
      for (const [reason, n] of bucketReasons[i] ?? []) reasons.set(reason, (reasons.get(reason) ?? 0) + n);
    }
    if (submits < config.rejects.minOrders) return;
    const rate = rejects / submits;
    if (rate <= config.rejects.maxRate) return;
    const before = totalSubmits - submits;
    const baseline = before >= config.rejects.minOrders ? (totalRejects - rejects) / before : undefined;
    if (baseline !== undefined && rate <= config.rejects.baselineFactor * baseline) return;
    lastRejectFlag = now;
    let top = '';
    let topCount = 0;
    for (const [reason, n] of reasons) if (n > topCount) [top, topCount] = [reason, n];
    raise(
      out,
      'INSIGHT_REJECT_SPIKE',
      'warning',
      'orders',
      `reject rate ${percent(rate)} over the last ${config.rejects.windowSeconds} s (${rejects} of ${submits} orders; most: ${top} ${topCount}), above the ${percent(config.rejects.maxRate)} limit${baseline === undefined ? '' : ` and ${config.rejects.baselineFactor}× the baseline ${percent(baseline)}`}`,
    );
  };

  const compare = (
    out: InsightFlag[],
    subject: string,
    what: string,
    live: { fills: number; orders: number },
    replay: { fills: number; orders: number },
    file: string,
  ): void => {
    for (const metric of ['fills', 'orders'] as const) {
      const expected = replay[metric];
      const actual = live[metric];
      const difference = Math.abs(actual - expected);
      const relative = difference / Math.max(expected, 1);
      if (difference < config.replay.minDifference || relative <= config.replay.tolerance) continue;
      raise(
        out,
        'INSIGHT_REPLAY_DIVERGENCE',
        'warning',
        subject,
        `${what}: ${actual} live ${metric} vs ${expected} in the backtest replay ${file} (${actual >= expected ? '+' : '−'}${percent(relative)})`,
      );
    }
  };

  const checkReplays = (out: InsightFlag[]): void => {
    for (const replay of config.replays) {
      const file =
        isAbsolute(replay.file) || !options.baseDir
          ? resolve(replay.file)
          : resolve(options.baseDir, replay.file);
      let version: number;
      try {
        version = statSync(file).mtimeMs;
      } catch {
        continue; // no replay yet
      }
      if (replayVersions.get(file) === version) continue;
      replayVersions.set(file, version);
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(file, 'utf8'));
      } catch (error) {
        raise(
          out,
          'INSIGHT_REPLAY_UNREADABLE',
          'warning',
          file,
          `replay report ${file} cannot be read: ${(error as Error).message}`,
        );
        continue;
      }
      const drift = DriftReportSchema.safeParse(json);
      if (drift.success) {
        const report = drift.data;
        compare(out, `day ${report.date}`, `day ${report.date}`, report.live, report.replay, file);
        const bps = report.meanAbsPriceDriftBps;
        if (bps !== null && bps > config.replay.maxPriceDriftBps)
          raise(
            out,
            'INSIGHT_REPLAY_DIVERGENCE',
            'warning',
            `day ${report.date}`,
            `day ${report.date}: live fill prices drift ${bps.toFixed(1)} bps on average from the backtest replay ${file} (limit ${config.replay.maxPriceDriftBps} bps)`,
          );
        continue;
      }
      const summary = ReplaySummarySchema.safeParse(json);
      if (!summary.success || replay.strategy === undefined) {
        const problem = summary.success
          ? 'a backtest summary.json needs the live strategy it stands for (`strategy`)'
          : 'neither a drift report nor a backtest summary.json';
        raise(
          out,
          'INSIGHT_REPLAY_UNREADABLE',
          'warning',
          file,
          `replay report ${file} cannot be read: ${problem}`,
        );
        continue;
      }
      const live = {
        fills: liveFills.get(replay.strategy) ?? 0,
        orders: liveOrders.get(replay.strategy) ?? 0,
      };
      compare(out, replay.strategy, `strategy ${replay.strategy}`, live, summary.data, file);
    }
  };

  const evaluate = (): InsightFlag[] => {
    const out: InsightFlag[] = [];
    const now = clock.now();
    evaluations++;
    for (const check of [
      () => checkPnl(out, now),
      () => checkFeeds(out, now),
      () => checkRejects(out, now),
      () => checkReplays(out),
    ])
      try {
        check();
      } catch (error) {
        log.error('insight check failed', { error: String(error) });
      }
    return out;
  };

  const schedule = (): void => {
    if (stopped) return;
    clock.setTimer(timerName, clock.now() + config.evaluateSeconds * MICROS_PER_SECOND, () => {
      evaluate();
      schedule();
    });
  };
  if (options.schedule ?? true) schedule();
  log.info('insights worker started', { watched: watched.length, replays: config.replays.length });

  return {
    stop() {
      stopped = true;
      clock.cancelTimer(timerName);
      for (const s of subscriptions) s.unsubscribe();
    },
    stats: () => ({
      evaluations,
      flags: { ...flagCounts },
      stale: [...stale].sort(),
      strategiesTracked: pnl.size,
    }),
    evaluate,
    recent: () => recentFlags.slice(),
  };
}

/** Mean and sample standard deviation (n − 1). */
export function meanAndDeviation(values: readonly number[]): { mean: number; sd: number } {
  const n = values.length;
  if (n === 0) return { mean: 0, sd: 0 };
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  if (n < 2) return { mean, sd: 0 };
  let squares = 0;
  for (const v of values) squares += (v - mean) * (v - mean);
  return { mean, sd: Math.sqrt(squares / (n - 1)) };
}

function money(value: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)} %`;
}
