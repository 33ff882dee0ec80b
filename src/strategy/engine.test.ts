// The strategy runner's own view of its orders: open orders tracked apart from closed ones, and (with
// retention) closed orders and seen trade ids leaving memory past their horizons.
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../bus/memory.ts';
import { SimulatedClock } from '../common/clock.ts';
import type { RetentionSettings } from '../common/retention.ts';
import { Streams } from '../common/topics.ts';
import type {
  ClientOrderId,
  InstrumentId,
  OrderFilled,
  StrategyId,
  TradeId,
  VenueId,
  VenueOrderId,
} from '../model/index.ts';
import { testRegistry } from '../ledger/test-fixtures.ts';
import { StrategyEngine } from './engine.ts';
import { Strategy, type StrategyContext } from './strategy.ts';

const T0 = 1_704_153_600_000_000;
const AAPL = 'AAPL.SIM-A' as InstrumentId;

/** A strategy the test drives by hand through its context. */
class Manual extends Strategy {
  get handle(): StrategyContext {
    return this.ctx;
  }
}

function setUp(retention?: RetentionSettings) {
  const registry = testRegistry(); // AAPL.SIM-A among others
  const clock = new SimulatedClock(T0);
  const bus = new MemoryBus();
  const engine = new StrategyEngine({ bus, clock, registry, ...(retention ? { retention } : {}) });
  const strategy = new Manual({});
  engine.add('manual', strategy);
  engine.start();
  const ctx = strategy.handle;
  let trade = 0;
  const fill = (id: ClientOrderId, quantity: number, tradeId = `t-${++trade}`): void =>
    bus.publish(Streams.fills, {
      type: 'order_filled',
      clientOrderId: id,
      strategyId: 'manual' as StrategyId,
      instrumentId: AAPL,
      venue: 'SIM-A' as VenueId,
      venueOrderId: `v-${id}` as VenueOrderId,
      tradeId: tradeId as TradeId,
      side: 'buy',
      lastQuantity: quantity,
      lastPrice: 100,
      fee: 0,
      feeCurrency: 'USD',
      liquidity: 'taker',
      leavesQuantity: 0,
      tsEvent: clock.now(),
      tsInit: clock.now(),
    } satisfies OrderFilled);
  const buy = (): ClientOrderId => ctx.submit({ instrumentId: AAPL, side: 'buy', quantity: 10, price: 99 });
  const later = (micros: number): void => clock.advanceTo(clock.now() + micros);
  return { engine, ctx, fill, buy, later };
}

const RETENTION: RetentionSettings = {
  closedOrdersMicros: 60_000_000,
  maxClosedOrders: 1_000,
  idsMicros: 3_600_000_000,
};

describe('StrategyEngine: its view of its orders', () => {
  it('lists only open orders, and keeps every closed one without retention', () => {
    const { engine, ctx, fill, buy, later } = setUp();
    const filled = buy();
    const resting = buy();
    fill(filled, 10);
    expect(ctx.openOrders().map((o) => o.clientOrderId)).toEqual([resting]);
    expect(engine.status()[0]).toMatchObject({ openOrders: 1, fills: 1 });
    later(10 * 3_600_000_000);
    buy();
    expect(ctx.order(filled)?.status).toBe('FILLED');
  });

  it('with retention, a closed order leaves its view past the horizon; open ones stay; trade ids are forgotten later', () => {
    const { engine, ctx, fill, buy, later } = setUp(RETENTION);
    const filled = buy();
    const resting = buy();
    fill(filled, 10, 'trade-1');
    later(30_000_000);
    buy();
    expect(ctx.order(filled)?.status).toBe('FILLED');
    later(31_000_000);
    buy();
    expect(ctx.order(filled)).toBeUndefined();
    expect(ctx.order(resting)?.status).toBe('INITIALIZED');
    expect(ctx.openOrders()).toHaveLength(3);
    // The same fill told again within the ids' horizon: not counted twice.
    fill(filled, 10, 'trade-1');
    expect(ctx.position(AAPL)).toBe(10);
    expect(engine.retained()).toEqual({ orders: 3, tradeIds: 1 });
    // Past it, the trade id leaves memory (a venue repeats fills within its session, not a day later).
    later(3_600_000_000);
    fill(resting, 10, 'trade-2');
    expect(engine.retained()).toEqual({ orders: 3, tradeIds: 1 });
    expect(ctx.position(AAPL)).toBe(20);
  });
});
