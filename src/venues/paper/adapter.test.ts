// Paper venue behaviour through the adapter: book and bar matching, queue position, stops, TIF, latency,
// determinism, cancel / modify, idempotency, reconciliation reports, cancel-all and disconnection.

import { describe, expect, it } from 'vitest';
import { LiveClock } from '../../common/clock.ts';
import { ConfigError } from '../../common/errors.ts';
import type { VenueEvent } from '../../model/index.ts';
import { PaperVenueAdapter } from './adapter.ts';
import {
  AAPL,
  T0,
  bar,
  book,
  fillsOf,
  kinds,
  makeHarness,
  makeRegistry,
  VENUE,
  ofKind,
  order,
  quote,
  trade,
} from './fixtures.test-support.ts';

describe('market orders against a book', () => {
  it('is accepted, then filled at the ask of an L1 quote (taker)', () => {
    const h = makeHarness();
    h.adapter.onMarketData(quote(99.99, 500, 100.01, 300));
    const o = order({ side: 'buy', quantity: 200 });
    h.adapter.submit(o, h.aapl);
    expect(kinds(h.events, o.clientOrderId)).toEqual(['accepted', 'fill']);
    expect(fillsOf(h.events, o.clientOrderId)).toEqual([[200, 100.01, 'taker']]);
    const accepted = ofKind(h.events, 'accepted', o.clientOrderId)[0]!;
    expect(accepted.venueOrderId).toBe('PAPER-1');
    expect(ofKind(h.events, 'fill')[0]!.tradeId).toBe('PAPER-T1');
  });

  it('sells into the bid', () => {
    const h = makeHarness();
    h.adapter.onMarketData(quote(99.99, 500, 100.01, 300));
    const o = order({ side: 'sell', quantity: 120 });
    h.adapter.submit(o, h.aapl);
    expect(fillsOf(h.events, o.clientOrderId)).toEqual([[120, 99.99, 'taker']]);
  });

  it('walks L2 levels with partial fills and cancels what the book cannot cover', () => {
    const h = makeHarness();
    const asks = [
      [100.01, 100],
      [100.02, 150],
      [100.05, 200],
    ] as const;
    h.adapter.onMarketData(book([[100, 500]], asks));
    const o = order({ side: 'buy', quantity: 600 });
    h.adapter.submit(o, h.aapl);
    const expected = asks.map(([price, size]) => [size, price, 'taker']);
    expect(fillsOf(h.events, o.clientOrderId)).toEqual(expected);
    const covered = asks.reduce((sum, [, size]) => sum + size, 0);
    expect(covered).toBeLessThan(600);
    expect(kinds(h.events, o.clientOrderId)).toEqual(['accepted', 'fill', 'fill', 'fill', 'canceled']);
    expect(ofKind(h.events, 'canceled', o.clientOrderId)[0]!.reason).toBe('VENUE_NO_LIQUIDITY');
  });

  it('stops at the level that completes the order', () => {
    const h = makeHarness();
    h.adapter.onMarketData(
      book(
        [[100, 500]],
        [
          [100.01, 100],
          [100.02, 150],
          [100.05, 200],
        ],
      ),
    );
    const o = order({ side: 'buy', quantity: 180 });
    h.adapter.submit(o, h.aapl);
    expect(fillsOf(h.events, o.clientOrderId)).toEqual([
      [100, 100.01, 'taker'],
      [180 - 100, 100.02, 'taker'],
    ]);
  });

  it('does not reuse liquidity its own fills consumed until the book is refreshed', () => {
    const h = makeHarness();
    h.adapter.onMarketData(
      book(
        [[100, 500]],
        [
          [100.01, 100],
          [100.02, 150],
        ],
      ),
    );
    const first = order({ side: 'buy', quantity: 60 });
    const second = order({ side: 'buy', quantity: 100 });
    h.adapter.submit(first, h.aapl);
    h.adapter.submit(second, h.aapl);
    // 100 displayed at 100.01: the first took 60, so 40 are left there; the rest comes from 100.02.
    expect(fillsOf(h.events, second.clientOrderId)).toEqual([
      [100 - 60, 100.01, 'taker'],
      [100 - (100 - 60), 100.02, 'taker'],
    ]);
    const third = order({ side: 'buy', quantity: 200 });
    h.adapter.submit(third, h.aapl);
    // 150 at 100.02 minus the 60 the second took.
    expect(fillsOf(h.events, third.clientOrderId)).toEqual([[150 - 60, 100.02, 'taker']]);
    // An exhausted L1 quote rejects the next market order outright.
    h.adapter.onMarketData(quote(100, 500, 100.01, 50));
    h.adapter.submit(order({ id: 'eat', quantity: 50 }), h.aapl);
    const starved = order({ side: 'buy', quantity: 1 });
    h.adapter.submit(starved, h.aapl);
    expect(kinds(h.events, starved.clientOrderId)).toEqual(['rejected']);
    // A new quote refreshes the level.
    h.adapter.onMarketData(quote(100, 500, 100.01, 50));
    const fresh = order({ side: 'buy', quantity: 50 });
    h.adapter.submit(fresh, h.aapl);
    expect(fillsOf(h.events, fresh.clientOrderId)).toEqual([[50, 100.01, 'taker']]);
  });

  it('rejects a market order with no liquidity at all (no data, or an empty side)', () => {
    const h = makeHarness();
    const early = order({ side: 'buy' });
    h.adapter.submit(early, h.aapl);
    expect(ofKind(h.events, 'rejected', early.clientOrderId)[0]!.reason).toBe('VENUE_NO_LIQUIDITY');
    h.adapter.onMarketData(book([[100, 10]], []));
    const noAsks = order({ side: 'buy' });
    h.adapter.submit(noAsks, h.aapl);
    expect(kinds(h.events, noAsks.clientOrderId)).toEqual(['rejected']);
    expect(ofKind(h.events, 'rejected', noAsks.clientOrderId)[0]!.reason).toBe('VENUE_NO_LIQUIDITY');
    expect(h.adapter.openOrderCount).toBe(0);
  });
});

describe('limit orders and queue position', () => {
  it('takes marketable liquidity up to its limit, then rests the remainder', () => {
    const h = makeHarness();
    h.adapter.onMarketData(
      book(
        [[100, 500]],
        [
          [100.01, 100],
          [100.02, 150],
          [100.03, 100],
        ],
      ),
    );
    const o = order({ side: 'buy', type: 'limit', price: 100.02, quantity: 300 });
    h.adapter.submit(o, h.aapl);
    expect(fillsOf(h.events, o.clientOrderId)).toEqual([
      [100, 100.01, 'taker'],
      [150, 100.02, 'taker'],
    ]);
    expect(h.adapter.openOrderCount).toBe(1);
    // The opposite side later comes through its price: the rest fills as maker at its own price.
    h.adapter.onMarketData(book([[100, 500]], [[100.0, 400]]));
    expect(fillsOf(h.events, o.clientOrderId).slice(2)).toEqual([[300 - 250, 100.02, 'maker']]);
    expect(h.adapter.openOrderCount).toBe(0);
  });

  it('fills only after the displayed queue ahead has traded away', () => {
    const h = makeHarness();
    const queue = 300;
    h.adapter.onMarketData(book([[100, queue]], [[100.01, 200]]));
    const o = order({ side: 'buy', type: 'limit', price: 100, quantity: 50 });
    h.adapter.submit(o, h.aapl);
    expect(kinds(h.events, o.clientOrderId)).toEqual(['accepted']);
    h.adapter.onMarketData(trade(100, 200));
    expect(fillsOf(h.events, o.clientOrderId)).toEqual([]); // 100 still ahead
    h.adapter.onMarketData(trade(100, 120));
    // 300 − 200 = 100 ahead; this print of 120 reaches us with 20.
    expect(fillsOf(h.events, o.clientOrderId)).toEqual([[120 - (queue - 200), 100, 'maker']]);
    h.adapter.onMarketData(trade(100, 40));
    expect(fillsOf(h.events, o.clientOrderId)).toEqual([
      [20, 100, 'maker'],
      [30, 100, 'maker'],
    ]);
    expect(kinds(h.events, o.clientOrderId).at(-1)).toBe('fill');
  });

  it('moves up when displayed size at its level drops, without counting prints twice', () => {
    const h = makeHarness();
    h.adapter.onMarketData(book([[100, 300]], [[100.01, 200]]));
    const o = order({ side: 'buy', type: 'limit', price: 100, quantity: 50 });
    h.adapter.submit(o, h.aapl);
    // A print of 100 at our price, then the book shows the level down by 150: 100 of that is the print,
    // 50 are cancellations ahead of us. Queue: 300 − 100 − 50 = 150.
    h.adapter.onMarketData(trade(100, 100));
    h.adapter.onMarketData(book([[100, 150]], [[100.01, 200]]));
    h.adapter.onMarketData(trade(100, 149));
    expect(fillsOf(h.events, o.clientOrderId)).toEqual([]);
    h.adapter.onMarketData(trade(100, 11));
    expect(fillsOf(h.events, o.clientOrderId)).toEqual([[11 - 1, 100, 'maker']]);
  });

  it('caps the queue at the displayed size (queue ahead can only be in the book)', () => {
    const h = makeHarness();
    h.adapter.onMarketData(quote(100, 1000, 100.01, 200));
    const o = order({ side: 'buy', type: 'limit', price: 100, quantity: 10 });
    h.adapter.submit(o, h.aapl);
    h.adapter.onMarketData(quote(100, 30, 100.01, 200));
    h.adapter.onMarketData(trade(100, 35));
    expect(fillsOf(h.events, o.clientOrderId)).toEqual([[35 - 30, 100, 'maker']]);
  });

  it('fills in full on a print through its price', () => {
    const h = makeHarness();
    h.adapter.onMarketData(book([[100, 5000]], [[100.01, 200]]));
    const o = order({ side: 'buy', type: 'limit', price: 100, quantity: 70 });
    h.adapter.submit(o, h.aapl);
    h.adapter.onMarketData(trade(99.99, 1));
    expect(fillsOf(h.events, o.clientOrderId)).toEqual([[70, 100, 'maker']]);
  });

  it('keeps time priority among its own orders at one price', () => {
    const h = makeHarness();
    h.adapter.onMarketData(quote(99.99, 100, 100.01, 100));
    // 100.00 is better than the best bid: nothing displayed ahead of either order.
    const a = order({ side: 'buy', type: 'limit', price: 100, quantity: 10 });
    const b = order({ side: 'buy', type: 'limit', price: 100, quantity: 10 });
    h.adapter.submit(a, h.aapl);
    h.adapter.submit(b, h.aapl);
    h.adapter.onMarketData(trade(100, 15));
    expect(fillsOf(h.events, a.clientOrderId)).toEqual([[10, 100, 'maker']]);
    expect(fillsOf(h.events, b.clientOrderId)).toEqual([[15 - 10, 100, 'maker']]);
  });

  it('a sell limit rests above and fills from prints at its price', () => {
    const h = makeHarness();
    h.adapter.onMarketData(quote(99.99, 100, 100.01, 40));
    const o = order({ side: 'sell', type: 'limit', price: 100.01, quantity: 25 });
    h.adapter.submit(o, h.aapl);
    h.adapter.onMarketData(trade(100.01, 50));
    expect(fillsOf(h.events, o.clientOrderId)).toEqual([[50 - 40, 100.01, 'maker']]);
  });
});

describe('stops', () => {
  it('a buy stop triggers when the ask reaches the trigger, then fills as a market order', () => {
    const h = makeHarness();
    h.adapter.onMarketData(quote(99.99, 100, 100, 100));
    const o = order({ side: 'buy', type: 'stop', triggerPrice: 101, quantity: 50 });
    h.adapter.submit(o, h.aapl);
    h.adapter.onMarketData(quote(100.5, 100, 100.99, 100));
    expect(kinds(h.events, o.clientOrderId)).toEqual(['accepted']);
    h.adapter.onMarketData(quote(101, 100, 101.02, 100));
    expect(kinds(h.events, o.clientOrderId)).toEqual(['accepted', 'triggered', 'fill']);
    expect(fillsOf(h.events, o.clientOrderId)).toEqual([[50, 101.02, 'taker']]);
  });

  it('a sell stop triggers on a print at or below the trigger', () => {
    const h = makeHarness();
    h.adapter.onMarketData(quote(100, 100, 100.01, 100));
    const o = order({ side: 'sell', type: 'stop', triggerPrice: 99.5, quantity: 30 });
    h.adapter.submit(o, h.aapl);
    h.adapter.onMarketData(trade(99.6, 10));
    expect(kinds(h.events, o.clientOrderId)).toEqual(['accepted']);
    h.adapter.onMarketData(trade(99.5, 10));
    expect(kinds(h.events, o.clientOrderId)).toEqual(['accepted', 'triggered', 'fill']);
    expect(fillsOf(h.events, o.clientOrderId)).toEqual([[30, 100, 'taker']]); // the book's bid
  });

  it('a stop-limit triggers, rests when not marketable, and fills at its limit when crossed', () => {
    const h = makeHarness();
    h.adapter.onMarketData(quote(99.99, 100, 100, 100));
    const o = order({ side: 'buy', type: 'stop_limit', triggerPrice: 101, price: 101.5, quantity: 40 });
    h.adapter.submit(o, h.aapl);
    h.adapter.onMarketData(quote(101.8, 100, 102, 100));
    expect(kinds(h.events, o.clientOrderId)).toEqual(['accepted', 'triggered']);
    h.adapter.onMarketData(quote(101.2, 100, 101.4, 100));
    expect(fillsOf(h.events, o.clientOrderId)).toEqual([[40, 101.5, 'maker']]);
  });

  it('a marketable stop-limit takes liquidity within its limit on trigger', () => {
    const h = makeHarness();
    h.adapter.onMarketData(quote(99.99, 100, 100, 100));
    const o = order({ side: 'buy', type: 'stop_limit', triggerPrice: 101, price: 101.5, quantity: 40 });
    h.adapter.submit(o, h.aapl);
    h.adapter.onMarketData(quote(101, 100, 101.1, 100));
    expect(fillsOf(h.events, o.clientOrderId)).toEqual([[40, 101.1, 'taker']]);
  });

  it('triggers at once when the market is already through the trigger', () => {
    const h = makeHarness();
    h.adapter.onMarketData(quote(101.99, 100, 102, 100));
    const o = order({ side: 'buy', type: 'stop', triggerPrice: 101, quantity: 10 });
    h.adapter.submit(o, h.aapl);
    expect(kinds(h.events, o.clientOrderId)).toEqual(['accepted', 'triggered', 'fill']);
  });
});

describe('time in force', () => {
  it('IOC fills what is available and cancels the rest', () => {
    const h = makeHarness();
    h.adapter.onMarketData(
      book(
        [[100, 500]],
        [
          [100.01, 100],
          [100.02, 150],
          [100.1, 1000],
        ],
      ),
    );
    const o = order({ side: 'buy', type: 'limit', price: 100.02, quantity: 400, timeInForce: 'IOC' });
    h.adapter.submit(o, h.aapl);
    expect(fillsOf(h.events, o.clientOrderId)).toEqual([
      [100, 100.01, 'taker'],
      [150, 100.02, 'taker'],
    ]);
    expect(kinds(h.events, o.clientOrderId).at(-1)).toBe('canceled');
    expect(ofKind(h.events, 'canceled', o.clientOrderId)[0]!.reason).toBe('VENUE_IOC_REMAINDER');
    expect(h.adapter.openOrderCount).toBe(0);
  });

  it('IOC with nothing marketable is canceled at once', () => {
    const h = makeHarness();
    h.adapter.onMarketData(quote(99.99, 100, 100.01, 100));
    const o = order({ side: 'buy', type: 'limit', price: 100, quantity: 10, timeInForce: 'IOC' });
    h.adapter.submit(o, h.aapl);
    expect(kinds(h.events, o.clientOrderId)).toEqual(['accepted', 'canceled']);
  });

  it('FOK is all or nothing', () => {
    const h = makeHarness();
    h.adapter.onMarketData(
      book(
        [[100, 500]],
        [
          [100.01, 100],
          [100.02, 150],
        ],
      ),
    );
    const tooBig = order({ side: 'buy', type: 'limit', price: 100.02, quantity: 251, timeInForce: 'FOK' });
    h.adapter.submit(tooBig, h.aapl);
    expect(kinds(h.events, tooBig.clientOrderId)).toEqual(['accepted', 'canceled']);
    expect(ofKind(h.events, 'canceled', tooBig.clientOrderId)[0]!.reason).toBe('VENUE_FOK_UNFILLABLE');
    const fits = order({ side: 'buy', type: 'limit', price: 100.02, quantity: 250, timeInForce: 'FOK' });
    h.adapter.submit(fits, h.aapl);
    expect(fillsOf(h.events, fits.clientOrderId)).toEqual([
      [100, 100.01, 'taker'],
      [150, 100.02, 'taker'],
    ]);
    h.adapter.onMarketData(quote(100, 10, 100.01, 10));
    const market = order({ side: 'buy', type: 'market', quantity: 11, timeInForce: 'FOK' });
    h.adapter.submit(market, h.aapl);
    expect(kinds(h.events, market.clientOrderId)).toEqual(['accepted', 'canceled']);
  });

  it('DAY orders expire on the next trading day; GTC orders stay', () => {
    const h = makeHarness();
    h.adapter.onMarketData(quote(99, 100, 101, 100));
    const day = order({ side: 'buy', type: 'limit', price: 95, quantity: 10, timeInForce: 'DAY' });
    const gtc = order({ side: 'buy', type: 'limit', price: 95, quantity: 10, timeInForce: 'GTC' });
    h.adapter.submit(day, h.aapl);
    h.adapter.submit(gtc, h.aapl);
    h.tick(60_000_000);
    h.adapter.onMarketData(quote(99, 100, 101, 100));
    expect(kinds(h.events, day.clientOrderId)).toEqual(['accepted']);
    h.clock.advanceTo(T0 + 86_400_000_000);
    h.adapter.onMarketData(quote(99, 100, 101, 100));
    expect(kinds(h.events, day.clientOrderId)).toEqual(['accepted', 'expired']);
    expect(kinds(h.events, gtc.clientOrderId)).toEqual(['accepted']);
  });

  it('on daily bars a DAY order meets the next bar, then expires', () => {
    const h = makeHarness();
    h.adapter.onMarketData(bar(100, 101, 99, 100, 1e6, '1d'));
    const o = order({ side: 'buy', type: 'limit', price: 90, quantity: 10, timeInForce: 'DAY' });
    const filled = order({ side: 'buy', type: 'limit', price: 98, quantity: 10, timeInForce: 'DAY' });
    h.adapter.submit(o, h.aapl);
    h.adapter.submit(filled, h.aapl);
    h.clock.advanceTo(T0 + 86_400_000_000);
    h.adapter.onMarketData(bar(100, 101, 97, 100, 1e6, '1d'));
    expect(fillsOf(h.events, filled.clientOrderId)).toEqual([[10, 98, 'maker']]);
    expect(kinds(h.events, o.clientOrderId)).toEqual(['accepted']);
    h.clock.advanceTo(T0 + 2 * 86_400_000_000);
    h.adapter.onMarketData(bar(100, 101, 85, 100, 1e6, '1d'));
    expect(kinds(h.events, o.clientOrderId)).toEqual(['accepted', 'expired']);
  });
});

describe('bars (no look-ahead)', () => {
  it('a market order decided on a bar fills at the next bar open, not at the close it saw', () => {
    const h = makeHarness();
    const first = bar(100, 102, 99, 101.5);
    h.adapter.onMarketData(first);
    const o = order({ side: 'buy', quantity: 100 });
    h.adapter.submit(o, h.aapl);
    expect(kinds(h.events, o.clientOrderId)).toEqual(['accepted']);
    const next = bar(101.8, 103, 101, 102.5);
    h.adapter.onMarketData(next);
    expect(fillsOf(h.events, o.clientOrderId)).toEqual([[100, next.open, 'taker']]);
  });

  it('a buy limit fills at the limit when the low reaches it, at the open on a gap down', () => {
    const h = makeHarness();
    h.adapter.onMarketData(bar(100, 101, 99, 100));
    const intrabar = order({ side: 'buy', type: 'limit', price: 98.5, quantity: 10 });
    const untouched = order({ side: 'buy', type: 'limit', price: 97, quantity: 10 });
    h.adapter.submit(intrabar, h.aapl);
    h.adapter.submit(untouched, h.aapl);
    h.adapter.onMarketData(bar(99.5, 100, 98.5, 99));
    expect(fillsOf(h.events, intrabar.clientOrderId)).toEqual([[10, Math.min(99.5, 98.5), 'maker']]);
    expect(fillsOf(h.events, untouched.clientOrderId)).toEqual([]);
    const gap = bar(96, 96.5, 95, 96);
    h.adapter.onMarketData(gap);
    expect(fillsOf(h.events, untouched.clientOrderId)).toEqual([[10, Math.min(gap.open, 97), 'taker']]);
  });

  it('a sell limit fills at max(open, limit) when the high reaches it', () => {
    const h = makeHarness();
    h.adapter.onMarketData(bar(100, 101, 99, 100));
    const intrabar = order({ side: 'sell', type: 'limit', price: 101.5, quantity: 10 });
    const gapped = order({ side: 'sell', type: 'limit', price: 102, quantity: 10 });
    h.adapter.submit(intrabar, h.aapl);
    h.adapter.submit(gapped, h.aapl);
    h.adapter.onMarketData(bar(100.5, 101.6, 100, 101));
    expect(fillsOf(h.events, intrabar.clientOrderId)).toEqual([[10, 101.5, 'maker']]);
    h.adapter.onMarketData(bar(103, 104, 102.5, 103));
    expect(fillsOf(h.events, gapped.clientOrderId)).toEqual([[10, Math.max(103, 102), 'taker']]);
  });

  it('a buy stop triggers on the high and fills at max(open, trigger); a sell stop symmetric', () => {
    const h = makeHarness();
    h.adapter.onMarketData(bar(100, 101, 99, 100));
    const buyStop = order({ side: 'buy', type: 'stop', triggerPrice: 102, quantity: 10 });
    const gapStop = order({ side: 'buy', type: 'stop', triggerPrice: 103, quantity: 10 });
    const sellStop = order({ side: 'sell', type: 'stop', triggerPrice: 98, quantity: 10 });
    for (const o of [buyStop, gapStop, sellStop]) h.adapter.submit(o, h.aapl);
    h.adapter.onMarketData(bar(100.5, 102.4, 100, 102));
    expect(kinds(h.events, buyStop.clientOrderId)).toEqual(['accepted', 'triggered', 'fill']);
    expect(fillsOf(h.events, buyStop.clientOrderId)).toEqual([[10, Math.max(100.5, 102), 'taker']]);
    expect(kinds(h.events, gapStop.clientOrderId)).toEqual(['accepted']);
    const gapUp = bar(104, 105, 103.5, 104.5);
    h.adapter.onMarketData(gapUp);
    expect(fillsOf(h.events, gapStop.clientOrderId)).toEqual([[10, Math.max(gapUp.open, 103), 'taker']]);
    const gapDown = bar(97, 97.5, 96, 97);
    h.adapter.onMarketData(gapDown);
    expect(fillsOf(h.events, sellStop.clientOrderId)).toEqual([[10, Math.min(gapDown.open, 98), 'taker']]);
  });

  it('a stop-limit gapping past its limit rests and fills on a later bar', () => {
    const h = makeHarness();
    h.adapter.onMarketData(bar(100, 101, 99, 100));
    const o = order({ side: 'buy', type: 'stop_limit', triggerPrice: 102, price: 102.5, quantity: 10 });
    h.adapter.submit(o, h.aapl);
    h.adapter.onMarketData(bar(103, 104, 102, 103.5)); // triggers at 103 > limit 102.5: rests
    expect(kinds(h.events, o.clientOrderId)).toEqual(['accepted', 'triggered']);
    h.adapter.onMarketData(bar(103, 103.5, 102.2, 102.8)); // low 102.2 ≤ 102.5
    expect(fillsOf(h.events, o.clientOrderId)).toEqual([[10, 102.5, 'maker']]);
  });

  it('caps fills at a fraction of bar volume and carries the rest to later bars', () => {
    const h = makeHarness({}, { maxBarVolumeFraction: 0.1 });
    h.adapter.onMarketData(bar(100, 101, 99, 100, 1000));
    const o = order({ side: 'buy', quantity: 250 });
    h.adapter.submit(o, h.aapl);
    h.adapter.onMarketData(bar(100, 101, 99, 100, 1500)); // cap 150
    h.adapter.onMarketData(bar(100.2, 101, 99, 100, 500)); // cap 50
    h.adapter.onMarketData(bar(100.4, 101, 99, 100, 2000)); // cap 200, 50 left
    expect(fillsOf(h.events, o.clientOrderId)).toEqual([
      [0.1 * 1500, 100, 'taker'],
      [0.1 * 500, 100.2, 'taker'],
      [250 - 0.1 * 1500 - 0.1 * 500, 100.4, 'taker'],
    ]);
  });

  it('IOC meets one bar and FOK needs the whole quantity within the cap', () => {
    const h = makeHarness({}, { maxBarVolumeFraction: 0.1 });
    h.adapter.onMarketData(bar(100, 101, 99, 100, 1000));
    const ioc = order({ side: 'buy', quantity: 150, timeInForce: 'IOC' });
    h.adapter.submit(ioc, h.aapl);
    h.adapter.onMarketData(bar(100, 101, 99, 100, 1000)); // cap 100
    expect(fillsOf(h.events, ioc.clientOrderId)).toEqual([[100, 100, 'taker']]);
    expect(ofKind(h.events, 'canceled', ioc.clientOrderId)[0]!.reason).toBe('VENUE_IOC_REMAINDER');
    const fok = order({ side: 'buy', quantity: 150, timeInForce: 'FOK' });
    h.adapter.submit(fok, h.aapl);
    h.adapter.onMarketData(bar(100, 101, 99, 100, 1000));
    expect(kinds(h.events, fok.clientOrderId)).toEqual(['accepted', 'canceled']);
    expect(ofKind(h.events, 'canceled', fok.clientOrderId)[0]!.reason).toBe('VENUE_FOK_UNFILLABLE');
  });
});

describe('fees on fills', () => {
  it('charges taker and maker bps plus per-unit, in the instrument currency, and books cash exactly', async () => {
    const h = makeHarness({ fees: { makerBps: -2, takerBps: 5, perUnit: 0.001 }, cash: { USD: 100_000 } });
    h.adapter.onMarketData(quote(99.99, 1000, 100.01, 1000));
    h.adapter.submit(order({ id: 'taker', side: 'buy', quantity: 300 }), h.aapl);
    h.adapter.submit(
      order({ id: 'maker', side: 'sell', type: 'limit', price: 100.05, quantity: 300 }),
      h.aapl,
    );
    h.adapter.onMarketData(trade(100.06, 1)); // through the resting sell: it fills in full at its price
    const [taker] = ofKind(h.events, 'fill', 'taker');
    const [maker] = ofKind(h.events, 'fill', 'maker');
    // taker: 300 × 100.01 = 30 003 notional × 5 bps = 15.0015, + 0.3 per-unit = 15.3015 → 15.30
    expect(taker!.fee).toBe(15.3);
    expect(taker!.liquidity).toBe('taker');
    expect(taker!.feeCurrency).toBe('USD');
    // maker: 300 × 100.05 = 30 015 × −2 bps = −6.003, + 0.3 = −5.703 → −5.70 (a rebate)
    expect(maker!.fee).toBe(-5.7);
    const balances = await h.adapter.balances();
    // 100 000 − 30 003 − 15.30 + 30 015 − (−5.70)
    expect(balances.map((b) => b.currency)).toEqual(['USD']);
    expect(balances[0]!.total).toBeCloseTo(100_000 - 30_003 - 15.3 + 30_015 + 5.7, 9);
  });

  it('applies the minimum fee per fill', () => {
    const h = makeHarness({ fees: { takerBps: 1, minimum: 1 } });
    h.adapter.onMarketData(quote(99.99, 1000, 100, 1000));
    h.adapter.submit(order({ id: 'small', quantity: 10 }), h.aapl); // 1000 × 1 bps = 0.10 < 1
    expect(ofKind(h.events, 'fill', 'small')[0]!.fee).toBe(1);
  });
});

describe('latency', () => {
  it('acts on requests only after the modelled delay on a simulated clock', () => {
    const h = makeHarness({ latency: { baseMicros: 1500 } });
    h.adapter.onMarketData(quote(99.99, 1000, 100.01, 1000));
    const o = order({ quantity: 10 });
    h.adapter.submit(o, h.aapl);
    expect(h.events).toEqual([]);
    h.clock.advanceTo(T0 + 1499);
    expect(h.events).toEqual([]);
    h.clock.advanceTo(T0 + 1500);
    expect(kinds(h.events, o.clientOrderId)).toEqual(['accepted', 'fill']);
    expect(h.events.every((e) => e.tsEvent === T0 + 1500)).toBe(true);
  });

  it('delays cancels too, so a fill can beat a cancel', () => {
    const h = makeHarness({ latency: { baseMicros: 100 } });
    h.adapter.onMarketData(quote(99.99, 1000, 100.01, 1000));
    const o = order({ side: 'buy', type: 'limit', price: 100, quantity: 10 });
    h.adapter.submit(o, h.aapl);
    h.tick(100);
    h.adapter.cancel(o.clientOrderId);
    h.tick(50);
    h.adapter.onMarketData(trade(99.5, 10)); // through our price while the cancel travels
    h.tick(50);
    expect(kinds(h.events, o.clientOrderId)).toEqual(['accepted', 'fill', 'cancel_rejected']);
  });

  it('keeps requests in the order they were sent despite jitter', () => {
    const h = makeHarness({ latency: { baseMicros: 10, jitterMicros: 1000 } });
    h.adapter.onMarketData(quote(99.99, 1000, 100.01, 1000));
    const o = order({ side: 'buy', type: 'limit', price: 99, quantity: 10 });
    h.adapter.submit(o, h.aapl);
    h.adapter.modify(o.clientOrderId, { quantity: 5 });
    h.adapter.cancel(o.clientOrderId);
    h.tick(2000);
    expect(kinds(h.events, o.clientOrderId)).toEqual(['accepted', 'modified', 'canceled']);
  });
});

describe('latency on the wall clock', () => {
  it('acts after the delay on a LiveClock, not inside submit', async () => {
    const registry = makeRegistry({ latency: { baseMicros: 2_000 } });
    const clock = new LiveClock();
    const adapter = new PaperVenueAdapter({
      venue: VENUE,
      config: registry.venues.get(VENUE)!,
      clock,
      seed: 1,
      instruments: [...registry.instruments.values()],
    });
    const events: VenueEvent[] = [];
    adapter.onEvent((e) => events.push(e));
    await adapter.connect();
    adapter.onMarketData(quote(99.99, 100, 100.01, 100));
    const sentAt = clock.now();
    const o = order({ quantity: 10 });
    adapter.submit(o, registry.instruments.get(AAPL)!);
    expect(events).toEqual([]);
    for (let i = 0; i < 200 && events.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    expect(kinds(events, o.clientOrderId)).toEqual(['accepted', 'fill']);
    expect(events[0]!.tsEvent - sentAt).toBeGreaterThanOrEqual(2_000);
  });
});

describe('determinism', () => {
  function run(seed: number): VenueEvent[] {
    const h = makeHarness({ latency: { baseMicros: 50, jitterMicros: 500 } }, {}, seed);
    for (let i = 0; i < 40; i++) {
      const mid = 100 + (i % 7) * 0.05;
      h.adapter.onMarketData(quote(mid - 0.01, 200, mid + 0.01, 200));
      h.adapter.onMarketData(trade(mid, 30 + i));
      h.adapter.submit(
        order({
          id: `d${i}`,
          side: i % 2 === 0 ? 'buy' : 'sell',
          type: i % 3 === 0 ? 'market' : 'limit',
          price: i % 2 === 0 ? mid - 0.01 : mid + 0.01,
          quantity: 10 + i,
        }),
        h.aapl,
      );
      h.tick(137);
    }
    h.tick(10_000);
    return h.events;
  }

  it('the same seed gives the same event sequence; another seed other timings', () => {
    const a = run(42);
    const b = run(42);
    expect(a.length).toBeGreaterThan(40);
    expect(b).toEqual(a);
    const c = run(43);
    expect(c.map((e) => e.tsEvent)).not.toEqual(a.map((e) => e.tsEvent));
  });
});

describe('cancel and modify', () => {
  it('cancels a resting order; cancel of a closed or unknown order is cancel_rejected', () => {
    const h = makeHarness();
    h.adapter.onMarketData(quote(99.99, 100, 100.01, 100));
    const o = order({ side: 'buy', type: 'limit', price: 99, quantity: 10 });
    h.adapter.submit(o, h.aapl);
    h.adapter.cancel(o.clientOrderId);
    h.adapter.cancel(o.clientOrderId);
    h.adapter.cancel(order({ id: 'nobody' }).clientOrderId);
    expect(kinds(h.events, o.clientOrderId)).toEqual(['accepted', 'canceled', 'cancel_rejected']);
    expect(ofKind(h.events, 'canceled', o.clientOrderId)[0]!.reason).toBe('VENUE_USER_CANCELED');
    expect(kinds(h.events, 'nobody')).toEqual(['cancel_rejected']);
    expect(ofKind(h.events, 'cancel_rejected', 'nobody')[0]!.reason).toBe('VENUE_UNKNOWN_ORDER');
  });

  it('a quantity decrease keeps queue position; a price change is re-matched', () => {
    const h = makeHarness();
    h.adapter.onMarketData(quote(100, 100, 100.02, 100));
    const o = order({ side: 'buy', type: 'limit', price: 100, quantity: 50 });
    h.adapter.submit(o, h.aapl);
    h.adapter.onMarketData(trade(100, 90)); // 10 still ahead
    h.adapter.modify(o.clientOrderId, { quantity: 30 });
    expect(ofKind(h.events, 'modified', o.clientOrderId)[0]).toMatchObject({ quantity: 30, price: 100 });
    h.adapter.onMarketData(trade(100, 15)); // 10 ahead, then 5 for us
    expect(fillsOf(h.events, o.clientOrderId)).toEqual([[15 - 10, 100, 'maker']]);
    h.adapter.modify(o.clientOrderId, { price: 100.02 }); // now marketable against the ask
    expect(fillsOf(h.events, o.clientOrderId)).toEqual([
      [5, 100, 'maker'],
      [30 - 5, 100.02, 'taker'],
    ]);
  });

  it('a quantity increase loses priority (back of the queue)', () => {
    const h = makeHarness();
    h.adapter.onMarketData(quote(100, 100, 100.02, 100));
    const o = order({ side: 'buy', type: 'limit', price: 100, quantity: 10 });
    h.adapter.submit(o, h.aapl);
    h.adapter.onMarketData(trade(100, 90)); // 10 ahead
    h.adapter.onMarketData(quote(100, 200, 100.02, 100)); // 10 ahead of us, 190 behind
    h.adapter.modify(o.clientOrderId, { quantity: 20 }); // rejoins behind the 200 displayed
    h.adapter.onMarketData(trade(100, 200));
    expect(fillsOf(h.events, o.clientOrderId)).toEqual([]);
    h.adapter.onMarketData(trade(100, 20));
    expect(fillsOf(h.events, o.clientOrderId)).toEqual([[20, 100, 'maker']]);
  });

  it('modifies a stop trigger; rejects what cannot apply', () => {
    const h = makeHarness();
    h.adapter.onMarketData(quote(99.99, 100, 100, 100));
    const stop = order({ side: 'buy', type: 'stop', triggerPrice: 105, quantity: 10 });
    h.adapter.submit(stop, h.aapl);
    h.adapter.modify(stop.clientOrderId, { price: 104 });
    h.adapter.modify(stop.clientOrderId, { quantity: 0 });
    h.adapter.modify(stop.clientOrderId, { quantity: 10.5 });
    h.adapter.modify(stop.clientOrderId, {});
    h.adapter.modify(order({ id: 'ghost' }).clientOrderId, { quantity: 1 });
    expect(ofKind(h.events, 'modify_rejected', stop.clientOrderId)).toHaveLength(4);
    expect(kinds(h.events, 'ghost')).toEqual(['modify_rejected']);
    h.adapter.modify(stop.clientOrderId, { triggerPrice: 100 }); // already reached: triggers at once
    expect(kinds(h.events, stop.clientOrderId).slice(-3)).toEqual(['modified', 'triggered', 'fill']);
    h.adapter.modify(stop.clientOrderId, { quantity: 20 });
    expect(kinds(h.events, stop.clientOrderId).at(-1)).toBe('modify_rejected');
  });
});

describe('idempotency and validation', () => {
  it('ignores a second submit with the same client order id', async () => {
    const h = makeHarness();
    h.adapter.onMarketData(quote(99.99, 100, 100.01, 100));
    const o = order({ side: 'buy', type: 'limit', price: 99, quantity: 10 });
    h.adapter.submit(o, h.aapl);
    h.adapter.submit(o, h.aapl);
    h.adapter.submit({ ...o, quantity: 20 }, h.aapl);
    expect(kinds(h.events, o.clientOrderId)).toEqual(['accepted']);
    expect(await h.adapter.orders()).toHaveLength(1);
  });

  it('rejects unsupported and malformed orders with a reason code, never throwing', () => {
    const h = makeHarness();
    h.adapter.onMarketData(quote(99.99, 100, 100.01, 100));
    const cases = [
      { ...order({ id: 'trailing' }), type: 'trailing_stop' },
      { ...order({ id: 'gtd' }), timeInForce: 'GTD' },
      order({ id: 'zero', quantity: 0 }),
      order({ id: 'lot', quantity: 1.5 }),
      order({ id: 'nan', type: 'limit', price: Number.NaN }),
      order({ id: 'tick', type: 'limit', price: 100.001 }),
      order({ id: 'notrigger', type: 'stop' }),
      order({ id: 'side', side: 'hold' as 'buy' }),
      order({ id: 'reduce', side: 'sell', reduceOnly: true }),
      order({ id: 'elsewhere', instrumentId: 'AAPL.NYSE' as typeof AAPL }),
    ];
    for (const c of cases) expect(() => h.adapter.submit(c as never, h.aapl)).not.toThrow();
    const reasons = Object.fromEntries(ofKind(h.events, 'rejected').map((e) => [e.clientOrderId, e.reason]));
    expect(reasons).toEqual({
      trailing: 'VENUE_UNSUPPORTED_ORDER',
      gtd: 'VENUE_UNSUPPORTED_ORDER',
      zero: 'VENUE_INVALID_ORDER',
      lot: 'VENUE_INVALID_ORDER',
      nan: 'VENUE_INVALID_ORDER',
      tick: 'VENUE_INVALID_ORDER',
      notrigger: 'VENUE_INVALID_ORDER',
      side: 'VENUE_INVALID_ORDER',
      reduce: 'VENUE_REJECTED',
      elsewhere: 'VENUE_REJECTED',
    });
    expect(() => h.adapter.onMarketData({ ...quote(Number.NaN, 1, 100, 1) })).not.toThrow();
    expect(() => h.adapter.onMarketData({ ...book([], []), bids: null } as never)).not.toThrow();
  });

  it('works on fractional lots without float drift', () => {
    const h = makeHarness();
    const btc = h.btc.id;
    h.adapter.onMarketData(
      book(
        [[42_000, 0.3]],
        [
          [42_000.5, 0.1],
          [42_001, 0.2],
        ],
        btc,
      ),
    );
    const o = order({ side: 'buy', quantity: 0.3, instrumentId: btc });
    h.adapter.submit(o, h.btc);
    expect(fillsOf(h.events, o.clientOrderId)).toEqual([
      [0.1, 42_000.5, 'taker'],
      [0.2, 42_001, 'taker'],
    ]);
    expect(kinds(h.events, o.clientOrderId).at(-1)).toBe('fill');
  });
});

describe('options and mode switches', () => {
  it('rejects bad paper options at construction with a ConfigError naming the key', () => {
    expect(() => makeHarness({}, { maxBarVolumeFraction: 2 })).toThrow(ConfigError);
    expect(() => makeHarness({}, { maxBarVolumeFraction: 2 })).toThrow(/maxBarVolumeFraction/);
  });

  it('a market order waiting for the next bar meets the book if a quote comes first', () => {
    const h = makeHarness();
    h.adapter.onMarketData(bar(100, 101, 99, 100));
    const o = order({ side: 'buy', quantity: 30 });
    h.adapter.submit(o, h.aapl);
    h.adapter.onMarketData(quote(100.1, 100, 100.2, 20));
    expect(fillsOf(h.events, o.clientOrderId)).toEqual([[20, 100.2, 'taker']]);
    expect(ofKind(h.events, 'canceled', o.clientOrderId)[0]!.reason).toBe('VENUE_NO_LIQUIDITY');
  });

  it('accepts a reduce-only order that shrinks the position', () => {
    const h = makeHarness();
    h.adapter.onMarketData(quote(99.99, 1000, 100.01, 1000));
    h.adapter.submit(order({ id: 'open', side: 'buy', quantity: 50 }), h.aapl);
    h.adapter.submit(order({ id: 'close', side: 'sell', quantity: 50, reduceOnly: true }), h.aapl);
    h.adapter.submit(order({ id: 'again', side: 'sell', quantity: 1, reduceOnly: true }), h.aapl);
    expect(kinds(h.events, 'close')).toEqual(['accepted', 'fill']);
    expect(kinds(h.events, 'again')).toEqual(['rejected']);
  });
});

describe('reconciliation reports', () => {
  it('orders, open orders, fills, positions and balances agree with the events', async () => {
    const h = makeHarness({ fees: { takerBps: 1, makerBps: 0 }, cash: { USD: 50_000 } });
    h.adapter.onMarketData(quote(99.99, 1000, 100.01, 1000));
    h.adapter.submit(order({ id: 'buy', side: 'buy', quantity: 100 }), h.aapl);
    const t1 = h.tick(10);
    h.adapter.submit(order({ id: 'sell', side: 'sell', quantity: 30 }), h.aapl);
    h.adapter.submit(order({ id: 'rest', side: 'buy', type: 'limit', price: 99, quantity: 5 }), h.aapl);
    const fillEvents = ofKind(h.events, 'fill');
    const fills = await h.adapter.fills(0);
    expect(fills.map((f) => [f.tradeId, f.clientOrderId, f.quantity, f.price, f.fee])).toEqual(
      fillEvents.map((f) => [f.tradeId, f.clientOrderId, f.quantity, f.price, f.fee]),
    );
    expect((await h.adapter.fills(t1)).map((f) => f.clientOrderId)).toEqual(['sell']);
    const net = fillEvents.reduce((sum, f) => sum + (f.side === 'buy' ? f.quantity : -f.quantity), 0);
    expect(await h.adapter.positions()).toEqual([{ venue: 'PAPER', instrumentId: AAPL, quantity: net }]);
    const cash = fillEvents.reduce(
      (sum, f) => sum - (f.side === 'buy' ? 1 : -1) * f.quantity * f.price - f.fee,
      50_000,
    );
    const [usd] = await h.adapter.balances();
    expect(usd!.total).toBeCloseTo(cash, 6);
    const orders = await h.adapter.orders();
    expect(orders.map((o) => [o.clientOrderId, o.status, o.filledQuantity])).toEqual([
      ['buy', 'FILLED', 100],
      ['sell', 'FILLED', 30],
      ['rest', 'ACCEPTED', 0],
    ]);
    expect((await h.adapter.openOrders()).map((o) => o.clientOrderId)).toEqual(['rest']);
  });
});

describe('cancelAll and the kill switch', () => {
  it('cancels every open order with the given reason; one-by-one cancels still work', async () => {
    const h = makeHarness();
    h.adapter.onMarketData(quote(99.99, 100, 100.01, 100));
    h.adapter.onMarketData(quote(42_000, 1, 42_001, 1, h.btc.id));
    const ids = ['a', 'b', 'c'];
    h.adapter.submit(order({ id: 'a', side: 'buy', type: 'limit', price: 99, quantity: 10 }), h.aapl);
    h.adapter.submit(order({ id: 'b', side: 'sell', type: 'stop', triggerPrice: 90, quantity: 10 }), h.aapl);
    h.adapter.submit(
      order({ id: 'c', side: 'buy', type: 'limit', price: 41_000, quantity: 0.5, instrumentId: h.btc.id }),
      h.btc,
    );
    h.adapter.submit(order({ id: 'd', side: 'buy', type: 'limit', price: 98, quantity: 10 }), h.aapl);
    h.adapter.cancel(order({ id: 'd' }).clientOrderId);
    h.adapter.cancelAll('VENUE_KILL_SWITCH');
    for (const id of ids)
      expect(ofKind(h.events, 'canceled', id).map((e) => e.reason)).toEqual(['VENUE_KILL_SWITCH']);
    expect(ofKind(h.events, 'canceled', 'd').map((e) => e.reason)).toEqual(['VENUE_USER_CANCELED']);
    expect(h.adapter.openOrderCount).toBe(0);
    expect(await h.adapter.openOrders()).toEqual([]);
    h.adapter.cancelAll();
    expect(ofKind(h.events, 'canceled')).toHaveLength(4);
  });
});

describe('connection and fault injection', () => {
  it('drops requests while disconnected, loses those in flight, and tells status handlers', async () => {
    const h = makeHarness({ latency: { baseMicros: 100 } });
    const states: string[] = [];
    h.adapter.onStatus((s) => states.push(s));
    h.adapter.onMarketData(quote(99.99, 100, 100.01, 100));
    const inFlight = order({ id: 'flight', quantity: 10 });
    h.adapter.submit(inFlight, h.aapl);
    const bounced = order({ id: 'bounced', side: 'buy', type: 'limit', price: 99, quantity: 10 });
    h.adapter.submit(bounced, h.aapl);
    h.adapter.setConnected(false);
    expect(h.adapter.state).toBe('disconnected');
    h.adapter.submit(order({ id: 'dropped', quantity: 10 }), h.aapl);
    h.tick(1000);
    expect(h.events).toEqual([]);
    expect(await h.adapter.orders()).toEqual([]);
    await h.adapter.connect();
    expect(states).toEqual(['disconnected', 'connected']);
    // The venue never saw them: the same ids may be sent again.
    h.adapter.submit(inFlight, h.aapl);
    h.tick(100);
    expect(kinds(h.events, 'flight')).toEqual(['accepted', 'fill']);
    // A drop and reconnect while a request travels loses it too (it belonged to the old session).
    h.adapter.submit(bounced, h.aapl);
    h.adapter.setConnected(false);
    h.adapter.setConnected(true);
    h.tick(100);
    expect(kinds(h.events, 'bounced')).toEqual([]);
    expect(states).toEqual(['disconnected', 'connected', 'disconnected', 'connected']);
  });

  it('keeps matching while disconnected; events are lost but reports show the fills', async () => {
    const h = makeHarness();
    h.adapter.onMarketData(quote(99.99, 100, 100.01, 100));
    h.adapter.submit(order({ id: 'rest', side: 'buy', type: 'limit', price: 99.5, quantity: 10 }), h.aapl);
    h.adapter.setConnected(false);
    h.adapter.onMarketData(trade(99, 50));
    expect(kinds(h.events, 'rest')).toEqual(['accepted']);
    h.adapter.setConnected(true);
    const fills = await h.adapter.fills(0);
    expect(fills.map((f) => [f.clientOrderId, f.quantity, f.price])).toEqual([['rest', 10, 99.5]]);
  });

  it('defers requests made from inside its own event handler instead of re-entering', () => {
    const h = makeHarness();
    let hedged = false;
    let answeredInside = false;
    const nested: VenueEvent[] = [];
    h.adapter.onEvent((e) => {
      nested.push(e);
      if (e.kind === 'fill' && !hedged) {
        hedged = true;
        h.adapter.submit(order({ id: 'hedge', side: 'sell', quantity: e.quantity }), h.aapl);
        answeredInside = nested.some((x) => x.clientOrderId === 'hedge');
      }
    });
    h.adapter.onMarketData(
      book(
        [[99.99, 100]],
        [
          [100.01, 5],
          [100.02, 5],
        ],
      ),
    );
    h.adapter.submit(order({ id: 'first', side: 'buy', quantity: 10 }), h.aapl);
    expect(answeredInside).toBe(false);
    expect(h.adapter.handlerErrors).toBe(0);
    expect(kinds(nested, 'first')).toEqual(['accepted', 'fill', 'fill']);
    expect(kinds(nested, 'hedge')).toEqual(['accepted', 'fill']);
    expect(nested.findIndex((e) => e.clientOrderId === 'hedge')).toBeGreaterThan(
      nested.findLastIndex((e) => e.clientOrderId === 'first'),
    );
  });
});

describe('retention (a session of a broker)', () => {
  it('forgets closed orders and their fills past the horizon; an open order and its fills stay', async () => {
    const h = makeHarness({}, {}, 7, T0, 60_000_000);
    h.adapter.onMarketData(quote(99.99, 500, 100.01, 300));
    const filled = order({ side: 'buy', quantity: 10 });
    h.adapter.submit(filled, h.aapl);
    const resting = order({ side: 'buy', quantity: 400, type: 'limit', price: 100.01 });
    h.adapter.submit(resting, h.aapl); // takes the 290 left at the ask, rests 110
    expect((await h.adapter.fills(0)).map((f) => f.clientOrderId)).toEqual([
      filled.clientOrderId,
      resting.clientOrderId,
    ]);
    h.tick(61_000_000);
    const later = order({ side: 'sell', quantity: 5 });
    h.adapter.submit(later, h.aapl);
    // The pass that first sees it closed starts its horizon: still reported a horizon after its acceptance.
    expect((await h.adapter.orders()).map((o) => o.clientOrderId)).toContain(filled.clientOrderId);
    h.tick(61_000_000);
    h.adapter.submit(order({ side: 'sell', quantity: 1 }), h.aapl);
    const held = (await h.adapter.orders()).map((o) => o.clientOrderId);
    expect(held).not.toContain(filled.clientOrderId);
    expect(held).toContain(resting.clientOrderId);
    expect(held).toContain(later.clientOrderId);
    const fills = (await h.adapter.fills(0)).map((f) => f.clientOrderId);
    expect(fills).not.toContain(filled.clientOrderId);
    expect(fills).toContain(resting.clientOrderId);
    // Positions are the venue's totals: they still count what it forgot.
    expect((await h.adapter.positions()).find((p) => p.instrumentId === AAPL)?.quantity).toBe(294);
  });
});
