// Latency-aware routing: each venue's submit → ack latency over a rolling window, and whether the venue is
// "slow" (its p95 above the band) so the router shifts its flow to another listing of the same symbol.
//
// Rules (registry.yaml, per venue `routing`; `policy:latency_routing <VENUE> on|off` switches it at run time):
// - A venue is judged once its window holds `minSamples` acks younger than `windowMicros`.
// - It turns slow when the window's p95 exceeds `p95LimitMicros`, and recovers when the p95 falls below
//   `recoverBelowMicros` — or when too few recent samples remain to judge (no flow is sent to a slow venue, so its
//   old samples age out: the next orders probe it again).
// - The cost model charges `costBpsPerMs` basis points per millisecond of the venue's median latency, so between
//   healthy venues the faster one wins a tie on price.

export interface LatencyBand {
  readonly enabled: boolean;
  readonly p95LimitMicros: number;
  readonly recoverBelowMicros: number;
  readonly windowMicros: number;
  readonly minSamples: number;
  readonly costBpsPerMs: number;
}

const CAPACITY = 512;

class VenueWindow {
  readonly times = new Float64Array(CAPACITY);
  readonly values = new Float64Array(CAPACITY);
  head = 0;
  size = 0;
  slow = false;
  sinceJudged = 0;
  private readonly scratch = new Float64Array(CAPACITY);

  add(time: number, micros: number): void {
    this.times[this.head] = time;
    this.values[this.head] = micros;
    this.head = (this.head + 1) % CAPACITY;
    if (this.size < CAPACITY) this.size++;
  }

  /** The samples younger than `windowMicros`, sorted, in the scratch buffer; returns how many. */
  recent(now: number, windowMicros: number): number {
    let n = 0;
    for (let i = 0; i < this.size; i++) {
      const index = (this.head - 1 - i + CAPACITY) % CAPACITY;
      if (now - this.times[index]! > windowMicros) break;
      this.scratch[n++] = this.values[index]!;
    }
    this.scratch.subarray(0, n).sort();
    return n;
  }

  quantile(n: number, q: number): number {
    if (n === 0) return Number.NaN;
    return this.scratch[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
  }
}

export interface VenueLatency {
  readonly venue: string;
  readonly samples: number;
  readonly p50Micros: number | null;
  readonly p95Micros: number | null;
  readonly slow: boolean;
  readonly enabled: boolean;
}

export type LatencyChange = {
  readonly venue: string;
  readonly slow: boolean;
  readonly p95Micros: number | null;
};

export class LatencyMonitor {
  private readonly windows = new Map<string, VenueWindow>();

  constructor(
    private readonly bandOf: (venue: string) => LatencyBand | undefined,
    private readonly enabledAtRuntime: (venue: string) => boolean | undefined,
  ) {}

  private isEnabled(venue: string): boolean {
    const band = this.bandOf(venue);
    if (!band) return false;
    return this.enabledAtRuntime(venue) ?? band.enabled;
  }

  /** Records an ack; returns the venue's change of state, if this sample changed it. */
  record(venue: string, now: number, micros: number): LatencyChange | undefined {
    let window = this.windows.get(venue);
    if (!window) {
      window = new VenueWindow();
      this.windows.set(venue, window);
    }
    window.add(now, micros);
    // Judged every 16th ack (a sort of the window), and on every ack while slow.
    if (!window.slow && ++window.sinceJudged < 16) return undefined;
    window.sinceJudged = 0;
    return this.evaluate(venue, window, now);
  }

  /** Whether the router should keep flow away from `venue` now (re-judged: old samples age out). */
  isSlow(venue: string, now: number): boolean {
    const window = this.windows.get(venue);
    if (!window || !window.slow) return false;
    const change = this.evaluate(venue, window, now);
    if (change) this.pending.push(change);
    return window.slow;
  }

  /** State changes noticed while answering `isSlow` (recoveries by ageing), for the caller to report. */
  readonly pending: LatencyChange[] = [];

  /** Median latency in ms for the cost model (0 without data). */
  costBps(venue: string, now: number): number {
    const band = this.bandOf(venue);
    const window = this.windows.get(venue);
    if (!band || !window || band.costBpsPerMs === 0 || !this.isEnabled(venue)) return 0;
    const n = window.recent(now, band.windowMicros);
    if (n === 0) return 0;
    return (window.quantile(n, 0.5) / 1000) * band.costBpsPerMs;
  }

  status(now: number): VenueLatency[] {
    const out: VenueLatency[] = [];
    for (const [venue, window] of this.windows) {
      const band = this.bandOf(venue);
      const n = window.recent(now, band?.windowMicros ?? Number.POSITIVE_INFINITY);
      out.push({
        venue,
        samples: n,
        p50Micros: n > 0 ? window.quantile(n, 0.5) : null,
        p95Micros: n > 0 ? window.quantile(n, 0.95) : null,
        slow: window.slow,
        enabled: this.isEnabled(venue),
      });
    }
    return out;
  }

  private evaluate(venue: string, window: VenueWindow, now: number): LatencyChange | undefined {
    const band = this.bandOf(venue);
    if (!band || !this.isEnabled(venue)) {
      if (!window.slow) return undefined;
      window.slow = false;
      return { venue, slow: false, p95Micros: null };
    }
    const n = window.recent(now, band.windowMicros);
    const p95 = n > 0 ? window.quantile(n, 0.95) : null;
    if (!window.slow && n >= band.minSamples && p95 !== null && p95 > band.p95LimitMicros) {
      window.slow = true;
      return { venue, slow: true, p95Micros: p95 };
    }
    if (window.slow && (n < band.minSamples || (p95 !== null && p95 < band.recoverBelowMicros))) {
      window.slow = false;
      return { venue, slow: false, p95Micros: p95 };
    }
    return undefined;
  }
}
