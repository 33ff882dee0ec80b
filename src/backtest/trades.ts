// Round-trip trades from fills, and a bounded equity series for charts.
//
// A trade opens when an instrument's position leaves zero and closes when it returns to zero (a fill that flips
// the position closes one trade and opens the next with the remainder; its fee is split by quantity). Gross PnL
// is the sum of the trade's signed cash flows; net PnL subtracts its fees.

import type { Registry } from '../common/registry.ts';
import type { InstrumentId, OrderFilled } from '../model/index.ts';

export interface ClosedTrade {
  readonly instrumentId: string;
  readonly direction: 'long' | 'short';
  /** Largest absolute position during the trade. */
  readonly quantity: number;
  readonly entryTime: number;
  readonly exitTime: number;
  /** Quantity-weighted average price of the fills that built the position, and of those that reduced it. */
  readonly entryPrice: number;
  readonly exitPrice: number;
  readonly grossPnl: number;
  readonly commission: number;
  readonly netPnl: number;
  /** Net PnL over the entry notional. */
  readonly returnFraction: number;
}

interface OpenTrade {
  direction: 1 | -1;
  position: number;
  maxQuantity: number;
  entryTime: number;
  entryQuantity: number;
  entryNotional: number;
  exitQuantity: number;
  exitNotional: number;
  cashFlow: number;
  fees: number;
}

const EPSILON = 1e-9;

export class TradeBook {
  private readonly open = new Map<InstrumentId, OpenTrade>();
  private readonly done: ClosedTrade[] = [];

  constructor(private readonly registry?: Registry) {}

  onFill(
    fill: OrderFilled,
    multiplier = this.registry?.instruments.get(fill.instrumentId)?.multiplier ?? 1,
  ): void {
    const sign = fill.side === 'buy' ? 1 : -1;
    let remaining = fill.lastQuantity;
    const feePerUnit = fill.lastQuantity > 0 ? fill.fee / fill.lastQuantity : 0;
    while (remaining > EPSILON) {
      let trade = this.open.get(fill.instrumentId);
      if (!trade) {
        trade = {
          direction: sign,
          position: 0,
          maxQuantity: 0,
          entryTime: fill.tsEvent,
          entryQuantity: 0,
          entryNotional: 0,
          exitQuantity: 0,
          exitNotional: 0,
          cashFlow: 0,
          fees: 0,
        };
        this.open.set(fill.instrumentId, trade);
      }
      const adding = sign === trade.direction;
      const quantity = adding ? remaining : Math.min(remaining, Math.abs(trade.position));
      const notional = quantity * fill.lastPrice * multiplier;
      trade.position += sign * quantity;
      trade.cashFlow -= sign * notional;
      trade.fees += feePerUnit * quantity;
      if (adding) {
        trade.entryQuantity += quantity;
        trade.entryNotional += notional;
        trade.maxQuantity = Math.max(trade.maxQuantity, Math.abs(trade.position));
      } else {
        trade.exitQuantity += quantity;
        trade.exitNotional += notional;
      }
      remaining -= quantity;
      if (Math.abs(trade.position) <= EPSILON) {
        this.open.delete(fill.instrumentId);
        const net = trade.cashFlow - trade.fees;
        this.done.push({
          instrumentId: fill.instrumentId,
          direction: trade.direction === 1 ? 'long' : 'short',
          quantity: trade.maxQuantity,
          entryTime: trade.entryTime,
          exitTime: fill.tsEvent,
          entryPrice: trade.entryNotional / trade.entryQuantity / multiplier,
          exitPrice: trade.exitQuantity > 0 ? trade.exitNotional / trade.exitQuantity / multiplier : 0,
          grossPnl: trade.cashFlow,
          commission: trade.fees,
          netPnl: net,
          returnFraction: trade.entryNotional > 0 ? net / trade.entryNotional : 0,
        });
      }
    }
  }

  closed(): readonly ClosedTrade[] {
    return this.done;
  }
}

/**
 * A time series that keeps at most `capacity` points whatever its length: when full, every other point is
 * dropped and only every 2^k-th later point is kept. The last point pushed is always kept.
 */
export class DecimatingSeries {
  private times: Float64Array;
  private values: Float64Array;
  private size = 0;
  private stride = 1;
  private counter = 0;
  private lastTime = Number.NaN;
  private lastValue = Number.NaN;

  constructor(private readonly capacity: number) {
    this.times = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  push(time: number, value: number): void {
    this.lastTime = time;
    this.lastValue = value;
    if (this.counter++ % this.stride !== 0) return;
    if (this.size === this.capacity) {
      for (let i = 0; i < this.capacity / 2; i++) {
        this.times[i] = this.times[2 * i]!;
        this.values[i] = this.values[2 * i]!;
      }
      this.size = this.capacity / 2;
      this.stride *= 2;
      this.counter = 1;
    }
    this.times[this.size] = time;
    this.values[this.size] = value;
    this.size++;
  }

  points(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.size; i++) out.push([this.times[i]!, this.values[i]!]);
    if (!Number.isNaN(this.lastTime) && (out.length === 0 || out[out.length - 1]![0] !== this.lastTime))
      out.push([this.lastTime, this.lastValue]);
    return out;
  }
}
