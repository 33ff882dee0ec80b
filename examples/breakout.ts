// An example strategy written the way the README teaches: a breakout above the highest high of N bars.
import { Strategy } from 'hedgefund-platform';
import type { Bar, OrderFilled } from 'hedgefund-platform';

export default class Breakout extends Strategy<{ lookback: number; size: number }> {
  private highs: number[] = [];

  override onBar(bar: Bar): void {
    const { lookback, size } = this.params;
    const high = Math.max(...this.highs);
    if (this.highs.length === lookback && bar.close > high && this.position(bar.instrumentId) === 0)
      this.buy(bar.instrumentId, size); // market order; this.buy(id, qty, price) for a limit
    this.highs.push(bar.high);
    if (this.highs.length > lookback) this.highs.shift();
  }

  override onFill(fill: OrderFilled): void {
    this.ctx.log.info('filled', { qty: fill.lastQuantity, price: fill.lastPrice });
  }
}
