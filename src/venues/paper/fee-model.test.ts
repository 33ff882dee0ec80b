// Fee model: maker / taker bps, per-unit, minimum, rebates and minor-unit rounding.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FeeScheduleSchema } from '../../common/registry.ts';
import { makeInstrument } from '../../model/index.ts';
import { FeeModel } from './fee-model.ts';

const usd = makeInstrument({
  symbol: 'AAPL',
  venue: 'PAPER',
  assetClass: 'equity',
  currency: 'USD',
  tickSize: 0.01,
  lotSize: 1,
  region: 'US',
  sector: 'technology',
});
const jpy = makeInstrument({ ...usd, symbol: '7203', currency: 'JPY', tickSize: 1 });
const future = makeInstrument({ ...usd, symbol: 'ES', assetClass: 'future', tickSize: 0.25, multiplier: 50 });

const schedule = (s: Record<string, number>) => FeeScheduleSchema.parse(s);

describe('FeeModel', () => {
  it('charges taker and maker bps of notional', () => {
    const fees = new FeeModel(schedule({ makerBps: 1, takerBps: 3 }));
    // 250 × 40.00 = 10 000 notional: 3 bps = 3.00, 1 bp = 1.00
    expect(fees.fee(usd, 40, 250, 'taker')).toBe((10_000 * 3) / 10_000);
    expect(fees.fee(usd, 40, 250, 'maker')).toBe((10_000 * 1) / 10_000);
  });

  it('adds a per-unit charge and includes the contract multiplier in notional', () => {
    const fees = new FeeModel(schedule({ takerBps: 0.5, perUnit: 0.85 }));
    // 2 ES at 5000 × 50 = 500 000 notional: 0.5 bps = 25.00, plus 2 × 0.85
    expect(fees.fee(future, 5000, 2, 'taker')).toBe(25 + 1.7);
  });

  it('raises a positive fee to the minimum, never a rebate', () => {
    const fees = new FeeModel(schedule({ makerBps: -2, takerBps: 1, minimum: 1 }));
    expect(fees.fee(usd, 10, 1, 'taker')).toBe(1); // 0.001 computed
    expect(fees.fee(usd, 100, 1000, 'taker')).toBe(10); // above the minimum
    expect(fees.fee(usd, 100, 1000, 'maker')).toBe(-20); // rebate passes through
  });

  it('rounds half-even to the currency minor unit', () => {
    const fees = new FeeModel(schedule({ takerBps: 1 }));
    // 125 × 1.00 × 1 bp = 0.0125 → 0.01 (half-even at the third decimal: 1.25 cents → 1 cent)
    expect(fees.fee(usd, 1, 125, 'taker')).toBe(0.01);
    // 375 × 1.00 × 1 bp = 0.0375 → 0.04
    expect(fees.fee(usd, 1, 375, 'taker')).toBe(0.04);
    // JPY has no minor unit: 1 250 000 × 1 bp = 125; 1 255 000 × 1 bp = 125.5
    expect(fees.fee(jpy, 1250, 1000, 'taker')).toBe(125);
    expect(fees.fee(jpy, 1255, 1000, 'taker')).toBe(126); // 125.5 → 126 (even)
  });

  it('zero schedule charges nothing (and never -0)', () => {
    const fees = new FeeModel(schedule({}));
    expect(Object.is(fees.fee(usd, 100, 10, 'maker'), 0)).toBe(true);
    expect(Object.is(new FeeModel(schedule({ makerBps: -0.0001 })).fee(usd, 1, 1, 'maker'), 0)).toBe(true);
  });

  it('property: fee equals the formula rounded to cents, within half a cent, and respects the minimum', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }), // price in cents
        fc.integer({ min: 1, max: 100_000 }), // quantity
        fc.double({ min: -5, max: 20, noNaN: true }),
        fc.double({ min: 0, max: 0.05, noNaN: true }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        (cents, quantity, bps, perUnit, minimum) => {
          const price = cents / 100;
          const fee = new FeeModel(schedule({ takerBps: bps, perUnit, minimum })).fee(
            usd,
            price,
            quantity,
            'taker',
          );
          let raw = (price * quantity * bps) / 10_000 + perUnit * quantity;
          if (raw > 0 && raw < minimum) raw = minimum;
          expect(Math.abs(fee - raw)).toBeLessThanOrEqual(0.005 + 1e-9);
          expect(Math.round(fee * 100)).toBeCloseTo(fee * 100, 6);
          if (raw > 0) expect(fee).toBeGreaterThanOrEqual(Math.round(minimum * 100) / 100 - 1e-9);
        },
      ),
    );
  });
});
