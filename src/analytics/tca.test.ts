// Transaction cost analysis on a constructed tape and fills; every expected value is worked out by hand in
// the comments (S = one second = 1,000,000 µs).

import { describe, expect, it } from 'vitest';
import { analyzeExecutions, type MarketTape, type TcaFill, type TcaOrder } from './tca.ts';

const S = 1_000_000;

// Quotes of X (mid in brackets): 0 s 99.90/100.10 (100.00); 2 s 100.00/100.20 (100.10);
// 4 s 100.10/100.30 (100.20); 15 s 100.30/100.50 (100.40); 70 s 100.50/100.70 (100.60).
// Trades of X: 0.5 s 100.00 × 100; 1 s 100.05 × 100; 3 s 100.20 × 300; 5 s 100.30 × 100; 6 s 100.40 × 500.
const tapeX: MarketTape = {
  quotes: [
    { time: 0, bid: 99.9, ask: 100.1 },
    { time: 2 * S, bid: 100.0, ask: 100.2 },
    { time: 4 * S, bid: 100.1, ask: 100.3 },
    { time: 15 * S, bid: 100.3, ask: 100.5 },
    { time: 70 * S, bid: 100.5, ask: 100.7 },
  ],
  trades: [
    { time: 0.5 * S, price: 100.0, size: 100 },
    { time: 1 * S, price: 100.05, size: 100 },
    { time: 3 * S, price: 100.2, size: 300 },
    { time: 5 * S, price: 100.3, size: 100 },
    { time: 6 * S, price: 100.4, size: 500 },
  ],
};

const base = { instrumentId: 'X.VA', decisionTime: 0 } as const;
const orders: TcaOrder[] = [
  // B1: buy 200, decided at 99.95, arrived at 1 s at 100.00; filled 100 @ 100.20 at 3 s and 100 @ 100.30 at 5 s.
  {
    ...base,
    clientOrderId: 'B1',
    strategyId: 'alpha',
    venue: 'VA',
    side: 'buy',
    quantity: 200,
    decisionPrice: 99.95,
    arrivalPrice: 100.0,
    arrivalTime: 1 * S,
  },
  // S1: sell 100, decided at 100.40, arrived at 4 s at 100.20; filled passively 100 @ 100.30 at 4 s (rebate 0.50).
  {
    ...base,
    clientOrderId: 'S1',
    strategyId: 'beta',
    venue: 'VA',
    side: 'sell',
    quantity: 100,
    decisionPrice: 100.4,
    arrivalPrice: 100.2,
    arrivalTime: 4 * S,
  },
  // U1: never filled.
  {
    ...base,
    clientOrderId: 'U1',
    strategyId: 'alpha',
    venue: 'VB',
    side: 'buy',
    quantity: 50,
    decisionPrice: 100,
    arrivalPrice: 100,
    arrivalTime: 1 * S,
  },
];
const fills: TcaFill[] = [
  { clientOrderId: 'B1', price: 100.3, quantity: 100, fee: 1, time: 5 * S, liquidity: 'taker' },
  { clientOrderId: 'B1', price: 100.2, quantity: 100, fee: 1, time: 3 * S, liquidity: 'taker' },
  { clientOrderId: 'S1', price: 100.3, quantity: 100, fee: -0.5, time: 4 * S, liquidity: 'maker' },
];

const report = analyzeExecutions({ orders, fills, tapes: { 'X.VA': tapeX } });
const orderOf = (id: string) => report.orders.find((o) => o.clientOrderId === id)!;

describe('a buy filled in two pieces (B1)', () => {
  const b1 = orderOf('B1');

  it('filled quantity, average price, notional and fees', () => {
    // (100.20 × 100 + 100.30 × 100) / 200 = 100.25; notional 20,050; fees 2 → 2 / 20,050 × 10⁴ = 0.997506 bps
    expect(b1).toMatchObject({ fills: 2, filledQuantity: 200, firstFillTime: 3 * S, lastFillTime: 5 * S });
    expect(b1.averagePrice).toBeCloseTo(100.25, 12);
    expect(b1.notional).toBeCloseTo(20_050, 9);
    expect(b1.fees).toBe(2);
    expect(b1.feesBps).toBeCloseTo(0.997506234413965, 9);
  });

  it('implementation shortfall vs decision and arrival, positive = cost', () => {
    // decision: (100.25 − 99.95) / 99.95 × 10⁴ = 30.015008 bps; 0.30 × 200 = 60
    expect(b1.shortfallDecisionBps).toBeCloseTo(30.015007503751875, 9);
    expect(b1.shortfallDecisionMoney).toBeCloseTo(60, 9);
    // arrival: (100.25 − 100.00) / 100.00 × 10⁴ = 25 bps; 0.25 × 200 = 50
    expect(b1.shortfallArrivalBps).toBeCloseTo(25, 9);
    expect(b1.shortfallArrivalMoney).toBeCloseTo(50, 9);
  });

  it('interval VWAP over [1 s, 5 s], both ends in, and the slippage against it', () => {
    // trades at 1 s, 3 s, 5 s: (100.05 × 100 + 100.20 × 300 + 100.30 × 100) / 500 = 50,095 / 500 = 100.19
    expect(b1.intervalVwap).toBeCloseTo(100.19, 12);
    // (100.25 − 100.19) / 100.19 × 10⁴ = 5.988622 bps
    expect(b1.vwapSlippageBps).toBeCloseTo(5.988621618924045, 8);
  });

  it('interval TWAP: each mid held until the next quote', () => {
    // 1→2 s at 100.00, 2→4 s at 100.10, 4→5 s at 100.20: (100.00 + 2 × 100.10 + 100.20) / 4 = 100.10
    expect(b1.intervalTwap).toBeCloseTo(100.1, 12);
    // (100.25 − 100.10) / 100.10 × 10⁴ = 14.985015 bps
    expect(b1.twapSlippageBps).toBeCloseTo(14.985014985014985, 8);
  });

  it('effective spread against the mid in force at each fill', () => {
    const [first, second] = report.fills.filter((f) => f.clientOrderId === 'B1');
    // fills are taken in time order: 3 s first. Quote at 3 s is the 2 s one, mid 100.10:
    // 2 × (100.20 − 100.10) / 100.10 × 10⁴ = 19.980020 bps
    expect(first).toMatchObject({ time: 3 * S, bid: 100.0, ask: 100.2, liquidity: 'taker' });
    expect(first?.mid).toBeCloseTo(100.1, 12);
    expect(first?.effectiveSpreadBps).toBeCloseTo(19.980019980019986, 8);
    // at 5 s, the 4 s quote, mid 100.20: 2 × 0.10 / 100.20 × 10⁴ = 19.960080 bps
    expect(second?.effectiveSpreadBps).toBeCloseTo(19.960079840319363, 8);
    // order: equal quantities, (19.980020 + 19.960080) / 2 = 19.970050; money 0.10 × 100 + 0.10 × 100 = 20
    expect(b1.effectiveSpreadBps).toBeCloseTo(19.970049910169674, 8);
    expect(b1.spreadCostMoney).toBeCloseTo(20, 9);
  });

  it('markouts at 1 s, 10 s, 60 s, positive = in the fill’s favour', () => {
    const [first, second] = report.fills.filter((f) => f.clientOrderId === 'B1');
    // fill at 3 s, 100.20: 4 s mid 100.20 → 0; 13 s mid 100.20 → 0; 63 s mid 100.40 → 0.20 / 100.20 × 10⁴
    expect(first?.markoutsBps[0]).toBeCloseTo(0, 9);
    expect(first?.markoutsBps[1]).toBeCloseTo(0, 9);
    expect(first?.markoutsBps[2]).toBeCloseTo(19.960079840319363, 8);
    // fill at 5 s, 100.30: 6 s mid 100.20 → −0.10 / 100.30 × 10⁴ = −9.970090; 15 s (the 15 s quote) 100.40 →
    // +9.970090; 65 s 100.40 → +9.970090
    expect(second?.markoutsBps[0]).toBeCloseTo(-9.970089730807578, 8);
    expect(second?.markoutsBps[1]).toBeCloseTo(9.970089730807578, 8);
    expect(second?.markoutsBps[2]).toBeCloseTo(9.970089730807578, 8);
    // order, equal quantities: (0 − 9.970090) / 2, (0 + 9.970090) / 2, (19.960080 + 9.970090) / 2
    expect(b1.markoutsBps[0]).toBeCloseTo(-4.985044865403789, 8);
    expect(b1.markoutsBps[1]).toBeCloseTo(4.985044865403789, 8);
    expect(b1.markoutsBps[2]).toBeCloseTo(14.96508478556347, 8);
  });
});

describe('a passive sell (S1): signs flip with the side', () => {
  const s1 = orderOf('S1');

  it('selling below the decision price is a cost, above the arrival price a gain', () => {
    // decision: −(100.30 − 100.40) / 100.40 × 10⁴ = +9.960159 bps; money 0.10 × 100 = 10
    expect(s1.shortfallDecisionBps).toBeCloseTo(9.9601593625498, 8);
    expect(s1.shortfallDecisionMoney).toBeCloseTo(10, 9);
    // arrival: −(100.30 − 100.20) / 100.20 × 10⁴ = −9.980040 bps; money −10
    expect(s1.shortfallArrivalBps).toBeCloseTo(-9.980039920159681, 8);
    expect(s1.shortfallArrivalMoney).toBeCloseTo(-10, 9);
  });

  it('an empty interval: no trade at exactly 4 s (VWAP null), TWAP = mid at 4 s', () => {
    expect(s1.intervalVwap).toBeNull();
    expect(s1.vwapSlippageBps).toBeNull();
    expect(s1.intervalTwap).toBeCloseTo(100.2, 12);
    expect(s1.twapSlippageBps).toBeCloseTo(-9.980039920159681, 8);
  });

  it('spread captured, rebate, markouts', () => {
    // 2 × (−1) × (100.30 − 100.20) / 100.20 × 10⁴ = −19.960080 bps (captured); money −0.10 × 100 = −10
    expect(s1.effectiveSpreadBps).toBeCloseTo(-19.960079840319363, 8);
    expect(s1.spreadCostMoney).toBeCloseTo(-10, 9);
    // −0.50 / 10,030 × 10⁴ = −0.498504 bps
    expect(s1.feesBps).toBeCloseTo(-0.4985044865403788, 9);
    // 5 s mid 100.20: −(100.20 − 100.30) / 100.30 × 10⁴ = +9.970090; 14 s 100.20 → +9.970090; 64 s 100.40 → −9.970090
    expect(s1.markoutsBps[0]).toBeCloseTo(9.970089730807578, 8);
    expect(s1.markoutsBps[1]).toBeCloseTo(9.970089730807578, 8);
    expect(s1.markoutsBps[2]).toBeCloseTo(-9.970089730807578, 8);
    expect(report.fills.find((f) => f.clientOrderId === 'S1')?.liquidity).toBe('maker');
  });
});

describe('an unfilled order (U1)', () => {
  it('has no price and no cost', () => {
    expect(orderOf('U1')).toMatchObject({
      filledQuantity: 0,
      fills: 0,
      averagePrice: null,
      notional: 0,
      feesBps: null,
      shortfallDecisionBps: null,
      shortfallDecisionMoney: 0,
      shortfallArrivalBps: null,
      vwapSlippageBps: null,
      twapSlippageBps: null,
      effectiveSpreadBps: null,
      markoutsBps: [null, null, null],
    });
  });
});

describe('aggregates, quantity-weighted', () => {
  it('by strategy: alpha holds B1 and the unfilled U1, beta holds S1', () => {
    expect(report.byStrategy.map((a) => a.key)).toEqual(['alpha', 'beta']);
    const [alpha, beta] = report.byStrategy;
    // U1 weighs 0: alpha's averages are B1's
    expect(alpha).toMatchObject({ orders: 2, filledOrders: 1, filledQuantity: 200, fees: 2 });
    expect(alpha?.shortfallArrivalBps).toBeCloseTo(25, 9);
    expect(alpha?.effectiveSpreadBps).toBeCloseTo(19.970049910169674, 8);
    expect(beta).toMatchObject({ orders: 1, filledQuantity: 100 });
    expect(beta?.shortfallArrivalBps).toBeCloseTo(-9.980039920159681, 8);
  });

  it('by venue: VA mixes B1 (200) and S1 (100)', () => {
    expect(report.byVenue.map((a) => a.key)).toEqual(['VA', 'VB']);
    const [va, vb] = report.byVenue;
    expect(va).toMatchObject({ orders: 2, filledOrders: 2, filledQuantity: 300 });
    // notional 20,050 + 10,030 = 30,080; fees 2 − 0.5 = 1.5 → 1.5 / 30,080 × 10⁴ = 0.498670 bps
    expect(va?.notional).toBeCloseTo(30_080, 9);
    expect(va?.feesBps).toBeCloseTo(0.4986702127659574, 9);
    // arrival: (25 × 200 + (−9.980040) × 100) / 300 = 13.339987 bps; money 50 − 10 = 40
    expect(va?.shortfallArrivalBps).toBeCloseTo(13.339986693280107, 8);
    expect(va?.shortfallArrivalMoney).toBeCloseTo(40, 9);
    // VWAP: S1 has none, so B1's alone
    expect(va?.vwapSlippageBps).toBeCloseTo(5.988621618924045, 8);
    // TWAP: (14.985015 × 200 + (−9.980040) × 100) / 300 = 6.663330 bps
    expect(va?.twapSlippageBps).toBeCloseTo(6.663330016623429, 8);
    // spread over fills: (19.980020 + 19.960080 − 19.960080) × 100 / 300 = 6.660007 bps
    expect(va?.effectiveSpreadBps).toBeCloseTo(6.660006660006662, 8);
    // 1 s markouts: (0 − 9.970090 + 9.970090) × 100 / 300 = 0
    expect(va?.markoutsBps[0]).toBeCloseTo(0, 9);
    expect(vb).toMatchObject({ orders: 1, filledOrders: 0, filledQuantity: 0, feesBps: null });
    expect(vb?.shortfallArrivalBps).toBeNull();
  });

  it('clean input reports no issues', () => {
    expect(report.issues).toEqual([]);
    expect(Object.values(report.counts).every((n) => n === 0)).toBe(true);
  });
});

describe('the tape order does not matter', () => {
  it('a reversed tape gives the same report', () => {
    const reversed: MarketTape = { quotes: [...tapeX.quotes].reverse(), trades: [...tapeX.trades].reverse() };
    const again = analyzeExecutions({ orders, fills, tapes: new Map([['X.VA', reversed]]) });
    expect(again).toEqual(report);
  });
});

describe('the default tape end', () => {
  it('is the last quote, trade or fill: a quote holds until then, markouts past it are left out', () => {
    // One quote at 0 s (mid 100.00), one buy fill at 20 s @ 100.10, no later event: the 0 s quote is in force at
    // 20 s, 2 × 0.10 / 100 × 10⁴ = 20 bps; 21 s, 30 s and 80 s are past the end (20 s).
    const result = analyzeExecutions({
      orders: [
        {
          clientOrderId: 'Q',
          strategyId: 's',
          venue: 'V',
          instrumentId: 'Z',
          side: 'buy',
          quantity: 1,
          decisionPrice: 100,
          decisionTime: 0,
          arrivalPrice: 100,
          arrivalTime: 0,
        },
      ],
      fills: [{ clientOrderId: 'Q', price: 100.1, quantity: 1, fee: 0, time: 20 * S }],
      tapes: { Z: { quotes: [{ time: 0, bid: 99.9, ask: 100.1 }], trades: [] } },
    });
    expect(result.fills[0]?.effectiveSpreadBps).toBeCloseTo(20, 9);
    expect(result.fills[0]?.markoutsBps).toEqual([null, null, null]);
    expect(result.fills[0]?.liquidity).toBe('unknown');
    // TWAP over [0, 20 s] is the one mid, 100.00: (100.10 − 100) / 100 × 10⁴ = 10 bps
    expect(result.orders[0]?.twapSlippageBps).toBeCloseTo(10, 9);
  });
});

describe('bad input is counted, never thrown', () => {
  const order = (id: string, extra: Partial<TcaOrder> = {}): TcaOrder => ({
    ...base,
    clientOrderId: id,
    strategyId: 'alpha',
    venue: 'VA',
    side: 'buy',
    quantity: 100,
    decisionPrice: 100,
    arrivalPrice: 100,
    arrivalTime: 1 * S,
    ...extra,
  });
  const fill = (id: string, extra: Partial<TcaFill> = {}): TcaFill => ({
    clientOrderId: id,
    price: 100.2,
    quantity: 100,
    fee: 1,
    time: 3 * S,
    ...extra,
  });
  const badTape: MarketTape = {
    quotes: [...tapeX.quotes, { time: 8 * S, bid: 101, ask: 100 }],
    trades: [...tapeX.trades, { time: 9 * S, price: 100, size: 0 }],
    endTime: 30 * S,
  };
  const result = analyzeExecutions({
    orders: [
      order('BAD', { quantity: -1 }),
      order('SIDE', { side: 'hold' as 'buy' }),
      order('DUP'),
      order('DUP', { quantity: 5 }),
      order('OVER'),
      order('EARLY', { arrivalTime: 4 * S }),
      order('NOTAPE', { instrumentId: 'Y.VA' }),
      order('PRE', { arrivalTime: -5 * S }),
      order('LATE'),
      null as unknown as TcaOrder,
    ],
    fills: [
      fill('DUP'),
      fill('GHOST'),
      fill('BAD'),
      fill('OVER', { price: Number.NaN }),
      fill('OVER'),
      fill('OVER', { quantity: 50, time: 5 * S }),
      fill('EARLY'),
      fill('NOTAPE'),
      fill('PRE', { time: -1 * S }),
      fill('LATE', { time: 25 * S, liquidity: 'other' as 'maker' }),
      fill('LATE', { time: 25 * S }),
    ],
    tapes: { 'X.VA': badTape },
  });
  const byId = (id: string) => result.orders.find((o) => o.clientOrderId === id);

  it('counts each reason', () => {
    expect(result.counts).toEqual({
      TCA_INVALID_ORDER: 3, // BAD, SIDE, null
      TCA_DUPLICATE_ORDER: 1, // the second DUP
      TCA_INVALID_FILL: 2, // NaN price, liquidity 'other'
      TCA_UNKNOWN_ORDER: 2, // GHOST, BAD (skipped)
      TCA_OVERFILLED: 1, // 150 of 100
      TCA_FILL_BEFORE_ARRIVAL: 1, // EARLY: fill 3 s, arrival 4 s
      TCA_NO_TAPE: 1, // Y.VA
      TCA_NO_QUOTE: 1, // PRE: fill at −1 s, first quote at 0
      TCA_INVALID_QUOTE: 1, // bid above ask
      TCA_INVALID_TRADE: 1, // size 0
    });
    expect(result.issues).toContainEqual({
      code: 'TCA_INVALID_ORDER',
      subject: 'BAD',
      message: 'quantity -1 is not a positive number',
    });
    expect(result.issues).toContainEqual({
      code: 'TCA_INVALID_FILL',
      subject: 'OVER',
      message: 'price NaN is not a positive number',
    });
  });

  it('keeps what it can', () => {
    expect(byId('DUP')?.quantity).toBe(100);
    expect(byId('OVER')?.filledQuantity).toBe(150);
    expect(byId('EARLY')?.intervalVwap).toBeNull();
    expect(byId('EARLY')?.shortfallArrivalBps).toBeCloseTo(20, 9); // (100.20 − 100) / 100 × 10⁴
    const noTape = result.fills.find((f) => f.clientOrderId === 'NOTAPE');
    expect(noTape).toMatchObject({ bid: null, ask: null, mid: null, effectiveSpreadBps: null });
    expect(result.fills.find((f) => f.clientOrderId === 'PRE')?.effectiveSpreadBps).toBeNull();
  });

  it('leaves out markouts past the tape end (30 s here)', () => {
    // buy at 100.20 at 25 s: at 26 s the mid is 100.40 → (100.40 − 100.20) / 100.20 × 10⁴ = 19.960080 bps;
    // 35 s and 85 s are past the end
    expect(byId('LATE')?.markoutsBps[0]).toBeCloseTo(19.960079840319363, 8);
    expect(byId('LATE')?.markoutsBps.slice(1)).toEqual([null, null]);
  });

  it('refuses a markout horizon that is not positive', () => {
    expect(() =>
      analyzeExecutions({ orders: [], fills: [], tapes: {} }, { markoutHorizonsMicros: [0] }),
    ).toThrow(/markout horizon 0/);
  });
});
