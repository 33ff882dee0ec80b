// Exact money: scaled-integer notional, half-even rounding, quantization without drift.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decimalsOf,
  divRoundHalfEven,
  formatMinor,
  isMultipleOf,
  notionalMinor,
  quantize,
  toMinor,
} from './decimal.ts';

describe('decimal', () => {
  it('counts the decimals of an increment', () => {
    expect(decimalsOf(1)).toBe(0);
    expect(decimalsOf(0.01)).toBe(2);
    expect(decimalsOf(0.0005)).toBe(4);
    expect(decimalsOf(0.25)).toBe(2);
    expect(() => decimalsOf(0)).toThrow(RangeError);
  });

  it('rounds half to even', () => {
    expect(divRoundHalfEven(25n, 10n)).toBe(2n); // 2.5 → 2
    expect(divRoundHalfEven(35n, 10n)).toBe(4n); // 3.5 → 4
    expect(divRoundHalfEven(-25n, 10n)).toBe(-2n);
    expect(divRoundHalfEven(-35n, 10n)).toBe(-4n);
    expect(divRoundHalfEven(26n, 10n)).toBe(3n);
    expect(divRoundHalfEven(-26n, 10n)).toBe(-3n);
    expect(divRoundHalfEven(24n, -10n)).toBe(-2n);
  });

  it('computes notional exactly in minor units', () => {
    // 100 × 10.01 USD = 1001.00 → 100100 cents
    expect(notionalMinor(10.01, 100, 2, 0, 2)).toBe(100100n);
    // 0.3 × 0.5345 USD = 0.16035 USD = 16.035 cents → 16 (the remainder 0.035 is below half a cent)
    expect(notionalMinor(0.5345, 0.3, 4, 1, 2)).toBe(16n);
    // 7 × 0.125 = 0.875 → 87.5 cents → half-even → 88
    expect(notionalMinor(0.125, 7, 3, 0, 2)).toBe(88n);
    // 5 × 0.125 = 0.625 → 62.5 cents → half-even → 62
    expect(notionalMinor(0.125, 5, 3, 0, 2)).toBe(62n);
    // JPY has no minor unit: 3 × 101.5 = 304.5 → 304
    expect(notionalMinor(101.5, 3, 1, 0, 0)).toBe(304n);
  });

  it('converts amounts to minor units half-even and formats them exactly', () => {
    expect(toMinor(1.005, 2)).toBe(100n); // 100.5 cents → 100 (even)
    expect(toMinor(1.015, 2)).toBe(102n); // 101.5 → 102
    expect(toMinor(-0.5, 2)).toBe(-50n);
    expect(formatMinor(-12345n, 2)).toBe('-123.45');
    expect(formatMinor(5n, 2)).toBe('0.05');
    expect(formatMinor(42n, 0)).toBe('42');
  });

  it('quantizes a sum that cancels out to +0, never -0', () => {
    // 0.3 + (-3 × 0.1) is -5.55e-17 in binary floating point.
    expect(Object.is(quantize(0.3 + -3 * 0.1, 1), 0)).toBe(true);
    expect(Object.is(quantize(-0, 2), 0)).toBe(true);
    expect(quantize(Number.NaN, 2)).toBeNaN();
  });

  it('quantized sums never drift', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 200 }), (lots) => {
        let sum = 0;
        for (const l of lots) sum = quantize(sum + l * 0.1, 1);
        const exact = lots.reduce((a, b) => a + b, 0);
        expect(Math.round(sum * 10)).toBe(exact);
        expect(isMultipleOf(sum, 0.1)).toBe(true);
      }),
    );
  });
});
