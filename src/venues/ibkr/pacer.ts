// Pacing of everything one TWS session sends: IB allows 50 messages a second across all requests, over that it
// answers error 100 and eventually drops the session. A token bucket holds the adapter under its own limit;
// what waits stays here (not in the library's queue), so a dropped session hands it back unsent.

/**
 * Tokens refill at `perSecond` up to a tenth of a second's worth (at least one): any one-second window then
 * carries at most 1.1 × perSecond messages. Items leave in submission order; `deliver` is called inside
 * `enqueue` when a token is free, so an idle session adds no delay.
 */
export class MessagePacer<T> {
  private readonly capacity: number;
  private tokens: number;
  private refilledAt: number;
  private pausedUntil = 0;
  private readonly queue: T[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.flush();
  };

  constructor(
    private readonly perSecond: number,
    private readonly deliver: (item: T) => void,
    private readonly nowMs: () => number = () => performance.now(),
  ) {
    this.capacity = Math.max(1, perSecond / 10);
    this.tokens = this.capacity;
    this.refilledAt = nowMs();
  }

  /** Items waiting for a token. */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  enqueue(item: T): void {
    this.queue.push(item);
    this.flush();
  }

  /** Sends nothing for `ms` (after IB's error 100). */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.nowMs() + ms);
    this.tokens = 0;
    this.arm();
  }

  /** Removes and returns everything still waiting, in order (the session dropped: none of it was sent). */
  drain(): T[] {
    const out = this.queue.slice(this.head);
    this.queue.length = 0;
    this.head = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    return out;
  }

  private flush(): void {
    const now = this.nowMs();
    if (now < this.pausedUntil) {
      this.arm();
      return;
    }
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.refilledAt) * this.perSecond) / 1000);
    this.refilledAt = now;
    while (this.head < this.queue.length && this.tokens >= 1) {
      const item = this.queue[this.head] as T;
      this.queue[this.head] = undefined as unknown as T;
      this.head++;
      this.tokens -= 1;
      this.deliver(item);
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else this.arm();
  }

  private arm(): void {
    if (this.timer || this.waiting === 0) return;
    const now = this.nowMs();
    const untilToken = ((1 - this.tokens) * 1000) / this.perSecond;
    const delay = Math.max(this.pausedUntil - now, untilToken, 0);
    this.timer = setTimeout(this.onTimer, Math.ceil(delay));
    this.timer.unref();
  }
}
