// Tests of the seeded generator: reproducibility and the moments of its uniforms and normals.

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
