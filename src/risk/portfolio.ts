// The risk engine's own view of positions, open orders, exposures and cash, fed from the bus.
//
// Exposure model (all in the base currency, marked at the last reference price):
//  - a holding (one strategy in one instrument, or the whole firm in one instrument) has a position and the
//    leaves of its open buys and sells. Its worst long is position + open buys, its worst short position − open
//    sells; its gross term is the larger absolute of the two (so an order that shrinks the position does not
//    raise gross exposure).
//  - a total (per strategy; per sector and per region over firm holdings) keeps Σ gross term × value,
//    Σ worst long × value and Σ worst short × value, where value = mark × multiplier × fx rate.
// Totals change incrementally: a tick re-marks the holdings of one instrument, an order or fill withdraws a
// holding's contribution, changes it, and deposits it again. Checks therefore read three numbers, never a list.
//
// P&L (for the drawdown monitor), in the base currency: per holding, the cash flows of its fills (at the fill
// price × multiplier × fx, less fees converted at the configured rates) plus position × mark × multiplier × fx;
// per strategy and for the firm, the sums. It moves with the same re-marks and fills, incrementally.

import type {
  ClientOrderId,
  Instrument,
  InstrumentId,
  OrderEvent,
  OrderFilled,
  OrderRequest,
  OrderSide,
  OrderType,
  StrategyId,
} from '../model/index.ts';
import { quantize } from '../model/index.ts';
import type { DrawdownTracker } from './drawdown.ts';

/** Projected exposure totals, in the base currency. */
export interface ExposureTotals {
  gross: number;
  netLong: number;
  netShort: number;
}

export interface CurrencyCash {
  readonly currency: string;
  starting: number;
  /** Cash moved by fills: sell proceeds minus buy costs minus fees. */
  flows: number;
  /** Leaves × committed price × multiplier of every open buy in this currency. */
  committedBuys: number;
  openBuyOrders: number;
}

export interface GroupExposure extends ExposureTotals {
  readonly kind: 'sector' | 'region';
  readonly name: string;
}

export interface InstrumentExposure {
  readonly instrument: Instrument;
  /** Position of the instrument in the registry order: its index in the live VaR's vectors. */
  readonly index: number;
  /** Firm-wide position and open-order leaves. */
  position: number;
  openBuy: number;
  openSell: number;
  /** Last price from market data (0 = none yet): collars and market-order notional use it. */
  referencePrice: number;
  referenceTime: number;
  /** Price exposures are marked at: the reference price, else the last fill, else the last order price. */
  markPrice: number;
  /** multiplier × fx rate to the base currency; set by the engine from the risk config. */
  valueFactor: number;
  readonly sector: GroupExposure;
  readonly region: GroupExposure;
  readonly cash: CurrencyCash;
  /** Every strategy holding in this instrument, for re-marking. */
  readonly holdings: Holding[];
}

export interface StrategyExposure extends ExposureTotals {
  readonly id: string;
  readonly holdings: Map<string, Holding>;
  /** Realized and unrealized P&L of the strategy's fills, in the base currency. */
  pnl: number;
  /** The risk engine's drawdown tracker of the strategy, once looked up (saves a lookup per tick). */
  drawdown: DrawdownTracker | undefined;
}

export interface Holding {
  readonly strategy: StrategyExposure;
  readonly instrument: InstrumentExposure;
  position: number;
  openBuy: number;
  openSell: number;
  readonly openOrders: OpenOrder[];
  /** Cash of the holding's fills in the base currency: −side × quantity × price × value factor − fees. */
  cashFlow: number;
}

export interface OpenOrder {
  readonly clientOrderId: ClientOrderId;
  readonly strategyId: StrategyId;
  readonly instrumentId: InstrumentId;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly reduceOnly: boolean;
  quantity: number;
  filled: number;
  leaves: number;
  price: number | undefined;
  triggerPrice: number | undefined;
  /** Price a buy's cash commitment is computed at (limit, trigger, or the reference price for market orders). */
  committedPrice: number;
  readonly holding: Holding;
}

export interface FillCounts {
  applied: number;
  duplicates: number;
  unknownInstrument: number;
  /** Fees in a currency without a rate to the base currency: left out of the P&L. */
  unconvertedFees: number;
}

function grossTerm(position: number, openBuy: number, openSell: number): number {
  const long = Math.abs(position + openBuy);
  const short = Math.abs(position - openSell);
  return long > short ? long : short;
}

/** Gross term of a holding after adding `quantity` on `sign`'s side (1 buy, -1 sell) to its open orders. */
export function grossTermWith(
  position: number,
  openBuy: number,
  openSell: number,
  sign: number,
  quantity: number,
): number {
  return sign > 0
    ? grossTerm(position, openBuy + quantity, openSell)
    : grossTerm(position, openBuy, openSell + quantity);
}

export function holdingGrossTerm(h: { position: number; openBuy: number; openSell: number }): number {
  return grossTerm(h.position, h.openBuy, h.openSell);
}

function addTerms(
  total: ExposureTotals,
  position: number,
  openBuy: number,
  openSell: number,
  value: number,
): void {
  total.gross += grossTerm(position, openBuy, openSell) * value;
  total.netLong += (position + openBuy) * value;
  total.netShort += (position - openSell) * value;
}

export class RiskPortfolio {
  readonly instruments = new Map<string, InstrumentExposure>();
  readonly strategies = new Map<string, StrategyExposure>();
  readonly sectors = new Map<string, GroupExposure>();
  readonly regions = new Map<string, GroupExposure>();
  readonly currencies = new Map<string, CurrencyCash>();
  readonly fills: FillCounts = { applied: 0, duplicates: 0, unknownInstrument: 0, unconvertedFees: 0 };
  /** Firm P&L in the base currency (Σ of the strategies'). */
  pnl = 0;
  private readonly openOrders = new Map<string, OpenOrder>();
  private readonly seenTrades = new Set<string>();
  private currencyRate: (currency: string) => number | undefined = () => undefined;

  constructor(instruments: Iterable<Instrument>) {
    for (const instrument of instruments) {
      this.instruments.set(instrument.id, {
        instrument,
        index: this.instruments.size,
        position: 0,
        openBuy: 0,
        openSell: 0,
        referencePrice: 0,
        referenceTime: Number.NEGATIVE_INFINITY,
        markPrice: 0,
        valueFactor: instrument.multiplier,
        sector: this.group(this.sectors, 'sector', instrument.sector),
        region: this.group(this.regions, 'region', instrument.region),
        cash: this.currency(instrument.currency),
        holdings: [],
      });
    }
  }

  currency(code: string): CurrencyCash {
    let cash = this.currencies.get(code);
    if (!cash) {
      cash = { currency: code, starting: 0, flows: 0, committedBuys: 0, openBuyOrders: 0 };
      this.currencies.set(code, cash);
    }
    return cash;
  }

  strategy(id: string): StrategyExposure {
    let s = this.strategies.get(id);
    if (!s) {
      s = { id, holdings: new Map(), gross: 0, netLong: 0, netShort: 0, pnl: 0, drawdown: undefined };
      this.strategies.set(id, s);
    }
    return s;
  }

  openOrder(clientOrderId: string): OpenOrder | undefined {
    return this.openOrders.get(clientOrderId);
  }

  openOrderCount(): number {
    return this.openOrders.size;
  }

  /**
   * Sets each instrument's value factor (multiplier × fx) and the rate fees convert at (units of the base
   * currency per unit of a currency; undefined = no rate), and recomputes every total from the holdings.
   */
  revalue(
    valueFactor: (instrument: Instrument) => number,
    currencyRate: (currency: string) => number | undefined = () => undefined,
  ): void {
    for (const e of this.instruments.values()) e.valueFactor = valueFactor(e.instrument);
    this.currencyRate = currencyRate;
    this.recomputeTotals();
  }

  recomputeTotals(): void {
    for (const s of this.strategies.values()) s.gross = s.netLong = s.netShort = s.pnl = 0;
    for (const g of this.sectors.values()) g.gross = g.netLong = g.netShort = 0;
    for (const g of this.regions.values()) g.gross = g.netLong = g.netShort = 0;
    this.pnl = 0;
    for (const e of this.instruments.values()) {
      const value = e.markPrice * e.valueFactor;
      addTerms(e.sector, e.position, e.openBuy, e.openSell, value);
      addTerms(e.region, e.position, e.openBuy, e.openSell, value);
      for (const h of e.holdings) {
        addTerms(h.strategy, h.position, h.openBuy, h.openSell, value);
        const pnl = h.cashFlow + h.position * value;
        h.strategy.pnl += pnl;
        this.pnl += pnl;
      }
    }
  }

  /**
   * A price from market data. Ignored unless positive, finite and not older than the last one; returns the
   * instrument's exposure when the price was taken.
   */
  setReferencePrice(
    instrumentId: string,
    price: number | undefined,
    time: number,
  ): InstrumentExposure | undefined {
    const e = this.instruments.get(instrumentId);
    if (!e || price === undefined || !(price > 0) || price === Number.POSITIVE_INFINITY) return undefined;
    if (time < e.referenceTime) return undefined;
    e.referencePrice = price;
    e.referenceTime = time;
    this.remark(e, price);
    return e;
  }

  /** Moves the mark of one instrument, re-marking every total it contributes to. */
  private remark(e: InstrumentExposure, price: number): void {
    if (price === e.markPrice) return;
    const delta = (price - e.markPrice) * e.valueFactor;
    e.markPrice = price;
    addTerms(e.sector, e.position, e.openBuy, e.openSell, delta);
    addTerms(e.region, e.position, e.openBuy, e.openSell, delta);
    this.pnl += e.position * delta;
    const holdings = e.holdings;
    for (let i = 0; i < holdings.length; i++) {
      const h = holdings[i] as Holding;
      addTerms(h.strategy, h.position, h.openBuy, h.openSell, delta);
      h.strategy.pnl += h.position * delta;
    }
  }

  holding(strategyId: string, e: InstrumentExposure): Holding {
    const strategy = this.strategy(strategyId);
    let h = strategy.holdings.get(e.instrument.id);
    if (!h) {
      h = { strategy, instrument: e, position: 0, openBuy: 0, openSell: 0, openOrders: [], cashFlow: 0 };
      strategy.holdings.set(e.instrument.id, h);
      e.holdings.push(h);
    }
    return h;
  }

  private withdraw(h: Holding): void {
    const e = h.instrument;
    const value = -e.markPrice * e.valueFactor;
    addTerms(h.strategy, h.position, h.openBuy, h.openSell, value);
    addTerms(e.sector, e.position, e.openBuy, e.openSell, value);
    addTerms(e.region, e.position, e.openBuy, e.openSell, value);
  }

  private deposit(h: Holding): void {
    const e = h.instrument;
    const value = e.markPrice * e.valueFactor;
    addTerms(h.strategy, h.position, h.openBuy, h.openSell, value);
    addTerms(e.sector, e.position, e.openBuy, e.openSell, value);
    addTerms(e.region, e.position, e.openBuy, e.openSell, value);
  }

  /** Records an order risk has validated. `committedPrice` values a buy's cash commitment. */
  addOpenOrder(request: OrderRequest, committedPrice: number): OpenOrder | undefined {
    const e = this.instruments.get(request.instrumentId);
    if (!e || this.openOrders.has(request.clientOrderId)) return undefined;
    // An instrument never priced is marked at the first order's price, so its exposure is not counted as zero.
    if (e.markPrice === 0 && committedPrice > 0) this.remark(e, committedPrice);
    const h = this.holding(request.strategyId, e);
    const order: OpenOrder = {
      clientOrderId: request.clientOrderId,
      strategyId: request.strategyId,
      instrumentId: request.instrumentId,
      side: request.side,
      type: request.type,
      reduceOnly: request.reduceOnly,
      quantity: request.quantity,
      filled: 0,
      leaves: request.quantity,
      price: request.price,
      triggerPrice: request.triggerPrice,
      committedPrice,
      holding: h,
    };
    this.withdraw(h);
    this.changeLeaves(order, order.leaves);
    this.deposit(h);
    h.openOrders.push(order);
    this.openOrders.set(order.clientOrderId, order);
    if (order.side === 'buy') e.cash.openBuyOrders++;
    return order;
  }

  /** Adds `delta` leaves (negative to remove) to the holding, the firm and the cash commitment. */
  private changeLeaves(order: OpenOrder, delta: number): void {
    const h = order.holding;
    const e = h.instrument;
    const decimals = e.instrument.quantityDecimals;
    if (order.side === 'buy') {
      h.openBuy = quantize(h.openBuy + delta, decimals);
      e.openBuy = quantize(e.openBuy + delta, decimals);
      e.cash.committedBuys += delta * order.committedPrice * e.instrument.multiplier;
    } else {
      h.openSell = quantize(h.openSell + delta, decimals);
      e.openSell = quantize(e.openSell + delta, decimals);
    }
  }

  /** Sets an open order's leaves (never raises them: fills and events may arrive in either order). */
  private reduceLeaves(order: OpenOrder, leaves: number): void {
    if (!(leaves >= 0) || leaves >= order.leaves) return;
    this.withdraw(order.holding);
    this.changeLeaves(order, leaves - order.leaves);
    order.leaves = leaves;
    order.filled = quantize(order.quantity - leaves, order.holding.instrument.instrument.quantityDecimals);
    this.deposit(order.holding);
    if (leaves === 0) this.removeOrder(order);
  }

  closeOrder(clientOrderId: string): void {
    const order = this.openOrders.get(clientOrderId);
    if (!order) return;
    this.withdraw(order.holding);
    this.changeLeaves(order, -order.leaves);
    order.leaves = 0;
    this.deposit(order.holding);
    this.removeOrder(order);
  }

  private removeOrder(order: OpenOrder): void {
    this.openOrders.delete(order.clientOrderId);
    const list = order.holding.openOrders;
    const i = list.indexOf(order);
    if (i >= 0) {
      list[i] = list[list.length - 1] as OpenOrder;
      list.pop();
    }
    if (order.side === 'buy') {
      const cash = order.holding.instrument.cash;
      // With no buy open in the currency, the commitment is exactly zero: drop the float residue.
      if (--cash.openBuyOrders === 0) cash.committedBuys = 0;
    }
  }

  private modifyOrder(
    order: OpenOrder,
    quantity: number,
    price: number | undefined,
    triggerPrice: number | undefined,
  ): void {
    const decimals = order.holding.instrument.instrument.quantityDecimals;
    this.withdraw(order.holding);
    this.changeLeaves(order, -order.leaves);
    order.quantity = quantity;
    order.price = price;
    order.triggerPrice = triggerPrice;
    if (order.type === 'limit' || order.type === 'stop_limit')
      order.committedPrice = price ?? order.committedPrice;
    else if (order.type === 'stop') order.committedPrice = triggerPrice ?? order.committedPrice;
    const leaves = quantize(quantity - order.filled, decimals);
    order.leaves = leaves > 0 ? leaves : 0;
    this.changeLeaves(order, order.leaves);
    this.deposit(order.holding);
    if (order.leaves === 0) this.removeOrder(order);
  }

  /** Applies an execution once per venue + trade id: position, cash, and the order's leaves. */
  applyFill(fill: OrderFilled): boolean {
    const key = `${fill.venue}\u0000${fill.tradeId}`;
    if (this.seenTrades.has(key)) {
      this.fills.duplicates++;
      return false;
    }
    const e = this.instruments.get(fill.instrumentId);
    if (!e || !(fill.lastQuantity > 0) || !(fill.lastPrice > 0)) {
      this.fills.unknownInstrument++;
      return false;
    }
    this.seenTrades.add(key);
    this.fills.applied++;
    if (e.referencePrice === 0) this.remark(e, fill.lastPrice);
    const sign = fill.side === 'buy' ? 1 : -1;
    const decimals = e.instrument.quantityDecimals;
    const h = this.holding(fill.strategyId, e);
    this.withdraw(h);
    h.position = quantize(h.position + sign * fill.lastQuantity, decimals);
    e.position = quantize(e.position + sign * fill.lastQuantity, decimals);
    this.deposit(h);
    e.cash.flows -= sign * fill.lastQuantity * fill.lastPrice * e.instrument.multiplier;
    // P&L: the fill's cash against the same quantity valued at the mark.
    let pnl = sign * fill.lastQuantity * (e.markPrice - fill.lastPrice) * e.valueFactor;
    h.cashFlow -= sign * fill.lastQuantity * fill.lastPrice * e.valueFactor;
    if (fill.fee !== 0 && Number.isFinite(fill.fee)) {
      this.currency(fill.feeCurrency).flows -= fill.fee;
      const rate = this.currencyRate(fill.feeCurrency);
      if (rate === undefined) this.fills.unconvertedFees++;
      else {
        h.cashFlow -= fill.fee * rate;
        pnl -= fill.fee * rate;
      }
    }
    h.strategy.pnl += pnl;
    this.pnl += pnl;
    const order = this.openOrders.get(fill.clientOrderId);
    if (order) this.reduceLeaves(order, fill.leavesQuantity);
    return true;
  }

  /** Order lifecycle from orders.events: terminal events close, fills and modifications resize. */
  applyOrderEvent(event: OrderEvent): void {
    switch (event.type) {
      case 'order_denied':
      case 'order_rejected':
      case 'order_canceled':
      case 'order_expired':
        this.closeOrder(event.clientOrderId);
        return;
      case 'order_filled': {
        const order = this.openOrders.get(event.clientOrderId);
        if (order) this.reduceLeaves(order, event.leavesQuantity);
        return;
      }
      case 'order_modified': {
        const order = this.openOrders.get(event.clientOrderId);
        if (order && event.quantity > 0)
          this.modifyOrder(order, event.quantity, event.price, event.triggerPrice);
        return;
      }
      case 'order_submitted':
      case 'order_accepted':
      case 'order_triggered':
      case 'order_pending_cancel':
      case 'order_pending_update':
      case 'order_modify_rejected':
      case 'order_cancel_rejected':
        return;
    }
  }

  private group(map: Map<string, GroupExposure>, kind: 'sector' | 'region', name: string): GroupExposure {
    let g = map.get(name);
    if (!g) {
      g = { kind, name, gross: 0, netLong: 0, netShort: 0 };
      map.set(name, g);
    }
    return g;
  }
}
