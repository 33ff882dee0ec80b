// Tests of market-maker (Avellaneda–Stoikov) through the real StrategyEngine: quotes, inventory, requotes.

import { describe, expect, it } from 'vitest';
import type { InstrumentId, OrderRequest } from '../../model/index.ts';
import { MarketMakerStrategy } from './market-maker.ts';
import { AAPL_B, StrategyHarness } from './test-harness.ts';

const TICK = 0.01;
const SECOND = 1_000_000;

/** The Avellaneda–Stoikov quotes written out from the paper's formulas. */
function expectedQuotes(
  mid: number,
  inventory: number,
  gamma: number,
  kappa: number,
  sigma: number,
  timeRemaining: number,
): { reservation: number; bid: number; ask: number } {
  const reservation = mid - inventory * gamma * sigma * sigma * timeRemaining;
  const spread = gamma * sigma * sigma * timeRemaining + (2 / gamma) * Math.log(1 + gamma / kappa);
  const round = (ticks: number): number => Math.round(ticks * TICK * 100) / 100;
  return {
    reservation,
    bid: round(Math.floor((reservation - spread / 2) / TICK + 1e-9)),
    ask: round(Math.ceil((reservation + spread / 2) / TICK - 1e-9)),
  };
}

function working(
  harness: StrategyHarness,
  side: 'buy' | 'sell',
): { request: OrderRequest; price: number | undefined }[] {
  return harness.working().filter((o) => o.request.side === side);
}

function start(
  params: Record<string, unknown>,
  instrument: InstrumentId = AAPL_B,
): { harness: StrategyHarness; strategy: MarketMakerStrategy; started: number } {
  const harness = new StrategyHarness({ acknowledge: true });
  const strategy = new MarketMakerStrategy({ instrument, ...params });
  harness.add('mm', strategy).start();
  return { harness, strategy, started: harness.clock.now() };
}

describe('market-maker', () => {
  const params = {
    gamma: 2,
    kappa: 100,
    sigmaWindow: 20,
    minSigmaSamples: 10,
    horizonSeconds: 60,
    size: 10,
    maxInventory: 20,
    requoteTicks: 0,
  };

  /** Mids alternate 100.00 / 100.02 a second apart: every sample is (0.02)² over 1 s, so σ = 0.02 per √s. */
  function feed(harness: StrategyHarness, count: number, first = 0): number {
    let mid = 0;
    for (let k = first; k < first + count; k++) {
      harness.advance(SECOND);
      mid = k % 2 === 0 ? 100.0 : 100.02;
      harness.publishQuote(
        AAPL_B,
        Math.round((mid - TICK) * 100) / 100,
        Math.round((mid + TICK) * 100) / 100,
      );
    }
    return mid;
  }
  const sigma = 0.02;

  it('waits for enough volatility samples, then quotes both sides around the reservation price', () => {
    const { harness, strategy, started } = start(params);
    // The first quote only sets the reference: 10 quotes give 9 samples.
    feed(harness, 10);
    expect(harness.commands).toHaveLength(0);
    const mid = feed(harness, 2, 10);
    expect(strategy.sigma()).toBeCloseTo(sigma, 12);
    const timeRemaining = 60 - (harness.clock.now() - started) / SECOND;
    const expected = expectedQuotes(mid, 0, params.gamma, params.kappa, sigma, timeRemaining);
    const [bid] = working(harness, 'buy');
    const [ask] = working(harness, 'sell');
    expect(bid!.price).toBeCloseTo(expected.bid, 9);
    expect(ask!.price).toBeCloseTo(expected.ask, 9);
    expect(bid!.price!).toBeLessThan(expected.reservation);
    expect(ask!.price!).toBeGreaterThan(expected.reservation);
    expect(bid!.request).toMatchObject({ type: 'limit', quantity: params.size, timeInForce: 'GTC' });
    expect(strategy.lastQuote?.reservationPrice).toBeCloseTo(expected.reservation, 12);
  });

  it('shifts both quotes down with long inventory and stops bidding at max inventory', () => {
    const { harness, strategy, started } = start(params);
    const mid = feed(harness, 12);
    const timeRemaining = 60 - (harness.clock.now() - started) / SECOND;
    const flat = expectedQuotes(mid, 0, params.gamma, params.kappa, sigma, timeRemaining);
    const [bid0] = working(harness, 'buy');
    expect(bid0!.price).toBeCloseTo(flat.bid, 9);

    harness.fill(bid0!.request.clientOrderId);
    const long = expectedQuotes(mid, 1, params.gamma, params.kappa, sigma, timeRemaining);
    expect(long.bid).toBeLessThan(flat.bid);
    expect(long.ask).toBeLessThan(flat.ask);
    const [bid1] = working(harness, 'buy');
    const asks = working(harness, 'sell');
    expect(asks).toHaveLength(1);
    expect(bid1!.price).toBeCloseTo(long.bid, 9);
    expect(asks[0]!.price).toBeCloseTo(long.ask, 9);
    expect(bid1!.price!).toBeLessThan(long.reservation);
    expect(asks[0]!.price!).toBeGreaterThan(long.reservation);
    // The ask moved by a modify of the same order, not a second order.
    expect(
      harness.commands.some(
        (c) => c.type === 'modify_order' && c.clientOrderId === asks[0]!.request.clientOrderId,
      ),
    ).toBe(true);

    // Filling the second bid reaches maxInventory (20): no bid any more, the ask stays.
    harness.fill(bid1!.request.clientOrderId);
    expect(strategy.lastQuote?.inventory).toBe(2);
    const submitsAtMax = harness.submits().length;
    feed(harness, 6, 12);
    expect(working(harness, 'buy')).toHaveLength(0);
    expect(working(harness, 'sell')).toHaveLength(1);
    expect(harness.submits().filter((o) => o.side === 'buy')).toHaveLength(2);
    expect(harness.submits().length).toBe(submitsAtMax);
    expect(strategy.lastQuote?.bid).toBeUndefined();
  });

  it('stops offering at max short inventory and cancels the working ask', () => {
    const { harness } = start({ ...params, maxInventory: 10 });
    feed(harness, 12);
    const [ask] = working(harness, 'sell');
    harness.fill(ask!.request.clientOrderId);
    expect(working(harness, 'sell')).toHaveLength(0);
    expect(working(harness, 'buy')).toHaveLength(1);
    feed(harness, 4, 12);
    expect(harness.submits().filter((o) => o.side === 'sell')).toHaveLength(1);
  });

  it('samples the mid at most every sigmaSampleMicros, so fast bid-ask bounce does not inflate σ', () => {
    const estimate = (sigmaSampleMicros: number): number | undefined => {
      const { harness, strategy } = start({ ...params, sigmaSampleMicros });
      // The mid bounces between 100.00 and 100.02 every 10 ms for 20 s.
      for (let k = 0; k < 2000; k++) {
        harness.advance(10_000);
        const mid = k % 2 === 0 ? 100.0 : 100.02;
        harness.publishQuote(
          AAPL_B,
          Math.round((mid - TICK) * 100) / 100,
          Math.round((mid + TICK) * 100) / 100,
        );
      }
      return strategy.sigma();
    };
    // Every change: (0.02)² per 0.01 s, σ = 0.02/√0.01 = 0.2 per √s. Once a second: an even number of bounces
    // apart, the sampled mid never changes.
    expect(estimate(0)).toBeCloseTo(0.02 / Math.sqrt(0.01), 9);
    expect(estimate(1_000_000)).toBe(0);
  });

  it('requotes only when the target moves by more than requoteTicks', () => {
    const fixed = { sigma: 0.01, gamma: 1, kappa: 100, horizonSeconds: 60, size: 10, requoteTicks: 2 };
    const { harness } = start(fixed);
    harness.publishQuote(AAPL_B, 99.99, 100.01);
    const expected = expectedQuotes(100, 0, 1, 100, 0.01, 60);
    expect(working(harness, 'buy')[0]!.price).toBeCloseTo(expected.bid, 9);
    // One tick of mid movement: within the threshold.
    harness.publishQuote(AAPL_B, 100.0, 100.02);
    expect(harness.commands.filter((c) => c.type === 'modify_order')).toHaveLength(0);
    // Three ticks: both sides move.
    harness.publishQuote(AAPL_B, 100.03, 100.05);
    const moved = expectedQuotes(100.04, 0, 1, 100, 0.01, 60);
    expect(harness.commands.filter((c) => c.type === 'modify_order')).toHaveLength(2);
    expect(working(harness, 'buy')[0]!.price).toBeCloseTo(moved.bid, 9);
    expect(working(harness, 'sell')[0]!.price).toBeCloseTo(moved.ask, 9);
  });

  it('cancel-replace mode cancels, waits for the confirmation, then places the new quote', () => {
    const { harness } = start({ sigma: 0.01, size: 10, requoteTicks: 0, requoteMode: 'cancel-replace' });
    harness.publishQuote(AAPL_B, 99.99, 100.01);
    const before = harness.submits().map((o) => o.clientOrderId);
    harness.publishQuote(AAPL_B, 100.09, 100.11);
    const cancels = harness.commands.filter((c) => c.type === 'cancel_order').map((c) => c.clientOrderId);
    expect(cancels.sort()).toEqual([...before].sort());
    expect(harness.commands.filter((c) => c.type === 'modify_order')).toHaveLength(0);
    const moved = expectedQuotes(100.1, 0, 1, 100, 0.01, 60);
    expect(working(harness, 'buy').map((o) => o.price)).toEqual([moved.bid]);
    expect(working(harness, 'sell').map((o) => o.price)).toEqual([moved.ask]);
  });

  it('never crosses the market even when inventory pulls the quote through it', () => {
    const { harness } = start({ sigma: 0.5, gamma: 1, kappa: 100, size: 10, maxInventory: 100 });
    harness.publishQuote(AAPL_B, 99.99, 100.01);
    harness.fill(working(harness, 'buy')[0]!.request.clientOrderId);
    // q = 1: r = 100 − 1·0.25·60 = 85, far below the best bid; the ask is held one tick above it.
    const [ask] = working(harness, 'sell');
    expect(ask!.price).toBeCloseTo(99.99 + TICK, 9);
    expect(working(harness, 'buy')[0]!.price!).toBeLessThan(99.99);
  });

  it('waits retryAfterDenialMicros before quoting a side again after a denial', () => {
    let refuse = true;
    const harness = new StrategyHarness({
      acknowledge: true,
      refuse: (order) => (order.side === 'buy' && refuse ? 'RISK_POSITION_LIMIT' : undefined),
    });
    harness
      .add(
        'mm',
        new MarketMakerStrategy({ instrument: AAPL_B, sigma: 0.01, retryAfterDenialMicros: 500_000 }),
      )
      .start();
    harness.publishQuote(AAPL_B, 99.99, 100.01);
    expect(harness.submits().map((o) => o.side)).toEqual(['buy', 'sell']);
    refuse = false;
    harness.advance(499_999);
    harness.publishQuote(AAPL_B, 99.99, 100.01);
    expect(harness.submits()).toHaveLength(2);
    harness.advance(1);
    harness.publishQuote(AAPL_B, 99.99, 100.01);
    expect(harness.submits().map((o) => o.side)).toEqual(['buy', 'sell', 'buy']);
    expect(working(harness, 'buy')).toHaveLength(1);
  });

  it('ignores crossed or empty quotes', () => {
    const { harness } = start({ sigma: 0.01 });
    harness.publishQuote(AAPL_B, 100.05, 100.0);
    harness.publishQuote(AAPL_B, 0, 100.0);
    harness.publishQuote(AAPL_B, Number.NaN, 100.0);
    expect(harness.commands).toHaveLength(0);
  });

  it('validates parameters, naming the bad one', () => {
    expect(() => new MarketMakerStrategy({ instrument: AAPL_B, gamma: 0 })).toThrow(/"gamma"/);
    expect(() => new MarketMakerStrategy({ instrument: AAPL_B, kappa: -1 })).toThrow(/"kappa"/);
    expect(() => new MarketMakerStrategy({ gamma: 1 })).toThrow(/"instrument"/);
    expect(() => new MarketMakerStrategy({ instrument: AAPL_B, sigmaWindow: 5, minSigmaSamples: 6 })).toThrow(
      /"minSigmaSamples"/,
    );
    expect(() => new MarketMakerStrategy({ instrument: AAPL_B, requoteMode: 'replace' })).toThrow(
      /"requoteMode"/,
    );
    expect(new MarketMakerStrategy({}, [AAPL_B]).instruments).toEqual([AAPL_B]);
  });
});
