// The durable paper venue: a venue restored from its journal (the real store, PGlite in memory) has the same
// orders, fills, positions and cash, keeps matching its resting orders, never reuses an id, and (write-ahead)
// tells nothing before it is durable.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { VenueEvent, VenueId } from '../../model/index.ts';
import { PgliteStore } from '../../store/pglite.ts';
import { PaperVenueAdapter } from './adapter.ts';
import { VENUE, book, makeHarness, order, quote, trade, type Harness } from './fixtures.test-support.ts';
import type { PaperVenueDurability, PaperVenueJournal, PaperVenueRecord } from './journal.ts';

let store: PgliteStore;

beforeAll(async () => {
  store = await PgliteStore.open();
});

afterAll(async () => {
  await store?.close();
});

beforeEach(async () => {
  await store.db.exec('TRUNCATE paper_venue_journal');
});

/** A second adapter on the same registry, clock and journal: the venue after a restart of its process. */
function restartedVenue(
  h: Harness,
  journal: PaperVenueJournal,
  durability: PaperVenueDurability = 'write-ahead',
): { adapter: PaperVenueAdapter; events: VenueEvent[] } {
  const adapter = new PaperVenueAdapter({
    venue: VENUE,
    config: h.registry.venues.get(VENUE)!,
    clock: h.clock,
    seed: 7,
    instruments: [...h.registry.instruments.values()],
    journal,
    durability,
  });
  const events: VenueEvent[] = [];
  adapter.onEvent((e) => events.push(e));
  return { adapter, events };
}

async function views(adapter: PaperVenueAdapter): Promise<unknown[]> {
  return [
    await adapter.orders(),
    await adapter.openOrders(),
    await adapter.fills(0),
    await adapter.positions(),
    await adapter.balances(),
  ];
}

/** A journaled venue (fresh harness state, then a journal-backed adapter replacing the harness's). */
async function journaledVenue(durability: PaperVenueDurability): Promise<{
  h: Harness;
  adapter: PaperVenueAdapter;
  events: VenueEvent[];
}> {
  const h = makeHarness({ fees: { makerBps: -0.2, takerBps: 0.5 } });
  const { adapter, events } = restartedVenue(h, store, durability);
  await adapter.connect();
  return { h, adapter, events };
}

/** Trades a little of everything: fills (taker and maker, partial), a resting limit, a stop, a modify, a cancel, rejects. */
async function tradeADay(h: Harness, adapter: PaperVenueAdapter): Promise<void> {
  adapter.onMarketData(quote(99.9, 1_000, 100.0, 300));
  adapter.submit(order({ id: 'mkt', quantity: 120 }), h.aapl);
  h.tick();
  adapter.submit(order({ id: 'rest', side: 'buy', type: 'limit', price: 99.5, quantity: 200 }), h.aapl);
  adapter.submit(order({ id: 'stop', side: 'sell', type: 'stop', triggerPrice: 95, quantity: 10 }), h.aapl);
  adapter.submit(order({ id: 'gone', side: 'sell', type: 'limit', price: 101, quantity: 5 }), h.aapl);
  adapter.modify(order({ id: 'gone' }).clientOrderId, { price: 102 });
  adapter.cancel(order({ id: 'gone' }).clientOrderId);
  adapter.submit(order({ id: 'bad', quantity: -1 }), h.aapl);
  h.tick();
  // A print through 99.5 fills the resting bid partly (maker): 200 ahead at the level is not displayed.
  adapter.onMarketData(quote(99.4, 500, 99.6, 300));
  adapter.onMarketData(trade(99.5, 80));
  h.tick();
  adapter.onMarketData(quote(99.5, 100, 99.6, 300));
  await adapter.flush();
}

describe('PaperVenueAdapter with a journal', () => {
  it('restores orders, fills, positions and cash, continues matching the resting order, reuses no id', async () => {
    const { h, adapter: first, events } = await journaledVenue('write-ahead');
    await tradeADay(h, first);
    const before = await views(first);
    const rest = (await first.openOrders()).find((o) => o.clientOrderId === 'rest')!;
    expect(rest.filledQuantity).toBeGreaterThan(0);
    expect(rest.filledQuantity).toBeLessThan(200);
    expect((await first.openOrders()).map((o) => o.clientOrderId).sort()).toEqual(['rest', 'stop']);
    const tradeIds = new Set((await first.fills(0)).map((f) => f.tradeId));
    const orderIds = new Set((await first.orders()).map((o) => o.venueOrderId));

    // The process dies: a new adapter on the same journal.
    const { adapter: second, events: told } = restartedVenue(h, store);
    expect(await views(second)).toEqual([
      [],
      [],
      [],
      [],
      [{ venue: VENUE, currency: 'USD', total: 1_000_000 }],
    ]);
    await second.connect();
    expect(await views(second)).toEqual(before);
    expect(second.openOrderCount).toBe(2);

    // It keeps matching the restored bid: the ask comes down to it.
    h.tick();
    second.onMarketData(quote(99.4, 100, 99.5, 1_000));
    second.submit(order({ id: 'next', quantity: 1 }), h.aapl);
    await second.flush();
    const fills = told.filter((e): e is Extract<VenueEvent, { kind: 'fill' }> => e.kind === 'fill');
    const restFills = fills.filter((f) => f.clientOrderId === 'rest');
    expect(restFills.reduce((sum, f) => sum + f.quantity, 0)).toBe(200 - rest.filledQuantity);
    expect((await second.openOrders()).map((o) => o.clientOrderId)).toEqual(['stop']);
    // Trade ids and venue order ids continue after the restored ones.
    expect(fills.length).toBeGreaterThan(0);
    for (const f of fills) expect(tradeIds.has(f.tradeId), f.tradeId).toBe(false);
    const next = told.find((e) => e.kind === 'accepted' && e.clientOrderId === 'next');
    expect(next?.kind === 'accepted' && orderIds.has(next.venueOrderId)).toBe(false);
    expect(next?.kind === 'accepted' ? next.venueOrderId : '').toBe(`${VENUE}-${orderIds.size + 1}`);
    // A resubmitted client order id the venue already had is ignored, as before the restart.
    second.submit(order({ id: 'mkt', quantity: 1 }), h.aapl);
    await second.flush();
    expect(told.filter((e) => e.clientOrderId === 'mkt')).toEqual([]);

    // A third life restores everything the second one did too.
    const snapshot = await views(second);
    const { adapter: third } = restartedVenue(h, store);
    await third.connect();
    expect(await views(third)).toEqual(snapshot);
    expect(events.filter((e) => e.kind === 'fill').length).toBe(tradeIds.size);
  });

  it('restores a resting bid at the back of its level: the size shown there trades first', async () => {
    const { h, adapter: first } = await journaledVenue('write-ahead');
    first.onMarketData(quote(99.0, 100, 99.2, 100));
    first.submit(order({ id: 'bid', type: 'limit', price: 98.9, quantity: 10 }), h.aapl);
    await first.flush();
    const { adapter: second, events } = restartedVenue(h, store);
    await second.connect();
    second.onMarketData(
      book(
        [
          [99.0, 100],
          [98.9, 300],
        ],
        [[99.2, 100]],
      ),
    );
    second.onMarketData(trade(98.9, 300));
    await second.flush();
    expect(events.filter((e) => e.kind === 'fill')).toEqual([]);
    second.onMarketData(trade(98.9, 4));
    await second.flush();
    expect(events.filter((e) => e.kind === 'fill').map((e) => (e.kind === 'fill' ? e.quantity : 0))).toEqual([
      4,
    ]);
  });

  it('write-ahead: tells nothing until durable, then everything in order; replays the restored records', async () => {
    const { h, adapter, events } = await journaledVenue('write-ahead');
    adapter.onMarketData(quote(99.9, 1_000, 100.0, 300));
    adapter.submit(order({ id: 'a', quantity: 10 }), h.aapl);
    adapter.submit(order({ id: 'b', type: 'limit', price: 99, quantity: 10 }), h.aapl);
    expect(events).toEqual([]);
    expect(adapter.journalPending).toBe(3);
    await adapter.flush();
    expect(events.map((e) => [e.kind, e.clientOrderId])).toEqual([
      ['accepted', 'a'],
      ['fill', 'a'],
      ['accepted', 'b'],
    ]);
    expect(adapter.journalPending).toBe(0);

    const { adapter: second, events: replayed } = restartedVenue(h, store);
    await second.connect();
    expect(second.restoredRecords().map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(second.replayRestored((id) => id === 'a')).toBe(2);
    expect(replayed).toEqual(events.slice(0, 2));
    expect(second.replayRestored()).toBe(0);
  });

  it('write-behind: tells at once and writes the same records in the same order', async () => {
    const { h, adapter, events } = await journaledVenue('write-behind');
    adapter.onMarketData(quote(99.9, 1_000, 100.0, 300));
    adapter.submit(order({ id: 'a', quantity: 10 }), h.aapl);
    expect(events.map((e) => e.kind)).toEqual(['accepted', 'fill']);
    await adapter.flush();
    expect((await store.loadPaperVenueRecords(VENUE)).map((r) => r.event)).toEqual(events);
  });

  it('keeps records and held events through a failed write and delivers them on the retry', async () => {
    let failNext = true;
    const flaky: PaperVenueJournal = {
      appendPaperVenueRecords: (venue: VenueId, records: readonly PaperVenueRecord[]) => {
        if (failNext) {
          failNext = false;
          return Promise.reject(new Error('database unreachable'));
        }
        return store.appendPaperVenueRecords(venue, records);
      },
      loadPaperVenueRecords: (venue: VenueId) => store.loadPaperVenueRecords(venue),
    };
    const h = makeHarness();
    const { adapter, events } = restartedVenue(h, flaky);
    await adapter.connect();
    adapter.onMarketData(quote(99.9, 1_000, 100.0, 300));
    adapter.submit(order({ id: 'a', quantity: 10 }), h.aapl);
    await expect(adapter.flush()).rejects.toThrowError(/unreachable/);
    expect(events).toEqual([]);
    expect(adapter.journalPending).toBe(2);
    // The retry timer (on the venue's clock) writes them; then they are told.
    h.clock.advanceTo(h.clock.now() + 1_000_001);
    await adapter.flush();
    expect(events.map((e) => e.kind)).toEqual(['accepted', 'fill']);
    expect((await store.loadPaperVenueRecords(VENUE)).map((r) => r.seq)).toEqual([1, 2]);
  });
});
