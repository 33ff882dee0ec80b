// The metrics registry: bucket arithmetic, the defensive VaR/drawdown readers, and every collector read from a
// real embedded kernel driven by the synthetic market on a simulated clock, cross-checked against the kernel.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { SimulatedClock } from '../common/clock.ts';
import { Histogram } from '../common/histogram.ts';
import { ControlKeys } from '../common/topics.ts';
import { Kernel } from '../kernel/kernel.ts';
import { SyntheticMarket } from '../marketdata/index.ts';
import { parseExposition, samples, total } from '../../tests/deploy/prometheus-text.ts';
import { buildApi } from './api.ts';
import {
  BucketCounts,
  countAtMost,
  createMetrics,
  LATENCY_BUCKETS_SECONDS,
  numericFigures,
  readDrawdowns,
  readRiskTail,
  registerMetricsRoute,
  type FeedStatusSource,
} from './metrics.ts';

const CONFIGS = join(import.meta.dirname, '..', '..', 'configs');
const T0 = 1_704_153_600_000_000;

async function tradingKernel(): Promise<{ kernel: Kernel; clock: SimulatedClock }> {
  const clock = new SimulatedClock(T0);
  const kernel = await Kernel.create({ mode: 'paper', configDir: CONFIGS, clock, seed: 7 });
  return { kernel, clock };
}

async function drive(kernel: Kernel, clock: SimulatedClock, messages: number, seed = 7): Promise<void> {
  const market = new SyntheticMarket({
    registry: kernel.registry,
    seed,
    startTime: clock.now(),
    stepMicros: 5_000,
  });
  for (let i = 0; i < messages; i++) {
    const m = market.next();
    clock.advanceTo(m.tsEvent);
    kernel.publishMarketData(m);
  }
  await kernel.bus.flush();
}

describe('countAtMost: cumulative bucket counts from a kernel histogram', () => {
  it('counts the values whose 2 % bucket lies at or below the bound', () => {
    const h = new Histogram();
    for (let v = 1; v <= 100; v++) h.record(v);
    // The kernel histogram puts v in bucket i = 1 + floor(ln(v / 0.1) / ln 1.02), upper edge 0.1 · 1.02^i.
    // v = 49: ln(490) / ln(1.02) = 312.8 → i = 313, edge 49.19 ≤ 50 → counted.
    // v = 50: ln(500) / ln(1.02) = 313.8 → i = 314, edge 50.17 > 50 → not counted. So 1..49: 49 values.
    expect(countAtMost(h, 50)).toBe(49);
    // v = 10: i = 233, edge 10.09 > 10; v = 9 is below: 1..9 → 9.
    expect(countAtMost(h, 10)).toBe(9);
    // At or above the maximum every value counts; below the minimum none.
    expect(countAtMost(h, 100)).toBe(100);
    expect(countAtMost(h, 1e9)).toBe(100);
    expect(countAtMost(h, 0.5)).toBe(0);
    expect(countAtMost(new Histogram(), 10)).toBe(0);
  });

  it('never decreases as the bound grows (a valid cumulative histogram)', () => {
    const h = new Histogram();
    for (let i = 0; i < 5000; i++) h.record(((i * 7919) % 100_000) + 0.5);
    let previous = 0;
    for (const bound of LATENCY_BUCKETS_SECONDS) {
      const n = countAtMost(h, bound * 1e6);
      expect(n).toBeGreaterThanOrEqual(previous);
      previous = n;
    }
    expect(previous).toBe(5000); // 10 s = 1e7 µs is above the largest value (99,999.5 µs)
  });
});

describe('BucketCounts', () => {
  it('puts each observation in the first bucket whose bound holds it, and counts the sum', () => {
    const counts = new BucketCounts([0.001, 0.01, 0.1]);
    counts.observe(0.0005); // ≤ 1 ms
    counts.observe(0.001); // = 1 ms: le is inclusive
    counts.observe(0.05); // ≤ 100 ms
    counts.observe(3); // above every bound: only +Inf (count)
    counts.observe(Number.NaN); // ignored
    counts.observe(-1); // ignored
    expect(counts.cumulative()).toEqual([2, 2, 3]);
    expect(counts.count).toBe(4);
    expect(counts.sum).toBeCloseTo(0.0005 + 0.001 + 0.05 + 3, 12);
  });
});

describe('readRiskTail and readDrawdowns: VaR/ES and drawdown read from whatever the snapshot holds', () => {
  it("reads the risk engine's valueAtRisk section: portfolio and strategies with bands, components", () => {
    // The shape of RiskEngine.snapshot().valueAtRisk: figures null until enough history, limits null when unset.
    const snapshot = {
      valueAtRisk: {
        method: 'historical',
        confidence: 0.99,
        ready: true,
        portfolio: {
          figures: { valueAtRisk: 12_000, expectedShortfall: 15_500 },
          limits: { var: 20_000, es: 25_000 },
        },
        strategies: {
          'arb-aapl': {
            figures: { valueAtRisk: 3000, expectedShortfall: 3600 },
            component: { valueAtRisk: 2500, expectedShortfall: 3100 },
            incremental: { valueAtRisk: 2000, expectedShortfall: 2400 },
            limits: { var: 5000, es: null },
          },
        },
        instruments: {
          'AAPL.SIM-A': {
            exposure: 150_000,
            returns: 250,
            component: { valueAtRisk: 1800, expectedShortfall: 2200 },
            incremental: { valueAtRisk: 1500, expectedShortfall: 1900 },
          },
        },
      },
    };
    expect(readRiskTail(snapshot)).toEqual([
      { scope: 'portfolio', name: 'portfolio', var: 12_000, es: 15_500, varLimit: 20_000, esLimit: 25_000 },
      {
        scope: 'strategy',
        name: 'arb-aapl',
        var: 3000,
        es: 3600,
        varLimit: 5000,
        componentVar: 2500,
        componentEs: 3100,
      },
      { scope: 'instrument', name: 'AAPL.SIM-A', componentVar: 1800, componentEs: 2200 },
    ]);
  });

  it('accepts flat figures and shared limits, and objects holding a value', () => {
    expect(readRiskTail({ var: { var: { value: 10 }, expectedShortfall: 12, limit: { var: 50 } } })).toEqual([
      { scope: 'portfolio', name: 'portfolio', var: 10, es: 12, varLimit: 50 },
    ]);
  });

  it('yields nothing before the model is ready, for an absent section, or for non-finite figures', () => {
    expect(
      readRiskTail({
        valueAtRisk: { ready: false, portfolio: { figures: null, limits: { var: null, es: null } } },
      }),
    ).toEqual([]);
    expect(readRiskTail({ state: 'ACTIVE' })).toEqual([]);
    expect(readRiskTail(undefined)).toEqual([]);
    expect(readRiskTail({ var: { portfolio: { var: Number.NaN, es: 'big' } } })).toEqual([]);
  });

  it("reads the risk engine's drawdowns for the portfolio and per strategy, by window", () => {
    const report = (current: number) => ({
      pnl: -current,
      peakDrawdown: current,
      intradayDrawdown: current / 2,
      worstPeakDrawdown: current * 2,
      worstIntradayDrawdown: current,
      bandsCrossed: 0,
    });
    expect(
      readDrawdowns({
        drawdowns: {
          portfolio: report(400),
          strategies: { 'arb-aapl': { ...report(100), tradingState: 'ACTIVE', restrictedBy: null } },
        },
      }),
    ).toEqual([
      { scope: 'portfolio', name: 'portfolio', window: 'current', value: 400 },
      { scope: 'portfolio', name: 'portfolio', window: 'intraday', value: 200 },
      { scope: 'portfolio', name: 'portfolio', window: 'worst', value: 800 },
      { scope: 'portfolio', name: 'portfolio', window: 'worst_intraday', value: 400 },
      { scope: 'strategy', name: 'arb-aapl', window: 'current', value: 100 },
      { scope: 'strategy', name: 'arb-aapl', window: 'intraday', value: 50 },
      { scope: 'strategy', name: 'arb-aapl', window: 'worst', value: 200 },
      { scope: 'strategy', name: 'arb-aapl', window: 'worst_intraday', value: 100 },
    ]);
    expect(readDrawdowns({ drawdown: 0.03 })).toEqual([
      { scope: 'portfolio', name: 'portfolio', window: 'current', value: 0.03 },
    ]);
    expect(readDrawdowns({})).toEqual([]);
  });

  it('flattens a stats object into numeric figures by dotted path', () => {
    expect(
      numericFigures({ scored: 3, ok: true, nested: { lag: 2, label: 'x', list: [1] }, bad: Number.NaN }),
    ).toEqual([
      ['scored', 3],
      ['ok', 1],
      ['nested.lag', 2],
    ]);
  });
});

describe('createMetrics on a real embedded kernel', () => {
  it('exports stage latency histograms, order flow by strategy and reason, OMS, risk, PnL and control state', async () => {
    const { kernel, clock } = await tradingKernel();
    const metrics = createMetrics({ kernel, orderFlow: true, service: 'test', processMetrics: false });
    await kernel.start();
    await drive(kernel, clock, 30_000);

    let all = parseExposition(await metrics.metrics());
    // Every series carries the service label.
    expect(all.every((s) => s.labels.service === 'test')).toBe(true);
    // The OMS's histograms, through the bucket conversion: the +Inf bucket and _count equal the kernel's count.
    const latency = kernel.oms.latency;
    for (const [stage, h] of [
      ['signal_to_route', latency.signalToRoute],
      ['route_to_ack', latency.routeToAck],
      ['ingest_to_ack', latency.tickToAck],
    ] as const) {
      expect(h.count, stage).toBeGreaterThan(0);
      expect(total(all, 'hf_order_stage_latency_seconds_count', { stage })).toBe(h.count);
      expect(total(all, 'hf_order_stage_latency_seconds_bucket', { stage, le: '+Inf' })).toBe(h.count);
    }
    // The tally saw every submit the strategies made (the runner counts its own).
    const submitted = kernel.strategies.status().reduce((sum, s) => sum + s.submitted, 0);
    expect(submitted).toBeGreaterThan(0);
    expect(total(all, 'hf_order_submits_total')).toBe(submitted);
    expect(total(all, 'hf_order_stage_latency_seconds_count', { stage: 'ingest_to_signal' })).toBeGreaterThan(
      0,
    );
    expect(total(all, 'hf_order_stage_latency_seconds_count', { stage: 'signal_to_risk' })).toBeGreaterThan(
      0,
    );
    // Fills by strategy and venue add up to the OMS's count, and to the runner's per strategy.
    expect(total(all, 'hf_order_fills_total')).toBe(kernel.oms.counters.fills);
    expect(total(all, 'hf_oms_events_total', { event: 'filled' })).toBe(kernel.oms.counters.fills);
    for (const s of kernel.strategies.status())
      expect(total(all, 'hf_order_fills_total', { strategy: s.id }), s.id).toBe(s.fills);
    // Orders routed to venues: the OMS's submitted count.
    expect(total(all, 'hf_orders_routed_total')).toBe(kernel.oms.counters.submitted);
    // Risk denials by reason: the same figures as the kernel's own tally of orders.rejected (submits only there).
    const denials = kernel.risk.snapshot().counts.deniedByReason;
    for (const [reason, n] of Object.entries(denials))
      expect(total(all, 'hf_risk_denials_total', { reason }), reason).toBe(n);
    // Venues connected, kill switch off, trading ACTIVE.
    for (const venue of kernel.venues.keys()) expect(total(all, 'hf_venue_connected', { venue })).toBe(1);
    expect(total(all, 'hf_kill_switch_engaged')).toBe(0);
    expect(total(all, 'hf_trading_state', { state: 'ACTIVE' })).toBe(1);
    // Positions per strategy add up to the ledger's firm-wide position per instrument.
    for (const p of kernel.ledger.ledger.positions())
      expect(total(all, 'hf_position', { instrument: p.instrumentId }), p.instrumentId).toBeCloseTo(
        p.quantity,
        8,
      );
    expect(samples(all, 'hf_pnl_realized').length).toBeGreaterThan(0);
    expect(samples(all, 'hf_exposure', { scope: 'strategy', measure: 'gross' }).length).toBeGreaterThan(0);
    // The portfolio's VaR/ES bands of configs/risk.yaml (var.limits), as the risk engine reports them (strategies'
    // appear once the model has enough history, more than this short run gives it).
    const limits = (
      YAML.parse(readFileSync(join(CONFIGS, 'risk.yaml'), 'utf8')) as {
        var?: {
          limits?: {
            portfolio?: { var?: number; es?: number };
            strategies?: Record<string, { var?: number }>;
          };
        };
      }
    ).var?.limits;
    if (limits?.portfolio?.var !== undefined)
      expect(total(all, 'hf_risk_var_limit', { scope: 'portfolio', name: 'portfolio' })).toBe(
        limits.portfolio.var,
      );
    if (limits?.portfolio?.es !== undefined)
      expect(total(all, 'hf_risk_es_limit', { scope: 'portfolio', name: 'portfolio' })).toBe(
        limits.portfolio.es,
      );

    // The kill switch: the gauge follows the control plane, the denials show as rejects with their reason.
    await kernel.bus.control.set(ControlKeys.killSwitch, 'enabled', 'true');
    await drive(kernel, clock, 3_000, 8);
    all = parseExposition(await metrics.metrics());
    expect(total(all, 'hf_kill_switch_engaged')).toBe(1);
    expect(total(all, 'hf_trading_state', { state: 'HALTED' })).toBe(1);
    expect(
      total(all, 'hf_order_rejects_total', { reason: 'RISK_KILL_SWITCH', stage: 'risk' }),
    ).toBeGreaterThan(0);
    expect(total(all, 'hf_alerts_total', { code: 'OPS_KILL_SWITCH_ON' })).toBeGreaterThan(0);

    metrics.stop();
    await kernel.stop();
  });

  it('counts a collector that throws and still answers the scrape', async () => {
    const broken: FeedStatusSource = {
      status: () => {
        throw new Error('feed hub gone');
      },
    };
    const metrics = createMetrics({ feeds: broken, processMetrics: false });
    const all = parseExposition(await metrics.metrics());
    expect(total(all, 'hf_metrics_collect_errors_total', { collector: 'hf_feed_messages_total' })).toBe(1);
    expect(samples(all, 'hf_feed_messages_total')).toEqual([]);
  });

  it('reads feed staleness and failover state from the feed hub status', async () => {
    const clock = new SimulatedClock(T0 + 3_000_000);
    const feeds: FeedStatusSource = {
      status: () => ({
        sources: { replay: 120, synthetic: 40 },
        instruments: [
          {
            instrumentId: 'AAPL.SIM-A',
            active: 'backup',
            activeFeed: 'synthetic',
            primaryLastUpdate: T0,
            backupLastUpdate: T0 + 2_500_000,
            primaryStale: true,
            backupStale: false,
          },
        ],
        quarantined: { MD_NAN_PRICE: 2 },
        stats: { received: 160, quarantined: 2 },
      }),
    };
    const all = parseExposition(await createMetrics({ feeds, clock, processMetrics: false }).metrics());
    // The active source (backup) last spoke at T0 + 2.5 s; now is T0 + 3 s: 0.5 s old.
    expect(total(all, 'hf_feed_staleness_seconds', { instrument: 'AAPL.SIM-A', source: 'synthetic' })).toBe(
      0.5,
    );
    expect(total(all, 'hf_feed_stale', { instrument: 'AAPL.SIM-A', role: 'primary' })).toBe(1);
    expect(total(all, 'hf_feed_on_backup', { instrument: 'AAPL.SIM-A' })).toBe(1);
    expect(total(all, 'hf_feed_messages_total', { source: 'replay' })).toBe(120);
    expect(total(all, 'hf_ingest_quarantined_total', { reason: 'MD_NAN_PRICE' })).toBe(2);
  });

  it('serves GET /metrics on the API in the Prometheus text format', async () => {
    const { kernel } = await tradingKernel();
    const api = buildApi(kernel, { allowControl: false });
    const metrics = createMetrics({ kernel, wsStats: () => undefined });
    registerMetricsRoute(api, metrics);
    const response = await api.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    const all = parseExposition(response.body);
    // Node process metrics are on by default: the event-loop lag gauge is there.
    expect(samples(all, 'hf_nodejs_eventloop_lag_seconds').length).toBe(1);
    await api.close();
    metrics.stop();
  });
});
