// A client-side request limiter over sliding windows (e.g. 10 per second and 200 per minute): callers wait
// their turn, urgent ones (cancels) ahead of the rest, so the venue's own limit is never reached; after a 429
// everything pauses for a back-off.

import type { Clock } from '../../common/clock.ts';

export interface RateWindow {
  readonly limit: number;
  readonly windowMicros: number;
}

interface Window {
  readonly limit: number;
  readonly windowMicros: number;
  /** The last `limit` grant times, a ring. */
  readonly times: Float64Array;
  head: number;
  count: number;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export class RateLimiter {
  private readonly windows: Window[];
  private readonly urgent: Waiter[] = [];
  private readonly normal: Waiter[] = [];
  private pausedUntil = 0;
  private armedAt = Number.POSITIVE_INFINITY;
  private readonly onTimer = (): void => {
    this.armedAt = Number.POSITIVE_INFINITY;
    this.drain();
  };
  /** Grants so far. */
  granted = 0;

  constructor(
    private readonly clock: Clock,
    private readonly timerName: string,
    windows: readonly RateWindow[],
  ) {
    this.windows = windows.map((w) => ({
      limit: w.limit,
      windowMicros: w.windowMicros,
      times: new Float64Array(w.limit),
      head: 0,
      count: 0,
    }));
  }

  /** Resolves when the request may be sent (at once when allowed); rejects if the limiter is cleared. */
  acquire(urgent = false): Promise<void> {
    const now = this.clock.now();
    if (this.urgent.length === 0 && this.normal.length === 0 && this.nextAllowed(now) <= now) {
      this.record(now);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      (urgent ? this.urgent : this.normal).push({ resolve, reject });
      this.arm(this.nextAllowed(this.clock.now()));
    });
  }

  /** Sends nothing before `untilMicros` (after a 429). */
  pause(untilMicros: number): void {
    if (untilMicros > this.pausedUntil) this.pausedUntil = untilMicros;
  }

  /** Rejects every waiting request with `error` (a dead token: nothing queued may leave). */
  clear(error: Error): void {
    this.clock.cancelTimer(this.timerName);
    this.armedAt = Number.POSITIVE_INFINITY;
    const waiting = [...this.urgent, ...this.normal];
    this.urgent.length = 0;
    this.normal.length = 0;
    for (const waiter of waiting) waiter.reject(error);
  }

  get queued(): number {
    return this.urgent.length + this.normal.length;
  }

  /** Earliest time (µs) a request may be sent. */
  private nextAllowed(now: number): number {
    let at = Math.max(now, this.pausedUntil);
    for (const w of this.windows) {
      if (w.count < w.limit) continue;
      const oldest = w.times[w.head] as number;
      const free = oldest + w.windowMicros;
      if (free > at) at = free;
    }
    return at;
  }

  private record(now: number): void {
    this.granted++;
    for (const w of this.windows) {
      if (w.count < w.limit) {
        w.times[(w.head + w.count) % w.limit] = now;
        w.count++;
      } else {
        w.times[w.head] = now;
        w.head = (w.head + 1) % w.limit;
      }
    }
  }

  private drain(): void {
    let now = this.clock.now();
    while (this.urgent.length + this.normal.length > 0) {
      const at = this.nextAllowed(now);
      if (at > now) {
        this.arm(at);
        return;
      }
      this.record(now);
      const waiter = (this.urgent.length > 0 ? this.urgent.shift() : this.normal.shift()) as Waiter;
      waiter.resolve();
      now = this.clock.now();
    }
  }

  private arm(at: number): void {
    if (at >= this.armedAt) return;
    this.armedAt = at;
    this.clock.setTimer(this.timerName, at, this.onTimer);
  }
}
