// `hf backtest --date YYYY-MM-DD`: the day's recorded market data (ticks, books, candles under
// `<home>/recordings/<date>/`) replayed through the kernel with the strategies of strategies.yaml, on a clock
// driven by the recording, and compared order by order with what the live session decided and filled (the store's
// audit log and ledger): the live-vs-backtest drift report.
//
// Orders are matched by strategy and sequence: a client order id is `<strategy>-<decision time>-<n>`, and the n-th
// order of a strategy is the same decision in both runs as long as both saw the same data from the same start (the
// decision time differs: live, the strategy decided a little after the tick arrived). Known limits, reported in the notes: a
// live session that started before the day had strategy state (averages, positions) the replay rebuilds only
// from the day's first message; live latency (decision → venue) is real, the replay's is the paper venue's model.

import { join } from 'node:path';
import { SimulatedClock } from '../common/clock.ts';
import { createLogger, type Logger } from '../common/logging.ts';
import { loadRegistry } from '../common/registry.ts';
import { Streams } from '../common/topics.ts';
import { Kernel } from '../kernel/kernel.ts';
import type { MarketData, OrderFilled, SubmitOrder } from '../model/index.ts';
import { loadDayData, type DayOrder } from '../reports/day-data.ts';
import { readRecording, type RecordingProblem } from '../store/recording.ts';

export interface ReplayDayOptions {
  readonly home: string;
  readonly configDir: string;
  readonly date: string;
  readonly session?: string;
  readonly databaseUrl?: string;
  readonly controlSocket?: string;
  readonly seed?: number;
  readonly logger?: Logger;
}

export interface OrderDrift {
  readonly clientOrderId: string;
  readonly strategyId: string;
  readonly instrumentId: string;
  readonly side: string;
  /** `both`: decided live and in the replay; `live-only` / `replay-only`: one side never decided it. */
  readonly presence: 'both' | 'live-only' | 'replay-only';
  readonly liveFilled: number;
  readonly replayFilled: number;
  readonly liveAveragePrice: number | null;
  readonly replayAveragePrice: number | null;
  /** Replay average price against live, in bps, signed so positive = the replay got a better price. */
  readonly priceDriftBps: number | null;
  /** Replay decision time minus live decision time, µs. */
  readonly decisionShiftMicros: number | null;
}

export interface DriftReport {
  readonly date: string;
  readonly source: string;
  readonly events: number;
  readonly seconds: number;
  readonly live: {
    readonly orders: number;
    readonly filledOrders: number;
    readonly fills: number;
    readonly cashFlow: number;
  };
  readonly replay: {
    readonly orders: number;
    readonly filledOrders: number;
    readonly fills: number;
    readonly cashFlow: number;
  };
  readonly matched: number;
  readonly liveOnly: number;
  readonly replayOnly: number;
  /** Matched orders whose filled quantity differs. */
  readonly fillQuantityMismatches: number;
  /** Mean and largest |price drift| over matched orders filled in both runs, bps. */
  readonly meanAbsPriceDriftBps: number | null;
  readonly maxAbsPriceDriftBps: number | null;
  readonly orders: readonly OrderDrift[];
  readonly recordingProblems: readonly RecordingProblem[];
  readonly notes: readonly string[];
}

interface Filled {
  quantity: number;
  notional: number;
  fills: number;
}

function accumulate(fills: readonly OrderFilled[]): Map<string, Filled> {
  const out = new Map<string, Filled>();
  for (const f of fills) {
    const e = out.get(f.clientOrderId) ?? { quantity: 0, notional: 0, fills: 0 };
    e.quantity += f.lastQuantity;
    e.notional += f.lastQuantity * f.lastPrice;
    e.fills++;
    out.set(f.clientOrderId, e);
  }
  return out;
}

/** `<strategy>-<time base 36>-<n>` → `<strategy>#<n>`: the same decision in both runs. */
export function decisionKey(clientOrderId: string): string {
  return clientOrderId.replace(/-[0-9a-z]+-(\d+)$/, '#$1');
}

function rekey<T>(map: ReadonlyMap<string, T>): Map<string, T> {
  const out = new Map<string, T>();
  for (const [id, value] of map) out.set(decisionKey(id), value);
  return out;
}

function cashFlow(fills: readonly OrderFilled[]): number {
  let cash = 0;
  for (const f of fills) cash += (f.side === 'buy' ? -1 : 1) * f.lastQuantity * f.lastPrice - f.fee;
  return Math.round(cash * 100) / 100;
}

export async function replayDay(options: ReplayDayOptions): Promise<DriftReport> {
  const logger = options.logger ?? createLogger('backtest', 'warn');
  const day = await loadDayData({
    home: options.home,
    date: options.date,
    ...(options.session !== undefined ? { session: options.session } : {}),
    ...(options.databaseUrl !== undefined ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.controlSocket !== undefined ? { controlSocket: options.controlSocket } : {}),
  });
  const recordings = join(options.home, 'recordings');
  const problems: RecordingProblem[] = [];
  const stream = readRecording(recordings, options.date, ['ticks', 'books', 'candles'], problems);
  const first = stream.next();
  const notes = [...day.notes];
  if (first.done)
    throw new Error(
      `no recorded market data for ${options.date} under ${recordings}: the replay needs the day's recording (hf run records it)`,
    );
  const registry = loadRegistry(join(options.configDir, 'registry.yaml'));
  const timeframes = registry.feeds?.candles ?? ['1m'];
  const clock = new SimulatedClock(first.value.tsEvent);
  const kernel = await Kernel.create({
    mode: 'backtest',
    configDir: options.configDir,
    clock,
    logger,
    seed: options.seed ?? 42,
    candleTimeframes: timeframes,
  });
  const decisions = new Map<string, SubmitOrder>();
  const replayFills: OrderFilled[] = [];
  kernel.bus.subscribe(Streams.ordersIncoming, 'drift', (c) => {
    if (c.type === 'submit_order') decisions.set(c.order.clientOrderId, c);
  });
  kernel.bus.subscribe(Streams.fills, 'drift', (f) => void replayFills.push(f));
  await kernel.start();
  const started = process.hrtime.bigint();
  let events = 0;
  for (let r: IteratorResult<MarketData> = first; !r.done; r = stream.next()) {
    const m = r.value;
    clock.advanceTo(m.tsEvent);
    // As live: quotes, trades and books reach the paper venues; candles only the strategies.
    if (m.type === 'bar') kernel.bus.publish(Streams.candles(m.timeframe), m);
    else kernel.publishMarketData(m);
    events++;
  }
  await kernel.bus.flush();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await kernel.stop();

  const liveOrders = new Map<string, DayOrder>();
  for (const o of day.orders) if (o.denial === null || o.fills.length > 0) liveOrders.set(o.clientOrderId, o);
  const liveFilled = rekey(accumulate(day.fills));
  const replayFilled = rekey(accumulate(replayFills));
  const liveByKey = rekey(liveOrders);
  const replayByKey = rekey(decisions);
  const ids = new Set([...liveByKey.keys(), ...replayByKey.keys()]);
  const orders: OrderDrift[] = [];
  let matched = 0;
  let liveOnly = 0;
  let replayOnly = 0;
  let mismatches = 0;
  let driftSum = 0;
  let driftCount = 0;
  let driftMax = 0;
  for (const id of ids) {
    const live = liveByKey.get(id);
    const sim = replayByKey.get(id);
    const lf = liveFilled.get(id);
    const rf = replayFilled.get(id);
    const presence = live && sim ? 'both' : live ? 'live-only' : 'replay-only';
    if (presence === 'both') matched++;
    else if (presence === 'live-only') liveOnly++;
    else replayOnly++;
    const side = live?.side ?? sim?.order.side ?? 'buy';
    const liveAverage = lf && lf.quantity > 0 ? lf.notional / lf.quantity : null;
    const replayAverage = rf && rf.quantity > 0 ? rf.notional / rf.quantity : null;
    let drift: number | null = null;
    if (liveAverage !== null && replayAverage !== null) {
      drift =
        ((side === 'buy' ? liveAverage - replayAverage : replayAverage - liveAverage) / liveAverage) * 10_000;
      driftSum += Math.abs(drift);
      driftCount++;
      driftMax = Math.max(driftMax, Math.abs(drift));
    }
    if (presence === 'both' && Math.abs((lf?.quantity ?? 0) - (rf?.quantity ?? 0)) > 1e-9) mismatches++;
    orders.push({
      clientOrderId: live?.clientOrderId ?? sim?.order.clientOrderId ?? id,
      strategyId: live?.strategyId ?? sim?.order.strategyId ?? '',
      instrumentId: live?.instrumentId ?? sim?.order.instrumentId ?? '',
      side,
      presence,
      liveFilled: lf?.quantity ?? 0,
      replayFilled: rf?.quantity ?? 0,
      liveAveragePrice: liveAverage,
      replayAveragePrice: replayAverage,
      priceDriftBps: drift,
      decisionShiftMicros: live && sim ? sim.order.tsInit - live.decisionTime : null,
    });
  }
  const filledOrders = (m: Map<string, Filled>) => [...m.values()].filter((f) => f.quantity > 0).length;
  if (problems.length > 0)
    notes.push(`${problems.length} recorded line(s) could not be read and were skipped`);
  return {
    date: options.date,
    source: day.source.location,
    events,
    seconds,
    live: {
      orders: liveOrders.size,
      filledOrders: filledOrders(liveFilled),
      fills: day.fills.length,
      cashFlow: cashFlow(day.fills),
    },
    replay: {
      orders: decisions.size,
      filledOrders: filledOrders(replayFilled),
      fills: replayFills.length,
      cashFlow: cashFlow(replayFills),
    },
    matched,
    liveOnly,
    replayOnly,
    fillQuantityMismatches: mismatches,
    meanAbsPriceDriftBps: driftCount > 0 ? driftSum / driftCount : null,
    maxAbsPriceDriftBps: driftCount > 0 ? driftMax : null,
    orders,
    recordingProblems: problems.slice(0, 20),
    notes,
  };
}

export function driftLines(report: DriftReport): string[] {
  const bps = (v: number | null) => (v === null ? '—' : `${v.toFixed(2)} bps`);
  const lines = [
    `replay of ${report.date} (${report.events.toLocaleString('en-US')} recorded events in ${report.seconds.toFixed(2)} s) against ${report.source}`,
    `  live:   ${report.live.orders} orders, ${report.live.filledOrders} filled, ${report.live.fills} fills, cash flow ${report.live.cashFlow.toFixed(2)}`,
    `  replay: ${report.replay.orders} orders, ${report.replay.filledOrders} filled, ${report.replay.fills} fills, cash flow ${report.replay.cashFlow.toFixed(2)}`,
    `  matched ${report.matched}, live only ${report.liveOnly}, replay only ${report.replayOnly}; filled quantity differs on ${report.fillQuantityMismatches}`,
    `  fill price drift (replay vs live, + = replay better): mean |drift| ${bps(report.meanAbsPriceDriftBps)}, max ${bps(report.maxAbsPriceDriftBps)}`,
  ];
  const worst = report.orders
    .filter((o) => o.presence !== 'both' || (o.priceDriftBps !== null && Math.abs(o.priceDriftBps) > 0.005))
    .slice(0, 10);
  for (const o of worst)
    lines.push(
      `  ${o.clientOrderId} ${o.strategyId} ${o.side} ${o.instrumentId}: ${o.presence}` +
        (o.priceDriftBps !== null ? `, drift ${o.priceDriftBps.toFixed(2)} bps` : '') +
        `, filled live ${o.liveFilled} / replay ${o.replayFilled}`,
    );
  for (const note of report.notes) lines.push(`  note: ${note}`);
  return lines;
}
