// The control plane on Redis hashes: a synchronous local view of each key, kept current from other processes.
// Keyspace notifications (or HGETALL polling when the server refuses CONFIG) bring `redis-cli HSET` to listeners.

import type { Redis } from 'ioredis';
import type { ControlPlane, Subscription } from '../common/bus.ts';
import type { Logger } from '../common/logging.ts';

type ChangeListener = (key: string, field: string, value: string | undefined) => void;

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

export interface RedisControlPlaneOptions {
  /** Connection for HGETALL / HSET / HDEL / CONFIG. */
  readonly command: Redis;
  /** A connection this plane puts in subscriber mode for keyspace notifications. */
  readonly subscriber: Redis;
  readonly keyPrefix: string;
  /** The logical database of both connections (keyspace channels name it). */
  readonly database: number;
  /** The keys loaded at start and watched from then on (more are watched as `set`/`delete` touch them). */
  readonly keys: readonly string[];
  /** Polling period when keyspace notifications cannot be enabled. */
  readonly pollIntervalMs: number;
  readonly logger: Logger;
}

/** How changes made by other processes arrive. */
export type ControlChangeSource = 'notifications' | 'polling';

/** HSET a versioned JSON document only over an older one (cjson in the server: one atomic step). */
const SET_VERSIONED = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local ok, doc = pcall(cjson.decode, current)
  if ok and type(doc) == 'table' and type(doc.version) == 'number' and doc.version >= tonumber(ARGV[3]) then
    return 0
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`;

export class RedisControlPlane implements ControlPlane {
  private readonly hashes = new Map<string, Record<string, string>>();
  private readonly listeners = new Set<ChangeListener>();
  private readonly watched = new Set<string>();
  private readonly channelKeys = new Map<string, string>();
  /** Bumped by every local write, so a re-read sent before that write is not taken for the truth. */
  private readonly writeSequence = new Map<string, number>();
  private readonly reading = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly command: Redis;
  private readonly subscriber: Redis;
  private readonly prefix: string;
  private readonly logger: Logger;
  private pollTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private sourceMode: ControlChangeSource = 'notifications';

  constructor(private readonly options: RedisControlPlaneOptions) {
    this.command = options.command;
    this.subscriber = options.subscriber;
    this.prefix = options.keyPrefix;
    this.logger = options.logger;
  }

  /** How remote changes arrive: keyspace notifications, or polling when CONFIG was refused. */
  get source(): ControlChangeSource {
    return this.sourceMode;
  }

  /**
   * Enables keyspace notifications (merging `Kh` into the server's flags), subscribes to each key's channel,
   * then loads every key. Both connections must be connected already.
   */
  async start(): Promise<void> {
    this.subscriber.on('message', (channel: string) => {
      const key = this.channelKeys.get(channel);
      if (key !== undefined) this.refresh(key);
    });
    for (const key of this.options.keys) this.watched.add(key);
    const notifying = await this.enableNotifications();
    if (notifying) {
      const channels: string[] = [];
      for (const key of this.watched) channels.push(this.channelFor(key));
      if (channels.length > 0) await this.subscriber.subscribe(...channels);
    } else {
      this.startPolling();
    }
    await Promise.all([...this.watched].map((key) => this.read(key)));
    // After an outage: the server may have restarted (its CONFIG reset) and changes went unseen meanwhile.
    this.command.on('ready', () => {
      void this.resynchronize();
    });
    this.subscriber.on('ready', () => {
      for (const key of this.watched) this.refresh(key);
    });
  }

  get(key: string, field: string): string | undefined {
    return this.hashes.get(key)?.[field];
  }

  getAll(key: string): Readonly<Record<string, string>> {
    return this.hashes.get(key) ?? EMPTY;
  }

  async set(key: string, field: string, value: string): Promise<void> {
    this.watch(key);
    this.writeSequence.set(key, (this.writeSequence.get(key) ?? 0) + 1);
    this.apply(key, field, value);
    try {
      await this.command.hset(this.prefix + key, field, value);
    } catch (error) {
      this.refresh(key);
      throw error;
    }
  }

  async setVersioned(key: string, field: string, value: string, version: number): Promise<boolean> {
    this.watch(key);
    this.writeSequence.set(key, (this.writeSequence.get(key) ?? 0) + 1);
    let set: unknown;
    try {
      set = await this.command.eval(SET_VERSIONED, 1, this.prefix + key, field, value, String(version));
    } catch (error) {
      this.refresh(key);
      throw error;
    }
    if (set === 1) this.apply(key, field, value);
    else this.refresh(key); // a newer one is there: take it
    return set === 1;
  }

  async delete(key: string, field: string): Promise<void> {
    this.watch(key);
    this.writeSequence.set(key, (this.writeSequence.get(key) ?? 0) + 1);
    this.apply(key, field, undefined);
    try {
      await this.command.hdel(this.prefix + key, field);
    } catch (error) {
      this.refresh(key);
      throw error;
    }
  }

  onChange(listener: ChangeListener): Subscription {
    this.listeners.add(listener);
    return { unsubscribe: () => this.listeners.delete(listener) };
  }

  close(): void {
    this.closed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  private channelFor(key: string): string {
    const channel = `__keyspace@${this.options.database}__:${this.prefix}${key}`;
    this.channelKeys.set(channel, key);
    return channel;
  }

  private watch(key: string): void {
    if (this.watched.has(key)) return;
    this.watched.add(key);
    if (this.sourceMode === 'notifications') {
      this.subscriber.subscribe(this.channelFor(key)).then(
        () => this.refresh(key),
        (error: unknown) => this.logger.warn('cannot watch control key', { key, error: String(error) }),
      );
    }
  }

  private async enableNotifications(): Promise<boolean> {
    try {
      const reply: unknown = await this.command.config('GET', 'notify-keyspace-events');
      const current = Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : '';
      let merged = current;
      if (!merged.includes('K')) merged += 'K';
      if (!merged.includes('h') && !merged.includes('A')) merged += 'h';
      if (merged !== current) await this.command.config('SET', 'notify-keyspace-events', merged);
      return true;
    } catch (error) {
      this.logger.warn(
        `the server refused CONFIG (keyspace notifications): polling the control hashes every ${this.options.pollIntervalMs} ms instead`,
        { error: String(error) },
      );
      return false;
    }
  }

  private startPolling(): void {
    this.sourceMode = 'polling';
    if (this.pollTimer) return;
    this.pollTimer = setInterval(() => {
      for (const key of this.watched) this.refresh(key);
    }, this.options.pollIntervalMs);
    this.pollTimer.unref();
  }

  private async resynchronize(): Promise<void> {
    if (this.closed) return;
    if (this.sourceMode === 'notifications' && !(await this.enableNotifications())) this.startPolling();
    for (const key of this.watched) this.refresh(key);
  }

  /** Schedules a re-read of `key`; reads of one key never overlap (a change during a read re-reads once more). */
  private refresh(key: string): void {
    if (this.closed) return;
    if (this.reading.has(key)) {
      this.dirty.add(key);
      return;
    }
    void this.read(key);
  }

  private async read(key: string): Promise<void> {
    this.reading.add(key);
    try {
      do {
        this.dirty.delete(key);
        const sequence = this.writeSequence.get(key) ?? 0;
        const fresh = await this.command.hgetall(this.prefix + key);
        if (this.closed) return;
        // A local write sent after this read: its value is already in the view; read again to see both.
        if ((this.writeSequence.get(key) ?? 0) !== sequence) this.dirty.add(key);
        else this.replace(key, fresh);
      } while (this.dirty.has(key));
    } catch (error) {
      if (!this.closed) this.logger.warn('cannot read control key', { key, error: String(error) });
    } finally {
      this.reading.delete(key);
    }
  }

  /** Installs a freshly read hash and emits one change per field that differs from the local view. */
  private replace(key: string, fresh: Record<string, string>): void {
    const previous = this.hashes.get(key) ?? EMPTY;
    this.hashes.set(key, fresh);
    for (const field in fresh) {
      const value = fresh[field];
      if (previous[field] !== value) this.emit(key, field, value);
    }
    for (const field in previous) if (!(field in fresh)) this.emit(key, field, undefined);
  }

  private apply(key: string, field: string, value: string | undefined): void {
    let hash = this.hashes.get(key);
    if (hash?.[field] === value) return;
    if (!hash) {
      hash = {};
      this.hashes.set(key, hash);
    }
    if (value === undefined) delete hash[field];
    else hash[field] = value;
    this.emit(key, field, value);
  }

  private emit(key: string, field: string, value: string | undefined): void {
    for (const listener of this.listeners) {
      try {
        listener(key, field, value);
      } catch (error) {
        this.logger.error('control change listener failed', { key, field, error: String(error) });
      }
    }
  }
}
