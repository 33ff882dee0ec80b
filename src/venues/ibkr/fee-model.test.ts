// IBKR Pro stock commissions against the published schedule (interactivebrokers.com, "Commissions: Stocks,
// ETFs and Warrants", IBKR Pro fixed and tiered), each expected value worked out by hand in its comment.

import { describe, expect, it } from 'vitest';
import { makeInstrument } from '../../model/index.ts';
import { IbkrFeesSchema } from './config.ts';
import { ibkrOrderCommission, IbkrFeeModel } from './fee-model.ts';

const fixed = IbkrFeesSchema.parse({});
const tiered = IbkrFeesSchema.parse({ plan: 'tiered' });
const AAPL = makeInstrument({
  symbol: 'AAPL',
  venue: 'IBKR',
  assetClass: 'equity',
  currency: 'USD',
  tickSize: 0.01,
  lotSize: 1,
  region: 'US',
  sector: 'technology',
});
/** 2024-01-15 and 2024-02-01 (UTC) in µs. */
const JANUARY = Date.UTC(2024, 0, 15) * 1000;
const FEBRUARY = Date.UTC(2024, 1, 1) * 1000;

describe('fixed plan: USD 0.005 a share, at least USD 1.00, at most 1% of the value', () => {
  it('raises a small order to the minimum', () => {
    // 100 × 0.005 = 0.50 < 1.00 → 1.00 (1% of 5,000 = 50 does not bind)
    expect(ibkrOrderCommission(fixed, 100, 100 * 50)).toBe(1);
  });

  it('charges per share in between', () => {
    // 1,000 × 0.005 = 5.00; 1% of 25,000 = 250
    expect(ibkrOrderCommission(fixed, 1000, 1000 * 25)).toBeCloseTo(5, 10);
  });

  it('caps at 1% of the value, also below the minimum', () => {
    // 500 × 0.005 = 2.50 → 1.00 minimum, but 1% of 500 × 0.10 = 50 is 0.50 → 0.50
    expect(ibkrOrderCommission(fixed, 500, 500 * 0.1)).toBeCloseTo(0.5, 10);
    // 10,000 × 0.005 = 50.00 > 1% of 2,000 = 20.00 → 20.00
    expect(ibkrOrderCommission(fixed, 10_000, 10_000 * 0.2)).toBeCloseTo(20, 10);
  });

  it('charges nothing for nothing executed', () => {
    expect(ibkrOrderCommission(fixed, 0, 0)).toBe(0);
  });
});

describe('tiered plan: month volume tiers, USD 0.35 minimum, 1% maximum, plus clearing', () => {
  it('first tier with clearing', () => {
    // 100 × 0.0035 = 0.35 (= the minimum) + clearing 100 × 0.0002 = 0.02 → 0.37
    expect(ibkrOrderCommission(tiered, 100, 100 * 50, 0)).toBeCloseTo(0.37, 10);
  });

  it('second tier once the month is above 300,000 shares; exactly 300,000 is still the first', () => {
    // above 300,000: 1,000 × 0.0020 = 2.00 + 1,000 × 0.0002 = 0.20 → 2.20
    expect(ibkrOrderCommission(tiered, 1000, 1000 * 20, 400_000)).toBeCloseTo(2.2, 10);
    // "≤ 300,000 shares": 1,000 × 0.0035 = 3.50 + 0.20 → 3.70
    expect(ibkrOrderCommission(tiered, 1000, 1000 * 20, 300_000)).toBeCloseTo(3.7, 10);
  });

  it('the lowest tier above 100,000,000 shares', () => {
    // 10,000 × 0.0005 = 5.00 + 10,000 × 0.0002 = 2.00 → 7.00
    expect(ibkrOrderCommission(tiered, 10_000, 10_000 * 30, 150_000_000)).toBeCloseTo(7, 10);
  });
});

describe('IbkrFeeModel', () => {
  it('splits an order commission over its fills: the first pays the minimum, the rest the increase', () => {
    const model = new IbkrFeeModel(fixed);
    // 100 of 1,000 at 25: commission(100) = max(0.50, 1.00) = 1.00
    const first = model.fillFee(AAPL, { shares: 0, value: 0 }, 100, 25, 'buy', JANUARY);
    model.record(100, JANUARY);
    // then 900: commission(1,000) = 5.00, minus the 1.00 charged → 4.00
    const second = model.fillFee(AAPL, { shares: 100, value: 2500 }, 900, 25, 'buy', JANUARY);
    expect([first, second]).toEqual([1, 4]);
  });

  it("takes the tier from the month's volume before the order, and starts again each month", () => {
    const model = new IbkrFeeModel(tiered);
    model.record(300_000, JANUARY);
    // exactly 300,000 this month: first tier → 3.50 + 0.20 = 3.70
    expect(model.fillFee(AAPL, { shares: 0, value: 0 }, 1000, 20, 'buy', JANUARY)).toBe(3.7);
    model.record(1, JANUARY);
    // 300,001: second tier → 2.00 + 0.20 = 2.20
    expect(model.fillFee(AAPL, { shares: 0, value: 0 }, 1000, 20, 'buy', JANUARY)).toBe(2.2);
    // a new month: back to the first tier
    expect(model.monthShares(FEBRUARY)).toBe(0);
    expect(model.fillFee(AAPL, { shares: 0, value: 0 }, 1000, 20, 'buy', FEBRUARY)).toBe(3.7);
  });

  it('adds regulatory fees on sales only, rounded to the cent', () => {
    const model = new IbkrFeeModel(
      IbkrFeesSchema.parse({ sellFeeRate: 0.0000278, sellFeePerShare: 0.000166 }),
    );
    // 1,000 at 20: commission 5.00; sale value 20,000 × 0.0000278 = 0.556; 1,000 × 0.000166 = 0.166
    // 5.00 + 0.556 + 0.166 = 5.722 → 5.72
    expect(model.fillFee(AAPL, { shares: 0, value: 0 }, 1000, 20, 'sell', JANUARY)).toBe(5.72);
    expect(model.fillFee(AAPL, { shares: 0, value: 0 }, 1000, 20, 'buy', JANUARY)).toBe(5);
  });
});
