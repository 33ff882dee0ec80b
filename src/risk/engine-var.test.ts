// RiskEngine with VaR/ES bands and drawdown bands, on the real MemoryBus: the band against the batch
// delta-normal figure of the same returns, risk-reducing orders above the band, the no-history policy, the
// snapshot's split by strategy and instrument, and drawdowns moving the trading state with alerts.
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../bus/memory.ts';
import { SimulatedClock } from '../common/clock.ts';
import type { ReasonCode } from '../common/errors.ts';
import { parseRegistry } from '../common/registry.ts';
import { Streams } from '../common/topics.ts';
import {
  clientOrderId,
  instrumentId,
  strategyId,
  tradeId,
  venueId,
  venueOrderId,
  type Alert,
  type OrderDenied,
  type OrderSide,
  type TradingCommand,
} from '../model/index.ts';
import { parsePolicyConfig, parseRiskConfig } from './config.ts';
import { sampleCovariance } from './covariance.ts';
import { RiskEngine } from './engine.ts';
import { deltaNormalVar } from './var.ts';

const T0 = 1_700_000_000_000_000; // 2023-11-14T22:13:20Z
const SECOND = 1_000_000;
const DAY = 86_400 * SECOND;
const AAPL = instrumentId('AAPL', 'SIM-A');
const MSFT = instrumentId('MSFT', 'SIM-A');

const registry = parseRegistry({
  venues: { 'SIM-A': { adapter: 'paper' } },
  instruments: [
    {
      symbol: 'AAPL',
      venues: ['SIM-A'],
      assetClass: 'equity',
      currency: 'USD',
      tickSize: 0.01,
      lotSize: 1,
      region: 'US',
      sector: 'technology',
    },
    {
      symbol: 'MSFT',
      venues: ['SIM-A'],
      assetClass: 'equity',
      currency: 'USD',
      tickSize: 0.01,
      lotSize: 1,
      region: 'US',
      sector: 'technology',
    },
  ],
});

/** Returns per second (by hand, nothing fitted). */
const RETURNS_AAPL = [0.01, -0.02, 0.015, 0.005, -0.01, 0.02, -0.005, -0.015];
const RETURNS_MSFT = [0.004, -0.01, 0.006, 0.002, -0.008, 0.01, 0.0, -0.012];
const COVARIANCE = sampleCovariance([RETURNS_AAPL, RETURNS_MSFT]).covariance;

/** Limits out of the way, VaR sampled each second with a 4-second day: a 1-day horizon is 4 periods. */
function riskConfig(extra: { var?: Record<string, unknown>; drawdown?: Record<string, unknown> } = {}) {
  return parseRiskConfig({
    cash: { USD: 1e9 },
    instrumentDefaults: { maxOrderQuantity: 100_000, maxNotional: 1e9, maxPosition: 1e6, collarBps: 5_000 },
    strategyDefaults: { maxGrossExposure: 1e12, maxNetExposure: 1e12, messagesPerSecond: 1e6, burst: 1e6 },
    var: {
      method: 'gaussian',
      confidence: 0.99,
      sampleEvery: '1s',
      dayLength: '4s',
      windowReturns: 50,
      minReturns: 4,
      ...extra.var,
    },
    ...(extra.drawdown ? { drawdown: extra.drawdown } : {}),
  });
}

class Desk {
  readonly bus = new MemoryBus();
  readonly clock = new SimulatedClock(T0);
  readonly engine: RiskEngine;
  readonly validated: TradingCommand[] = [];
  readonly rejected: OrderDenied[] = [];
  readonly alerts: Alert[] = [];
  private sequence = 0;
  readonly prices = { AAPL: 100, MSFT: 100 };

  constructor(risk: ReturnType<typeof riskConfig>) {
    this.engine = new RiskEngine({
      bus: this.bus,
      clock: this.clock,
      registry,
      risk,
      policy: parsePolicyConfig({}),
    });
    this.bus.subscribe(Streams.ordersValidated, 'test', (m) => void this.validated.push(m));
    this.bus.subscribe(Streams.ordersRejected, 'test', (m) => void this.rejected.push(m));
    this.bus.subscribe(Streams.alerts, 'test', (m) => void this.alerts.push(m));
    this.engine.start();
  }

  trade(instrument: typeof AAPL, price: number, at = this.clock.now()): void {
    this.bus.publish(Streams.ticks, {
      type: 'trade',
      instrumentId: instrument,
      price,
      size: 1,
      aggressor: 'unknown',
      tsEvent: at,
      tsInit: at,
    });
  }

  /** Trades following `rows` returns of both instruments, one a second, and the tick that samples the last. */
  history(rows: number): void {
    const publish = (k: number) => {
      this.clock.advanceTo(T0 + k * SECOND + SECOND / 2);
      this.trade(AAPL, this.prices.AAPL);
      this.trade(MSFT, this.prices.MSFT);
    };
    publish(0);
    for (let k = 0; k < rows; k++) {
      this.prices.AAPL *= 1 + RETURNS_AAPL[k]!;
      this.prices.MSFT *= 1 + RETURNS_MSFT[k]!;
      publish(k + 1);
    }
    this.clock.advanceTo(T0 + (rows + 1) * SECOND + SECOND / 2);
    this.trade(AAPL, this.prices.AAPL);
  }

  fill(
    strategy: string,
    instrument: typeof AAPL,
    side: OrderSide,
    quantity: number,
    price: number,
    fee = 0,
  ): void {
    const n = ++this.sequence;
    this.bus.publish(Streams.fills, {
      type: 'order_filled',
      clientOrderId: clientOrderId(`external-${n}`),
      strategyId: strategyId(strategy),
      instrumentId: instrument,
      venue: venueId('SIM-A'),
      venueOrderId: venueOrderId(`v-${n}`),
      tradeId: tradeId(`t-${n}`),
      side,
      lastQuantity: quantity,
      lastPrice: price,
      fee,
      feeCurrency: 'USD',
      liquidity: 'taker',
      leavesQuantity: 0,
      tsEvent: this.clock.now(),
      tsInit: this.clock.now(),
    });
  }

  submit(strategy: string, instrument: typeof AAPL, side: OrderSide, quantity: number): 'PASS' | ReasonCode {
    const id = `o-${++this.sequence}`;
    const price = instrument === AAPL ? this.prices.AAPL : this.prices.MSFT;
    const before = this.validated.length;
    this.bus.publish(Streams.ordersIncoming, {
      type: 'submit_order',
      order: {
        clientOrderId: clientOrderId(id),
        strategyId: strategyId(strategy),
        instrumentId: instrument,
        side,
        type: 'limit',
        quantity,
        price: Math.round(price * 100) / 100,
        timeInForce: 'GTC',
        reduceOnly: false,
        tsInit: this.clock.now(),
      },
      tsInit: this.clock.now(),
    });
    if (this.validated.length > before) return 'PASS';
    return this.rejected[this.rejected.length - 1]!.reason as ReasonCode;
  }

  lastDenial(): OrderDenied {
    return this.rejected[this.rejected.length - 1]!;
  }
}

/** Delta-normal 1-day (4 periods) 99 % VaR / ES of AAPL and MSFT money exposures. */
function reference(aapl: number, msft: number) {
  return deltaNormalVar([aapl, msft], COVARIANCE, 0.99, 4);
}

describe('VaR / ES bands', () => {
  it('denies the order that takes portfolio VaR above the band, counting open orders on its side', () => {
    // Band: the VaR of 200 AAPL at the last price. 100 held; +50 passes (150); then +150 with the 50 open is 300.
    const probe = new Desk(riskConfig());
    probe.history(8);
    const price = probe.prices.AAPL;
    const band = reference(200 * price, 0).valueAtRisk;
    const desk = new Desk(riskConfig({ var: { limits: { portfolio: { var: band } } } }));
    desk.history(8);
    desk.fill('sma-cross', AAPL, 'buy', 100, price);
    expect(desk.submit('sma-cross', AAPL, 'buy', 50)).toBe('PASS');
    expect(desk.submit('sma-cross', AAPL, 'buy', 150)).toBe('RISK_VAR_LIMIT');
    const message = desk.lastDenial().message;
    const after = reference(300 * price, 0).valueAtRisk;
    const before = reference(150 * price, 0).valueAtRisk;
    expect(message).toContain(`portfolio VaR would reach ${after.toFixed(2)} USD`);
    expect(message).toContain(`(${before.toFixed(2)} without the order)`);
    expect(message).toContain('gaussian, 99 %, 1 day');
    // Selling 150 of the 100 held leaves a 50 short: within the band.
    expect(desk.submit('sma-cross', AAPL, 'sell', 150)).toBe('PASS');
    expect(desk.engine.snapshot().counts.deniedByReason.RISK_VAR_LIMIT).toBe(1);
  });

  it('holds historical VaR to the band: the screen passes small orders, the exact figure denies large ones', () => {
    const probe = new Desk(riskConfig());
    probe.history(8);
    const price = probe.prices.AAPL;
    // Historical 99 % over 8 returns: h = 7 × 0.01 = 0.07 between the worst two; 1-day = 2 × one period.
    const sorted = [...RETURNS_AAPL].sort((a, b) => a - b);
    const quantile = sorted[0]! + 0.07 * (sorted[1]! - sorted[0]!);
    const varOf = (shares: number) => -2 * shares * price * quantile;
    const desk = new Desk(
      riskConfig({ var: { method: 'historical', limits: { portfolio: { var: varOf(200) } } } }),
    );
    desk.history(8);
    desk.fill('sma-cross', AAPL, 'buy', 100, price);
    expect(desk.submit('sma-cross', AAPL, 'buy', 10)).toBe('PASS');
    expect(desk.submit('sma-cross', AAPL, 'buy', 120)).toBe('RISK_VAR_LIMIT');
    expect(desk.lastDenial().message).toContain(`portfolio VaR would reach ${varOf(230).toFixed(2)} USD`);
    expect(desk.lastDenial().message).toContain('historical, 99 %, 1 day');
  });

  it('lets an order that lowers VaR through even above the band', () => {
    const probe = new Desk(riskConfig());
    probe.history(8);
    const band = reference(50 * probe.prices.AAPL, 0).valueAtRisk;
    const desk = new Desk(riskConfig({ var: { limits: { portfolio: { var: band } } } }));
    desk.history(8);
    desk.fill('sma-cross', AAPL, 'buy', 100, desk.prices.AAPL); // VaR of 100: above the band already
    expect(desk.submit('sma-cross', AAPL, 'buy', 1)).toBe('RISK_VAR_LIMIT');
    expect(desk.submit('sma-cross', AAPL, 'sell', 10)).toBe('PASS');
  });

  it('holds ES to its own band and a strategy to its own', () => {
    const probe = new Desk(riskConfig());
    probe.history(8);
    const price = probe.prices.AAPL;
    const esBand = reference(120 * price, 0).expectedShortfall;
    const desk = new Desk(
      riskConfig({ var: { limits: { portfolio: {}, strategies: { 'mm-msft': { es: esBand } } } } }),
    );
    desk.history(8);
    desk.fill('sma-cross', AAPL, 'buy', 1_000, price); // another strategy's risk does not count against mm-msft
    expect(desk.submit('mm-msft', AAPL, 'buy', 100)).toBe('PASS');
    expect(desk.submit('mm-msft', AAPL, 'buy', 30)).toBe('RISK_VAR_LIMIT');
    expect(desk.lastDenial().message).toContain('strategy mm-msft ES would reach');
    expect(desk.submit('sma-cross', AAPL, 'buy', 500)).toBe('PASS');
  });

  it('holds a raised modify to the band', () => {
    const probe = new Desk(riskConfig());
    probe.history(8);
    const band = reference(200 * probe.prices.AAPL, 0).valueAtRisk;
    const desk = new Desk(riskConfig({ var: { limits: { portfolio: { var: band } } } }));
    desk.history(8);
    expect(desk.submit('sma-cross', AAPL, 'buy', 150)).toBe('PASS');
    const id = desk.validated[desk.validated.length - 1]!;
    const clientId = id.type === 'submit_order' ? id.order.clientOrderId : clientOrderId('?');
    const modify = (quantity: number) => {
      const before = desk.validated.length;
      desk.bus.publish(Streams.ordersIncoming, {
        type: 'modify_order',
        clientOrderId: clientId,
        strategyId: strategyId('sma-cross'),
        instrumentId: AAPL,
        quantity,
        tsInit: desk.clock.now(),
      });
      return desk.validated.length > before ? 'PASS' : desk.lastDenial().reason;
    };
    expect(modify(190)).toBe('PASS');
    expect(modify(250)).toBe('RISK_VAR_LIMIT');
  });

  it('does not deny before there is enough history: counted, with one alert', () => {
    const desk = new Desk(riskConfig({ var: { limits: { portfolio: { var: 1 } } } }));
    desk.history(2);
    expect(desk.submit('sma-cross', AAPL, 'buy', 10_000)).toBe('PASS');
    expect(desk.submit('sma-cross', AAPL, 'buy', 9_000)).toBe('PASS');
    const noHistory = desk.alerts.filter((a) => a.code === 'RISK_VAR_NO_HISTORY');
    expect(noHistory).toHaveLength(1);
    expect(noHistory[0]!.message).toContain('2 of 4 returns');
    const snapshot = desk.engine.snapshot().valueAtRisk;
    expect(snapshot.ready).toBe(false);
    expect(snapshot.portfolio.figures).toBeNull();
    expect(snapshot.counts.uncheckedWithoutHistory).toBe(2);
  });
});

describe('VaR in the snapshot', () => {
  it('shows the figures, the limits and a split by strategy and instrument that adds up', () => {
    const desk = new Desk(riskConfig({ var: { limits: { portfolio: { var: 1e9 } } } }));
    desk.history(8);
    desk.fill('sma-cross', AAPL, 'buy', 100, desk.prices.AAPL);
    desk.fill('mm-msft', MSFT, 'sell', 200, desk.prices.MSFT);
    desk.fill('mm-msft', AAPL, 'sell', 30, desk.prices.AAPL);
    const snapshot = desk.engine.snapshot().valueAtRisk;
    const expected = reference(70 * desk.prices.AAPL, -200 * desk.prices.MSFT);
    expect(snapshot.ready).toBe(true);
    expect(snapshot.returns).toBe(8);
    expect(snapshot.sampleSpacingSeconds).toBe(1);
    expect(snapshot.portfolio.figures!.valueAtRisk).toBeCloseTo(expected.valueAtRisk, 1);
    expect(snapshot.portfolio.limits).toEqual({ var: 1e9, es: null });
    const strategies = Object.values(snapshot.strategies);
    const componentSum = strategies.reduce((sum, s) => sum + s.component.valueAtRisk, 0);
    expect(componentSum).toBeCloseTo(expected.valueAtRisk, 0);
    expect(snapshot.instruments[AAPL]!.exposure).toBeCloseTo(70 * desk.prices.AAPL, 1);
    expect(snapshot.instruments[AAPL]!.returns).toBe(8);
    expect(snapshot.instruments[MSFT]!.component.valueAtRisk).toBeCloseTo(
      expected.components[1]!.valueAtRisk,
      1,
    );
    expect(snapshot.instruments[MSFT]!.incremental.valueAtRisk).toBeCloseTo(
      expected.incremental[1]!.valueAtRisk,
      1,
    );
  });

  it('keeps the history through a reload that changes only the bands', () => {
    const desk = new Desk(riskConfig());
    desk.history(8);
    desk.engine.updateRisk(riskConfig({ var: { limits: { portfolio: { var: 5 } } } }));
    desk.fill('sma-cross', AAPL, 'buy', 100, desk.prices.AAPL);
    expect(desk.submit('sma-cross', AAPL, 'buy', 1)).toBe('RISK_VAR_LIMIT');
    desk.engine.updateRisk(riskConfig({ var: { windowReturns: 40, limits: { portfolio: { var: 5 } } } }));
    expect(desk.engine.snapshot().valueAtRisk.returns).toBe(0);
    expect(desk.submit('sma-cross', AAPL, 'buy', 1)).toBe('PASS');
  });
});

describe('drawdown bands', () => {
  const bands = {
    bands: [
      { scope: 'portfolio', measure: 'intraday', limit: 5_000, action: 'REDUCING' },
      { scope: 'portfolio', measure: 'peak', limit: 8_000, action: 'HALTED' },
    ],
  };

  it('moves the trading state to REDUCING, then HALTED, with an alert each', () => {
    const desk = new Desk(riskConfig({ drawdown: bands }));
    desk.trade(AAPL, 100);
    desk.fill('sma-cross', AAPL, 'buy', 1_000, 100);
    desk.trade(AAPL, 96); // −4,000: inside both bands
    expect(desk.engine.state()).toBe('ACTIVE');
    desk.trade(AAPL, 94.9); // −5,100
    expect(desk.engine.state()).toBe('REDUCING');
    desk.prices.AAPL = 94.9;
    expect(desk.submit('sma-cross', AAPL, 'buy', 10)).toBe('RISK_REDUCING_ONLY');
    expect(desk.submit('sma-cross', AAPL, 'sell', 10)).toBe('PASS');
    desk.trade(AAPL, 91.9); // −8,100
    expect(desk.engine.state()).toBe('HALTED');
    const codes = desk.alerts.map((a) => [a.code, a.severity]);
    expect(codes).toEqual([
      ['RISK_DRAWDOWN_BAND', 'warning'],
      ['RISK_DRAWDOWN_BAND', 'critical'],
    ]);
    expect(desk.alerts[0]!.message).toContain('portfolio intraday drawdown 5100.00 USD reached band 5000');
    const drawdowns = desk.engine.snapshot().drawdowns;
    expect(drawdowns.portfolio.pnl).toBeCloseTo(-8_100, 6);
    expect(drawdowns.portfolio.peakDrawdown).toBeCloseTo(8_100, 6);
    expect(drawdowns.strategies['sma-cross']!.worstIntradayDrawdown).toBeCloseTo(8_100, 6);
  });

  it('acts again only after the drawdown recovers below 90 % of the band', () => {
    const desk = new Desk(riskConfig({ drawdown: bands }));
    desk.trade(AAPL, 100);
    desk.fill('sma-cross', AAPL, 'buy', 1_000, 100);
    desk.trade(AAPL, 94.9);
    desk.engine.setTradingState('ACTIVE'); // the operator resumes
    desk.trade(AAPL, 94.8);
    desk.trade(AAPL, 95.4); // −4,600: still above 4,500, not re-armed
    desk.trade(AAPL, 94.8);
    expect(desk.engine.state()).toBe('ACTIVE');
    desk.trade(AAPL, 95.6); // −4,400: re-armed
    desk.trade(AAPL, 94.9);
    expect(desk.engine.state()).toBe('REDUCING');
    expect(desk.alerts.filter((a) => a.code === 'RISK_DRAWDOWN_BAND')).toHaveLength(2);
  });

  it('measures intraday drawdown from the level the day opened at', () => {
    const desk = new Desk(riskConfig({ drawdown: bands }));
    desk.trade(AAPL, 100);
    desk.fill('sma-cross', AAPL, 'buy', 1_000, 100);
    desk.trade(AAPL, 96); // day 1: −4,000
    desk.clock.advanceTo(T0 + DAY);
    desk.trade(AAPL, 96); // day 2 opens at −4,000
    desk.trade(AAPL, 93); // −7,000: 3,000 intraday, 7,000 from the peak
    expect(desk.engine.state()).toBe('ACTIVE');
    const portfolio = desk.engine.snapshot().drawdowns.portfolio;
    expect(portfolio.intradayDrawdown).toBeCloseTo(3_000, 6);
    expect(portfolio.peakDrawdown).toBeCloseTo(7_000, 6);
  });

  it('restricts only the strategy its band names, until an operator releases it', () => {
    const desk = new Desk(
      riskConfig({
        drawdown: {
          bands: [
            { scope: 'strategy', strategy: 'mm-msft', measure: 'intraday', limit: 2_000, action: 'REDUCING' },
          ],
        },
      }),
    );
    desk.trade(MSFT, 100);
    desk.trade(AAPL, 100);
    desk.fill('mm-msft', MSFT, 'buy', 100, 100, 10); // a 10 USD fee: P&L −10
    desk.fill('sma-cross', AAPL, 'buy', 100, 100);
    desk.trade(MSFT, 80.1); // mm-msft: −1,990 − 10 = −2,000
    desk.trade(AAPL, 50); // sma-cross −5,000: no band for it
    expect(desk.engine.strategyTradingState('mm-msft')).toBe('REDUCING');
    expect(desk.engine.state()).toBe('ACTIVE');
    desk.prices.MSFT = 80.1;
    desk.prices.AAPL = 50;
    expect(desk.submit('mm-msft', MSFT, 'buy', 10)).toBe('RISK_STRATEGY_DRAWDOWN');
    expect(desk.lastDenial().message).toContain('strategy mm-msft is REDUCING (intraday drawdown band 2000)');
    expect(desk.submit('mm-msft', MSFT, 'sell', 10)).toBe('PASS');
    expect(desk.submit('sma-cross', AAPL, 'buy', 10)).toBe('PASS');
    const snapshot = desk.engine.snapshot().drawdowns.strategies['mm-msft']!;
    expect(snapshot.pnl).toBeCloseTo(-2_000, 6);
    expect(snapshot.tradingState).toBe('REDUCING');
    desk.engine.setStrategyTradingState('mm-msft', 'ACTIVE');
    expect(desk.submit('mm-msft', MSFT, 'buy', 10)).toBe('PASS');
  });
});
