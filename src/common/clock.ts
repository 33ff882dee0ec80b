// Clocks. Time is unix microseconds as a number (exact integer until the year 2255): one clock is read
// by every engine, so backtest (simulated), paper and live (wall clock) differ only here.

export interface Clock {
  /** Unix microseconds. */
  now(): number;
  /** Calls `callback` once when the clock reaches `at` (unix µs). Replaces a timer of the same name. */
  setTimer(name: string, at: number, callback: () => void): void;
  cancelTimer(name: string): void;
}

interface Timer {
  readonly name: string;
  readonly at: number;
  readonly callback: () => void;
  readonly seq: number;
}

/** Driven by the data: `advanceTo` moves time forward and fires due timers in time order. */
export class SimulatedClock implements Clock {
  private time: number;
  private readonly timers = new Map<string, Timer>();
  private seq = 0;
  private nextDue = Number.POSITIVE_INFINITY;

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(name: string, at: number, callback: () => void): void {
    this.timers.set(name, { name, at, callback, seq: this.seq++ });
    if (at < this.nextDue) this.nextDue = at;
  }

  cancelTimer(name: string): void {
    this.timers.delete(name);
  }

  /** Moves time to `t` (never backwards), firing each timer due at or before `t` at its own time. */
  advanceTo(t: number): void {
    while (this.nextDue <= t) {
      let due: Timer | undefined;
      for (const timer of this.timers.values()) {
        if (timer.at <= t && (!due || timer.at < due.at || (timer.at === due.at && timer.seq < due.seq)))
          due = timer;
      }
      if (!due) break;
      this.timers.delete(due.name);
      if (due.at > this.time) this.time = due.at;
      due.callback();
      this.recomputeNextDue();
    }
    if (t > this.time) this.time = t;
  }

  private recomputeNextDue(): void {
    let next = Number.POSITIVE_INFINITY;
    for (const timer of this.timers.values()) if (timer.at < next) next = timer.at;
    this.nextDue = next;
  }
}

/**
 * Wall clock with microsecond resolution: `performance.now()` (a double, no allocation) anchored to the epoch
 * at construction. Timers never fire early: Node measures timeouts from its cached loop time, so a timer
 * that wakes before `at` is re-armed for the remainder.
 */
export class LiveClock implements Clock {
  private readonly epochMicros = Date.now() * 1000;
  private readonly perfStart = performance.now();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  now(): number {
    return this.epochMicros + Math.round((performance.now() - this.perfStart) * 1000);
  }

  setTimer(name: string, at: number, callback: () => void): void {
    this.cancelTimer(name);
    const arm = (): void => {
      const delayMs = Math.max(0, (at - this.now()) / 1000);
      const handle = setTimeout(() => {
        if (this.now() < at) {
          arm();
          return;
        }
        this.timers.delete(name);
        callback();
      }, Math.ceil(delayMs));
      handle.unref();
      this.timers.set(name, handle);
    };
    arm();
  }

  cancelTimer(name: string): void {
    const handle = this.timers.get(name);
    if (handle) {
      clearTimeout(handle);
      this.timers.delete(name);
    }
  }
}

export const MICROS_PER_SECOND = 1_000_000;
export const MICROS_PER_MILLI = 1_000;
