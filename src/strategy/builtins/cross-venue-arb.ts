// cross-venue-arb: buy where a symbol is cheap, sell where it is rich, when the crossing pays fees + threshold.

import { z } from 'zod';
import {
  instrumentId,
  isMultipleOf,
  isTerminal,
  quantize,
  type BookSnapshot,
  type ClientOrderId,
  type Instrument,
  type InstrumentId,
  type OrderEvent,
  type OrderFilled,
  type OrderSide,
  type Tick,
} from '../../model/index.ts';
import { Strategy, type StrategyParameters } from '../strategy.ts';
import { parameterError, parseParameters, QuantitySchema } from './parameters.ts';

const NAME = 'cross-venue-arb';
const SymbolSchema = z
  .string()
  .min(1)
  .regex(/^[^\s]+$/, 'a symbol such as AAPL');
const VenueSchema = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9_-]+$/, 'a venue such as SIM-A');

export const CrossVenueArbitrageParametersSchema = z
  .object({
    /** The symbol to arbitrage; or `symbols`; with neither, every symbol listed on both venues. */
    symbol: SymbolSchema.optional(),
    symbols: z.array(SymbolSchema).min(1).optional(),
    /** The two venues; by default the first two venues of the registry that share a symbol. */
    venues: z
      .tuple([VenueSchema, VenueSchema])
      .refine(([a, b]) => a !== b, 'two different venues')
      .optional(),
    /** Quantity per leg, before capping by displayed size and inventory. */
    size: QuantitySchema.default(100),
    /** Edge required beyond fees, basis points of the buy price. */
    thresholdBps: z.number().min(0).default(0.5),
    /** Taker fee per leg, basis points (the strategy cannot see the registry's fee schedules). */
    feeBps: z.number().min(0).default(0.5),
    /** Per-venue taker fees overriding `feeBps`, e.g. { SIM-A: 0.5, SIM-B: 0.3 }. */
    venueFeeBps: z.record(VenueSchema, z.number().min(0)).default({}),
    /** Largest position, long or short, this strategy holds in the symbol on any one venue. */
    maxInventory: QuantitySchema.default(1000),
    /** The two venues' quotes must be at most this far apart in time, µs. */
    maxQuoteSkewMicros: z.number().int().min(0).default(1_000_000),
    /** Legs still open after this long are canceled, µs. */
    orderTimeoutMicros: z.number().int().positive().default(5_000_000),
    /** After an order is denied by risk or rejected by the venue, no new order of that kind for this long, µs. */
    retryAfterDenialMicros: z.number().int().min(0).default(1_000_000),
  })
  .strict();
export type CrossVenueArbitrageParameters = z.infer<typeof CrossVenueArbitrageParametersSchema>;

interface Pair {
  readonly symbol: string;
  /** [venue 0, venue 1] */
  readonly legs: readonly [Instrument, Instrument];
  readonly fees: readonly [number, number];
  /** Orders of the current attempt (legs or flattening), until every one is closed. */
  inFlight: ClientOrderId[];
  inFlightSince: number;
  cancelSent: boolean;
  /** What is in flight: legs of an attempt, or a flattening order. */
  flattening: boolean;
  /** No new attempt / flattening before these times (after a denial or rejection). */
  attemptAfter: number;
  flattenAfter: number;
}

/**
 * Tracks best bid/ask (from quotes or books) of one symbol on two venues. When venue X's bid exceeds venue Y's
 * ask by more than both taker fees plus `thresholdBps` (in basis points of the ask), it buys on Y and sells on
 * X with IOC limit orders at those quoted prices, for min(size, displayed sizes, inventory room), in lots.
 * It never stacks attempts: the next one waits until both legs are closed and both venues have quoted again.
 * Legging: once nothing is in flight, any net position across the two venues (one leg filled more than the
 * other) is flattened at market on the venue holding the excess before any new attempt. An order denied by
 * risk or rejected by the venue pauses that kind of order (attempt or flattening) for `retryAfterDenialMicros`.
 */
export class CrossVenueArbitrageStrategy extends Strategy<CrossVenueArbitrageParameters> {
  /** Attempts sent (pairs of legs). */
  attempts = 0;
  /** Flattening orders sent to unwind legging. */
  flattenings = 0;

  private pairs: Pair[] = [];
  /** Instrument → 2·pair + venue index. */
  private readonly sideOf = new Map<InstrumentId, number>();
  private bid = new Float64Array(0);
  private ask = new Float64Array(0);
  private bidSize = new Float64Array(0);
  private askSize = new Float64Array(0);
  private quoteTime = new Float64Array(0);
  /** Quoted since the last attempt on this pair. */
  private fresh = new Uint8Array(0);

  constructor(params: StrategyParameters, instruments: readonly InstrumentId[] = []) {
    const parsed = parseParameters(NAME, CrossVenueArbitrageParametersSchema, params);
    const symbols = parsed.symbol !== undefined ? [parsed.symbol] : parsed.symbols;
    const venues = parsed.venues;
    const filter =
      symbols && venues
        ? symbols.flatMap((s) => [instrumentId(s, venues[0]), instrumentId(s, venues[1])])
        : instruments;
    super(parsed, filter);
  }

  override onStart(): void {
    const all = this.ctx.instruments();
    const venues = this.params.venues ?? defaultVenues(all);
    if (!venues) throw parameterError(NAME, 'venues', 'no two venues list a common symbol');
    const symbols =
      this.params.symbol !== undefined
        ? [this.params.symbol]
        : (this.params.symbols ??
          [...new Set(all.map((i) => i.symbol))].filter((s) =>
            venues.every((v) => all.some((i) => i.symbol === s && i.venue === v)),
          ));
    if (symbols.length === 0)
      throw parameterError(NAME, 'symbols', `no symbol is listed on both ${venues[0]} and ${venues[1]}`);
    const key = this.params.symbol !== undefined ? 'symbol' : 'symbols';
    this.pairs = symbols.map((symbol): Pair => {
      const legs = venues.map((venue) => {
        const instrument = this.ctx.instrument(instrumentId(symbol, venue));
        if (!instrument) throw parameterError(NAME, key, `${symbol} is not listed on ${venue}`);
        if (!isMultipleOf(this.params.size, instrument.lotSize))
          throw parameterError(
            NAME,
            'size',
            `${this.params.size} is not a multiple of the lot size of ${instrument.id}`,
          );
        return instrument;
      }) as unknown as readonly [Instrument, Instrument];
      const fee = (venue: string): number => this.params.venueFeeBps[venue] ?? this.params.feeBps;
      return {
        symbol,
        legs,
        fees: [fee(venues[0]), fee(venues[1])],
        inFlight: [],
        inFlightSince: 0,
        cancelSent: false,
        flattening: false,
        attemptAfter: 0,
        flattenAfter: 0,
      };
    });
    const sides = this.pairs.length * 2;
    this.sideOf.clear();
    this.pairs.forEach((pair, p) => {
      this.sideOf.set(pair.legs[0].id, 2 * p);
      this.sideOf.set(pair.legs[1].id, 2 * p + 1);
    });
    this.bid = new Float64Array(sides);
    this.ask = new Float64Array(sides);
    this.bidSize = new Float64Array(sides);
    this.askSize = new Float64Array(sides);
    this.quoteTime = new Float64Array(sides);
    this.fresh = new Uint8Array(sides);
  }

  override onTick(tick: Tick): void {
    if (tick.type !== 'quote') return;
    this.onQuote(tick.instrumentId, tick.bid, tick.ask, tick.bidSize, tick.askSize, tick.tsEvent);
  }

  override onBook(book: BookSnapshot): void {
    const bid = book.bids[0];
    const ask = book.asks[0];
    if (bid && ask) this.onQuote(book.instrumentId, bid.price, ask.price, bid.size, ask.size, book.tsEvent);
  }

  override onFill(fill: OrderFilled): void {
    const side = this.sideOf.get(fill.instrumentId);
    if (side !== undefined) this.evaluate(side >> 1, false);
  }

  override onOrderEvent(event: OrderEvent): void {
    const side = this.sideOf.get(event.instrumentId);
    if (side !== undefined) this.evaluate(side >> 1, false);
  }

  override onStop(): void {
    for (const pair of this.pairs) for (const id of pair.inFlight) this.cancel(id);
  }

  private onQuote(
    id: InstrumentId,
    bid: number,
    ask: number,
    bidSize: number,
    askSize: number,
    time: number,
  ): void {
    const side = this.sideOf.get(id);
    if (side === undefined) return;
    // A venue's own crossed or empty quote is bad data: ignore it (and forget the side until it quotes well).
    if (!(bid > 0 && ask > bid && bidSize > 0 && askSize > 0) || ask === Number.POSITIVE_INFINITY) {
      this.fresh[side] = 0;
      this.bid[side] = 0;
      return;
    }
    this.bid[side] = bid;
    this.ask[side] = ask;
    this.bidSize[side] = bidSize;
    this.askSize[side] = askSize;
    this.quoteTime[side] = time;
    this.fresh[side] = 1;
    this.evaluate(side >> 1, true);
  }

  /** `allowNew`: a fresh quote may start an attempt; order events only settle and unwind. */
  private evaluate(p: number, allowNew: boolean): void {
    const pair = this.pairs[p] as Pair;
    if (!this.settled(pair)) return;
    const [first, second] = pair.legs;
    const position0 = this.position(first.id);
    const position1 = this.position(second.id);
    const net = quantize(position0 + position1, first.quantityDecimals);
    if (net !== 0) {
      if (this.now() >= pair.flattenAfter) this.flatten(pair, net, position0, position1);
      return;
    }
    if (!allowNew || this.now() < pair.attemptAfter) return;
    const s0 = 2 * p;
    const s1 = s0 + 1;
    if (this.fresh[s0] !== 1 || this.fresh[s1] !== 1) return;
    if (Math.abs((this.quoteTime[s0] ?? 0) - (this.quoteTime[s1] ?? 0)) > this.params.maxQuoteSkewMicros)
      return;
    const hurdle = pair.fees[0] + pair.fees[1] + this.params.thresholdBps;
    // Buy on venue 0, sell on venue 1; else the other way round.
    if (edgeBps(this.bid[s1] ?? 0, this.ask[s0] ?? 0) > hurdle)
      this.attempt(pair, s0, s1, position0, position1);
    else if (edgeBps(this.bid[s0] ?? 0, this.ask[s1] ?? 0) > hurdle)
      this.attempt(pair, s1, s0, position1, position0);
  }

  /** True when no order of the pair may still fill; cancels legs that outlived the timeout. */
  private settled(pair: Pair): boolean {
    if (pair.inFlight.length === 0) return true;
    let open = false;
    let refused = false;
    for (const id of pair.inFlight) {
      const order = this.ctx.order(id);
      if (order && !isTerminal(order.status)) open = true;
      else if (order && (order.status === 'DENIED' || order.status === 'REJECTED')) refused = true;
    }
    if (!open) {
      if (refused) {
        const after = this.now() + this.params.retryAfterDenialMicros;
        if (pair.flattening) pair.flattenAfter = after;
        else pair.attemptAfter = after;
      }
      pair.inFlight.length = 0;
      pair.cancelSent = false;
      return true;
    }
    if (!pair.cancelSent && this.now() - pair.inFlightSince > this.params.orderTimeoutMicros) {
      pair.cancelSent = true;
      for (const id of pair.inFlight) this.cancel(id);
    }
    return false;
  }

  private attempt(
    pair: Pair,
    buySide: number,
    sellSide: number,
    buyPosition: number,
    sellPosition: number,
  ): void {
    const buy = pair.legs[buySide & 1] as Instrument;
    const sell = pair.legs[sellSide & 1] as Instrument;
    const max = this.params.maxInventory;
    const room = Math.min(
      this.params.size,
      this.askSize[buySide] ?? 0,
      this.bidSize[sellSide] ?? 0,
      max - buyPosition,
      max + sellPosition,
    );
    const lot = buy.lotSize;
    const quantity = quantize(Math.floor(room / lot + 1e-9) * lot, buy.quantityDecimals);
    if (!(quantity >= lot)) return;
    this.attempts++;
    pair.inFlight.push(
      this.submit({
        instrumentId: buy.id,
        side: 'buy',
        quantity,
        type: 'limit',
        price: this.ask[buySide] ?? 0,
        timeInForce: 'IOC',
      }),
      this.submit({
        instrumentId: sell.id,
        side: 'sell',
        quantity,
        type: 'limit',
        price: this.bid[sellSide] ?? 0,
        timeInForce: 'IOC',
      }),
    );
    this.begin(pair, buySide, sellSide, false);
  }

  /** Net position across the two venues: undo the excess at market on the venue that holds it. */
  private flatten(pair: Pair, net: number, position0: number, position1: number): void {
    const side: OrderSide = net > 0 ? 'sell' : 'buy';
    // Selling: the venue with the larger position; buying: the one with the smaller.
    const venue = net > 0 ? (position0 >= position1 ? 0 : 1) : position0 <= position1 ? 0 : 1;
    const instrument = pair.legs[venue];
    const position = venue === 0 ? position0 : position1;
    const quantity = Math.abs(net);
    const reduceOnly = side === 'sell' ? position >= quantity : -position >= quantity;
    this.flattenings++;
    pair.inFlight.push(
      this.submit({
        instrumentId: instrument.id,
        side,
        quantity,
        type: 'market',
        timeInForce: 'IOC',
        reduceOnly,
      }),
    );
    const p = this.pairs.indexOf(pair);
    this.begin(pair, 2 * p, 2 * p + 1, true);
  }

  private begin(pair: Pair, sideA: number, sideB: number, flattening: boolean): void {
    pair.flattening = flattening;
    pair.inFlightSince = this.now();
    pair.cancelSent = false;
    this.fresh[sideA] = 0;
    this.fresh[sideB] = 0;
  }
}

/** How far `bid` is above `ask`, in basis points of `ask`. */
function edgeBps(bid: number, ask: number): number {
  return ask > 0 && bid > 0 ? ((bid - ask) / ask) * 10_000 : Number.NEGATIVE_INFINITY;
}

/** The first two venues (in registry order) that list a common symbol. */
function defaultVenues(instruments: readonly Instrument[]): readonly [string, string] | undefined {
  const venuesOf = new Map<string, string[]>();
  for (const instrument of instruments) {
    const list = venuesOf.get(instrument.symbol) ?? [];
    list.push(instrument.venue);
    venuesOf.set(instrument.symbol, list);
  }
  for (const list of venuesOf.values()) if (list.length >= 2) return [list[0] as string, list[1] as string];
  return undefined;
}
