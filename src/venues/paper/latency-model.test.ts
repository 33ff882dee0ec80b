// Latency model: base delay, seeded jitter bounds, zero detection.

import { describe, expect, it } from 'vitest';
import { LatencyModelSchema } from '../../common/registry.ts';
import { SeededLatencyModel } from './latency-model.ts';
import { SeededRandom } from '../../common/random.ts';

const model = (base: number, jitter: number, seed = 1) =>
  new SeededLatencyModel(
    LatencyModelSchema.parse({ baseMicros: base, jitterMicros: jitter }),
    new SeededRandom(seed),
  );

describe('SeededLatencyModel', () => {
  it('zero config is zero and synchronous', () => {
    const m = model(0, 0);
    expect(m.isZero).toBe(true);
    expect(m.sampleMicros()).toBe(0);
  });

  it('base only: always the base', () => {
    const m = model(250, 0);
    expect(m.isZero).toBe(false);
    expect(new Set(Array.from({ length: 50 }, () => m.sampleMicros()))).toEqual(new Set([250]));
  });

  it('jitter: whole microseconds in [base, base + jitter), covering the range, reproducible by seed', () => {
    const a = Array.from({ length: 5000 }, () => 0);
    const m = model(100, 10, 5);
    for (let i = 0; i < a.length; i++) a[i] = m.sampleMicros();
    expect(a.every((x) => Number.isInteger(x) && x >= 100 && x < 110)).toBe(true);
    expect(new Set(a).size).toBe(10);
    const again = model(100, 10, 5);
    expect(a.map(() => again.sampleMicros())).toEqual(a);
  });
});
