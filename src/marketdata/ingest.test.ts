// Ingest pipeline on the in-process bus with a simulated clock: failover → quality → books/candles → throttle →
// ticks.live, books.live, candles.<tf>, alerts.
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../bus/memory.ts';
import { SimulatedClock } from '../common/clock.ts';
import { ConfigError } from '../common/errors.ts';
import { Streams } from '../common/topics.ts';
import type {
  Alert,
  Bar,
  BookDelta,
  BookLevel,
  BookSnapshot,
  InstrumentId,
  QuoteTick,
  Tick,
  TradeTick,
} from '../model/index.ts';
import type { IngestConfigInput } from './config.ts';
import { IngestPipeline, type FeedMessage } from './ingest.ts';

const ID = 'AAPL.X' as InstrumentId;
const SECOND = 1_000_000;
const MINUTE = 60 * SECOND;
/** 2024-01-02T00:00:00Z in µs. */
const T0 = 1_704_153_600_000_000;

const trade = (tsEvent: number, price: number, size = 1): TradeTick => ({
  type: 'trade',
  instrumentId: ID,
  price,
  size,
  aggressor: 'buy',
  tsEvent,
  tsInit: tsEvent,
});

const quote = (tsEvent: number, bid: number, ask: number): QuoteTick => ({
  type: 'quote',
  instrumentId: ID,
  bid,
  ask,
  bidSize: 10,
  askSize: 10,
  tsEvent,
  tsInit: tsEvent,
});

const level = (price: number, size: number): BookLevel => ({ price, size });

const snapshot = (tsEvent: number, sequence: number, bid: number, ask: number): BookSnapshot => ({
  type: 'book',
  instrumentId: ID,
  bids: [level(bid, 100), level(bid - 1, 200)],
  asks: [level(ask, 100), level(ask + 1, 200)],
  sequence,
  tsEvent,
  tsInit: tsEvent,
});

const delta = (
  tsEvent: number,
  sequence: number,
  bids: readonly BookLevel[],
  asks: readonly BookLevel[] = [],
): BookDelta => ({ type: 'book-delta', instrumentId: ID, bids, asks, sequence, tsEvent, tsInit: tsEvent });

function setup(config: IngestConfigInput = {}): {
  clock: SimulatedClock;
  pipeline: IngestPipeline;
  ticks: Tick[];
  books: BookSnapshot[];
  bars: Bar[];
  alerts: Alert[];
  snapshotsAsked: InstrumentId[];
  /** Moves the clock to `t`, then ingests `message` from `feed`. */
  at: (t: number, feed: string, message: FeedMessage) => void;
} {
  const bus = new MemoryBus();
  const clock = new SimulatedClock(T0);
  const ticks: Tick[] = [];
  const books: BookSnapshot[] = [];
  const bars: Bar[] = [];
  const alerts: Alert[] = [];
  const snapshotsAsked: InstrumentId[] = [];
  bus.subscribe(Streams.ticks, 'test', (m) => void ticks.push(m));
  bus.subscribe(Streams.books, 'test', (m) => void books.push(m));
  bus.subscribe(Streams.candles('1m'), 'test', (m) => void bars.push(m));
  bus.subscribe(Streams.candles('v5'), 'test', (m) => void bars.push(m));
  bus.subscribe(Streams.alerts, 'test', (m) => void alerts.push(m));
  const pipeline = new IngestPipeline({
    bus,
    clock,
    config,
    onNeedsSnapshot: (id) => void snapshotsAsked.push(id),
  });
  pipeline.start();
  const at = (t: number, feed: string, message: FeedMessage): void => {
    clock.advanceTo(t);
    pipeline.ingest(feed, message);
  };
  return { clock, pipeline, ticks, books, bars, alerts, snapshotsAsked, at };
}

describe('IngestPipeline', () => {
  it('publishes accepted ticks, drops quarantined ones, and closes candles on the timer', () => {
    const { clock, pipeline, ticks, bars, at } = setup({ candles: { timeframes: ['1m'], volumeBars: [5] } });
    at(T0 + 1 * SECOND, 'feed', trade(T0 + 1 * SECOND, 100, 2));
    at(T0 + 2 * SECOND, 'feed', quote(T0 + 2 * SECOND, 99.9, 100.1));
    at(T0 + 3 * SECOND, 'feed', trade(T0 + 3 * SECOND, -1, 1)); // non-positive
    at(T0 + 4 * SECOND, 'feed', trade(T0 + 4 * SECOND, 500, 1)); // outside the 20 % band
    at(T0 + 5 * SECOND, 'feed', trade(T0 + 5 * SECOND, 101, 3));
    expect(ticks.map((t) => (t.type === 'trade' ? t.price : t.bid))).toEqual([100, 99.9, 101]);
    // 2 + 3 = 5 traded: one volume bar.
    expect(bars).toHaveLength(1);
    expect(bars[0]).toMatchObject({ timeframe: 'v5', open: 100, close: 101, volume: 5 });
    // The minute closes on the clock, without a tick: O 100 H 101 L 100 C 101 V 5 (the bad trades left out).
    clock.advanceTo(T0 + MINUTE);
    expect(bars[1]).toMatchObject({
      timeframe: '1m',
      open: 100,
      high: 101,
      low: 100,
      close: 101,
      volume: 5,
      tsEvent: T0 + MINUTE,
    });
    // Two silent minutes: gap-fill bars, flagged.
    clock.advanceTo(T0 + 3 * MINUTE);
    expect(bars.slice(2).map((b) => [b.tsEvent - T0, b.close, b.volume, b.filled])).toEqual([
      [2 * MINUTE, 101, 0, true],
      [3 * MINUTE, 101, 0, true],
    ]);
    expect(pipeline.quality.counts()).toEqual({ MD_NON_POSITIVE_PRICE: 1, MD_PRICE_BAND: 1 });
    expect(pipeline.stats()).toMatchObject({
      received: 5,
      quarantined: 2,
      ticksPublished: 3,
      barsPublished: 4,
      droppedByFailover: 0,
    });
  });

  it('passes bars from a bar feed to candles.<timeframe>', () => {
    const { bars, at } = setup();
    const bar: Bar = {
      type: 'bar',
      instrumentId: ID,
      timeframe: '1m',
      open: 10,
      high: 11,
      low: 9,
      close: 10.5,
      volume: 100,
      tsEvent: T0 + MINUTE,
      tsInit: T0 + MINUTE,
    };
    at(T0 + MINUTE, 'bars', bar);
    expect(bars).toEqual([bar]);
  });

  it('builds books from deltas, publishes snapshots of the order book, and heals a sequence gap', () => {
    const { pipeline, books, alerts, snapshotsAsked, at } = setup({ bookDepth: 1 });
    at(T0 + 1, 'feed', snapshot(T0 + 1, 10, 100, 101));
    at(T0 + 2, 'feed', delta(T0 + 2, 11, [level(100.5, 7)]));
    expect(books.map((b) => [b.sequence, b.bids, b.asks])).toEqual([
      [10, [level(100, 100)], [level(101, 100)]],
      [11, [level(100.5, 7)], [level(101, 100)]],
    ]);
    // 12 lost: the book goes stale, an alert goes out and a snapshot is asked for, once.
    at(T0 + 3, 'feed', delta(T0 + 3, 13, [level(100.6, 1)]));
    at(T0 + 4, 'feed', delta(T0 + 4, 14, [level(100.7, 1)]));
    expect(books).toHaveLength(2);
    expect(snapshotsAsked).toEqual([ID]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      code: 'MD_BOOK_SEQUENCE_GAP',
      severity: 'warning',
      source: 'marketdata',
    });
    expect(alerts[0]?.message).toBe('AAPL.X: book delta sequence 13, expected 12; stale until a snapshot');
    expect(pipeline.book(ID)?.stale).toBe(true);
    // The snapshot heals it; deltas flow again.
    at(T0 + 5, 'feed', snapshot(T0 + 5, 20, 100, 101));
    at(T0 + 6, 'feed', delta(T0 + 6, 21, [], [level(101, 0)]));
    expect(books.slice(2).map((b) => [b.sequence, b.bids, b.asks])).toEqual([
      [20, [level(100, 100)], [level(101, 100)]],
      [21, [level(100, 100)], [level(102, 200)]],
    ]);
    expect(pipeline.book(ID)?.microprice()).toBeCloseTo((100 * 200 + 102 * 100) / 300, 12);
  });

  it('does not publish a book that a delta crossed, and counts it', () => {
    const { pipeline, books, at } = setup();
    at(T0 + 1, 'feed', snapshot(T0 + 1, 1, 100, 101));
    at(T0 + 2, 'feed', delta(T0 + 2, 2, [level(101.5, 5)]));
    expect(books).toHaveLength(1);
    expect(pipeline.quality.counts()).toEqual({ MD_CROSSED_BOOK: 1 });
    // The next delta uncrosses it: published again.
    at(T0 + 3, 'feed', delta(T0 + 3, 3, [level(101.5, 0)]));
    expect(books).toHaveLength(2);
    expect(books[1]?.bids[0]).toEqual(level(100, 100));
  });

  it('a quarantined delta leaves a sequence gap: the book waits for a snapshot', () => {
    const { pipeline, books, snapshotsAsked, at } = setup();
    at(T0 + 1, 'feed', snapshot(T0 + 1, 1, 100, 101));
    at(T0 + 2, 'feed', delta(T0 + 2, 2, [level(Number.NaN, 5)]));
    at(T0 + 3, 'feed', delta(T0 + 3, 3, [level(99.5, 5)]));
    expect(books).toHaveLength(1);
    expect(snapshotsAsked).toEqual([ID]);
    expect(pipeline.quality.counts()).toEqual({ MD_NAN_PRICE: 1 });
  });

  it('conflates quotes and books per instrument under a throttle, publishing the latest', () => {
    const { clock, pipeline, ticks, books, at } = setup({ throttleMicros: 1000 });
    at(T0 + 100, 'feed', quote(T0 + 100, 100, 100.2));
    at(T0 + 200, 'feed', quote(T0 + 200, 100.1, 100.3));
    at(T0 + 300, 'feed', trade(T0 + 300, 100.2, 1));
    at(T0 + 400, 'feed', quote(T0 + 400, 100.2, 100.4));
    at(T0 + 500, 'feed', snapshot(T0 + 500, 1, 100, 101));
    at(T0 + 600, 'feed', delta(T0 + 600, 2, [level(100.1, 1)]));
    at(T0 + 700, 'feed', delta(T0 + 700, 3, [level(100.2, 2)]));
    // First quote at once; trades are never held; the 200 and 400 quotes wait, the 400 one wins.
    expect(ticks.map((t) => t.tsEvent - T0)).toEqual([100, 300]);
    expect(books.map((b) => b.sequence)).toEqual([1]);
    clock.advanceTo(T0 + 1100);
    expect(ticks.map((t) => t.tsEvent - T0)).toEqual([100, 300, 400]);
    clock.advanceTo(T0 + 1500);
    // The book published at the end of its interval is the book as it is then: sequence 3.
    expect(books.map((b) => b.sequence)).toEqual([1, 3]);
    expect(books[1]?.bids[0]).toEqual(level(100.2, 2));
    expect(pipeline.stats().conflated).toBe(2);
    // stop() publishes what is still held.
    at(T0 + 1600, 'feed', quote(T0 + 1600, 100.3, 100.5));
    at(T0 + 1700, 'feed', quote(T0 + 1700, 100.4, 100.6));
    pipeline.stop();
    expect(ticks.at(-1)?.tsEvent).toBe(T0 + 1700);
  });

  it('fails over to the backup feed when the primary goes stale, and rebuilds the book from the new feed', () => {
    const { clock, pipeline, ticks, books, alerts, snapshotsAsked, at } = setup({
      failover: {
        staleAfterMicros: 1 * SECOND,
        checkIntervalMicros: 100_000,
        instruments: { [ID]: { primary: 'alpha', backup: 'beta' } },
      },
    });
    at(T0 + 1000, 'alpha', snapshot(T0 + 1000, 50, 100, 101));
    at(T0 + 1001, 'beta', snapshot(T0 + 1001, 7, 100, 101));
    // alpha's exchange clock runs ahead: its last trade is stamped 1.4 s though it arrives at 2 ms.
    at(T0 + 2000, 'alpha', trade(T0 + 1_400_000, 100.5));
    at(T0 + 2001, 'beta', trade(T0 + 2001, 100.5));
    expect(ticks).toHaveLength(1);
    expect(books).toHaveLength(1);
    expect(pipeline.stats().droppedByFailover).toBe(2);
    // alpha goes silent; beta keeps talking, each trade stamped 50 ms before it arrives.
    for (let t = 100_000; t <= 1_500_000; t += 100_000) at(T0 + t, 'beta', trade(T0 + t - 50_000, 100.5));
    expect(pipeline.failover.activeFeed(ID)).toBe('beta');
    // Checks run every 100 ms from T0; alpha last spoke at T0 + 2000 µs, so the check at T0 + 1.1 s is the
    // first to see more than 1 s of silence: 1 100 000 − 2 000 = 1 098 000 µs.
    const failover = alerts.find((a) => a.code === 'MD_FEED_FAILOVER');
    expect(failover?.message).toBe('AAPL.X: feed alpha -> beta (alpha no update for 1098000 µs)');
    expect(failover?.tsEvent).toBe(T0 + 1_100_000);
    // From the switch on (the check fires before the 1.1 s message), beta's trades pass, though stamped
    // before alpha's last (1.05 s … 1.35 s < 1.4 s): event-time order restarts with the new feed.
    expect(ticks.map((t) => t.tsEvent - T0)).toEqual([
      1_400_000, 1_050_000, 1_150_000, 1_250_000, 1_350_000, 1_450_000,
    ]);
    // The book's sequence belonged to alpha: stale until beta sends a snapshot.
    expect(snapshotsAsked).toEqual([ID]);
    expect(pipeline.book(ID)?.stale).toBe(true);
    at(T0 + 1_510_000, 'beta', delta(T0 + 1_510_000, 8, [level(100.5, 1)]));
    expect(books).toHaveLength(1);
    at(T0 + 1_520_000, 'beta', snapshot(T0 + 1_520_000, 9, 100, 101));
    at(T0 + 1_530_000, 'beta', delta(T0 + 1_530_000, 10, [level(100.5, 1)]));
    expect(books.map((b) => b.sequence)).toEqual([50, 9, 10]);
    // Messages of alpha are now dropped.
    at(T0 + 1_540_000, 'alpha', trade(T0 + 1_540_000, 100.5));
    expect(ticks.at(-1)?.tsEvent).toBe(T0 + 1_450_000);
    expect(clock.now()).toBe(T0 + 1_540_000);
    expect(pipeline.failover.status()[0]).toMatchObject({ active: 'backup', primaryStale: false });
  });

  it('never throws on malformed input: quarantined and counted', () => {
    const { pipeline, ticks } = setup();
    const junk: unknown[] = [null, undefined, 42, 'trade', {}, { type: 'trade', instrumentId: ID }];
    for (const message of junk) expect(() => pipeline.ingest('feed', message as FeedMessage)).not.toThrow();
    expect(ticks).toHaveLength(0);
    expect(pipeline.quality.counts()).toEqual({ MD_MALFORMED: 6 });
    expect(pipeline.stats().received).toBe(6);
  });

  it('rejects a bad configuration, naming the key', () => {
    const bus = new MemoryBus();
    const clock = new SimulatedClock(0);
    const make = (config: unknown): IngestPipeline =>
      new IngestPipeline({ bus, clock, config: config as IngestConfigInput });
    expect(() => make({ candles: { timeframes: ['5q'] } })).toThrow(ConfigError);
    expect(() => make({ candles: { timeframes: ['5q'] } })).toThrow(/candles\.timeframes\[0\]/);
    expect(() => make({ throttleMicros: -5 })).toThrow(/throttleMicros/);
    expect(() => make({ unknownKey: 1 })).toThrow(ConfigError);
  });
});
