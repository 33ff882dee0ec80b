// The README's strategy example (examples/breakout.ts, importing the package by name) runs in the kernel
// on bars: it buys exactly on the bar whose close breaks the highest high of the lookback, and fills at the
// next bar's open.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/common/clock.ts';
import { Streams } from '../../src/common/topics.ts';
import { Kernel } from '../../src/kernel/kernel.ts';
import type { Bar, InstrumentId, OrderFilled, SubmitOrder, TradingCommand } from '../../src/model/index.ts';
import { ROOT } from '../helpers.ts';

const DAY = 86_400_000_000;
const T0 = 1_704_153_600_000_000;

describe('a user strategy file written as the README shows', () => {
  it('trades a breakout on bars through the whole pipeline', async () => {
    const clock = new SimulatedClock(T0);
    const kernel = await Kernel.create({
      mode: 'backtest',
      configDir: join(ROOT, 'configs'),
      clock,
      candleTimeframes: ['1d'],
      strategiesBaseDir: join(ROOT, 'examples'),
      strategies: {
        strategies: [
          {
            id: 'breakout',
            strategy: './breakout.ts',
            enabled: true,
            instruments: ['AAPL.SIM-A'],
            params: { lookback: 3, size: 10 },
          },
        ],
      },
    });
    const commands: TradingCommand[] = [];
    const fills: OrderFilled[] = [];
    kernel.bus.subscribe(Streams.ordersIncoming, 'test', (c) => void commands.push(c));
    kernel.bus.subscribe(Streams.fills, 'test', (f) => void fills.push(f));
    await kernel.start();
    // highs 101,102,103 then a close of 104 breaks out on bar 4 (index 3); bar 5 opens at 104.5.
    const closes = [100, 101, 102, 104, 104.6, 104.2];
    for (const [i, close] of closes.entries()) {
      const bar: Bar = {
        type: 'bar',
        instrumentId: 'AAPL.SIM-A' as InstrumentId,
        timeframe: '1d',
        open: i === 4 ? 104.5 : close - 0.5,
        high: i < 3 ? 101 + i : close + 0.5,
        low: close - 1,
        close,
        volume: 1_000_000,
        tsEvent: T0 + (i + 1) * DAY,
        tsInit: T0 + (i + 1) * DAY,
      };
      clock.advanceTo(bar.tsEvent);
      kernel.publishMarketData(bar);
    }
    await kernel.bus.flush();
    const submits = commands.filter((c): c is SubmitOrder => c.type === 'submit_order');
    expect(submits).toHaveLength(1);
    expect(submits[0]!.order.tsInit).toBe(T0 + 4 * DAY); // decided on bar 4's close
    expect(fills).toHaveLength(1);
    expect(fills[0]!.lastPrice).toBe(104.5); // filled at bar 5's open: no look-ahead
    expect(kernel.ledger.ledger.quantity('AAPL.SIM-A' as InstrumentId)).toBe(10);
    await kernel.stop();
  });
});
