// RiskEngine on the real MemoryBus, SimulatedClock and an inline registry: every rule denies with its reason code
// beside a passing case, and the state it judges by is fed from the bus.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../bus/memory.ts';
import { SimulatedClock } from '../common/clock.ts';
import { ConfigError, type ReasonCode } from '../common/errors.ts';
import { parseRegistry } from '../common/registry.ts';
import { ControlKeys, Streams } from '../common/topics.ts';
import {
  clientOrderId,
  instrumentId,
  strategyId,
  tradeId,
  venueId,
  venueOrderId,
  type ModifyOrder,
  type OrderDenied,
  type OrderEvent,
  type OrderRequest,
  type OrderSide,
  type OrderType,
  type SubmitOrder,
  type TradingCommand,
} from '../model/index.ts';
import type { RetentionSettings } from '../common/retention.ts';
import { parsePolicyConfig, parseRiskConfig } from './config.ts';
import { RiskEngine } from './engine.ts';

const T0 = 1_700_000_000_000_000;
const SECOND = 1_000_000;

const registry = parseRegistry({
  venues: { 'SIM-A': { adapter: 'paper' }, 'SIM-B': { adapter: 'paper' } },
  instruments: [
    {
      symbol: 'AAPL',
      venues: ['SIM-A', 'SIM-B'],
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
    {
      symbol: 'JPM',
      venues: ['SIM-A'],
      assetClass: 'equity',
      currency: 'USD',
      tickSize: 0.05,
      lotSize: 10,
      region: 'US',
      sector: 'financials',
    },
    {
      symbol: 'SAP',
      venues: ['SIM-A'],
      assetClass: 'equity',
      currency: 'EUR',
      tickSize: 0.01,
      lotSize: 1,
      region: 'EU',
      sector: 'technology',
    },
    {
      symbol: 'ES',
      venues: ['SIM-A'],
      assetClass: 'future',
      currency: 'USD',
      tickSize: 0.25,
      lotSize: 1,
      multiplier: 50,
      region: 'US',
      sector: 'index',
    },
  ],
});

const EUR_USD = 1.1;
const LIMITS = { maxOrderQuantity: 1000, maxNotional: 100_000, maxPosition: 2000, collarBps: 500 };
/** Limits that stay out of the way unless a test tightens them. */
const BASE_RISK = {
  fxRates: { EUR: EUR_USD },
  cash: { USD: 100_000_000, EUR: 100_000_000 },
  instrumentDefaults: LIMITS,
  strategyDefaults: { maxGrossExposure: 1e12, maxNetExposure: 1e12, messagesPerSecond: 1e6, burst: 1e6 },
};

const AAPL = 'AAPL.SIM-A';
const AAPL_B = 'AAPL.SIM-B';
const MSFT = 'MSFT.SIM-A';
const JPM = 'JPM.SIM-A';
const SAP = 'SAP.SIM-A';
const ES = 'ES.SIM-A';

interface OrderSpec {
  id?: string;
  strategy?: string;
  instrument?: string;
  side?: OrderSide;
  type?: OrderType;
  quantity?: number;
  price?: number | undefined;
  triggerPrice?: number | undefined;
  reduceOnly?: boolean;
}

type Outcome = 'PASS' | 'DROPPED' | ReasonCode;

/** One engine on a real bus, recording what it publishes. */
class Desk {
  readonly bus = new MemoryBus();
  readonly clock = new SimulatedClock(T0);
  readonly engine: RiskEngine;
  readonly validated: TradingCommand[] = [];
  readonly rejected: OrderDenied[] = [];
  private sequence = 0;
  private trades = 0;

  constructor(
    options: {
      risk?: Record<string, unknown>;
      policy?: Record<string, unknown>;
      cash?: Record<string, number>;
      retention?: RetentionSettings;
    } = {},
    start = true,
  ) {
    this.engine = new RiskEngine({
      bus: this.bus,
      clock: this.clock,
      registry,
      risk: parseRiskConfig({ ...BASE_RISK, ...options.risk }),
      policy: parsePolicyConfig(options.policy ?? {}),
      candleTimeframes: ['1m'],
      ...(options.cash ? { cash: options.cash } : {}),
      ...(options.retention ? { retention: options.retention } : {}),
    });
    this.bus.subscribe(Streams.ordersValidated, 'test', (m) => {
      this.validated.push(m);
    });
    this.bus.subscribe(Streams.ordersRejected, 'test', (m) => {
      this.rejected.push(m);
    });
    if (start) this.engine.start();
  }

  order(spec: OrderSpec = {}): OrderRequest {
    const type = spec.type ?? 'limit';
    const usesPrice = type === 'limit' || type === 'stop_limit';
    const usesTrigger = type === 'stop' || type === 'stop_limit';
    const price = 'price' in spec ? spec.price : usesPrice ? 100 : undefined;
    const triggerPrice = 'triggerPrice' in spec ? spec.triggerPrice : usesTrigger ? 100 : undefined;
    return {
      clientOrderId: clientOrderId(spec.id ?? `o-${++this.sequence}`),
      strategyId: strategyId(spec.strategy ?? 'sma-cross'),
      instrumentId: instrumentId(...((spec.instrument ?? AAPL).split('.') as [string, string])),
      side: spec.side ?? 'buy',
      type,
      quantity: spec.quantity ?? 10,
      ...(price !== undefined ? { price } : {}),
      ...(triggerPrice !== undefined ? { triggerPrice } : {}),
      timeInForce: 'GTC',
      reduceOnly: spec.reduceOnly ?? false,
      tsInit: this.clock.now(),
    };
  }

  /** Publishes a command and says what the engine did with it. */
  send(command: TradingCommand): Outcome {
    const v = this.validated.length;
    const r = this.rejected.length;
    this.bus.publish(Streams.ordersIncoming, command);
    if (this.validated.length > v) return 'PASS';
    const denial = this.rejected[r];
    return denial ? (denial.reason as ReasonCode) : 'DROPPED';
  }

  submit(spec: OrderSpec = {}): Outcome {
    return this.send(this.submitCommand(spec));
  }

  submitCommand(spec: OrderSpec = {}): SubmitOrder {
    return { type: 'submit_order', order: this.order(spec), tsInit: this.clock.now() };
  }

  lastDenial(): OrderDenied {
    const d = this.rejected[this.rejected.length - 1];
    if (!d) throw new Error('nothing denied');
    return d;
  }

  modify(
    id: string,
    change: { quantity?: number; price?: number; triggerPrice?: number },
    strategy = 'sma-cross',
    instrument = AAPL,
  ): Outcome {
    const command: ModifyOrder = {
      type: 'modify_order',
      clientOrderId: clientOrderId(id),
      strategyId: strategyId(strategy),
      instrumentId: instrumentId(...(instrument.split('.') as [string, string])),
      ...change,
      tsInit: this.clock.now(),
    };
    return this.send(command);
  }

  cancel(id: string, strategy = 'sma-cross'): Outcome {
    return this.send({
      type: 'cancel_order',
      clientOrderId: clientOrderId(id),
      strategyId: strategyId(strategy),
      instrumentId: instrumentId('AAPL', 'SIM-A'),
      tsInit: this.clock.now(),
    });
  }

  /** A trade tick: the reference price becomes `price`. */
  trade(instrument: string, price: number): void {
    this.bus.publish(Streams.ticks, {
      type: 'trade',
      instrumentId: instrumentId(...(instrument.split('.') as [string, string])),
      price,
      size: 1,
      aggressor: 'unknown',
      tsEvent: this.clock.now(),
      tsInit: this.clock.now(),
    });
  }

  /** Publishes an execution on `fills` (and returns it, to publish again). */
  fill(spec: {
    strategy?: string;
    instrument?: string;
    side: OrderSide;
    quantity: number;
    price: number;
    order?: string;
    leaves?: number;
    trade?: string;
    fee?: number;
  }) {
    const fill = {
      type: 'order_filled' as const,
      clientOrderId: clientOrderId(spec.order ?? `external-${++this.trades}`),
      strategyId: strategyId(spec.strategy ?? 'sma-cross'),
      instrumentId: instrumentId(...((spec.instrument ?? AAPL).split('.') as [string, string])),
      venue: venueId('SIM-A'),
      venueOrderId: venueOrderId(`v-${this.trades}`),
      tradeId: tradeId(spec.trade ?? `t-${++this.trades}`),
      side: spec.side,
      lastQuantity: spec.quantity,
      lastPrice: spec.price,
      fee: spec.fee ?? 0,
      feeCurrency: 'USD',
      liquidity: 'taker' as const,
      leavesQuantity: spec.leaves ?? 0,
      tsEvent: this.clock.now(),
      tsInit: this.clock.now(),
    };
    this.bus.publish(Streams.fills, fill);
    return fill;
  }

  event(event: OrderEvent): void {
    this.bus.publish(Streams.ordersEvents, event);
  }

  canceled(id: string, strategy = 'sma-cross', instrument = AAPL): void {
    this.event({
      type: 'order_canceled',
      clientOrderId: clientOrderId(id),
      strategyId: strategyId(strategy),
      instrumentId: instrumentId(...(instrument.split('.') as [string, string])),
      reason: 'VENUE_USER_CANCELED',
      tsEvent: this.clock.now(),
      tsInit: this.clock.now(),
    });
  }
}

describe('input validation', () => {
  it('denies a quantity that is not a positive finite number', () => {
    const desk = new Desk();
    for (const quantity of [0, -5, Number.NaN, Number.POSITIVE_INFINITY])
      expect(desk.submit({ quantity })).toBe('RISK_INVALID_QUANTITY');
    expect(desk.submit({ quantity: 5 })).toBe('PASS');
  });

  it('denies a quantity off the lot size', () => {
    const desk = new Desk();
    expect(desk.submit({ instrument: JPM, quantity: 15 })).toBe('RISK_QUANTITY_LOT');
    expect(desk.lastDenial().message).toContain('lot 10');
    expect(desk.submit({ instrument: JPM, quantity: 20 })).toBe('PASS');
  });

  it('denies a missing, non-finite or non-positive price for the order type', () => {
    const desk = new Desk();
    desk.trade(AAPL, 100);
    expect(desk.submit({ type: 'limit', price: undefined })).toBe('RISK_INVALID_PRICE');
    for (const price of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(desk.submit({ type: 'limit', price })).toBe('RISK_INVALID_PRICE');
    expect(desk.submit({ type: 'stop', triggerPrice: undefined })).toBe('RISK_INVALID_PRICE');
    expect(desk.submit({ type: 'stop_limit', price: 100, triggerPrice: undefined })).toBe(
      'RISK_INVALID_PRICE',
    );
    expect(desk.submit({ type: 'stop_limit', price: undefined, triggerPrice: 99 })).toBe(
      'RISK_INVALID_PRICE',
    );
    expect(desk.submit({ type: 'limit', price: 100 })).toBe('PASS');
    expect(desk.submit({ type: 'stop', triggerPrice: 98 })).toBe('PASS');
    expect(desk.submit({ type: 'stop_limit', price: 97, triggerPrice: 98 })).toBe('PASS');
    expect(desk.submit({ type: 'market' })).toBe('PASS');
  });

  it('denies a price or trigger price off the tick', () => {
    const desk = new Desk();
    expect(desk.submit({ instrument: JPM, quantity: 10, price: 100.03 })).toBe('RISK_PRICE_TICK');
    expect(desk.lastDenial().message).toContain('tick 0.05');
    expect(desk.submit({ instrument: JPM, quantity: 10, type: 'stop', triggerPrice: 99.99 })).toBe(
      'RISK_PRICE_TICK',
    );
    expect(desk.submit({ instrument: JPM, quantity: 10, price: 100.05 })).toBe('PASS');
    expect(desk.submit({ instrument: JPM, quantity: 10, type: 'stop', triggerPrice: 99.95 })).toBe('PASS');
  });

  it('denies an instrument that is not in the registry', () => {
    const desk = new Desk();
    expect(desk.submit({ instrument: 'TSLA.SIM-A' })).toBe('RISK_UNKNOWN_INSTRUMENT');
    expect(desk.submit({ instrument: 'MSFT.SIM-B' })).toBe('RISK_UNKNOWN_INSTRUMENT');
    expect(desk.submit({ instrument: MSFT })).toBe('PASS');
  });

  it('publishes the denial as an OrderDenied naming the command, ids, code and numbers', () => {
    const desk = new Desk();
    desk.clock.advanceTo(T0 + 5);
    const command = desk.submitCommand({ id: 'fat-finger', quantity: 1001, price: 50 });
    expect(desk.send(command)).toBe('RISK_MAX_ORDER_QUANTITY');
    expect(desk.lastDenial()).toEqual({
      type: 'order_denied',
      clientOrderId: 'fat-finger',
      strategyId: 'sma-cross',
      instrumentId: AAPL,
      command: 'submit_order',
      reason: 'RISK_MAX_ORDER_QUANTITY',
      message: `quantity 1001 > max ${LIMITS.maxOrderQuantity} for ${AAPL}`,
      tsEvent: T0 + 5,
      tsInit: T0 + 5,
    });
  });

  it('passes a valid command on unchanged (the same object)', () => {
    const desk = new Desk();
    const command = desk.submitCommand({ quantity: 10, price: 100 });
    expect(desk.send(command)).toBe('PASS');
    expect(desk.validated.at(-1)).toBe(command);
  });
});

describe('order size and price limits', () => {
  it('denies a quantity above the maximum', () => {
    const desk = new Desk();
    expect(desk.submit({ quantity: LIMITS.maxOrderQuantity + 1, price: 50 })).toBe('RISK_MAX_ORDER_QUANTITY');
    expect(desk.submit({ quantity: LIMITS.maxOrderQuantity, price: 50 })).toBe('PASS');
  });

  it('denies a notional above the maximum, in the base currency, with the numbers in the message', () => {
    const desk = new Desk();
    desk.trade(AAPL, 100);
    expect(desk.submit({ quantity: 1000, price: 100.01 })).toBe('RISK_MAX_NOTIONAL');
    expect(desk.lastDenial().message).toBe(
      `notional ${(1000 * 100.01).toFixed(2)} USD > max 100000 for ${AAPL}`,
    );
    expect(desk.submit({ quantity: 1000, price: 100 })).toBe('PASS');
    // EUR notional is converted: 950 × 100 EUR = 95,000 EUR = 104,500 USD.
    desk.trade(SAP, 100);
    expect(desk.submit({ instrument: SAP, quantity: 950, price: 100 })).toBe('RISK_MAX_NOTIONAL');
    expect(desk.lastDenial().message).toContain((950 * 100 * EUR_USD).toFixed(2));
    expect(desk.submit({ instrument: SAP, quantity: 900, price: 100 })).toBe('PASS');
    // The contract multiplier counts: 2 × 1000 × 50 = 100,000; 3 × 1000 × 50 = 150,000.
    desk.trade(ES, 1000);
    expect(desk.submit({ instrument: ES, quantity: 3, price: 1000 })).toBe('RISK_MAX_NOTIONAL');
    expect(desk.submit({ instrument: ES, quantity: 2, price: 1000 })).toBe('PASS');
  });

  it('values a market order at the reference price and denies it when there is none yet', () => {
    const desk = new Desk();
    expect(desk.submit({ type: 'market', quantity: 10 })).toBe('RISK_NO_REFERENCE_PRICE');
    desk.trade(AAPL, 101);
    expect(desk.submit({ type: 'market', quantity: 1000 })).toBe('RISK_MAX_NOTIONAL');
    desk.trade(AAPL, 100);
    expect(desk.submit({ type: 'market', quantity: 1000 })).toBe('PASS');
  });

  it('denies a limit price outside the collar around the last reference price', () => {
    const desk = new Desk();
    desk.trade(AAPL, 100);
    expect(desk.submit({ price: 105.06 })).toBe('RISK_PRICE_COLLAR');
    expect(desk.lastDenial().message).toContain('reference 100');
    expect(desk.submit({ side: 'sell', price: 94.94 })).toBe('RISK_PRICE_COLLAR');
    expect(desk.submit({ price: 104.99 })).toBe('PASS');
    expect(desk.submit({ side: 'sell', price: 95.01 })).toBe('PASS');
  });

  it('takes reference prices from quotes, books and the configured candle streams', () => {
    const desk = new Desk();
    const id = instrumentId('AAPL', 'SIM-A');
    desk.bus.publish(Streams.ticks, {
      type: 'quote',
      instrumentId: id,
      bid: 199.5,
      ask: 200.5,
      bidSize: 1,
      askSize: 1,
      tsEvent: T0,
      tsInit: T0,
    });
    expect(desk.submit({ quantity: 1, price: 100 })).toBe('RISK_PRICE_COLLAR');
    expect(desk.submit({ quantity: 1, price: 200 })).toBe('PASS');
    desk.clock.advanceTo(T0 + 1);
    desk.bus.publish(Streams.books, {
      type: 'book',
      instrumentId: id,
      bids: [{ price: 149.5, size: 1 }],
      asks: [{ price: 150.5, size: 1 }],
      sequence: 1,
      tsEvent: T0 + 1,
      tsInit: T0 + 1,
    });
    expect(desk.submit({ quantity: 2, price: 200 })).toBe('RISK_PRICE_COLLAR');
    expect(desk.submit({ quantity: 2, price: 150 })).toBe('PASS');
    desk.clock.advanceTo(T0 + 2);
    const bar = {
      type: 'bar' as const,
      instrumentId: id,
      open: 1,
      high: 1,
      low: 1,
      close: 50,
      volume: 1,
      tsEvent: T0 + 2,
      tsInit: T0 + 2,
    };
    desk.bus.publish(Streams.candles('1m'), { ...bar, timeframe: '1m' });
    desk.bus.publish(Streams.candles('1d'), { ...bar, timeframe: '1d', close: 10 }); // not subscribed
    expect(desk.submit({ quantity: 3, price: 150 })).toBe('RISK_PRICE_COLLAR');
    expect(desk.submit({ quantity: 3, price: 50 })).toBe('PASS');
    // Older data does not move the reference back.
    desk.bus.publish(Streams.ticks, {
      type: 'trade',
      instrumentId: id,
      price: 300,
      size: 1,
      aggressor: 'buy',
      tsEvent: T0,
      tsInit: T0,
    });
    expect(desk.submit({ quantity: 4, price: 50 })).toBe('PASS');
  });
});

describe('positions and exposures, built from fills on the bus', () => {
  it('limits the firm position per instrument, counting open orders on the same side', () => {
    const desk = new Desk();
    desk.trade(AAPL, 50);
    desk.fill({ strategy: 'other', side: 'buy', quantity: 1500, price: 50 });
    expect(desk.submit({ quantity: 300, price: 50 })).toBe('PASS'); // 1500 + 300 = 1800
    expect(desk.submit({ quantity: 300, price: 50.01 })).toBe('RISK_POSITION_LIMIT'); // 1800 + 300 = 2100
    expect(desk.lastDenial().message).toContain('2100');
    expect(desk.submit({ quantity: 200, price: 50 })).toBe('PASS'); // exactly 2000
    // Open buys do not count against sells: 1500 − 1000 − 1000 = −500.
    expect(desk.submit({ side: 'sell', quantity: 1000, price: 50 })).toBe('PASS');
    expect(desk.submit({ side: 'sell', quantity: 1000, price: 50.01 })).toBe('PASS');
  });

  it('counts a fill seen twice (same venue and trade id) once', () => {
    const desk = new Desk();
    desk.trade(AAPL, 50);
    const fill = desk.fill({ side: 'buy', quantity: 1000, price: 50 });
    desk.bus.publish(Streams.fills, fill);
    expect(desk.engine.snapshot().counts).toMatchObject({ fillsApplied: 1, duplicateFills: 1 });
    expect(desk.submit({ quantity: 1000, price: 50 })).toBe('PASS'); // 2000 if counted once, 3000 if twice
    expect(desk.engine.snapshot().instruments.find((i) => i.instrumentId === AAPL)?.position).toBe(1000);
  });

  it('caps strategy gross and net exposure, marked at the last reference price', () => {
    const desk = new Desk({
      risk: { strategies: { capped: { maxGrossExposure: 150_000, maxNetExposure: 100_000 } } },
    });
    desk.trade(AAPL, 100);
    desk.trade(AAPL_B, 100);
    desk.fill({ strategy: 'capped', side: 'buy', quantity: 800, price: 100 }); // net 80,000
    expect(desk.submit({ strategy: 'capped', quantity: 300 })).toBe('RISK_STRATEGY_NET_EXPOSURE'); // 110,000
    expect(desk.lastDenial().message).toContain((1100 * 100).toFixed(2));
    expect(desk.submit({ id: 'buy-200', strategy: 'capped', quantity: 200 })).toBe('PASS'); // 100,000
    desk.canceled('buy-200', 'capped');
    // Short the other venue: gross 80,000 + 80,000 = 160,000 > 150,000 while net falls to 0.
    expect(desk.submit({ strategy: 'capped', instrument: AAPL_B, side: 'sell', quantity: 800 })).toBe(
      'RISK_STRATEGY_GROSS_EXPOSURE',
    );
    expect(desk.submit({ strategy: 'capped', instrument: AAPL_B, side: 'sell', quantity: 700 })).toBe('PASS');
    // Selling down the long does not raise gross, even at the cap.
    expect(desk.submit({ strategy: 'capped', side: 'sell', quantity: 100 })).toBe('PASS');
    // Another strategy is not affected.
    expect(desk.submit({ strategy: 'free', quantity: 900 })).toBe('PASS');
  });

  it('re-marks exposure when the reference price moves', () => {
    const desk = new Desk({ risk: { strategies: { capped: { maxNetExposure: 100_000 } } } });
    desk.trade(AAPL, 100);
    desk.fill({ strategy: 'capped', side: 'buy', quantity: 900, price: 100 }); // 90,000
    expect(
      desk.engine.check(desk.submitCommand({ strategy: 'capped', quantity: 100, price: 100 })),
    ).toBeUndefined();
    desk.trade(AAPL, 105); // 900 × 105 = 94,500; +100 × 105 = 105,000
    expect(desk.submit({ strategy: 'capped', quantity: 100, price: 105 })).toBe('RISK_STRATEGY_NET_EXPOSURE');
    expect(desk.submit({ strategy: 'capped', quantity: 50, price: 105 })).toBe('PASS');
    expect(desk.engine.snapshot().exposures.strategies.capped?.net).toBe(900 * 105);
  });

  it('caps firm-wide sector and region exposure across strategies and currencies', () => {
    const desk = new Desk({
      policy: {
        sectors: { technology: { maxGrossExposure: 200_000 } },
        regions: { US: { maxNetExposure: 250_000 } },
      },
    });
    for (const id of [AAPL, MSFT, JPM, SAP]) desk.trade(id, 100);
    desk.fill({ strategy: 'a', side: 'buy', quantity: 1000, price: 100 }); // technology 100,000
    expect(desk.submit({ strategy: 'b', instrument: MSFT, quantity: 1000 })).toBe('PASS'); // 200,000
    expect(desk.submit({ strategy: 'b', instrument: SAP, quantity: 1 })).toBe('RISK_SECTOR_EXPOSURE'); // EUR leg adds 110
    expect(desk.lastDenial().message).toContain(`technology gross exposure ${(200_000 + 110).toFixed(2)}`);
    expect(desk.submit({ strategy: 'b', instrument: JPM, quantity: 10 })).toBe('PASS'); // financials uncapped
    // US net: 100,000 + 100,000 + 1,000 = 201,000; 490 JPM more → 250,000; 500 → 250,000 + 1,000.
    expect(desk.submit({ strategy: 'c', instrument: JPM, quantity: 500 })).toBe('RISK_REGION_EXPOSURE');
    expect(desk.submit({ strategy: 'c', instrument: JPM, quantity: 490 })).toBe('PASS');
    // A sell shrinks net exposure and passes.
    expect(desk.submit({ strategy: 'a', side: 'sell', quantity: 500 })).toBe('PASS');
  });
});

describe('policy', () => {
  it('denies restricted instruments, by symbol or instrument id', () => {
    const desk = new Desk({ policy: { restrictedInstruments: ['MSFT', AAPL_B] } });
    expect(desk.submit({ instrument: MSFT })).toBe('RISK_RESTRICTED_INSTRUMENT');
    expect(desk.submit({ instrument: AAPL_B })).toBe('RISK_RESTRICTED_INSTRUMENT');
    expect(desk.submit({ instrument: AAPL })).toBe('PASS');
  });

  it('denies blocked regions', () => {
    const desk = new Desk({ policy: { blockedRegions: ['EU'] } });
    expect(desk.submit({ instrument: SAP })).toBe('RISK_BLOCKED_REGION');
    expect(desk.submit({ instrument: AAPL })).toBe('PASS');
  });

  it('applies a new policy and new limits on update, and keeps the old ones when the new do not fit', () => {
    const desk = new Desk();
    expect(desk.submit({ instrument: MSFT })).toBe('PASS');
    desk.engine.updatePolicy(parsePolicyConfig({ restrictedInstruments: ['MSFT'] }));
    expect(desk.submit({ instrument: MSFT })).toBe('RISK_RESTRICTED_INSTRUMENT');
    expect(() => desk.engine.updatePolicy(parsePolicyConfig({ sectors: { technolgy: {} } }))).toThrow(
      ConfigError,
    );
    expect(desk.submit({ instrument: MSFT })).toBe('RISK_RESTRICTED_INSTRUMENT');

    expect(desk.submit({ quantity: 1001, price: 50 })).toBe('RISK_MAX_ORDER_QUANTITY');
    desk.engine.updateRisk(
      parseRiskConfig({
        ...BASE_RISK,
        instruments: { AAPL: { maxOrderQuantity: 2000, maxPosition: 10_000 } },
      }),
    );
    expect(desk.submit({ quantity: 1001, price: 50 })).toBe('PASS');
    expect(() => desk.engine.updateRisk(parseRiskConfig({ ...BASE_RISK, fxRates: {} }))).toThrow(
      /fxRates\.EUR/,
    );
    expect(desk.submit({ quantity: 1002, price: 50 })).toBe('PASS');
  });

  it('moves a scope to REDUCING, and says so, when a reload sets its cap below the exposure', () => {
    const desk = new Desk();
    const alerts: { code: string; message: string }[] = [];
    desk.bus.subscribe(Streams.alerts, 'test', (a) => {
      alerts.push(a);
    });
    for (const id of [AAPL, MSFT]) desk.trade(id, 100);
    desk.fill({ side: 'buy', quantity: 1000, price: 100 }); // technology gross and net 100,000
    expect(desk.engine.capsBelowExposure()).toEqual([]);

    desk.engine.updatePolicy(parsePolicyConfig({ sectors: { technology: { maxNetExposure: 60_000 } } }));
    expect(desk.engine.capsBelowExposure()).toEqual([
      {
        scope: 'sector',
        name: 'technology',
        measure: 'net',
        exposure: 100_000,
        cap: 60_000,
        reason: 'RISK_SECTOR_EXPOSURE',
      },
    ]);
    const said = alerts.filter((a) => a.code === 'RISK_CAP_BELOW_EXPOSURE');
    expect(said).toHaveLength(1);
    expect(said[0]?.message).toBe(
      'policy.yaml: sector technology net exposure 100000 USD is above the new cap 60000: sector technology is REDUCING (orders that shrink it pass, orders that grow it are denied RISK_SECTOR_EXPOSURE)',
    );
    expect(desk.engine.snapshot().capsBelowExposure).toHaveLength(1);
    // Growing it is denied, by the cap's own reason; shrinking it passes; other sectors trade as before.
    expect(desk.submit({ instrument: MSFT, quantity: 1 })).toBe('RISK_SECTOR_EXPOSURE');
    expect(desk.submit({ side: 'sell', quantity: 300 })).toBe('PASS');
    expect(desk.submit({ instrument: JPM, quantity: 10 })).toBe('PASS');
    // The sell fills (70,000: still above), 200 more (50,000): back under the cap, growing passes again.
    desk.fill({ side: 'sell', quantity: 300, price: 100, order: 'o-2' });
    desk.fill({ side: 'sell', quantity: 200, price: 100 });
    expect(desk.engine.capsBelowExposure()).toEqual([]);
    expect(desk.submit({ instrument: MSFT, quantity: 1 })).toBe('PASS');

    // A position limit below the position: the instrument is REDUCING.
    desk.engine.updateRisk(parseRiskConfig({ ...BASE_RISK, instruments: { AAPL: { maxPosition: 100 } } }));
    expect(desk.engine.capsBelowExposure().map((c) => `${c.scope} ${c.name} ${c.measure}`)).toEqual([
      'instrument AAPL.SIM-A position',
    ]);
    expect(alerts.filter((a) => a.code === 'RISK_CAP_BELOW_EXPOSURE').at(-1)?.message).toMatch(
      /^risk\.yaml: instrument AAPL\.SIM-A position 500 is above the new cap 100: .*RISK_POSITION_LIMIT\)$/,
    );
    expect(desk.submit({ quantity: 1 })).toBe('RISK_POSITION_LIMIT');
    expect(desk.submit({ side: 'sell', quantity: 10 })).toBe('PASS');
  });

  it("keeps an operator's trading state across a reload unless the file's own state changes", () => {
    const desk = new Desk();
    desk.engine.setTradingState('REDUCING');
    desk.engine.updateRisk(parseRiskConfig({ ...BASE_RISK, leverage: 2 }));
    expect(desk.engine.state()).toBe('REDUCING');
    desk.engine.updateRisk(parseRiskConfig({ ...BASE_RISK, tradingState: 'HALTED' }));
    expect(desk.engine.state()).toBe('HALTED');
    expect(desk.submit()).toBe('RISK_TRADING_HALTED');
  });

  it('applies instrument overrides by symbol and, over them, by instrument id', () => {
    const desk = new Desk({
      risk: { instruments: { AAPL: { maxOrderQuantity: 50 }, [AAPL_B]: { maxOrderQuantity: 70 } } },
    });
    expect(desk.submit({ instrument: AAPL, quantity: 51 })).toBe('RISK_MAX_ORDER_QUANTITY');
    expect(desk.submit({ instrument: AAPL, quantity: 50 })).toBe('PASS');
    expect(desk.submit({ instrument: AAPL_B, quantity: 71 })).toBe('RISK_MAX_ORDER_QUANTITY');
    expect(desk.submit({ instrument: AAPL_B, quantity: 70 })).toBe('PASS');
    expect(desk.submit({ instrument: MSFT, quantity: 1000, price: 50 })).toBe('PASS');
  });
});

describe('throttle and duplicates', () => {
  it('throttles a strategy with a token bucket that refills on the clock', () => {
    const desk = new Desk({ risk: { strategies: { fast: { messagesPerSecond: 2, burst: 3 } } } });
    // Distinct quantities, so no order is a duplicate of another.
    const burst = (base: number) =>
      [1, 2, 3, 4].map((q) => desk.submit({ strategy: 'fast', quantity: base + q }));
    expect(burst(0)).toEqual(['PASS', 'PASS', 'PASS', 'RISK_THROTTLE']);
    expect(desk.lastDenial().message).toContain('2 messages/s');
    expect(desk.submit({ strategy: 'other' })).toBe('PASS');
    desk.clock.advanceTo(T0 + SECOND / 2 - 1000); // 0.998 tokens
    expect(desk.submit({ strategy: 'fast', quantity: 5 })).toBe('RISK_THROTTLE');
    desk.clock.advanceTo(T0 + SECOND / 2 + 10); // one token
    expect(desk.submit({ strategy: 'fast', quantity: 6 })).toBe('PASS');
    expect(desk.submit({ strategy: 'fast', quantity: 7 })).toBe('RISK_THROTTLE');
    expect(desk.cancel('o-1', 'fast')).toBe('PASS'); // cancels are never throttled
    desk.clock.advanceTo(T0 + 60 * SECOND); // refills to the burst, not beyond
    expect(burst(10)).toEqual(['PASS', 'PASS', 'PASS', 'RISK_THROTTLE']);
  });

  it('denies an order identical to one still open, and passes it once that one is closed', () => {
    const desk = new Desk();
    expect(desk.submit({ id: 'first', quantity: 10, price: 100 })).toBe('PASS');
    expect(desk.submit({ quantity: 10, price: 100 })).toBe('RISK_DUPLICATE_ORDER');
    expect(desk.lastDenial().message).toContain('first');
    expect(desk.submit({ quantity: 10, price: 100.01 })).toBe('PASS');
    expect(desk.submit({ quantity: 11, price: 100 })).toBe('PASS');
    expect(desk.submit({ side: 'sell', quantity: 10, price: 100 })).toBe('PASS');
    expect(desk.submit({ strategy: 'other', quantity: 10, price: 100 })).toBe('PASS');
    desk.canceled('first');
    expect(desk.submit({ quantity: 10, price: 100 })).toBe('PASS');
  });

  it('drops a redelivered command (same clientOrderId) silently while a different order passes', () => {
    const desk = new Desk();
    const command = desk.submitCommand({ id: 'again', quantity: 10 });
    expect(desk.send(command)).toBe('PASS');
    expect(desk.send(command)).toBe('DROPPED');
    expect(desk.send({ ...command })).toBe('DROPPED');
    expect(desk.submit({ id: 'different', quantity: 10, price: 99 })).toBe('PASS');
    const denied = desk.submitCommand({ id: 'bad', quantity: -1 });
    expect(desk.send(denied)).toBe('RISK_INVALID_QUANTITY');
    expect(desk.send(denied)).toBe('DROPPED');
    expect(desk.validated).toHaveLength(2);
    expect(desk.rejected).toHaveLength(1);
    expect(desk.engine.snapshot().counts).toMatchObject({
      validated: 2,
      denied: 1,
      duplicateCommandsDropped: 3,
    });
  });

  it('with retention, forgets the ids it has seen after the ids horizon (memory stays bounded)', () => {
    const desk = new Desk({
      retention: { closedOrdersMicros: 1_000_000, maxClosedOrders: 10, idsMicros: 60_000_000 },
    });
    const command = desk.submitCommand({ id: 'kept-a-while', quantity: 10 });
    expect(desk.send(command)).toBe('PASS');
    desk.clock.advanceTo(desk.clock.now() + 59_000_000);
    expect(desk.send(command)).toBe('DROPPED');
    desk.clock.advanceTo(desk.clock.now() + 2_000_000);
    expect(desk.submit({ id: 'later', quantity: 11, price: 99 })).toBe('PASS');
    // Past the horizon the id is no longer known: what would redeliver a command a day late does not exist.
    expect(desk.send({ ...command, order: { ...command.order, quantity: 12 } })).toBe('PASS');
  });

  it('a redelivered command changes nothing, whatever else happens in between (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            quantity: fc.integer({ min: 1, max: 1500 }),
            side: fc.constantFrom<OrderSide>('buy', 'sell'),
            again: fc.boolean(),
          }),
          {
            maxLength: 30,
          },
        ),
        (orders) => {
          const desk = new Desk();
          const sent: SubmitOrder[] = [];
          for (const [i, o] of orders.entries()) {
            const command = desk.submitCommand({ id: `p-${i}`, quantity: o.quantity, side: o.side });
            desk.send(command);
            sent.push(command);
            const before = desk.engine.snapshot();
            const again = sent[o.again ? 0 : i];
            if (again && desk.send(again) !== 'DROPPED') return false;
            const after = desk.engine.snapshot();
            expect({ ...after, counts: { ...after.counts, duplicateCommandsDropped: 0 } }).toEqual({
              ...before,
              counts: { ...before.counts, duplicateCommandsDropped: 0 },
            });
          }
          return desk.validated.length + desk.rejected.length === orders.length;
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('cash and reduce-only', () => {
  it('denies a buy beyond buying power: cash minus fills and open buys, times leverage', () => {
    const desk = new Desk({ risk: { cash: { USD: 100_000 } } });
    expect(desk.submit({ quantity: 600, price: 100 })).toBe('PASS'); // commits 60,000
    expect(desk.submit({ quantity: 500, price: 100 })).toBe('RISK_BUYING_POWER'); // needs 50,000 of 40,000
    expect(desk.lastDenial().message).toBe('buy needs 50000.00 USD, buying power 40000.00 USD');
    expect(desk.submit({ quantity: 400, price: 100 })).toBe('PASS'); // exactly 40,000
    expect(desk.submit({ side: 'sell', quantity: 500, price: 100 })).toBe('PASS'); // sells need no cash
    // The first buy fills at 99 (the commitment is released, 59,400 is spent): 100,000 − 59,400 − 40,000 = 600.
    desk.fill({ order: 'o-1', side: 'buy', quantity: 600, price: 99, leaves: 0 });
    expect(desk.submit({ quantity: 7, price: 100 })).toBe('RISK_BUYING_POWER');
    expect(desk.submit({ quantity: 6, price: 100 })).toBe('PASS');
    expect(desk.engine.snapshot().cash.USD?.buyingPower).toBe(0);

    const levered = new Desk({
      risk: { cash: { USD: 100_000 }, leverage: 2, instrumentDefaults: { ...LIMITS, maxNotional: 1e9 } },
    });
    expect(levered.submit({ quantity: 1000, price: 100 })).toBe('PASS');
    expect(levered.submit({ quantity: 1000, price: 100.01 })).toBe('RISK_BUYING_POWER');
    expect(levered.submit({ quantity: 999, price: 100.01 })).toBe('PASS');
  });

  it('takes starting cash from the constructor over the config, per currency', () => {
    const desk = new Desk({ risk: { cash: { USD: 1 } }, cash: { USD: 50_000 } });
    expect(desk.submit({ quantity: 500, price: 100 })).toBe('PASS');
    expect(desk.submit({ quantity: 1, price: 100 })).toBe('RISK_BUYING_POWER');
    expect(desk.submit({ instrument: SAP, quantity: 1, price: 100 })).toBe('RISK_BUYING_POWER'); // no EUR
  });

  it('denies a reduce-only order that would not shrink the position', () => {
    const desk = new Desk();
    desk.fill({ side: 'buy', quantity: 100, price: 100 });
    expect(desk.submit({ side: 'buy', quantity: 10, reduceOnly: true })).toBe('RISK_REDUCE_ONLY_VIOLATION');
    expect(desk.submit({ side: 'sell', quantity: 150, reduceOnly: true })).toBe('RISK_REDUCE_ONLY_VIOLATION');
    expect(desk.submit({ side: 'sell', quantity: 60, reduceOnly: true })).toBe('PASS');
    // 60 already working: only 40 more can still reduce.
    expect(desk.submit({ side: 'sell', quantity: 41, price: 100.01, reduceOnly: true })).toBe(
      'RISK_REDUCE_ONLY_VIOLATION',
    );
    expect(desk.submit({ side: 'sell', quantity: 40, price: 100.01, reduceOnly: true })).toBe('PASS');
  });
});

describe('control plane and trading state', () => {
  it('denies a disabled strategy until it is enabled again; its cancels still pass', async () => {
    const desk = new Desk();
    await desk.bus.control.set(ControlKeys.strategyEnabled, 'sma-cross', 'false');
    expect(desk.submit()).toBe('RISK_STRATEGY_DISABLED');
    expect(desk.cancel('o-1')).toBe('PASS');
    expect(desk.submit({ strategy: 'market-maker' })).toBe('PASS');
    await desk.bus.control.set(ControlKeys.strategyEnabled, 'sma-cross', 'true');
    expect(desk.submit({ price: 99 })).toBe('PASS');
  });

  it('REDUCING passes only orders that shrink the position; HALTED denies submits and modifies, never cancels', () => {
    const desk = new Desk();
    desk.fill({ strategy: 'other', side: 'buy', quantity: 100, price: 100 });
    expect(desk.submit({ id: 'resting', quantity: 10, price: 99 })).toBe('PASS');
    desk.engine.setTradingState('REDUCING');
    expect(desk.engine.state()).toBe('REDUCING');
    expect(desk.submit({ side: 'buy', quantity: 10 })).toBe('RISK_REDUCING_ONLY');
    expect(desk.submit({ side: 'sell', quantity: 150 })).toBe('RISK_REDUCING_ONLY'); // would flip to short
    expect(desk.submit({ side: 'sell', quantity: 50 })).toBe('PASS'); // no reduce-only flag needed
    desk.engine.setTradingState('HALTED');
    expect(desk.engine.state()).toBe('HALTED');
    expect(desk.submit({ side: 'sell', quantity: 10, price: 101 })).toBe('RISK_TRADING_HALTED');
    expect(desk.modify('resting', { price: 98 })).toBe('RISK_TRADING_HALTED');
    expect(desk.cancel('resting')).toBe('PASS');
    desk.engine.setTradingState('ACTIVE');
    expect(desk.submit({ side: 'buy', quantity: 10, price: 101 })).toBe('PASS');
  });

  it('obeys an operator trading state on the control plane (policy:trading_state), firm-wide or per strategy', async () => {
    const desk = new Desk();
    await desk.bus.control.set(ControlKeys.tradingState, 'firm', 'HALTED');
    expect(desk.engine.state()).toBe('HALTED');
    expect(desk.submit()).toBe('RISK_TRADING_HALTED');
    await desk.bus.control.set(ControlKeys.tradingState, 'firm', 'sideways'); // not a state: ignored
    expect(desk.engine.state()).toBe('HALTED');
    await desk.bus.control.set(ControlKeys.tradingState, 'firm', 'ACTIVE');
    expect(desk.submit({ price: 99 })).toBe('PASS');
    await desk.bus.control.set(ControlKeys.tradingState, 'sma-cross', 'REDUCING');
    expect(desk.engine.strategyTradingState('sma-cross')).toBe('REDUCING');
    expect(desk.engine.strategyTradingState('market-maker')).toBe('ACTIVE');
    await desk.bus.control.set(ControlKeys.tradingState, 'sma-cross', 'ACTIVE');
    expect(desk.engine.strategyTradingState('sma-cross')).toBe('ACTIVE');
  });

  it('starts in the configured trading state', () => {
    const desk = new Desk({ risk: { tradingState: 'HALTED' } });
    expect(desk.engine.state()).toBe('HALTED');
    expect(desk.submit()).toBe('RISK_TRADING_HALTED');
  });

  it('kill switch: denies every submit except reduce-only flattening, then passes again once released', async () => {
    const desk = new Desk();
    desk.trade(AAPL, 100);
    desk.fill({ strategy: 'sma-cross', side: 'buy', quantity: 300, price: 100 });
    expect(desk.submit({ id: 'resting', quantity: 10, price: 99 })).toBe('PASS');
    await desk.bus.control.set(ControlKeys.killSwitch, 'enabled', 'true');
    expect(desk.engine.state()).toBe('HALTED');
    expect(desk.submit({ quantity: 10 })).toBe('RISK_KILL_SWITCH');
    expect(desk.submit({ strategy: 'hedger', side: 'sell', quantity: 100 })).toBe('RISK_KILL_SWITCH'); // not reduce-only
    expect(desk.submit({ strategy: 'hedger', side: 'sell', quantity: 301, reduceOnly: true })).toBe(
      'RISK_KILL_SWITCH',
    );
    expect(desk.submit({ strategy: 'hedger', side: 'sell', quantity: 300, reduceOnly: true })).toBe('PASS'); // flattens
    expect(
      desk.submit({ strategy: 'hedger', side: 'sell', quantity: 1, price: 99.5, reduceOnly: true }),
    ).toBe('RISK_KILL_SWITCH');
    expect(desk.modify('resting', { price: 98 })).toBe('RISK_KILL_SWITCH');
    expect(desk.cancel('resting')).toBe('PASS');
    expect(desk.engine.snapshot()).toMatchObject({
      state: 'HALTED',
      killSwitch: true,
      tradingState: 'ACTIVE',
    });
    await desk.bus.control.set(ControlKeys.killSwitch, 'enabled', 'false');
    expect(desk.engine.state()).toBe('ACTIVE');
    expect(desk.submit({ quantity: 10, price: 100.5 })).toBe('PASS');
  });

  it('reads a kill switch engaged before it started', async () => {
    const desk = new Desk({}, false);
    await desk.bus.control.set(ControlKeys.killSwitch, 'enabled', 'true');
    expect(desk.engine.state()).toBe('ACTIVE'); // not started: not listening yet
    desk.engine.start();
    expect(desk.engine.state()).toBe('HALTED');
    expect(desk.submit()).toBe('RISK_KILL_SWITCH');
    await desk.bus.control.delete(ControlKeys.killSwitch, 'enabled');
    expect(desk.submit()).toBe('PASS');
  });
});

describe('modifies and cancels', () => {
  it('checks a modify against the order it modifies', () => {
    const desk = new Desk();
    desk.trade(AAPL, 100);
    desk.trade(JPM, 100);
    expect(desk.submit({ id: 'm', quantity: 100, price: 100 })).toBe('PASS');
    expect(desk.submit({ id: 'j', instrument: JPM, quantity: 100, price: 100 })).toBe('PASS');
    expect(desk.modify('nope', { price: 100 })).toBe('OMS_UNKNOWN_ORDER');
    expect(desk.lastDenial()).toMatchObject({ command: 'modify_order', clientOrderId: 'nope' });
    expect(desk.modify('m', { price: 100 }, 'other-strategy')).toBe('OMS_UNKNOWN_ORDER');
    expect(desk.modify('m', { price: 100.005 })).toBe('RISK_PRICE_TICK');
    expect(desk.modify('m', { price: -1 })).toBe('RISK_INVALID_PRICE');
    expect(desk.modify('m', { triggerPrice: 99 })).toBe('RISK_INVALID_PRICE'); // a limit order has no trigger
    expect(desk.modify('m', { price: 106 })).toBe('RISK_PRICE_COLLAR');
    expect(desk.modify('m', { quantity: 1001 })).toBe('RISK_MAX_ORDER_QUANTITY');
    expect(desk.modify('m', { quantity: 0 })).toBe('RISK_INVALID_QUANTITY');
    expect(desk.modify('j', { quantity: 105 }, 'sma-cross', JPM)).toBe('RISK_QUANTITY_LOT');
    expect(desk.modify('m', { quantity: 1000, price: 100.01 })).toBe('RISK_MAX_NOTIONAL');
    expect(desk.modify('m', { quantity: 200, price: 101 })).toBe('PASS');
    expect(desk.modify('j', { quantity: 110, price: 100.05 }, 'sma-cross', JPM)).toBe('PASS');
    expect(desk.validated.at(-1)).toMatchObject({ type: 'modify_order', clientOrderId: 'j', quantity: 110 });
  });

  it('a modify that raises the quantity counts against the position limit', () => {
    const desk = new Desk();
    desk.trade(AAPL, 50);
    desk.fill({ strategy: 'other', side: 'buy', quantity: 1500, price: 50 });
    expect(desk.submit({ id: 'm', quantity: 400, price: 50 })).toBe('PASS'); // 1900
    expect(desk.modify('m', { quantity: 501 })).toBe('RISK_POSITION_LIMIT'); // 2001
    expect(desk.modify('m', { quantity: 500 })).toBe('PASS'); // 2000
  });

  it('tracks open orders from orders.events: partial fills, modifications and terminal events free capacity', () => {
    const desk = new Desk();
    desk.trade(AAPL, 50);
    const base = {
      strategyId: strategyId('sma-cross'),
      instrumentId: instrumentId('AAPL', 'SIM-A'),
      tsEvent: T0,
      tsInit: T0,
    };
    expect(desk.submit({ id: 'big', quantity: 1000, price: 50 })).toBe('PASS');
    expect(desk.submit({ id: 'big2', quantity: 1000, price: 50.01 })).toBe('PASS');
    expect(desk.submit({ quantity: 1, price: 50 })).toBe('RISK_POSITION_LIMIT'); // 2000 open
    desk.event({
      ...base,
      type: 'order_modified',
      clientOrderId: clientOrderId('big'),
      quantity: 600,
      price: 50,
      triggerPrice: undefined,
    });
    expect(desk.submit({ quantity: 401, price: 50.02 })).toBe('RISK_POSITION_LIMIT');
    expect(desk.submit({ id: 'fill-me', quantity: 400, price: 50.02 })).toBe('PASS'); // 600 + 1000 + 400
    desk.event({
      ...base,
      type: 'order_rejected',
      clientOrderId: clientOrderId('big2'),
      venue: venueId('SIM-A'),
      reason: 'VENUE_REJECTED',
      message: 'no',
    });
    // A partial fill on orders.events shrinks the open order; the position comes only from `fills`.
    desk.event({
      ...base,
      type: 'order_filled',
      clientOrderId: clientOrderId('fill-me'),
      venue: venueId('SIM-A'),
      venueOrderId: venueOrderId('v'),
      tradeId: tradeId('t-x'),
      side: 'buy',
      lastQuantity: 100,
      lastPrice: 50,
      fee: 0,
      feeCurrency: 'USD',
      liquidity: 'maker',
      leavesQuantity: 300,
    });
    const instrument = () => desk.engine.snapshot().instruments.find((i) => i.instrumentId === AAPL);
    expect(instrument()).toMatchObject({ position: 0, openBuyQuantity: 900 });
    desk.fill({ order: 'fill-me', side: 'buy', quantity: 100, price: 50, leaves: 300, trade: 't-x' });
    expect(instrument()).toMatchObject({ position: 100, openBuyQuantity: 900 });
    desk.event({ ...base, type: 'order_expired', clientOrderId: clientOrderId('fill-me') });
    desk.event({
      ...base,
      type: 'order_canceled',
      clientOrderId: clientOrderId('big'),
      reason: 'VENUE_USER_CANCELED',
    });
    expect(instrument()).toMatchObject({ position: 100, openBuyQuantity: 0 });
    expect(desk.engine.snapshot().openOrders).toBe(0);
    expect(desk.submit({ quantity: 1000, price: 50 })).toBe('PASS');
  });

  it('cancels always pass, even for unknown orders', () => {
    const desk = new Desk({ risk: { tradingState: 'HALTED' } });
    expect(desk.cancel('never-seen')).toBe('PASS');
    expect(desk.engine.snapshot().counts.cancels).toBe(1);
  });
});

describe('the check itself', () => {
  it('does not change state: no token taken, no order opened', () => {
    const desk = new Desk({ risk: { strategies: { s: { messagesPerSecond: 1, burst: 1 } } } });
    desk.trade(AAPL, 100);
    const command = desk.submitCommand({ strategy: 's', quantity: 10 });
    const before = desk.engine.snapshot();
    for (let i = 0; i < 100; i++) expect(desk.engine.check(command)).toBeUndefined();
    expect(desk.engine.check(desk.submitCommand({ strategy: 's', quantity: 0 }))?.reason).toBe(
      'RISK_INVALID_QUANTITY',
    );
    expect(desk.engine.snapshot()).toEqual(before);
    expect(desk.send(command)).toBe('PASS');
    expect(desk.submit({ strategy: 's', quantity: 11 })).toBe('RISK_THROTTLE');
  });

  it('drops a malformed command without crashing and keeps working', () => {
    const desk = new Desk();
    desk.bus.publish(Streams.ordersIncoming, { type: 'submit_order', tsInit: T0 } as unknown as SubmitOrder);
    desk.bus.publish(Streams.ordersIncoming, { type: 'bogus' } as unknown as SubmitOrder);
    desk.bus.publish(Streams.ordersIncoming, {
      type: 'submit_order',
      order: { ...desk.order(), side: 'up' },
      tsInit: T0,
    } as unknown as SubmitOrder);
    expect(desk.lastDenial().reason).toBe('RISK_INVALID_SIDE');
    expect(desk.submit()).toBe('PASS');
    expect(desk.engine.snapshot().counts.malformedCommands).toBe(2);
  });

  it('reports a JSON-able snapshot with exposures by strategy, sector and region', () => {
    const desk = new Desk();
    desk.trade(AAPL, 100);
    desk.trade(SAP, 100);
    desk.fill({ strategy: 'a', side: 'buy', quantity: 100, price: 100 });
    desk.fill({ strategy: 'a', instrument: SAP, side: 'sell', quantity: 10, price: 100 });
    expect(desk.submit({ strategy: 'a', quantity: 5, price: 100 })).toBe('PASS');
    expect(desk.submit({ strategy: 'a', quantity: 0 })).toBe('RISK_INVALID_QUANTITY');
    const snapshot = desk.engine.snapshot();
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
    const sapValue = Math.round(10 * 100 * EUR_USD * 100) / 100;
    expect(snapshot.exposures.strategies.a).toEqual({
      gross: 10_000 + sapValue,
      net: 10_000 - sapValue,
      projectedGross: 10_500 + sapValue,
      projectedNetLong: 10_500 - sapValue,
      projectedNetShort: 10_000 - sapValue,
    });
    expect(snapshot.exposures.sectors.technology?.gross).toBe(10_000 + sapValue);
    expect(snapshot.exposures.regions.EU?.net).toBe(-sapValue);
    expect(snapshot.positions).toContainEqual({
      strategyId: 'a',
      instrumentId: AAPL,
      quantity: 100,
      openBuyQuantity: 5,
      openSellQuantity: 0,
    });
    expect(snapshot.counts.deniedByReason).toEqual({ RISK_INVALID_QUANTITY: 1 });
    expect(snapshot.cash.USD?.flows).toBe(-10_000);
    expect(snapshot.cash.EUR?.flows).toBe(1_000);
  });

  it('refuses a registry currency without an fx rate, naming the key', () => {
    const bus = new MemoryBus();
    const make = () =>
      new RiskEngine({
        bus,
        clock: new SimulatedClock(),
        registry,
        risk: parseRiskConfig({ ...BASE_RISK, fxRates: {} }),
        policy: parsePolicyConfig({}),
      });
    expect(make).toThrow(ConfigError);
    expect(make).toThrow('risk.yaml: fxRates.EUR: no rate to USD for EUR');
    const unknown = () =>
      new RiskEngine({
        bus,
        clock: new SimulatedClock(),
        registry,
        risk: parseRiskConfig({ ...BASE_RISK, instruments: { TSLA: {} } }),
        policy: parsePolicyConfig({}),
      });
    expect(unknown).toThrow('risk.yaml: instruments.TSLA:');
  });
});
