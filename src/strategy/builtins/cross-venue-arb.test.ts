// Tests of cross-venue-arb through the real StrategyEngine: crossing, fees, stacking, legging, inventory.

import { describe, expect, it } from 'vitest';
import type { OrderRequest } from '../../model/index.ts';
import { CrossVenueArbitrageParametersSchema, CrossVenueArbitrageStrategy } from './cross-venue-arb.ts';
import { AAPL_A, AAPL_B, MSFT_A, MSFT_B, StrategyHarness } from './test-harness.ts';

const defaults = CrossVenueArbitrageParametersSchema.parse({});

function setup(params: Record<string, unknown> = {}): {
  harness: StrategyHarness;
  strategy: CrossVenueArbitrageStrategy;
} {
  const harness = new StrategyHarness({ acknowledge: true });
  const strategy = new CrossVenueArbitrageStrategy({ symbol: 'AAPL', venues: ['SIM-A', 'SIM-B'], ...params });
  harness.add('arb', strategy).start();
  return { harness, strategy };
}

function edgeBps(bid: number, ask: number): number {
  return ((bid - ask) / ask) * 10_000;
}

function legs(harness: StrategyHarness, from = 0): { buy: OrderRequest; sell: OrderRequest } {
  const submits = harness.submits().slice(from);
  expect(submits).toHaveLength(2);
  const buy = submits.find((o) => o.side === 'buy')!;
  const sell = submits.find((o) => o.side === 'sell')!;
  expect(buy).toBeDefined();
  expect(sell).toBeDefined();
  return { buy, sell };
}

describe('cross-venue-arb', () => {
  it('buys on the cheap venue and sells on the rich one, IOC at the quoted prices, capped by displayed size', () => {
    const { harness } = setup();
    harness.publishQuote(AAPL_A, 100.0, 100.02, 500, 60);
    harness.publishQuote(AAPL_B, 100.1, 100.12, 400, 500);
    const hurdle = 2 * defaults.feeBps + defaults.thresholdBps;
    expect(edgeBps(100.1, 100.02)).toBeGreaterThan(hurdle);
    const { buy, sell } = legs(harness);
    const expectedQuantity = Math.min(defaults.size, 60, 400);
    expect(buy).toMatchObject({
      instrumentId: AAPL_A,
      type: 'limit',
      price: 100.02,
      timeInForce: 'IOC',
      quantity: expectedQuantity,
    });
    expect(sell).toMatchObject({
      instrumentId: AAPL_B,
      type: 'limit',
      price: 100.1,
      timeInForce: 'IOC',
      quantity: expectedQuantity,
    });
  });

  it('trades the other way when the first venue is the rich one, from book snapshots too', () => {
    const { harness } = setup();
    harness.publishBook(AAPL_B, [{ price: 99.9, size: 300 }], [{ price: 99.92, size: 300 }]);
    harness.publishBook(
      AAPL_A,
      [
        { price: 100.0, size: 300 },
        { price: 99.99, size: 900 },
      ],
      [{ price: 100.02, size: 300 }],
    );
    const { buy, sell } = legs(harness);
    expect(buy).toMatchObject({ instrumentId: AAPL_B, price: 99.92 });
    expect(sell).toMatchObject({ instrumentId: AAPL_A, price: 100.0 });
  });

  it('does nothing when the crossing does not pay the fees and the threshold', () => {
    const { harness } = setup();
    harness.publishQuote(AAPL_A, 100.0, 100.02);
    harness.publishQuote(AAPL_B, 100.03, 100.05);
    const edge = edgeBps(100.03, 100.02);
    expect(edge).toBeGreaterThan(0);
    expect(edge).toBeLessThan(2 * defaults.feeBps + defaults.thresholdBps);
    expect(harness.commands).toHaveLength(0);

    // The same 1 bp crossing pays when the venues' fees are lower.
    const cheap = setup({ venueFeeBps: { 'SIM-A': 0.1, 'SIM-B': 0.1 } });
    expect(edge).toBeGreaterThan(0.1 + 0.1 + defaults.thresholdBps);
    cheap.harness.publishQuote(AAPL_A, 100.0, 100.02);
    cheap.harness.publishQuote(AAPL_B, 100.03, 100.05);
    legs(cheap.harness);
  });

  it('never stacks attempts while legs are in flight, and needs fresh quotes on both venues after one', () => {
    const { harness, strategy } = setup();
    const crossA = (): void => harness.publishQuote(AAPL_A, 100.0, 100.02);
    const crossB = (): void => harness.publishQuote(AAPL_B, 100.1, 100.12);
    crossA();
    crossB();
    const first = legs(harness);
    // Still crossed, legs open: nothing more.
    crossA();
    crossB();
    expect(harness.submits()).toHaveLength(2);
    harness.fill(first.buy.clientOrderId);
    crossB();
    expect(harness.submits()).toHaveLength(2);
    harness.fill(first.sell.clientOrderId);
    expect(harness.submits()).toHaveLength(2);
    // Both legs closed and both venues have quoted since the attempt: the next quote may trade.
    crossB();
    const second = legs(harness, 2);
    harness.fill(second.buy.clientOrderId);
    harness.fill(second.sell.clientOrderId);
    // Only venue B has quoted since the second attempt: its old A quote is not reused.
    crossB();
    crossB();
    expect(harness.submits()).toHaveLength(4);
    crossA();
    legs(harness, 4);
    expect(strategy.attempts).toBe(3);
  });

  it('flattens the residual when one leg fills and the other does not', () => {
    const { harness, strategy } = setup({ size: 100 });
    harness.publishQuote(AAPL_A, 100.0, 100.02);
    harness.publishQuote(AAPL_B, 100.1, 100.12);
    const { buy, sell } = legs(harness);
    harness.fill(buy.clientOrderId);
    harness.cancel(sell.clientOrderId, 'VENUE_IOC_REMAINDER');
    const flatten = harness.submits()[2]!;
    expect(flatten).toMatchObject({
      instrumentId: AAPL_A,
      side: 'sell',
      quantity: 100,
      type: 'market',
      reduceOnly: true,
    });
    expect(strategy.flattenings).toBe(1);
    // While the flattening order is open, crossed quotes start nothing.
    harness.publishQuote(AAPL_A, 100.0, 100.02);
    harness.publishQuote(AAPL_B, 100.1, 100.12);
    expect(harness.submits()).toHaveLength(3);
    harness.fill(flatten.clientOrderId, 100.0);
    harness.publishQuote(AAPL_A, 100.0, 100.02);
    harness.publishQuote(AAPL_B, 100.1, 100.12);
    expect(harness.submits()).toHaveLength(5);
  });

  it('flattens a partial fill difference on the venue holding the excess', () => {
    const { harness } = setup({ size: 100 });
    harness.publishQuote(AAPL_A, 100.0, 100.02);
    harness.publishQuote(AAPL_B, 100.1, 100.12);
    const { buy, sell } = legs(harness);
    harness.fill(buy.clientOrderId, 100.02, 60);
    harness.cancel(buy.clientOrderId, 'VENUE_IOC_REMAINDER');
    harness.fill(sell.clientOrderId);
    // Long 60 on A, short 100 on B: net −40, bought back on B.
    expect(harness.submits()[2]).toMatchObject({
      instrumentId: AAPL_B,
      side: 'buy',
      quantity: 40,
      reduceOnly: true,
    });
  });

  it('pauses attempts, and flattenings, for retryAfterDenialMicros after a denial', () => {
    const retry = 1_000_000;
    let refuseBuys = true;
    let refuseFlattening = true;
    const harness = new StrategyHarness({
      acknowledge: true,
      refuse: (order) =>
        order.type === 'limit' && order.side === 'buy' && refuseBuys
          ? 'RISK_POSITION_LIMIT'
          : order.type === 'market' && refuseFlattening
            ? 'RISK_REDUCE_ONLY_VIOLATION'
            : undefined,
    });
    harness
      .add(
        'arb',
        new CrossVenueArbitrageStrategy({
          symbol: 'AAPL',
          venues: ['SIM-A', 'SIM-B'],
          retryAfterDenialMicros: retry,
        }),
      )
      .start();
    const cross = (): void => {
      harness.publishQuote(AAPL_A, 100.0, 100.02);
      harness.publishQuote(AAPL_B, 100.1, 100.12);
    };
    cross();
    const first = legs(harness);
    harness.cancel(first.sell.clientOrderId, 'VENUE_IOC_REMAINDER');
    cross();
    harness.advance(retry - 1);
    cross();
    expect(harness.submits()).toHaveLength(2);
    harness.advance(1);
    refuseBuys = false;
    cross();
    const second = legs(harness, 2);
    // Legging: the buy fills, the sell does not; the flattening is denied, then retried after the pause.
    harness.fill(second.buy.clientOrderId);
    harness.cancel(second.sell.clientOrderId, 'VENUE_IOC_REMAINDER');
    expect(harness.submits()[4]).toMatchObject({ type: 'market', side: 'sell', instrumentId: AAPL_A });
    cross();
    expect(harness.submits()).toHaveLength(5);
    harness.advance(retry);
    refuseFlattening = false;
    cross();
    expect(harness.submits()).toHaveLength(6);
    expect(harness.submits()[5]).toMatchObject({
      type: 'market',
      side: 'sell',
      instrumentId: AAPL_A,
      quantity: second.buy.quantity,
    });
  });

  it('caps each venue position at maxInventory', () => {
    const maxInventory = 150;
    const size = 100;
    const { harness } = setup({ size, maxInventory });
    const cross = (): void => {
      harness.publishQuote(AAPL_A, 100.0, 100.02);
      harness.publishQuote(AAPL_B, 100.1, 100.12);
    };
    cross();
    let pair = legs(harness, 0);
    expect(pair.buy.quantity).toBe(size);
    harness.fill(pair.buy.clientOrderId);
    harness.fill(pair.sell.clientOrderId);
    cross();
    pair = legs(harness, 2);
    expect(pair.buy.quantity).toBe(maxInventory - size);
    harness.fill(pair.buy.clientOrderId);
    harness.fill(pair.sell.clientOrderId);
    cross();
    expect(harness.submits()).toHaveLength(4);
    // The opposite crossing reduces both positions: allowed in full.
    harness.publishQuote(AAPL_A, 100.1, 100.12);
    harness.publishQuote(AAPL_B, 100.0, 100.02);
    pair = legs(harness, 4);
    expect(pair.buy).toMatchObject({ instrumentId: AAPL_B, quantity: size });
  });

  it('ignores quotes too far apart in time and cancels legs that outlive the timeout', () => {
    const { harness } = setup({ maxQuoteSkewMicros: 1000, orderTimeoutMicros: 5000 });
    harness.publishQuote(AAPL_A, 100.0, 100.02);
    harness.advance(2000);
    harness.publishQuote(AAPL_B, 100.1, 100.12);
    expect(harness.commands).toHaveLength(0);
    harness.publishQuote(AAPL_A, 100.0, 100.02);
    const { buy, sell } = legs(harness);
    harness.advance(6000);
    harness.publishQuote(AAPL_A, 100.0, 100.02);
    const cancels = harness.commands.filter((c) => c.type === 'cancel_order').map((c) => c.clientOrderId);
    expect(cancels.sort()).toEqual([buy.clientOrderId, sell.clientOrderId].sort());
  });

  it('arbitrages every symbol listed on both venues by default and skips bad quotes', () => {
    const harness = new StrategyHarness({ acknowledge: true });
    harness.add('arb', new CrossVenueArbitrageStrategy({})).start();
    harness.publishQuote(MSFT_A, 300.3, 300.2);
    harness.publishQuote(MSFT_B, 300.5, 300.52);
    expect(harness.commands).toHaveLength(0);
    harness.publishQuote(MSFT_A, 300.0, 300.02);
    const { buy, sell } = legs(harness);
    expect([buy.instrumentId, sell.instrumentId]).toEqual([MSFT_A, MSFT_B]);
  });

  it('validates parameters, naming the bad one', () => {
    expect(() => new CrossVenueArbitrageStrategy({ venues: ['SIM-A', 'SIM-A'] })).toThrow(/"venues"/);
    expect(() => new CrossVenueArbitrageStrategy({ thresholdBps: -1 })).toThrow(/"thresholdBps"/);
    expect(() => new CrossVenueArbitrageStrategy({ size: 0 })).toThrow(/"size"/);
    expect(() => new CrossVenueArbitrageStrategy({ venueFeeBps: { 'SIM-A': -2 } })).toThrow(
      /"venueFeeBps\.SIM-A"/,
    );
    const harness = new StrategyHarness();
    harness
      .add('arb', new CrossVenueArbitrageStrategy({ symbol: 'XOM', venues: ['SIM-A', 'SIM-B'] }))
      .start();
    expect(harness.engine.status()[0]!.lastError).toMatch(/"symbol".*XOM is not listed on SIM-B/);
  });
});
