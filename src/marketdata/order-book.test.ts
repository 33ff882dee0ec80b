// L2 order book: snapshots, deltas, sequence gaps healed by a snapshot, depth, imbalance and microprice.
import { describe, expect, it } from 'vitest';
import type { BookDelta, BookLevel, BookSnapshot, InstrumentId } from '../model/index.ts';
import { OrderBook } from './order-book.ts';

const ID = 'AAPL.X' as InstrumentId;

const level = (price: number, size: number): BookLevel => ({ price, size });

const snapshot = (
  sequence: number,
  bids: readonly BookLevel[],
  asks: readonly BookLevel[],
  tsEvent = 1000,
): BookSnapshot => ({ type: 'book', instrumentId: ID, bids, asks, sequence, tsEvent, tsInit: tsEvent + 1 });

const delta = (
  sequence: number,
  bids: readonly BookLevel[],
  asks: readonly BookLevel[] = [],
  tsEvent = 2000 + sequence,
): BookDelta => ({
  type: 'book-delta',
  instrumentId: ID,
  bids,
  asks,
  sequence,
  tsEvent,
  tsInit: tsEvent + 1,
});

/** Bids 100×300, 99×100; asks 101×100, 102×300 (the book the hand-computed figures below refer to). */
function handBook(): OrderBook {
  const book = new OrderBook(ID);
  book.applySnapshot(snapshot(10, [level(100, 300), level(99, 100)], [level(101, 100), level(102, 300)]));
  return book;
}

describe('OrderBook', () => {
  it('applies a snapshot, sorting levels best first and skipping empty ones', () => {
    const book = new OrderBook(ID);
    book.applySnapshot(
      snapshot(5, [level(99, 1), level(100, 2), level(98, 0)], [level(102, 4), level(101, 3)]),
    );
    expect(book.bestBid()).toBe(100);
    expect(book.bestBidSize()).toBe(2);
    expect(book.bestAsk()).toBe(101);
    expect(book.bestAskSize()).toBe(3);
    expect(book.depth('bid', 5)).toEqual([level(100, 2), level(99, 1)]);
    expect(book.depth('ask', 1)).toEqual([level(101, 3)]);
    expect(book.levelCount('bid')).toBe(2);
    expect(book.sequence).toBe(5);
    expect(book.stale).toBe(false);
  });

  it('applies deltas in sequence: sizes replace, size 0 deletes, new prices insert in order', () => {
    const book = handBook();
    expect(book.applyDelta(delta(11, [level(99.5, 50), level(100, 0)], [level(101, 120)]))).toBe('applied');
    expect(book.depth('bid', 10)).toEqual([level(99.5, 50), level(99, 100)]);
    expect(book.depth('ask', 10)).toEqual([level(101, 120), level(102, 300)]);
    expect(book.applyDelta(delta(12, [], [level(100.5, 7), level(103, 1), level(105, 0)]))).toBe('applied');
    expect(book.depth('ask', 10)).toEqual([level(100.5, 7), level(101, 120), level(102, 300), level(103, 1)]);
    expect(book.sequence).toBe(12);
    expect(book.tsEvent).toBe(2012);
    expect(book.deltasApplied).toBe(2);
  });

  it('starts empty at sequence 0: a delta feed starting at 1 needs no snapshot', () => {
    const book = new OrderBook(ID);
    expect(book.bestBid()).toBeUndefined();
    expect(book.microprice()).toBeUndefined();
    expect(book.imbalance(5)).toBeUndefined();
    expect(book.applyDelta(delta(1, [level(10, 1)], [level(11, 1)]))).toBe('applied');
    expect(book.bestBid()).toBe(10);
  });

  it('on a sequence gap goes stale, asks for a snapshot once, ignores deltas, and heals on a snapshot', () => {
    const asked: [string, number, number][] = [];
    const book = new OrderBook(ID, {
      onNeedsSnapshot: (id, expected, received) => asked.push([id, expected, received]),
    });
    book.applySnapshot(snapshot(10, [level(100, 1)], [level(101, 1)]));
    expect(book.applyDelta(delta(11, [level(100, 2)]))).toBe('applied');
    // 12 was lost.
    expect(book.applyDelta(delta(13, [level(100, 3)]))).toBe('gap');
    expect(book.stale).toBe(true);
    expect(asked).toEqual([[ID, 12, 13]]);
    // Stale: later deltas (even the "right" next one) are ignored and do not ask again.
    expect(book.applyDelta(delta(14, [level(100, 4)]))).toBe('stale');
    expect(book.applyDelta(delta(20, [level(100, 5)]))).toBe('stale');
    expect(asked).toHaveLength(1);
    expect(book.bestBidSize()).toBe(2);
    expect(book.gaps).toBe(1);
    expect(book.deltasIgnored).toBe(3);
    // A snapshot heals; deltas continue from its sequence.
    book.applySnapshot(snapshot(20, [level(100, 9)], [level(101, 9)]));
    expect(book.stale).toBe(false);
    expect(book.applyDelta(delta(21, [level(100, 8)]))).toBe('applied');
    expect(book.bestBidSize()).toBe(8);
    // A new gap asks again.
    expect(book.applyDelta(delta(23, [level(100, 7)]))).toBe('gap');
    expect(asked).toEqual([
      [ID, 12, 13],
      [ID, 22, 23],
    ]);
  });

  it('ignores a redelivered or older delta without going stale', () => {
    const book = handBook();
    expect(book.applyDelta(delta(11, [level(100, 1)]))).toBe('applied');
    expect(book.applyDelta(delta(11, [level(100, 1)]))).toBe('old');
    expect(book.applyDelta(delta(3, [level(100, 77)]))).toBe('old');
    expect(book.stale).toBe(false);
    expect(book.bestBidSize()).toBe(1);
    expect(book.deltasOld).toBe(2);
  });

  it('invalidate marks it stale without calling onNeedsSnapshot (the caller asks)', () => {
    let asked = 0;
    const book = new OrderBook(ID, { onNeedsSnapshot: () => asked++ });
    book.applySnapshot(snapshot(1, [level(1, 1)], [level(2, 1)]));
    book.invalidate();
    expect(book.stale).toBe(true);
    expect(book.applyDelta(delta(2, [level(1, 2)]))).toBe('stale');
    expect(asked).toBe(0);
  });

  it('computes imbalance over n levels by hand', () => {
    const book = handBook();
    // Level 1: (300 − 100) / (300 + 100) = 200 / 400 = 0.5.
    expect(book.imbalance(1)).toBe(0.5);
    // Levels 1–2: bids 300 + 100 = 400, asks 100 + 300 = 400: (400 − 400) / 800 = 0.
    expect(book.imbalance(2)).toBe(0);
    // More levels than the book has: the same as all of them.
    expect(book.imbalance(10)).toBe(0);
    // Only bids: (q − 0) / (q + 0) = 1.
    const oneSided = new OrderBook(ID);
    oneSided.applySnapshot(snapshot(1, [level(5, 3)], []));
    expect(oneSided.imbalance(3)).toBe(1);
  });

  it('computes the microprice by hand', () => {
    const book = handBook();
    // (bid·askSize + ask·bidSize) / (bidSize + askSize) = (100·100 + 101·300) / (300 + 100)
    //   = (10 000 + 30 300) / 400 = 40 300 / 400 = 100.75: pulled toward the ask by the larger bid.
    expect(book.microprice()).toBeCloseTo(100.75, 12);
    // Equal sizes: the plain mid, (100 + 101) / 2 = 100.5.
    book.applyDelta(delta(11, [level(100, 100)]));
    expect(book.microprice()).toBeCloseTo(100.5, 12);
  });

  it('produces a snapshot of the best n levels with the last update times', () => {
    const book = handBook();
    book.applyDelta(delta(11, [level(98, 10)]));
    const out = book.toSnapshot(2);
    expect(out).toEqual({
      type: 'book',
      instrumentId: ID,
      bids: [level(100, 300), level(99, 100)],
      asks: [level(101, 100), level(102, 300)],
      sequence: 11,
      tsEvent: 2011,
      tsInit: 2012,
    });
    expect(book.toSnapshot(1, 5).tsInit).toBe(5);
  });

  it('keeps order through growth past its initial capacity', () => {
    const book = new OrderBook(ID);
    const bids: BookLevel[] = [];
    const asks: BookLevel[] = [];
    // Interleaved so inserts land in the middle: 50 levels a side.
    for (let i = 0; i < 50; i++) {
      const k = (i * 37) % 50;
      bids.push(level(100 - k, k + 1));
      asks.push(level(101 + k, k + 1));
    }
    book.applySnapshot(snapshot(1, bids, asks));
    const outBids = book.depth('bid', 100);
    const outAsks = book.depth('ask', 100);
    expect(outBids).toHaveLength(50);
    expect(outAsks).toHaveLength(50);
    for (let i = 1; i < 50; i++) {
      expect(outBids[i]!.price).toBeLessThan(outBids[i - 1]!.price);
      expect(outAsks[i]!.price).toBeGreaterThan(outAsks[i - 1]!.price);
    }
    expect(outBids[0]).toEqual(level(100, 1));
    expect(outAsks[49]).toEqual(level(150, 50));
    // Delete every other level.
    const deletes: BookLevel[] = [];
    for (let k = 0; k < 50; k += 2) deletes.push(level(100 - k, 0));
    book.applyDelta(delta(2, deletes));
    expect(book.depth('bid', 100).map((l) => l.price)).toEqual(
      Array.from({ length: 25 }, (_, j) => 100 - (2 * j + 1)),
    );
  });
});
