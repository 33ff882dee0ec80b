// L2 order book of one instrument, kept from snapshots and sequenced deltas: a sequence gap marks it stale
// until the next snapshot. Best prices, depth, imbalance, microprice, and snapshots for `books.live`.

import type { BookDelta, BookLevel, BookSnapshot, InstrumentId } from '../model/index.ts';

export type BookSide = 'bid' | 'ask';

/** What `applyDelta` did with a delta. */
export type DeltaOutcome =
  /** Applied: the book moved to the delta's sequence. */
  | 'applied'
  /** Sequence at or below the book's: a redelivery or an old delta, ignored. */
  | 'old'
  /** Sequence jumped: updates were lost, the book is now stale. */
  | 'gap'
  /** The book is stale (waiting for a snapshot): ignored. */
  | 'stale';

export interface OrderBookOptions {
  /**
   * Called once when the book goes stale (a sequence gap, or `invalidate`), and not again until a snapshot
   * has healed it. `expected` is the sequence the book was waiting for, `received` the one that came.
   */
  readonly onNeedsSnapshot?: (instrumentId: InstrumentId, expected: number, received: number) => void;
}

/** One side's levels, best first, in parallel typed arrays that grow by doubling. */
class Levels {
  prices: Float64Array;
  sizes: Float64Array;
  count = 0;

  constructor(
    private readonly descending: boolean,
    capacity = 16,
  ) {
    this.prices = new Float64Array(capacity);
    this.sizes = new Float64Array(capacity);
  }

  /** Index of `price`, or -(insertion point) - 1 when absent. */
  private find(price: number): number {
    let lo = 0;
    let hi = this.count - 1;
    const prices = this.prices;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const p = prices[mid] as number;
      if (p === price) return mid;
      // `before`: the level at mid ranks better than `price`, so `price` goes after it.
      const before = this.descending ? p > price : p < price;
      if (before) lo = mid + 1;
      else hi = mid - 1;
    }
    return -lo - 1;
  }

  /** Sets the size at `price`; 0 removes the level. */
  set(price: number, size: number): void {
    const at = this.find(price);
    if (at >= 0) {
      if (size > 0) {
        this.sizes[at] = size;
        return;
      }
      this.prices.copyWithin(at, at + 1, this.count);
      this.sizes.copyWithin(at, at + 1, this.count);
      this.count--;
      return;
    }
    if (size <= 0) return;
    const insert = -at - 1;
    if (this.count === this.prices.length) this.grow();
    this.prices.copyWithin(insert + 1, insert, this.count);
    this.sizes.copyWithin(insert + 1, insert, this.count);
    this.prices[insert] = price;
    this.sizes[insert] = size;
    this.count++;
  }

  clear(): void {
    this.count = 0;
  }

  /** Sum of sizes over the best `n` levels. */
  quantity(n: number): number {
    const end = Math.min(n, this.count);
    let total = 0;
    for (let i = 0; i < end; i++) total += this.sizes[i] as number;
    return total;
  }

  toLevels(n: number): BookLevel[] {
    const end = Math.min(n, this.count);
    const out = new Array<BookLevel>(end);
    for (let i = 0; i < end; i++) out[i] = { price: this.prices[i] as number, size: this.sizes[i] as number };
    return out;
  }

  private grow(): void {
    const prices = new Float64Array(this.prices.length * 2);
    const sizes = new Float64Array(this.sizes.length * 2);
    prices.set(this.prices);
    sizes.set(this.sizes);
    this.prices = prices;
    this.sizes = sizes;
  }
}

export class OrderBook {
  private readonly bids = new Levels(true);
  private readonly asks = new Levels(false);
  private lastSequence = 0;
  private isStale = false;
  private lastTsEvent = 0;
  private lastTsInit = 0;
  /** Deltas applied, ignored while stale, ignored as old, and sequence gaps seen. */
  deltasApplied = 0;
  deltasIgnored = 0;
  deltasOld = 0;
  gaps = 0;

  /**
   * An empty book at sequence 0: a delta feed that starts from an empty book (sequence 1 first) needs no
   * snapshot; any other first sequence is a gap.
   */
  constructor(
    readonly instrumentId: InstrumentId,
    private readonly options: OrderBookOptions = {},
  ) {}

  /** True after a sequence gap until a snapshot arrives: the levels are not trustworthy. */
  get stale(): boolean {
    return this.isStale;
  }

  /** Sequence of the last snapshot or delta applied. */
  get sequence(): number {
    return this.lastSequence;
  }

  get tsEvent(): number {
    return this.lastTsEvent;
  }

  /** Replaces every level (a snapshot is authoritative, whatever its sequence) and heals a stale book. */
  applySnapshot(snapshot: BookSnapshot): void {
    this.bids.clear();
    this.asks.clear();
    for (const level of snapshot.bids) this.bids.set(level.price, level.size);
    for (const level of snapshot.asks) this.asks.set(level.price, level.size);
    this.lastSequence = snapshot.sequence;
    this.lastTsEvent = snapshot.tsEvent;
    this.lastTsInit = snapshot.tsInit;
    this.isStale = false;
  }

  /** Applies a delta whose sequence is the book's plus one; see `DeltaOutcome` for the rest. */
  applyDelta(delta: BookDelta): DeltaOutcome {
    if (this.isStale) {
      this.deltasIgnored++;
      return 'stale';
    }
    if (delta.sequence <= this.lastSequence) {
      this.deltasOld++;
      return 'old';
    }
    if (delta.sequence !== this.lastSequence + 1) {
      this.gaps++;
      this.deltasIgnored++;
      this.markStale(this.lastSequence + 1, delta.sequence);
      return 'gap';
    }
    for (const level of delta.bids) this.bids.set(level.price, level.size);
    for (const level of delta.asks) this.asks.set(level.price, level.size);
    this.lastSequence = delta.sequence;
    this.lastTsEvent = delta.tsEvent;
    this.lastTsInit = delta.tsInit;
    this.deltasApplied++;
    return 'applied';
  }

  /**
   * Marks the book stale from outside (e.g. its feed changed, whose sequence numbers differ) until the next
   * snapshot. The caller knows a snapshot is needed: `onNeedsSnapshot` is not called.
   */
  invalidate(): void {
    this.isStale = true;
  }

  bestBid(): number | undefined {
    return this.bids.count > 0 ? this.bids.prices[0] : undefined;
  }

  bestAsk(): number | undefined {
    return this.asks.count > 0 ? this.asks.prices[0] : undefined;
  }

  bestBidSize(): number | undefined {
    return this.bids.count > 0 ? this.bids.sizes[0] : undefined;
  }

  bestAskSize(): number | undefined {
    return this.asks.count > 0 ? this.asks.sizes[0] : undefined;
  }

  /** Number of price levels on a side. */
  levelCount(side: BookSide): number {
    return side === 'bid' ? this.bids.count : this.asks.count;
  }

  /** The best `n` levels of a side, best first. */
  depth(side: BookSide, n: number): BookLevel[] {
    return (side === 'bid' ? this.bids : this.asks).toLevels(n);
  }

  /** (bidQty − askQty) / (bidQty + askQty) over the best `n` levels of each side; undefined if both are empty. */
  imbalance(n: number): number | undefined {
    const bid = this.bids.quantity(n);
    const ask = this.asks.quantity(n);
    const total = bid + ask;
    return total > 0 ? (bid - ask) / total : undefined;
  }

  /** Size-weighted mid of the top of book: (bid·askSize + ask·bidSize) / (bidSize + askSize). */
  microprice(): number | undefined {
    if (this.bids.count === 0 || this.asks.count === 0) return undefined;
    const bid = this.bids.prices[0] as number;
    const ask = this.asks.prices[0] as number;
    const bidSize = this.bids.sizes[0] as number;
    const askSize = this.asks.sizes[0] as number;
    return (bid * askSize + ask * bidSize) / (bidSize + askSize);
  }

  /** The best `depth` levels per side as a message; times are those of the last update unless given. */
  toSnapshot(depth: number, tsInit: number = this.lastTsInit): BookSnapshot {
    return {
      type: 'book',
      instrumentId: this.instrumentId,
      bids: this.bids.toLevels(depth),
      asks: this.asks.toLevels(depth),
      sequence: this.lastSequence,
      tsEvent: this.lastTsEvent,
      tsInit,
    };
  }

  private markStale(expected: number, received: number): void {
    // Only called on a book that was not stale: the callback fires once per gap.
    this.isStale = true;
    this.options.onNeedsSnapshot?.(this.instrumentId, expected, received);
  }
}
