// Seeded PRNG: reproducible streams, range, and different seeds giving different streams.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from './random.ts';

const take = (r: SeededRandom, n: number) => Array.from({ length: n }, () => r.next());

describe('SeededRandom', () => {
  it('the same seed reproduces the same stream; another seed does not', () => {
    expect(take(new SeededRandom(1234), 100)).toEqual(take(new SeededRandom(1234), 100));
    expect(take(new SeededRandom(1234), 100)).not.toEqual(take(new SeededRandom(1235), 100));
  });

  it('property: values are in [0, 1) and nextInt in [0, bound)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 2, max: 1_000_000 }), (seed, bound) => {
        const r = new SeededRandom(seed);
        for (let i = 0; i < 50; i++) {
          const x = r.next();
          expect(x >= 0 && x < 1).toBe(true);
          const k = r.nextInt(bound);
          expect(Number.isInteger(k) && k >= 0 && k < bound).toBe(true);
        }
      }),
    );
  });

  it('is roughly uniform (mean and spread of 100 000 draws)', () => {
    const xs = take(new SeededRandom(99), 100_000);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    expect(mean).toBeCloseTo(0.5, 2); // uniform mean 1/2
    expect(variance).toBeCloseTo(1 / 12, 2); // uniform variance 1/12
  });

  it('accepts any seed without throwing', () => {
    for (const seed of [Number.NaN, Number.POSITIVE_INFINITY, -1, 2 ** 40, 0.5])
      expect(new SeededRandom(seed).next()).toBeGreaterThanOrEqual(0);
  });
});
