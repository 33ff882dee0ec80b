// Per-key rate cap with conflation: at most one message per key (instrument) per interval; while a key waits,
// a newer message replaces its pending one, and a timer on the clock publishes the latest when the interval ends.

import type { Clock } from '../common/clock.ts';

export interface ThrottleOptions<T> {
  readonly clock: Clock;
  /** Minimum time between two messages of one key; 0 passes everything straight through. */
  readonly intervalMicros: number;
  readonly emit: (message: T) => void;
  /** Name of the throttle's timer on the clock: unique per throttle. */
  readonly timerName: string;
}

class KeyState<T> {
  lastEmit = Number.NEGATIVE_INFINITY;
  pending: T | undefined = undefined;
  hasPending = false;
}

/**
 * The first message of a key in an interval goes out at once; later ones in the same interval conflate into
 * one pending message (the latest), published when the interval ends. Pending messages of different keys are
 * published in the order they started waiting.
 */
export class ConflatingThrottle<T> {
  private readonly keys = new Map<string, KeyState<T>>();
  /** Keys with a pending message, in the order they started waiting. */
  private readonly waiting: KeyState<T>[] = [];
  private timerAt = Number.POSITIVE_INFINITY;
  private readonly onTimer = (): void => {
    this.timerAt = Number.POSITIVE_INFINITY;
    this.flushDue();
  };
  /** Messages offered, published, and replaced by a newer one before they went out. */
  offered = 0;
  emitted = 0;
  conflated = 0;

  constructor(private readonly options: ThrottleOptions<T>) {
    if (!(options.intervalMicros >= 0) || !Number.isFinite(options.intervalMicros))
      throw new RangeError(`throttle ${options.timerName}: intervalMicros must be a finite number ≥ 0`);
  }

  /** Messages waiting for their interval to end. */
  get pendingCount(): number {
    return this.waiting.length;
  }

  offer(key: string, message: T): void {
    this.offered++;
    let state = this.keys.get(key);
    if (!state) {
      state = new KeyState<T>();
      this.keys.set(key, state);
    }
    if (state.hasPending) {
      state.pending = message;
      this.conflated++;
      return;
    }
    const now = this.options.clock.now();
    const interval = this.options.intervalMicros;
    if (now - state.lastEmit >= interval) {
      state.lastEmit = now;
      this.publish(message);
      return;
    }
    state.pending = message;
    state.hasPending = true;
    this.waiting.push(state);
    this.arm(state.lastEmit + interval);
  }

  /** Publishes every pending message whose interval has ended (the timer calls this). */
  flushDue(): void {
    this.flush(false);
  }

  /** Publishes every pending message now, due or not (on stop). */
  flushAll(): void {
    this.flush(true);
  }

  /** Cancels the timer; pending messages stay until `flushAll`. */
  stop(): void {
    this.options.clock.cancelTimer(this.options.timerName);
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  private flush(all: boolean): void {
    const now = this.options.clock.now();
    const interval = this.options.intervalMicros;
    const waiting = this.waiting;
    let kept = 0;
    let nextDue = Number.POSITIVE_INFINITY;
    // Compacts `waiting` in place: the keys still waiting keep their order. A key that starts waiting while
    // this runs (a consumer offering again) is appended and kept.
    const count = waiting.length;
    for (let i = 0; i < count; i++) {
      const state = waiting[i] as KeyState<T>;
      const due = state.lastEmit + interval;
      if (all || due <= now) {
        const message = state.pending as T;
        state.pending = undefined;
        state.hasPending = false;
        state.lastEmit = now;
        this.publish(message);
      } else {
        waiting[kept++] = state;
        if (due < nextDue) nextDue = due;
      }
    }
    for (let i = count; i < waiting.length; i++) {
      const state = waiting[i] as KeyState<T>;
      waiting[kept++] = state;
      if (state.lastEmit + interval < nextDue) nextDue = state.lastEmit + interval;
    }
    waiting.length = kept;
    if (kept > 0) this.arm(nextDue);
  }

  private arm(at: number): void {
    if (at >= this.timerAt) return;
    this.timerAt = at;
    this.options.clock.setTimer(this.options.timerName, at, this.onTimer);
  }

  private publish(message: T): void {
    this.emitted++;
    this.options.emit(message);
  }
}
