// The Redis Streams bus: the Bus contract over consumer groups, for the distributed deployment.
//
// Same stream names and control keys as the in-process bus; pipelined publishing that survives outages,
// ack-after-handle reader loops, retries with backoff, dead-lettering, claiming of dead consumers' entries.
//
// Wire format: one field `data` holding the message as JSON. Bus messages are plain JSON values (numbers,
// strings, booleans, arrays, objects; no bigints, no cycles, no undefined inside arrays): time is unix µs as a
// number and money follows model/decimal.ts. An entry without `data`, with `data` that is not a JSON object, or
// with an object that has no string `type`, or whose fields do not fit its stream's schema
// (common/message-schemas.ts: a required field missing or of the wrong type) is malformed and goes straight to
// the dead-letter stream, with the first failing path as the reason.
//
// Publishing goes through its own connection (redis-writer.ts: pre-encoded XADD pipelines); reads, acks, claims
// and the control plane through ioredis. Delivery is at least once: an entry may be handled twice after a crash,
// a lost reply or a claim, so handlers must be idempotent (ARCHITECTURE.md §4).
//
// Timing inside this adapter (backoff, BLOCK, claim periods) is I/O plumbing measured on the monotonic
// performance clock; the injected Clock stamps the alerts it publishes.

import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { Bus, Handler, MessageOf, StreamName, Subscription } from '../common/bus.ts';
import { LiveClock, type Clock } from '../common/clock.ts';
import type { ReasonCode } from '../common/errors.ts';
import { createLogger, type Logger } from '../common/logging.ts';
import { checkWith, schemaForStream, type MessageCheck } from '../common/message-schemas.ts';
import { CONTROL_KEYS, PolicyDocumentsKey, Streams, VIEW_GROUP } from '../common/topics.ts';
import { maskUrl, unixSocketUrl } from '../common/url.ts';
import type { Alert, AlertSeverity } from '../model/index.ts';
import { RedisControlPlane } from './redis-control.ts';
import { StreamWriter, WriterConnectionError, xaddHead, type WriteFailure } from './redis-writer.ts';

export interface RedisBusOptions {
  /** `redis://[[user]:password@]host:port[/db]` (or `rediss://` for TLS). */
  readonly url: string;
  /**
   * This process's consumer name in every group; unique per process. Default `${hostname}-${pid}`. A second
   * subscription to the same stream and group in one process consumes as `<consumer>-2`, and so on.
   */
  readonly consumer?: string;
  /** Prepended to every stream, control hash and dead-letter key, and to the notification channels. Default ''. */
  readonly keyPrefix?: string;
  readonly logger?: Logger;
  /** Stamps the alerts the bus publishes. Default: a LiveClock. */
  readonly clock?: Clock;
  /** COUNT of each XREADGROUP / XAUTOCLAIM. Default 500. */
  readonly batchSize?: number;
  /** BLOCK of each XREADGROUP, ms; an idle reader looks at its retries and claims at least this often. Default 1000. */
  readonly blockMs?: number;
  /**
   * Batches of new entries whose effects (the promises their handlers returned) may still be settling while the
   * reader already reads and hands over the next batch. 1: each batch's effects settle before the next read.
   * Entries are always handed over in order and each is acked only once its own effect is durable. Default 1
   * until measured otherwise on a quiet machine (bench/distributed.bench.ts with HF_BUS_INFLIGHT_BATCHES).
   */
  readonly maxInflightBatches?: number;
  /**
   * Approximate cap on each stream's length (`XADD … MAXLEN ~ n`): one number for every stream, or a function of
   * the stream name. Default 100,000 for market data (ticks.live, books.live, candles.*), 1,000,000 otherwise.
   */
  readonly maxLen?: number | ((stream: string) => number);
  /**
   * An entry idle this long in any consumer of a group is taken over by XAUTOCLAIM (a dead consumer's entries
   * move to a live one). Must exceed the slowest handler. Default 30,000.
   */
  readonly claimIdleMs?: number;
  /** How often each reader runs XAUTOCLAIM, ms. Default 10,000. */
  readonly claimIntervalMs?: number;
  /**
   * Deliveries of one entry (XPENDING's count) a handler gets at most: a failure on the last one, or an entry
   * found with a higher count (a consumer died on it), sends it to the dead-letter stream. Default 5.
   */
  readonly maxDeliveries?: number;
  /** Delay before the first retry of a failed entry, doubled per delivery up to `retryBackoffMaxMs`. Default 200. */
  readonly retryBackoffMs?: number;
  /** Default 5,000 (keep it well below `claimIdleMs`). */
  readonly retryBackoffMaxMs?: number;
  /**
   * Unwritten messages above which `backpressure` turns on (logged at error level once per episode); it turns
   * off, and `drained()` resolves, when the buffer is back to half of it. Nothing is dropped. Default 200,000.
   */
  readonly publishBufferLimit?: number;
  /** XADDs per pipeline at most. Default 10,000. */
  readonly pipelineLimit?: number;
  /**
   * Where a group created by `subscribe` starts: `$` (new entries only) or `0` (the whole stream). Default `$`
   * for ticks.live, books.live and candles.*, `0` for every other stream so a late starter loses no command or fill.
   */
  readonly startFrom?: (stream: string) => '$' | '0';
  /**
   * Streams every process reads in full, with no group: one XREAD reader per process and stream from the newest
   * entry on, handed to every subscriber in the process (the group names only label them). Market data has no
   * durable effect to ack and every instance needs every tick — two risk or router instances in one group would
   * each see half the prices — so by default ticks.live, books.live and candles.*; a restarted process starts
   * from the newest entry. Nothing to ack, so nothing pending: XINFO STREAM shows them, not XINFO GROUPS. The
   * subscriptions of a process's own view (group VIEW_GROUP: counters, marks) are read this way on every stream.
   */
  readonly broadcast?: (stream: string, group: string) => boolean;
  /** Connection attempts of `connect()` before it fails. Default 5. */
  readonly connectAttempts?: number;
  /** `connect()` waits for Redis forever (reconnecting with backoff) instead of failing. Default false. */
  readonly retryForever?: boolean;
  /** Polling period of the control hashes when the server refuses CONFIG (no keyspace notifications). Default 300. */
  readonly controlPollMs?: number;
  /** Period of the XINFO GROUPS lag refresh behind `stats()`, ms; 0 turns it off. Default 5,000. */
  readonly statsIntervalMs?: number;
  /** How long `close()` waits for running handlers, then for unwritten messages. Default 5,000. */
  readonly closeTimeoutMs?: number;
}

export interface RedisSubscriptionStats {
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  readonly delivered: number;
  readonly acked: number;
  /** Failed entries waiting for their next delivery. */
  readonly retrying: number;
  /** Entries of the stream not yet delivered to the group (XINFO GROUPS `lag`), as of the last refresh. */
  readonly lag: number | undefined;
  /** Entries delivered to the group and not acked (all its consumers), as of the last refresh. */
  readonly pending: number | undefined;
}

export interface RedisBusStats {
  readonly published: number;
  readonly written: number;
  /** XADDs Redis refused for good (e.g. WRONGTYPE); each logged at error level. */
  readonly writeFailed: number;
  /** Messages refused by `publish` (not serializable, or published after close); each logged. */
  readonly dropped: number;
  readonly delivered: number;
  readonly acked: number;
  readonly retried: number;
  readonly claimed: number;
  readonly deadLettered: number;
  readonly malformed: number;
  readonly handlerErrors: number;
  readonly bufferSize: number;
  readonly backpressure: boolean;
  readonly connected: boolean;
  readonly controlSource: 'notifications' | 'polling';
  readonly subscriptions: readonly RedisSubscriptionStats[];
}

interface Settings {
  readonly url: string;
  readonly maskedUrl: string;
  readonly consumer: string;
  readonly keyPrefix: string;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly batchSize: number;
  readonly blockMs: number;
  readonly maxInflightBatches: number;
  readonly maxLen: (stream: string) => number;
  readonly claimIdleMs: number;
  readonly claimIntervalMs: number;
  readonly maxDeliveries: number;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
  readonly publishBufferLimit: number;
  readonly pipelineLimit: number;
  readonly startFrom: (stream: string) => '$' | '0';
  readonly broadcast: (stream: string, group: string) => boolean;
  readonly connectAttempts: number;
  readonly retryForever: boolean;
  readonly controlPollMs: number;
  readonly statsIntervalMs: number;
  readonly closeTimeoutMs: number;
}

/** A stream's key, trim length and encoded XADD heads, resolved once per stream name. */
interface StreamTarget {
  readonly stream: string;
  readonly key: string;
  readonly maxLen: number;
  /** `XADD key * data` up to the payload. */
  readonly head: string;
  /** `XADD key MAXLEN ~ n * data` up to the payload. */
  readonly trimmingHead: string;
  /** The last pipeline this stream appeared in (marks its last XADD there for trimming). */
  lastPipeline: number;
  /** The structural check of the stream's messages, when the stream has a schema. */
  readonly check: MessageCheck | undefined;
}

type RawEntry = [id: string, fields: string[] | null];

interface RetryEntry {
  readonly id: string;
  readonly deliveries: number;
  readonly dueAt: number;
}

interface FlushWaiter {
  readonly target: number;
  readonly readers: readonly BusReader[];
  readonly invoked: readonly number[];
  readonly resolve: () => void;
}

const MARKET_DATA = new Set<string>([Streams.ticks, Streams.books]);
const isMarketData = (stream: string): boolean => MARKET_DATA.has(stream) || stream.startsWith('candles.');

function defaultStartFrom(stream: string): '$' | '0' {
  return isMarketData(stream) ? '$' : '0';
}

function defaultMaxLen(stream: string): number {
  return isMarketData(stream) ? 100_000 : 1_000_000;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const resolved = value ?? fallback;
  if (!Number.isInteger(resolved) || resolved <= 0)
    throw new Error(`RedisBus: ${name} must be a positive integer (got ${String(value)})`);
  return resolved;
}

function resolveSettings(options: RedisBusOptions): Settings {
  const maskedUrl = maskUrl(options.url);
  let protocol = '';
  try {
    protocol = new URL(options.url).protocol;
  } catch {
    // reported below
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:' && protocol !== 'unix:')
    throw new Error(`RedisBus: REDIS_URL ${maskedUrl} is not a redis://, rediss:// or unix:// URL`);
  const maxLen = options.maxLen;
  return {
    url: protocol === 'unix:' ? unixSocketUrl(options.url) : options.url,
    maskedUrl,
    consumer: options.consumer ?? `${hostname()}-${process.pid}`,
    keyPrefix: options.keyPrefix ?? '',
    logger: options.logger ?? createLogger('bus.redis'),
    clock: options.clock ?? new LiveClock(),
    batchSize: positiveInteger('batchSize', options.batchSize, 500),
    blockMs: positiveInteger('blockMs', options.blockMs, 1000),
    maxInflightBatches: positiveInteger('maxInflightBatches', options.maxInflightBatches, 1),
    maxLen:
      typeof maxLen === 'function'
        ? maxLen
        : maxLen === undefined
          ? defaultMaxLen
          : (positiveInteger('maxLen', maxLen, 1), () => maxLen),
    claimIdleMs: positiveInteger('claimIdleMs', options.claimIdleMs, 30_000),
    claimIntervalMs: positiveInteger('claimIntervalMs', options.claimIntervalMs, 10_000),
    maxDeliveries: positiveInteger('maxDeliveries', options.maxDeliveries, 5),
    retryBackoffMs: positiveInteger('retryBackoffMs', options.retryBackoffMs, 200),
    retryBackoffMaxMs: positiveInteger('retryBackoffMaxMs', options.retryBackoffMaxMs, 5_000),
    publishBufferLimit: positiveInteger('publishBufferLimit', options.publishBufferLimit, 200_000),
    pipelineLimit: positiveInteger('pipelineLimit', options.pipelineLimit, 10_000),
    startFrom: options.startFrom ?? defaultStartFrom,
    broadcast: options.broadcast ?? ((stream, group) => isMarketData(stream) || group === VIEW_GROUP),
    connectAttempts: positiveInteger('connectAttempts', options.connectAttempts, 5),
    retryForever: options.retryForever ?? false,
    controlPollMs: positiveInteger('controlPollMs', options.controlPollMs, 300),
    statsIntervalMs: options.statsIntervalMs ?? 5_000,
    closeTimeoutMs: positiveInteger('closeTimeoutMs', options.closeTimeoutMs, 5_000),
  };
}

const errorText = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/** Errors after which an XADD is written again later (the server or the link will recover); others are final. */
function isTransient(error: unknown): boolean {
  if (error instanceof WriterConnectionError) return true;
  const message = error instanceof Error ? error.message : String(error);
  return (
    /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|READONLY|NOREPLICAS|OOM)\b/.test(message) ||
    /Connection is closed|MaxRetriesPerRequest|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH/.test(
      message,
    )
  );
}

const isNoGroup = (error: unknown): boolean => error instanceof Error && error.message.startsWith('NOGROUP');

/** The message in an entry's fields, or the reason it is malformed. */
function parseEntry(fields: readonly string[]): object | string {
  let data: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'data') {
      data = fields[i + 1];
      break;
    }
  }
  if (data === undefined) return 'entry has no data field';
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return 'data is not JSON';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return 'data is not a JSON object';
  if (typeof (parsed as { type?: unknown }).type !== 'string') return 'message has no string type field';
  return parsed;
}

/** Entries of an XREADGROUP reply (`[[key, entries]]` or null). */
function readReplyEntries(reply: unknown): RawEntry[] {
  if (!Array.isArray(reply)) return [];
  const first = reply[0] as unknown;
  if (!Array.isArray(first) || !Array.isArray(first[1])) return [];
  return first[1] as RawEntry[];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves true when `promise` settles within `ms`, false otherwise. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Calls `then` on every `ready` of `connection` after its first (a reconnect). */
function onReconnect(connection: Redis, then: () => void): void {
  let readies = 0;
  connection.on('ready', () => {
    if (readies++ > 0) then();
  });
}

/** XADD arguments of a dead-letter entry: where it came from, why, and its fields as they were. */
function deadLetterEntry(
  settings: Settings,
  key: string,
  from: { stream: string; id: string; group: string; consumer: string; deliveries: number },
  code: ReasonCode,
  text: string,
  fields: readonly string[],
): (string | number)[] {
  return [
    key,
    'MAXLEN',
    '~',
    settings.maxLen(Streams.deadLetter),
    '*',
    'stream',
    from.stream,
    'id',
    from.id,
    'group',
    from.group,
    'consumer',
    from.consumer,
    'deliveries',
    from.deliveries,
    'reason',
    code,
    'error',
    text,
    'fields',
    JSON.stringify(fields),
  ];
}

async function quitConnection(connection: Redis): Promise<void> {
  if (connection.status === 'ready') {
    try {
      await within(connection.quit(), 1_000);
    } catch {
      // already going away
    }
  }
  connection.disconnect();
}

/** Logs an outage once when the first connection fails and once when the last one is back. */
class ConnectionHealth {
  private readonly failing = new Set<Redis>();
  private lastError = '';

  constructor(
    private readonly logger: Logger,
    private readonly maskedUrl: string,
  ) {}

  get healthy(): boolean {
    return this.failing.size === 0;
  }

  get lastErrorText(): string {
    return this.lastError;
  }

  attach(connection: Redis, role: string): void {
    connection.on('error', (error: Error) => {
      this.lastError = error.message;
      if (this.failing.has(connection)) return;
      this.failing.add(connection);
      if (this.failing.size === 1)
        this.logger.error(`Redis unreachable at ${this.maskedUrl}: reconnecting with backoff`, {
          url: this.maskedUrl,
          connection: role,
          error: error.message,
        });
    });
    connection.on('ready', () => {
      if (!this.failing.delete(connection) || this.failing.size > 0) return;
      this.logger.info(`Redis reachable again at ${this.maskedUrl}`, { url: this.maskedUrl });
    });
    connection.on('end', () => this.failing.delete(connection));
  }
}

/** What a reader needs from its bus (kept off the bus's public surface). */
interface ReaderHost {
  readonly settings: Settings;
  readonly command: Redis;
  readonly counters: Counters;
  readonly deadLetterKey: string;
  createGroup(target: StreamTarget, group: string): Promise<void>;
  handlerFailed(error: unknown, stream: string, group: string): void;
  handlerSettled(): void;
  deadLettered(stream: string, code: ReasonCode, text: string): void;
  readerFailed(reader: BusReader, error: unknown): void;
  trackAck(promise: Promise<void>): void;
}

class Counters {
  published = 0;
  written = 0;
  writeFailed = 0;
  dropped = 0;
  delivered = 0;
  acked = 0;
  retried = 0;
  claimed = 0;
  deadLettered = 0;
  malformed = 0;
  handlerErrors = 0;
}

/**
 * One subscription: a consumer in a group with its own blocking connection. It drains its own pending entries
 * (id `0`) first, then reads new ones (`>`); it handles entries strictly in order and acks them in batches after
 * their handlers resolve; failed entries wait in a retry list (the entries behind them go on).
 */
/** An entry whose handler returned a promise: acked when it resolves (group commit at the end of a batch). */
interface PendingEffect {
  readonly id: string;
  readonly fields: readonly string[];
  readonly count: number;
  readonly result: Promise<void>;
}

/** What the bus needs of any reader: flush, stats, lag, close. */
interface BusReader {
  readonly target: StreamTarget;
  readonly group: string;
  readonly consumer: string;
  readonly connection: Redis;
  readonly started: Promise<void>;
  readonly done: Promise<void>;
  readonly delivered: number;
  readonly acked: number;
  readonly invoked: number;
  readonly settled: number;
  readonly retrying: number;
  lag: number | undefined;
  pending: number | undefined;
  lastFailure: string | undefined;
  stop(): void;
}

class StreamReader implements BusReader {
  delivered = 0;
  acked = 0;
  invoked = 0;
  settled = 0;
  lag: number | undefined;
  pending: number | undefined;
  stopping = false;
  /** The last error logged for this reader (an error repeating with each retry is logged once). */
  lastFailure: string | undefined;
  readonly started: Promise<void>;
  done: Promise<void> = Promise.resolve();
  private markStarted!: () => void;
  private phase: 'pending' | 'new' = 'pending';
  private cursor = '0';
  private resync = false;
  private blocked = false;
  private clientId: number | undefined;
  private retries: RetryEntry[] = [];
  private readonly retryIds = new Set<string>();
  private acks: string[] = [];
  /** Effects of batches handed over and not yet settled, oldest first (see maxInflightBatches). */
  private readonly inflight: Promise<void>[] = [];
  private nextClaimAt: number;
  private wake: (() => void) | undefined;
  private readonly settings: Settings;

  constructor(
    private readonly host: ReaderHost,
    readonly target: StreamTarget,
    readonly group: string,
    readonly consumer: string,
    private readonly handler: Handler<unknown>,
    readonly connection: Redis,
  ) {
    this.settings = host.settings;
    this.started = new Promise<void>((resolve) => (this.markStarted = resolve));
    this.nextClaimAt = performance.now() + Math.min(this.settings.claimIntervalMs, this.settings.claimIdleMs);
    // After a reconnect, a reply lost on the way leaves entries in this consumer's pending list: drain them.
    onReconnect(connection, () => {
      this.resync = true;
      this.clientId = undefined;
    });
  }

  get retrying(): number {
    return this.retries.length;
  }

  start(groupCreated: Promise<void>): void {
    this.done = this.run(groupCreated);
  }

  /** Stops after the entry in hand; entries not handled stay pending for this consumer (or a claimer). */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.wake?.();
    if (this.blocked && this.clientId !== undefined)
      this.host.command.client('UNBLOCK', this.clientId).catch(() => undefined);
  }

  private async run(groupCreated: Promise<void>): Promise<void> {
    await groupCreated.catch(() => undefined);
    let backoff = 100;
    let noGroupStreak = 0;
    while (!this.stopping) {
      try {
        this.clientId ??= Number(await this.connection.client('ID'));
        if (this.resync) {
          this.resync = false;
          this.phase = 'pending';
          this.cursor = '0';
        }
        let now = performance.now();
        if (this.retries.length > 0 && this.nextRetryDue() <= now) {
          await this.drainInflight();
          await this.retryDue(now);
        }
        now = performance.now();
        // Not while draining our own backlog: claimed entries would overtake it.
        if (this.phase === 'new' && now >= this.nextClaimAt && !this.stopping) {
          await this.drainInflight();
          await this.claimIdle();
          this.nextClaimAt = performance.now() + this.settings.claimIntervalMs;
        }
        if (this.stopping) break;
        if (this.phase === 'pending') await this.readPending();
        else await this.readNew();
        backoff = 100;
        noGroupStreak = 0;
        this.lastFailure = undefined;
      } catch (error) {
        this.markStarted();
        // Batches still settling finish (and ack) before our pending list is read again.
        await this.drainInflight().catch(() => undefined);
        this.flushAcks();
        if (this.stopping) break;
        this.clientId = undefined;
        this.phase = 'pending';
        this.cursor = '0';
        if (isNoGroup(error) && noGroupStreak++ === 0) {
          // The server lost the group (restarted without persistence, or the stream was deleted): recreate it.
          await this.host.createGroup(this.target, this.group).catch(() => undefined);
          continue;
        }
        this.host.readerFailed(this, error);
        await this.pause(backoff);
        backoff = Math.min(backoff * 2, 2_000);
      }
    }
    await this.drainInflight().catch(() => undefined);
    this.flushAcks();
    this.markStarted();
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private nextRetryDue(): number {
    let due = Number.POSITIVE_INFINITY;
    for (const retry of this.retries) if (retry.dueAt < due) due = retry.dueAt;
    return due;
  }

  /** Waits for every batch still settling (before reading our own pending list, claiming or retrying). */
  private async drainInflight(): Promise<void> {
    while (this.inflight.length > 0) await this.inflight.shift();
  }

  private async readPending(): Promise<void> {
    await this.drainInflight();
    const { batchSize } = this.settings;
    const reply = await this.connection.call(
      'XREADGROUP',
      'GROUP',
      this.group,
      this.consumer,
      'COUNT',
      batchSize,
      'STREAMS',
      this.target.key,
      this.cursor,
    );
    const entries = readReplyEntries(reply);
    const last = entries[entries.length - 1];
    if (!last) {
      this.phase = 'new';
      return;
    }
    this.cursor = last[0];
    // A backlog of our own: do not hold this process's publishes until it is drained.
    this.markStarted();
    await this.handle(entries, await this.deliveryCounts(entries));
  }

  private async readNew(): Promise<void> {
    const { batchSize, blockMs } = this.settings;
    let block = blockMs;
    if (this.retries.length > 0) block = Math.min(block, this.nextRetryDue() - performance.now());
    block = Math.min(block, this.nextClaimAt - performance.now());
    const pending = this.connection.call(
      'XREADGROUP',
      'GROUP',
      this.group,
      this.consumer,
      'COUNT',
      batchSize,
      'BLOCK',
      Math.max(1, Math.ceil(block)),
      'STREAMS',
      this.target.key,
      '>',
    );
    this.blocked = true;
    this.markStarted();
    let reply: unknown;
    try {
      reply = await pending;
    } finally {
      this.blocked = false;
    }
    const entries = readReplyEntries(reply);
    if (entries.length > 0) await this.handle(entries, undefined, true);
  }

  /** Delivery counts of a run of this consumer's pending entries (XPENDING over their id range). */
  private async deliveryCounts(entries: readonly RawEntry[]): Promise<Map<string, number>> {
    const first = entries[0];
    const last = entries[entries.length - 1];
    const counts = new Map<string, number>();
    if (!first || !last) return counts;
    const reply = (await this.connection.call(
      'XPENDING',
      this.target.key,
      this.group,
      first[0],
      last[0],
      entries.length,
      this.consumer,
    )) as [string, string, number, number][];
    for (const row of reply) counts.set(row[0], row[3]);
    return counts;
  }

  /**
   * Handles entries in order. `deliveries` gives each entry's delivery count when it is not its first delivery
   * (pending, claimed, retried); entries read with `>` are on their first.
   * Group commit: handlers are called one after another in entry order (their synchronous effects happen in
   * order), but the promises they return (durability: a store write, a journal flush) are awaited together at
   * the end of the batch, so a batch of N entries costs one round trip of the slowest effect, not N in series.
   * Each entry is acked only once its own promise has resolved; a failed one is retried or dead-lettered.
   */
  private async handle(
    entries: readonly RawEntry[],
    deliveries: ReadonlyMap<string, number> | undefined,
    pipelined = false,
  ): Promise<void> {
    const { counters } = this.host;
    let pending: PendingEffect[] | undefined;
    for (let i = 0; i < entries.length; i++) {
      if (this.stopping) break;
      const entry = entries[i];
      if (!entry) continue; // an entry deleted before XCLAIM (Redis < 7 answers nil)
      const id = entry[0];
      const fields = entry[1];
      if (fields === null) {
        // Trimmed (MAXLEN) or deleted while pending: nothing left to handle.
        this.acks.push(id);
        continue;
      }
      if (this.retryIds.size > 0 && this.retryIds.has(id)) continue;
      const count = deliveries?.get(id) ?? 1;
      if (count > this.settings.maxDeliveries) {
        await this.deadLetter(
          id,
          fields,
          'OPS_HANDLER_ERROR',
          `delivered ${count} times without an ack (maxDeliveries ${this.settings.maxDeliveries})`,
          count,
        );
        continue;
      }
      const message = parseEntry(fields);
      const problem = typeof message === 'string' ? message : this.target.check?.(message);
      if (problem !== undefined) {
        counters.malformed++;
        await this.deadLetter(id, fields, 'OPS_MALFORMED_MESSAGE', problem, count);
        continue;
      }
      counters.delivered++;
      this.delivered++;
      this.invoked++;
      let result: void | Promise<void>;
      try {
        result = this.handler(message);
      } catch (error) {
        this.settled++;
        this.host.handlerSettled();
        await this.failed(id, fields, error, count);
        continue;
      }
      if (result === undefined) {
        this.settled++;
        this.host.handlerSettled();
        this.acks.push(id);
      } else {
        (pending ??= []).push({ id, fields, count, result });
      }
    }
    this.flushAcks();
    if (pending === undefined) return;
    const settling = this.settle(pending);
    if (!pipelined) return settling;
    // Pipelined: the next batch is read and handed over while this one's effects settle (bounded).
    settling.catch(() => undefined); // awaited below or by drainInflight; never an unhandled rejection
    this.inflight.push(settling);
    while (this.inflight.length >= this.settings.maxInflightBatches) await this.inflight.shift();
  }

  /** Acks each effect of a batch once it resolves; a failed one is retried or dead-lettered. */
  private async settle(pending: readonly PendingEffect[]): Promise<void> {
    const outcomes = await Promise.allSettled(pending.map((p) => p.result));
    for (let i = 0; i < pending.length; i++) {
      const p = pending[i] as PendingEffect;
      const outcome = outcomes[i] as PromiseSettledResult<void>;
      this.settled++;
      this.host.handlerSettled();
      if (outcome.status === 'fulfilled') this.acks.push(p.id);
      else await this.failed(p.id, p.fields, outcome.reason, p.count);
    }
    this.flushAcks();
  }

  private async failed(
    id: string,
    fields: readonly string[],
    error: unknown,
    deliveries: number,
  ): Promise<void> {
    this.host.handlerFailed(error, this.target.stream, this.group);
    if (deliveries >= this.settings.maxDeliveries) {
      await this.deadLetter(id, fields, 'OPS_HANDLER_ERROR', errorText(error), deliveries);
      return;
    }
    const delay = Math.min(
      this.settings.retryBackoffMs * 2 ** (deliveries - 1),
      this.settings.retryBackoffMaxMs,
    );
    this.retries.push({ id, deliveries, dueAt: performance.now() + delay });
    this.retryIds.add(id);
  }

  /** Takes the due retries back with XCLAIM (which counts a delivery) and handles them again. */
  private async retryDue(now: number): Promise<void> {
    const due: RetryEntry[] = [];
    const waiting: RetryEntry[] = [];
    for (const retry of this.retries) (retry.dueAt <= now ? due : waiting).push(retry);
    this.retries = waiting;
    const counts = new Map<string, number>();
    const ids: string[] = [];
    for (const retry of due) {
      this.retryIds.delete(retry.id);
      counts.set(retry.id, retry.deliveries + 1);
      ids.push(retry.id);
    }
    this.flushAcks();
    const reply = (await this.connection.call(
      'XCLAIM',
      this.target.key,
      this.group,
      this.consumer,
      0,
      ...ids,
    )) as RawEntry[];
    this.host.counters.retried += reply.length;
    await this.handle(reply, counts);
  }

  /** XAUTOCLAIM: entries idle longer than `claimIdleMs` in any consumer of the group (a dead one) become ours. */
  private async claimIdle(): Promise<void> {
    let cursor = '0-0';
    for (let round = 0; round < 10 && !this.stopping; round++) {
      const reply = (await this.connection.call(
        'XAUTOCLAIM',
        this.target.key,
        this.group,
        this.consumer,
        this.settings.claimIdleMs,
        cursor,
        'COUNT',
        this.settings.batchSize,
      )) as [string, RawEntry[], string[]];
      const entries = reply[1];
      if (entries.length > 0) {
        for (const entry of entries) {
          // One of our own retries idle that long: it is handled now instead.
          if (this.retryIds.delete(entry[0])) this.retries = this.retries.filter((r) => r.id !== entry[0]);
        }
        this.host.counters.claimed += entries.length;
        this.settings.logger.info('claimed idle entries', {
          stream: this.target.stream,
          group: this.group,
          consumer: this.consumer,
          entries: entries.length,
        });
        const pipeline = this.connection.pipeline();
        for (const entry of entries)
          pipeline.call('XPENDING', this.target.key, this.group, entry[0], entry[0], 1);
        const results = (await pipeline.exec()) ?? [];
        const counts = new Map<string, number>();
        for (const [error, rows] of results) {
          const row =
            !error && Array.isArray(rows)
              ? (rows[0] as [string, string, number, number] | undefined)
              : undefined;
          if (row) counts.set(row[0], row[3]);
        }
        await this.handle(entries, counts);
      }
      cursor = reply[0];
      if (cursor === '0-0') break;
    }
  }

  /** Copies the entry to the dead-letter stream with its story, acks it, counts it and raises an alert. */
  private async deadLetter(
    id: string,
    fields: readonly string[],
    code: ReasonCode,
    text: string,
    deliveries: number,
  ): Promise<void> {
    const { stream } = this.target;
    const pipeline = this.connection.pipeline();
    if (stream !== Streams.deadLetter)
      pipeline.call(
        'XADD',
        ...deadLetterEntry(
          this.settings,
          this.host.deadLetterKey,
          { stream, id, group: this.group, consumer: this.consumer, deliveries },
          code,
          text,
          fields,
        ),
      );
    pipeline.call('XACK', this.target.key, this.group, id);
    const results = (await pipeline.exec()) ?? [];
    for (const [error] of results) if (error) throw error;
    this.host.counters.deadLettered++;
    this.host.counters.acked++;
    this.acked++;
    this.settings.logger.error('entry dead-lettered', {
      stream,
      id,
      group: this.group,
      consumer: this.consumer,
      deliveries,
      reason: code,
      error: text,
    });
    this.host.deadLettered(
      stream,
      code,
      `${stream} entry ${id} (group ${this.group}) dead-lettered after ${deliveries} deliveries: ${text}`,
    );
  }

  /** Sends the batch's acks on this connection (ahead of the next read), without waiting for the reply. */
  private flushAcks(): void {
    if (this.acks.length === 0) return;
    const ids = this.acks;
    this.acks = [];
    const { counters } = this.host;
    this.host.trackAck(
      this.connection.xack(this.target.key, this.group, ...ids).then((count) => {
        counters.acked += count;
        this.acked += count;
      }),
    );
  }
}

/** Orders two stream ids (`ms-seq`). */
function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
}

/** XINFO STREAM's last id and entries-added (Redis 7; undefined before), or the empty stream's. */
async function streamPosition(
  connection: Redis,
  key: string,
): Promise<{ lastId: string; entriesAdded: number | undefined }> {
  let reply: unknown;
  try {
    reply = await connection.call('XINFO', 'STREAM', key);
  } catch (error) {
    if (error instanceof Error && /no such key/i.test(error.message))
      return { lastId: '0-0', entriesAdded: 0 };
    throw error;
  }
  const info = new Map<unknown, unknown>();
  const list = Array.isArray(reply) ? (reply as unknown[]) : [];
  for (let i = 0; i + 1 < list.length; i += 2) info.set(list[i], list[i + 1]);
  const lastId = info.get('last-generated-id');
  const added = info.get('entries-added');
  return {
    lastId: typeof lastId === 'string' ? lastId : '0-0',
    entriesAdded: typeof added === 'number' ? added : undefined,
  };
}

/**
 * A broadcast stream in one process (RedisBusOptions.broadcast): one XREAD loop from the newest entry on, every
 * entry handed to each subscriber in subscription order. Nothing is acked (there is no group); a handler that
 * throws is reported (onError) and the others still get the entry; a malformed entry is counted and
 * dead-lettered by each process that reads it. After a reconnect it goes on from the last entry it read — or from
 * the start of the stream, when the server lost the stream (restarted without persistence).
 */
class BroadcastReader implements BusReader {
  readonly group = 'broadcast';
  delivered = 0;
  invoked = 0;
  settled = 0;
  readonly retrying = 0;
  lag: number | undefined;
  pending: number | undefined;
  lastFailure: string | undefined;
  readonly started: Promise<void>;
  done: Promise<void> = Promise.resolve();
  private markStarted!: () => void;
  /** Replaced, never changed in place: a batch walks the array it started with (no copy per entry). */
  private subscribers: readonly { readonly group: string; readonly handler: Handler<unknown> }[] = [];
  private lastId: string | undefined;
  /** entries-added of the stream up to lastId (the lag's reference), when the server reports it. */
  private position: number | undefined;
  private stopping = false;
  private blocked = false;
  private resync = false;
  private clientId: number | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly host: ReaderHost,
    readonly target: StreamTarget,
    readonly consumer: string,
    readonly connection: Redis,
  ) {
    this.started = new Promise<void>((resolve) => (this.markStarted = resolve));
    onReconnect(connection, () => {
      this.resync = true;
      this.clientId = undefined;
    });
  }

  /** Nothing to ack: every entry handed over counts as done. */
  get acked(): number {
    return this.delivered;
  }

  get empty(): boolean {
    return this.subscribers.length === 0;
  }

  /** Adds a subscriber; returns its removal. */
  add(group: string, handler: Handler<unknown>): () => void {
    const subscriber = { group, handler };
    this.subscribers = [...this.subscribers, subscriber];
    return () => {
      this.subscribers = this.subscribers.filter((s) => s !== subscriber);
    };
  }

  start(): void {
    this.done = this.run();
  }

  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.wake?.();
    if (this.blocked && this.clientId !== undefined)
      this.host.command.client('UNBLOCK', this.clientId).catch(() => undefined);
  }

  /** entries-added now minus what this reader has read (at most the stream's length): entries not yet handed over. */
  updateLag(entriesAdded: number | undefined, length: number | undefined): void {
    if (entriesAdded === undefined || this.position === undefined) {
      this.lag = undefined;
      return;
    }
    const behind = Math.max(0, entriesAdded - this.position);
    this.lag = length === undefined ? behind : Math.min(behind, length);
  }

  private async run(): Promise<void> {
    const { batchSize, blockMs } = this.host.settings;
    let backoff = 100;
    while (!this.stopping) {
      try {
        this.clientId ??= Number(await this.connection.client('ID'));
        if (this.lastId === undefined) {
          const start = await streamPosition(this.connection, this.target.key);
          this.lastId = start.lastId;
          this.position = start.entriesAdded;
        } else if (this.resync) {
          this.resync = false;
          const now = await streamPosition(this.connection, this.target.key);
          // The server lost entries (restarted from a snapshot, or without persistence): go on from its newest
          // entry, as a process that starts does — never replay an old stream as live prices.
          if (compareIds(now.lastId, this.lastId) < 0) {
            this.host.settings.logger.warn(
              'broadcast stream went back on the server: reading from its newest entry',
              {
                stream: this.target.stream,
                lastRead: this.lastId,
                lastOnServer: now.lastId,
              },
            );
            this.lastId = now.lastId;
          }
          // The lag's reference follows the server's count (entries-added restarts with the stream).
          this.position = now.entriesAdded;
        }
        if (this.stopping) break;
        const pending = this.connection.call(
          'XREAD',
          'COUNT',
          batchSize,
          'BLOCK',
          blockMs,
          'STREAMS',
          this.target.key,
          this.lastId,
        );
        this.blocked = true;
        this.markStarted();
        let reply: unknown;
        try {
          reply = await pending;
        } finally {
          this.blocked = false;
        }
        const entries = readReplyEntries(reply);
        if (entries.length > 0) await this.handle(entries);
        backoff = 100;
        this.lastFailure = undefined;
      } catch (error) {
        this.markStarted();
        if (this.stopping) break;
        this.clientId = undefined;
        this.host.readerFailed(this, error);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, backoff);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
        backoff = Math.min(backoff * 2, 2_000);
      }
    }
    this.markStarted();
  }

  private async handle(entries: readonly RawEntry[]): Promise<void> {
    const { counters } = this.host;
    const { stream } = this.target;
    let effects: Promise<void>[] | undefined;
    for (const entry of entries) {
      const id = entry[0];
      const fields = entry[1];
      this.lastId = id;
      if (this.position !== undefined) this.position++;
      if (fields === null) continue;
      const message = parseEntry(fields);
      const problem = typeof message === 'string' ? message : this.target.check?.(message);
      if (problem !== undefined) {
        counters.malformed++;
        // Not awaited: a slow or failed dead-letter write does not hold the prices behind it.
        this.deadLetter(id, fields, problem).catch((error: unknown) =>
          this.host.settings.logger.error('dead-letter write failed: the malformed entry is only logged', {
            stream: this.target.stream,
            id,
            error: errorText(error),
            fields: JSON.stringify(fields),
          }),
        );
        continue;
      }
      counters.delivered++;
      this.delivered++;
      // The array as it is now: a handler that unsubscribes (itself or another) replaces it, so the next
      // subscriber still gets this entry.
      const subscribers = this.subscribers;
      for (let i = 0; i < subscribers.length; i++) {
        const { group, handler } = subscribers[i] as (typeof subscribers)[number];
        this.invoked++;
        let result: void | Promise<void>;
        try {
          result = handler(message);
        } catch (error) {
          this.settledOne();
          this.host.handlerFailed(error, stream, group);
          continue;
        }
        if (result === undefined) this.settledOne();
        else
          (effects ??= []).push(
            result.then(
              () => this.settledOne(),
              (error: unknown) => {
                this.settledOne();
                this.host.handlerFailed(error, stream, group);
              },
            ),
          );
      }
    }
    // A subscriber's promises bound this reader: the next batch waits for them.
    if (effects !== undefined) await Promise.all(effects);
  }

  private settledOne(): void {
    this.settled++;
    this.host.handlerSettled();
  }

  private async deadLetter(id: string, fields: readonly string[], text: string): Promise<void> {
    const { stream } = this.target;
    if (stream !== Streams.deadLetter)
      await this.connection.call(
        'XADD',
        ...deadLetterEntry(
          this.host.settings,
          this.host.deadLetterKey,
          { stream, id, group: this.group, consumer: this.consumer, deliveries: 1 },
          'OPS_MALFORMED_MESSAGE',
          text,
          fields,
        ),
      );
    this.host.counters.deadLettered++;
    this.host.settings.logger.error('entry dead-lettered', {
      stream,
      id,
      group: this.group,
      consumer: this.consumer,
      reason: 'OPS_MALFORMED_MESSAGE',
      error: text,
    });
    this.host.deadLettered(stream, 'OPS_MALFORMED_MESSAGE', `${stream} ${id} dead-lettered: ${text}`);
  }
}

export class RedisBus implements Bus {
  readonly control: RedisControlPlane;
  readonly consumer: string;
  readonly keyPrefix: string;
  private readonly settings: Settings;
  private readonly logger: Logger;
  private readonly command: Redis;
  private readonly subscriber: Redis;
  private readonly health: ConnectionHealth;
  private readonly counters = new Counters();
  private readonly targets = new Map<string, StreamTarget>();
  private readonly readers = new Set<BusReader>();
  /** The broadcast reader of each broadcast stream this process subscribes to. */
  private readonly broadcasts = new Map<string, BroadcastReader>();
  private readonly consumerSlots = new Map<string, Set<number>>();
  private readonly starting = new Set<Promise<void>>();
  private readonly acksInFlight = new Set<Promise<void>>();
  private readonly errorListeners = new Set<(error: unknown, stream: string, group: string) => void>();
  private readonly host: ReaderHost;
  private readonly deadLetterKey: string;
  private readonly writeTask: () => void;
  // The publish buffer: a ring of parallel arrays (capacity a power of two, doubled when full). `head` is the
  // first message not yet confirmed by Redis, `tail` the next free slot.
  private ringTargets: (StreamTarget | undefined)[] = new Array<StreamTarget | undefined>(1024).fill(
    undefined,
  );
  private ringPayloads: (string | undefined)[] = new Array<string | undefined>(1024).fill(undefined);
  private mask = 1023;
  private readonly writer: StreamWriter;
  private readonly trimFlags: Uint8Array;
  private pipelineNumber = 0;
  private head = 0;
  private tail = 0;
  private writing = false;
  private writeScheduled = false;
  private backpressureOn = false;
  private writeErrorLogged = false;
  private drainWaiters: (() => void)[] = [];
  private flushWaiters: FlushWaiter[] = [];
  private statsTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  private acceptingPublishes = true;
  private terminated = false;

  private constructor(settings: Settings, command: Redis, subscriber: Redis, health: ConnectionHealth) {
    this.settings = settings;
    this.logger = settings.logger;
    this.consumer = settings.consumer;
    this.keyPrefix = settings.keyPrefix;
    this.command = command;
    this.subscriber = subscriber;
    this.health = health;
    this.deadLetterKey = settings.keyPrefix + Streams.deadLetter;
    this.writeTask = () => void this.writeLoop();
    this.trimFlags = new Uint8Array(settings.pipelineLimit);
    const { host, port, path, username, password, db, tls, connectTimeout } = command.options;
    this.writer = new StreamWriter({
      host: host ?? '127.0.0.1',
      port: port ?? 6379,
      path,
      username,
      password,
      database: db ?? 0,
      tls,
      connectionName: `hf-bus:${settings.consumer}:publish`,
      connectTimeoutMs: connectTimeout ?? 10_000,
    });
    this.control = new RedisControlPlane({
      command,
      subscriber,
      keyPrefix: settings.keyPrefix,
      database: command.options.db ?? 0,
      keys: [...CONTROL_KEYS, PolicyDocumentsKey],
      pollIntervalMs: settings.controlPollMs,
      logger: this.logger.child('control'),
    });
    this.host = {
      settings,
      command,
      counters: this.counters,
      deadLetterKey: this.deadLetterKey,
      createGroup: (target, group) => this.createGroup(target, group),
      handlerFailed: (error, stream, group) => this.handlerFailed(error, stream, group),
      handlerSettled: () => {
        if (this.flushWaiters.length > 0) this.checkFlushWaiters();
      },
      deadLettered: (stream, code, text) => this.raiseAlert(stream, code, text),
      readerFailed: (reader, error) => this.readerFailed(reader, error),
      trackAck: (promise) => this.trackAck(promise),
    };
    if (settings.statsIntervalMs > 0) {
      this.statsTimer = setInterval(
        () => void this.refreshLag().catch(() => undefined),
        settings.statsIntervalMs,
      );
      this.statsTimer.unref();
    }
  }

  /**
   * Connects (failing after `connectAttempts` with a message naming the masked URL, unless `retryForever`),
   * loads the control hashes and turns on keyspace notifications for them.
   */
  static async connect(options: RedisBusOptions): Promise<RedisBus> {
    const settings = resolveSettings(options);
    const health = new ConnectionHealth(settings.logger, settings.maskedUrl);
    let connectedOnce = false;
    const command = new Redis(settings.url, {
      lazyConnect: true,
      maxRetriesPerRequest: null,
      connectionName: `hf-bus:${settings.consumer}`,
      retryStrategy: (times: number) =>
        connectedOnce || settings.retryForever || times < settings.connectAttempts
          ? Math.min(50 * 2 ** Math.min(times, 6), 2_000)
          : null,
    });
    health.attach(command, 'command');
    await new Promise<void>((resolve, reject) => {
      const ready = (): void => {
        command.off('end', end);
        resolve();
      };
      const end = (): void => {
        command.off('ready', ready);
        reject(
          new Error(
            `Redis unreachable at ${settings.maskedUrl} after ${settings.connectAttempts} attempts: ${health.lastErrorText}`,
          ),
        );
      };
      command.once('ready', ready);
      command.once('end', end);
      command.connect().catch(() => undefined);
    });
    connectedOnce = true;
    const subscriber = command.duplicate({ connectionName: `hf-bus:${settings.consumer}:control` });
    health.attach(subscriber, 'control');
    const bus = new RedisBus(settings, command, subscriber, health);
    try {
      await bus.control.start();
    } catch (error) {
      await bus.close();
      throw error;
    }
    return bus;
  }

  /** True while more than `publishBufferLimit` messages wait to be written (e.g. during an outage). */
  get backpressure(): boolean {
    return this.backpressureOn;
  }

  /** Resolves at once without backpressure, else when the buffer is back to half of `publishBufferLimit`. */
  drained(): Promise<void> {
    if (!this.backpressureOn) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Resolves when every subscription made so far has its group and its reader waiting for entries. */
  async ready(): Promise<void> {
    await Promise.all(this.starting);
  }

  publish<S extends StreamName>(stream: S, message: MessageOf<S>): void {
    if (!this.acceptingPublishes) {
      this.counters.dropped++;
      this.logger.error('publish after close: message not sent', { stream });
      return;
    }
    let payload: string | undefined;
    try {
      payload = JSON.stringify(message);
    } catch (error) {
      payload = undefined;
      this.logger.error('message is not serializable', { stream, error: errorText(error) });
    }
    if (payload === undefined) {
      this.counters.dropped++;
      this.logger.error('message dropped: bus messages are plain JSON objects (no bigints, no cycles)', {
        stream,
      });
      return;
    }
    if (this.tail - this.head > this.mask) this.grow();
    const slot = this.tail & this.mask;
    this.ringTargets[slot] = this.targets.get(stream) ?? this.targetFor(stream);
    this.ringPayloads[slot] = payload;
    this.tail++;
    this.counters.published++;
    if (!this.backpressureOn && this.tail - this.head > this.settings.publishBufferLimit) {
      this.backpressureOn = true;
      this.logger.error(
        `publish buffer above ${this.settings.publishBufferLimit} messages: Redis is not keeping up or unreachable (nothing is dropped; producers should await drained())`,
        { url: this.settings.maskedUrl, buffered: this.tail - this.head },
      );
    }
    if (!this.writeScheduled && !this.writing) {
      this.writeScheduled = true;
      setImmediate(this.writeTask);
    }
  }

  subscribe<S extends StreamName>(stream: S, group: string, handler: Handler<MessageOf<S>>): Subscription {
    if (this.closing) {
      this.logger.error('subscribe after close: ignored', { stream, group });
      return { unsubscribe: () => undefined };
    }
    const target = this.targetFor(stream);
    if (this.settings.broadcast(stream, group))
      return this.subscribeBroadcast(target, group, handler as Handler<unknown>);
    const slotKey = `${stream}\n${group}`;
    let used = this.consumerSlots.get(slotKey);
    if (!used) {
      used = new Set();
      this.consumerSlots.set(slotKey, used);
    }
    let index = 1;
    while (used.has(index)) index++;
    used.add(index);
    const slots = used;
    const consumer = index === 1 ? this.consumer : `${this.consumer}-${index}`;
    // Sent now, on the command connection: ahead of any XADD published after this call.
    const groupCreated = this.createGroup(target, group);
    const connection = this.command.duplicate({ connectionName: `hf-bus:${consumer}:${stream}:${group}` });
    this.health.attach(connection, `reader ${stream}/${group}`);
    const reader = new StreamReader(
      this.host,
      target,
      group,
      consumer,
      handler as Handler<unknown>,
      connection,
    );
    this.readers.add(reader);
    const started = reader.started;
    this.starting.add(started);
    void started.then(() => this.starting.delete(started));
    reader.start(groupCreated);
    let active = true;
    return {
      unsubscribe: () => {
        if (!active) return;
        active = false;
        reader.stop();
        void reader.done.then(async () => {
          this.readers.delete(reader);
          slots.delete(index);
          if (this.flushWaiters.length > 0) this.checkFlushWaiters();
          await quitConnection(connection);
        });
      },
    };
  }

  /** A subscriber of a broadcast stream: this process's one reader of it, started with the first subscriber. */
  private subscribeBroadcast(target: StreamTarget, group: string, handler: Handler<unknown>): Subscription {
    let reader = this.broadcasts.get(target.stream);
    if (!reader) {
      const connection = this.command.duplicate({
        connectionName: `hf-bus:${this.consumer}:${target.stream}:broadcast`,
      });
      this.health.attach(connection, `reader ${target.stream} (broadcast)`);
      reader = new BroadcastReader(this.host, target, this.consumer, connection);
      this.broadcasts.set(target.stream, reader);
      this.readers.add(reader);
      const started = reader.started;
      this.starting.add(started);
      void started.then(() => this.starting.delete(started));
      reader.start();
    }
    const own = reader;
    const remove = own.add(group, handler);
    let active = true;
    return {
      unsubscribe: () => {
        if (!active) return;
        active = false;
        remove();
        if (!own.empty) return;
        this.broadcasts.delete(target.stream);
        own.stop();
        void own.done.then(async () => {
          this.readers.delete(own);
          if (this.flushWaiters.length > 0) this.checkFlushWaiters();
          await quitConnection(own.connection);
        });
      },
    };
  }

  /** Resolves when every message published so far is written to Redis and every handler invoked so far has settled. */
  flush(): Promise<void> {
    if (this.terminated) return Promise.resolve();
    const readers = [...this.readers];
    const waiter: FlushWaiter = {
      target: this.tail,
      readers,
      invoked: readers.map((r) => r.invoked),
      resolve: () => undefined,
    };
    if (this.flushed(waiter)) return Promise.resolve();
    return new Promise((resolve) => this.flushWaiters.push({ ...waiter, resolve }));
  }

  onError(listener: (error: unknown, stream: string, group: string) => void): Subscription {
    this.errorListeners.add(listener);
    return { unsubscribe: () => this.errorListeners.delete(listener) };
  }

  stats(): RedisBusStats {
    const c = this.counters;
    return {
      published: c.published,
      written: c.written,
      writeFailed: c.writeFailed,
      dropped: c.dropped,
      delivered: c.delivered,
      acked: c.acked,
      retried: c.retried,
      claimed: c.claimed,
      deadLettered: c.deadLettered,
      malformed: c.malformed,
      handlerErrors: c.handlerErrors,
      bufferSize: this.tail - this.head,
      backpressure: this.backpressureOn,
      connected: this.health.healthy && this.command.status === 'ready',
      controlSource: this.control.source,
      subscriptions: [...this.readers].map((r) => ({
        stream: r.target.stream,
        group: r.group,
        consumer: r.consumer,
        delivered: r.delivered,
        acked: r.acked,
        retrying: r.retrying,
        lag: r.lag,
        pending: r.pending,
      })),
    };
  }

  /** Refreshes each subscription's `lag` and `pending` (one pipelined XINFO GROUPS); runs every `statsIntervalMs`. */
  async refreshLag(): Promise<void> {
    const readers = [...this.readers];
    if (readers.length === 0 || this.terminated) return;
    const pipeline = this.command.pipeline();
    for (const reader of readers)
      pipeline.call('XINFO', reader instanceof BroadcastReader ? 'STREAM' : 'GROUPS', reader.target.key);
    const results = (await pipeline.exec()) ?? [];
    readers.forEach((reader, i) => {
      const [error, groups] = results[i] ?? [null, undefined];
      if (error || !Array.isArray(groups)) return;
      if (reader instanceof BroadcastReader) {
        const list = groups as unknown[];
        const field = (name: string): number | undefined => {
          const at = list.indexOf(name);
          const value = at >= 0 ? list[at + 1] : undefined;
          return typeof value === 'number' ? value : undefined;
        };
        reader.updateLag(field('entries-added'), field('length'));
        return;
      }
      for (const raw of groups as unknown[][]) {
        const info = new Map<unknown, unknown>();
        for (let j = 0; j + 1 < raw.length; j += 2) info.set(raw[j], raw[j + 1]);
        if (info.get('name') !== reader.group) continue;
        const lag = info.get('lag');
        const pending = info.get('pending');
        reader.lag = typeof lag === 'number' ? lag : undefined;
        reader.pending = typeof pending === 'number' ? pending : undefined;
      }
    });
  }

  /** Stops the readers (after the entry in hand), writes what is buffered, waits for acks, quits the connections. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const { closeTimeoutMs } = this.settings;
    if (this.statsTimer) clearInterval(this.statsTimer);
    const readers = [...this.readers];
    for (const reader of readers) reader.stop();
    if (!(await within(Promise.all(readers.map((r) => r.done)), closeTimeoutMs)))
      this.logger.error(`close: a handler is still running after ${closeTimeoutMs} ms; closing anyway`);
    const target = this.tail;
    if (!(await within(this.waitWritten(target), closeTimeoutMs)))
      this.logger.error(`close: ${target - this.head} published messages could not be written to Redis`, {
        url: this.settings.maskedUrl,
      });
    this.acceptingPublishes = false;
    await within(Promise.allSettled(this.acksInFlight), closeTimeoutMs);
    this.control.close();
    this.terminated = true;
    this.writer.close();
    const connections = [this.command, this.subscriber, ...readers.map((r) => r.connection)];
    await Promise.all(connections.map((connection) => quitConnection(connection)));
    this.readers.clear();
    this.broadcasts.clear();
    for (const waiter of this.flushWaiters) waiter.resolve();
    this.flushWaiters = [];
    for (const resolve of this.drainWaiters) resolve();
    this.drainWaiters = [];
  }

  private waitWritten(target: number): Promise<void> {
    if (this.head >= target) return Promise.resolve();
    return new Promise((resolve) => this.flushWaiters.push({ target, readers: [], invoked: [], resolve }));
  }

  private targetFor(stream: string): StreamTarget {
    let target = this.targets.get(stream);
    if (!target) {
      const key = this.keyPrefix + stream;
      const maxLen = this.settings.maxLen(stream);
      const schema = schemaForStream(stream);
      target = {
        stream,
        key,
        maxLen,
        head: xaddHead(key, undefined),
        trimmingHead: xaddHead(key, maxLen),
        lastPipeline: 0,
        check: schema ? checkWith(schema) : undefined,
      };
      this.targets.set(stream, target);
    }
    return target;
  }

  private async createGroup(target: StreamTarget, group: string): Promise<void> {
    try {
      await this.command.xgroup(
        'CREATE',
        target.key,
        group,
        this.settings.startFrom(target.stream),
        'MKSTREAM',
      );
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('BUSYGROUP')) return;
      this.logger.error('cannot create consumer group', {
        stream: target.stream,
        group,
        error: errorText(error),
      });
      throw error;
    }
  }

  /** Doubles the ring. Positions are absolute (slot = position & mask), so a wider mask keeps them valid. */
  private grow(): void {
    const mask = this.mask * 2 + 1;
    const targets = new Array<StreamTarget | undefined>(mask + 1).fill(undefined);
    const payloads = new Array<string | undefined>(mask + 1).fill(undefined);
    for (let i = this.head; i < this.tail; i++) {
      targets[i & mask] = this.ringTargets[i & this.mask];
      payloads[i & mask] = this.ringPayloads[i & this.mask];
    }
    this.ringTargets = targets;
    this.ringPayloads = payloads;
    this.mask = mask;
  }

  /**
   * Writes the buffer in order, one pipeline of XADDs at a time on the writer connection; a transient failure
   * is retried from the first unconfirmed message after a backoff. Only the last XADD of each stream in a
   * pipeline carries `MAXLEN ~` (trimming costs Redis more than the append), so a stream overshoots its cap by
   * at most one pipeline.
   */
  private async writeLoop(): Promise<void> {
    this.writeScheduled = false;
    if (this.writing) return;
    this.writing = true;
    let backoff = 50;
    try {
      while (this.head < this.tail && !this.terminated) {
        // Subscriptions made before these messages get their groups and readers first (see ready()).
        if (this.starting.size > 0) await Promise.all(this.starting);
        const start = this.head;
        const end = Math.min(this.tail, start + this.settings.pipelineLimit);
        const count = end - start;
        const pipelineNumber = ++this.pipelineNumber;
        const trim = this.trimFlags;
        for (let i = end - 1; i >= start; i--) {
          const target = this.ringTargets[i & this.mask] as StreamTarget;
          trim[i - start] = target.lastPipeline === pipelineNumber ? 0 : 1;
          target.lastPipeline = pipelineNumber;
        }
        let payload = '';
        for (let i = start; i < end; i++) {
          const slot = i & this.mask;
          const target = this.ringTargets[slot] as StreamTarget;
          const data = this.ringPayloads[slot] as string;
          payload += `${trim[i - start] === 1 ? target.trimmingHead : target.head}$${Buffer.byteLength(data)}\r\n${data}\r\n`;
        }
        let confirmed = count;
        let failures: readonly WriteFailure[] | undefined;
        let transient: unknown;
        try {
          failures = await this.writer.send(payload, count);
        } catch (error) {
          transient = error;
          confirmed = error instanceof WriterConnectionError ? error.confirmed : 0;
          failures = error instanceof WriterConnectionError ? error.failures : undefined;
        }
        let refused = 0;
        if (failures) {
          for (const failure of failures) {
            if (failure.index >= confirmed) break;
            if (isTransient(failure.message)) {
              // Written again from here (entries after it in this pipeline may then appear twice).
              confirmed = failure.index;
              transient = new Error(failure.message);
              break;
            }
            refused++;
            this.logger.error('Redis refused a published message', {
              stream: this.ringTargets[(start + failure.index) & this.mask]?.stream,
              error: failure.message,
            });
          }
        }
        for (let i = start; i < start + confirmed; i++) {
          const slot = i & this.mask;
          this.ringTargets[slot] = undefined;
          this.ringPayloads[slot] = undefined;
        }
        this.counters.written += confirmed - refused;
        this.counters.writeFailed += refused;
        this.head += confirmed;
        this.afterWrite();
        if (transient !== undefined && !this.terminated) {
          if (!this.writeErrorLogged) {
            this.writeErrorLogged = true;
            this.logger.error('cannot write to Redis: retrying in order with backoff', {
              url: this.settings.maskedUrl,
              error: errorText(transient),
              buffered: this.tail - this.head,
            });
          }
          await sleep(backoff);
          backoff = Math.min(backoff * 2, 2_000);
        } else if (confirmed > 0) {
          backoff = 50;
          this.writeErrorLogged = false;
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private afterWrite(): void {
    if (this.backpressureOn && this.tail - this.head <= this.settings.publishBufferLimit / 2) {
      this.backpressureOn = false;
      this.logger.info('publish buffer drained', { buffered: this.tail - this.head });
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const resolve of waiters) resolve();
    }
    if (this.flushWaiters.length > 0) this.checkFlushWaiters();
  }

  private flushed(waiter: FlushWaiter): boolean {
    if (this.head < waiter.target) return false;
    for (let i = 0; i < waiter.readers.length; i++) {
      const reader = waiter.readers[i] as BusReader;
      if (reader.settled < (waiter.invoked[i] as number) && this.readers.has(reader)) return false;
    }
    return true;
  }

  private checkFlushWaiters(): void {
    const remaining: FlushWaiter[] = [];
    for (const waiter of this.flushWaiters) {
      if (this.flushed(waiter)) waiter.resolve();
      else remaining.push(waiter);
    }
    this.flushWaiters = remaining;
  }

  private handlerFailed(error: unknown, stream: string, group: string): void {
    this.counters.handlerErrors++;
    if (this.errorListeners.size === 0) {
      this.logger.error('bus handler failed', { stream, group, error: errorText(error) });
      return;
    }
    for (const listener of this.errorListeners) {
      try {
        listener(error, stream, group);
      } catch (listenerError) {
        this.logger.error('bus error listener failed', { error: errorText(listenerError) });
      }
    }
  }

  private raiseAlert(stream: string, code: ReasonCode, text: string): void {
    // An alert about the alerts (or dead-letter) stream could feed itself: the log line above is the record.
    if (stream === Streams.alerts || stream === Streams.deadLetter || !this.acceptingPublishes) return;
    const severity: AlertSeverity = code === 'OPS_MALFORMED_MESSAGE' ? 'warning' : 'critical';
    const alert: Alert = {
      type: 'alert',
      severity,
      code,
      source: 'bus.redis',
      message: text,
      tsEvent: this.settings.clock.now(),
    };
    this.publish(Streams.alerts, alert);
  }

  private readerFailed(reader: BusReader, error: unknown): void {
    // Connection trouble is reported once per outage by ConnectionHealth; anything else once per kind.
    if (isTransient(error) && !this.health.healthy) return;
    const text = errorText(error);
    if (reader.lastFailure === text) return;
    reader.lastFailure = text;
    this.logger.warn('stream reader failed: retrying with backoff', {
      stream: reader.target.stream,
      group: reader.group,
      consumer: reader.consumer,
      error: errorText(error),
    });
  }

  private trackAck(promise: Promise<void>): void {
    const tracked = promise.then(
      () => {
        this.acksInFlight.delete(tracked);
      },
      (error: unknown) => {
        this.acksInFlight.delete(tracked);
        // Unacked entries stay pending and are handled again later (at least once).
        this.logger.warn('XACK failed: the entries will be delivered again', { error: errorText(error) });
      },
    );
    this.acksInFlight.add(tracked);
  }
}
