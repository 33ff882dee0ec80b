// Hedge planning: flattening allocated within the firm position (netting across strategies), marketable limit
// prices on the tick grid, slices within risk.yaml's per-order limits, and delta hedges of an options book.

import { describe, expect, it } from 'vitest';
import { parseRegistry } from '../../common/registry.ts';
import type { InstrumentId, OptionGreeks } from '../../model/index.ts';
import { parseRiskConfig } from '../../risk/index.ts';
import type { BookPosition } from './book.ts';
import { marketableLimit, planDeltaHedge, planFlatten, riskOrderLimit } from './hedger.ts';

const registry = parseRegistry({
  venues: { X: { adapter: 'paper' } },
  instruments: [
    {
      symbol: 'AAPL',
      venues: ['X'],
      assetClass: 'equity',
      currency: 'USD',
      tickSize: 0.01,
      lotSize: 1,
      region: 'US',
      sector: 'technology',
    },
    {
      symbol: 'MSFT',
      venues: ['X'],
      assetClass: 'equity',
      currency: 'USD',
      tickSize: 0.01,
      lotSize: 1,
      region: 'US',
      sector: 'technology',
    },
    {
      symbol: 'AAPL-C',
      venues: ['X'],
      assetClass: 'option',
      currency: 'USD',
      tickSize: 0.01,
      lotSize: 1,
      multiplier: 100,
      region: 'US',
      sector: 'technology',
    },
  ],
});
const AAPL = 'AAPL.X' as InstrumentId;
const MSFT = 'MSFT.X' as InstrumentId;
const CALL = 'AAPL-C.X' as InstrumentId;

function position(strategyId: string, instrumentId: InstrumentId, quantity: number): BookPosition {
  return {
    strategyId,
    instrumentId,
    currency: 'USD',
    quantity,
    averagePrice: 0,
    realized: 0,
    fees: 0,
    mark: undefined,
    unrealized: undefined,
  };
}

function input(positions: BookPosition[], marks: Record<string, number>, extra: object = {}) {
  const firm = new Map<InstrumentId, number>();
  for (const p of positions) firm.set(p.instrumentId, (firm.get(p.instrumentId) ?? 0) + p.quantity);
  return {
    positions,
    firmQuantity: (id: InstrumentId) => firm.get(id) ?? 0,
    instrument: (id: InstrumentId) => registry.instruments.get(id),
    mark: (id: InstrumentId) => marks[id],
    config: { orderType: 'limit' as const, protectionBps: 50 },
    ...extra,
  };
}

describe('marketable limit prices', () => {
  it('sit protectionBps through the mark on the tick grid, rounded away from the market', () => {
    const aapl = registry.instruments.get(AAPL)!;
    // 100 × (1 − 0.005) = 99.5 exactly; 100 × 1.005 = 100.5
    expect(marketableLimit(aapl, 'sell', 100, 50)).toBe(99.5);
    expect(marketableLimit(aapl, 'buy', 100, 50)).toBe(100.5);
    // 100.003 × 0.995 = 99.502985 → down to 99.50; 100.003 × 1.005 = 100.503015 → up to 100.51
    expect(marketableLimit(aapl, 'sell', 100.003, 50)).toBe(99.5);
    expect(marketableLimit(aapl, 'buy', 100.003, 50)).toBe(100.51);
  });
});

describe('flatten plan', () => {
  it('closes each strategy on the firm side, reduce-only, and reports what nets against other strategies', () => {
    // AAPL: alpha +300, beta +100, gamma −100: firm +300. MSFT: alpha −50, beta +50: firm flat.
    const plan = planFlatten(
      input(
        [
          position('alpha', AAPL, 300),
          position('beta', AAPL, 100),
          position('gamma', AAPL, -100),
          position('alpha', MSFT, -50),
          position('beta', MSFT, 50),
        ],
        { [AAPL]: 200, [MSFT]: 400 },
      ),
    );
    // Allocation in strategy order: alpha takes the whole firm +300 (sell at 200 × 0.995 = 199.00).
    expect(plan.orders).toEqual([
      {
        strategyId: 'alpha',
        instrumentId: AAPL,
        side: 'sell',
        quantity: 300,
        type: 'limit',
        price: 199,
        reduceOnly: true,
      },
    ]);
    expect(plan.netted.map((n) => [n.strategyId, n.instrumentId, n.quantity, n.reason])).toEqual([
      ['beta', AAPL, 100, 'beyond the firm position (other strategies hold the opposite side)'],
      ['gamma', AAPL, -100, 'opposite to the firm position'],
      ['alpha', MSFT, -50, 'firm position is flat'],
      ['beta', MSFT, 50, 'firm position is flat'],
    ]);
    expect(plan.skipped).toEqual([]);
  });

  it('splits the firm position between strategies on the same side and buys back shorts', () => {
    const plan = planFlatten(
      input([position('b', AAPL, -70), position('a', AAPL, -30), position('a', MSFT, 10)], {
        [AAPL]: 100,
        [MSFT]: 100,
      }),
    );
    expect(plan.orders.map((o) => [o.strategyId, o.instrumentId, o.side, o.quantity, o.price])).toEqual([
      ['a', AAPL, 'buy', 30, 100.5],
      ['b', AAPL, 'buy', 70, 100.5],
      ['a', MSFT, 'sell', 10, 99.5],
    ]);
  });

  it("slices to risk.yaml's per-order quantity and notional limits", () => {
    const limit = riskOrderLimit(
      parseRiskConfig({
        instrumentDefaults: { maxOrderQuantity: 1000, maxNotional: 100_000 },
        instruments: { MSFT: { maxNotional: 50_000 } },
      }),
    );
    const aapl = registry.instruments.get(AAPL)!;
    // 100000 / 99.5 = 1005.03 > 1000: the quantity cap binds.
    expect(limit(aapl, 99.5)).toBe(1000);
    // MSFT at 400: 50000 / 400 = 125.
    expect(limit(registry.instruments.get(MSFT)!, 400)).toBe(125);
    const plan = planFlatten(
      input(
        [position('a', AAPL, 2500), position('a', MSFT, 300)],
        { [AAPL]: 100, [MSFT]: 402.01 },
        { maxOrderQuantity: limit },
      ),
    );
    // AAPL: 1000 of 2500 this pass. MSFT sells at 402.01 × 0.995 = 399.99995, down to the tick: 399.99;
    // 50000 / 399.99 = 125.003 → 125 shares.
    expect(plan.orders.map((o) => [o.instrumentId, o.quantity, o.price])).toEqual([
      [AAPL, 1000, 99.5],
      [MSFT, 125, 399.99],
    ]);
  });

  it('skips positions without a mark for the limit, or outside the registry; market orders need no mark', () => {
    const unknown = 'NOPE.X' as InstrumentId;
    const plan = planFlatten(input([position('a', AAPL, 10), position('a', unknown, 5)], {}));
    expect(plan.orders).toEqual([]);
    expect(plan.skipped.map((s) => [s.instrumentId, s.reason])).toEqual([
      [AAPL, 'no mark price for a marketable limit'],
      [unknown, 'instrument not in the registry'],
    ]);
    const market = planFlatten({
      ...input([position('a', AAPL, 10)], {}),
      config: { orderType: 'market', protectionBps: 50 },
    });
    expect(market.orders).toEqual([
      { strategyId: 'a', instrumentId: AAPL, side: 'sell', quantity: 10, type: 'market', reduceOnly: true },
    ]);
  });
});

describe('delta hedge plan', () => {
  const greeks: OptionGreeks = {
    type: 'greeks',
    instrumentId: CALL,
    underlyingId: AAPL,
    underlyingPrice: 200,
    model: 'bsm',
    price: 15,
    volatility: 0.3,
    delta: 0.6,
    gamma: 0.02,
    vega: 0.5,
    theta: -5,
    rho: 0.3,
    dividendRho: 0,
    tsEvent: 0,
    tsInit: 0,
  };

  it('offsets each options book’s net delta in the underlying, reduce-only only where it shrinks the firm position', () => {
    // opt: 10 calls × 100 × 0.6 = +600 delta, plus −100 shares: net +500 → sell 500 (the firm is short 100
    // AAPL: selling grows it, so not reduce-only). other: −5 calls = −300 delta, +400 shares: net +100 → sell 100.
    const positions = [
      position('opt', CALL, 10),
      position('opt', AAPL, -100),
      position('other', CALL, -5),
      position('other', AAPL, 400),
      position('stock-only', MSFT, 1000),
    ];
    const plan = planDeltaHedge({
      ...input(positions, { [AAPL]: 200 }),
      greeks: (id: InstrumentId) => (id === CALL ? greeks : undefined),
    });
    // Firm AAPL = −100 + 400 = +300: the 'other' sell of 100 shrinks it (reduce-only), 'opt' sells 500 > 300 (not).
    expect(plan.orders).toEqual([
      {
        strategyId: 'opt',
        instrumentId: AAPL,
        side: 'sell',
        quantity: 500,
        type: 'limit',
        price: 199,
        reduceOnly: false,
      },
      {
        strategyId: 'other',
        instrumentId: AAPL,
        side: 'sell',
        quantity: 100,
        type: 'limit',
        price: 199,
        reduceOnly: true,
      },
    ]);
    const none = planDeltaHedge({ ...input(positions, { [AAPL]: 200 }), greeks: () => undefined });
    expect(none.orders).toEqual([]);
    expect(none.skipped.map((s) => [s.strategyId, s.reason])).toEqual([
      ['opt', 'no greeks for the option'],
      ['other', 'no greeks for the option'],
    ]);
  });
});
