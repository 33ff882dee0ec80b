// market-maker: Avellaneda–Stoikov quotes around an inventory-adjusted reservation price, rolling σ, caps.

import { z } from 'zod';
import {
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
import { InstrumentIdSchema, parameterError, parseParameters, QuantitySchema } from './parameters.ts';

const NAME = 'market-maker';
const MICROS_PER_SECOND = 1_000_000;
const BID = 0;
const ASK = 1;

/**
 * Units. s (mid) and quotes: price. σ: price per √second (absolute, not a return), estimated as
 * √(Σ Δmid² / Σ Δt) over the last `sigmaWindow` mid samples (at least `sigmaSampleMicros` apart), Δt in seconds. T − t: seconds. q: position in
 * units of `size` (quote lots). γ: per price unit; κ (order-book liquidity, arrival intensity A·e^(−κδ)): per
 * price unit. Then r = s − q·γ·σ²·(T − t) and δ = γ·σ²·(T − t) + (2/γ)·ln(1 + γ/κ) are prices.
 */
export const MarketMakerParametersSchema = z
  .object({
    /** The instrument to quote; defaults to the runner's single instrument. */
    instrument: InstrumentIdSchema.optional(),
    /** Risk aversion γ, per price unit. */
    gamma: z.number().positive().finite().default(1),
    /** Order-book liquidity κ, per price unit (larger: fills fall off faster away from the mid, tighter quotes). */
    kappa: z.number().positive().finite().default(100),
    /** Mid changes in the rolling σ estimate. */
    sigmaWindow: z.number().int().min(2).max(100_000).default(100),
    /**
     * Minimum time between two σ samples, µs: the mid is sampled at most this often, so quote flicker
     * (bid-ask bounce between ticks) many times a second does not inflate σ. 0: every mid change.
     */
    sigmaSampleMicros: z.number().int().min(0).default(1_000_000),
    /** Samples needed before quoting on the estimate. */
    minSigmaSamples: z.number().int().min(1).default(10),
    /** A fixed σ (price per √second) instead of the estimate. */
    sigma: z.number().positive().finite().optional(),
    /** The horizon T in seconds: T − t runs from `horizonSeconds` down to 0, then restarts (a rolling session). */
    horizonSeconds: z.number().positive().finite().default(60),
    /** Quantity of each quote (and the unit of q). */
    size: QuantitySchema.default(100),
    /** No bid that could take the position above this, no ask that could take it below its negative. */
    maxInventory: z.number().min(0).finite().default(1000),
    /** Requote a side only when its target moves by more than this many ticks. */
    requoteTicks: z.number().int().min(0).default(1),
    /** `modify` the working order, or `cancel-replace` (the new order goes out once the cancel is confirmed). */
    requoteMode: z.enum(['modify', 'cancel-replace']).default('modify'),
    /** After a quote is denied by risk or rejected by the venue, that side waits this long before quoting again, µs. */
    retryAfterDenialMicros: z.number().int().min(0).default(1_000_000),
  })
  .strict()
  .refine((p) => p.minSigmaSamples <= p.sigmaWindow, {
    path: ['minSigmaSamples'],
    message: 'must be at most sigmaWindow',
  });
export type MarketMakerParameters = z.infer<typeof MarketMakerParametersSchema>;

/** The last quote decision, for monitoring and tests. */
export interface MarketMakerQuote {
  readonly mid: number;
  readonly sigma: number;
  readonly timeRemaining: number;
  readonly inventory: number;
  readonly reservationPrice: number;
  readonly spread: number;
  /** Target prices (undefined: that side is not quoted, e.g. at max inventory). */
  readonly bid: number | undefined;
  readonly ask: number | undefined;
}

/**
 * Quotes `size` on both sides at r ∓ δ/2, the bid rounded down and the ask up to the tick, never crossing the
 * market (the bid stays below the best ask and the ask above the best bid: it makes, it does not take).
 * One working order per side; requotes on market data, fills and order events. A side whose quote was denied
 * or rejected waits `retryAfterDenialMicros` before quoting again.
 */
export class MarketMakerStrategy extends Strategy<MarketMakerParameters> {
  private readonly target: InstrumentId;
  private instrument!: Instrument;
  private startTime = 0;
  // The last decision, kept as numbers (no object per update); `lastQuote` builds the view on demand.
  private decided = false;
  private readonly decision = new Float64Array(8);

  private mid = Number.NaN;
  private bestBid = Number.NaN;
  private bestAsk = Number.NaN;
  // σ estimate: ring of squared mid changes and their time steps, with running sums.
  private readonly squares: Float64Array;
  private readonly steps: Float64Array;
  private sumSquares = 0;
  private sumSteps = 0;
  private samples = 0;
  private head = 0;
  private sinceRecompute = 0;
  private referenceMid = Number.NaN;
  private referenceTime = Number.NaN;

  private readonly orderIds: (ClientOrderId | undefined)[] = [undefined, undefined];
  private readonly workingPrice = new Float64Array(2);
  private readonly cancelSent = new Uint8Array(2);
  private readonly quoteAfter = new Float64Array(2);

  constructor(params: StrategyParameters, instruments: readonly InstrumentId[] = []) {
    const parsed = parseParameters(NAME, MarketMakerParametersSchema, params);
    const target = parsed.instrument ?? (instruments.length === 1 ? instruments[0] : undefined);
    if (target === undefined)
      throw parameterError(NAME, 'instrument', 'required (or exactly one instrument in the strategy entry)');
    super(parsed, [target]);
    this.target = target;
    this.squares = new Float64Array(parsed.sigmaWindow);
    this.steps = new Float64Array(parsed.sigmaWindow);
  }

  override onStart(): void {
    const instrument = this.ctx.instrument(this.target);
    if (!instrument) throw parameterError(NAME, 'instrument', `unknown instrument ${this.target}`);
    this.instrument = instrument;
    this.startTime = this.now();
  }

  override onTick(tick: Tick): void {
    if (tick.type === 'quote') this.onMarket(tick.bid, tick.ask, tick.tsEvent);
  }

  override onBook(book: BookSnapshot): void {
    const bid = book.bids[0];
    const ask = book.asks[0];
    if (bid && ask) this.onMarket(bid.price, ask.price, book.tsEvent);
  }

  override onFill(_fill: OrderFilled): void {
    this.requote();
  }

  override onOrderEvent(event: OrderEvent): void {
    if (event.type === 'order_modify_rejected') {
      const side =
        event.clientOrderId === this.orderIds[BID]
          ? BID
          : event.clientOrderId === this.orderIds[ASK]
            ? ASK
            : -1;
      const price = side >= 0 ? this.ctx.order(event.clientOrderId)?.price : undefined;
      if (price !== undefined) this.workingPrice[side] = price;
    }
    this.requote();
  }

  override onStop(): void {
    this.ctx.cancelAll(this.target);
  }

  /** The last quote decision (for monitoring and tests), or undefined before the first. */
  get lastQuote(): MarketMakerQuote | undefined {
    if (!this.decided) return undefined;
    const d = this.decision;
    const bid = d[6] ?? Number.NaN;
    const ask = d[7] ?? Number.NaN;
    return {
      mid: d[0] ?? Number.NaN,
      sigma: d[1] ?? Number.NaN,
      timeRemaining: d[2] ?? Number.NaN,
      inventory: d[3] ?? Number.NaN,
      reservationPrice: d[4] ?? Number.NaN,
      spread: d[5] ?? Number.NaN,
      bid: Number.isNaN(bid) ? undefined : bid,
      ask: Number.isNaN(ask) ? undefined : ask,
    };
  }

  /** Current σ (price per √second): the fixed parameter, or the estimate once it has enough samples. */
  sigma(): number | undefined {
    if (this.params.sigma !== undefined) return this.params.sigma;
    if (this.samples < this.params.minSigmaSamples || !(this.sumSteps > 0)) return undefined;
    return Math.sqrt(this.sumSquares / this.sumSteps);
  }

  private onMarket(bid: number, ask: number, time: number): void {
    if (!(bid > 0 && ask > bid) || ask === Number.POSITIVE_INFINITY) return;
    const mid = (bid + ask) / 2;
    this.bestBid = bid;
    this.bestAsk = ask;
    this.mid = mid;
    if (Number.isNaN(this.referenceTime)) {
      this.referenceMid = mid;
      this.referenceTime = time;
    } else if (time > this.referenceTime && time - this.referenceTime >= this.params.sigmaSampleMicros) {
      // Changes within one sampling interval accumulate into the next sample (Δt must be positive).
      const change = mid - this.referenceMid;
      this.addSample(change * change, (time - this.referenceTime) / MICROS_PER_SECOND);
      this.referenceMid = mid;
      this.referenceTime = time;
    }
    this.requote();
  }

  private addSample(square: number, step: number): void {
    const window = this.params.sigmaWindow;
    const h = this.head;
    if (this.samples === window) {
      this.sumSquares -= this.squares[h] ?? 0;
      this.sumSteps -= this.steps[h] ?? 0;
    } else this.samples++;
    this.squares[h] = square;
    this.steps[h] = step;
    this.sumSquares += square;
    this.sumSteps += step;
    this.head = h + 1 === window ? 0 : h + 1;
    // Re-add from scratch once per window so subtraction error never accumulates.
    if (++this.sinceRecompute >= window) {
      this.sinceRecompute = 0;
      let squares = 0;
      let steps = 0;
      for (let i = 0; i < this.samples; i++) {
        squares += this.squares[i] ?? 0;
        steps += this.steps[i] ?? 0;
      }
      this.sumSquares = squares;
      this.sumSteps = steps;
    }
  }

  private requote(): void {
    const sigma = this.sigma();
    if (sigma === undefined || Number.isNaN(this.mid)) return;
    const p = this.params;
    const tick = this.instrument.tickSize;
    const decimals = this.instrument.priceDecimals;
    const horizon = p.horizonSeconds;
    const elapsed = (this.now() - this.startTime) / MICROS_PER_SECOND;
    const timeRemaining = horizon - (elapsed > 0 ? elapsed % horizon : 0);
    const position = this.position(this.target);
    const inventory = position / p.size;
    const risk = p.gamma * sigma * sigma * timeRemaining;
    const reservationPrice = this.mid - inventory * risk;
    const spread = risk + (2 / p.gamma) * Math.log(1 + p.gamma / p.kappa);
    let bid = Math.floor((reservationPrice - spread / 2) / tick + 1e-9) * tick;
    let ask = Math.ceil((reservationPrice + spread / 2) / tick - 1e-9) * tick;
    if (bid >= this.bestAsk) bid = this.bestAsk - tick;
    if (ask <= this.bestBid) ask = this.bestBid + tick;
    bid = quantize(bid, decimals);
    ask = quantize(ask, decimals);
    const epsilon = this.instrument.lotSize * 1e-6;
    const canBid = bid > 0 && position + p.size <= p.maxInventory + epsilon;
    const canAsk = position - p.size >= -p.maxInventory - epsilon;
    const d = this.decision;
    d[0] = this.mid;
    d[1] = sigma;
    d[2] = timeRemaining;
    d[3] = inventory;
    d[4] = reservationPrice;
    d[5] = spread;
    d[6] = canBid ? bid : Number.NaN;
    d[7] = canAsk ? ask : Number.NaN;
    this.decided = true;
    this.manage(BID, 'buy', bid, canBid);
    this.manage(ASK, 'sell', ask, canAsk);
  }

  private manage(s: number, side: OrderSide, price: number, allowed: boolean): void {
    let id = this.orderIds[s];
    let order = id === undefined ? undefined : this.ctx.order(id);
    if (id !== undefined && (!order || isTerminal(order.status))) {
      if (order && (order.status === 'DENIED' || order.status === 'REJECTED'))
        this.quoteAfter[s] = this.now() + this.params.retryAfterDenialMicros;
      this.orderIds[s] = id = undefined;
      order = undefined;
      this.cancelSent[s] = 0;
    }
    if (!allowed) {
      if (id !== undefined && this.cancelSent[s] === 0) {
        this.cancelSent[s] = 1;
        this.cancel(id);
      }
      return;
    }
    if (id === undefined || !order) {
      if (this.now() < (this.quoteAfter[s] ?? 0)) return;
      this.orderIds[s] = this.submit({
        instrumentId: this.target,
        side,
        quantity: this.params.size,
        type: 'limit',
        price,
        timeInForce: 'GTC',
      });
      this.workingPrice[s] = price;
      return;
    }
    if (this.cancelSent[s] === 1) return;
    // In flight (submitted, pending update or cancel): wait for the venue's answer.
    if (order.status !== 'ACCEPTED' && order.status !== 'PARTIALLY_FILLED') return;
    const tick = this.instrument.tickSize;
    if (Math.abs(price - (this.workingPrice[s] ?? 0)) <= this.params.requoteTicks * tick + tick * 1e-6)
      return;
    if (this.params.requoteMode === 'modify') {
      this.workingPrice[s] = price;
      this.modify(id, { price });
    } else {
      this.cancelSent[s] = 1;
      this.cancel(id);
    }
  }
}
