// The paper venue's matching engine for one instrument: market state (L1 / L2 / bar), this venue's working
// orders, and the rules that fill them.
//
// Matching rules (the contract the tests check):
//
// Book mode (the latest quote or BookSnapshot; a quote is a one-level book):
// - A marketable order takes displayed liquidity level by level at each level's price (taker). What our fills
//   took from a level stays consumed until the next quote / snapshot, which refreshes every level.
// - Market order: nothing available at all → rejected VENUE_NO_LIQUIDITY; otherwise accepted, filled as far as
//   the book goes, the remainder canceled (VENUE_IOC_REMAINDER for IOC, else VENUE_NO_LIQUIDITY).
// - IOC fills what is available and cancels the rest (VENUE_IOC_REMAINDER). FOK checks the whole quantity is
//   available within its limit first, else it is canceled untouched (VENUE_FOK_UNFILLABLE).
// - A resting limit order joins the back of its level: its queue position is the size displayed at its price
//   at that moment (0 if its price is better than the best, unknown until shown if outside the depth).
//   Queue ahead shrinks with trades printed at its price and with any drop in the displayed size at its price
//   beyond what trades since the last refresh already explain; it never exceeds the displayed size.
//   It fills (maker, at its own price):
//     - from a trade at its price: the part of the trade left after the queue ahead and this venue's earlier
//       orders at that price;
//     - from a trade through its price: in full (the market could not trade there without passing it);
//     - when the opposite side is displayed at or through its price: as much as that liquidity covers.
// - Stops trigger when the market reaches the trigger (buy: best ask or a trade ≥ trigger; sell: best bid or a
//   trade ≤ trigger), emit 'triggered', then work as a market (stop) or limit (stop_limit) order.
//
// Bar mode (the latest data is a bar; no look-ahead: an order only meets bars that close after it arrived):
// - A market order fills at the next bar's open (taker).
// - Buy limit: fills if low ≤ limit, at min(open, limit); sell limit: if high ≥ limit, at max(open, limit).
//   Filled at the open (the bar opened through the limit) is taker, at the limit maker.
// - Buy stop: triggers if high ≥ trigger and fills at max(open, trigger); sell stop: low ≤ trigger, at
//   min(open, trigger) (taker). A stop-limit triggered on a bar fills at that price when it is within the limit;
//   otherwise it rests as a limit from the next bar on (the path inside the bar is unknown).
// - Quantity: the whole order, unless maxBarVolumeFraction caps the quantity filled per bar (shared by all
//   orders of the instrument: market, then stops, then bids, then asks); uncapped remainders wait for the next
//   bar. IOC / FOK meet exactly one bar (FOK only if it fits the cap), then their remainder is canceled.
//
// DAY orders expire when market data arrives on a later trading day than their acceptance (checked lazily on
// that instrument's data). On daily or longer bars an order always meets its first bar: an order decided on
// one day's close is meant for the next session.
// Orders of this venue never match each other; they only meet displayed liquidity and prints.

import {
  quantize,
  type Bar,
  type BookSnapshot,
  type Instrument,
  type MarketData,
  type QuoteTick,
} from '../../model/index.ts';
import type { ReasonCode } from '../../common/errors.ts';
import type { Liquidity } from './fee-model.ts';
import { MICROS_PER_DAY } from './config.ts';
import type { PaperOrder } from './paper-order.ts';

/** Where the engine's results go: the venue account records them and tells the OMS. */
export interface MatchingEventSink {
  accepted(order: PaperOrder): void;
  rejected(order: PaperOrder, reason: ReasonCode, message: string): void;
  triggered(order: PaperOrder): void;
  filled(
    order: PaperOrder,
    instrument: Instrument,
    quantity: number,
    price: number,
    liquidity: Liquidity,
  ): void;
  canceled(order: PaperOrder, reason: string): void;
  expired(order: PaperOrder): void;
  modified(order: PaperOrder): void;
}

export interface OrderChange {
  readonly quantity?: number;
  readonly price?: number;
  readonly triggerPrice?: number;
}

export interface MatchingEngineOptions {
  readonly instrument: Instrument;
  readonly sink: MatchingEventSink;
  readonly maxBarVolumeFraction?: number | undefined;
  readonly tradingDayStartMicros?: number;
}

const SOURCE_NONE = 0;
const SOURCE_QUOTE = 1;
const SOURCE_BOOK = 2;
const SOURCE_BAR = 3;
type Source = typeof SOURCE_NONE | typeof SOURCE_QUOTE | typeof SOURCE_BOOK | typeof SOURCE_BAR;

const DAILY_OR_LONGER = /[dDwWMyY]$/;

export class MatchingEngine {
  readonly instrument: Instrument;
  private readonly sink: MatchingEventSink;
  private readonly maxBarVolumeFraction: number | undefined;
  private readonly tradingDayStartMicros: number;
  private readonly priceEpsilon: number;
  private readonly quantityDecimals: number;
  private readonly priceDecimals: number;

  // Market state. A quote is kept as four numbers, a snapshot by reference (messages are immutable).
  private source: Source = SOURCE_NONE;
  private bidPrice = Number.NaN;
  private bidSize = 0;
  private askPrice = Number.NaN;
  private askSize = 0;
  private book: BookSnapshot | undefined;
  private lastTradePrice = Number.NaN;
  /** The last print is newer than the book: stops submitted now are checked against it too. */
  private tradeIsLatest = false;
  /** Quantity our fills took per displayed level since the last refresh (index = level). */
  private readonly bidConsumed: number[] = [];
  private readonly askConsumed: number[] = [];
  private consumedDirty = false;
  private barIndex = 0;
  private lastExpiryDay = Number.NEGATIVE_INFINITY;

  // Working orders. bids: price descending then time; asks: price ascending then time.
  private readonly bids: PaperOrder[] = [];
  private readonly asks: PaperOrder[] = [];
  /** Untriggered stops, in arrival order. */
  private readonly stops: PaperOrder[] = [];
  /** Market orders (and triggered stops) waiting for the next bar's open, in arrival order. */
  private readonly waiting: PaperOrder[] = [];
  /** Every list above, in cancel / expiry order. */
  private readonly lists: readonly PaperOrder[][] = [this.waiting, this.stops, this.bids, this.asks];
  private sequence = 0;

  constructor(options: MatchingEngineOptions) {
    this.instrument = options.instrument;
    this.sink = options.sink;
    this.maxBarVolumeFraction = options.maxBarVolumeFraction;
    this.tradingDayStartMicros = options.tradingDayStartMicros ?? 0;
    this.priceEpsilon = options.instrument.tickSize / 1000;
    this.quantityDecimals = options.instrument.quantityDecimals;
    this.priceDecimals = options.instrument.priceDecimals;
  }

  /** Orders still working (resting, waiting for a trigger or for the next bar). */
  get openOrderCount(): number {
    return this.bids.length + this.asks.length + this.stops.length + this.waiting.length;
  }

  // ---- market data ----

  /** Updates the market state; with no working order this is O(1) and allocates nothing (snapshots: O(1) too). */
  onMarketData(m: MarketData, now: number): void {
    switch (m.type) {
      case 'quote':
        this.setQuote(m);
        if (this.openOrderCount === 0) return;
        this.expireDayOrders(now, undefined);
        this.afterBookUpdate();
        return;
      case 'book':
        if (!Array.isArray(m.bids) || !Array.isArray(m.asks)) return;
        this.book = m;
        this.tradeIsLatest = false;
        this.source = SOURCE_BOOK;
        this.resetConsumed();
        if (this.openOrderCount === 0) return;
        this.expireDayOrders(now, undefined);
        this.afterBookUpdate();
        return;
      case 'trade':
        if (!(m.price > 0) || !Number.isFinite(m.price)) return;
        this.lastTradePrice = m.price;
        this.tradeIsLatest = true;
        if (this.openOrderCount === 0) return;
        this.expireDayOrders(now, undefined);
        this.afterTrade(m.price, m.size > 0 ? m.size : 0);
        return;
      case 'bar':
        if (!validBar(m)) return;
        this.source = SOURCE_BAR;
        this.barIndex++;
        this.tradeIsLatest = false;
        if (this.openOrderCount === 0) return;
        this.expireDayOrders(now, m);
        this.matchBar(m);
        return;
    }
  }

  private setQuote(q: QuoteTick): void {
    const bidOk = q.bid > 0 && q.bidSize > 0 && Number.isFinite(q.bid) && Number.isFinite(q.bidSize);
    const askOk = q.ask > 0 && q.askSize > 0 && Number.isFinite(q.ask) && Number.isFinite(q.askSize);
    this.bidPrice = bidOk ? q.bid : Number.NaN;
    this.bidSize = bidOk ? q.bidSize : 0;
    this.askPrice = askOk ? q.ask : Number.NaN;
    this.askSize = askOk ? q.askSize : 0;
    this.source = SOURCE_QUOTE;
    this.tradeIsLatest = false;
    this.resetConsumed();
  }

  private resetConsumed(): void {
    if (!this.consumedDirty) return;
    this.bidConsumed.fill(0);
    this.askConsumed.fill(0);
    this.consumedDirty = false;
  }

  // ---- book access (a quote is a one-level book) ----

  private levelCount(asks: boolean): number {
    if (this.source === SOURCE_QUOTE) return (asks ? this.askSize : this.bidSize) > 0 ? 1 : 0;
    if (this.source === SOURCE_BOOK && this.book) return asks ? this.book.asks.length : this.book.bids.length;
    return 0;
  }

  private levelPrice(asks: boolean, i: number): number {
    if (this.source === SOURCE_QUOTE) return asks ? this.askPrice : this.bidPrice;
    const level = this.book ? (asks ? this.book.asks[i] : this.book.bids[i]) : undefined;
    return level && level.price > 0 ? level.price : Number.NaN;
  }

  private levelSize(asks: boolean, i: number): number {
    if (this.source === SOURCE_QUOTE) return asks ? this.askSize : this.bidSize;
    const level = this.book ? (asks ? this.book.asks[i] : this.book.bids[i]) : undefined;
    return level && level.size > 0 && Number.isFinite(level.size) ? level.size : 0;
  }

  private isBookMode(): boolean {
    return this.source === SOURCE_QUOTE || this.source === SOURCE_BOOK;
  }

  /** Liquidity an order of `side` can take, within `limit` when given (NaN: no limit). */
  private availableToTake(buy: boolean, limit: number): number {
    const n = this.levelCount(buy);
    const consumed = buy ? this.askConsumed : this.bidConsumed;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const price = this.levelPrice(buy, i);
      if (!(price > 0)) continue;
      if (
        !Number.isNaN(limit) &&
        (buy ? price > limit + this.priceEpsilon : price < limit - this.priceEpsilon)
      )
        break;
      const available = this.levelSize(buy, i) - (consumed[i] ?? 0);
      if (available > 0) total += available;
    }
    return quantize(total, this.quantityDecimals);
  }

  /** Best opposite price with liquidity left, NaN if none. */
  private bestAvailable(buy: boolean): number {
    const n = this.levelCount(buy);
    const consumed = buy ? this.askConsumed : this.bidConsumed;
    for (let i = 0; i < n; i++) {
      const price = this.levelPrice(buy, i);
      if (price > 0 && this.levelSize(buy, i) - (consumed[i] ?? 0) > 0) return price;
    }
    return Number.NaN;
  }

  /**
   * Size displayed at the order's own price on its own side: the size there, 0 when the level is empty
   * (the price is better than the best, or a gap within the shown depth), -1 when it is beyond the depth.
   */
  private displayedSizeAt(order: PaperOrder): number {
    if (!this.isBookMode()) return -1;
    const buy = order.side === 'buy';
    const p = order.price ?? Number.NaN;
    const n = this.levelCount(!buy);
    if (n === 0) return 0;
    for (let i = 0; i < n; i++) {
      const price = this.levelPrice(!buy, i);
      if (!(price > 0)) continue;
      if (Math.abs(price - p) <= this.priceEpsilon) return this.levelSize(!buy, i);
      if (buy ? price < p : price > p) return 0;
    }
    return -1;
  }

  // ---- orders in ----

  /** A new order arrives (already validated by the adapter): accepted or rejected, then worked. */
  submit(order: PaperOrder, now: number): void {
    order.sequence = ++this.sequence;
    order.acceptedAt = now;
    order.tradingDay = this.tradingDayOf(now);
    switch (order.type) {
      case 'market': {
        if (this.source === SOURCE_BAR) {
          this.sink.accepted(order);
          this.waiting.push(order);
          return;
        }
        if (this.availableToTake(order.side === 'buy', Number.NaN) <= 0) {
          order.status = 'REJECTED';
          this.sink.rejected(
            order,
            'VENUE_NO_LIQUIDITY',
            `no ${order.side === 'buy' ? 'ask' : 'bid'} liquidity`,
          );
          return;
        }
        this.sink.accepted(order);
        this.executeMarket(order);
        return;
      }
      case 'limit':
        this.sink.accepted(order);
        this.workLimit(order);
        return;
      case 'stop':
      case 'stop_limit':
        this.sink.accepted(order);
        if (this.source !== SOURCE_BAR && this.stopReachedNow(order)) this.trigger(order);
        else this.stops.push(order);
        return;
    }
  }

  /**
   * Puts back a working order rebuilt from the venue's journal after a restart (nothing is emitted). It keeps
   * its acceptance order among the restored orders but its queue position is not known: a resting limit goes to
   * the back of its level when the level is next shown (until then only a trade through its price or opposite
   * liquidity at its price fills it), and it meets bars from the next bar on. A restored DAY order gets its
   * first-bar grace on daily bars again.
   */
  restore(order: PaperOrder): void {
    order.sequence = ++this.sequence;
    order.tradingDay = this.tradingDayOf(order.acceptedAt);
    if (order.isPendingStop) {
      this.stops.push(order);
      return;
    }
    if (!order.isLimitNow) {
      this.waiting.push(order); // a market order or triggered stop waiting for the next bar
      return;
    }
    order.levelSize = -1;
    order.queueAhead = Number.POSITIVE_INFINITY;
    order.tradedSinceRefresh = 0;
    order.joinedBar = this.barIndex;
    this.insertResting(order);
  }

  cancel(order: PaperOrder, reason: string): void {
    this.remove(order);
    order.status = 'CANCELED';
    this.sink.canceled(order, reason);
  }

  /** Cancels every working order; returns how many. */
  cancelAll(reason: string): number {
    let n = 0;
    for (const list of this.lists) {
      for (const order of list) {
        order.status = 'CANCELED';
        this.sink.canceled(order, reason);
        n++;
      }
      list.length = 0;
    }
    return n;
  }

  /**
   * Modifies a working order. Returns a rejection message, or undefined when applied (then 'modified' is
   * emitted and the order is worked again). A quantity decrease keeps time priority and queue position; a
   * new price, a new trigger or a larger quantity sends the order to the back of its (new) level.
   */
  modify(order: PaperOrder, change: OrderChange): string | undefined {
    const { quantity, price, triggerPrice } = change;
    if (price !== undefined && order.type !== 'limit' && order.type !== 'stop_limit')
      return `a ${order.type} order has no limit price`;
    if (triggerPrice !== undefined && !order.isPendingStop)
      return order.triggered
        ? 'the stop has already triggered'
        : `a ${order.type} order has no trigger price`;
    if (quantity !== undefined && quantity <= order.filledQuantity)
      return `new quantity ${quantity} does not exceed the filled quantity ${order.filledQuantity}`;
    const losesPriority =
      (price !== undefined && Math.abs(price - (order.price ?? Number.NaN)) > this.priceEpsilon) ||
      (triggerPrice !== undefined && triggerPrice !== order.triggerPrice) ||
      (quantity !== undefined && quantity > order.quantity);
    if (quantity !== undefined) order.quantity = quantize(quantity, this.quantityDecimals);
    if (price !== undefined) order.price = price;
    if (triggerPrice !== undefined) order.triggerPrice = triggerPrice;
    this.sink.modified(order);
    if (!losesPriority) return undefined;
    this.remove(order);
    order.sequence = ++this.sequence;
    if (order.isPendingStop) {
      if (this.source !== SOURCE_BAR && this.stopReachedNow(order)) this.trigger(order);
      else this.stops.push(order);
    } else if (order.isLimitNow) {
      this.workLimit(order);
    } else {
      this.waiting.push(order); // a market order or triggered stop waiting for the next bar
    }
    return undefined;
  }

  // ---- working orders ----

  /** Market order / triggered stop in book mode: take what is there, cancel the rest. */
  private executeMarket(order: PaperOrder): void {
    const buy = order.side === 'buy';
    if (order.timeInForce === 'FOK' && this.availableToTake(buy, Number.NaN) < order.leavesQuantity) {
      this.cancel(order, 'VENUE_FOK_UNFILLABLE');
      return;
    }
    this.take(order, Number.NaN, false);
    if (order.isOpen)
      this.cancel(order, order.timeInForce === 'IOC' ? 'VENUE_IOC_REMAINDER' : 'VENUE_NO_LIQUIDITY');
  }

  /** Limit order / triggered stop-limit not in any list: take what is marketable, then rest or cancel. */
  private workLimit(order: PaperOrder): void {
    const immediate = order.timeInForce === 'IOC' || order.timeInForce === 'FOK';
    if (this.source === SOURCE_BAR || (this.source === SOURCE_NONE && !immediate)) {
      this.rest(order);
      return;
    }
    const buy = order.side === 'buy';
    const limit = order.price ?? Number.NaN;
    if (order.timeInForce === 'FOK' && this.availableToTake(buy, limit) < order.leavesQuantity) {
      this.cancel(order, 'VENUE_FOK_UNFILLABLE');
      return;
    }
    this.take(order, limit, false);
    if (!order.isOpen) return;
    if (immediate) this.cancel(order, 'VENUE_IOC_REMAINDER');
    else this.rest(order);
  }

  /** Joins the back of its price level. */
  private rest(order: PaperOrder): void {
    const size = this.displayedSizeAt(order);
    order.levelSize = size;
    order.queueAhead = size >= 0 ? size : this.isBookMode() ? Number.POSITIVE_INFINITY : 0;
    order.tradedSinceRefresh = 0;
    order.joinedBar = this.barIndex;
    this.insertResting(order);
  }

  /** Inserts into its side's list: price priority, then time (sequence) within a level. */
  private insertResting(order: PaperOrder): void {
    const buy = order.side === 'buy';
    const list = buy ? this.bids : this.asks;
    const p = order.price ?? 0;
    let i = list.length;
    // Scan from the back: the new order is usually the latest at its level.
    while (i > 0) {
      const other = list[i - 1] as PaperOrder;
      const q = other.price ?? 0;
      const ahead = buy ? q > p - this.priceEpsilon : q < p + this.priceEpsilon;
      if (ahead && (Math.abs(q - p) > this.priceEpsilon || other.sequence < order.sequence)) break;
      i--;
    }
    list.splice(i, 0, order);
  }

  /** Takes displayed liquidity level by level (NaN limit: none). Maker fills are priced at the order's limit. */
  private take(order: PaperOrder, limit: number, asMaker: boolean): void {
    const buy = order.side === 'buy';
    const n = this.levelCount(buy);
    const consumed = buy ? this.askConsumed : this.bidConsumed;
    for (let i = 0; i < n; i++) {
      const leaves = order.leavesQuantity;
      if (leaves <= 0) return;
      const price = this.levelPrice(buy, i);
      if (!(price > 0)) continue;
      if (
        !Number.isNaN(limit) &&
        (buy ? price > limit + this.priceEpsilon : price < limit - this.priceEpsilon)
      )
        return;
      const used = consumed[i] ?? 0;
      const available = quantize(this.levelSize(buy, i) - used, this.quantityDecimals);
      if (!(available > 0)) continue;
      const quantity = available < leaves ? available : leaves;
      while (consumed.length <= i) consumed.push(0);
      consumed[i] = quantize(used + quantity, this.quantityDecimals);
      this.consumedDirty = true;
      this.fill(order, quantity, asMaker ? limit : price, asMaker ? 'maker' : 'taker');
    }
  }

  private fill(order: PaperOrder, quantity: number, price: number, liquidity: Liquidity): void {
    order.filledQuantity = quantize(order.filledQuantity + quantity, this.quantityDecimals);
    order.status = order.filledQuantity >= order.quantity ? 'FILLED' : 'PARTIALLY_FILLED';
    this.sink.filled(order, this.instrument, quantity, quantize(price, this.priceDecimals), liquidity);
  }

  private trigger(order: PaperOrder): void {
    order.triggered = true;
    order.status = 'TRIGGERED';
    this.sink.triggered(order);
    if (this.source === SOURCE_BAR) {
      // Triggered by a print while the book is bars: act on the next bar.
      if (order.type === 'stop') this.waiting.push(order);
      else this.rest(order);
      return;
    }
    if (order.type === 'stop') this.executeMarket(order);
    else this.workLimit(order);
  }

  /** Trigger check against the current book and the last print (at submission / modification). */
  private stopReachedNow(order: PaperOrder): boolean {
    const trigger = order.triggerPrice ?? Number.NaN;
    const buy = order.side === 'buy';
    if (this.tradeIsLatest && this.reached(buy, this.lastTradePrice, trigger)) return true;
    if (!this.isBookMode() || this.levelCount(buy) === 0) return false;
    return this.reached(buy, this.levelPrice(buy, 0), trigger);
  }

  private reached(buy: boolean, price: number, trigger: number): boolean {
    return buy ? price >= trigger - this.priceEpsilon : price <= trigger + this.priceEpsilon;
  }

  private remove(order: PaperOrder): void {
    for (const list of this.lists) {
      const i = list.indexOf(order);
      if (i >= 0) {
        list.splice(i, 1);
        return;
      }
    }
  }

  // ---- book mode ----

  private afterBookUpdate(): void {
    // Orders that were waiting for a bar meet the book instead.
    while (this.waiting.length > 0) this.executeMarket(this.waiting.shift() as PaperOrder);
    for (let i = 0; i < this.stops.length;) {
      const order = this.stops[i] as PaperOrder;
      const buy = order.side === 'buy';
      if (
        this.levelCount(buy) > 0 &&
        this.reached(buy, this.levelPrice(buy, 0), order.triggerPrice ?? Number.NaN)
      ) {
        this.stops.splice(i, 1);
        this.trigger(order);
      } else i++;
    }
    this.matchResting(this.bids);
    this.matchResting(this.asks);
  }

  private matchResting(list: PaperOrder[]): void {
    for (let i = 0; i < list.length;) {
      const order = list[i] as PaperOrder;
      if (order.timeInForce === 'IOC' || order.timeInForce === 'FOK') {
        // Rested only while the data was bars; the book is its first chance.
        list.splice(i, 1);
        this.workLimit(order);
        continue;
      }
      this.refreshQueue(order);
      const buy = order.side === 'buy';
      const best = this.bestAvailable(buy);
      const limit = order.price ?? Number.NaN;
      if (
        !Number.isNaN(best) &&
        (buy ? best <= limit + this.priceEpsilon : best >= limit - this.priceEpsilon)
      ) {
        this.take(order, limit, true);
        if (!order.isOpen) {
          list.splice(i, 1);
          continue;
        }
      }
      i++;
    }
  }

  private refreshQueue(order: PaperOrder): void {
    const size = this.displayedSizeAt(order);
    if (size >= 0) {
      let ahead = order.queueAhead;
      if (order.levelSize >= 0) {
        const unexplained = order.levelSize - size - order.tradedSinceRefresh;
        if (unexplained > 0) ahead -= unexplained;
      }
      if (ahead > size) ahead = size;
      order.queueAhead = ahead > 0 ? quantize(ahead, this.quantityDecimals) : 0;
    }
    order.levelSize = size;
    order.tradedSinceRefresh = 0;
  }

  // ---- prints ----

  private afterTrade(price: number, size: number): void {
    for (let i = 0; i < this.stops.length;) {
      const order = this.stops[i] as PaperOrder;
      if (this.reached(order.side === 'buy', price, order.triggerPrice ?? Number.NaN)) {
        this.stops.splice(i, 1);
        this.trigger(order);
      } else i++;
    }
    this.tradeAgainst(this.bids, price, size);
    this.tradeAgainst(this.asks, price, size);
  }

  private tradeAgainst(list: PaperOrder[], price: number, size: number): void {
    let ownAhead = 0; // leaves of this venue's earlier orders at the printed price
    for (let i = 0; i < list.length;) {
      const order = list[i] as PaperOrder;
      const buy = order.side === 'buy';
      const p = order.price ?? Number.NaN;
      const through = buy ? p > price + this.priceEpsilon : p < price - this.priceEpsilon;
      if (through) {
        this.fill(order, order.leavesQuantity, p, 'maker');
        list.splice(i, 1);
        continue;
      }
      if (Math.abs(p - price) > this.priceEpsilon) return; // sorted: nothing further can be at or through
      const leaves = order.leavesQuantity;
      const reaching = quantize(size - order.queueAhead - ownAhead, this.quantityDecimals);
      order.queueAhead =
        order.queueAhead > size ? quantize(order.queueAhead - size, this.quantityDecimals) : 0;
      order.tradedSinceRefresh += size;
      ownAhead += leaves;
      if (reaching > 0) {
        this.fill(order, reaching < leaves ? reaching : leaves, p, 'maker');
        if (!order.isOpen) {
          list.splice(i, 1);
          continue;
        }
      }
      i++;
    }
  }

  // ---- bar mode ----

  private matchBar(bar: Bar): void {
    let capacity = Number.POSITIVE_INFINITY;
    if (this.maxBarVolumeFraction !== undefined) {
      const lot = this.instrument.lotSize;
      const volume = bar.volume > 0 && Number.isFinite(bar.volume) ? bar.volume : 0;
      capacity = quantize(
        Math.floor((volume * this.maxBarVolumeFraction) / lot + 1e-9) * lot,
        this.quantityDecimals,
      );
    }
    capacity = this.matchWaiting(bar, capacity);
    capacity = this.matchStopsOnBar(bar, capacity);
    capacity = this.matchLimitsOnBar(this.bids, bar, capacity);
    this.matchLimitsOnBar(this.asks, bar, capacity);
    for (const list of this.lists) for (const order of list) order.barsSeen++;
  }

  /** Fills up to `capacity` at `price`; returns the capacity left. FOK fills in full or is canceled. */
  private fillOnBar(order: PaperOrder, price: number, liquidity: Liquidity, capacity: number): number {
    const leaves = order.leavesQuantity;
    if (order.timeInForce === 'FOK' && leaves > capacity) {
      this.cancel(order, 'VENUE_FOK_UNFILLABLE');
      return capacity;
    }
    const quantity = leaves < capacity ? leaves : capacity;
    if (quantity > 0) this.fill(order, quantity, price, liquidity);
    return capacity === Number.POSITIVE_INFINITY
      ? capacity
      : quantize(capacity - quantity, this.quantityDecimals);
  }

  /** After an order's one bar: IOC / FOK remainders are canceled. */
  private closeImmediate(order: PaperOrder): void {
    if (!order.isOpen) return;
    if (order.timeInForce === 'IOC') this.cancel(order, 'VENUE_IOC_REMAINDER');
    else if (order.timeInForce === 'FOK') this.cancel(order, 'VENUE_FOK_UNFILLABLE');
  }

  private matchWaiting(bar: Bar, capacity: number): number {
    for (let i = 0; i < this.waiting.length;) {
      const order = this.waiting[i] as PaperOrder;
      capacity = this.fillOnBar(order, bar.open, 'taker', capacity);
      if (order.isOpen && (order.timeInForce === 'IOC' || order.timeInForce === 'FOK')) {
        this.waiting.splice(i, 1);
        this.closeImmediate(order);
        continue;
      }
      if (!order.isOpen) {
        if (this.waiting[i] === order) this.waiting.splice(i, 1);
        continue;
      }
      i++;
    }
    return capacity;
  }

  private matchStopsOnBar(bar: Bar, capacity: number): number {
    for (let i = 0; i < this.stops.length;) {
      const order = this.stops[i] as PaperOrder;
      const buy = order.side === 'buy';
      const trigger = order.triggerPrice ?? Number.NaN;
      if (!(buy ? bar.high >= trigger - this.priceEpsilon : bar.low <= trigger + this.priceEpsilon)) {
        i++;
        continue;
      }
      this.stops.splice(i, 1);
      order.triggered = true;
      order.status = 'TRIGGERED';
      this.sink.triggered(order);
      const price = buy ? Math.max(bar.open, trigger) : Math.min(bar.open, trigger);
      const limit = order.price ?? Number.NaN;
      const withinLimit =
        order.type === 'stop' ||
        (buy ? price <= limit + this.priceEpsilon : price >= limit - this.priceEpsilon);
      if (withinLimit) {
        capacity = this.fillOnBar(order, price, 'taker', capacity);
        // fillOnBar may have canceled a FOK.
      }
      if (!order.isOpen) continue;
      if (order.timeInForce === 'IOC' || order.timeInForce === 'FOK') {
        this.closeImmediate(order);
        continue;
      }
      if (order.type === 'stop') this.waiting.push(order);
      else this.rest(order); // joinedBar = this bar: matched from the next bar on
    }
    return capacity;
  }

  private matchLimitsOnBar(list: PaperOrder[], bar: Bar, capacity: number): number {
    for (let i = 0; i < list.length;) {
      const order = list[i] as PaperOrder;
      if (order.joinedBar >= this.barIndex) {
        i++;
        continue;
      }
      const buy = order.side === 'buy';
      const limit = order.price ?? Number.NaN;
      const reached = buy ? bar.low <= limit + this.priceEpsilon : bar.high >= limit - this.priceEpsilon;
      if (reached) {
        const atOpen = buy ? bar.open <= limit + this.priceEpsilon : bar.open >= limit - this.priceEpsilon;
        capacity = this.fillOnBar(order, atOpen ? bar.open : limit, atOpen ? 'taker' : 'maker', capacity);
      }
      if (order.isOpen && (order.timeInForce === 'IOC' || order.timeInForce === 'FOK'))
        this.closeImmediate(order);
      if (!order.isOpen) {
        if (list[i] === order) list.splice(i, 1);
        continue;
      }
      i++;
    }
    return capacity;
  }

  // ---- DAY expiry ----

  private tradingDayOf(now: number): number {
    return Math.floor((now - this.tradingDayStartMicros) / MICROS_PER_DAY);
  }

  private expireDayOrders(now: number, bar: Bar | undefined): void {
    const day = this.tradingDayOf(now);
    if (day === this.lastExpiryDay) return;
    this.lastExpiryDay = day;
    const grace = bar !== undefined && DAILY_OR_LONGER.test(bar.timeframe);
    for (const list of this.lists) {
      for (let i = 0; i < list.length;) {
        const order = list[i] as PaperOrder;
        if (order.timeInForce === 'DAY' && order.tradingDay < day && !(grace && order.barsSeen === 0)) {
          list.splice(i, 1);
          order.status = 'EXPIRED';
          this.sink.expired(order);
        } else i++;
      }
    }
  }
}

function validBar(bar: Bar): boolean {
  return (
    bar.open > 0 &&
    bar.high > 0 &&
    bar.low > 0 &&
    bar.close > 0 &&
    Number.isFinite(bar.open) &&
    Number.isFinite(bar.high) &&
    Number.isFinite(bar.low) &&
    Number.isFinite(bar.close) &&
    bar.high >= bar.low
  );
}
