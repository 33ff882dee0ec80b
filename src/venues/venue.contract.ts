// The contract every venue adapter (paper, ibkr, zerodha) passes: one suite, run by each adapter's
// `contract.test.ts` as `venueContract(name, makeHarness)`.
//
// The harness is how the suite drives the venue behind an adapter (a matching engine in process, a fake
// broker server on loopback, ...). It is deliberately small; every member is needed by some case:
//
//   adapter              the VenueAdapter under test, built but not connected (the suite connects it).
//   instrument           an instrument the venue trades. Every order of the suite is a limit order on it ...
//   price                ... at this price, where it rests until the harness fills it (on tick, not marketable).
//   fill(id, qty, px)    the venue executes `qty` of the order at `px` (a partial when less than what is left);
//                        also while the adapter is disconnected (the venue keeps trading). Ids are the client
//                        order ids the adapter reports (ours, or what placeExternalOrder returned).
//   rejectNext(message)  the venue rejects the next order it receives (with `message` where it can choose).
//   dropConnection()     the venue side cuts the session (network loss, gateway restart); resolves once the
//                        adapter has noticed (its state is no longer 'connected'). The venue stays down ...
//   restoreConnection()  ... until this; resolves once the adapter is connected again and has caught up.
//   placeExternalOrder() a limit order placed at the venue outside the platform (another terminal, a human);
//                        resolves to the client order id the adapter reports it under.
//   received(id)         how many distinct orders the venue holds for a client order id (never more than 1).
//   settle()             resolves once whatever was done so far has been delivered to the adapter and acted
//                        on (in process: at once; over a socket: a round trip).
//   close()              releases everything (sockets, servers, timers).

import { afterEach, describe, expect, it } from 'vitest';
import { describeReason } from '../common/errors.ts';
import {
  clientOrderId,
  strategyId,
  type ClientOrderId,
  type Instrument,
  type OrderRequest,
  type OrderSide,
  type VenueEvent,
} from '../model/index.ts';
import type { VenueAdapter } from '../oms/venue.ts';

export interface VenueHarness {
  readonly adapter: VenueAdapter;
  readonly instrument: Instrument;
  readonly price: number;
  fill(id: ClientOrderId, quantity: number, price: number): Promise<void>;
  rejectNext(message: string): Promise<void>;
  dropConnection(): Promise<void>;
  restoreConnection(): Promise<void>;
  placeExternalOrder(order: {
    readonly side: OrderSide;
    readonly quantity: number;
    readonly price: number;
  }): Promise<ClientOrderId>;
  received(id: ClientOrderId): Promise<number>;
  settle(): Promise<void>;
  close(): Promise<void>;
}

const WAIT_MS = 5000;

/** Waits until `predicate` holds (adapters over sockets deliver asynchronously), at most WAIT_MS. */
async function eventually(predicate: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const until = Date.now() + WAIT_MS;
  while (!(await predicate())) {
    if (Date.now() > until) throw new Error(`not in time: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

type FillEvent = Extract<VenueEvent, { kind: 'fill' }>;

function kindsOf(events: readonly VenueEvent[], id: ClientOrderId): VenueEvent['kind'][] {
  return events.filter((e) => e.clientOrderId === id).map((e) => e.kind);
}

function fillsOf(events: readonly VenueEvent[], id: ClientOrderId): FillEvent[] {
  return events.filter((e): e is FillEvent => e.kind === 'fill' && e.clientOrderId === id);
}

function filledQuantity(events: readonly VenueEvent[], id: ClientOrderId): number {
  let sum = 0;
  for (const f of fillsOf(events, id)) sum += f.quantity;
  return sum;
}

export function venueContract(name: string, makeHarness: () => Promise<VenueHarness>): void {
  describe(`venue contract: ${name}`, () => {
    const open: VenueHarness[] = [];
    let sequence = 0;

    afterEach(async () => {
      for (const h of open.splice(0)) await h.close();
    });

    /** A connected harness and the list its adapter's events go to. */
    async function start(): Promise<{ h: VenueHarness; events: VenueEvent[] }> {
      const h = await makeHarness();
      open.push(h);
      const events: VenueEvent[] = [];
      h.adapter.onEvent((e) => events.push(e));
      await h.adapter.connect();
      expect(h.adapter.state).toBe('connected');
      return { h, events };
    }

    function limit(h: VenueHarness, side: OrderSide, quantity: number): OrderRequest {
      sequence++;
      return {
        clientOrderId: clientOrderId(`contract-${Date.now().toString(36)}-${sequence}`),
        strategyId: strategyId('contract'),
        instrumentId: h.instrument.id,
        side,
        type: 'limit',
        quantity,
        price: h.price,
        timeInForce: 'GTC',
        reduceOnly: false,
        tsInit: 0,
      };
    }

    async function submitAccepted(h: VenueHarness, events: VenueEvent[], o: OrderRequest): Promise<void> {
      h.adapter.submit(o, h.instrument);
      await eventually(() => kindsOf(events, o.clientOrderId).includes('accepted'), 'accepted');
    }

    it('submit → accepted → partially filled → filled, and the reports agree with the events', async () => {
      const { h, events } = await start();
      const o = limit(h, 'buy', 100);
      const id = o.clientOrderId;
      await submitAccepted(h, events, o);

      await h.fill(id, 40, h.price);
      await eventually(() => filledQuantity(events, id) === 40, 'first fill');
      const working = (await h.adapter.openOrders()).find((r) => r.clientOrderId === id);
      expect(working?.status).toBe('PARTIALLY_FILLED');
      expect(working?.filledQuantity).toBe(40);

      await h.fill(id, 60, h.price);
      await eventually(() => filledQuantity(events, id) === 100, 'second fill');
      await h.settle();

      expect(kindsOf(events, id)).toEqual(['accepted', 'fill', 'fill']);
      const accepted = events.find((e) => e.kind === 'accepted' && e.clientOrderId === id);
      const fills = fillsOf(events, id);
      expect(fills.map((f) => [f.quantity, f.price, f.side, f.instrumentId])).toEqual([
        [40, h.price, 'buy', h.instrument.id],
        [60, h.price, 'buy', h.instrument.id],
      ]);
      expect(new Set(fills.map((f) => f.tradeId)).size).toBe(2);
      for (const f of fills) {
        expect(f.venueOrderId).toBe(accepted?.kind === 'accepted' ? accepted.venueOrderId : undefined);
        expect(f.fee).toBeGreaterThanOrEqual(0);
        expect(f.feeCurrency).toMatch(/^[A-Z]{3,4}$/);
      }

      expect((await h.adapter.openOrders()).some((r) => r.clientOrderId === id)).toBe(false);
      const report = (await h.adapter.orders()).find((r) => r.clientOrderId === id);
      expect(report).toMatchObject({
        instrumentId: h.instrument.id,
        side: 'buy',
        type: 'limit',
        quantity: 100,
        filledQuantity: 100,
        price: h.price,
        status: 'FILLED',
      });
      const reported = (await h.adapter.fills(0)).filter((f) => f.clientOrderId === id);
      expect(reported.map((f) => f.tradeId).sort()).toEqual(fills.map((f) => f.tradeId).sort());
      expect(reported.reduce((sum, f) => sum + f.quantity, 0)).toBe(100);
      expect(await h.received(id)).toBe(1);
    });

    it('cancels a resting order, and a partly filled one after its fill', async () => {
      const { h, events } = await start();
      const resting = limit(h, 'buy', 50);
      await submitAccepted(h, events, resting);
      h.adapter.cancel(resting.clientOrderId);
      await eventually(() => kindsOf(events, resting.clientOrderId).includes('canceled'), 'canceled');

      const partly = limit(h, 'sell', 100);
      await submitAccepted(h, events, partly);
      await h.fill(partly.clientOrderId, 40, h.price);
      await eventually(() => filledQuantity(events, partly.clientOrderId) === 40, 'partial fill');
      h.adapter.cancel(partly.clientOrderId);
      await eventually(() => kindsOf(events, partly.clientOrderId).includes('canceled'), 'canceled');
      await h.settle();

      expect(kindsOf(events, resting.clientOrderId)).toEqual(['accepted', 'canceled']);
      expect(kindsOf(events, partly.clientOrderId)).toEqual(['accepted', 'fill', 'canceled']);
      const reports = await h.adapter.orders();
      expect(reports.find((r) => r.clientOrderId === partly.clientOrderId)).toMatchObject({
        status: 'CANCELED',
        filledQuantity: 40,
      });
      expect(reports.find((r) => r.clientOrderId === resting.clientOrderId)?.status).toBe('CANCELED');
      expect(await h.adapter.openOrders()).toEqual([]);
    });

    it('a cancel racing a fill ends in exactly one outcome, and a late cancel is refused', async () => {
      const { h, events } = await start();
      const raced = limit(h, 'buy', 100);
      const id = raced.clientOrderId;
      await submitAccepted(h, events, raced);
      // Both leave in the same tick: which reaches the venue first is the venue's business.
      h.adapter.cancel(id);
      await h.fill(id, 100, h.price);
      await eventually(
        () => filledQuantity(events, id) === 100 || kindsOf(events, id).includes('canceled'),
        'an outcome',
      );
      await h.settle();
      const kinds = kindsOf(events, id);
      const canceled = kinds.includes('canceled');
      const filled = filledQuantity(events, id);
      expect(canceled).toBe(filled < 100);
      if (canceled) expect(kinds.slice(kinds.indexOf('canceled') + 1)).not.toContain('fill');
      else expect(kinds).toContain('cancel_rejected');
      const report = (await h.adapter.orders()).find((r) => r.clientOrderId === id);
      expect(report?.status).toBe(canceled ? 'CANCELED' : 'FILLED');
      expect(report?.filledQuantity).toBe(filled);

      const late = limit(h, 'buy', 10);
      await submitAccepted(h, events, late);
      await h.fill(late.clientOrderId, 10, h.price);
      await eventually(() => filledQuantity(events, late.clientOrderId) === 10, 'filled');
      h.adapter.cancel(late.clientOrderId);
      await eventually(() => kindsOf(events, late.clientOrderId).includes('cancel_rejected'), 'refused');
      await h.settle();
      const refusal = events.find(
        (e) => e.kind === 'cancel_rejected' && e.clientOrderId === late.clientOrderId,
      );
      if (refusal?.kind !== 'cancel_rejected') throw new Error('no refusal');
      expect(describeReason(refusal.reason)).not.toBe(refusal.reason); // a code of the catalogue
      expect(kindsOf(events, late.clientOrderId)).not.toContain('canceled');
    });

    it('rejects with a catalogued reason and a message; the next order is accepted', async () => {
      const { h, events } = await start();
      await h.rejectNext('no trading permission for this contract');
      const refused = limit(h, 'buy', 10);
      h.adapter.submit(refused, h.instrument);
      await eventually(() => kindsOf(events, refused.clientOrderId).includes('rejected'), 'rejected');
      const rejection = events.find(
        (e) => e.kind === 'rejected' && e.clientOrderId === refused.clientOrderId,
      );
      if (rejection?.kind !== 'rejected') throw new Error('no rejection');
      expect(describeReason(rejection.reason)).not.toBe(rejection.reason); // a code of the catalogue
      expect(rejection.message.length).toBeGreaterThan(0);
      expect(kindsOf(events, refused.clientOrderId)).toEqual(['rejected']);
      expect((await h.adapter.openOrders()).some((r) => r.clientOrderId === refused.clientOrderId)).toBe(
        false,
      );

      const next = limit(h, 'buy', 10);
      await submitAccepted(h, events, next);
      expect(kindsOf(events, next.clientOrderId)).toEqual(['accepted']);
    });

    it('a disconnect mid-order is settled by query after reconnecting, and nothing is sent twice', async () => {
      const { h, events } = await start();
      const resting = limit(h, 'buy', 100);
      await submitAccepted(h, events, resting);
      const inFlight = limit(h, 'buy', 20);
      h.adapter.submit(inFlight, h.instrument);
      await h.dropConnection();
      expect(h.adapter.state).not.toBe('connected');

      // While the session is down: the venue keeps trading, and a new order never leaves.
      await h.fill(resting.clientOrderId, 100, h.price);
      const whileDown = limit(h, 'sell', 10);
      h.adapter.submit(whileDown, h.instrument);

      await h.restoreConnection();
      expect(h.adapter.state).toBe('connected');
      await eventually(async () => {
        const report = (await h.adapter.orders()).find((r) => r.clientOrderId === resting.clientOrderId);
        return report?.status === 'FILLED' && report.filledQuantity === 100;
      }, 'the fill made while disconnected is known');
      const fills = (await h.adapter.fills(0)).filter((f) => f.clientOrderId === resting.clientOrderId);
      expect(fills.reduce((sum, f) => sum + f.quantity, 0)).toBe(100);
      await h.settle();

      // Events told after the reconnect never repeat a fill.
      const told = fillsOf(events, resting.clientOrderId);
      expect(new Set(told.map((f) => f.tradeId)).size).toBe(told.length);
      expect(filledQuantity(events, resting.clientOrderId)).toBeLessThanOrEqual(100);

      expect(await h.received(resting.clientOrderId)).toBe(1);
      expect(await h.received(whileDown.clientOrderId)).toBe(0);
      expect(kindsOf(events, whileDown.clientOrderId).filter((k) => k !== 'rejected')).toEqual([]);

      // The order in flight at the drop reached the venue at most once, and the adapter knows iff it did.
      const reached = await h.received(inFlight.clientOrderId);
      expect(reached).toBeLessThanOrEqual(1);
      await eventually(
        async () =>
          (await h.adapter.orders()).some((r) => r.clientOrderId === inFlight.clientOrderId) ===
          (reached === 1),
        'the in-flight order is settled',
      );
      await h.settle();
      expect(await h.received(inFlight.clientOrderId)).toBe(reached);
      if (reached === 0) expect(kindsOf(events, inFlight.clientOrderId)).not.toContain('accepted');
    });

    it('reconciliation queries see an order placed outside the platform, its fills and the position', async () => {
      const { h } = await start();
      const external = await h.placeExternalOrder({ side: 'buy', quantity: 30, price: h.price });
      await eventually(
        async () => (await h.adapter.openOrders()).some((r) => r.clientOrderId === external),
        'the external order is reported open',
      );
      const report = (await h.adapter.openOrders()).find((r) => r.clientOrderId === external);
      expect(report).toMatchObject({
        instrumentId: h.instrument.id,
        side: 'buy',
        quantity: 30,
        filledQuantity: 0,
        price: h.price,
      });

      await h.fill(external, 30, h.price);
      await eventually(
        async () => (await h.adapter.fills(0)).some((f) => f.clientOrderId === external),
        'the external fill is reported',
      );
      const fill = (await h.adapter.fills(0)).find((f) => f.clientOrderId === external);
      if (!fill) throw new Error('no fill');
      expect(fill).toMatchObject({
        instrumentId: h.instrument.id,
        side: 'buy',
        quantity: 30,
        price: h.price,
      });
      expect((await h.adapter.fills(fill.tsEvent)).map((f) => f.tradeId)).toContain(fill.tradeId);
      expect((await h.adapter.fills(fill.tsEvent + 1)).map((f) => f.tradeId)).not.toContain(fill.tradeId);

      await eventually(
        async () => (await h.adapter.openOrders()).every((r) => r.clientOrderId !== external),
        'the filled external order is no longer open',
      );
      const position = (await h.adapter.positions()).find((p) => p.instrumentId === h.instrument.id);
      expect(position?.quantity).toBe(30);
      for (const balance of await h.adapter.balances()) {
        expect(balance.currency).toMatch(/^[A-Z]{3,4}$/);
        expect(Number.isFinite(balance.total)).toBe(true);
      }
    });
  });
}
