// Quality gate: every quarantine reason, counters per reason and instrument, the kept messages, band re-anchoring.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../common/errors.ts';
import type { Bar, BookDelta, BookSnapshot, InstrumentId, QuoteTick, TradeTick } from '../model/index.ts';
import { QualityGate, type GatedMessage } from './quality.ts';

const AAPL = 'AAPL.X' as InstrumentId;
const MSFT = 'MSFT.X' as InstrumentId;

const trade = (tsEvent: number, price: number, size = 1, instrumentId = AAPL): TradeTick => ({
  type: 'trade',
  instrumentId,
  price,
  size,
  aggressor: 'buy',
  tsEvent,
  tsInit: tsEvent,
});

const quote = (tsEvent: number, bid: number, ask: number, bidSize = 10, askSize = 10): QuoteTick => ({
  type: 'quote',
  instrumentId: AAPL,
  bid,
  ask,
  bidSize,
  askSize,
  tsEvent,
  tsInit: tsEvent,
});

const bar = (tsEvent: number, open: number, high: number, low: number, close: number, volume = 5): Bar => ({
  type: 'bar',
  instrumentId: AAPL,
  timeframe: '1m',
  open,
  high,
  low,
  close,
  volume,
  tsEvent,
  tsInit: tsEvent,
});

const book = (tsEvent: number, bid: number, ask: number, sequence = 1): BookSnapshot => ({
  type: 'book',
  instrumentId: AAPL,
  bids: [{ price: bid, size: 5 }],
  asks: [{ price: ask, size: 5 }],
  sequence,
  tsEvent,
  tsInit: tsEvent,
});

const delta = (tsEvent: number, sequence: number, price: number, size: number): BookDelta => ({
  type: 'book-delta',
  instrumentId: AAPL,
  bids: [{ price, size }],
  asks: [],
  sequence,
  tsEvent,
  tsInit: tsEvent,
});

/** Bad input as a feed might send it, past the type system. */
const raw = (value: unknown): GatedMessage => value as GatedMessage;

describe('QualityGate', () => {
  it('accepts clean ticks, bars and books and remembers the last good price', () => {
    const gate = new QualityGate();
    expect(gate.lastGoodPrice(AAPL)).toBeUndefined();
    expect(gate.check(trade(1, 100))).toBeUndefined();
    expect(gate.check(quote(2, 100, 100.2))).toBeUndefined();
    expect(gate.lastGoodPrice(AAPL)).toBeCloseTo(100.1, 12);
    expect(gate.check(bar(3, 100, 101, 99, 100.5))).toBeUndefined();
    expect(gate.check(book(4, 100.4, 100.6))).toBeUndefined();
    expect(gate.check(delta(5, 2, 100.3, 0))).toBeUndefined();
    expect(gate.accepted).toBe(5);
    expect(gate.quarantinedTotal).toBe(0);
    expect(gate.counts()).toEqual({});
  });

  it('quarantines malformed messages without throwing', () => {
    const gate = new QualityGate();
    expect(gate.check(raw(null))).toBe('MD_MALFORMED');
    expect(gate.check(raw('trade'))).toBe('MD_MALFORMED');
    expect(gate.check(raw({ type: 'trade', price: 1, size: 1, tsEvent: 1 }))).toBe('MD_MALFORMED');
    expect(gate.check(raw({ ...trade(1, 100), tsEvent: Number.NaN }))).toBe('MD_MALFORMED');
    expect(gate.check(raw({ ...trade(1, 100), type: 'candle' }))).toBe('MD_MALFORMED');
    expect(gate.check(raw({ ...bar(1, 1, 1, 1, 1), timeframe: undefined }))).toBe('MD_MALFORMED');
    expect(gate.check(raw({ ...book(1, 1, 2), bids: undefined }))).toBe('MD_MALFORMED');
    expect(gate.check(raw({ ...book(1, 1, 2), asks: [null] }))).toBe('MD_MALFORMED');
    expect(gate.counts()).toEqual({ MD_MALFORMED: 8 });
    // The first three carried no instrument id: counted under ''.
    expect(gate.countsFor('')).toEqual({ MD_MALFORMED: 3 });
    expect(gate.countsFor(AAPL)).toEqual({ MD_MALFORMED: 5 });
  });

  it('quarantines NaN or infinite prices and sizes, non-positive prices and negative sizes', () => {
    const gate = new QualityGate();
    expect(gate.check(trade(1, Number.NaN))).toBe('MD_NAN_PRICE');
    expect(gate.check(quote(1, 100, Number.POSITIVE_INFINITY))).toBe('MD_NAN_PRICE');
    expect(gate.check(bar(1, 100, Number.NaN, 99, 100))).toBe('MD_NAN_PRICE');
    expect(gate.check(trade(1, 0))).toBe('MD_NON_POSITIVE_PRICE');
    expect(gate.check(trade(1, -5))).toBe('MD_NON_POSITIVE_PRICE');
    expect(gate.check(book(1, -1, 100))).toBe('MD_NON_POSITIVE_PRICE');
    expect(gate.check(trade(1, 100, Number.NaN))).toBe('MD_NAN_SIZE');
    expect(gate.check(bar(1, 100, 100, 100, 100, Number.NEGATIVE_INFINITY))).toBe('MD_NAN_SIZE');
    expect(gate.check(quote(1, 100, 101, -1, 10))).toBe('MD_NEGATIVE_SIZE');
    expect(gate.check(delta(1, 1, 100, -3))).toBe('MD_NEGATIVE_SIZE');
    expect(gate.counts()).toEqual({
      MD_NAN_PRICE: 3,
      MD_NON_POSITIVE_PRICE: 3,
      MD_NAN_SIZE: 2,
      MD_NEGATIVE_SIZE: 2,
    });
    // Nothing bad became the reference.
    expect(gate.lastGoodPrice(AAPL)).toBeUndefined();
  });

  it('quarantines a bar whose high/low do not contain its open and close', () => {
    const gate = new QualityGate();
    expect(gate.check(bar(1, 100, 101, 99, 102))).toBe('MD_BAR_INCONSISTENT');
    expect(gate.check(bar(1, 98, 101, 99, 100))).toBe('MD_BAR_INCONSISTENT');
    expect(gate.check(bar(1, 100, 99, 101, 100))).toBe('MD_BAR_INCONSISTENT');
  });

  it('quarantines crossed quotes and books always, locked ones when configured', () => {
    const strict = new QualityGate();
    expect(strict.check(quote(1, 100.1, 100))).toBe('MD_CROSSED_BOOK');
    expect(strict.check(book(1, 100.1, 100))).toBe('MD_CROSSED_BOOK');
    expect(strict.check(quote(1, 100, 100))).toBe('MD_LOCKED_BOOK');
    expect(strict.check(book(1, 100, 100))).toBe('MD_LOCKED_BOOK');
    const lenient = new QualityGate({ quarantineLocked: false });
    expect(lenient.check(quote(1, 100, 100))).toBeUndefined();
    expect(lenient.check(book(1, 100, 100))).toBeUndefined();
    expect(lenient.check(quote(2, 100.1, 100))).toBe('MD_CROSSED_BOOK');
  });

  it('judges a book by its best levels even when the feed lists them out of order', () => {
    const gate = new QualityGate();
    const unsorted: BookSnapshot = {
      ...book(1, 99, 101),
      bids: [
        { price: 99, size: 1 },
        { price: 101.5, size: 1 },
      ],
    };
    expect(gate.check(unsorted)).toBe('MD_CROSSED_BOOK');
  });

  it('checks a top of book built elsewhere (an order book after a delta)', () => {
    const gate = new QualityGate();
    const cause = delta(1, 1, 100, 5);
    expect(gate.checkTopOfBook(cause, 100, 100.5)).toBeUndefined();
    expect(gate.checkTopOfBook(cause, undefined, 100)).toBeUndefined();
    expect(gate.checkTopOfBook(cause, 101, 100.5)).toBe('MD_CROSSED_BOOK');
    expect(gate.checkTopOfBook(cause, 100.5, 100.5)).toBe('MD_LOCKED_BOOK');
    expect(gate.countsFor(AAPL)).toEqual({ MD_CROSSED_BOOK: 1, MD_LOCKED_BOOK: 1 });
  });

  it('quarantines prices outside the band around the last good price, only once one exists', () => {
    const gate = new QualityGate({ priceBand: 0.2 });
    // No reference yet: any positive price is accepted and becomes the anchor.
    expect(gate.check(trade(1, 100))).toBeUndefined();
    // |121 − 100| / 100 = 0.21 > 0.2; |79 − 100| / 100 = 0.21 > 0.2.
    expect(gate.check(trade(2, 121))).toBe('MD_PRICE_BAND');
    expect(gate.check(trade(3, 79))).toBe('MD_PRICE_BAND');
    // 0.19 is inside: accepted, and the anchor moves to 119.
    expect(gate.check(trade(4, 119))).toBeUndefined();
    expect(gate.lastGoodPrice(AAPL)).toBe(119);
    // 140 is 21/119 ≈ 0.176 from the new anchor: inside.
    expect(gate.check(trade(5, 140))).toBeUndefined();
    // A quote is judged by its mid: (200 + 202) / 2 = 201, 61/140 ≈ 0.44 away.
    expect(gate.check(quote(6, 200, 202))).toBe('MD_PRICE_BAND');
    // A bar by its extremes: close 140 is fine, but the low 100 is 40/140 ≈ 0.29 away.
    expect(gate.check(bar(7, 140, 141, 100, 140))).toBe('MD_PRICE_BAND');
    // Instruments have separate anchors.
    expect(gate.check(trade(8, 10, 1, MSFT))).toBeUndefined();
    expect(gate.counts()).toEqual({ MD_PRICE_BAND: 4 });
  });

  it('has no band when priceBand is 0', () => {
    const gate = new QualityGate({ priceBand: 0 });
    expect(gate.check(trade(1, 100))).toBeUndefined();
    expect(gate.check(trade(2, 1000))).toBeUndefined();
  });

  it('re-anchors after the configured number of band rejections in a row', () => {
    const gate = new QualityGate({ priceBand: 0.1, priceBandReanchorAfter: 2 });
    expect(gate.check(trade(1, 100))).toBeUndefined();
    expect(gate.check(trade(2, 150))).toBe('MD_PRICE_BAND');
    expect(gate.check(trade(3, 151))).toBe('MD_PRICE_BAND');
    // Third in a row: taken as the new level.
    expect(gate.check(trade(4, 150))).toBeUndefined();
    expect(gate.lastGoodPrice(AAPL)).toBe(150);
    // An accepted price resets the run: two more rejections are needed again.
    expect(gate.check(trade(5, 100))).toBe('MD_PRICE_BAND');
    expect(gate.check(trade(6, 150))).toBeUndefined();
    expect(gate.check(trade(7, 100))).toBe('MD_PRICE_BAND');
    expect(gate.check(trade(8, 100))).toBe('MD_PRICE_BAND');
    expect(gate.check(trade(9, 100))).toBeUndefined();
  });

  it('never re-anchors when priceBandReanchorAfter is 0', () => {
    const gate = new QualityGate({ priceBand: 0.1, priceBandReanchorAfter: 0 });
    expect(gate.check(trade(1, 100))).toBeUndefined();
    for (let i = 2; i < 50; i++) expect(gate.check(trade(i, 150))).toBe('MD_PRICE_BAND');
  });

  it('quarantines messages older than the last accepted of the same instrument and type', () => {
    const gate = new QualityGate();
    expect(gate.check(trade(300, 100))).toBeUndefined();
    expect(gate.check(trade(200, 100))).toBe('MD_OUT_OF_ORDER');
    // Another type has its own order: an older quote is fine.
    expect(gate.check(quote(100, 99.9, 100.1))).toBeUndefined();
    // Another instrument too.
    expect(gate.check(trade(100, 50, 1, MSFT))).toBeUndefined();
    // Bars are ordered per timeframe.
    expect(gate.check(bar(600, 100, 100, 100, 100))).toBeUndefined();
    expect(gate.check({ ...bar(120, 100, 100, 100, 100), timeframe: '1s' })).toBeUndefined();
    expect(gate.check(bar(540, 100, 100, 100, 100))).toBe('MD_OUT_OF_ORDER');
    // Equal time is not out of order.
    expect(gate.check(trade(300, 100.5))).toBeUndefined();
    expect(gate.countsFor(AAPL)).toEqual({ MD_OUT_OF_ORDER: 2 });
  });

  it('quarantines exact duplicates (same instrument, event time and values), whatever their arrival time', () => {
    const gate = new QualityGate();
    const first = trade(10, 100, 5);
    expect(gate.check(first)).toBeUndefined();
    expect(gate.check({ ...first, tsInit: 99 })).toBe('MD_DUPLICATE');
    // Same time, different size or price: a second trade in the same microsecond.
    expect(gate.check(trade(10, 100, 6))).toBeUndefined();
    expect(gate.check(trade(10, 100.01, 5))).toBeUndefined();
    // A redelivery of the first after others at the same time is still a duplicate.
    expect(gate.check(trade(10, 100, 5))).toBe('MD_DUPLICATE');
    // Once time moves on, the same values at a later time are a new trade.
    expect(gate.check(trade(11, 100, 5))).toBeUndefined();
    // Quotes, bars and books too.
    expect(gate.check(quote(12, 99.9, 100.1))).toBeUndefined();
    expect(gate.check(quote(12, 99.9, 100.1))).toBe('MD_DUPLICATE');
    expect(gate.check(bar(60, 100, 101, 99, 100))).toBeUndefined();
    expect(gate.check(bar(60, 100, 101, 99, 100))).toBe('MD_DUPLICATE');
    expect(gate.check(book(13, 99.9, 100.1, 7))).toBeUndefined();
    expect(gate.check(book(13, 99.9, 100.1, 7))).toBe('MD_DUPLICATE');
    expect(gate.check(book(13, 99.9, 100.1, 8))).toBeUndefined();
    expect(gate.check(delta(14, 9, 99.8, 3))).toBeUndefined();
    expect(gate.check(delta(14, 9, 99.8, 3))).toBe('MD_DUPLICATE');
    expect(gate.counts()).toEqual({ MD_DUPLICATE: 6 });
  });

  it('forgets ordering on resetOrdering (a feed switch) but keeps the band anchor', () => {
    const gate = new QualityGate();
    expect(gate.check(trade(500, 100))).toBeUndefined();
    expect(gate.check(trade(400, 100))).toBe('MD_OUT_OF_ORDER');
    gate.resetOrdering(AAPL);
    gate.resetOrdering('UNKNOWN.X');
    expect(gate.check(trade(400, 100))).toBeUndefined();
    expect(gate.lastGoodPrice(AAPL)).toBe(100);
    expect(gate.check(trade(401, 200))).toBe('MD_PRICE_BAND');
  });

  it('keeps the latest quarantined messages, oldest first, up to keepQuarantined', () => {
    const gate = new QualityGate({ keepQuarantined: 3 });
    const bad = [trade(1, -1), trade(2, -2), trade(3, -3), trade(4, -4), trade(5, Number.NaN)];
    for (const message of bad) gate.check(message);
    const kept = gate.quarantined();
    expect(kept.map((k) => k.message)).toEqual([bad[2], bad[3], bad[4]]);
    expect(kept.map((k) => k.reason)).toEqual([
      'MD_NON_POSITIVE_PRICE',
      'MD_NON_POSITIVE_PRICE',
      'MD_NAN_PRICE',
    ]);
    expect(kept[0]?.instrumentId).toBe(AAPL);
    expect(gate.quarantinedTotal).toBe(5);
    expect(new QualityGate({ keepQuarantined: 0 }).quarantined()).toEqual([]);
  });

  it('rejects a bad configuration with the key named', () => {
    expect(() => new QualityGate({ priceBand: -1 })).toThrow(ConfigError);
    expect(() => new QualityGate({ priceBand: -1 })).toThrow(/priceBand/);
  });
});
