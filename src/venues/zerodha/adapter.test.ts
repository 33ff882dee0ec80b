// The Zerodha adapter against a fake Kite on loopback: order flow, rejections before and at the venue, lost
// answers, cancels and modifies, the daily token's expiry, rate limits, malformed payloads, secrets, postbacks
// and reconciliation queries.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { describeReason } from '../../common/errors.ts';
import { clientOrderId, type VenueEvent } from '../../model/index.ts';
import { externalClientOrderId, tagFor } from './adapter.ts';
import {
  eventOf,
  eventually,
  INFY,
  kindsOf,
  kiteSetup,
  NIFTY_FUTURE,
  order,
  sleep,
  USDINR,
  type KiteSetup,
  type KiteSetupOptions,
} from './fixtures.test-support.ts';
import { ZerodhaVenueError } from './kite-errors.ts';

const open: KiteSetup[] = [];
const servers: Server[] = [];

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

async function connected(options: KiteSetupOptions = {}): Promise<KiteSetup> {
  const s = await kiteSetup(options);
  open.push(s);
  await s.adapter.connect();
  expect(s.adapter.state).toBe('connected');
  return s;
}

function kiteOrderOf(s: KiteSetup, id: string): string {
  const found = s.fake.ordersTagged(tagFor(id))[0];
  if (!found) throw new Error(`no Kite order for ${id}`);
  return found.order_id;
}

describe('orders', () => {
  it('a market order: the request Kite gets, accepted once listed working, the fill from /trades with charges', async () => {
    const s = await connected();
    const o = order({ quantity: 10 });
    s.adapter.submit(o, INFY);
    await eventually(() => kindsOf(s.events, o.clientOrderId).includes('fill'), 'fill');

    const [placed] = s.fake.requestsTo('place');
    expect(placed?.path).toBe('/orders/regular');
    expect(placed?.body).toMatchObject({
      exchange: 'NSE',
      tradingsymbol: 'INFY',
      transaction_type: 'BUY',
      quantity: '10',
      product: 'CNC',
      order_type: 'MARKET',
      validity: 'DAY',
      tag: tagFor(o.clientOrderId),
    });
    expect(kindsOf(s.events, o.clientOrderId)).toEqual(['accepted', 'fill']);
    const accepted = eventOf(s.events, o.clientOrderId, 'accepted');
    const fill = eventOf(s.events, o.clientOrderId, 'fill');
    expect(accepted?.venueOrderId).toBe(kiteOrderOf(s, o.clientOrderId));
    expect(fill).toMatchObject({
      side: 'buy',
      quantity: 10,
      price: 1500,
      feeCurrency: 'INR',
      liquidity: 'taker',
    });
    // Equity delivery (CNC) buy of 10 × ₹1,500 on NSE, turnover ₹15,000 (zerodha.com/charges, Oct 2024):
    // brokerage 0; STT 0.1% = 15; NSE txn 0.00297% = 0.4455; SEBI ₹10/crore = 0.015;
    // GST 18% × (0 + 0.4455 + 0.015) = 0.08289; stamp 0.015% = 2.25. Total 17.79339 → ₹17.79.
    expect(fill?.fee).toBe(17.79);
    // Kite's fill_timestamp has whole seconds (IST), read as unix µs.
    expect((fill?.tsEvent ?? 1) % 1_000_000).toBe(0);
    expect(Math.abs((fill?.tsEvent ?? 0) - Date.now() * 1000)).toBeLessThan(5_000_000);
  });

  it('a limit order rests and fills when the price comes to it; a stop-limit reports its trigger', async () => {
    const s = await connected();
    const limit = order({ type: 'limit', price: 1490 });
    s.adapter.submit(limit, INFY);
    await eventually(() => kindsOf(s.events, limit.clientOrderId).includes('accepted'), 'accepted');
    s.fake.setPrice('NSE', 'INFY', 1490);
    await eventually(() => kindsOf(s.events, limit.clientOrderId).includes('fill'), 'fill');
    expect(eventOf(s.events, limit.clientOrderId, 'fill')).toMatchObject({ price: 1490, liquidity: 'maker' });

    const stop = order({ type: 'stop_limit', side: 'sell', triggerPrice: 1480, price: 1485 });
    s.adapter.submit(stop, INFY);
    await eventually(() => kindsOf(s.events, stop.clientOrderId).includes('accepted'), 'accepted');
    expect(s.fake.order(kiteOrderOf(s, stop.clientOrderId))).toMatchObject({
      order_type: 'SL',
      status: 'TRIGGER PENDING',
      trigger_price: 1480,
      price: 1485,
    });
    s.fake.setPrice('NSE', 'INFY', 1480); // triggers; the sell limit at 1485 then rests above the market
    await eventually(() => kindsOf(s.events, stop.clientOrderId).includes('triggered'), 'triggered');
    s.fake.setPrice('NSE', 'INFY', 1485);
    await eventually(() => kindsOf(s.events, stop.clientOrderId).includes('fill'), 'fill');
    expect(kindsOf(s.events, stop.clientOrderId)).toEqual(['accepted', 'triggered', 'fill']);
  });

  it('orders Kite cannot take are rejected before they leave, each with a catalogued reason', async () => {
    const s = await connected();
    const cases = [
      [order({ timeInForce: 'FOK' }), INFY, 'VENUE_UNSUPPORTED_ORDER'],
      [order({ type: 'stop' }), INFY, 'VENUE_INVALID_ORDER'],
      [order({ quantity: 2.5 }), INFY, 'VENUE_INVALID_ORDER'],
      [order({ type: 'limit', price: 1500.02 }), INFY, 'VENUE_INVALID_ORDER'],
      [order({ instrumentId: NIFTY_FUTURE.id, quantity: 10 }), NIFTY_FUTURE, 'VENUE_INVALID_ORDER'],
      [order({ instrumentId: USDINR.id }), USDINR, 'VENUE_UNSUPPORTED_ORDER'],
      [order({ type: 'trailing' as never }), INFY, 'VENUE_UNSUPPORTED_ORDER'],
    ] as const;
    for (const [o, instrument] of cases) s.adapter.submit(o, instrument);
    for (const [o, , reason] of cases) {
      const rejected = eventOf(s.events, o.clientOrderId, 'rejected');
      expect(rejected?.reason, o.clientOrderId).toBe(reason);
      expect(rejected?.message.length).toBeGreaterThan(0);
      expect(kindsOf(s.events, o.clientOrderId)).toEqual(['rejected']);
    }
    expect(s.fake.requestsTo('place')).toEqual([]);
    expect(s.adapter.counters.rejectedLocally).toBe(cases.length);

    // GTC (the strategies' default) goes out as a day order unless the config says to refuse it.
    const gtc = order({ timeInForce: 'GTC', type: 'limit', price: 1400 });
    s.adapter.submit(gtc, INFY);
    await eventually(() => kindsOf(s.events, gtc.clientOrderId).includes('accepted'), 'accepted');
    expect(s.fake.requestsTo('place')[0]?.body.validity).toBe('DAY');
    const strict = await connected({ existing: s.fake, config: { goodTillCanceled: 'reject' } });
    const refused = order({ timeInForce: 'GTC', type: 'limit', price: 1400 });
    strict.adapter.submit(refused, INFY);
    expect(eventOf(strict.events, refused.clientOrderId, 'rejected')?.reason).toBe('VENUE_UNSUPPORTED_ORDER');
  });

  it('Kite refusing a placement is a rejection with the matching reason and Kite message', async () => {
    const s = await connected();
    const cases = [
      ['InputException', 'Invalid `price`.', 'VENUE_INVALID_ORDER'],
      ['MarginException', 'Insufficient funds. Required margin is 15000.00', 'VENUE_INSUFFICIENT_MARGIN'],
      ['HoldingException', 'Insufficient holdings to sell', 'VENUE_INSUFFICIENT_HOLDINGS'],
      ['OrderException', 'Order not allowed in this segment', 'VENUE_REJECTED'],
    ] as const;
    for (const [errorType, message, reason] of cases) {
      s.fake.failNext('place', { status: 400, errorType, message });
      const o = order();
      s.adapter.submit(o, INFY);
      await eventually(() => kindsOf(s.events, o.clientOrderId).includes('rejected'), 'rejected');
      const rejected = eventOf(s.events, o.clientOrderId, 'rejected');
      expect(rejected?.reason).toBe(reason);
      expect(rejected?.message).toContain(message);
      expect(describeReason(reason)).not.toBe(reason);
    }
    expect(s.adapter.counters.rejectedByVenue).toBe(cases.length);
  });

  it('an RMS rejection after Kite gave an order id is a rejection, never an acceptance', async () => {
    const s = await connected();
    s.fake.rmsRejectNext('Insufficient funds. Required margin is 15000.00 but available margin is 100.00.');
    const o = order();
    s.adapter.submit(o, INFY);
    await eventually(() => kindsOf(s.events, o.clientOrderId).includes('rejected'), 'rejected');
    await s.adapter.sync();
    expect(kindsOf(s.events, o.clientOrderId)).toEqual(['rejected']);
    expect(eventOf(s.events, o.clientOrderId, 'rejected')).toMatchObject({
      reason: 'VENUE_INSUFFICIENT_MARGIN',
      message: expect.stringContaining('Insufficient funds') as unknown,
    });
  });

  it('a placement whose answer is lost is found by its tag and never sent again', async () => {
    const s = await connected();
    s.fake.dropResponses('place');
    const o = order();
    s.adapter.submit(o, INFY);
    await eventually(() => kindsOf(s.events, o.clientOrderId).includes('fill'), 'fill');
    await s.adapter.sync();
    expect(kindsOf(s.events, o.clientOrderId)).toEqual(['accepted', 'fill']);
    expect(s.fake.requestsTo('place')).toHaveLength(1);
    expect(s.fake.ordersTagged(tagFor(o.clientOrderId))).toHaveLength(1);
  });

  it('a placement that never reached Kite stays in flight, then is rejected once Kite has not listed it', async () => {
    const s = await connected();
    s.fake.failNext('place', { status: 502, errorType: 'NetworkException', message: 'Gateway timed out' });
    const o = order();
    s.adapter.submit(o, INFY);
    await eventually(() => s.fake.requestsTo('place').length === 1, 'sent');
    await sleep(300);
    expect(kindsOf(s.events, o.clientOrderId)).toEqual([]); // unknown is not rejected
    await eventually(() => kindsOf(s.events, o.clientOrderId).includes('rejected'), 'given up', 5000);
    expect(eventOf(s.events, o.clientOrderId, 'rejected')?.reason).toBe('VENUE_UNKNOWN_ORDER');
    expect(s.fake.requestsTo('place')).toHaveLength(1);
  });

  it('cancels: on request, by the exchange, an IOC remainder; unknown and closed orders are refused', async () => {
    const s = await connected({ fake: { autoFill: false } });
    const resting = order({ type: 'limit', price: 1400 });
    s.adapter.submit(resting, INFY);
    await eventually(() => kindsOf(s.events, resting.clientOrderId).includes('accepted'), 'accepted');
    s.adapter.cancel(resting.clientOrderId);
    await eventually(() => kindsOf(s.events, resting.clientOrderId).includes('canceled'), 'canceled');
    expect(eventOf(s.events, resting.clientOrderId, 'canceled')?.reason).toBe('VENUE_USER_CANCELED');

    const dropped = order({ type: 'limit', price: 1400 });
    s.adapter.submit(dropped, INFY);
    await eventually(() => kindsOf(s.events, dropped.clientOrderId).includes('accepted'), 'accepted');
    s.fake.cancelByExchange(kiteOrderOf(s, dropped.clientOrderId));
    await eventually(() => kindsOf(s.events, dropped.clientOrderId).includes('canceled'), 'canceled');
    expect(eventOf(s.events, dropped.clientOrderId, 'canceled')?.reason).toBe('VENUE_CANCELED_BY_VENUE');

    const ioc = order({ type: 'limit', price: 1400, timeInForce: 'IOC' });
    s.adapter.submit(ioc, INFY);
    await eventually(() => kindsOf(s.events, ioc.clientOrderId).includes('canceled'), 'canceled');
    expect(eventOf(s.events, ioc.clientOrderId, 'canceled')?.reason).toBe('VENUE_IOC_REMAINDER');

    s.adapter.cancel(clientOrderId('never-sent'));
    expect(eventOf(s.events, clientOrderId('never-sent'), 'cancel_rejected')?.reason).toBe(
      'VENUE_UNKNOWN_ORDER',
    );
    s.adapter.cancel(resting.clientOrderId);
    expect(eventOf(s.events, resting.clientOrderId, 'cancel_rejected')?.reason).toBe('VENUE_ORDER_CLOSED');
    expect(s.fake.requestsTo('cancel')).toHaveLength(1);
  });

  it('a cancel asked for while the placement is in flight is sent once Kite names the order', async () => {
    const s = await connected({ fake: { autoFill: false } });
    const o = order({ type: 'limit', price: 1400 });
    s.adapter.submit(o, INFY);
    s.adapter.cancel(o.clientOrderId);
    await eventually(() => kindsOf(s.events, o.clientOrderId).includes('canceled'), 'canceled');
    expect(kindsOf(s.events, o.clientOrderId).at(-1)).toBe('canceled');
    expect(s.fake.requestsTo('cancel')).toHaveLength(1);
  });

  it('modifies a resting order at Kite; a change to a filled order is refused', async () => {
    const s = await connected({ fake: { autoFill: false } });
    const o = order({ type: 'limit', price: 1400, quantity: 10 });
    s.adapter.submit(o, INFY);
    await eventually(() => kindsOf(s.events, o.clientOrderId).includes('accepted'), 'accepted');
    s.adapter.modify(o.clientOrderId, { price: 1410, quantity: 12 });
    await eventually(() => kindsOf(s.events, o.clientOrderId).includes('modified'), 'modified');
    expect(eventOf(s.events, o.clientOrderId, 'modified')).toMatchObject({ price: 1410, quantity: 12 });
    expect(s.fake.order(kiteOrderOf(s, o.clientOrderId))).toMatchObject({ price: 1410, quantity: 12 });
    expect(s.fake.requestsTo('modify')[0]?.body).toMatchObject({
      price: '1410',
      quantity: '12',
      order_type: 'LIMIT',
    });

    s.adapter.modify(o.clientOrderId, { price: 1410.01 });
    expect(eventOf(s.events, o.clientOrderId, 'modify_rejected')?.reason).toBe('VENUE_INVALID_ORDER');
    s.fake.fill(kiteOrderOf(s, o.clientOrderId), 12, 1410);
    await eventually(() => kindsOf(s.events, o.clientOrderId).includes('fill'), 'fill');
    await s.adapter.sync();
    s.adapter.modify(o.clientOrderId, { price: 1420 });
    expect(s.events.filter((e) => e.kind === 'modify_rejected').map((e) => e.reason)).toEqual([
      'VENUE_INVALID_ORDER',
      'VENUE_ORDER_CLOSED',
    ]);
    expect(s.fake.requestsTo('modify')).toHaveLength(1);
  });
});

describe('the daily access token', () => {
  it('a TokenException stops the venue: one alert, nothing more sent with the dead token, orders refused', async () => {
    const s = await connected({ fake: { autoFill: false } });
    const resting = order({ type: 'limit', price: 1400 });
    s.adapter.submit(resting, INFY);
    await eventually(() => kindsOf(s.events, resting.clientOrderId).includes('accepted'), 'accepted');
    const states: string[] = [];
    s.adapter.onStatus((state) => states.push(state));

    s.fake.expireTokens();
    await eventually(() => s.adapter.state === 'disconnected', 'the venue stops');
    expect(states).toEqual(['disconnected']);
    expect(s.adapter.sessionExpired).toBe(true);
    expect(s.alerts).toHaveLength(1);
    expect(s.alerts[0]).toMatchObject({
      severity: 'critical',
      code: 'VENUE_KITE_TOKEN_EXPIRED',
      source: 'venue:ZERODHA',
    });
    expect(s.alerts[0]?.message).toContain('daily login');

    const rejections = s.fake.tokenRejections;
    const requests = s.fake.requests.length;
    await sleep(400); // eight poll intervals
    expect(s.fake.tokenRejections).toBe(rejections);
    expect(s.fake.requests.length).toBe(requests);

    const late = order();
    s.adapter.submit(late, INFY);
    expect(eventOf(s.events, late.clientOrderId, 'rejected')?.reason).toBe('VENUE_KITE_TOKEN_EXPIRED');
    s.adapter.cancel(resting.clientOrderId);
    expect(eventOf(s.events, resting.clientOrderId, 'cancel_rejected')?.reason).toBe(
      'VENUE_KITE_TOKEN_EXPIRED',
    );
    const query = await s.adapter.openOrders().catch((error: unknown) => error);
    expect(query).toBeInstanceOf(ZerodhaVenueError);
    expect((query as ZerodhaVenueError).code).toBe('VENUE_KITE_TOKEN_EXPIRED');
    expect(s.fake.requests.length).toBe(requests);

    // The daily login: a new token; the order that stayed at Kite is picked up again.
    await s.adapter.renewSession(s.fake.issueAccessToken());
    expect(s.adapter.state).toBe('connected');
    s.fake.fill(kiteOrderOf(s, resting.clientOrderId), 10, 1400);
    await eventually(() => kindsOf(s.events, resting.clientOrderId).includes('fill'), 'fill after the login');
    expect(s.alerts).toHaveLength(1);
  });

  it('a TokenException on placement rejects that order and those queued behind the rate limit', async () => {
    const s = await connected({ config: { rateLimit: { ordersPerSecond: 1 } } });
    const first = order();
    s.adapter.submit(first, INFY);
    await eventually(() => kindsOf(s.events, first.clientOrderId).includes('fill'), 'first filled');
    const queued = [order(), order(), order()];
    s.fake.expireTokens();
    for (const o of queued) s.adapter.submit(o, INFY);
    await eventually(
      () => queued.every((o) => kindsOf(s.events, o.clientOrderId).includes('rejected')),
      'all rejected',
    );
    for (const o of queued)
      expect(eventOf(s.events, o.clientOrderId, 'rejected')?.reason).toBe('VENUE_KITE_TOKEN_EXPIRED');
    // At most the one already on its way met the dead token; nothing queued was sent.
    expect(s.fake.requestsTo('place').length).toBeLessThanOrEqual(2);
    expect(s.alerts.filter((a) => a.code === 'VENUE_KITE_TOKEN_EXPIRED')).toHaveLength(1);
  });

  it('without an access token the venue stays disconnected and says which variable to set', async () => {
    const s = await kiteSetup({ withToken: false });
    open.push(s);
    await s.adapter.connect();
    expect(s.adapter.state).toBe('disconnected');
    expect(s.alerts[0]?.code).toBe('VENUE_KITE_TOKEN_EXPIRED');
    expect(s.alerts[0]?.message).toContain('KITE_ACCESS_TOKEN');
    expect(s.fake.requests).toEqual([]);
  });

  it('without an API key connect throws, naming the variable', async () => {
    const s = await kiteSetup();
    open.push(s);
    s.env.KITE_API_KEY = undefined;
    await expect(s.adapter.connect()).rejects.toThrow(/KITE_API_KEY/);
  });
});

describe('rate limits', () => {
  it('a burst of orders is paced under Kite’s limit: no 429', async () => {
    const s = await connected();
    const burst = Array.from({ length: 15 }, () => order({ quantity: 1 }));
    for (const o of burst) s.adapter.submit(o, INFY);
    await eventually(
      () => burst.every((o) => kindsOf(s.events, o.clientOrderId).includes('fill')),
      'all filled',
      10_000,
    );
    expect(s.fake.requestsTo('place')).toHaveLength(15);
    expect(s.fake.throttled).toBe(0);
    expect(s.adapter.counters.rateLimited).toBe(0);
  });

  it('a 429 on placement rejects with VENUE_RATE_LIMITED and warns; a 429 on a poll is not a disconnect', async () => {
    const s = await connected();
    s.fake.throttleNext(1, 'place');
    const o = order();
    s.adapter.submit(o, INFY);
    await eventually(() => kindsOf(s.events, o.clientOrderId).includes('rejected'), 'rejected');
    expect(eventOf(s.events, o.clientOrderId, 'rejected')?.reason).toBe('VENUE_RATE_LIMITED');
    expect(s.alerts.map((a) => [a.severity, a.code])).toEqual([['warning', 'VENUE_RATE_LIMITED']]);

    const states: string[] = [];
    s.adapter.onStatus((state) => states.push(state));
    s.fake.throttleNext(2, 'orders');
    await eventually(() => s.adapter.counters.rateLimited === 3, 'two throttled polls');
    const next = order();
    s.adapter.submit(next, INFY);
    await eventually(() => kindsOf(s.events, next.clientOrderId).includes('fill'), 'the next order fills');
    expect(states).toEqual([]);
  });
});

describe('malformed payloads and secrets', () => {
  it('malformed entries are logged with the venue and an excerpt, counted, and the rest is processed', async () => {
    const s = await connected();
    s.fake.extraOrderEntries.push({ order_id: 'x-broken-1', status: 'OPEN' }, 'not an order');
    s.fake.extraTradeEntries.push({ trade_id: 't-broken-1', order_id: 'x-broken-1' });
    const o = order();
    s.adapter.submit(o, INFY);
    await eventually(() => kindsOf(s.events, o.clientOrderId).includes('fill'), 'fill');
    expect(s.adapter.counters.malformed).toBeGreaterThanOrEqual(2);
    const line = s.logs.find((l) => l.includes('malformed Kite payload'));
    expect(line).toBeDefined();
    const record = JSON.parse(line as string) as Record<string, unknown>;
    expect(record).toMatchObject({ level: 'warn', venue: 'ZERODHA', code: 'VENUE_MALFORMED_MESSAGE' });
    expect(String(record.excerpt)).toMatch(/x-broken-1|t-broken-1|not an order/);
  });

  it('secrets never reach logs, alerts, events or errors', async () => {
    const s = await connected();
    const accessToken = s.env.KITE_ACCESS_TOKEN as string;
    const secrets = [accessToken, s.fake.apiSecret, s.fake.apiKey];
    // Payloads and Kite messages that echo credentials back.
    s.fake.extraOrderEntries.push({
      order_id: 'leak',
      note: `token ${s.fake.apiKey}:${accessToken}`,
      s: s.fake.apiSecret,
    });
    s.fake.failNext('place', {
      status: 400,
      errorType: 'InputException',
      message: `bad request access_token=${accessToken} api_secret=${s.fake.apiSecret}`,
    });
    const o = order();
    s.adapter.submit(o, INFY);
    await eventually(() => kindsOf(s.events, o.clientOrderId).includes('rejected'), 'rejected');
    s.fake.expireTokens();
    await eventually(() => s.adapter.state === 'disconnected', 'expired');
    const error = await s.adapter.positions().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);

    const everything = [
      ...s.logs,
      JSON.stringify(s.alerts),
      JSON.stringify(s.events),
      (error as Error).message,
      JSON.stringify(s.adapter.config),
    ].join('\n');
    expect(s.logs.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(everything).not.toContain(secret);
    expect(eventOf(s.events, o.clientOrderId, 'rejected')?.message).toContain('access_token=****');
  });
});

describe('postbacks and order updates', () => {
  it('a postback with a valid checksum triggers a poll; a forged one is refused', async () => {
    const s = await connected({ fake: { autoFill: false }, config: { pollIntervalMs: 60_000 } });
    const verdicts: boolean[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        verdicts.push(s.adapter.handlePostback(JSON.parse(body)));
        response.end('ok');
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    s.fake.setPostbackUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}/postback`);

    const o = order({ type: 'limit', price: 1400 });
    s.adapter.submit(o, INFY);
    await eventually(() => kindsOf(s.events, o.clientOrderId).includes('accepted'), 'accepted');
    const polls = s.adapter.counters.polls;
    s.fake.fill(kiteOrderOf(s, o.clientOrderId), 10, 1400);
    await eventually(
      () => kindsOf(s.events, o.clientOrderId).includes('fill'),
      'fill told after the postback',
    );
    expect(s.adapter.counters.polls).toBeGreaterThan(polls);
    expect(verdicts.length).toBeGreaterThan(0);
    expect(verdicts.every(Boolean)).toBe(true);

    const forged = {
      order_id: kiteOrderOf(s, o.clientOrderId),
      order_timestamp: '2024-01-01 09:15:00',
      checksum: 'f'.repeat(64),
    };
    expect(s.adapter.handlePostback(forged)).toBe(false);
    expect(s.adapter.handlePostback('garbage')).toBe(false);
    expect(s.adapter.counters.postbacksRejected).toBe(2);
  });
});

describe('reconciliation', () => {
  it('reports orders (ours and external), fills since a time, positions with holdings, and balances', async () => {
    const s = await connected({ config: { positions: 'net+holdings' } });
    const ours = order({ quantity: 10 });
    s.adapter.submit(ours, INFY);
    await eventually(() => kindsOf(s.events, ours.clientOrderId).includes('fill'), 'fill');
    await sleep(1100); // the next trade lands in a later second
    const external = s.fake.placeExternal({
      exchange: 'NSE',
      tradingsymbol: 'INFY',
      side: 'SELL',
      quantity: 4,
    });
    s.fake.setHoldings([{ exchange: 'NSE', tradingsymbol: 'INFY', quantity: 100, t1_quantity: 5 }]);

    const reports = await s.adapter.orders();
    expect(reports.find((r) => r.clientOrderId === ours.clientOrderId)).toMatchObject({
      instrumentId: INFY.id,
      type: 'market',
      status: 'FILLED',
      filledQuantity: 10,
      timeInForce: 'DAY',
    });
    expect(reports.find((r) => r.clientOrderId === externalClientOrderId(external))).toMatchObject({
      side: 'sell',
      status: 'FILLED',
      quantity: 4,
    });
    const fills = await s.adapter.fills(0);
    expect(fills.map((f) => f.clientOrderId)).toEqual([ours.clientOrderId, externalClientOrderId(external)]);
    const later = fills[1];
    expect((await s.adapter.fills(later?.tsEvent ?? 0)).map((f) => f.tradeId)).toEqual([later?.tradeId]);
    // 10 bought − 4 sold today, plus 100 in demat and 5 awaiting settlement (T1).
    expect(await s.adapter.positions()).toEqual([{ venue: 'ZERODHA', instrumentId: INFY.id, quantity: 111 }]);
    expect(await s.adapter.balances()).toEqual([{ venue: 'ZERODHA', currency: 'INR', total: 250_000 }]);
  });

  it('trades already there at connect are for reconciliation; later external trades are told as fills', async () => {
    const s = await kiteSetup();
    open.push(s);
    const before = s.fake.placeExternal({ exchange: 'NSE', tradingsymbol: 'INFY', side: 'BUY', quantity: 3 });
    await s.adapter.connect();
    await s.adapter.sync();
    expect(s.events).toEqual([]);
    expect((await s.adapter.fills(0)).map((f) => f.clientOrderId)).toEqual([externalClientOrderId(before)]);

    const after = s.fake.placeExternal({ exchange: 'NSE', tradingsymbol: 'INFY', side: 'BUY', quantity: 2 });
    await eventually(() => s.events.some((e) => e.kind === 'fill'), 'external fill');
    expect(s.events.map((e) => [e.kind, e.clientOrderId])).toEqual([['fill', externalClientOrderId(after)]]);
  });

  it('after a restart, client order ids the OMS knows map back to their Kite orders', async () => {
    const first = await connected({ fake: { autoFill: false } });
    const o = order({ type: 'limit', price: 1400 });
    first.adapter.submit(o, INFY);
    await eventually(() => kindsOf(first.events, o.clientOrderId).includes('accepted'), 'accepted');
    await first.adapter.disconnect();

    const second = await kiteSetup({ existing: first.fake });
    open.push(second);
    second.adapter.knowClientOrderIds([o.clientOrderId]);
    await second.adapter.connect();
    expect((await second.adapter.openOrders()).map((r) => r.clientOrderId)).toEqual([o.clientOrderId]);
    first.fake.fill(kiteOrderOf(first, o.clientOrderId), 10, 1400);
    await eventually(() => kindsOf(second.events, o.clientOrderId).includes('fill'), 'fill');
    const fill = second.events.find((e): e is Extract<VenueEvent, { kind: 'fill' }> => e.kind === 'fill');
    expect(fill?.clientOrderId).toBe(o.clientOrderId);
  });

  it('fills made while the platform was down are told once the OMS names its orders, even after connect', async () => {
    const first = await connected({ fake: { autoFill: false } });
    const o = order({ type: 'limit', price: 1400 });
    first.adapter.submit(o, INFY);
    await eventually(() => kindsOf(first.events, o.clientOrderId).includes('accepted'), 'accepted');
    await first.adapter.disconnect();
    first.fake.fill(kiteOrderOf(first, o.clientOrderId), 10, 1400);

    const second = await kiteSetup({ existing: first.fake });
    open.push(second);
    await second.adapter.connect();
    await second.adapter.sync();
    expect(second.events).toEqual([]); // not known yet: held for reconciliation
    second.adapter.knowClientOrderIds([o.clientOrderId]);
    await second.adapter.sync();
    expect(kindsOf(second.events, o.clientOrderId)).toEqual(['accepted', 'fill']);
    expect(eventOf(second.events, o.clientOrderId, 'fill')).toMatchObject({ quantity: 10, price: 1400 });
  });

  it('disconnect stops polling', async () => {
    const s = await connected();
    await s.adapter.disconnect();
    const requests = s.fake.requests.length;
    await sleep(300);
    expect(s.fake.requests.length).toBe(requests);
    expect(s.adapter.state).toBe('disconnected');
  });
});
