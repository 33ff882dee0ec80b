// Tests of the seeded generator: reproducibility and the moments of its uniforms and normals.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from './random.ts';

describe('SeededRandom', () => {
  it('repeats a sequence for a seed and differs between nearby seeds', () => {
    const draw = (seed: number): number[] => {
      const random = new SeededRandom(seed);
      return Array.from({ length: 100 }, () => random.nextUint32());
    };
    expect(draw(1)).toEqual(draw(1));
    const one = draw(1);
    const two = draw(2);
    expect(one.filter((x, i) => x === two[i]).length).toBeLessThan(2);
  });

  it('draws uniforms in (0, 1) and normals with mean 0 and variance 1 (within 5 standard errors)', () => {
    const random = new SeededRandom(12345);
    const n = 200_000;
    let uniformSum = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = random.uniform();
      uniformSum += u;
      if (u < min) min = u;
      if (u > max) max = u;
    }
    expect(min).toBeGreaterThan(0);
    expect(max).toBeLessThan(1);
    // A uniform has variance 1/12.
    expect(Math.abs(uniformSum / n - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));

    let sum = 0;
    let squares = 0;
    let fourth = 0;
    for (let i = 0; i < n; i++) {
      const z = random.normal();
      sum += z;
      squares += z * z;
      fourth += z ** 4;
    }
    expect(Math.abs(sum / n)).toBeLessThan(5 / Math.sqrt(n));
    // z² has variance 2 for a standard normal; z⁴ has mean 3.
    expect(Math.abs(squares / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(fourth / n - 3)).toBeLessThan(0.2);
  });

  it('draws integers in [0, n)', () => {
    const random = new SeededRandom(9);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[random.integer(3)]!++;
    for (const c of counts)
      expect(Math.abs(c - 10_000)).toBeLessThan(5 * Math.sqrt(30_000 * (1 / 3) * (2 / 3)));
  });
});

const take = (r: SeededRandom, n: number) => Array.from({ length: n }, () => r.next());

describe('SeededRandom: next() and nextInt()', () => {
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
