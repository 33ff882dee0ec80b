// Bounded retention of what a long-running process would otherwise keep for ever (closed orders, the ids it
// has seen). Keys leave in the order they came, once older than a horizon or beyond a count; the caller decides
// what leaving means and may hold a key back (e.g. until it is persisted), which holds back the keys behind it.

import { ConfigError } from './errors.ts';

/** How long closed orders and the ids of what was seen stay in memory (µs); undefined fields keep for ever. */
export interface RetentionSettings {
  /** A closed order's full record stays this long after it closed (µs). */
  readonly closedOrdersMicros: number;
  /** At most this many closed orders are held; the oldest leave first. */
  readonly maxClosedOrders: number;
  /** The id of a released order and the trade ids of its fills stay this long (duplicates are recognised) (µs). */
  readonly idsMicros: number;
}

export const DEFAULT_RETENTION: RetentionSettings = {
  closedOrdersMicros: 600 * 1_000_000,
  maxClosedOrders: 100_000,
  idsMicros: 24 * 3_600 * 1_000_000,
};

/**
 * The retention of a live or paper process from its environment: HF_RETAIN_CLOSED_SECONDS (600),
 * HF_RETAIN_MAX_CLOSED (100000), HF_RETAIN_IDS_HOURS (24); HF_RETAIN_CLOSED_SECONDS=0 keeps every order.
 * A value that is not a non-negative number is a ConfigError naming the variable.
 */
export function retentionFromEnv(env: NodeJS.ProcessEnv = process.env): RetentionSettings | undefined {
  const read = (key: string, fallback: number): number => {
    const text = env[key];
    if (text === undefined || text.trim() === '') return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0)
      throw new ConfigError(
        'environment',
        key,
        `expected a non-negative number, got ${JSON.stringify(text)}`,
      );
    return value;
  };
  const closedSeconds = read('HF_RETAIN_CLOSED_SECONDS', DEFAULT_RETENTION.closedOrdersMicros / 1e6);
  if (closedSeconds === 0) return undefined;
  const max = read('HF_RETAIN_MAX_CLOSED', DEFAULT_RETENTION.maxClosedOrders);
  const idsHours = read('HF_RETAIN_IDS_HOURS', DEFAULT_RETENTION.idsMicros / 3.6e9);
  return {
    closedOrdersMicros: closedSeconds * 1e6,
    maxClosedOrders: max === 0 ? Number.POSITIVE_INFINITY : max,
    // The ids outlive the records they stand for.
    idsMicros: Math.max(idsHours * 3.6e9, closedSeconds * 1e6),
  };
}

/** Keys with the time they were added, oldest first (a ring that compacts itself; no per-key allocation). */
export class RetentionQueue<K> {
  private keys: K[] = [];
  private times: number[] = [];
  private head = 0;

  constructor(
    readonly horizonMicros: number,
    readonly max = Number.POSITIVE_INFINITY,
  ) {}

  get size(): number {
    return this.keys.length - this.head;
  }

  push(key: K, at: number): void {
    this.keys.push(key);
    this.times.push(at);
  }

  /** Whether the oldest key is due at `now` (cheap: call it on every event). */
  due(now: number): boolean {
    if (this.head >= this.keys.length) return false;
    return this.size > this.max || (this.times[this.head] as number) <= now - this.horizonMicros;
  }

  /**
   * Hands every due key to `release`, oldest first; a key it returns false for stays (with the ones behind it)
   * until the next call. Returns how many left.
   */
  drain(now: number, release: (key: K, at: number) => boolean): number {
    let released = 0;
    while (this.due(now)) {
      const key = this.keys[this.head] as K;
      if (!release(key, this.times[this.head] as number)) break;
      this.head++;
      released++;
    }
    if (this.head > 1024 && this.head * 2 > this.keys.length) {
      this.keys = this.keys.slice(this.head);
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    return released;
  }
}

/** A map whose entries expire `horizonMicros` after they were set (setting a key again restarts its time). */
export class ExpiringMap<K, V> {
  private readonly entries = new Map<K, { value: V; at: number }>();
  private readonly queue: RetentionQueue<K>;

  constructor(
    horizonMicros: number,
    private readonly onExpire?: (key: K, value: V) => void,
  ) {
    this.queue = new RetentionQueue<K>(horizonMicros);
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  set(key: K, value: V, at: number): void {
    this.entries.set(key, { value, at });
    this.queue.push(key, at);
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  /** Drops the entries older than the horizon at `now`. */
  prune(now: number): void {
    if (!this.queue.due(now)) return;
    this.queue.drain(now, (key, at) => {
      const entry = this.entries.get(key);
      // Set again since (a later time) or deleted: this queue slot is stale.
      if (entry !== undefined && entry.at === at) {
        this.entries.delete(key);
        this.onExpire?.(key, entry.value);
      }
      return true;
    });
  }
}
