// A fixed-memory latency histogram: log-spaced buckets (2% wide) from 0.1 to ~10^9 units, so recording is
// O(1) with no allocation and percentiles are within 2%. Used for stage latencies and the benches.

const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
const MIN = 0.1;
const BUCKETS = 1400;

export class Histogram {
  private readonly counts = new Float64Array(BUCKETS + 1);
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = 0;

  record(value: number): void {
    if (!(value >= 0)) return;
    const index = value <= MIN ? 0 : Math.min(BUCKETS, 1 + Math.floor(Math.log(value / MIN) / LOG_GROWTH));
    this.counts[index] = (this.counts[index] ?? 0) + 1;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  /** The value at quantile q in [0, 1] (upper edge of its bucket, capped at the observed max). */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i <= BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) {
        const upper = i === 0 ? MIN : MIN * GROWTH ** i;
        return Math.min(Math.max(upper, this.min), this.max);
      }
    }
    return this.max;
  }

  mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.max = 0;
  }

  summary(): { count: number; p50: number; p95: number; p99: number; max: number; mean: number } {
    return {
      count: this.count,
      p50: this.quantile(0.5),
      p95: this.quantile(0.95),
      p99: this.quantile(0.99),
      max: this.count === 0 ? 0 : this.max,
      mean: this.mean(),
    };
  }
}
