// The ingest pipeline: feed messages (tagged with their feed) → failover filter → quality gate → order books
// and candles → throttle → `ticks.live`, `books.live`, `candles.<tf>`; feed and book alerts on `alerts`.
// Boundary: publishes ticks.live, books.live, candles.<tf>, alerts; subscribes nothing (feeds call `ingest`).

import type { Bus, CandleStream } from '../common/bus.ts';
import type { Clock } from '../common/clock.ts';
import { parseConfig } from '../common/config.ts';
import { Streams } from '../common/topics.ts';
import type {
  Alert,
  Bar,
  BookDelta,
  BookSnapshot,
  InstrumentId,
  QuoteTick,
  TradeTick,
} from '../model/index.ts';
import { CandleAggregator } from './candles.ts';
import { IngestConfigSchema, type IngestConfig, type IngestConfigInput } from './config.ts';
import { FeedFailover, type FeedSwitch } from './failover.ts';
import { OrderBook } from './order-book.ts';
import { QualityGate } from './quality.ts';
import { ConflatingThrottle } from './throttle.ts';

const CONFIG_SOURCE = 'market data ingest';
/** Numbers instances, so two pipelines on one clock keep separate timers. */
let instances = 0;

/** Everything a market data feed sends. */
export type FeedMessage = QuoteTick | TradeTick | Bar | BookSnapshot | BookDelta;

export interface IngestPipelineOptions {
  readonly bus: Bus;
  readonly clock: Clock;
  readonly config?: IngestConfigInput;
  /**
   * Asked when an instrument's book needs a fresh snapshot (a delta sequence gap, or a switch of feed): ask
   * the instrument's active feed (`failover.activeFeed(instrumentId)`, or the only feed) for one.
   */
  readonly onNeedsSnapshot?: (instrumentId: InstrumentId) => void;
  /**
   * Where accepted market data goes instead of the bus (alerts still go to the bus): the kernel in one process,
   * which hands it to its paper venues before publishing it.
   */
  readonly sink?: (message: QuoteTick | TradeTick | BookSnapshot | Bar) => void;
}

export interface IngestStats {
  readonly received: number;
  /** Dropped by the failover filter: inactive feed, or a feed that is neither primary nor backup. */
  readonly droppedByFailover: number;
  readonly quarantined: number;
  readonly ticksPublished: number;
  readonly booksPublished: number;
  readonly barsPublished: number;
  readonly alertsPublished: number;
  /** Quotes and books replaced by a newer one before the throttle let them out. */
  readonly conflated: number;
}

/** An instrument's book and whether its current state may be published (not stale, not crossed). */
class BookEntry {
  publishable = false;
  constructor(readonly book: OrderBook) {}
}

export class IngestPipeline {
  readonly config: IngestConfig;
  readonly quality: QualityGate;
  readonly candles: CandleAggregator;
  readonly failover: FeedFailover;
  private readonly bus: Bus;
  private readonly clock: Clock;
  private readonly sink: IngestPipelineOptions['sink'];
  private readonly books = new Map<string, BookEntry>();
  private readonly quoteThrottle: ConflatingThrottle<QuoteTick> | undefined;
  private readonly bookThrottle: ConflatingThrottle<BookEntry> | undefined;
  private readonly candleStreams = new Map<string, CandleStream>();
  private running = false;
  private readonly timerPrefix = `marketdata.ingest#${++instances}`;
  private readonly candleTimer = `${this.timerPrefix}.candles`;
  private received = 0;
  private droppedByFailover = 0;
  private ticksPublished = 0;
  private booksPublished = 0;
  private barsPublished = 0;
  private alertsPublished = 0;

  // Callbacks bound once: nothing is allocated per message to call them.
  private readonly publishQuote = (quote: QuoteTick): void => {
    this.ticksPublished++;
    if (this.sink) this.sink(quote);
    else this.bus.publish(Streams.ticks, quote);
  };
  private readonly publishBook = (entry: BookEntry): void => {
    // A throttled book may have gone stale or crossed since it was offered: its current state decides.
    if (!entry.publishable) return;
    this.booksPublished++;
    const snapshot = entry.book.toSnapshot(this.config.bookDepth);
    if (this.sink) this.sink(snapshot);
    else this.bus.publish(Streams.books, snapshot);
  };
  private readonly publishBar = (bar: Bar): void => {
    this.barsPublished++;
    if (this.sink) this.sink(bar);
    else this.bus.publish(this.candleStream(bar.timeframe), bar);
  };
  private readonly publishAlert = (alert: Alert): void => {
    this.alertsPublished++;
    this.bus.publish(Streams.alerts, alert);
  };
  private readonly onFeedSwitch = (change: FeedSwitch): void => {
    // The new feed has its own clock and its own book sequence numbers.
    this.quality.resetOrdering(change.instrumentId);
    const entry = this.books.get(change.instrumentId);
    if (!entry) return;
    entry.book.invalidate();
    entry.publishable = false;
    this.options.onNeedsSnapshot?.(change.instrumentId);
  };
  private readonly onBookGap = (instrumentId: InstrumentId, expected: number, received: number): void => {
    this.publishAlert({
      type: 'alert',
      severity: 'warning',
      code: 'MD_BOOK_SEQUENCE_GAP',
      source: 'marketdata',
      message: `${instrumentId}: book delta sequence ${received}, expected ${expected}; stale until a snapshot`,
      tsEvent: this.clock.now(),
    });
    this.options.onNeedsSnapshot?.(instrumentId);
  };
  private readonly onCandleTimer = (): void => {
    this.candles.advance(this.clock.now());
    if (this.running) this.armCandleTimer();
  };

  constructor(private readonly options: IngestPipelineOptions) {
    this.config = parseConfig(IngestConfigSchema, options.config ?? {}, CONFIG_SOURCE);
    this.bus = options.bus;
    this.clock = options.clock;
    this.sink = options.sink;
    this.quality = new QualityGate(this.config.quality);
    this.candles = new CandleAggregator({ config: this.config.candles, onBar: this.publishBar });
    this.failover = new FeedFailover({
      clock: this.clock,
      config: this.config.failover,
      onAlert: this.publishAlert,
      onSwitch: this.onFeedSwitch,
    });
    const interval = this.config.throttleMicros;
    if (interval > 0) {
      this.quoteThrottle = new ConflatingThrottle({
        clock: this.clock,
        intervalMicros: interval,
        emit: this.publishQuote,
        timerName: `${this.timerPrefix}.throttle.quotes`,
      });
      this.bookThrottle = new ConflatingThrottle({
        clock: this.clock,
        intervalMicros: interval,
        emit: this.publishBook,
        timerName: `${this.timerPrefix}.throttle.books`,
      });
    }
  }

  /** Starts the failover staleness checks and the candle close timer. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.failover.start();
    this.armCandleTimer();
  }

  /** Stops the timers and publishes what the throttle still holds. */
  stop(): void {
    this.running = false;
    this.failover.stop();
    this.clock.cancelTimer(this.candleTimer);
    this.quoteThrottle?.stop();
    this.bookThrottle?.stop();
    this.quoteThrottle?.flushAll();
    this.bookThrottle?.flushAll();
  }

  /** Takes one message of `feed`. Never throws on bad input: it is quarantined and counted. */
  ingest(feed: string, message: FeedMessage): void {
    this.received++;
    const candidate = message as unknown;
    if (
      candidate !== null &&
      typeof candidate === 'object' &&
      typeof message.instrumentId === 'string' &&
      !this.failover.accept(feed, message.instrumentId)
    ) {
      this.droppedByFailover++;
      return;
    }
    if (this.quality.check(message) !== undefined) return;
    switch (message.type) {
      case 'trade':
        this.candles.onTick(message);
        this.ticksPublished++;
        if (this.sink) this.sink(message);
        else this.bus.publish(Streams.ticks, message);
        return;
      case 'quote':
        this.candles.onTick(message);
        if (this.quoteThrottle) this.quoteThrottle.offer(message.instrumentId, message);
        else this.publishQuote(message);
        return;
      case 'bar':
        this.publishBar(message);
        return;
      case 'book': {
        const entry = this.bookEntry(message.instrumentId);
        entry.book.applySnapshot(message);
        entry.publishable = true;
        this.offerBook(entry);
        return;
      }
      case 'book-delta': {
        const entry = this.bookEntry(message.instrumentId);
        const book = entry.book;
        if (book.applyDelta(message) !== 'applied') {
          if (book.stale) entry.publishable = false;
          return;
        }
        entry.publishable =
          this.quality.checkTopOfBook(message, book.bestBid(), book.bestAsk()) === undefined;
        if (entry.publishable) this.offerBook(entry);
        return;
      }
    }
  }

  /** The instrument's order book, once a book message of it has been accepted. */
  book(instrumentId: string): OrderBook | undefined {
    return this.books.get(instrumentId)?.book;
  }

  stats(): IngestStats {
    return {
      received: this.received,
      droppedByFailover: this.droppedByFailover,
      quarantined: this.quality.quarantinedTotal,
      ticksPublished: this.ticksPublished,
      booksPublished: this.booksPublished,
      barsPublished: this.barsPublished,
      alertsPublished: this.alertsPublished,
      conflated: (this.quoteThrottle?.conflated ?? 0) + (this.bookThrottle?.conflated ?? 0),
    };
  }

  private bookEntry(instrumentId: InstrumentId): BookEntry {
    let entry = this.books.get(instrumentId);
    if (!entry) {
      entry = new BookEntry(new OrderBook(instrumentId, { onNeedsSnapshot: this.onBookGap }));
      this.books.set(instrumentId, entry);
    }
    return entry;
  }

  private offerBook(entry: BookEntry): void {
    if (this.bookThrottle) this.bookThrottle.offer(entry.book.instrumentId, entry);
    else this.publishBook(entry);
  }

  private candleStream(timeframe: string): CandleStream {
    let stream = this.candleStreams.get(timeframe);
    if (!stream) {
      stream = Streams.candles(timeframe);
      this.candleStreams.set(timeframe, stream);
    }
    return stream;
  }

  private armCandleTimer(): void {
    const at = this.candles.nextCloseTime(this.clock.now());
    if (at !== undefined) this.clock.setTimer(this.candleTimer, at, this.onCandleTimer);
  }
}
