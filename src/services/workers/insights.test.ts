// Insights flags on constructed inputs: PnL drift against a strategy's own history, feed staleness and its end,
// a reject-rate spike against its baseline, and live counts against a backtest replay report.

import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../bus/memory.ts';
import { SimulatedClock } from '../../common/clock.ts';
import { silentLogger } from '../../common/logging.ts';
import { Streams } from '../../common/topics.ts';
import type { Alert, InstrumentId, OrderFilled, TradingCommand } from '../../model/index.ts';
import type { BookPosition, BookView } from './book.ts';
import { InsightsConfigSchema } from './config.ts';
import { meanAndDeviation, startInsightsWorker } from './insights.ts';

const T0 = 1_704_153_600_000_000;
const SECOND = 1_000_000;

function setup(config: Record<string, unknown>, book?: BookView, baseDir?: string) {
  const bus = new MemoryBus();
  const clock = new SimulatedClock(T0);
  const alerts: Alert[] = [];
  bus.subscribe(Streams.alerts, 'test', (a) => void alerts.push(a));
  const worker = startInsightsWorker(bus, clock, InsightsConfigSchema.parse(config), silentLogger, {
    ...(book ? { book } : {}),
    baseCurrency: 'USD',
    fxRates: {},
    schedule: false,
    ...(baseDir ? { baseDir } : {}),
  });
  return { bus, clock, alerts, worker };
}

function pnlBook(values: Map<string, number>): BookView {
  return {
    strategyPositions: () =>
      [...values].map(([strategyId, realized]): BookPosition => ({
        strategyId,
        instrumentId: 'AAPL.X' as InstrumentId,
        currency: 'USD',
        quantity: 0,
        averagePrice: 0,
        realized,
        fees: 0,
        mark: undefined,
        unrealized: 0,
      })),
    firmQuantity: () => 0,
    mark: () => undefined,
  };
}

describe('insights: PnL drift', () => {
  it('computes the sample mean and standard deviation', () => {
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, Σ(x − 5)² = 32, sample variance 32 / 7
    const { mean, sd } = meanAndDeviation([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(mean).toBe(5);
    expect(sd).toBeCloseTo(Math.sqrt(32 / 7), 12);
  });

  it("flags an interval far outside the strategy's own history, not one within it", () => {
    const values = new Map([
      ['alpha', 0],
      ['beta', 0],
    ]);
    const { clock, alerts, worker } = setup(
      { pnl: { intervalSeconds: 300, minHistory: 12, zThreshold: 4 } },
      pnlBook(values),
    );
    worker.evaluate(); // the first sample: nothing to compare yet
    // Twelve intervals of +10, −10, …: mean 0, sample sd √(12 × 100 / 11) = 10.4447.
    for (let i = 1; i <= 12; i++) {
      clock.advanceTo(T0 + i * 300 * SECOND);
      const level = i % 2 === 1 ? 10 : 0;
      values.set('alpha', level);
      values.set('beta', level);
      expect(worker.evaluate()).toEqual([]);
    }
    // Interval 13: alpha loses 60 (z = −60 / 10.4447 = −5.74, beyond 4), beta loses 30 (z = −2.87, within).
    clock.advanceTo(T0 + 13 * 300 * SECOND);
    values.set('alpha', -60);
    values.set('beta', -30);
    const flags = worker.evaluate();
    expect(flags.map((f) => [f.code, f.subject])).toEqual([['INSIGHT_PNL_DRIFT', 'alpha']]);
    expect(alerts.at(-1)).toMatchObject({
      type: 'alert',
      code: 'INSIGHT_PNL_DRIFT',
      source: 'insights',
      severity: 'warning',
    });
    expect(alerts.at(-1)!.message).toBe(
      'strategy alpha PnL -60.00 USD over the last 300 s is 5.7σ below its own history (mean 0.00, sd 10.44 over 12 intervals)',
    );
  });

  it('does not sample before an interval has passed', () => {
    const values = new Map([['alpha', 0]]);
    const { clock, worker } = setup({ pnl: { intervalSeconds: 300, minHistory: 2 } }, pnlBook(values));
    worker.evaluate();
    clock.advanceTo(T0 + 100 * SECOND);
    values.set('alpha', -1e6);
    worker.evaluate();
    expect(worker.stats().strategiesTracked).toBe(1);
    expect(worker.stats().flags).toEqual({});
  });
});

describe('insights: feed staleness', () => {
  it('flags an instrument without data for staleSeconds once, and its return', () => {
    const { bus, clock, alerts, worker } = setup({
      feeds: { staleSeconds: 30, instruments: ['AAPL.X', 'MSFT.X'] },
    });
    const tick = (id: string) =>
      bus.publish(Streams.ticks, {
        type: 'quote',
        instrumentId: id as InstrumentId,
        bid: 1,
        ask: 1.01,
        bidSize: 1,
        askSize: 1,
        tsEvent: clock.now(),
        tsInit: clock.now(),
      });
    clock.advanceTo(T0 + 10 * SECOND);
    tick('AAPL.X');
    clock.advanceTo(T0 + 35 * SECOND);
    expect(worker.evaluate().map((f) => f.message)).toEqual([
      'MSFT.X: no market data for 35 s (limit 30 s), none since the worker started',
    ]);
    clock.advanceTo(T0 + 45 * SECOND);
    expect(worker.evaluate().map((f) => f.message)).toEqual(['AAPL.X: no market data for 35 s (limit 30 s)']);
    expect(worker.evaluate()).toEqual([]); // once
    expect(worker.stats().stale).toEqual(['AAPL.X', 'MSFT.X']);
    clock.advanceTo(T0 + 50 * SECOND);
    tick('AAPL.X');
    expect(worker.evaluate().map((f) => [f.code, f.severity, f.message])).toEqual([
      ['INSIGHT_FEED_RESUMED', 'info', 'AAPL.X: market data resumed'],
    ]);
    expect(worker.stats().stale).toEqual(['MSFT.X']);
    expect(alerts.map((a) => a.code)).toEqual([
      'INSIGHT_FEED_STALE',
      'INSIGHT_FEED_STALE',
      'INSIGHT_FEED_RESUMED',
    ]);
  });
});

describe('insights: reject-rate spikes', () => {
  const submit = (n: number): TradingCommand =>
    ({ type: 'submit_order', order: { clientOrderId: `o${n}`, strategyId: 'alpha' }, tsInit: 0 }) as never;

  it('flags a window above the limit and above its baseline, once per window', () => {
    const { bus, clock, worker } = setup({
      rejects: { windowSeconds: 300, minOrders: 20, maxRate: 0.005, baselineFactor: 3 },
    });
    const deny = (reason: string) =>
      bus.publish(Streams.ordersRejected, { type: 'order_denied', command: 'submit_order', reason } as never);
    // Baseline, in the first 100 s: 100 orders, 1 denied (1 %).
    for (let i = 0; i < 100; i++) {
      clock.advanceTo(T0 + i * SECOND);
      bus.publish(Streams.ordersIncoming, submit(i));
    }
    deny('RISK_MAX_NOTIONAL');
    // 600 s later, within 20 s: 40 orders, 6 denied for the throttle and 2 rejected by the venue (20 %).
    for (let i = 0; i < 40; i++) {
      clock.advanceTo(T0 + 700 * SECOND + i * 500_000);
      bus.publish(Streams.ordersIncoming, submit(100 + i));
    }
    for (let i = 0; i < 6; i++) deny('RISK_THROTTLE');
    for (let i = 0; i < 2; i++)
      bus.publish(Streams.ordersEvents, { type: 'order_rejected', reason: 'VENUE_NO_LIQUIDITY' } as never);
    clock.advanceTo(T0 + 720 * SECOND);
    // Window (420 s, 720 s]: 8 of 40 = 20 %; before it: 1 of 100 = 1 %; 20 % > 0.5 % and > 3 × 1 %.
    expect(worker.evaluate().map((f) => f.message)).toEqual([
      'reject rate 20.0 % over the last 300 s (8 of 40 orders; most: RISK_THROTTLE 6), above the 0.5 % limit and 3× the baseline 1.0 %',
    ]);
    clock.advanceTo(T0 + 730 * SECOND);
    expect(worker.evaluate()).toEqual([]);
  });

  it('does not flag a rate within its baseline, or too few orders', () => {
    const { bus, clock, worker } = setup({
      rejects: { windowSeconds: 300, minOrders: 20, maxRate: 0.005, baselineFactor: 3 },
    });
    // 10 % all along: above the limit but not a spike against its own baseline.
    for (let i = 0; i < 200; i++) {
      clock.advanceTo(T0 + i * 5 * SECOND);
      bus.publish(Streams.ordersIncoming, submit(i));
      if (i % 10 === 0)
        bus.publish(Streams.ordersRejected, {
          type: 'order_denied',
          command: 'submit_order',
          reason: 'RISK_THROTTLE',
        } as never);
    }
    expect(worker.evaluate()).toEqual([]);
    const fresh = setup({});
    for (let i = 0; i < 5; i++) {
      fresh.bus.publish(Streams.ordersIncoming, submit(i));
      fresh.bus.publish(Streams.ordersRejected, {
        type: 'order_denied',
        command: 'submit_order',
        reason: 'X',
      } as never);
    }
    expect(fresh.worker.evaluate()).toEqual([]);
  });
});

describe('insights: live against the backtest replay', () => {
  it('compares once the replay report exists, each version of it once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hf-insights-'));
    const { bus, worker } = setup(
      { replays: [{ file: 'replay/summary.json', strategy: 'alpha' }, { file: 'bad.json' }] },
      undefined,
      dir,
    );
    for (let i = 0; i < 20; i++) bus.publish(Streams.fills, { strategyId: 'alpha' } as OrderFilled);
    for (let i = 0; i < 21; i++)
      bus.publish(Streams.ordersIncoming, {
        type: 'submit_order',
        order: { strategyId: 'alpha' },
        tsInit: 0,
      } as never);
    expect(worker.evaluate()).toEqual([]); // no report yet
    mkdirSync(join(dir, 'replay'));
    const file = join(dir, 'replay', 'summary.json');
    writeFileSync(file, JSON.stringify({ strategy: 'sma-cross', fills: 10, orders: 20, stats: {} }));
    writeFileSync(join(dir, 'bad.json'), '{ not json');
    const flags = worker.evaluate();
    // fills 20 vs 10: +100 % (beyond 25 %, 10 apart); orders 21 vs 20: 1 apart, under the minimum of 5.
    expect(flags.map((f) => [f.code, f.subject])).toEqual([
      ['INSIGHT_REPLAY_DIVERGENCE', 'alpha'],
      ['INSIGHT_REPLAY_UNREADABLE', join(dir, 'bad.json')],
    ]);
    expect(flags[0]!.message).toBe(
      `strategy alpha: 20 live fills vs 10 in the backtest replay ${file} (+100.0 %)`,
    );
    expect(flags[1]!.message).toContain('cannot be read');
    expect(worker.evaluate()).toEqual([]);
  });

  it("reads a day's drift report: live against replay counts, and the fill price drift", () => {
    const dir = mkdtempSync(join(tmpdir(), 'hf-insights-drift-'));
    const file = join(dir, 'drift.json');
    const { worker } = setup({ replays: [{ file }], replay: { maxPriceDriftBps: 10 } });
    const report = (live: number, replay: number, bps: number | null) =>
      JSON.stringify({
        date: '2024-01-02',
        live: { orders: 100, filledOrders: 90, fills: live, cashFlow: 0 },
        replay: { orders: 104, filledOrders: 90, fills: replay, cashFlow: 0 },
        meanAbsPriceDriftBps: bps,
        orders: [],
      });
    // orders 100 vs 104: 4 apart, under 5; fills 120 vs 90: 30 apart, +33.3 %; price drift 12.5 bps > 10.
    writeFileSync(file, report(120, 90, 12.5));
    expect(worker.evaluate().map((f) => f.message)).toEqual([
      `day 2024-01-02: 120 live fills vs 90 in the backtest replay ${file} (+33.3 %)`,
      `day 2024-01-02: live fill prices drift 12.5 bps on average from the backtest replay ${file} (limit 10 bps)`,
    ]);
    // A new version of the report within tolerance: nothing.
    writeFileSync(file, report(95, 90, 2));
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    expect(worker.evaluate()).toEqual([]);
  });
});
