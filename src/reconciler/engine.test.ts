// The reconciler against real parts: MemoryBus, SimulatedClock, two connected paper venues, the OMS fed through
// orders.validated and a ledger booking the OMS's fills. Each break is produced the way it happens in
// production (events lost while a venue session is down, a fill the venue never made) beside a clean run.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../bus/memory.ts';
import { SimulatedClock } from '../common/clock.ts';
import { parseRegistry } from '../common/registry.ts';
import { Streams } from '../common/topics.ts';
import { Ledger } from '../ledger/index.ts';
import {
  clientOrderId,
  instrumentId,
  strategyId,
  tradeId,
  venueId,
  type Alert,
  type InstrumentId,
  type OrderRequest,
  type QuoteTick,
  type VenueId,
} from '../model/index.ts';
import { OmsEngine, type OmsOrder } from '../oms/index.ts';
import { PaperVenueAdapter } from '../venues/paper/index.ts';
import {
  reconcilableOrders,
  Reconciler,
  type ReconcilableOrder,
  type ReconciliationBreak,
  type ReconciliationReport,
} from './engine.ts';

/** 2024-01-02T00:00:00Z (a trading-day boundary for DAY orders). */
const T0 = 1_704_153_600_000_000;
const DAY = 86_400_000_000;
const GRACE = 2_000_000;
const A = venueId('SIM-A');
const B = venueId('SIM-B');
const AAPL_A = instrumentId('AAPL', 'SIM-A');
const AAPL_B = instrumentId('AAPL', 'SIM-B');
const XOM_A = instrumentId('XOM', 'SIM-A');

interface DeskOptions {
  /** One-way request latency of SIM-B (µs); 0 answers inside the call. */
  readonly latencyB?: number;
}

function makeDesk(options: DeskOptions = {}) {
  const registry = parseRegistry(
    {
      venues: {
        'SIM-A': { adapter: 'paper', fees: { takerBps: 1 }, cash: { USD: 1_000_000 } },
        'SIM-B': {
          adapter: 'paper',
          fees: { takerBps: 1 },
          latency: { baseMicros: options.latencyB ?? 0 },
          cash: { USD: 1_000_000 },
        },
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
    },
    'inline registry',
  );
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
  const oms = new OmsEngine({ bus, clock, registry, venues });
  const ledger = new Ledger();
  const alerts: Alert[] = [];
  const busErrors: unknown[] = [];
  bus.onError((error) => void busErrors.push(error));
  bus.subscribe(Streams.fills, 'ledger', (fill) => {
    const instrument = registry.instruments.get(fill.instrumentId);
    if (!instrument) throw new Error(`fill on unknown instrument ${fill.instrumentId}`);
    ledger.book(fill, instrument);
  });
  bus.subscribe(Streams.alerts, 'test', (alert) => void alerts.push(alert));
  const reconciler = new Reconciler({ clock, bus, inFlightGraceMicros: GRACE });
  const venueA = venues.get(A)!;
  const venueB = venues.get(B)!;
  let sequence = 0;

  const desk = {
    registry,
    clock,
    bus,
    oms,
    ledger,
    alerts,
    busErrors,
    reconciler,
    venueA,
    venueB,
    async connect(): Promise<void> {
      for (const v of venues.values()) await v.connect();
      oms.start();
    },
    /** A one-level book straight into the venue that lists the instrument. */
    quote(id: InstrumentId, bid: number, ask: number, bidSize = 1000, askSize = 1000): void {
      const tick: QuoteTick = {
        type: 'quote',
        instrumentId: id,
        bid,
        ask,
        bidSize,
        askSize,
        tsEvent: clock.now(),
        tsInit: clock.now(),
      };
      venues.get(registry.instruments.get(id)!.venue)!.onMarketData(tick);
    },
    request(over: Partial<OrderRequest> & Pick<OrderRequest, 'instrumentId'>): OrderRequest {
      sequence++;
      return {
        clientOrderId: clientOrderId(`o-${sequence}`),
        strategyId: strategyId('s1'),
        side: 'buy',
        type: 'market',
        quantity: 100,
        timeInForce: 'GTC',
        reduceOnly: false,
        tsInit: clock.now(),
        ...over,
      };
    },
    /** Through the OMS, as risk would send it. */
    submit(over: Partial<OrderRequest> & Pick<OrderRequest, 'instrumentId'>): OrderRequest {
      const order = desk.request(over);
      bus.publish(Streams.ordersValidated, { type: 'submit_order', order, tsInit: clock.now() });
      return order;
    },
    cancel(order: OrderRequest): void {
      bus.publish(Streams.ordersValidated, {
        type: 'cancel_order',
        clientOrderId: order.clientOrderId,
        strategyId: order.strategyId,
        instrumentId: order.instrumentId,
        tsInit: clock.now(),
      });
    },
    order(request: OrderRequest): OmsOrder {
      const order = oms.order(request.clientOrderId);
      if (!order) throw new Error(`OMS lacks ${request.clientOrderId}`);
      return order;
    },
    positions(): Map<InstrumentId, number> {
      const out = new Map<InstrumentId, number>();
      for (const p of ledger.positions()) out.set(p.instrumentId, p.quantity);
      return out;
    },
    async reconcile(
      orders: Iterable<ReconcilableOrder> = reconcilableOrders(oms.allOrders()),
      adapters: readonly PaperVenueAdapter[] = [venueA, venueB],
    ): Promise<ReconciliationReport> {
      const report = await reconciler.reconcile({ orders, positions: desk.positions() }, adapters);
      await bus.flush();
      return report;
    },
    reconcilerAlerts(): Alert[] {
      return alerts.filter((a) => a.source === 'reconciler');
    },
    /** What the OMS, the ledger and both venues hold: reconciliation must leave all of it unchanged. */
    async state() {
      const orders = [...oms.allOrders()].map((o) => ({
        id: o.request.clientOrderId,
        status: o.status,
        filled: o.filledQuantity,
        fills: o.fills.map((f) => `${f.venue}:${f.tradeId}`),
      }));
      const venuesState = [];
      for (const v of [venueA, venueB])
        venuesState.push({
          orders: await v.orders(),
          fills: await v.fills(0),
          positions: await v.positions(),
          balances: await v.balances(),
        });
      return {
        orders,
        omsFills: oms.counters.fills,
        ledger: ledger.snapshot(),
        journals: ledger.journalCount,
        venues: venuesState,
      };
    },
  };
  return desk;
}

type Desk = ReturnType<typeof makeDesk>;

/**
 * A clean day on both venues: a filled market buy (SIM-A), a partially filled resting limit buy (SIM-B), a
 * cancelled limit sell (XOM on SIM-A) and a filled market sell (SIM-B).
 */
async function tradeCleanDay(desk: Desk) {
  await desk.connect();
  desk.quote(AAPL_A, 99.9, 100);
  desk.quote(AAPL_B, 99.4, 99.6);
  desk.quote(XOM_A, 50, 51);
  const filled = desk.submit({ instrumentId: AAPL_A, side: 'buy', type: 'market', quantity: 100 });
  const partial = desk.submit({
    instrumentId: AAPL_B,
    side: 'buy',
    type: 'limit',
    price: 99.5,
    quantity: 100,
  });
  desk.quote(AAPL_B, 99.4, 99.5, 1000, 40); // 40 offered at the limit: a maker fill of 40, 60 rest
  const canceled = desk.submit({ instrumentId: XOM_A, side: 'sell', type: 'limit', price: 55, quantity: 50 });
  desk.cancel(canceled);
  desk.quote(AAPL_B, 99.4, 99.6);
  const sold = desk.submit({ instrumentId: AAPL_B, side: 'sell', type: 'market', quantity: 30 });
  await desk.bus.flush();
  return { filled, partial, canceled, sold };
}

type BreakFields = Omit<ReconciliationBreak, 'message'>;

/** Breaks in a stable order, so a comparison does not depend on the order the reconciler found them. */
function sorted(breaks: readonly BreakFields[]): BreakFields[] {
  const key = (b: BreakFields): string =>
    [b.code, b.venue, b.clientOrderId, b.tradeId, b.instrumentId].join('|');
  return [...breaks].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
}

/** Every field of a break but its message, which is checked to name what broke (trade, order or instrument). */
function withoutMessage(b: ReconciliationBreak): BreakFields {
  const { message, ...rest } = b;
  expect(message).toContain(b.tradeId ?? b.clientOrderId ?? b.instrumentId);
  return rest;
}

function expectBreaks(report: ReconciliationReport, expected: readonly BreakFields[]): void {
  expect(sorted(report.breaks.map(withoutMessage))).toEqual(sorted(expected));
}

async function expectClean(desk: Desk): Promise<ReconciliationReport> {
  const report = await desk.reconcile();
  expect(report.breaks).toEqual([]);
  return report;
}

describe('Reconciler', () => {
  it('finds no break after a clean day on two venues and counts what it checked', async () => {
    const desk = makeDesk();
    const placed = await tradeCleanDay(desk);
    expect(desk.order(placed.filled).status).toBe('FILLED');
    expect(desk.order(placed.partial).status).toBe('PARTIALLY_FILLED');
    expect(desk.order(placed.partial).filledQuantity).toBe(40);
    expect(desk.order(placed.canceled).status).toBe('CANCELED');
    expect(desk.order(placed.sold).status).toBe('FILLED');

    const report = await expectClean(desk);
    const placedOrders = Object.values(placed);
    const omsFills = placedOrders.flatMap((r) => desk.order(r).fills);
    expect(report.venues).toEqual([A, B]);
    expect(report.ts).toBe(desk.clock.now());
    // Every order placed is reported by its venue and checked once; every fill once; one position per
    // instrument traded (AAPL on each venue; XOM never filled).
    expect(report.ordersChecked).toBe(placedOrders.length);
    expect(report.fillsChecked).toBe(omsFills.length);
    expect(omsFills).toHaveLength(3);
    expect(report.positionsChecked).toBe(desk.ledger.positions().length);
    expect([...desk.positions()]).toEqual([
      [AAPL_A, 100],
      [AAPL_B, 40 - 30],
    ]);
    expect(desk.reconcilerAlerts()).toEqual([]);
    expect(desk.busErrors).toEqual([]);
  });

  it('reports an order placed at the venue behind the OMS, its fill and the position, and invents no fill', async () => {
    const desk = makeDesk();
    await tradeCleanDay(desk);
    await expectClean(desk);

    // Someone places a resting buy straight at SIM-A: the OMS hears the acceptance of an order it does not
    // know and ignores it; the order then fills while the session is down, so the fill never reaches it.
    const manual = desk.request({
      clientOrderId: clientOrderId('manual-1'),
      instrumentId: AAPL_A,
      type: 'limit',
      price: 99.5,
      quantity: 100,
    });
    desk.venueA.submit(manual, desk.registry.instruments.get(AAPL_A)!);
    expect(desk.oms.counters.unknownOrderEvents).toBe(1);
    desk.venueA.setConnected(false);
    desk.quote(AAPL_A, 99.4, 99.5);
    desk.venueA.setConnected(true);
    const venueFill = (await desk.venueA.fills(0)).find((f) => f.clientOrderId === manual.clientOrderId)!;
    expect(venueFill).toMatchObject({ side: 'buy', quantity: 100, price: 99.5 });
    expect(desk.oms.order(manual.clientOrderId)).toBeUndefined();

    const before = await desk.state();
    const report = await desk.reconcile();
    expectBreaks(report, [
      {
        code: 'RECON_UNKNOWN_ORDER',
        venue: A,
        clientOrderId: manual.clientOrderId,
        instrumentId: AAPL_A,
        expected: 'no such order',
        actual: 'FILLED buy 100 filled 100',
      },
      {
        code: 'RECON_MISSING_FILL',
        venue: A,
        clientOrderId: manual.clientOrderId,
        tradeId: venueFill.tradeId,
        instrumentId: AAPL_A,
        expected: 'no such fill',
        actual: 'buy 100 @ 99.5',
      },
      {
        code: 'RECON_POSITION_MISMATCH',
        venue: A,
        instrumentId: AAPL_A,
        expected: '100',
        actual: '200',
      },
    ]);
    // Never books or invents a fill: the OMS, the ledger and the venues are as they were.
    expect(await desk.state()).toEqual(before);
    expect(desk.ledger.quantity(AAPL_A)).toBe(100);
    expect(desk.oms.order(manual.clientOrderId)).toBeUndefined();
    expect(desk.busErrors).toEqual([]);
  });

  it('reports a fill the OMS holds that the venue never made (RECON_UNKNOWN_FILL)', async () => {
    const desk = makeDesk();
    const { partial } = await tradeCleanDay(desk);
    await expectClean(desk);

    const resting = desk.order(partial);
    desk.oms.applyVenueEvent({
      kind: 'fill',
      venue: B,
      clientOrderId: partial.clientOrderId,
      venueOrderId: resting.venueOrderId!,
      tradeId: tradeId('GHOST-1'),
      instrumentId: AAPL_B,
      side: 'buy',
      quantity: 10,
      price: 99.5,
      fee: 0,
      feeCurrency: 'USD',
      liquidity: 'maker',
      tsEvent: desk.clock.now(),
    });
    await desk.bus.flush();
    expect(desk.ledger.isBooked(B, 'GHOST-1')).toBe(true);

    const report = await desk.reconcile();
    expectBreaks(report, [
      {
        code: 'RECON_UNKNOWN_FILL',
        venue: B,
        clientOrderId: partial.clientOrderId,
        tradeId: tradeId('GHOST-1'),
        instrumentId: AAPL_B,
        expected: 'buy 10 @ 99.5',
        actual: 'not reported',
      },
      {
        code: 'RECON_STATUS_MISMATCH',
        venue: B,
        clientOrderId: partial.clientOrderId,
        instrumentId: AAPL_B,
        expected: 'filled 50',
        actual: 'filled 40',
      },
      {
        code: 'RECON_POSITION_MISMATCH',
        venue: B,
        instrumentId: AAPL_B,
        expected: String(40 + 10 - 30),
        actual: String(40 - 30),
      },
    ]);
  });

  describe('a fill the OMS and the venue both hold, with one field altered on the OMS side', () => {
    const cases = [
      { field: 'price', alter: { lastPrice: 100.01 }, expected: 'buy 100 @ 100.01' },
      { field: 'quantity', alter: { lastQuantity: 99 }, expected: 'buy 99 @ 100' },
      { field: 'side', alter: { side: 'sell' as const }, expected: 'sell 100 @ 100' },
    ];
    it.each(cases)('reports RECON_FILL_MISMATCH on the $field', async ({ alter, expected }) => {
      const desk = makeDesk();
      const { filled } = await tradeCleanDay(desk);
      const orders = reconcilableOrders(desk.oms.allOrders());
      expect((await desk.reconcile(orders)).breaks).toEqual([]);

      const fill = desk.order(filled).fills[0]!;
      const altered = orders.map((o) =>
        o.clientOrderId === filled.clientOrderId ? { ...o, fills: [{ ...fill, ...alter }] } : o,
      );
      const report = await desk.reconcile(altered);
      expectBreaks(report, [
        {
          code: 'RECON_FILL_MISMATCH',
          venue: A,
          clientOrderId: filled.clientOrderId,
          tradeId: fill.tradeId,
          instrumentId: AAPL_A,
          expected,
          actual: 'buy 100 @ 100',
        },
      ]);
    });

    it('treats a difference within the tolerance as equal', async () => {
      const desk = makeDesk();
      const { filled } = await tradeCleanDay(desk);
      const fill = desk.order(filled).fills[0]!;
      const nudged = reconcilableOrders(desk.oms.allOrders()).map((o) =>
        o.clientOrderId === filled.clientOrderId
          ? { ...o, fills: [{ ...fill, lastPrice: fill.lastPrice + 1e-12 }] }
          : o,
      );
      expect(nudged.find((o) => o.clientOrderId === filled.clientOrderId)!.fills[0]!.lastPrice).not.toBe(
        fill.lastPrice,
      );
      expect((await desk.reconcile(nudged)).breaks).toEqual([]);
    });
  });

  it('reports an open order the venue does not know only once it is older than the in-flight grace', async () => {
    const latency = 1_000;
    const desk = makeDesk({ latencyB: latency });
    await desk.connect();
    desk.quote(AAPL_A, 99.9, 100);
    desk.quote(AAPL_B, 99.4, 99.6);
    desk.submit({ instrumentId: AAPL_A, quantity: 10 });
    const delivered = desk.submit({ instrumentId: AAPL_B, type: 'limit', price: 99, quantity: 10 });
    desk.clock.advanceTo(desk.clock.now() + latency);
    expect(desk.order(delivered).status).toBe('ACCEPTED');
    await expectClean(desk);

    // Sent to SIM-B and still in flight: the venue does not know it yet, and that is not a break.
    const lost = desk.submit({ instrumentId: AAPL_B, type: 'limit', price: 99, quantity: 10 });
    const sentAt = desk.order(lost).tsLast;
    expect(desk.order(lost).status).toBe('SUBMITTED');
    expect((await desk.venueB.orders()).map((o) => o.clientOrderId)).not.toContain(lost.clientOrderId);
    await expectClean(desk);

    // The session drops with the request on the wire: it is lost, and the OMS still waits (unknown is not rejected).
    desk.venueB.setConnected(false);
    desk.clock.advanceTo(sentAt + GRACE - 1);
    desk.venueB.setConnected(true);
    expect(desk.order(lost).status).toBe('SUBMITTED');
    await expectClean(desk);

    desk.clock.advanceTo(sentAt + GRACE);
    const report = await desk.reconcile();
    expectBreaks(report, [
      {
        code: 'RECON_MISSING_ORDER',
        venue: B,
        clientOrderId: lost.clientOrderId,
        expected: 'SUBMITTED',
        actual: 'not reported',
      },
    ]);
    expect(desk.order(lost).status).toBe('SUBMITTED');
  });

  describe('status of an order both sides know', () => {
    it('reports a filled quantity the OMS missed while the venue session was down', async () => {
      const desk = makeDesk();
      const { partial } = await tradeCleanDay(desk);
      await expectClean(desk);

      desk.venueB.setConnected(false);
      desk.quote(AAPL_B, 99.4, 99.5, 1000, 25); // 25 more of the resting 60 fill at the venue, unheard
      desk.venueB.setConnected(true);
      const report = await desk.reconcile();
      const newFill = (await desk.venueB.fills(0)).at(-1)!;
      expect(newFill.clientOrderId).toBe(partial.clientOrderId);
      expectBreaks(report, [
        {
          code: 'RECON_STATUS_MISMATCH',
          venue: B,
          clientOrderId: partial.clientOrderId,
          instrumentId: AAPL_B,
          expected: 'filled 40',
          actual: 'filled 65',
        },
        {
          code: 'RECON_MISSING_FILL',
          venue: B,
          clientOrderId: partial.clientOrderId,
          tradeId: newFill.tradeId,
          instrumentId: AAPL_B,
          expected: 'no such fill',
          actual: 'buy 25 @ 99.5',
        },
        {
          code: 'RECON_POSITION_MISMATCH',
          venue: B,
          instrumentId: AAPL_B,
          expected: String(40 - 30),
          actual: String(65 - 30),
        },
      ]);
      expect(desk.order(partial).filledQuantity).toBe(40);
    });

    it('reports an order closed at the venue that the OMS still thinks is working', async () => {
      const desk = makeDesk();
      await tradeCleanDay(desk);
      const day = desk.submit({
        instrumentId: AAPL_A,
        type: 'limit',
        price: 90,
        quantity: 10,
        timeInForce: 'DAY',
      });
      expect(desk.order(day).status).toBe('ACCEPTED');
      await expectClean(desk);

      // The DAY order expires at the venue on the next day's first quote, while the session is down.
      desk.venueA.setConnected(false);
      desk.clock.advanceTo(T0 + DAY + 1);
      desk.quote(AAPL_A, 99.9, 100);
      desk.venueA.setConnected(true);
      const report = await desk.reconcile();
      expectBreaks(report, [
        {
          code: 'RECON_STATUS_MISMATCH',
          venue: A,
          clientOrderId: day.clientOrderId,
          instrumentId: AAPL_A,
          expected: 'ACCEPTED',
          actual: 'EXPIRED',
        },
      ]);
    });

    it('waits the grace for a pending cancel, then reports it if the venue has closed the order', async () => {
      const desk = makeDesk();
      await tradeCleanDay(desk);
      const day = desk.submit({
        instrumentId: AAPL_A,
        type: 'limit',
        price: 90,
        quantity: 10,
        timeInForce: 'DAY',
      });
      await expectClean(desk);

      desk.venueA.setConnected(false);
      desk.clock.advanceTo(T0 + DAY + 1);
      desk.quote(AAPL_A, 99.9, 100); // expires at the venue, unheard
      desk.cancel(day); // the OMS asks to cancel; the request is dropped with the session
      desk.venueA.setConnected(true);
      const pendingSince = desk.order(day).tsLast;
      expect(desk.order(day).status).toBe('PENDING_CANCEL');
      await expectClean(desk); // in flight: the venue's answer may still be coming

      desk.clock.advanceTo(pendingSince + GRACE);
      const report = await desk.reconcile();
      expectBreaks(report, [
        {
          code: 'RECON_STATUS_MISMATCH',
          venue: A,
          clientOrderId: day.clientOrderId,
          instrumentId: AAPL_A,
          expected: 'PENDING_CANCEL',
          actual: 'EXPIRED',
        },
      ]);
    });
  });

  it('publishes one OPS_RECONCILIATION_BREAK alert when there are breaks and none when clean', async () => {
    const desk = makeDesk();
    const { partial } = await tradeCleanDay(desk);
    await expectClean(desk);
    await expectClean(desk);
    expect(desk.reconcilerAlerts()).toEqual([]);

    desk.venueB.setConnected(false);
    desk.quote(AAPL_B, 99.4, 99.5, 1000, 25);
    desk.venueB.setConnected(true);
    const report = await desk.reconcile();
    expect(report.breaks.length).toBeGreaterThan(1);
    expect(
      report.breaks.every((b) => b.clientOrderId === undefined || b.clientOrderId === partial.clientOrderId),
    ).toBe(true);
    expect(desk.reconcilerAlerts()).toEqual([
      {
        type: 'alert',
        severity: 'critical',
        code: 'OPS_RECONCILIATION_BREAK',
        source: 'reconciler',
        message: `${report.breaks.length} reconciliation break(s): ${[...new Set(report.breaks.map((b) => b.code))].join(', ')}`,
        tsEvent: desk.clock.now(),
      },
    ]);
  });

  it('without a bus, reports breaks and publishes nothing', async () => {
    const desk = makeDesk();
    await tradeCleanDay(desk);
    desk.venueB.setConnected(false);
    desk.quote(AAPL_B, 99.4, 99.5, 1000, 25);
    desk.venueB.setConnected(true);
    const quiet = new Reconciler({ clock: desk.clock });
    const report = await quiet.reconcile(
      { orders: reconcilableOrders(desk.oms.allOrders()), positions: desk.positions() },
      [desk.venueA, desk.venueB],
    );
    await desk.bus.flush();
    expect(report.breaks.map((b) => b.code).sort()).toEqual([
      'RECON_MISSING_FILL',
      'RECON_POSITION_MISMATCH',
      'RECON_STATUS_MISMATCH',
    ]);
    expect(desk.alerts).toEqual([]);
  });

  it('checks only the venues it is given', async () => {
    const desk = makeDesk();
    await tradeCleanDay(desk);
    desk.venueB.setConnected(false);
    desk.quote(AAPL_B, 99.4, 99.5, 1000, 25);
    desk.venueB.setConnected(true);
    expect((await desk.reconcile(undefined, [desk.venueA, desk.venueB])).breaks.length).toBeGreaterThan(0);

    const onlyA = await desk.reconcile(undefined, [desk.venueA]);
    expect(onlyA.venues).toEqual([A]);
    expect(onlyA.breaks).toEqual([]);
    expect(onlyA.positionsChecked).toBe(1); // AAPL.SIM-A; SIM-B's position is not compared
  });

  it('converges: a second pass on the same state finds the same breaks and changes nothing', async () => {
    const desk = makeDesk();
    const { partial } = await tradeCleanDay(desk);
    const clean = await desk.state();
    expect(await desk.reconcile()).toEqual(await desk.reconcile());
    expect(await desk.state()).toEqual(clean);

    desk.venueB.setConnected(false);
    desk.quote(AAPL_B, 99.4, 99.5, 1000, 25);
    desk.venueB.setConnected(true);
    const before = await desk.state();
    const first = await desk.reconcile();
    const second = await desk.reconcile();
    expect(first.breaks.length).toBeGreaterThan(0);
    expect(second).toEqual(first);
    expect(await desk.state()).toEqual(before);
    expect(desk.order(partial).filledQuantity).toBe(40);
    expect(desk.reconcilerAlerts()).toHaveLength(2);
  });

  it('names exactly the fills the OMS missed, for any mix of heard and unheard fills (property)', async () => {
    const step = fc.record({
      venue: fc.constantFrom(A, B),
      quantity: fc.integer({ min: 1, max: 50 }),
      heard: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
        const desk = makeDesk();
        await desk.connect();
        const expected: BreakFields[] = [];
        const ledgerQuantity = new Map<VenueId, number>([
          [A, 0],
          [B, 0],
        ]);
        const venueQuantity = new Map<VenueId, number>([
          [A, 0],
          [B, 0],
        ]);
        for (const s of steps) {
          const id = instrumentId('AAPL', s.venue);
          const adapter = s.venue === A ? desk.venueA : desk.venueB;
          desk.quote(id, 99.4, 99.6);
          const r = desk.submit({ instrumentId: id, type: 'limit', price: 99.5, quantity: s.quantity });
          if (!s.heard) adapter.setConnected(false);
          desk.quote(id, 99.4, 99.5, 1000, s.quantity);
          adapter.setConnected(true);
          venueQuantity.set(s.venue, venueQuantity.get(s.venue)! + s.quantity);
          if (s.heard) {
            ledgerQuantity.set(s.venue, ledgerQuantity.get(s.venue)! + s.quantity);
            continue;
          }
          const venueFill = (await adapter.fills(0)).at(-1)!;
          expected.push(
            {
              code: 'RECON_STATUS_MISMATCH',
              venue: s.venue,
              clientOrderId: r.clientOrderId,
              instrumentId: id,
              expected: 'filled 0',
              actual: `filled ${s.quantity}`,
            },
            {
              code: 'RECON_MISSING_FILL',
              venue: s.venue,
              clientOrderId: r.clientOrderId,
              tradeId: venueFill.tradeId,
              instrumentId: id,
              expected: 'no such fill',
              actual: `buy ${s.quantity} @ 99.5`,
            },
          );
        }
        for (const venue of [A, B]) {
          const ledger = ledgerQuantity.get(venue)!;
          const atVenue = venueQuantity.get(venue)!;
          if (ledger !== atVenue)
            expected.push({
              code: 'RECON_POSITION_MISMATCH',
              venue,
              instrumentId: instrumentId('AAPL', venue),
              expected: String(ledger),
              actual: String(atVenue),
            });
        }
        const before = await desk.state();
        const first = await desk.reconcile();
        expectBreaks(first, expected);
        expect(await desk.reconcile()).toEqual(first);
        expect(await desk.state()).toEqual(before);
        expect(first.fillsChecked).toBe(steps.length);
        expect(first.ordersChecked).toBe(steps.length);
        expect(desk.reconcilerAlerts()).toHaveLength(expected.length > 0 ? 2 : 0);
        expect(desk.busErrors).toEqual([]);
      }),
      { numRuns: 60, seed: 20240102 },
    );
  });
});
