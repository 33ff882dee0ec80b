// The Kite ticker feed against the fake on loopback: subscription, ticks into market data, heartbeats,
// malformed frames, drops and reconnects, running out of reconnects without process.exit, a dead token, order
// updates wired to the adapter, and no credential in any log line.

import { KiteTicker } from 'kiteconnect';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LiveClock } from '../../common/clock.ts';
import { createLogger } from '../../common/logging.ts';
import type { Alert, BookSnapshot, MarketData, QuoteTick, TradeTick } from '../../model/index.ts';
import { parseRegistry } from '../../common/registry.ts';
import { startFakeKite, type FakeKite } from '../../../tests/support/fake-kite.ts';
import { ZerodhaVenueAdapter } from './adapter.ts';
import { ZerodhaFeed, type ZerodhaFeedState } from './feed.ts';
import { createZerodhaVenue } from './index.ts';
import {
  eventually,
  FAKE_INSTRUMENTS,
  INFY,
  INFY_TOKEN,
  NIFTY_FUTURE,
  NIFTY_FUTURE_TOKEN,
  sleep,
  testConfig,
  USDINR,
  VENUE,
} from './fixtures.test-support.ts';
import type { ZerodhaConfigInput } from './config.ts';

interface FeedSetup {
  readonly fake: FakeKite;
  readonly feed: ZerodhaFeed;
  readonly received: MarketData[];
  readonly alerts: Alert[];
  readonly states: ZerodhaFeedState[];
  readonly logs: string[];
  readonly env: Record<string, string | undefined>;
}

const running: { feed: ZerodhaFeed; fake: FakeKite }[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  for (const { feed, fake } of running.splice(0)) {
    feed.stop();
    await fake.close();
  }
});

async function feedSetup(ticker: ZerodhaConfigInput['ticker'] = {}): Promise<FeedSetup> {
  const fake = await startFakeKite({ instruments: FAKE_INSTRUMENTS, heartbeatMs: 100 });
  const config = testConfig(fake, {
    ticker: { reconnectBaseDelayMs: 20, reconnectMaxDelayMs: 50, reconnectMaxAttempts: 3, ...ticker },
  });
  const env = {
    KITE_API_KEY: fake.apiKey,
    KITE_API_SECRET: fake.apiSecret,
    KITE_ACCESS_TOKEN: fake.issueAccessToken(),
  };
  const adapter = new ZerodhaVenueAdapter({
    venue: VENUE,
    config,
    clock: new LiveClock(),
    instruments: [INFY, NIFTY_FUTURE, USDINR],
    env,
  });
  const logs: string[] = [];
  const received: MarketData[] = [];
  const feed = new ZerodhaFeed({
    venue: VENUE,
    config,
    clock: new LiveClock(),
    routes: adapter.kiteRoutes.values(),
    sink: (m) => received.push(m),
    logger: createLogger('test', 'debug', { write: (line) => logs.push(line) }),
    env,
  });
  const alerts: Alert[] = [];
  const states: ZerodhaFeedState[] = [];
  feed.onAlert((a) => alerts.push(a));
  feed.onState((s) => states.push(s));
  running.push({ feed, fake });
  return { fake, feed, received, alerts, states, logs, env };
}

async function started(ticker: ZerodhaConfigInput['ticker'] = {}): Promise<FeedSetup> {
  const s = await feedSetup(ticker);
  s.feed.start();
  await eventually(() => s.feed.state === 'connected', 'connected');
  await eventually(() => s.fake.subscriptions().size === 2, 'subscribed');
  return s;
}

describe('ZerodhaFeed', () => {
  it('subscribes the configured tokens in full mode and turns ticks into quotes, books and trades', async () => {
    const s = await started();
    expect([...s.fake.subscriptions()]).toEqual([
      [INFY_TOKEN, 'full'],
      [NIFTY_FUTURE_TOKEN, 'full'],
    ]);
    s.fake.tick(INFY_TOKEN, {
      lastPrice: 1500.5,
      lastQuantity: 3,
      volume: 1000,
      exchangeTime: 1_718_176_569,
      bids: [[1500.45, 10]],
      asks: [[1500.55, 12]],
    });
    await eventually(() => s.received.length === 3, 'three messages');
    const [quote, book, trade] = s.received as [QuoteTick, BookSnapshot, TradeTick];
    expect(quote).toMatchObject({
      type: 'quote',
      instrumentId: INFY.id,
      bid: 1500.45,
      ask: 1500.55,
      bidSize: 10,
      askSize: 12,
      tsEvent: 1_718_176_569_000_000,
    });
    expect(book).toMatchObject({
      type: 'book',
      bids: [{ price: 1500.45, size: 10 }],
      asks: [{ price: 1500.55, size: 12 }],
      sequence: 1,
    });
    expect(trade).toMatchObject({ type: 'trade', price: 1500.5, size: 3 });
    await eventually(() => s.feed.counters.heartbeats > 0, 'heartbeats');
    expect(s.received).toHaveLength(3);
  });

  it('a malformed frame is logged with the venue and a hex excerpt, counted, and the feed goes on', async () => {
    const s = await started();
    s.fake.sendTickerRaw(Uint8Array.of(0, 2, 0, 8, 0, 6, 0x3a, 0x01));
    s.fake.tick(INFY_TOKEN, {
      lastPrice: 1501,
      lastQuantity: 1,
      volume: 5,
      bids: [[1500.95, 1]],
      asks: [[1501.05, 1]],
    });
    await eventually(() => s.received.some((m) => m.type === 'trade'), 'the next tick');
    expect(s.feed.counters.malformed).toBe(1);
    const line = s.logs.find((l) => l.includes('malformed Kite ticker frame'));
    expect(JSON.parse(line ?? '{}')).toMatchObject({
      level: 'warn',
      venue: 'ZERODHA',
      code: 'VENUE_MALFORMED_MESSAGE',
      excerpt: '0002000800063a01',
    });
  });

  it('reconnects after a drop and subscribes again', async () => {
    const s = await started();
    s.fake.dropTicker();
    await eventually(() => s.feed.counters.drops === 1, 'drop noticed');
    await eventually(() => s.feed.state === 'connected' && s.fake.subscriptions().size === 2, 'back');
    s.fake.tick(INFY_TOKEN, { lastPrice: 1502, lastQuantity: 2, volume: 7 });
    await eventually(() => s.received.some((m) => m.type === 'trade'), 'ticks again');
    expect(s.feed.counters.reconnects).toBeGreaterThanOrEqual(1);
    expect(s.states).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
  });

  it('when reconnects run out the feed is down with an alert and the process is not exited', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const s = await started({ reconnectMaxAttempts: 2 });
    // Turn the official client's own auto-reconnect on (its settings are process-wide): still no exit.
    new KiteTicker({ api_key: 'k', access_token: 't' }).autoReconnect(true, 1, 5);
    s.fake.setTickerRefused(true);
    s.fake.dropTicker();
    await eventually(() => s.feed.state === 'down', 'down', 5000);
    expect(s.fake.tickerRefusals).toBe(2);
    expect(s.alerts).toHaveLength(1);
    expect(s.alerts[0]).toMatchObject({
      severity: 'critical',
      code: 'VENUE_FEED_DOWN',
      source: 'feed:ZERODHA',
    });
    await sleep(200);
    expect(exit).not.toHaveBeenCalled();
    expect(s.fake.tickerRefusals).toBe(2);
  });

  it('the official client’s reconnect hook, called past its retry limit, never reaches process.exit', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const s = await started();
    const ticker = (
      s.feed as unknown as { ticker: { attemptReconnection(): void; autoReconnect(...a: unknown[]): void } }
    ).ticker;
    ticker.autoReconnect(true, 1, 5); // one retry allowed: the library's third call would exit
    s.fake.setTickerRefused(true);
    s.fake.dropTicker();
    for (let i = 0; i < 5; i++) ticker.attemptReconnection();
    await eventually(() => s.feed.state === 'down' || s.feed.state === 'reconnecting', 'handled by the feed');
    expect(exit).not.toHaveBeenCalled();
  });

  it('a 403 on reconnect (dead access token) is not retried', async () => {
    const s = await started();
    s.fake.expireTokens();
    await eventually(() => s.feed.state === 'down', 'down');
    expect(s.alerts.map((a) => a.code)).toEqual(['VENUE_KITE_TOKEN_EXPIRED']);
    const refusals = s.fake.tickerRefusals;
    expect(refusals).toBe(1);
    await sleep(200);
    expect(s.fake.tickerRefusals).toBe(refusals);
    // After the daily login the feed starts again.
    s.env.KITE_ACCESS_TOKEN = s.fake.issueAccessToken();
    s.feed.start();
    await eventually(() => s.feed.state === 'connected', 'connected again');
  });

  it('only one feed runs per process (the official client holds one connection)', async () => {
    const first = await started();
    const second = await feedSetup();
    expect(() => second.feed.start()).toThrow(/one connection per process/);
    first.feed.stop();
    second.feed.start();
    await eventually(() => second.feed.state === 'connected', 'the second connects');
  });

  it('credentials appear in no log line', async () => {
    const s = await started();
    s.fake.expireTokens();
    await eventually(() => s.feed.state === 'down', 'down');
    expect(s.logs.length).toBeGreaterThan(0);
    const text = s.logs.join('\n');
    for (const secret of [s.env.KITE_ACCESS_TOKEN, s.fake.apiKey, s.fake.apiSecret])
      expect(text).not.toContain(secret);
  });
});

describe('createZerodhaVenue', () => {
  it('builds the adapter and the feed from the registry entry; ticker order updates trigger a poll', async () => {
    const fake = await startFakeKite({ instruments: FAKE_INSTRUMENTS, heartbeatMs: 100 });
    const registry = parseRegistry({
      venues: { ZERODHA: { adapter: 'zerodha' } },
      instruments: [
        {
          symbol: 'INFY',
          venues: ['ZERODHA'],
          assetClass: 'equity',
          currency: 'INR',
          tickSize: 0.05,
          lotSize: 1,
          region: 'IN',
          sector: 'technology',
        },
      ],
    });
    const received: MarketData[] = [];
    const alerts: Alert[] = [];
    const venue = createZerodhaVenue({
      venue: VENUE,
      config: registry.venues.get(VENUE) ?? (undefined as never),
      clock: new LiveClock(),
      logger: createLogger('test', 'silent'),
      instruments: [...registry.instruments.values()],
      options: {
        restRoot: fake.restRoot,
        tickerRoot: fake.tickerRoot,
        pollIntervalMs: 60_000,
        instruments: { INFY: { token: INFY_TOKEN } },
      },
      env: {
        KITE_API_KEY: fake.apiKey,
        KITE_API_SECRET: fake.apiSecret,
        KITE_ACCESS_TOKEN: fake.issueAccessToken(),
      },
      sink: (m) => received.push(m),
      onAlert: (a) => alerts.push(a),
    });
    const feed = venue.feed;
    if (!feed) throw new Error('no feed built');
    running.push({ feed, fake });
    await venue.adapter.connect();
    feed.start();
    await eventually(() => fake.subscriptions().size === 1, 'subscribed');
    const polls = venue.adapter.counters.polls;
    fake.placeExternal({ exchange: 'NSE', tradingsymbol: 'INFY', side: 'BUY', quantity: 1 });
    await eventually(
      () => feed.counters.orderUpdates > 0 && venue.adapter.counters.polls > polls,
      'a poll on the update',
    );
    fake.tick(INFY_TOKEN, { lastPrice: 1500, lastQuantity: 1, volume: 1 });
    await eventually(() => received.length > 0, 'market data');
    await venue.adapter.disconnect();
    expect(alerts).toEqual([]);
  });
});
