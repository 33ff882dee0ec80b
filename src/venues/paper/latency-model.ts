// Simulated one-way latency of requests to the paper venue: a fixed base plus seeded uniform jitter.

import type { LatencyModel } from '../../common/registry.ts';
import type { SeededRandom } from '../../common/random.ts';

export class SeededLatencyModel {
  private readonly baseMicros: number;
  private readonly jitterMicros: number;

  constructor(
    config: LatencyModel,
    private readonly random: SeededRandom,
  ) {
    this.baseMicros = Math.max(0, Math.trunc(config.baseMicros));
    this.jitterMicros = Math.max(0, Math.trunc(config.jitterMicros));
  }

  /** True when every request is acted on synchronously (no delay, no randomness drawn). */
  get isZero(): boolean {
    return this.baseMicros === 0 && this.jitterMicros === 0;
  }

  /** Delay in whole microseconds: base + uniform [0, jitter). Draws from the seeded stream only with jitter. */
  sampleMicros(): number {
    return this.jitterMicros === 0
      ? this.baseMicros
      : this.baseMicros + this.random.nextInt(this.jitterMicros);
  }
}
