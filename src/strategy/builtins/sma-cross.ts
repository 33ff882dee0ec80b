// sma-cross: a long-only simple-moving-average crossover on bar closes (or quote mids), O(1) per update.

import { z } from 'zod';
import {
  isMultipleOf,
  isTerminal,
  type Bar,
  type ClientOrderId,
  type InstrumentId,
  type OrderEvent,
  type OrderFilled,
  type Tick,
} from '../../model/index.ts';
import { Strategy, type StrategyParameters } from '../strategy.ts';
import { InstrumentIdSchema, parameterError, parseParameters, QuantitySchema } from './parameters.ts';

const NAME = 'sma-cross';
/** `previousSign` before both averages exist. */
const NO_SIGN = 2;

export const MovingAverageCrossParametersSchema = z
  .object({
    /** The instrument to trade; or `instruments`; or, with neither, the runner's instruments (all if none). */
    instrument: InstrumentIdSchema.optional(),
    instruments: z.array(InstrumentIdSchema).min(1).optional(),
    /** Length of the fast average, in updates (bars or quotes). */
    fast: z.number().int().min(1).max(10_000).default(10),
    /** Length of the slow average; more than `fast`. */
    slow: z.number().int().min(2).max(10_000).default(30),
    /** Quantity bought on an upward crossing. */
    size: QuantitySchema.default(100),
    /** `bar`: closes of bars (onBar); `tick`: mids of quotes (onTick). */
    source: z.enum(['bar', 'tick']).default('bar'),
    /** Only bars of this timeframe (e.g. `1d`); any timeframe if absent. */
    timeframe: z.string().min(1).optional(),
  })
  .strict()
  .refine((p) => p.fast < p.slow, { path: ['fast'], message: 'must be less than slow' });
export type MovingAverageCrossParameters = z.infer<typeof MovingAverageCrossParametersSchema>;

/**
 * Buys `size` at market when flat and the fast average crosses above the slow one (fast > slow now, fast ≤ slow
 * on the previous update); sells the whole position at market, reduce-only, when long and fast < slow. Never
 * shorts. The exit is level-triggered so a crossing that happened while the entry was still in flight still
 * closes the position on the next update; an exit denied by risk (or rejected by the venue) is retried only
 * after the averages cross again, never on every update. One order in flight per instrument at most.
 *
 * Prices enter the ring buffers as integer half-ticks, so the running sums are exact (no drift after any
 * number of updates) and the comparison fast·slowLength vs slow·fastLength is exact too.
 */
export class MovingAverageCrossStrategy extends Strategy<MovingAverageCrossParameters> {
  private readonly fastLength: number;
  private readonly slowLength: number;
  private readonly size: number;
  private readonly useTicks: boolean;
  private readonly timeframe: string | undefined;

  private traded: InstrumentId[] = [];
  private readonly indexOf = new Map<InstrumentId, number>();
  private single: InstrumentId | undefined;
  private ring = new Float64Array(0);
  private head = new Int32Array(0);
  private count = new Int32Array(0);
  private fastSum = new Float64Array(0);
  private slowSum = new Float64Array(0);
  private previousSign = new Int8Array(0);
  private unitsPerPrice = new Float64Array(0);
  private long = new Uint8Array(0);
  /** 0 after a denied or rejected exit, until fast ≥ slow again. */
  private exitArmed = new Uint8Array(0);
  private pending: (ClientOrderId | undefined)[] = [];

  constructor(params: StrategyParameters, instruments: readonly InstrumentId[] = []) {
    const parsed = parseParameters(NAME, MovingAverageCrossParametersSchema, params);
    super(parsed, parsed.instrument ? [parsed.instrument] : (parsed.instruments ?? instruments));
    this.fastLength = parsed.fast;
    this.slowLength = parsed.slow;
    this.size = parsed.size;
    this.useTicks = parsed.source === 'tick';
    this.timeframe = parsed.timeframe;
  }

  override onStart(): void {
    const ids = this.instruments.length > 0 ? this.instruments : this.ctx.instruments().map((i) => i.id);
    const n = ids.length;
    this.traded = [...ids];
    this.indexOf.clear();
    this.ring = new Float64Array(n * this.slowLength);
    this.head = new Int32Array(n);
    this.count = new Int32Array(n);
    this.fastSum = new Float64Array(n);
    this.slowSum = new Float64Array(n);
    this.previousSign = new Int8Array(n).fill(NO_SIGN);
    this.unitsPerPrice = new Float64Array(n);
    this.long = new Uint8Array(n);
    this.exitArmed = new Uint8Array(n).fill(1);
    this.pending = new Array<ClientOrderId | undefined>(n).fill(undefined);
    ids.forEach((id, i) => {
      const instrument = this.ctx.instrument(id);
      if (!instrument) throw parameterError(NAME, 'instrument', `unknown instrument ${id}`);
      if (!isMultipleOf(this.size, instrument.lotSize))
        throw parameterError(
          NAME,
          'size',
          `${this.size} is not a multiple of the lot size ${instrument.lotSize} of ${id}`,
        );
      this.indexOf.set(id, i);
      this.unitsPerPrice[i] = 2 / instrument.tickSize;
      this.long[i] = this.position(id) > 0 ? 1 : 0;
    });
    this.single = n === 1 ? ids[0] : undefined;
  }

  override onBar(bar: Bar): void {
    if (this.useTicks) return;
    if (this.timeframe !== undefined && bar.timeframe !== this.timeframe) return;
    const i = this.single === bar.instrumentId ? 0 : this.indexOf.get(bar.instrumentId);
    if (i !== undefined) this.update(i, bar.close);
  }

  override onTick(tick: Tick): void {
    if (!this.useTicks || tick.type !== 'quote') return;
    const i = this.single === tick.instrumentId ? 0 : this.indexOf.get(tick.instrumentId);
    if (i !== undefined && tick.ask >= tick.bid) this.update(i, (tick.bid + tick.ask) / 2);
  }

  override onFill(fill: OrderFilled): void {
    this.settle(fill.instrumentId);
  }

  override onOrderEvent(event: OrderEvent): void {
    this.settle(event.instrumentId);
  }

  /** Fast and slow averages of an instrument, once both are defined (for monitoring and tests). */
  averages(instrumentId: InstrumentId): { fast: number; slow: number } | undefined {
    const i = this.indexOf.get(instrumentId);
    if (i === undefined || (this.count[i] ?? 0) < this.slowLength) return undefined;
    const units = this.unitsPerPrice[i] ?? 1;
    return {
      fast: (this.fastSum[i] ?? 0) / this.fastLength / units,
      slow: (this.slowSum[i] ?? 0) / this.slowLength / units,
    };
  }

  private update(i: number, price: number): void {
    if (!(price > 0) || price === Number.POSITIVE_INFINITY) return;
    const fast = this.fastLength;
    const slow = this.slowLength;
    const value = Math.round(price * (this.unitsPerPrice[i] ?? 0));
    const ring = this.ring;
    const base = i * slow;
    const head = this.head[i] ?? 0;
    const count = this.count[i] ?? 0;
    let fastSum = this.fastSum[i] ?? 0;
    let slowSum = this.slowSum[i] ?? 0;
    // The slot at `head` holds the oldest of `slow` values; the one `fast` slots back leaves the fast window.
    if (count >= slow) slowSum -= ring[base + head] ?? 0;
    if (count >= fast) fastSum -= ring[base + ((head - fast + slow) % slow)] ?? 0;
    ring[base + head] = value;
    fastSum += value;
    slowSum += value;
    this.fastSum[i] = fastSum;
    this.slowSum[i] = slowSum;
    this.head[i] = head + 1 === slow ? 0 : head + 1;
    if (count < slow) {
      this.count[i] = count + 1;
      if (count + 1 < slow) return;
    }
    const difference = fastSum * slow - slowSum * fast;
    const sign = difference > 0 ? 1 : difference < 0 ? -1 : 0;
    const previous = this.previousSign[i] ?? NO_SIGN;
    this.previousSign[i] = sign;
    if (sign >= 0) this.exitArmed[i] = 1;
    if (this.pending[i] !== undefined) return;
    if (sign > 0 && previous <= 0) this.enter(i);
    else if (sign < 0 && this.long[i] === 1 && this.exitArmed[i] === 1) this.exit(i);
  }

  private enter(i: number): void {
    const id = this.traded[i] as InstrumentId;
    if (this.position(id) !== 0) return;
    this.pending[i] = this.submit({ instrumentId: id, side: 'buy', quantity: this.size });
  }

  private exit(i: number): void {
    const id = this.traded[i] as InstrumentId;
    const position = this.position(id);
    if (position <= 0) {
      this.long[i] = 0;
      return;
    }
    this.pending[i] = this.submit({ instrumentId: id, side: 'sell', quantity: position, reduceOnly: true });
  }

  /** After an order event or fill: forget the pending order once it is closed, and refresh the position. */
  private settle(instrumentId: InstrumentId): void {
    const i = this.indexOf.get(instrumentId);
    if (i === undefined) return;
    const pending = this.pending[i];
    if (pending !== undefined) {
      const order = this.ctx.order(pending);
      if (!order || isTerminal(order.status)) this.pending[i] = undefined;
      if (order && order.side === 'sell' && (order.status === 'DENIED' || order.status === 'REJECTED'))
        this.exitArmed[i] = 0;
    }
    this.long[i] = this.position(instrumentId) > 0 ? 1 : 0;
  }
}
