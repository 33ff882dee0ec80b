// Market data messages: quotes, trades, bars and L2 book snapshots. Times are unix microseconds.

import type { InstrumentId } from './identifiers.ts';

export interface QuoteTick {
  readonly type: 'quote';
  readonly instrumentId: InstrumentId;
  readonly bid: number;
  readonly ask: number;
  readonly bidSize: number;
  readonly askSize: number;
  readonly tsEvent: number;
  readonly tsInit: number;
}

export interface TradeTick {
  readonly type: 'trade';
  readonly instrumentId: InstrumentId;
  readonly price: number;
  readonly size: number;
  /** Aggressor side, when the feed says. */
  readonly aggressor: 'buy' | 'sell' | 'unknown';
  readonly tsEvent: number;
  readonly tsInit: number;
}

export type Tick = QuoteTick | TradeTick;

export interface Bar {
  readonly type: 'bar';
  readonly instrumentId: InstrumentId;
  /** Bar length, e.g. `1m`, `1d`. */
  readonly timeframe: string;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  /** Close time of the bar: the bar is known from this instant on. */
  readonly tsEvent: number;
  readonly tsInit: number;
  /** Set on a gap-fill bar: no trade in the interval, a flat bar carrying the last close, volume 0. */
  readonly filled?: boolean;
}

export interface BookLevel {
  readonly price: number;
  readonly size: number;
}

export interface BookSnapshot {
  readonly type: 'book';
  readonly instrumentId: InstrumentId;
  /** Best first. */
  readonly bids: readonly BookLevel[];
  readonly asks: readonly BookLevel[];
  readonly sequence: number;
  readonly tsEvent: number;
  readonly tsInit: number;
}

/**
 * An incremental L2 update from a feed: each level replaces the size at its price, size 0 deletes the level.
 * `sequence` increases by exactly one per delta; a jump means updates were lost and a fresh snapshot is needed.
 */
export interface BookDelta {
  readonly type: 'book-delta';
  readonly instrumentId: InstrumentId;
  readonly bids: readonly BookLevel[];
  readonly asks: readonly BookLevel[];
  readonly sequence: number;
  readonly tsEvent: number;
  readonly tsInit: number;
}

export type MarketData = QuoteTick | TradeTick | Bar | BookSnapshot;

/** The price a market-data message says the instrument last traded or quoted at (mid for quotes). */
export function referencePrice(m: MarketData): number | undefined {
  switch (m.type) {
    case 'quote':
      return (m.bid + m.ask) / 2;
    case 'trade':
      return m.price;
    case 'bar':
      return m.close;
    case 'book': {
      const b = m.bids[0];
      const a = m.asks[0];
      if (b && a) return (b.price + a.price) / 2;
      return b?.price ?? a?.price;
    }
  }
}
