// The IBKR adapter against a fake TWS on loopback: connecting, order mapping, fills and commissions, cancels
// and modifications, rejections, disconnects and catch-up, pacing, malformed messages, secrets in logs,
// reconciliation queries and market data.

import { afterEach, describe, expect, it } from 'vitest';
import { LiveClock } from '../../common/clock.ts';
import { createLogger } from '../../common/logging.ts';
import { clientOrderId, type MarketData, type VenueEvent } from '../../model/index.ts';
import { FakeTws } from '../../../tests/support/fake-tws.ts';
import { IbkrVenueAdapter } from './adapter.ts';
import {
  ACCOUNT,
  CLIENT_ID,
  eventOf,
  IBKR,
  ibkrRegistry,
  kinds,
  makeIbkrFixture,
  order,
  testSettings,
  until,
  type IbkrFixture,
} from './fixtures.test-support.ts';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const f of open.splice(0).reverse()) await f.close();
});

async function fixture(options: Parameters<typeof makeIbkrFixture>[0] = {}): Promise<IbkrFixture> {
  const f = await makeIbkrFixture(options);
  open.push(f);
  return f;
}

/** A logger that keeps every line it writes. */
function capturingLogger() {
  const lines: string[] = [];
  return { lines, logger: createLogger('test', 'debug', { write: (line) => void lines.push(line) }) };
}

async function accepted(f: IbkrFixture, id: string): Promise<void> {
  await until(() => kinds(f.events, id).includes('accepted'), `${id} accepted`);
}

describe('connecting', () => {
  it('connects through the handshake, START_API, managed accounts and next valid id, then reports connected', async () => {
    const f = await fixture();
    expect(f.adapter.state).toBe('connected');
    expect(f.states).toEqual(['connecting', 'connected']);
    expect(f.tws.connections).toBe(1);
  });

  it('fails a first connect in time, naming where it tried, and stops trying', async () => {
    const tws = await FakeTws.start();
    const port = tws.port;
    await tws.close(); // nothing listens there any more
    const adapter = new IbkrVenueAdapter({
      venue: IBKR,
      settings: testSettings(port, { connectTimeoutMs: 300 }),
      clock: new LiveClock(),
      instruments: [...ibkrRegistry().instruments.values()],
    });
    await expect(adapter.connect()).rejects.toThrow(`127.0.0.1:${port}`);
    expect(adapter.state).toBe('disconnected');
  });

  it('refuses a second session with the same client id, saying so', async () => {
    const f = await fixture();
    const second = new IbkrVenueAdapter({
      venue: IBKR,
      settings: testSettings(f.tws.port),
      clock: new LiveClock(),
      instruments: [...ibkrRegistry().instruments.values()],
    });
    open.push({ close: () => second.disconnect() });
    await expect(second.connect()).rejects.toThrow(`client id ${CLIENT_ID} is in use`);
    expect(f.adapter.state).toBe('connected');
  });

  it('refuses an account the login does not manage, without writing the account code anywhere', async () => {
    const { lines, logger } = capturingLogger();
    const tws = await FakeTws.start({ accounts: ['DU1111111'] });
    open.push(tws);
    const adapter = new IbkrVenueAdapter({
      venue: IBKR,
      settings: testSettings(tws.port, { account: 'DU9999999' }),
      clock: new LiveClock(),
      instruments: [...ibkrRegistry().instruments.values()],
      log: logger,
    });
    const failure = await adapter.connect().then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failure?.message).toContain('is not among the 1 account(s)');
    expect(failure?.message).not.toContain('DU9999999');
    expect(lines.join('\n')).not.toMatch(/DU9999999|DU1111111/);
    expect(adapter.state).toBe('disconnected');
  });
});

describe('orders', () => {
  it('maps order types, prices and times in force onto IB orders carrying the client order id', async () => {
    const f = await fixture();
    const cases = [
      order({ id: 'mkt', type: 'market', timeInForce: 'IOC' }),
      order({ id: 'lmt', type: 'limit', price: 101.5, timeInForce: 'GTC' }),
      order({ id: 'stp', type: 'stop', side: 'sell', triggerPrice: 95, timeInForce: 'DAY' }),
      order({ id: 'stplmt', type: 'stop_limit', price: 94.5, triggerPrice: 95, timeInForce: 'FOK' }),
    ];
    for (const o of cases) f.adapter.submit(o, f.aapl);
    await until(() => f.tws.allOrders().length === 4, 'four orders at the venue');
    const placed = f.tws
      .allOrders()
      .map((o) => [o.orderRef, o.action, o.orderType, o.lmtPrice, o.auxPrice, o.tif, o.account]);
    expect(placed).toEqual([
      ['mkt', 'BUY', 'MKT', undefined, undefined, 'IOC', ACCOUNT],
      ['lmt', 'BUY', 'LMT', 101.5, undefined, 'GTC', ACCOUNT],
      ['stp', 'SELL', 'STP', undefined, 95, 'DAY', ACCOUNT],
      ['stplmt', 'BUY', 'STP LMT', 94.5, 95, 'FOK', ACCOUNT],
    ]);
    for (const o of cases) await accepted(f, o.clientOrderId);
    const reports = await f.adapter.openOrders();
    const byId = new Map(reports.map((r) => [r.clientOrderId as string, r]));
    expect(byId.get('stplmt')).toMatchObject({
      type: 'stop_limit',
      timeInForce: 'FOK',
      price: 94.5,
      status: 'ACCEPTED',
    });
    expect(byId.get('stp')).toMatchObject({ type: 'stop', side: 'sell', price: undefined });
    const venueOrderId = eventOf(f.events, 'accepted', 'lmt')?.venueOrderId;
    expect(venueOrderId).toBe(String(f.tws.order('lmt')?.permId));
    expect(f.adapter.counters.malformedMessages).toBe(0);
  });

  it('rejects what it cannot send with a reason code, never sending it', async () => {
    const f = await fixture();
    const bad = [
      { ...order({ id: 'trailing' }), type: 'trailing' },
      { ...order({ id: 'gtd' }), timeInForce: 'GTD' },
      order({ id: 'negative', quantity: -5 }),
      { ...order({ id: 'no-price' }), price: undefined },
    ];
    for (const o of bad) expect(() => f.adapter.submit(o as never, f.aapl)).not.toThrow();
    f.adapter.submit(order({ id: 'future', instrumentId: f.es.id, price: 5000 }), f.es);
    const reasons = ['trailing', 'gtd', 'negative', 'no-price', 'future'].map(
      (id) => eventOf(f.events, 'rejected', id)?.reason,
    );
    expect(reasons).toEqual([
      'VENUE_UNSUPPORTED_ORDER',
      'VENUE_UNSUPPORTED_ORDER',
      'VENUE_INVALID_ORDER',
      'VENUE_INVALID_ORDER',
      'VENUE_IB_NO_CONTRACT',
    ]);
    await f.adapter.openOrders(); // a round trip: anything sent would have arrived by now
    expect(f.tws.receivedCount(3)).toBe(0);
  });

  it('sends a client order id once, however often it is submitted', async () => {
    const f = await fixture();
    const o = order({ id: 'twice' });
    f.adapter.submit(o, f.aapl);
    f.adapter.submit(o, f.aapl);
    f.adapter.submit({ ...o, quantity: 5 }, f.aapl);
    await accepted(f, 'twice');
    await f.adapter.openOrders();
    expect(f.tws.placeCount('twice')).toBe(1);
    expect(f.adapter.counters.duplicateSubmits).toBe(2);
    expect(kinds(f.events, 'twice')).toEqual(['accepted']);
  });

  it('tells a rejection (error 201) with its text once, ignoring the Inactive status that follows', async () => {
    const f = await fixture();
    f.tws.rejectNext('YOUR ORDER IS NOT ACCEPTED. IN ORDER TO OBTAIN THE DESIRED POSITION');
    f.adapter.submit(order({ id: 'refused' }), f.aapl);
    await until(() => kinds(f.events, 'refused').includes('rejected'), 'rejected');
    await f.adapter.openOrders();
    expect(kinds(f.events, 'refused')).toEqual(['rejected']);
    const rejection = eventOf(f.events, 'rejected', 'refused');
    expect(rejection?.reason).toBe('VENUE_IB_ORDER_REJECTED');
    expect(rejection?.message).toContain('IB 201');
    expect(rejection?.message).toContain('IN ORDER TO OBTAIN');
    expect((await f.adapter.orders()).find((r) => r.clientOrderId === 'refused')?.status).toBe('REJECTED');
  });

  it('modifies a working order; refuses changes that cannot apply', async () => {
    const f = await fixture();
    f.adapter.submit(order({ id: 'mod', quantity: 100, price: 100 }), f.aapl);
    await accepted(f, 'mod');
    f.adapter.modify(clientOrderId('mod'), { quantity: 60, price: 99.5 });
    await until(() => kinds(f.events, 'mod').includes('modified'), 'modified');
    expect(eventOf(f.events, 'modified', 'mod')).toMatchObject({
      quantity: 60,
      price: 99.5,
      triggerPrice: undefined,
    });
    expect(f.tws.order('mod')).toMatchObject({ totalQuantity: 60, lmtPrice: 99.5 });
    expect(f.tws.placeCount('mod')).toBe(1);

    f.adapter.modify(clientOrderId('mod'), { triggerPrice: 98 });
    f.adapter.modify(clientOrderId('nope'), { quantity: 1 });
    expect(eventOf(f.events, 'modify_rejected', 'mod')?.reason).toBe('VENUE_INVALID_ORDER');
    expect(eventOf(f.events, 'modify_rejected', 'nope')?.reason).toBe('VENUE_UNKNOWN_ORDER');
  });
});

describe('fills and commissions', () => {
  it("carries IB's commission per execution, the order minimum on the first fill", async () => {
    const f = await fixture();
    f.adapter.submit(order({ id: 'f1', quantity: 100, price: 100 }), f.aapl);
    await accepted(f, 'f1');
    f.tws.fill('f1', 40, 100);
    f.tws.fill('f1', 60, 100);
    await until(() => kinds(f.events, 'f1').filter((k) => k === 'fill').length === 2, 'two fills');
    // Fixed plan in the fake: 40 × 0.005 = 0.20 → the USD 1.00 minimum; 100 × 0.005 = 0.50 is still under the
    // minimum, so the second execution adds 1.00 − 1.00 = 0.
    const fees = f.events
      .filter((e) => e.kind === 'fill')
      .map((e) => (e.kind === 'fill' ? [e.quantity, e.fee, e.feeCurrency] : []));
    expect(fees).toEqual([
      [40, 1, 'USD'],
      [60, 0, 'USD'],
    ]);
    expect(f.adapter.counters.estimatedCommissions).toBe(0);
  });

  it('tells a fill whose commission report does not come with the fee model estimate, after the wait', async () => {
    const f = await fixture();
    f.tws.sendCommissionReports = false;
    f.adapter.submit(order({ id: 'est', quantity: 400, price: 50 }), f.aapl);
    await accepted(f, 'est');
    f.tws.fill('est', 400, 50);
    await until(() => kinds(f.events, 'est').includes('fill'), 'fill told');
    // Fixed plan defaults: 400 × 0.005 = 2.00, above the 1.00 minimum, under 1% of 20,000 = 200.
    expect(eventOf(f.events, 'fill', 'est')?.fee).toBe(2);
    expect(f.adapter.counters.estimatedCommissions).toBe(1);
  });

  it('never tells a cancel before the fills IB counted: a venue cancel waits for the late execution', async () => {
    const f = await fixture();
    f.adapter.submit(order({ id: 'late', quantity: 100 }), f.aapl);
    await accepted(f, 'late');
    f.tws.deliverExecutions = false; // the status says 40 filled; the execution only shows up when asked for
    f.tws.fill('late', 40, 100);
    f.tws.cancelByVenue('late');
    await until(() => kinds(f.events, 'late').includes('canceled'), 'canceled');
    expect(kinds(f.events, 'late')).toEqual(['accepted', 'fill', 'canceled']);
    expect(eventOf(f.events, 'canceled', 'late')?.reason).toBe('VENUE_CANCELED_BY_VENUE');
    expect(eventOf(f.events, 'fill', 'late')?.quantity).toBe(40);
  });

  it('names the IOC remainder when IB cancels the rest of an IOC order', async () => {
    const f = await fixture();
    f.adapter.submit(order({ id: 'ioc', quantity: 100, timeInForce: 'IOC' }), f.aapl);
    await accepted(f, 'ioc');
    f.tws.fill('ioc', 30, 100);
    f.tws.cancelByVenue('ioc');
    await until(() => kinds(f.events, 'ioc').includes('canceled'), 'canceled');
    expect(kinds(f.events, 'ioc')).toEqual(['accepted', 'fill', 'canceled']);
    expect(eventOf(f.events, 'canceled', 'ioc')?.reason).toBe('VENUE_IOC_REMAINDER');
  });
});

describe('cancels', () => {
  it('refuses cancels of unknown orders, of other clients’ orders, and while disconnected', async () => {
    const f = await fixture();
    f.adapter.cancel(clientOrderId('ghost'));
    const external = f.tws.placeExternalOrder({ symbol: 'AAPL', action: 'BUY', quantity: 5, price: 99 });
    await f.adapter.openOrders();
    f.adapter.cancel(clientOrderId(`IB-${external.permId}`));
    expect(eventOf(f.events, 'cancel_rejected', 'ghost')?.reason).toBe('VENUE_UNKNOWN_ORDER');
    expect(eventOf(f.events, 'cancel_rejected', `IB-${external.permId}`)?.reason).toBe('VENUE_IB_NOT_OURS');

    f.adapter.submit(order({ id: 'c1' }), f.aapl);
    await accepted(f, 'c1');
    f.tws.goDown();
    await until(() => f.adapter.state === 'disconnected', 'disconnected');
    f.adapter.cancel(clientOrderId('c1'));
    expect(eventOf(f.events, 'cancel_rejected', 'c1')?.reason).toBe('VENUE_IB_DISCONNECTED');
  });
});

describe('disconnects', () => {
  it('denies new orders at once while disconnected, and never sends them later', async () => {
    const f = await fixture();
    f.tws.goDown();
    await until(() => f.adapter.state === 'disconnected', 'disconnected');
    f.adapter.submit(order({ id: 'while-down' }), f.aapl);
    expect(kinds(f.events, 'while-down')).toEqual(['rejected']);
    expect(eventOf(f.events, 'rejected', 'while-down')?.reason).toBe('VENUE_IB_DISCONNECTED');
    f.tws.comeUp();
    await until(() => f.adapter.state === 'connected', 'reconnected');
    await f.adapter.openOrders();
    expect(f.tws.placeCount('while-down')).toBe(0);
    expect(f.adapter.counters.reconnects).toBeGreaterThan(0);
    expect(f.states.slice(0, 4)).toEqual(['connecting', 'connected', 'disconnected', 'connecting']);
    expect(f.states.at(-1)).toBe('connected');
  });

  it('tells the fill made while disconnected after reconnecting, once', async () => {
    const f = await fixture();
    f.adapter.submit(order({ id: 'away', quantity: 50 }), f.aapl);
    await accepted(f, 'away');
    f.tws.goDown();
    await until(() => f.adapter.state === 'disconnected', 'disconnected');
    f.tws.fill('away', 50, 100);
    f.tws.comeUp();
    await until(() => f.adapter.state === 'connected', 'reconnected');
    await f.adapter.fills(0); // another look at the same executions
    await f.adapter.orders();
    expect(kinds(f.events, 'away')).toEqual(['accepted', 'fill']);
    expect(eventOf(f.events, 'fill', 'away')?.quantity).toBe(50);
  });

  it('an order lost in flight is settled as never received after the reconnect, and not sent again', async () => {
    const f = await fixture();
    f.adapter.submit(order({ id: 'lost' }), f.aapl);
    f.tws.goDown(); // before the fake read it
    await until(() => f.adapter.state === 'disconnected', 'disconnected');
    expect(kinds(f.events, 'lost')).toEqual([]); // unknown, not rejected
    f.tws.comeUp();
    await until(() => f.adapter.state === 'connected', 'reconnected');
    expect(kinds(f.events, 'lost')).toEqual(['rejected']);
    expect(eventOf(f.events, 'rejected', 'lost')?.reason).toBe('VENUE_IB_NOT_RECEIVED');
    expect(f.tws.placeCount('lost')).toBe(0);
    expect(f.adapter.counters.notReceived).toBe(1);
  });

  it('an order IB took but never acknowledged is found by the catch-up query and accepted, not sent again', async () => {
    const f = await fixture();
    f.tws.answerOrders = false;
    f.adapter.submit(order({ id: 'silent' }), f.aapl);
    await until(() => f.tws.placeCount('silent') === 1, 'at the venue');
    f.tws.goDown();
    await until(() => f.adapter.state === 'disconnected', 'disconnected');
    f.tws.answerOrders = true;
    f.tws.comeUp();
    await until(() => f.adapter.state === 'connected', 'reconnected');
    expect(kinds(f.events, 'silent')).toEqual(['accepted']);
    expect(f.tws.receivedCount(3)).toBe(1);
  });

  it('treats TWS losing IB (1100) as not connected until it is restored (1102)', async () => {
    const f = await fixture();
    f.tws.connectivity(true);
    await until(() => f.adapter.state === 'connecting', 'not connected');
    f.adapter.submit(order({ id: 'offline' }), f.aapl);
    expect(eventOf(f.events, 'rejected', 'offline')?.reason).toBe('VENUE_IB_DISCONNECTED');
    f.tws.connectivity(false);
    await until(() => f.adapter.state === 'connected', 'connected again');
  });
});

describe('pacing', () => {
  it('an order the venue dropped for pacing (error 100) is rejected with that reason, then sending pauses', async () => {
    const f = await fixture({ settings: { pacing: { messagesPerSecond: 50, pauseAfterViolationMs: 1000 } } });
    f.tws.limitMessages(3);
    const ids = [0, 1, 2, 3].map((i) => `burst-${i}`);
    for (const id of ids) f.adapter.submit(order({ id }), f.aapl);
    await until(() => ids.every((id) => kinds(f.events, id).length > 0), 'every order answered');
    // Three fit the venue's one-second window; the fourth is refused and rejected with the reason.
    expect(ids.map((id) => kinds(f.events, id))).toEqual([
      ['accepted'],
      ['accepted'],
      ['accepted'],
      ['rejected'],
    ]);
    expect(eventOf(f.events, 'rejected', 'burst-3')?.reason).toBe('VENUE_IB_PACING');
    expect(f.adapter.counters.pacingViolations).toBe(1);
    // The adapter holds back for the pause (past the venue's window), so the next order goes through.
    f.adapter.submit(order({ id: 'after-pause' }), f.aapl);
    await accepted(f, 'after-pause');
    expect(f.tws.pacingViolations).toBe(1);
    expect(f.adapter.state).toBe('connected');
  });

  it('stays under its own limit: a burst is spread out and the venue sees no violation', async () => {
    const f = await fixture({
      tws: { messagesPerSecond: 10 },
      settings: { pacing: { messagesPerSecond: 8 } },
    });
    for (let i = 0; i < 6; i++) f.adapter.submit(order({ id: `paced-${i}` }), f.aapl);
    await until(
      () => [0, 1, 2, 3, 4, 5].every((i) => kinds(f.events, `paced-${i}`).includes('accepted')),
      'all accepted',
    );
    expect(f.tws.pacingViolations).toBe(0);
  });
});

describe('malformed and unexpected messages', () => {
  it('logs (with a redacted excerpt) and counts them, and keeps working', async () => {
    const { lines, logger } = capturingLogger();
    const tws = await FakeTws.start({ accounts: [ACCOUNT] });
    const adapter = new IbkrVenueAdapter({
      venue: IBKR,
      settings: testSettings(tws.port),
      clock: new LiveClock(),
      instruments: [...ibkrRegistry().instruments.values()],
      log: logger,
    });
    open.push({ close: async () => (await adapter.disconnect(), await tws.close()) });
    const events: VenueEvent[] = [];
    adapter.onEvent((e) => events.push(e));
    await adapter.connect();

    tws.sendRaw([4, 2, 5, 201, `rejected for ${ACCOUNT}`, '{not json']); // the library's JSON.parse throws
    tws.sendRaw([999, 1, 2]); // no such message
    tws.sendRaw([3, 1]); // an order status cut short
    tws.sendRaw([3, 4242, 'Exploded', 0, 0, 0, 77, 0, 0, CLIENT_ID, '', 0]); // a status IB never sends
    tws.sendRaw([
      11,
      -1,
      1,
      265598,
      'AAPL',
      'STK',
      '',
      0,
      '',
      '',
      'SMART',
      'USD',
      'AAPL',
      'AAPL',
      'x1',
      'bad',
      ACCOUNT,
      'ISLAND',
      'BOT',
      'NaN',
      'abc',
      0,
      0,
      0,
      0,
      0,
      '',
      '',
      '',
      '',
      2,
      0,
    ]);

    adapter.submit(order({ id: 'after' }), ibkrRegistry().instruments.get(order().instrumentId)!);
    await until(() => kinds(events, 'after').includes('accepted'), 'still trading');
    expect(adapter.counters.malformedMessages).toBe(4);
    expect(adapter.counters.unexpectedMessages).toBe(1);
    expect(adapter.state).toBe('connected');
    const logged = lines.join('\n');
    expect(logged).toContain('"raw":');
    expect(logged).toContain('VENUE_MALFORMED_MESSAGE');
    expect(logged).not.toContain(ACCOUNT);
  });
});

describe('secrets', () => {
  it('no log line of a whole session carries an account code', async () => {
    const { lines, logger } = capturingLogger();
    const tws = await FakeTws.start({ accounts: [ACCOUNT, 'DU7654321'] });
    const adapter = new IbkrVenueAdapter({
      venue: IBKR,
      settings: testSettings(tws.port),
      clock: new LiveClock(),
      instruments: [...ibkrRegistry().instruments.values()],
      log: logger,
    });
    open.push({ close: async () => (await adapter.disconnect(), await tws.close()) });
    const events: VenueEvent[] = [];
    adapter.onEvent((e) => events.push(e));
    await adapter.connect();
    const aapl = ibkrRegistry().instruments.get(order().instrumentId)!;
    adapter.submit(order({ id: 's1' }), aapl);
    await until(() => kinds(events, 's1').includes('accepted'), 'accepted');
    tws.sendCommissionReports = false; // the estimate is logged
    tws.fill('s1', 100, 100);
    tws.sendRaw([3, 1, 'Weird', 0, 0, 0, 0, 0, 0, CLIENT_ID, ACCOUNT, 0]); // logged with its raw excerpt
    await until(() => kinds(events, 's1').includes('fill'), 'filled');
    await adapter.fills(0);
    await adapter.positions();
    await adapter.balances();
    tws.dropConnections();
    await until(() => adapter.state === 'connected' && adapter.counters.reconnects > 0, 'reconnected');
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.join('\n')).not.toMatch(/DU1234567|DU7654321/);
  });
});

describe('reconciliation queries', () => {
  it('reports orders, fills, positions and balances of the account; other accounts are left out', async () => {
    const f = await fixture();
    f.adapter.submit(order({ id: 'q1', quantity: 100, price: 100 }), f.aapl);
    await accepted(f, 'q1');
    f.tws.fill('q1', 100, 100);
    const other = f.tws.placeExternalOrder({ symbol: 'AAPL', action: 'SELL', quantity: 10, price: 101 });
    await until(() => kinds(f.events, 'q1').includes('fill'), 'filled');

    const fills = await f.adapter.fills(0);
    expect(fills.map((x) => [x.clientOrderId, x.quantity, x.price, x.fee])).toEqual([['q1', 100, 100, 1]]);
    const orders = await f.adapter.orders();
    expect(orders.map((r) => [r.clientOrderId, r.status, r.filledQuantity])).toEqual([
      ['q1', 'FILLED', 100],
      [`IB-${other.permId}`, 'ACCEPTED', 0],
    ]);
    expect(await f.adapter.positions()).toEqual([{ venue: IBKR, instrumentId: f.aapl.id, quantity: 100 }]);
    // 1,000,000 − 100 × 100 − 1.00 commission
    expect(await f.adapter.balances()).toEqual([{ venue: IBKR, currency: 'USD', total: 989_999 }]);
    // Every message of the fake decoded cleanly (the library flags leftover or missing fields).
    expect(f.adapter.counters.malformedMessages).toBe(0);
    expect(f.adapter.counters.unexpectedMessages).toBe(0);
  });

  it('refuses queries while disconnected with a clear error', async () => {
    const f = await fixture();
    f.tws.goDown();
    await until(() => f.adapter.state === 'disconnected', 'disconnected');
    await expect(f.adapter.openOrders()).rejects.toThrow('cannot query open orders');
    await expect(f.adapter.positions()).rejects.toThrow('disconnected');
  });
});

describe('market data', () => {
  it('turns ticks into quotes and trades, a trade once despite the repeated size', async () => {
    const f = await fixture();
    const data: MarketData[] = [];
    f.adapter.onMarketData((m) => data.push(m));
    expect(f.adapter.subscribeMarketData(f.es)).toBe(false); // no IB contract configured
    expect(f.adapter.subscribeMarketData(f.aapl)).toBe(true);
    await f.adapter.openOrders(); // the subscription has reached the fake
    f.tws.tick('AAPL', { bid: 99.5, ask: 100.5, bidSize: 300, askSize: 200 });
    f.tws.tick('AAPL', { last: 100.25, lastSize: 75 });
    await until(() => data.some((m) => m.type === 'trade'), 'a trade');
    await f.adapter.openOrders();
    const quotes = data.filter((m) => m.type === 'quote');
    expect(quotes.at(-1)).toMatchObject({
      instrumentId: f.aapl.id,
      bid: 99.5,
      ask: 100.5,
      bidSize: 300,
      askSize: 200,
    });
    const trades = data.filter((m) => m.type === 'trade');
    expect(trades).toHaveLength(1);
    expect(trades[0]).toMatchObject({ price: 100.25, size: 75 });
  });
});
