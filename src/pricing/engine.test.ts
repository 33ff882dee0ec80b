// The greeks publisher on the in-process bus: what it publishes when an underlying moves, the implied
// volatility it takes from an option's own quotes, and every reason it publishes nothing.
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../bus/memory.ts';
import { SimulatedClock } from '../common/clock.ts';
import { Streams } from '../common/topics.ts';
import {
  instrumentId,
  type BookSnapshot,
  type InstrumentId,
  type OptionGreeks,
  type Tick,
} from '../model/index.ts';
import { parseGreeksConfig, type GreeksConfigInput, type OptionSpecInput } from './config.ts';
import { GreeksEngine } from './engine.ts';
import { optionGreeks, optionPrice } from './models.ts';

/** 2024-01-02T00:00:00Z. */
const T0 = 1_704_153_600_000_000;
const YEAR = 365 * 86_400 * 1_000_000;
const AAPL = instrumentId('AAPL', 'SIM-A');
const ES = instrumentId('ES', 'CME');
const CALL = instrumentId('AAPL-C100', 'OPT');
const PUT = instrumentId('AAPL-P95', 'OPT');
const FUTURE_CALL = instrumentId('ES-C5000', 'OPT');

const OPTIONS: OptionSpecInput[] = [
  {
    instrumentId: CALL,
    underlyingId: AAPL,
    type: 'call',
    strike: 100,
    expiry: T0 + YEAR / 2,
    rate: 0.05,
    dividendYield: 0.01,
    volatility: 0.3,
  },
  {
    instrumentId: PUT,
    underlyingId: AAPL,
    type: 'put',
    style: 'american',
    strike: 95,
    expiry: T0 + YEAR / 4,
    rate: 0.05,
    volatility: 0.25,
  },
  {
    instrumentId: FUTURE_CALL,
    underlyingId: ES,
    type: 'call',
    model: 'black76',
    strike: 5000,
    expiry: T0 + YEAR,
    rate: 0.04,
    volatility: 0.18,
  },
];

function quote(id: InstrumentId, bid: number, ask: number, tsEvent: number): Tick {
  return { type: 'quote', instrumentId: id, bid, ask, bidSize: 10, askSize: 10, tsEvent, tsInit: tsEvent };
}

function book(id: InstrumentId, bid: number, ask: number, tsEvent: number): BookSnapshot {
  return {
    type: 'book',
    instrumentId: id,
    bids: [{ price: bid, size: 5 }],
    asks: [{ price: ask, size: 5 }],
    sequence: 1,
    tsEvent,
    tsInit: tsEvent,
  };
}

let bus: MemoryBus;
let clock: SimulatedClock;
let engine: GreeksEngine;
let published: OptionGreeks[];

function setup(config: Omit<GreeksConfigInput, 'options'> = {}): void {
  bus = new MemoryBus();
  clock = new SimulatedClock(T0 + 5_000);
  engine = new GreeksEngine({ bus, clock, config: parseGreeksConfig({ options: OPTIONS, ...config }) });
  engine.start();
  published = [];
  bus.subscribe(Streams.greeks, 'test', (message) => {
    published.push(message);
  });
}

beforeEach(() => setup());

describe('GreeksEngine', () => {
  it('publishes the greeks of every option on an underlying that moved, with T from tsEvent', () => {
    const ts = T0 + 86_400_000_000; // one day later
    bus.publish(Streams.ticks, quote(AAPL, 101.9, 102.1, ts));
    expect(published.map((m) => m.instrumentId)).toEqual([CALL, PUT]);
    const [call, put] = published as [OptionGreeks, OptionGreeks];
    const callGreeks = optionGreeks('bsm', {
      type: 'call',
      spot: 102,
      strike: 100,
      time: (YEAR / 2 - 86_400_000_000) / YEAR,
      rate: 0.05,
      dividendYield: 0.01,
      volatility: 0.3,
    });
    expect(call).toEqual({
      type: 'greeks',
      instrumentId: CALL,
      underlyingId: AAPL,
      underlyingPrice: 102,
      model: 'bsm',
      volatility: 0.3,
      ...callGreeks,
      tsEvent: ts,
      tsInit: T0 + 5_000,
    });
    expect(put.model).toBe('baw');
    expect(put.price).toBe(
      optionPrice('baw', {
        type: 'put',
        spot: 102,
        strike: 95,
        time: (YEAR / 4 - 86_400_000_000) / YEAR,
        rate: 0.05,
        dividendYield: 0,
        volatility: 0.25,
      }),
    );
    expect(engine.latest(CALL)).toBe(call);
    expect(engine.snapshot()).toMatchObject({
      options: 3,
      underlyings: 2,
      published: 2,
      impliedVolatilityUsed: 0,
    });
  });

  it('publishes only when the underlying price changes, from quotes and trades alike', () => {
    bus.publish(Streams.ticks, quote(AAPL, 99, 101, T0 + 1));
    bus.publish(Streams.ticks, quote(AAPL, 99.5, 100.5, T0 + 2)); // same mid
    expect(published).toHaveLength(2);
    bus.publish(Streams.ticks, {
      type: 'trade',
      instrumentId: AAPL,
      price: 100.25,
      size: 1,
      aggressor: 'buy',
      tsEvent: T0 + 3,
      tsInit: T0 + 3,
    });
    expect(published).toHaveLength(4);
    expect(published[3]?.underlyingPrice).toBe(100.25);
    bus.publish(Streams.ticks, quote(ES, 5010, 5012, T0 + 4));
    expect(published.map((m) => m.instrumentId).slice(4)).toEqual([FUTURE_CALL]);
    expect(published[4]?.model).toBe('black76');
    expect(published[4]?.dividendRho).toBe(0);
    bus.publish(Streams.ticks, quote(instrumentId('MSFT', 'SIM-A'), 300, 301, T0 + 5));
    expect(published).toHaveLength(5);
    expect(engine.snapshot().skipped).toEqual({ unchanged: 1 });
  });

  it("prices an option at the implied volatility of its own quote's mid", () => {
    const ts = T0 + 10_000_000;
    const time = (YEAR / 2 - 10_000_000) / YEAR;
    const market = optionPrice('bsm', {
      type: 'call',
      spot: 104,
      strike: 100,
      time,
      rate: 0.05,
      dividendYield: 0.01,
      volatility: 0.42,
    });
    bus.publish(Streams.ticks, quote(CALL, market - 0.05, market + 0.05, ts - 1_000_000));
    expect(published).toHaveLength(0); // an option quote alone moves no underlying
    bus.publish(Streams.ticks, quote(AAPL, 103.95, 104.05, ts));
    const call = published.find((m) => m.instrumentId === CALL);
    expect(call?.volatility).toBeCloseTo(0.42, 9);
    expect(call?.price).toBeCloseTo(market, 9);
    expect(published.find((m) => m.instrumentId === PUT)?.volatility).toBe(0.25);
    expect(engine.snapshot().impliedVolatilityUsed).toBe(1);

    // The American put implies its volatility through its own model (baw).
    const later = ts + 1_000_000;
    const putMarket = optionPrice('baw', {
      type: 'put',
      spot: 103,
      strike: 95,
      time: (YEAR / 4 - (later - T0)) / YEAR,
      rate: 0.05,
      dividendYield: 0,
      volatility: 0.33,
    });
    bus.publish(Streams.ticks, quote(PUT, putMarket - 0.02, putMarket + 0.02, later - 1));
    bus.publish(Streams.ticks, quote(AAPL, 103, 103, later));
    const put = published.filter((m) => m.instrumentId === PUT).at(-1);
    expect(put?.volatility).toBeCloseTo(0.33, 9);
    expect(put?.price).toBeCloseTo(putMarket, 9);
  });

  it('falls back to the configured volatility when no volatility fits the quote, counting why', () => {
    // The call is worth at least S·e^(−qT) − K·e^(−rT) ≈ 22.0 at S = 120; a mid of 5 is below intrinsic.
    bus.publish(Streams.ticks, quote(CALL, 4.9, 5.1, T0 + 1));
    bus.publish(Streams.ticks, quote(AAPL, 119.9, 120.1, T0 + 2));
    expect(published.find((m) => m.instrumentId === CALL)?.volatility).toBe(0.3);
    expect(engine.snapshot().volatilityFallbacks).toEqual({ 'below-intrinsic': 1 });
  });

  it('ignores an option quote older than maxQuoteAgeMicros, and a one-sided or crossed one', () => {
    bus.publish(Streams.ticks, quote(CALL, 9.9, 10.1, T0));
    bus.publish(Streams.ticks, quote(AAPL, 99.9, 100.1, T0 + 61_000_000));
    expect(published[0]?.volatility).toBe(0.3);
    expect(engine.snapshot().volatilityFallbacks).toEqual({ 'stale-quote': 1 });

    bus.publish(Streams.ticks, quote(CALL, 9.9, 10.1, T0 + 62_000_000));
    bus.publish(Streams.ticks, quote(CALL, 0, 10.1, T0 + 62_000_001)); // bid pulled: no mid
    bus.publish(Streams.ticks, quote(AAPL, 100.9, 101.1, T0 + 63_000_000));
    expect(published.at(-2)?.volatility).toBe(0.3);
    expect(engine.snapshot().impliedVolatilityUsed).toBe(0);
  });

  it('skips an expired option and an unusable underlying price, counting each', () => {
    // Past the put's expiry (3 months), before the call's (6 months).
    bus.publish(Streams.ticks, quote(AAPL, 99.9, 100.1, T0 + YEAR / 4));
    expect(published.map((m) => m.instrumentId)).toEqual([CALL]);
    bus.publish(Streams.ticks, quote(AAPL, 0, 0, T0 + YEAR / 4 + 1));
    bus.publish(Streams.ticks, quote(ES, Number.NaN, Number.NaN, T0 + YEAR / 4 + 2));
    expect(published).toHaveLength(1);
    expect(engine.snapshot().skipped).toEqual({ expired: 1, 'invalid-underlying-price': 2 });
  });

  it('takes underlying prices from books.live only when configured to', () => {
    bus.publish(Streams.books, book(AAPL, 99, 101, T0 + 1));
    expect(published).toHaveLength(0);
    setup({ books: true });
    bus.publish(Streams.books, book(AAPL, 99, 101, T0 + 1));
    expect(published.map((m) => m.underlyingPrice)).toEqual([100, 100]);
  });

  it('stops publishing after stop() and keeps option quotes across a configuration reload', () => {
    const time = (YEAR / 2 - 2) / YEAR;
    const market = optionPrice('bsm', {
      type: 'call',
      spot: 100,
      strike: 100,
      time,
      rate: 0.05,
      dividendYield: 0.01,
      volatility: 0.35,
    });
    bus.publish(Streams.ticks, quote(CALL, market, market, T0 + 1));
    engine.updateConfig(parseGreeksConfig({ options: OPTIONS.slice(0, 1) }));
    bus.publish(Streams.ticks, quote(AAPL, 100, 100, T0 + 2));
    expect(published.map((m) => m.instrumentId)).toEqual([CALL]);
    expect(published[0]?.volatility).toBeCloseTo(0.35, 9);
    engine.stop();
    bus.publish(Streams.ticks, quote(AAPL, 101, 101, T0 + 3));
    expect(published).toHaveLength(1);
  });
});
