// Property tests: random market data and order flow keep the paper venue's invariants (fills within the
// order and its limit, consumed liquidity never reused, unique trade ids, one life per order, reports that
// agree with the events).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTerminal, type OrderType, type TimeInForce, type VenueEvent } from '../../model/index.ts';
import { AAPL, bar, book, makeHarness, order, quote, trade } from './fixtures.test-support.ts';

type Action =
  | { readonly kind: 'quote'; readonly mid: number; readonly bidSize: number; readonly askSize: number }
  | { readonly kind: 'book'; readonly mid: number; readonly sizes: readonly number[] }
  | { readonly kind: 'trade'; readonly offset: number; readonly size: number }
  | { readonly kind: 'bar'; readonly mid: number; readonly range: number; readonly volume: number }
  | {
      readonly kind: 'submit';
      readonly buy: boolean;
      readonly type: OrderType;
      readonly tif: TimeInForce;
      readonly quantity: number;
      readonly offset: number;
      readonly triggerOffset: number;
    }
  | { readonly kind: 'resubmit'; readonly pick: number }
  | { readonly kind: 'cancel'; readonly pick: number }
  | { readonly kind: 'modify'; readonly pick: number; readonly quantity: number; readonly offset: number }
  | { readonly kind: 'cancel_all' }
  | { readonly kind: 'wait'; readonly micros: number };

const cents = (ticks: number) => Math.round(ticks) / 100;

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constant('quote' as const),
    mid: fc.integer({ min: 9_990, max: 10_010 }),
    bidSize: fc.integer({ min: 0, max: 300 }),
    askSize: fc.integer({ min: 0, max: 300 }),
  }),
  fc.record({
    kind: fc.constant('book' as const),
    mid: fc.integer({ min: 9_990, max: 10_010 }),
    sizes: fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 2, maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant('trade' as const),
    offset: fc.integer({ min: -6, max: 6 }),
    size: fc.integer({ min: 1, max: 300 }),
  }),
  fc.record({
    kind: fc.constant('bar' as const),
    mid: fc.integer({ min: 9_990, max: 10_010 }),
    range: fc.integer({ min: 0, max: 8 }),
    volume: fc.integer({ min: 0, max: 5_000 }),
  }),
  fc.record({
    kind: fc.constant('submit' as const),
    buy: fc.boolean(),
    type: fc.constantFrom<OrderType>('market', 'limit', 'stop', 'stop_limit'),
    tif: fc.constantFrom<TimeInForce>('DAY', 'GTC', 'IOC', 'FOK'),
    quantity: fc.integer({ min: 1, max: 400 }),
    offset: fc.integer({ min: -6, max: 6 }),
    triggerOffset: fc.integer({ min: -6, max: 6 }),
  }),
  fc.record({ kind: fc.constant('resubmit' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('modify' as const),
    pick: fc.nat(),
    quantity: fc.integer({ min: 1, max: 400 }),
    offset: fc.integer({ min: -6, max: 6 }),
  }),
  fc.record({ kind: fc.constant('cancel_all' as const) }),
  fc.record({ kind: fc.constant('wait' as const), micros: fc.integer({ min: 1, max: 20_000_000_000 }) }),
);

interface Displayed {
  /** Displayed size per price (in cents) on each side at the latest refresh; undefined in bar mode. */
  bids: Map<number, number>;
  asks: Map<number, number>;
  /** Taker quantity filled per price since that refresh. */
  takenBids: Map<number, number>;
  takenAsks: Map<number, number>;
}

async function runScenario(
  actions: readonly Action[],
  latencyMicros: number,
  barCap: boolean,
): Promise<void> {
  const h = makeHarness(
    {
      fees: { makerBps: -1, takerBps: 2, perUnit: 0.001, minimum: 0.5 },
      latency: { baseMicros: latencyMicros },
    },
    barCap ? { maxBarVolumeFraction: 0.2 } : {},
  );
  let displayed: Displayed | undefined;
  let mid = 100;
  const sent: ReturnType<typeof order>[] = [];
  const limits = new Map<string, { side: string; price: number | undefined }>();
  const violations: string[] = [];
  const all: VenueEvent[] = [];
  h.adapter.onEvent((e) => {
    all.push(e);
    if (e.kind === 'modified') {
      const known = limits.get(e.clientOrderId);
      if (known) known.price = e.price;
    }
    if (e.kind !== 'fill') return;
    if (!(e.quantity > 0)) violations.push(`non-positive fill ${e.tradeId}`);
    const limit = limits.get(e.clientOrderId);
    if (limit?.price !== undefined) {
      if (e.side === 'buy' ? e.price > limit.price + 1e-9 : e.price < limit.price - 1e-9)
        violations.push(`fill ${e.tradeId} at ${e.price} beyond limit ${limit.price}`);
    }
    if (displayed && e.liquidity === 'taker') {
      const key = Math.round(e.price * 100);
      const taken = e.side === 'buy' ? displayed.takenAsks : displayed.takenBids;
      const shown = (e.side === 'buy' ? displayed.asks : displayed.bids).get(key) ?? 0;
      const total = (taken.get(key) ?? 0) + e.quantity;
      taken.set(key, total);
      if (total > shown + 1e-9) violations.push(`took ${total} at ${e.price} where ${shown} was shown`);
    }
  });

  const refresh = (bids: [number, number][], asks: [number, number][]) => {
    displayed = {
      bids: new Map(bids.map(([p, s]) => [Math.round(p * 100), s])),
      asks: new Map(asks.map(([p, s]) => [Math.round(p * 100), s])),
      takenBids: new Map(),
      takenAsks: new Map(),
    };
  };

  for (const a of actions) {
    switch (a.kind) {
      case 'quote': {
        mid = cents(a.mid);
        const bid = cents(a.mid - 1);
        const ask = cents(a.mid + 1);
        refresh(a.bidSize > 0 ? [[bid, a.bidSize]] : [], a.askSize > 0 ? [[ask, a.askSize]] : []);
        h.adapter.onMarketData(quote(bid, a.bidSize, ask, a.askSize));
        break;
      }
      case 'book': {
        mid = cents(a.mid);
        const half = Math.ceil(a.sizes.length / 2);
        const bids = a.sizes.slice(0, half).map((s, i): [number, number] => [cents(a.mid - 1 - i), s]);
        const asks = a.sizes.slice(half).map((s, i): [number, number] => [cents(a.mid + 1 + i), s]);
        refresh(bids, asks);
        h.adapter.onMarketData(book(bids, asks));
        break;
      }
      case 'trade':
        h.adapter.onMarketData(trade(cents(mid * 100 + a.offset), a.size));
        break;
      case 'bar': {
        displayed = undefined;
        const open = cents(a.mid);
        mid = open;
        h.adapter.onMarketData(
          bar(open, cents(a.mid + a.range), cents(a.mid - a.range), cents(a.mid + a.range / 2), a.volume),
        );
        break;
      }
      case 'submit': {
        const price = cents(mid * 100 + a.offset);
        const o = order({
          side: a.buy ? 'buy' : 'sell',
          type: a.type,
          timeInForce: a.tif,
          quantity: a.quantity,
          price,
          triggerPrice: cents(mid * 100 + a.triggerOffset),
        });
        sent.push(o);
        limits.set(o.clientOrderId, {
          side: o.side,
          price: a.type === 'limit' || a.type === 'stop_limit' ? price : undefined,
        });
        h.adapter.submit(o, h.aapl);
        break;
      }
      case 'resubmit': {
        const o = sent[a.pick % Math.max(1, sent.length)];
        if (o) h.adapter.submit({ ...o, quantity: o.quantity + 1 }, h.aapl);
        break;
      }
      case 'cancel': {
        const o = sent[a.pick % Math.max(1, sent.length)];
        if (o) h.adapter.cancel(o.clientOrderId);
        break;
      }
      case 'modify': {
        const o = sent[a.pick % Math.max(1, sent.length)];
        if (o)
          h.adapter.modify(o.clientOrderId, { quantity: a.quantity, price: cents(mid * 100 + a.offset) });
        break;
      }
      case 'cancel_all':
        h.adapter.cancelAll('VENUE_KILL_SWITCH');
        break;
      case 'wait':
        h.tick(a.micros);
        break;
    }
  }
  h.tick(1_000_000); // everything in flight arrives

  expect(violations).toEqual([]);
  expect(h.adapter.handlerErrors).toBe(0);

  // Unique trade ids; at most one acceptance per client order id; one life per order.
  const fills = all.filter((e): e is Extract<VenueEvent, { kind: 'fill' }> => e.kind === 'fill');
  expect(new Set(fills.map((f) => f.tradeId)).size).toBe(fills.length);
  const byOrder = new Map<string, VenueEvent[]>();
  for (const e of all) byOrder.set(e.clientOrderId, [...(byOrder.get(e.clientOrderId) ?? []), e]);
  for (const [id, events] of byOrder) {
    const life = events.filter((e) => e.kind !== 'cancel_rejected' && e.kind !== 'modify_rejected');
    if (life.length === 0) continue;
    expect(['accepted', 'rejected'], id).toContain(life[0]!.kind);
    expect(
      life.filter((e) => e.kind === 'accepted' || e.kind === 'rejected'),
      id,
    ).toHaveLength(1);
    const ends = life.filter((e) => e.kind === 'canceled' || e.kind === 'expired' || e.kind === 'rejected');
    expect(ends.length, id).toBeLessThanOrEqual(1);
    if (ends[0]) expect(life.at(-1), id).toBe(ends[0]);
  }

  // Reports agree with the events.
  const [orders, open, reportedFills, positions, balances] = await Promise.all([
    h.adapter.orders(),
    h.adapter.openOrders(),
    h.adapter.fills(0),
    h.adapter.positions(),
    h.adapter.balances(),
  ]);
  {
    expect(orders).toHaveLength(all.filter((e) => e.kind === 'accepted').length);
    for (const o of orders) {
      const filled = fills
        .filter((f) => f.clientOrderId === o.clientOrderId)
        .reduce((s, f) => s + f.quantity, 0);
      expect(o.filledQuantity).toBeCloseTo(filled, 9);
      expect(o.filledQuantity).toBeLessThanOrEqual(o.quantity);
      if (o.status === 'FILLED') expect(o.filledQuantity).toBe(o.quantity);
    }
    expect(open.map((o) => o.clientOrderId)).toEqual(
      orders.filter((o) => !isTerminal(o.status)).map((o) => o.clientOrderId),
    );
    expect(open).toHaveLength(h.adapter.openOrderCount);
    expect(reportedFills.map((f) => f.tradeId)).toEqual(fills.map((f) => f.tradeId));
    const net = fills.reduce((s, f) => s + (f.side === 'buy' ? f.quantity : -f.quantity), 0);
    expect(positions).toEqual(net === 0 ? [] : [{ venue: 'PAPER', instrumentId: AAPL, quantity: net }]);
    const cash = fills.reduce(
      (s, f) => s - (f.side === 'buy' ? 1 : -1) * f.quantity * f.price - f.fee,
      1_000_000,
    );
    expect(balances[0]!.total).toBeCloseTo(cash, 4);
  }
}

describe('paper venue invariants (property)', () => {
  it('hold for random flows with synchronous requests', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 80 }), fc.boolean(), (actions, cap) =>
        runScenario(actions, 0, cap),
      ),
      { numRuns: 300 },
    );
  });

  it('hold for random flows with latency', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 80 }), fc.boolean(), (actions, cap) =>
        runScenario(actions, 5_000, cap),
      ),
      { numRuns: 200 },
    );
  });
});
