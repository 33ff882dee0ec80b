// Transaction cost analysis: per order and per fill costs against decision, arrival, interval VWAP / TWAP and
// the quote at the fill, markouts after it, and the same figures aggregated by strategy and by venue.
//
// Conventions: times are unix microseconds; bps are 10⁻⁴ of the benchmark; money is price × quantity ×
// multiplier in the instrument's currency (aggregates add money across instruments as given, so group one
// currency at a time). Costs are signed so that positive = cost: for a buy, paying above the benchmark; for a
// sell, receiving below it. Markouts are signed the other way round, positive = the market moved in the
// fill's favour afterwards. The quote "at" a time is the last quote at or before it.

import type { OrderSide } from '../model/index.ts';
import { DEFAULT_MARKOUT_HORIZONS_MICROS } from './config.ts';
import { TcaReasons, type TcaIssue, type TcaReasonCode } from './reasons.ts';

export type Liquidity = 'maker' | 'taker';

export interface TcaOrder {
  readonly clientOrderId: string;
  readonly strategyId: string;
  readonly venue: string;
  readonly instrumentId: string;
  readonly side: OrderSide;
  readonly quantity: number;
  /** Price when the strategy decided to trade, and when. */
  readonly decisionPrice: number;
  readonly decisionTime: number;
  /** Price when the order reached the market (e.g. the mid on arrival at the venue), and when. */
  readonly arrivalPrice: number;
  readonly arrivalTime: number;
  /** Contract multiplier: money = price × quantity × multiplier. Default 1. */
  readonly multiplier?: number;
}

export interface TcaFill {
  readonly clientOrderId: string;
  readonly price: number;
  readonly quantity: number;
  /** In money; negative for a rebate. */
  readonly fee: number;
  readonly time: number;
  readonly liquidity?: Liquidity;
}

export interface TapeQuote {
  readonly time: number;
  readonly bid: number;
  readonly ask: number;
}

export interface TapeTrade {
  readonly time: number;
  readonly price: number;
  readonly size: number;
}

export interface MarketTape {
  readonly quotes: readonly TapeQuote[];
  readonly trades: readonly TapeTrade[];
  /**
   * The tape is complete up to this time: a quote holds until the next one or this end, and markouts past it
   * are left out. Default: the last quote, trade or fill on the instrument (the fills are trades too).
   */
  readonly endTime?: number;
}

export interface TcaInput {
  readonly orders: readonly TcaOrder[];
  readonly fills: readonly TcaFill[];
  /** Market tape per instrument id. */
  readonly tapes: ReadonlyMap<string, MarketTape> | Readonly<Record<string, MarketTape>>;
}

export interface TcaOptions {
  /** Markout horizons after each fill, microseconds; default 1 s, 10 s, 60 s. */
  readonly markoutHorizonsMicros?: readonly number[];
}

export interface FillAnalysis {
  readonly clientOrderId: string;
  readonly strategyId: string;
  readonly venue: string;
  readonly instrumentId: string;
  readonly side: OrderSide;
  readonly time: number;
  readonly price: number;
  readonly quantity: number;
  readonly multiplier: number;
  readonly fee: number;
  readonly liquidity: Liquidity | 'unknown';
  /** The quote at the fill; null without one. */
  readonly bid: number | null;
  readonly ask: number | null;
  readonly mid: number | null;
  /** Effective spread 2 × side × (price − mid) / mid × 10⁴: positive = spread paid, negative = captured. */
  readonly effectiveSpreadBps: number | null;
  /** Per horizon: side × (mid at time + horizon − price) / price × 10⁴; positive = in the fill's favour. */
  readonly markoutsBps: readonly (number | null)[];
}

export interface OrderAnalysis {
  readonly clientOrderId: string;
  readonly strategyId: string;
  readonly venue: string;
  readonly instrumentId: string;
  readonly side: OrderSide;
  readonly quantity: number;
  readonly multiplier: number;
  readonly fills: number;
  readonly filledQuantity: number;
  /** Σ price × quantity / Σ quantity; null when unfilled. */
  readonly averagePrice: number | null;
  /** Σ price × quantity × multiplier. */
  readonly notional: number;
  readonly firstFillTime: number | null;
  readonly lastFillTime: number | null;
  readonly fees: number;
  /** fees / notional × 10⁴. */
  readonly feesBps: number | null;
  /** Implementation shortfall vs the decision price: side × (average − decision) / decision × 10⁴. */
  readonly shortfallDecisionBps: number | null;
  /** side × (average − decision) × filled × multiplier. Fees are separate; the unfilled rest is not costed. */
  readonly shortfallDecisionMoney: number;
  readonly shortfallArrivalBps: number | null;
  readonly shortfallArrivalMoney: number;
  /** Volume-weighted trade price on the tape over [arrival, last fill], both ends included. */
  readonly intervalVwap: number | null;
  /** side × (average − VWAP) / VWAP × 10⁴. */
  readonly vwapSlippageBps: number | null;
  /** Time-weighted mid over [arrival, last fill] (each quote holds until the next). */
  readonly intervalTwap: number | null;
  readonly twapSlippageBps: number | null;
  /** Quantity-weighted over the fills with a quote. */
  readonly effectiveSpreadBps: number | null;
  /** Σ side × (price − mid) × quantity × multiplier over the fills with a quote: the half-spread paid. */
  readonly spreadCostMoney: number;
  /** Per horizon, quantity-weighted over the fills with a markout. */
  readonly markoutsBps: readonly (number | null)[];
}

/** Totals and quantity-weighted averages of a group of orders (one strategy, or one venue). */
export interface TcaAggregate {
  readonly key: string;
  readonly orders: number;
  readonly filledOrders: number;
  readonly filledQuantity: number;
  readonly notional: number;
  readonly fees: number;
  readonly feesBps: number | null;
  readonly shortfallDecisionMoney: number;
  readonly shortfallArrivalMoney: number;
  readonly spreadCostMoney: number;
  /** Weighted by each order's filled quantity. */
  readonly shortfallDecisionBps: number | null;
  readonly shortfallArrivalBps: number | null;
  readonly vwapSlippageBps: number | null;
  readonly twapSlippageBps: number | null;
  /** Weighted by each fill's quantity. */
  readonly effectiveSpreadBps: number | null;
  readonly markoutsBps: readonly (number | null)[];
}

export interface TcaReport {
  readonly markoutHorizonsMicros: readonly number[];
  readonly orders: readonly OrderAnalysis[];
  readonly fills: readonly FillAnalysis[];
  readonly byStrategy: readonly TcaAggregate[];
  readonly byVenue: readonly TcaAggregate[];
  /** How many times each reason occurred. */
  readonly counts: Readonly<Record<TcaReasonCode, number>>;
  readonly issues: readonly TcaIssue[];
}

const BPS = 10_000;

/** A tape checked and sorted by time, in flat arrays for binary search. */
interface PreparedTape {
  readonly quoteTimes: Float64Array;
  readonly bids: Float64Array;
  readonly asks: Float64Array;
  readonly tradeTimes: Float64Array;
  readonly tradePrices: Float64Array;
  readonly tradeSizes: Float64Array;
  readonly endTime: number;
}

/** Running Σ value × weight and Σ weight, skipping missing values. */
class WeightedMean {
  private sum = 0;
  private weight = 0;
  add(value: number | null, weight: number): void {
    if (value === null) return;
    this.sum += value * weight;
    this.weight += weight;
  }
  value(): number | null {
    return this.weight > 0 ? this.sum / this.weight : null;
  }
}

const isFiniteNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);
const isPositive = (value: unknown): value is number => isFiniteNumber(value) && value > 0;
const isId = (value: unknown): value is string => typeof value === 'string' && value !== '';

const show = (value: unknown): string => (typeof value === 'string' ? `"${value}"` : String(value));

/** The client order id of an input entry for an issue, whatever the entry is. */
function subjectOf(entry: unknown): string {
  return typeof entry === 'object' && entry !== null && 'clientOrderId' in entry
    ? String(entry.clientOrderId)
    : '';
}

function orderProblem(order: TcaOrder): string | undefined {
  if (typeof order !== 'object' || (order as unknown) === null) return 'not an object';
  if (!isId(order.clientOrderId)) return 'clientOrderId is missing';
  if (!isId(order.strategyId)) return 'strategyId is missing';
  if (!isId(order.venue)) return 'venue is missing';
  if (!isId(order.instrumentId)) return 'instrumentId is missing';
  if (order.side !== 'buy' && order.side !== 'sell')
    return `side ${show(order.side)} is neither buy nor sell`;
  const positive = {
    quantity: order.quantity,
    decisionPrice: order.decisionPrice,
    arrivalPrice: order.arrivalPrice,
  };
  for (const [name, value] of Object.entries(positive))
    if (!isPositive(value)) return `${name} ${show(value)} is not a positive number`;
  if (!isFiniteNumber(order.decisionTime)) return `decisionTime ${show(order.decisionTime)} is not a number`;
  if (!isFiniteNumber(order.arrivalTime)) return `arrivalTime ${show(order.arrivalTime)} is not a number`;
  if (order.multiplier !== undefined && !isPositive(order.multiplier))
    return `multiplier ${show(order.multiplier)} is not a positive number`;
  return undefined;
}

function fillProblem(fill: TcaFill): string | undefined {
  if (typeof fill !== 'object' || (fill as unknown) === null) return 'not an object';
  if (!isPositive(fill.price)) return `price ${show(fill.price)} is not a positive number`;
  if (!isPositive(fill.quantity)) return `quantity ${show(fill.quantity)} is not a positive number`;
  if (!isFiniteNumber(fill.fee)) return `fee ${show(fill.fee)} is not a number`;
  if (!isFiniteNumber(fill.time)) return `time ${show(fill.time)} is not a number`;
  if (fill.liquidity !== undefined && fill.liquidity !== 'maker' && fill.liquidity !== 'taker')
    return `liquidity ${show(fill.liquidity)} is neither maker nor taker`;
  return undefined;
}

/** Largest index i with times[i] ≤ t, or −1. */
function indexAtOrBefore(times: Float64Array, t: number): number {
  let low = 0;
  let high = times.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    if ((times[middle] as number) <= t) {
      found = middle;
      low = middle + 1;
    } else high = middle - 1;
  }
  return found;
}

/** Smallest index i with times[i] ≥ t, or times.length. */
function firstIndexAtOrAfter(times: Float64Array, t: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((times[middle] as number) < t) low = middle + 1;
    else high = middle;
  }
  return low;
}

function midOf(tape: PreparedTape, index: number): number {
  return ((tape.bids[index] as number) + (tape.asks[index] as number)) / 2;
}

/** Mid of the quote at `t`; null before the first quote or past the tape's end. */
function midAt(tape: PreparedTape, t: number): number | null {
  if (t > tape.endTime) return null;
  const index = indexAtOrBefore(tape.quoteTimes, t);
  return index < 0 ? null : midOf(tape, index);
}

/** Σ price × size / Σ size over trades with start ≤ time ≤ end; null without volume. */
function intervalVwap(tape: PreparedTape, start: number, end: number): number | null {
  let value = 0;
  let volume = 0;
  for (let i = firstIndexAtOrAfter(tape.tradeTimes, start); i < tape.tradeTimes.length; i++) {
    if ((tape.tradeTimes[i] as number) > end) break;
    const size = tape.tradeSizes[i] as number;
    value += (tape.tradePrices[i] as number) * size;
    volume += size;
  }
  return volume > 0 ? value / volume : null;
}

/**
 * Time-weighted mid over [start, end]: each quote's mid holds from its time until the next quote. Time before
 * the first quote is not covered and not counted; an empty interval gives the mid at `start`. Null when the
 * interval runs past the tape's end or no quote covers it.
 */
function intervalTwap(tape: PreparedTape, start: number, end: number): number | null {
  if (end > tape.endTime) return null;
  if (end === start) return midAt(tape, start);
  const times = tape.quoteTimes;
  let sum = 0;
  let covered = 0;
  for (let i = Math.max(indexAtOrBefore(times, start), 0); i < times.length; i++) {
    const from = Math.max(start, times[i] as number);
    if (from >= end) break;
    const next = i + 1 < times.length ? (times[i + 1] as number) : end;
    const to = Math.min(next, end);
    if (to > from) {
      sum += midOf(tape, i) * (to - from);
      covered += to - from;
    }
  }
  return covered > 0 ? sum / covered : null;
}

function tapeOf(tapes: TcaInput['tapes'], instrumentId: string): MarketTape | undefined {
  if (tapes instanceof Map) return (tapes as ReadonlyMap<string, MarketTape>).get(instrumentId);
  const record = tapes as Readonly<Record<string, MarketTape>>;
  return Object.hasOwn(record, instrumentId) ? record[instrumentId] : undefined;
}

class Aggregator {
  private orders = 0;
  private filledOrders = 0;
  private filledQuantity = 0;
  private notional = 0;
  private fees = 0;
  private shortfallDecisionMoney = 0;
  private shortfallArrivalMoney = 0;
  private spreadCostMoney = 0;
  private readonly shortfallDecisionBps = new WeightedMean();
  private readonly shortfallArrivalBps = new WeightedMean();
  private readonly vwapSlippageBps = new WeightedMean();
  private readonly twapSlippageBps = new WeightedMean();
  private readonly effectiveSpreadBps = new WeightedMean();
  private readonly markoutsBps: WeightedMean[];

  constructor(
    private readonly key: string,
    horizons: number,
  ) {
    this.markoutsBps = Array.from({ length: horizons }, () => new WeightedMean());
  }

  addOrder(order: OrderAnalysis): void {
    this.orders++;
    if (order.filledQuantity > 0) this.filledOrders++;
    const weight = order.filledQuantity;
    this.filledQuantity += weight;
    this.notional += order.notional;
    this.fees += order.fees;
    this.shortfallDecisionMoney += order.shortfallDecisionMoney;
    this.shortfallArrivalMoney += order.shortfallArrivalMoney;
    this.spreadCostMoney += order.spreadCostMoney;
    this.shortfallDecisionBps.add(order.shortfallDecisionBps, weight);
    this.shortfallArrivalBps.add(order.shortfallArrivalBps, weight);
    this.vwapSlippageBps.add(order.vwapSlippageBps, weight);
    this.twapSlippageBps.add(order.twapSlippageBps, weight);
  }

  addFill(fill: FillAnalysis): void {
    this.effectiveSpreadBps.add(fill.effectiveSpreadBps, fill.quantity);
    for (let h = 0; h < this.markoutsBps.length; h++)
      this.markoutsBps[h]?.add(fill.markoutsBps[h] ?? null, fill.quantity);
  }

  result(): TcaAggregate {
    return {
      key: this.key,
      orders: this.orders,
      filledOrders: this.filledOrders,
      filledQuantity: this.filledQuantity,
      notional: this.notional,
      fees: this.fees,
      feesBps: this.notional > 0 ? (this.fees / this.notional) * BPS : null,
      shortfallDecisionMoney: this.shortfallDecisionMoney,
      shortfallArrivalMoney: this.shortfallArrivalMoney,
      spreadCostMoney: this.spreadCostMoney,
      shortfallDecisionBps: this.shortfallDecisionBps.value(),
      shortfallArrivalBps: this.shortfallArrivalBps.value(),
      vwapSlippageBps: this.vwapSlippageBps.value(),
      twapSlippageBps: this.twapSlippageBps.value(),
      effectiveSpreadBps: this.effectiveSpreadBps.value(),
      markoutsBps: this.markoutsBps.map((m) => m.value()),
    };
  }
}

function emptyCounts(): Record<TcaReasonCode, number> {
  const counts = {} as Record<TcaReasonCode, number>;
  for (const code of Object.keys(TcaReasons) as TcaReasonCode[]) counts[code] = 0;
  return counts;
}

/**
 * Runs the analysis. A bad order, fill or tape entry never throws: it is skipped or left out, counted and
 * listed in `issues`. Only a markout horizon that is not a positive number (a programming error) throws.
 */
export function analyzeExecutions(input: TcaInput, options: TcaOptions = {}): TcaReport {
  const horizons = [...(options.markoutHorizonsMicros ?? DEFAULT_MARKOUT_HORIZONS_MICROS)];
  for (const horizon of horizons)
    if (!isPositive(horizon))
      throw new RangeError(`markout horizon ${show(horizon)} µs is not a positive number`);
  const counts = emptyCounts();
  const issues: TcaIssue[] = [];
  const report = (code: TcaReasonCode, subject: string, message: string): void => {
    counts[code]++;
    issues.push({ code, subject, message });
  };

  const entries = new Map<string, { readonly order: TcaOrder; readonly fills: TcaFill[] }>();
  for (const order of input.orders) {
    const problem = orderProblem(order);
    if (problem !== undefined) {
      report('TCA_INVALID_ORDER', subjectOf(order), problem);
      continue;
    }
    if (entries.has(order.clientOrderId)) {
      report(
        'TCA_DUPLICATE_ORDER',
        order.clientOrderId,
        'client order id seen before; the first order is kept',
      );
      continue;
    }
    entries.set(order.clientOrderId, { order, fills: [] });
  }
  const lastFillByInstrument = new Map<string, number>();
  for (const fill of input.fills) {
    const problem = fillProblem(fill);
    if (problem !== undefined) {
      report('TCA_INVALID_FILL', subjectOf(fill), problem);
      continue;
    }
    const entry = entries.get(fill.clientOrderId);
    if (entry === undefined) {
      report('TCA_UNKNOWN_ORDER', subjectOf(fill), 'no valid order with this client order id');
      continue;
    }
    entry.fills.push(fill);
    const last = lastFillByInstrument.get(entry.order.instrumentId);
    if (last === undefined || fill.time > last) lastFillByInstrument.set(entry.order.instrumentId, fill.time);
  }

  const prepared = new Map<string, PreparedTape | null>();
  const prepare = (instrumentId: string): PreparedTape | null => {
    let tape = prepared.get(instrumentId);
    if (tape === undefined) {
      tape = prepareTape(
        instrumentId,
        tapeOf(input.tapes, instrumentId),
        lastFillByInstrument.get(instrumentId) ?? -Infinity,
        report,
      );
      prepared.set(instrumentId, tape);
    }
    return tape;
  };

  const orders: OrderAnalysis[] = [];
  const fills: FillAnalysis[] = [];
  const byStrategy = new Map<string, Aggregator>();
  const byVenue = new Map<string, Aggregator>();
  const groupOf = (groups: Map<string, Aggregator>, key: string): Aggregator => {
    let group = groups.get(key);
    if (group === undefined) {
      group = new Aggregator(key, horizons.length);
      groups.set(key, group);
    }
    return group;
  };

  for (const { order, fills: orderFills } of entries.values()) {
    orderFills.sort((a, b) => a.time - b.time);
    const tape = prepare(order.instrumentId);
    if (tape === null && orderFills.length > 0)
      report('TCA_NO_TAPE', order.clientOrderId, `no market tape for ${order.instrumentId}`);
    const analysis = analyzeOrder(order, orderFills, tape, horizons, report);
    orders.push(analysis.order);
    const strategy = groupOf(byStrategy, order.strategyId);
    const venue = groupOf(byVenue, order.venue);
    strategy.addOrder(analysis.order);
    venue.addOrder(analysis.order);
    for (const fill of analysis.fills) {
      fills.push(fill);
      strategy.addFill(fill);
      venue.addFill(fill);
    }
  }

  const sorted = (groups: Map<string, Aggregator>): TcaAggregate[] =>
    [...groups.keys()].sort().map((key) => (groups.get(key) as Aggregator).result());
  return {
    markoutHorizonsMicros: horizons,
    orders,
    fills,
    byStrategy: sorted(byStrategy),
    byVenue: sorted(byVenue),
    counts,
    issues,
  };
}

function prepareTape(
  instrumentId: string,
  tape: MarketTape | undefined,
  lastFillTime: number,
  report: (code: TcaReasonCode, subject: string, message: string) => void,
): PreparedTape | null {
  if (tape === undefined) return null;
  const quotes: TapeQuote[] = [];
  for (const quote of tape.quotes) {
    if (
      isFiniteNumber(quote.time) &&
      isPositive(quote.bid) &&
      isPositive(quote.ask) &&
      quote.bid <= quote.ask
    )
      quotes.push(quote);
    else
      report('TCA_INVALID_QUOTE', instrumentId, `quote at ${quote.time}: bid ${quote.bid}, ask ${quote.ask}`);
  }
  const trades: TapeTrade[] = [];
  for (const trade of tape.trades) {
    if (isFiniteNumber(trade.time) && isPositive(trade.price) && isPositive(trade.size)) trades.push(trade);
    else
      report(
        'TCA_INVALID_TRADE',
        instrumentId,
        `trade at ${trade.time}: price ${trade.price}, size ${trade.size}`,
      );
  }
  quotes.sort((a, b) => a.time - b.time);
  trades.sort((a, b) => a.time - b.time);
  const lastQuote = quotes[quotes.length - 1]?.time ?? -Infinity;
  const lastTrade = trades[trades.length - 1]?.time ?? -Infinity;
  return {
    quoteTimes: Float64Array.from(quotes, (q) => q.time),
    bids: Float64Array.from(quotes, (q) => q.bid),
    asks: Float64Array.from(quotes, (q) => q.ask),
    tradeTimes: Float64Array.from(trades, (t) => t.time),
    tradePrices: Float64Array.from(trades, (t) => t.price),
    tradeSizes: Float64Array.from(trades, (t) => t.size),
    endTime: isFiniteNumber(tape.endTime) ? tape.endTime : Math.max(lastQuote, lastTrade, lastFillTime),
  };
}

function analyzeOrder(
  order: TcaOrder,
  orderFills: readonly TcaFill[],
  tape: PreparedTape | null,
  horizons: readonly number[],
  report: (code: TcaReasonCode, subject: string, message: string) => void,
): { order: OrderAnalysis; fills: FillAnalysis[] } {
  const sign = order.side === 'buy' ? 1 : -1;
  const multiplier = order.multiplier ?? 1;
  const fills: FillAnalysis[] = [];
  let filledQuantity = 0;
  let value = 0;
  let fees = 0;
  let spreadCostMoney = 0;
  const spread = new WeightedMean();
  const markouts = horizons.map(() => new WeightedMean());
  let noQuote = 0;

  for (const fill of orderFills) {
    filledQuantity += fill.quantity;
    value += fill.price * fill.quantity;
    fees += fill.fee;
    const index =
      tape === null || fill.time > tape.endTime ? -1 : indexAtOrBefore(tape.quoteTimes, fill.time);
    let bid: number | null = null;
    let ask: number | null = null;
    let mid: number | null = null;
    let effectiveSpreadBps: number | null = null;
    if (tape !== null && index >= 0) {
      bid = tape.bids[index] as number;
      ask = tape.asks[index] as number;
      mid = (bid + ask) / 2;
      effectiveSpreadBps = ((2 * sign * (fill.price - mid)) / mid) * BPS;
      spreadCostMoney += sign * (fill.price - mid) * fill.quantity * multiplier;
    } else if (tape !== null) noQuote++;
    spread.add(effectiveSpreadBps, fill.quantity);
    const markoutsBps: (number | null)[] = [];
    for (let h = 0; h < horizons.length; h++) {
      const later = tape === null ? null : midAt(tape, fill.time + (horizons[h] as number));
      const markout = later === null ? null : ((sign * (later - fill.price)) / fill.price) * BPS;
      markoutsBps.push(markout);
      markouts[h]?.add(markout, fill.quantity);
    }
    fills.push({
      clientOrderId: order.clientOrderId,
      strategyId: order.strategyId,
      venue: order.venue,
      instrumentId: order.instrumentId,
      side: order.side,
      time: fill.time,
      price: fill.price,
      quantity: fill.quantity,
      multiplier,
      fee: fill.fee,
      liquidity: fill.liquidity ?? 'unknown',
      bid,
      ask,
      mid,
      effectiveSpreadBps,
      markoutsBps,
    });
  }
  if (noQuote > 0)
    report(
      'TCA_NO_QUOTE',
      order.clientOrderId,
      `${noQuote} fill${noQuote === 1 ? '' : 's'} with no quote for ${order.instrumentId} at the fill time`,
    );
  if (filledQuantity > order.quantity * (1 + 1e-9))
    report(
      'TCA_OVERFILLED',
      order.clientOrderId,
      `filled ${filledQuantity} of an order for ${order.quantity}`,
    );

  const filled = filledQuantity > 0;
  const averagePrice = filled ? value / filledQuantity : null;
  const firstFillTime = orderFills[0]?.time ?? null;
  const lastFillTime = orderFills[orderFills.length - 1]?.time ?? null;
  const costBps = (benchmark: number | null): number | null =>
    averagePrice === null || benchmark === null
      ? null
      : ((sign * (averagePrice - benchmark)) / benchmark) * BPS;
  const costMoney = (benchmark: number): number =>
    averagePrice === null ? 0 : sign * (averagePrice - benchmark) * filledQuantity * multiplier;

  let vwap: number | null = null;
  let twap: number | null = null;
  if (firstFillTime !== null && lastFillTime !== null) {
    if (firstFillTime < order.arrivalTime)
      report(
        'TCA_FILL_BEFORE_ARRIVAL',
        order.clientOrderId,
        `fill at ${firstFillTime} before arrival at ${order.arrivalTime}`,
      );
    else if (tape !== null) {
      vwap = intervalVwap(tape, order.arrivalTime, lastFillTime);
      twap = intervalTwap(tape, order.arrivalTime, lastFillTime);
    }
  }
  const notional = value * multiplier;
  return {
    order: {
      clientOrderId: order.clientOrderId,
      strategyId: order.strategyId,
      venue: order.venue,
      instrumentId: order.instrumentId,
      side: order.side,
      quantity: order.quantity,
      multiplier,
      fills: orderFills.length,
      filledQuantity,
      averagePrice,
      notional,
      firstFillTime,
      lastFillTime,
      fees,
      feesBps: notional > 0 ? (fees / notional) * BPS : null,
      shortfallDecisionBps: costBps(order.decisionPrice),
      shortfallDecisionMoney: costMoney(order.decisionPrice),
      shortfallArrivalBps: costBps(order.arrivalPrice),
      shortfallArrivalMoney: costMoney(order.arrivalPrice),
      intervalVwap: vwap,
      vwapSlippageBps: costBps(vwap),
      intervalTwap: twap,
      twapSlippageBps: costBps(twap),
      effectiveSpreadBps: spread.value(),
      spreadCostMoney,
      markoutsBps: markouts.map((m) => m.value()),
    },
    fills,
  };
}
