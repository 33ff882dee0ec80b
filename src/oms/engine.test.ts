// The router / OMS on the real in-process bus with real paper venues: order lifecycle, idempotency of
// commands and venue events, kill switch on every venue, route overrides, smart routing, disconnects.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../bus/memory.ts';
import { SimulatedClock } from '../common/clock.ts';
import { parseRegistry } from '../common/registry.ts';
import { ControlKeys, Streams } from '../common/topics.ts';
import {
  clientOrderId,
  strategyId,
  type Alert,
  type InstrumentId,
  type OrderEvent,
  type OrderFilled,
  type OrderRequest,
  type QuoteTick,
  type TradingCommand,
  type VenueId,
} from '../model/index.ts';
import { PaperVenueAdapter } from '../venues/paper/index.ts';
import type { RetentionSettings } from '../common/retention.ts';
import { Reconciler, reconcilableOrders } from '../reconciler/index.ts';
import { toOrderRecord } from '../kernel/kernel.ts';
import { OmsEngine } from './engine.ts';

const T0 = 1_704_153_600_000_000;
const AAPL_A = 'AAPL.SIM-A' as InstrumentId;
const AAPL_B = 'AAPL.SIM-B' as InstrumentId;
const XOM_A = 'XOM.SIM-A' as InstrumentId;

/** Tells the OMS again, as a venue would after a reconnect, about a fill it already published. */
function replayFill(oms: OmsEngine, f: OrderFilled): void {
  oms.applyVenueEvent({
    kind: 'fill',
    venue: f.venue,
    clientOrderId: f.clientOrderId,
    venueOrderId: f.venueOrderId,
    tradeId: f.tradeId,
    instrumentId: f.instrumentId,
    side: f.side,
    quantity: f.lastQuantity,
    price: f.lastPrice,
    fee: f.fee,
    feeCurrency: f.feeCurrency,
    liquidity: f.liquidity,
    tsEvent: f.tsEvent,
  });
}

/** Overrides for a test order; `price: undefined` removes the default limit price (market orders). */
type Loose = { [K in keyof OrderRequest]?: OrderRequest[K] | undefined };

function makeDesk(retention?: RetentionSettings) {
  const registry = parseRegistry({
    venues: {
      'SIM-A': { adapter: 'paper', fees: { takerBps: 1 }, slippageBps: 0 },
      'SIM-B': { adapter: 'paper', fees: { takerBps: 1 }, slippageBps: 0 },
    },
    instruments: [
      {
        symbol: 'AAPL',
        venues: ['SIM-A', 'SIM-B'],
        assetClass: 'equity',
        currency: 'USD',
        tickSize: 0.01,
        lotSize: 1,
        region: 'US',
        sector: 'technology',
      },
      {
        symbol: 'XOM',
        venues: ['SIM-A'],
        assetClass: 'equity',
        currency: 'USD',
        tickSize: 0.01,
        lotSize: 1,
        region: 'US',
        sector: 'energy',
      },
    ],
  });
  const clock = new SimulatedClock(T0);
  const bus = new MemoryBus();
  const venues = new Map<VenueId, PaperVenueAdapter>();
  let seed = 1;
  for (const [venue, config] of registry.venues)
    venues.set(
      venue,
      new PaperVenueAdapter({
        venue,
        config,
        clock,
        seed: seed++,
        instruments: [...registry.instruments.values()].filter((i) => i.venue === venue),
      }),
    );
  const oms = new OmsEngine({ bus, clock, registry, venues: venues, ...(retention ? { retention } : {}) });
  const events: OrderEvent[] = [];
  const fills: OrderFilled[] = [];
  const alerts: Alert[] = [];
  bus.subscribe(Streams.ordersEvents, 'test', (e) => void events.push(e));
  bus.subscribe(Streams.fills, 'test', (f) => void fills.push(f));
  bus.subscribe(Streams.alerts, 'test', (a) => void alerts.push(a));
  let seq = 0;
  const desk = {
    registry,
    clock,
    bus,
    venues,
    oms,
    events,
    fills,
    alerts,
    async connect() {
      for (const v of venues.values()) await v.connect();
      oms.start();
    },
    quote(instrumentId: InstrumentId, bid: number, ask: number, size = 1000) {
      const tick: QuoteTick = {
        type: 'quote',
        instrumentId,
        bid,
        ask,
        bidSize: size,
        askSize: size,
        tsEvent: clock.now(),
        tsInit: clock.now(),
      };
      const venue = venues.get(registry.instruments.get(instrumentId)!.venue)!;
      venue.onMarketData(tick);
      bus.publish(Streams.ticks, tick);
    },
    request(over: Loose = {}): OrderRequest {
      seq++;
      const out: Record<string, unknown> = {
        clientOrderId: clientOrderId(`o-${seq}`),
        strategyId: strategyId('s1'),
        instrumentId: AAPL_A,
        side: 'buy',
        type: 'limit',
        quantity: 100,
        price: 99.5,
        timeInForce: 'GTC',
        reduceOnly: false,
        tsInit: clock.now(),
        ...over,
      };
      for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
      return out as unknown as OrderRequest;
    },
    send(command: TradingCommand) {
      bus.publish(Streams.ordersValidated, command);
    },
    submit(over: Loose = {}): OrderRequest {
      const r = desk.request(over);
      desk.send({ type: 'submit_order', order: r, tsInit: clock.now() });
      return r;
    },
    cancel(r: OrderRequest) {
      desk.send({
        type: 'cancel_order',
        clientOrderId: r.clientOrderId,
        strategyId: r.strategyId,
        instrumentId: r.instrumentId,
        tsInit: clock.now(),
      });
    },
    types(id: string) {
      return events.filter((e) => e.clientOrderId === id).map((e) => e.type);
    },
  };
  return desk;
}

/** The OMS's orders as the store keeps them (as the kernel writes them). */
const recordsOf = (oms: OmsEngine) => [...oms.allOrders()].map(toOrderRecord);

const RETENTION: RetentionSettings = {
  closedOrdersMicros: 60_000_000,
  maxClosedOrders: 1_000,
  idsMicros: 3_600_000_000,
};

/** Everything the OMS changed is written (as the kernel's persist does after a store write). */
function persistAll(oms: OmsEngine): void {
  oms.persisted(oms.takeDirty(), true);
}

describe('OmsEngine', () => {
  it('takes an order through submitted → accepted → filled and publishes the fill once', async () => {
    const d = makeDesk();
    await d.connect();
    d.quote(AAPL_A, 99.9, 100.0);
    const r = d.submit({ type: 'market', price: undefined });
    expect(d.types(r.clientOrderId)).toEqual(['order_submitted', 'order_accepted']);
    expect(d.fills).toHaveLength(1);
    const fill = d.fills[0]!;
    expect(fill).toMatchObject({
      clientOrderId: r.clientOrderId,
      lastQuantity: 100,
      lastPrice: 100,
      leavesQuantity: 0,
      liquidity: 'taker',
    });
    expect(fill.fee).toBeCloseTo(100 * 100 * 0.0001, 10);
    const order = d.oms.order(r.clientOrderId)!;
    expect(order.status).toBe('FILLED');
    expect(order.averageFillPrice).toBe(100);
    expect(d.oms.openOrders()).toHaveLength(0);
  });

  it('rests a limit order, fills it partially then completely as the market trades through', async () => {
    const d = makeDesk();
    await d.connect();
    d.quote(AAPL_A, 99.0, 100.0, 50);
    const r = d.submit({ price: 100.0, quantity: 80 }); // takes the 50 displayed, rests 30
    expect(d.oms.order(r.clientOrderId)!.status).toBe('PARTIALLY_FILLED');
    expect(d.fills.map((f) => f.lastQuantity)).toEqual([50]);
    d.quote(AAPL_A, 99.0, 99.5, 50); // ask moves through the rest
    expect(d.oms.order(r.clientOrderId)!.status).toBe('FILLED');
    expect(d.fills.map((f) => f.lastQuantity)).toEqual([50, 30]);
    expect(d.fills[1]!.leavesQuantity).toBe(0);
  });

  it('ignores a duplicated submit command: one order at the venue', async () => {
    const d = makeDesk();
    await d.connect();
    d.quote(AAPL_A, 99.0, 100.0);
    const r = d.request();
    d.send({ type: 'submit_order', order: r, tsInit: T0 });
    d.send({ type: 'submit_order', order: r, tsInit: T0 });
    expect(d.oms.counters.duplicateCommands).toBe(1);
    expect(await d.venues.get('SIM-A' as VenueId)!.openOrders()).toHaveLength(1);
    expect(d.types(r.clientOrderId)).toEqual(['order_submitted', 'order_accepted']);
  });

  it('ignores a replayed venue fill (same venue and trade id)', async () => {
    const d = makeDesk();
    await d.connect();
    d.quote(AAPL_A, 99.9, 100.0);
    const r = d.submit({ type: 'market', price: undefined, quantity: 10 });
    const f = d.fills[0]!;
    replayFill(d.oms, f);
    expect(d.fills).toHaveLength(1);
    expect(d.oms.counters.duplicateFills).toBe(1);
    expect(d.oms.order(r.clientOrderId)!.filledQuantity).toBe(10);
  });

  it('cancels: pending cancel then canceled; unknown and closed orders are refused with a reason', async () => {
    const d = makeDesk();
    await d.connect();
    d.quote(AAPL_A, 99.0, 100.0);
    const r = d.submit();
    d.cancel(r);
    expect(d.types(r.clientOrderId)).toEqual([
      'order_submitted',
      'order_accepted',
      'order_pending_cancel',
      'order_canceled',
    ]);
    d.cancel(r);
    const unknown = d.request();
    d.cancel(unknown);
    const refusals = d.events.filter((e) => e.type === 'order_cancel_rejected');
    expect(refusals.map((e) => (e.type === 'order_cancel_rejected' ? e.reason : ''))).toEqual([
      'OMS_ORDER_CLOSED',
      'OMS_UNKNOWN_ORDER',
    ]);
  });

  it('modifies a resting order through pending update', async () => {
    const d = makeDesk();
    await d.connect();
    d.quote(AAPL_A, 99.0, 100.0);
    const r = d.submit({ price: 98.0 });
    d.send({
      type: 'modify_order',
      clientOrderId: r.clientOrderId,
      strategyId: r.strategyId,
      instrumentId: r.instrumentId,
      price: 98.5,
      tsInit: T0,
    });
    expect(d.types(r.clientOrderId)).toEqual([
      'order_submitted',
      'order_accepted',
      'order_pending_update',
      'order_modified',
    ]);
    const o = d.oms.order(r.clientOrderId)!;
    expect(o.status).toBe('ACCEPTED');
    expect(o.price).toBe(98.5);
  });

  it('kill switch: cancels every open order on every venue with the kill-switch reason, and alerts', async () => {
    const d = makeDesk();
    await d.connect();
    d.quote(AAPL_A, 99.0, 100.0);
    d.quote(AAPL_B, 99.0, 100.0);
    d.quote(XOM_A, 59.0, 60.0);
    const open = [
      d.submit({ price: 98 }),
      d.submit({ instrumentId: AAPL_B, price: 98 }),
      d.submit({ instrumentId: XOM_A, side: 'sell', price: 61 }),
    ];
    expect(d.oms.openOrders()).toHaveLength(3);
    await d.bus.control.set(ControlKeys.killSwitch, 'enabled', 'true');
    expect(d.oms.openOrders()).toHaveLength(0);
    for (const r of open) {
      const o = d.oms.order(r.clientOrderId)!;
      expect(o.status).toBe('CANCELED');
      expect(o.lastReason).toBe('VENUE_KILL_SWITCH');
    }
    for (const v of d.venues.values()) expect(await v.openOrders()).toHaveLength(0);
    expect(d.alerts.map((a) => a.code)).toContain('OPS_KILL_SWITCH_ON');
  });

  it('kill switch already on at start cancels what is open then', async () => {
    const d = makeDesk();
    await d.connect();
    d.quote(AAPL_A, 99.0, 100.0);
    d.submit({ price: 98 });
    d.oms.stop();
    await d.bus.control.set(ControlKeys.killSwitch, 'enabled', 'true');
    expect(d.oms.openOrders()).toHaveLength(1);
    d.oms.start();
    expect(d.oms.openOrders()).toHaveLength(0);
  });

  it('route override sends a venue’s flow to the target venue, and back when cleared', async () => {
    const d = makeDesk();
    await d.connect();
    d.quote(AAPL_A, 99.9, 100.0);
    d.quote(AAPL_B, 99.9, 100.0);
    await d.bus.control.set(ControlKeys.routeOverride, 'SIM-A', 'SIM-B');
    const rerouted = d.submit({ type: 'market', price: undefined, quantity: 5 });
    expect(d.oms.order(rerouted.clientOrderId)!.venue).toBe('SIM-B');
    expect(d.fills.at(-1)!.instrumentId).toBe(AAPL_B);
    await d.bus.control.delete(ControlKeys.routeOverride, 'SIM-A');
    const back = d.submit({ type: 'market', price: undefined, quantity: 5 });
    expect(d.oms.order(back.clientOrderId)!.venue).toBe('SIM-A');
    expect(d.fills.at(-1)!.instrumentId).toBe(AAPL_A);
  });

  it('route override to a venue that does not list the symbol rejects with OMS_NO_VENUE', async () => {
    const d = makeDesk();
    await d.connect();
    await d.bus.control.set(ControlKeys.routeOverride, 'SIM-A', 'SIM-B');
    const r = d.submit({ instrumentId: XOM_A });
    const rejected = d.events.find((e) => e.clientOrderId === r.clientOrderId && e.type === 'order_rejected');
    expect(rejected).toMatchObject({ reason: 'OMS_NO_VENUE' });
  });

  it('smart routing picks the venue with the better expected price', async () => {
    const d = makeDesk();
    await d.connect();
    d.quote(AAPL_A, 99.9, 100.1);
    d.quote(AAPL_B, 99.8, 100.0);
    const buy = d.submit({ type: 'market', price: undefined, smartRoute: true });
    expect(d.oms.order(buy.clientOrderId)!.venue).toBe('SIM-B');
    const sell = d.submit({ type: 'market', price: undefined, side: 'sell', smartRoute: true });
    expect(d.oms.order(sell.clientOrderId)!.venue).toBe('SIM-A');
  });

  it('rejects on its own word only what it never sent: a disconnected venue', async () => {
    const d = makeDesk();
    await d.connect();
    d.quote(AAPL_A, 99.0, 100.0);
    const resting = d.submit({ price: 98 });
    d.venues.get('SIM-A' as VenueId)!.setConnected(false);
    const refused = d.submit({ price: 97 });
    expect(
      d.events.find((e) => e.clientOrderId === refused.clientOrderId && e.type === 'order_rejected'),
    ).toMatchObject({
      reason: 'OMS_VENUE_DISCONNECTED',
    });
    // The order already at the venue stays open (unknown is not rejected).
    expect(d.oms.order(resting.clientOrderId)!.status).toBe('ACCEPTED');
  });

  it('property: duplicated commands and replayed venue events change nothing', async () => {
    const step = fc.oneof(
      fc.record({
        kind: fc.constant('limit' as const),
        side: fc.constantFrom('buy' as const, 'sell' as const),
        offset: fc.integer({ min: -3, max: 3 }),
        qty: fc.integer({ min: 1, max: 300 }),
      }),
      fc.record({ kind: fc.constant('cancel' as const), index: fc.nat(30) }),
      fc.record({ kind: fc.constant('quote' as const), mid: fc.integer({ min: 9_900, max: 10_100 }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 40, maxLength: 40 }),
        async (steps, copies) => {
          const run = async (duplicate: boolean) => {
            const d = makeDesk();
            await d.connect();
            const sent: OrderRequest[] = [];
            let mid = 100;
            d.quote(AAPL_A, 99.99, 100.01, 100);
            for (const [i, s] of steps.entries()) {
              const times = duplicate ? copies[i]! : 1;
              if (s.kind === 'quote') {
                mid = s.mid / 100;
                d.quote(
                  AAPL_A,
                  Math.round((mid - 0.01) * 100) / 100,
                  Math.round((mid + 0.01) * 100) / 100,
                  100,
                );
              } else if (s.kind === 'limit') {
                const r = d.request({
                  side: s.side,
                  quantity: s.qty,
                  price: Math.round((mid + s.offset / 100) * 100) / 100,
                });
                sent.push(r);
                for (let k = 0; k < times; k++) d.send({ type: 'submit_order', order: r, tsInit: T0 });
              } else if (sent.length > 0) {
                const r = sent[s.index % sent.length]!;
                for (let k = 0; k < times; k++) d.cancel(r);
              }
              if (duplicate) for (const f of [...d.fills]) replayFill(d.oms, f);
            }
            return {
              orders: [...d.oms.allOrders()].map((o) => [
                o.request.clientOrderId,
                o.status,
                o.filledQuantity,
              ]),
              fills: d.fills.map((f) => [f.tradeId, f.clientOrderId, f.lastQuantity, f.lastPrice]),
            };
          };
          expect(await run(true)).toEqual(await run(false));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('restored from its records after a restart, treats a redelivered command or fill as already seen', async () => {
    const first = makeDesk();
    await first.connect();
    first.quote(AAPL_A, 99.9, 100.0);
    const filled = first.submit({ type: 'market', price: undefined, quantity: 7 });
    const resting = first.submit({ price: 98 });
    const records = recordsOf(first.oms);
    const second = makeDesk();
    await second.connect();
    second.oms.restore(records, first.fills);
    expect(second.oms.order(filled.clientOrderId)!.status).toBe('FILLED');
    expect(second.oms.order(filled.clientOrderId)!.fills).toHaveLength(1);
    expect(second.oms.openOrders().map((o) => o.request.clientOrderId)).toEqual([resting.clientOrderId]);
    // The command redelivered after the restart changes nothing and reaches no venue.
    second.send({ type: 'submit_order', order: filled, tsInit: T0 });
    expect(second.oms.counters.duplicateCommands).toBe(1);
    expect(await second.venues.get('SIM-A' as VenueId)!.orders()).toHaveLength(0);
    // The fill redelivered after the restart is not published again.
    const f = first.fills[0]!;
    replayFill(second.oms, f);
    expect(second.fills).toHaveLength(0);
    expect(second.oms.counters.duplicateFills).toBe(1);
  });

  it('restored from a record older or newer than its booked fills: filled quantity and status follow the fills', async () => {
    const first = makeDesk();
    await first.connect();
    first.quote(AAPL_A, 99.9, 100.0);
    const sent = first.submit({ type: 'market', price: undefined, quantity: 7 });
    const order = first.oms.order(sent.clientOrderId)!;
    const fill = first.fills[0]!;
    const record = {
      clientOrderId: sent.clientOrderId,
      strategyId: sent.strategyId,
      instrumentId: order.executionInstrumentId,
      venue: order.venue ?? null,
      venueOrderId: null,
      side: sent.side,
      type: sent.type,
      timeInForce: sent.timeInForce,
      quantity: 7,
      price: null,
      triggerPrice: null,
      filledQuantity: 0,
      averageFillPrice: 0,
      lastReason: null,
      tsInit: sent.tsInit,
      tsLast: sent.tsInit,
    };
    // Saved before the fill was heard, booked since: it is filled.
    const older = makeDesk();
    older.oms.restore([{ ...record, status: 'SUBMITTED' }], [fill]);
    expect(older.oms.order(sent.clientOrderId)).toMatchObject({ status: 'FILLED', filledQuantity: 7 });
    expect(older.oms.order(sent.clientOrderId)!.averageFillPrice).toBeCloseTo(fill.lastPrice, 9);
    expect(older.oms.openOrders()).toEqual([]);
    expect([older.oms.counters.submitted, older.oms.counters.fills]).toEqual([1, 1]);
    // Saved after the fill was heard, but the fill never reached the ledger: the venue tells it again, once.
    const newer = makeDesk();
    newer.oms.restore(
      [{ ...record, status: 'FILLED', filledQuantity: 7, averageFillPrice: fill.lastPrice }],
      [],
    );
    expect(newer.oms.order(sent.clientOrderId)!.filledQuantity).toBe(0);
    const again = {
      kind: 'fill' as const,
      venue: fill.venue,
      clientOrderId: fill.clientOrderId,
      venueOrderId: fill.venueOrderId,
      tradeId: fill.tradeId,
      instrumentId: fill.instrumentId,
      side: fill.side,
      quantity: fill.lastQuantity,
      price: fill.lastPrice,
      fee: fill.fee,
      feeCurrency: fill.feeCurrency,
      liquidity: fill.liquidity,
      tsEvent: fill.tsEvent,
    };
    newer.oms.applyVenueEvent(again);
    newer.oms.applyVenueEvent(again);
    expect(newer.oms.order(sent.clientOrderId)).toMatchObject({ status: 'FILLED', filledQuantity: 7 });
    expect(newer.fills.map((f) => f.tradeId)).toEqual([fill.tradeId]);
  });

  it('with a durable hook, a command (and its redelivery) is acknowledged only once the hook resolves', async () => {
    const desk = makeDesk();
    let calls = 0;
    let release!: () => void;
    const durable = (): Promise<void> => {
      calls++;
      return new Promise<void>((resolve) => (release = resolve));
    };
    const oms = new OmsEngine({
      bus: desk.bus,
      clock: desk.clock,
      registry: desk.registry,
      venues: new Map(),
      durable,
    });
    oms.start();
    const command: TradingCommand = { type: 'submit_order', order: desk.request(), tsInit: T0 };
    desk.bus.publish(Streams.ordersValidated, command);
    let acknowledged = false;
    const flushed = desk.bus.flush().then(() => (acknowledged = true));
    await Promise.resolve();
    await Promise.resolve();
    expect([calls, acknowledged]).toEqual([1, false]);
    release();
    await flushed;
    expect(acknowledged).toBe(true);
    desk.bus.publish(Streams.ordersValidated, command);
    expect([calls, oms.counters.duplicateCommands]).toEqual([2, 1]);
    release();
    await desk.bus.flush();
  });

  describe('retention of closed orders', () => {
    it('releases a closed order once written and past the horizon; its id still refuses a repeat and knows its fills', async () => {
      const d = makeDesk(RETENTION);
      await d.connect();
      d.quote(AAPL_A, 99.9, 100.0);
      const filled = d.submit({ type: 'market', price: undefined, quantity: 10 });
      const resting = d.submit({ price: 98 });
      const fill = d.fills[0]!;
      d.clock.advanceTo(d.clock.now() + 61_000_000);
      // Past the horizon but not yet written to the store: it stays.
      d.submit({ price: 97 });
      expect(d.oms.order(filled.clientOrderId)?.status).toBe('FILLED');
      persistAll(d.oms);
      d.submit({ price: 96 });
      expect(d.oms.order(filled.clientOrderId)).toBeUndefined();
      expect(d.oms.isReleased(filled.clientOrderId)).toBe(true);
      expect(d.oms.counters.releasedOrders).toBe(1);
      // Open orders stay, whatever their age.
      expect(d.oms.order(resting.clientOrderId)?.status).toBe('ACCEPTED');
      expect(d.oms.retained()).toEqual({ orders: 3, open: 3, released: 1 });

      // The command again: a duplicate, nothing reaches the venue.
      const venueOrders = (await d.venues.get('SIM-A' as VenueId)!.orders()).length;
      d.send({ type: 'submit_order', order: filled, tsInit: T0 });
      expect(d.oms.counters.duplicateCommands).toBe(1);
      expect(await d.venues.get('SIM-A' as VenueId)!.orders()).toHaveLength(venueOrders);
      // The venue telling the fill again: a duplicate, not published.
      replayFill(d.oms, fill);
      expect(d.fills).toHaveLength(1);
      expect(d.oms.counters.duplicateFills).toBe(1);
      // A cancel: refused as closed, not as unknown.
      d.cancel(filled);
      expect(d.events.at(-1)).toMatchObject({ type: 'order_cancel_rejected', reason: 'OMS_ORDER_CLOSED' });
      // A fill the venue reports late, with a new trade id: booked to the order's strategy, and alerted.
      replayFill(d.oms, { ...fill, tradeId: `${fill.tradeId}-late` as typeof fill.tradeId, lastQuantity: 3 });
      expect(d.fills).toHaveLength(2);
      expect(d.fills[1]).toMatchObject({
        strategyId: 's1',
        lastQuantity: 3,
        clientOrderId: filled.clientOrderId,
      });
      expect(d.alerts.at(-1)?.message).toMatch(/late fill .*\(released from memory\)/);
      replayFill(d.oms, { ...fill, tradeId: `${fill.tradeId}-late` as typeof fill.tradeId, lastQuantity: 3 });
      expect(d.fills).toHaveLength(2);

      // Past the ids' horizon the id and its trade ids are gone too.
      d.clock.advanceTo(d.clock.now() + 3_601_000_000);
      d.submit({ price: 95 });
      expect(d.oms.isReleased(filled.clientOrderId)).toBe(false);
      expect(d.oms.hasSeenFill(fill.venue, fill.tradeId)).toBe(false);
    });

    it('a failed store write keeps the orders in memory and marks them changed again', async () => {
      const d = makeDesk(RETENTION);
      await d.connect();
      d.quote(AAPL_A, 99.9, 100.0);
      const filled = d.submit({ type: 'market', price: undefined });
      const taken = d.oms.takeDirty();
      expect(taken.map((o) => o.request.clientOrderId)).toEqual([filled.clientOrderId]);
      d.clock.advanceTo(d.clock.now() + 61_000_000);
      d.submit({ price: 97 }); // a write in flight holds it
      expect(d.oms.order(filled.clientOrderId)).toBeDefined();
      d.oms.persisted(taken, false);
      expect(d.oms.takeDirty().map((o) => o.request.clientOrderId)).toContain(filled.clientOrderId);
    });

    it('beyond the count, the oldest closed orders leave first', async () => {
      const d = makeDesk({ ...RETENTION, maxClosedOrders: 2 });
      await d.connect();
      d.quote(AAPL_A, 99.9, 100.0);
      const sent = [1, 2, 3, 4].map(() => d.submit({ type: 'market', price: undefined, quantity: 1 }));
      persistAll(d.oms);
      d.submit({ price: 90 });
      expect(sent.map((r) => d.oms.order(r.clientOrderId) !== undefined)).toEqual([false, false, true, true]);
    });

    it('reconciles clean with the venue that still reports released orders and their fills', async () => {
      const d = makeDesk(RETENTION);
      await d.connect();
      d.quote(AAPL_A, 99.9, 100.0);
      d.submit({ type: 'market', price: undefined, quantity: 5 });
      d.submit({ type: 'market', price: undefined, side: 'sell', quantity: 2 });
      persistAll(d.oms);
      d.clock.advanceTo(d.clock.now() + 61_000_000);
      d.submit({ price: 90 });
      expect(d.oms.counters.releasedOrders).toBe(2);
      const venue = d.venues.get('SIM-A' as VenueId)!;
      const positions = new Map((await venue.positions()).map((p) => [p.instrumentId, p.quantity]));
      expect(positions.get(AAPL_A)).toBe(3);
      const reconciler = new Reconciler({ clock: d.clock });
      const orders = reconcilableOrders(d.oms.allOrders());
      const withRetention = await reconciler.reconcile(
        {
          orders,
          positions,
          released: (id) => d.oms.isReleased(id),
          seenFill: (v, tradeId) => d.oms.hasSeenFill(v, tradeId),
        },
        [venue],
      );
      expect(withRetention.breaks).toEqual([]);
      expect(withRetention.beyondRetention).toBe(4); // two orders, two fills
      // Without the OMS's word on what it released, the venue's history would be breaks.
      const without = await reconciler.reconcile({ orders, positions }, [venue]);
      expect(without.breaks.map((b) => b.code).sort()).toEqual([
        'RECON_MISSING_FILL',
        'RECON_MISSING_FILL',
        'RECON_UNKNOWN_ORDER',
        'RECON_UNKNOWN_ORDER',
      ]);
    });

    it('restored after a restart, releases the orders closed before the horizon once trading resumes', async () => {
      const first = makeDesk(RETENTION);
      await first.connect();
      first.quote(AAPL_A, 99.9, 100.0);
      const old = first.submit({ type: 'market', price: undefined, quantity: 4 });
      first.clock.advanceTo(first.clock.now() + 120_000_000);
      first.quote(AAPL_A, 99.9, 100.0);
      const recent = first.submit({ type: 'market', price: undefined, quantity: 6 });
      const resting = first.submit({ price: 90 });
      const second = makeDesk(RETENTION);
      second.clock.advanceTo(second.clock.now() + 120_000_000);
      await second.connect();
      second.oms.restore(recordsOf(first.oms), first.fills);
      // Held until the venues' journals were replayed and the startup reconciliation ran: the first command.
      expect(second.oms.order(old.clientOrderId)?.status).toBe('FILLED');
      second.quote(AAPL_A, 99.9, 100.0);
      second.submit({ price: 80 });
      expect(second.oms.isReleased(old.clientOrderId)).toBe(true);
      expect(second.oms.order(recent.clientOrderId)?.status).toBe('FILLED');
      expect(second.oms.order(resting.clientOrderId)?.status).toBe('ACCEPTED');
      replayFill(second.oms, first.fills[0]!);
      expect(second.fills).toHaveLength(0);
      expect(second.oms.counters.duplicateFills).toBe(1);
    });
  });
});
