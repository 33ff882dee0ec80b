// Top of book from IB's tick messages: bid and ask prices and sizes make quotes; a LAST price followed by its
// size makes a trade. Live and delayed ticks are treated alike.

import type { Instrument, QuoteTick, TradeTick } from '../../model/index.ts';

/** IB tick types (TickType in @stoqey/ib) this reads. */
export const TickField = { BID_SIZE: 0, BID: 1, ASK: 2, ASK_SIZE: 3, LAST: 4, LAST_SIZE: 5 } as const;

/** Delayed tick types (DELAYED_BID 66 … DELAYED_LAST_SIZE 71) → their live counterparts. */
const DELAYED: ReadonlyMap<number, number> = new Map([
  [66, TickField.BID],
  [67, TickField.ASK],
  [68, TickField.LAST],
  [69, TickField.BID_SIZE],
  [70, TickField.ASK_SIZE],
  [71, TickField.LAST_SIZE],
]);

export class TopOfBook {
  bid = Number.NaN;
  ask = Number.NaN;
  bidSize = 0;
  askSize = 0;
  last = Number.NaN;
  /** A LAST price came since the last trade: the next LAST_SIZE makes one (TWS repeats sizes; one trade each). */
  private lastPending = false;

  constructor(readonly instrument: Instrument) {}

  /**
   * Applies one tick; returns the quote (bid or ask side changed, both sides known) or the trade it completes,
   * else undefined. Non-finite values and other tick types change nothing.
   */
  apply(field: number, value: number, now: number): QuoteTick | TradeTick | undefined {
    if (!Number.isFinite(value)) return undefined;
    switch (DELAYED.get(field) ?? field) {
      case TickField.BID:
        this.bid = value;
        break;
      case TickField.ASK:
        this.ask = value;
        break;
      case TickField.BID_SIZE:
        this.bidSize = value;
        break;
      case TickField.ASK_SIZE:
        this.askSize = value;
        break;
      case TickField.LAST:
        this.last = value;
        this.lastPending = true;
        return undefined;
      case TickField.LAST_SIZE:
        if (!this.lastPending || !(value > 0) || !(this.last > 0)) return undefined;
        this.lastPending = false;
        return {
          type: 'trade',
          instrumentId: this.instrument.id,
          price: this.last,
          size: value,
          aggressor: 'unknown',
          tsEvent: now,
          tsInit: now,
        };
      default:
        return undefined;
    }
    if (!(this.bid > 0 && this.ask > 0)) return undefined;
    return {
      type: 'quote',
      instrumentId: this.instrument.id,
      bid: this.bid,
      ask: this.ask,
      bidSize: this.bidSize,
      askSize: this.askSize,
      tsEvent: now,
      tsInit: now,
    };
  }
}
