// Quality gate of market data: accepts a tick, bar or book, or names the reason it is quarantined; counts
// reasons per instrument and keeps the latest quarantined messages for inspection.

import { parseConfig } from '../common/config.ts';
import type { ReasonCode } from '../common/errors.ts';
import type { Bar, BookDelta, BookLevel, BookSnapshot, QuoteTick, TradeTick } from '../model/index.ts';
import { QualityConfigSchema, type QualityConfig, type QualityConfigInput } from './config.ts';

/** What the gate checks: every market data message a feed sends, book deltas included. */
export type GatedMessage = QuoteTick | TradeTick | Bar | BookSnapshot | BookDelta;

export const QUARANTINE_REASONS = [
  'MD_MALFORMED',
  'MD_NAN_PRICE',
  'MD_NON_POSITIVE_PRICE',
  'MD_NAN_SIZE',
  'MD_NEGATIVE_SIZE',
  'MD_BAR_INCONSISTENT',
  'MD_PRICE_BAND',
  'MD_CROSSED_BOOK',
  'MD_LOCKED_BOOK',
  'MD_OUT_OF_ORDER',
  'MD_DUPLICATE',
] as const satisfies readonly ReasonCode[];

export type QuarantineReason = (typeof QUARANTINE_REASONS)[number];

export interface QuarantinedMessage {
  readonly reason: QuarantineReason;
  /** Empty when the message carried no instrument id. */
  readonly instrumentId: string;
  readonly message: unknown;
}

const CONFIG_SOURCE = 'market data quality';
/** Counted under this id when a message carries no instrument id. */
const UNKNOWN_INSTRUMENT = '';

/** Ordering and duplicate state of one message stream (instrument × type, bars also × timeframe). */
class StreamState {
  lastTsEvent = Number.NEGATIVE_INFINITY;
  /** Messages accepted at `lastTsEvent`, a ring of `recent.length`. */
  readonly recent: (GatedMessage | undefined)[];
  recentCount = 0;
  recentNext = 0;

  constructor(window: number) {
    this.recent = new Array<GatedMessage | undefined>(window).fill(undefined);
  }

  reset(): void {
    this.lastTsEvent = Number.NEGATIVE_INFINITY;
    this.recent.fill(undefined);
    this.recentCount = 0;
    this.recentNext = 0;
  }
}

class InstrumentState {
  lastGoodPrice = Number.NaN;
  bandRejectionsInRow = 0;
  readonly quote: StreamState;
  readonly trade: StreamState;
  readonly book: StreamState;
  readonly delta: StreamState;
  readonly bars = new Map<string, StreamState>();
  readonly counts = new Map<QuarantineReason, number>();

  constructor(readonly window: number) {
    this.quote = new StreamState(window);
    this.trade = new StreamState(window);
    this.book = new StreamState(window);
    this.delta = new StreamState(window);
  }

  barStream(timeframe: string): StreamState {
    let stream = this.bars.get(timeframe);
    if (!stream) {
      stream = new StreamState(this.window);
      this.bars.set(timeframe, stream);
    }
    return stream;
  }
}

function priceProblem(price: unknown): QuarantineReason | undefined {
  if (typeof price !== 'number' || !Number.isFinite(price)) return 'MD_NAN_PRICE';
  if (price <= 0) return 'MD_NON_POSITIVE_PRICE';
  return undefined;
}

function sizeProblem(size: unknown): QuarantineReason | undefined {
  if (typeof size !== 'number' || !Number.isFinite(size)) return 'MD_NAN_SIZE';
  if (size < 0) return 'MD_NEGATIVE_SIZE';
  return undefined;
}

function levelsProblem(levels: readonly BookLevel[]): QuarantineReason | undefined {
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level === null || typeof level !== 'object') return 'MD_MALFORMED';
    const problem = priceProblem(level.price) ?? sizeProblem(level.size);
    if (problem) return problem;
  }
  return undefined;
}

function sameLevels(a: readonly BookLevel[], b: readonly BookLevel[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (!x || !y || x.price !== y.price || x.size !== y.size) return false;
  }
  return true;
}

/** Same type, instrument, event time and values (tsInit, the arrival time, is not a value). */
function sameValues(a: GatedMessage, b: GatedMessage): boolean {
  if (a.instrumentId !== b.instrumentId || a.tsEvent !== b.tsEvent) return false;
  switch (a.type) {
    case 'quote':
      return (
        b.type === 'quote' &&
        a.bid === b.bid &&
        a.ask === b.ask &&
        a.bidSize === b.bidSize &&
        a.askSize === b.askSize
      );
    case 'trade':
      return b.type === 'trade' && a.price === b.price && a.size === b.size && a.aggressor === b.aggressor;
    case 'bar':
      return (
        b.type === 'bar' &&
        a.timeframe === b.timeframe &&
        a.open === b.open &&
        a.high === b.high &&
        a.low === b.low &&
        a.close === b.close &&
        a.volume === b.volume
      );
    case 'book':
    case 'book-delta':
      return (
        b.type === a.type &&
        a.sequence === b.sequence &&
        sameLevels(a.bids, b.bids) &&
        sameLevels(a.asks, b.asks)
      );
  }
}

/** Largest price of a side, or NaN when it is empty. */
function bestOf(levels: readonly BookLevel[], highest: boolean): number {
  let best = Number.NaN;
  for (let i = 0; i < levels.length; i++) {
    const price = (levels[i] as BookLevel).price;
    if (best !== best || (highest ? price > best : price < best)) best = price;
  }
  return best;
}

/**
 * Per instrument, checks in this order: shape, prices (finite, positive) and sizes (finite, not negative),
 * bar consistency, crossed/locked top of book, event-time order and exact duplicates per message stream, then
 * the price band around the last good price. Accepting allocates nothing.
 */
export class QualityGate {
  readonly config: QualityConfig;
  private readonly instruments = new Map<string, InstrumentState>();
  private readonly totals = new Map<QuarantineReason, number>();
  private readonly kept: (QuarantinedMessage | undefined)[];
  private keptNext = 0;
  private keptCount = 0;
  private acceptedCount = 0;
  private quarantinedCount = 0;

  constructor(config: QualityConfigInput = {}) {
    this.config = parseConfig(QualityConfigSchema, config, CONFIG_SOURCE);
    this.kept = new Array<QuarantinedMessage | undefined>(this.config.keepQuarantined).fill(undefined);
  }

  /** Messages accepted so far. */
  get accepted(): number {
    return this.acceptedCount;
  }

  /** Messages quarantined so far. */
  get quarantinedTotal(): number {
    return this.quarantinedCount;
  }

  /** Undefined when `message` is accepted (and becomes the reference for later ones), else the reason. */
  check(message: GatedMessage): QuarantineReason | undefined {
    const candidate = message as unknown;
    if (candidate === null || typeof candidate !== 'object' || typeof message.instrumentId !== 'string')
      return this.quarantine(candidate, UNKNOWN_INSTRUMENT, 'MD_MALFORMED');
    if (typeof message.tsEvent !== 'number' || !Number.isFinite(message.tsEvent))
      return this.quarantine(message, message.instrumentId, 'MD_MALFORMED');
    const state = this.stateOf(message.instrumentId);
    const reason = this.evaluate(state, message);
    if (reason) return this.quarantine(message, message.instrumentId, reason, state);
    this.acceptedCount++;
    return undefined;
  }

  /**
   * Checks a top of book the caller built (an order book after a delta): crossed or locked quarantines
   * `cause` under that reason. Prices may be undefined for an empty side.
   */
  checkTopOfBook(
    cause: GatedMessage,
    bestBid: number | undefined,
    bestAsk: number | undefined,
  ): QuarantineReason | undefined {
    if (bestBid === undefined || bestAsk === undefined) return undefined;
    const reason = this.crossProblem(bestBid, bestAsk);
    return reason
      ? this.quarantine(cause, cause.instrumentId, reason, this.stateOf(cause.instrumentId))
      : undefined;
  }

  /**
   * Forgets event-time order and duplicates of an instrument (its last good price stays): call it when the
   * instrument switches feeds, whose clocks differ.
   */
  resetOrdering(instrumentId: string): void {
    const state = this.instruments.get(instrumentId);
    if (!state) return;
    state.quote.reset();
    state.trade.reset();
    state.book.reset();
    state.delta.reset();
    for (const stream of state.bars.values()) stream.reset();
  }

  /** The price the band is centred on, if any message of the instrument was accepted. */
  lastGoodPrice(instrumentId: string): number | undefined {
    const price = this.instruments.get(instrumentId)?.lastGoodPrice;
    return price === undefined || Number.isNaN(price) ? undefined : price;
  }

  /** Quarantined messages per reason, over every instrument. */
  counts(): Partial<Record<QuarantineReason, number>> {
    return Object.fromEntries(this.totals);
  }

  /** Quarantined messages per reason for one instrument (`''`: messages without an instrument id). */
  countsFor(instrumentId: string): Partial<Record<QuarantineReason, number>> {
    const state = this.instruments.get(instrumentId);
    return state ? Object.fromEntries(state.counts) : {};
  }

  /** The latest quarantined messages, oldest first (at most `keepQuarantined`). */
  quarantined(): QuarantinedMessage[] {
    const out: QuarantinedMessage[] = [];
    const size = this.kept.length;
    for (let i = 0; i < this.keptCount; i++) {
      const record = this.kept[(this.keptNext - this.keptCount + i + size) % size];
      if (record) out.push(record);
    }
    return out;
  }

  private stateOf(instrumentId: string): InstrumentState {
    let state = this.instruments.get(instrumentId);
    if (!state) {
      state = new InstrumentState(this.config.duplicateWindow);
      this.instruments.set(instrumentId, state);
    }
    return state;
  }

  private evaluate(state: InstrumentState, m: GatedMessage): QuarantineReason | undefined {
    let problem: QuarantineReason | undefined;
    let stream: StreamState;
    // The band is checked on [low, high]: one price for a trade, the two extremes of a bar.
    let low: number;
    let high: number;
    let reference: number;
    switch (m.type) {
      case 'quote':
        problem =
          priceProblem(m.bid) ??
          priceProblem(m.ask) ??
          sizeProblem(m.bidSize) ??
          sizeProblem(m.askSize) ??
          this.crossProblem(m.bid, m.ask);
        stream = state.quote;
        reference = (m.bid + m.ask) / 2;
        low = reference;
        high = reference;
        break;
      case 'trade':
        problem = priceProblem(m.price) ?? sizeProblem(m.size);
        stream = state.trade;
        reference = m.price;
        low = reference;
        high = reference;
        break;
      case 'bar':
        if (typeof m.timeframe !== 'string') return 'MD_MALFORMED';
        problem =
          priceProblem(m.open) ??
          priceProblem(m.high) ??
          priceProblem(m.low) ??
          priceProblem(m.close) ??
          sizeProblem(m.volume);
        if (
          !problem &&
          (m.high < m.low || m.high < m.open || m.high < m.close || m.low > m.open || m.low > m.close)
        )
          problem = 'MD_BAR_INCONSISTENT';
        stream = state.barStream(m.timeframe);
        reference = m.close;
        low = m.low;
        high = m.high;
        break;
      case 'book':
      case 'book-delta': {
        if (!Array.isArray(m.bids) || !Array.isArray(m.asks) || typeof m.sequence !== 'number')
          return 'MD_MALFORMED';
        problem = levelsProblem(m.bids) ?? levelsProblem(m.asks);
        if (problem) return problem;
        if (m.type === 'book-delta') {
          // A delta's levels may sit anywhere in the book: no band and no crossing check on it alone.
          stream = state.delta;
          reference = Number.NaN;
          low = Number.NaN;
          high = Number.NaN;
          break;
        }
        const bid = bestOf(m.bids, true);
        const ask = bestOf(m.asks, false);
        if (bid === bid && ask === ask) problem = this.crossProblem(bid, ask);
        stream = state.book;
        reference = bid === bid ? (ask === ask ? (bid + ask) / 2 : bid) : ask;
        low = reference;
        high = reference;
        break;
      }
      default:
        return 'MD_MALFORMED';
    }
    if (problem) return problem;

    if (m.tsEvent < stream.lastTsEvent) return 'MD_OUT_OF_ORDER';
    if (m.tsEvent === stream.lastTsEvent) {
      for (let i = 0; i < stream.recentCount; i++) {
        const seen = stream.recent[i];
        if (seen && sameValues(seen, m)) return 'MD_DUPLICATE';
      }
    }

    const band = this.config.priceBand;
    const anchor = state.lastGoodPrice;
    if (band > 0 && anchor === anchor && low === low) {
      const outside = (anchor - low) / anchor > band || (high - anchor) / anchor > band;
      if (outside) {
        const reanchorAfter = this.config.priceBandReanchorAfter;
        if (reanchorAfter === 0 || state.bandRejectionsInRow < reanchorAfter) {
          state.bandRejectionsInRow++;
          return 'MD_PRICE_BAND';
        }
      }
    }

    // Accepted: becomes the reference for order, duplicates and the band.
    if (m.tsEvent > stream.lastTsEvent) {
      stream.lastTsEvent = m.tsEvent;
      stream.recentCount = 0;
      stream.recentNext = 0;
    }
    stream.recent[stream.recentNext] = m;
    stream.recentNext = (stream.recentNext + 1) % stream.recent.length;
    if (stream.recentCount < stream.recent.length) stream.recentCount++;
    if (reference === reference) state.lastGoodPrice = reference;
    state.bandRejectionsInRow = 0;
    return undefined;
  }

  private crossProblem(bid: number, ask: number): QuarantineReason | undefined {
    if (bid > ask) return 'MD_CROSSED_BOOK';
    if (bid === ask && this.config.quarantineLocked) return 'MD_LOCKED_BOOK';
    return undefined;
  }

  private quarantine(
    message: unknown,
    instrumentId: string,
    reason: QuarantineReason,
    state: InstrumentState = this.stateOf(instrumentId),
  ): QuarantineReason {
    this.quarantinedCount++;
    this.totals.set(reason, (this.totals.get(reason) ?? 0) + 1);
    state.counts.set(reason, (state.counts.get(reason) ?? 0) + 1);
    const size = this.kept.length;
    if (size > 0) {
      this.kept[this.keptNext] = { reason, instrumentId, message };
      this.keptNext = (this.keptNext + 1) % size;
      if (this.keptCount < size) this.keptCount++;
    }
    return reason;
  }
}
