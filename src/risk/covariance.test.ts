// Covariance: the batch estimate and the Cholesky factor on hand-worked matrices, the singular and
// non-covariance cases, and the rolling window against a batch recomputation of the same rows.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RollingReturnWindow, choleskyFactor, sampleCovariance } from './covariance.ts';
import { VarInputError } from './var.ts';

describe('sample covariance', () => {
  it('divides by n − 1', () => {
    // x = 0.01, 0.03, −0.01 (mean 0.01; deviations 0, 0.02, −0.02); y = 0.02, 0.00, 0.01 (mean 0.01; 0.01, −0.01, 0).
    // var x = (0 + 4 + 4)·10⁻⁴ / 2 = 4·10⁻⁴; var y = (1 + 1 + 0)·10⁻⁴ / 2 = 1·10⁻⁴; cov = (0 − 2 + 0)·10⁻⁴ / 2 = −1·10⁻⁴.
    const { mean, covariance } = sampleCovariance([
      [0.01, 0.03, -0.01],
      [0.02, 0.0, 0.01],
    ]);
    expect(mean[0]).toBeCloseTo(0.01, 15);
    expect(mean[1]).toBeCloseTo(0.01, 15);
    expect(covariance[0]).toBeCloseTo(4e-4, 15);
    expect(covariance[3]).toBeCloseTo(1e-4, 15);
    expect(covariance[1]).toBeCloseTo(-1e-4, 15);
    expect(covariance[2]).toBe(covariance[1]);
  });

  it('needs two returns and equal lengths', () => {
    expect(() => sampleCovariance([[0.01]])).toThrow(/at least 2 returns/);
    expect(() => sampleCovariance([[0.01, 0.02], [0.01]])).toThrow(/series 2 has 1 returns/);
  });
});

describe('Cholesky factor', () => {
  it('factors a positive definite matrix', () => {
    // [[4, 2], [2, 3]]: L₀₀ = √4 = 2, L₁₀ = 2/2 = 1, L₁₁ = √(3 − 1) = √2.
    const { factor, rank, dependent } = choleskyFactor(Float64Array.from([4, 2, 2, 3]), 2);
    expect(Array.from(factor)).toEqual([2, 0, 1, Math.SQRT2]);
    expect(rank).toBe(2);
    expect(dependent).toEqual([]);
  });

  it('leaves a dependent factor empty instead of failing on a singular covariance', () => {
    // Two identical series: [[1, 1], [1, 1]] → L = [[1, 0], [1, 0]], rank 1; L·Lᵀ is the matrix again.
    const { factor, rank, dependent } = choleskyFactor(Float64Array.from([1, 1, 1, 1]), 2);
    expect(Array.from(factor)).toEqual([1, 0, 1, 0]);
    expect(rank).toBe(1);
    expect(dependent).toEqual([1]);
  });

  it('refuses a matrix that is no covariance, naming the problem', () => {
    // [[1, 2], [2, 1]] has eigenvalues 3 and −1: the second pivot is 1 − 4 = −3.
    expect(() => choleskyFactor(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(VarInputError);
    expect(() => choleskyFactor(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(/not positive semi-definite/);
    expect(() => choleskyFactor(Float64Array.from([1, 0.5, 0.2, 1]), 2)).toThrow(
      /\(2, 1\) is 0.2 but \(1, 2\) is 0.5/,
    );
    expect(() => choleskyFactor(Float64Array.from([Number.NaN, 0, 0, 1]), 2)).toThrow(/variance 1 is NaN/);
  });
});

describe('rolling return window', () => {
  it('keeps the covariance of exactly the last rows through wrap-around and rebuilds', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: -300, max: 300 }), { minLength: 3, maxLength: 3 }), {
          minLength: 2,
          maxLength: 40,
        }),
        fc.integer({ min: 2, max: 9 }),
        (rows, capacity) => {
          const window = new RollingReturnWindow(3, capacity);
          const row = new Float64Array(3);
          const valid = Uint8Array.from([1, 1, 1]);
          for (const values of rows) {
            for (let j = 0; j < 3; j++) row[j] = values[j]! / 10_000;
            window.push(row, valid, 60_000_000);
          }
          const kept = rows.slice(-capacity);
          expect(window.rows).toBe(kept.length);
          const columns = [0, 1, 2].map((j) => kept.map((values) => values[j]! / 10_000));
          const expected = sampleCovariance(columns).covariance;
          const actual = new Float64Array(9);
          window.covariance(actual);
          for (let k = 0; k < 9; k++) expect(actual[k]).toBeCloseTo(expected[k]!, 12);
        },
      ),
    );
  });

  it('counts only returns with a price at both ends as history', () => {
    const window = new RollingReturnWindow(2, 3);
    const row = Float64Array.from([0.01, 0.02]);
    window.push(row, Uint8Array.from([1, 0]), 1);
    window.push(row, Uint8Array.from([1, 1]), 1);
    expect(window.validCount(0)).toBe(2);
    expect(window.validCount(1)).toBe(1);
    window.push(row, Uint8Array.from([0, 1]), 1);
    window.push(row, Uint8Array.from([0, 1]), 1); // replaces the first row
    expect(window.validCount(0)).toBe(1);
    expect(window.validCount(1)).toBe(3);
  });

  it('reports the median time between samples', () => {
    // Spacings 60, 60, 180 (a gap) and 60 s: median (60 + 60)/2 = 60 s.
    const window = new RollingReturnWindow(1, 10);
    const row = Float64Array.from([0]);
    const valid = Uint8Array.from([1]);
    for (const seconds of [60, 60, 180, 60]) window.push(row, valid, seconds * 1_000_000);
    expect(window.medianSpacing()).toBe(60_000_000);
  });
});
