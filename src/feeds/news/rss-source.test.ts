// The feed source and its poller against a loopback server serving recorded-format documents: conditional GET
// and 304, a 500 then recovery with backoff, a malformed document, dedup across polls, tagging, scheduling.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../bus/memory.ts';
import { SimulatedClock } from '../../common/clock.ts';
import { silentLogger } from '../../common/logging.ts';
import { parseRegistry } from '../../common/registry.ts';
import { Streams } from '../../common/topics.ts';
import type { NewsItem } from '../../model/index.ts';
import { startFeedServer, type FeedServer, type ScriptedResponse } from './feed-server.test-support.ts';
import { NewsPoller } from './poller.ts';
import { FeedSource } from './rss-source.ts';
import { createInstrumentTagger } from './tagger.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../tests/fixtures/news/${name}`, import.meta.url), 'utf8');
const YAHOO = fixture('yahoo-finance-aapl.xml');
const TRUNCATED = fixture('yahoo-finance-truncated.xml');
const LAST_MODIFIED = 'Tue, 02 Jan 2024 14:35:41 GMT';
const INTERVAL = 60_000_000;
const START = 1_704_300_000_000_000;

/** The Yahoo fixture with one more (newest) item at the head of the channel. */
const YAHOO_UPDATED = YAHOO.replace(
  '<item>',
  `<item>
      <description>Apple and Microsoft shares both rose after the open.</description>
      <guid isPermaLink="false">f0e1d2c3-b4a5-3968-8776-5a4b3c2d1e0f</guid>
      <link>https://finance.yahoo.com/news/apple-microsoft-rise-150000111.html?.tsrc=rss</link>
      <pubDate>Tue, 02 Jan 2024 15:00:00 +0000</pubDate>
      <title>Apple, Microsoft rise after the open</title>
    </item>
    <item>`,
);

const rssOk = (body: string, etag: string): ScriptedResponse => ({
  status: 200,
  headers: { 'content-type': 'application/rss+xml; charset=utf-8', etag, 'last-modified': LAST_MODIFIED },
  body,
});

/** 304 when the client sends back the current ETag, the document otherwise. */
const conditional =
  (body: string, etag: string) =>
  (request: { headers: Record<string, unknown> }): ScriptedResponse =>
    request.headers['if-none-match'] === etag ? { status: 304, headers: { etag } } : rssOk(body, etag);

const registry = parseRegistry({
  venues: { 'SIM-A': { adapter: 'paper' }, 'SIM-B': { adapter: 'paper' } },
  instruments: ['AAPL', 'MSFT', 'NVDA'].map((symbol) => ({
    symbol,
    venues: symbol === 'AAPL' ? ['SIM-A', 'SIM-B'] : ['SIM-A'],
    assetClass: 'equity',
    currency: 'USD',
    tickSize: 0.01,
    lotSize: 1,
    region: 'US',
    sector: 'technology',
  })),
});

describe('FeedSource + NewsPoller over HTTP', () => {
  let server: FeedServer;
  let bus: MemoryBus;
  let clock: SimulatedClock;
  let published: NewsItem[];

  const makePoller = (options: { timeoutMs?: number; maxBytes?: number; url?: string } = {}) =>
    new NewsPoller({
      source: new FeedSource({
        name: 'yahoo-aapl',
        url: options.url ?? `${server.url}/rss/2.0/headline?s=AAPL`,
        timeoutMs: options.timeoutMs ?? 5_000,
        ...(options.maxBytes ? { maxBytes: options.maxBytes } : {}),
      }),
      bus,
      clock,
      tagger: createInstrumentTagger(registry, { aliases: { AAPL: ['Apple'], MSFT: ['Microsoft'] } }),
      intervalMicros: INTERVAL,
      maxBackoffMicros: 10 * INTERVAL,
      logger: silentLogger,
    });

  beforeEach(async () => {
    server = await startFeedServer(conditional(YAHOO, '"v1"'));
    bus = new MemoryBus();
    clock = new SimulatedClock(START);
    published = [];
    bus.subscribe(Streams.newsRaw, 'test', (item) => {
      published.push(item);
    });
  });

  afterEach(async () => {
    await server.close();
  });

  it('publishes each item once, oldest first, tagged and stamped', async () => {
    const poller = makePoller();
    const outcome = await poller.pollOnce();
    expect(outcome).toMatchObject({ ok: true, notModified: false, published: 4, duplicates: 0, skipped: 0 });
    expect(outcome.nextDelayMicros).toBe(INTERVAL);
    expect(published.map((item) => item.title)).toEqual([
      'Microsoft edges past Apple in market value',
      'Magnificent Seven stocks: What to watch in 2024 for AAPL, MSFT and NVDA',
      "Apple's Vision Pro to launch in February: report",
      'Apple shares slip after Barclays downgrade to underweight',
    ]);
    expect(published[0]).toMatchObject({
      type: 'news',
      id: 'd4c3b2a1-9f8e-3d7c-b6a5-948372615fed',
      source: 'yahoo-aapl',
      instruments: ['AAPL.SIM-A', 'AAPL.SIM-B', 'MSFT.SIM-A'],
      tsInit: START,
    });
    expect(published[1]?.instruments).toEqual(['AAPL.SIM-A', 'AAPL.SIM-B', 'MSFT.SIM-A', 'NVDA.SIM-A']);
    expect(server.requests[0]?.headers['user-agent']).toBe('hf-news');
    expect(server.requests[0]?.headers.accept).toContain('application/rss+xml');
  });

  it('sends the validators back and counts a 304 as not modified', async () => {
    const poller = makePoller();
    await poller.pollOnce();
    const outcome = await poller.pollOnce();
    expect(outcome).toMatchObject({ ok: true, notModified: true, published: 0 });
    expect(server.requests[1]?.headers['if-none-match']).toBe('"v1"');
    expect(server.requests[1]?.headers['if-modified-since']).toBe(LAST_MODIFIED);
    expect(published).toHaveLength(4);
    expect(poller.stats()).toMatchObject({ polls: 2, notModified: 1, published: 4, failures: 0 });
  });

  it('publishes only the new item when the feed changes', async () => {
    const poller = makePoller();
    await poller.pollOnce();
    server.script(conditional(YAHOO_UPDATED, '"v2"'));
    const outcome = await poller.pollOnce();
    expect(outcome).toMatchObject({ ok: true, published: 1, duplicates: 4 });
    expect(published.at(-1)).toMatchObject({
      title: 'Apple, Microsoft rise after the open',
      instruments: ['AAPL.SIM-A', 'AAPL.SIM-B', 'MSFT.SIM-A'],
    });
    expect(poller.stats()).toMatchObject({ published: 5, duplicates: 4 });
  });

  it('backs off on a 500, doubling from the interval, and recovers', async () => {
    const poller = makePoller();
    server.script(() => ({ status: 500, body: 'Internal Server Error' }));
    const first = await poller.pollOnce();
    const second = await poller.pollOnce();
    expect(first.ok).toBe(false);
    expect(first.error?.code).toBe('NEWS_HTTP_STATUS');
    expect(first.error?.message).toContain('yahoo-aapl');
    expect(first.error?.message).toContain('HTTP 500');
    expect(first.nextDelayMicros).toBe(2 * INTERVAL);
    expect(second.nextDelayMicros).toBe(4 * INTERVAL);
    expect(poller.stats()).toMatchObject({
      failures: 2,
      consecutiveFailures: 2,
      reasons: { NEWS_HTTP_STATUS: 2 },
    });

    server.script(conditional(YAHOO, '"v1"'));
    const recovered = await poller.pollOnce();
    expect(recovered).toMatchObject({ ok: true, published: 4, nextDelayMicros: INTERVAL });
    expect(poller.stats()).toMatchObject({ failures: 2, consecutiveFailures: 0 });
  });

  it('caps the backoff, and honours a longer Retry-After', async () => {
    const poller = makePoller();
    server.script(() => ({ status: 503 }));
    let last = 0;
    for (let i = 0; i < 6; i++) last = (await poller.pollOnce()).nextDelayMicros;
    // 2, 4, 8, then 16 × interval capped at the 10 × interval maximum.
    expect(last).toBe(10 * INTERVAL);

    const fresh = makePoller();
    server.script(() => ({ status: 429, headers: { 'retry-after': '300' } }));
    // One failure would wait 2 × 60 s; the server asks for 300 s.
    expect((await fresh.pollOnce()).nextDelayMicros).toBe(300_000_000);
  });

  it('fails a malformed document without keeping its validators, then recovers', async () => {
    const poller = makePoller();
    await poller.pollOnce();
    server.script(() => rssOk(TRUNCATED, '"broken"'));
    const outcome = await poller.pollOnce();
    expect(outcome.error?.code).toBe('NEWS_MALFORMED_DOCUMENT');
    expect(outcome.error?.message).toContain('ends with elements still open');
    expect(published).toHaveLength(4);

    server.script(conditional(YAHOO_UPDATED, '"v2"'));
    expect((await poller.pollOnce()).published).toBe(1);
    // The validators of the last good document, not those of the broken one.
    expect(server.requests[2]?.headers['if-none-match']).toBe('"v1"');
    expect(poller.stats().reasons).toEqual({ NEWS_MALFORMED_DOCUMENT: 1 });
  });

  it('fails an HTML error page as an unknown format', async () => {
    const poller = makePoller();
    server.script(() => ({
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: '<html><body>Oops</body></html>',
    }));
    expect((await poller.pollOnce()).error?.code).toBe('NEWS_UNKNOWN_FORMAT');
  });

  it('times out a server that does not answer, and reports an unreachable one', async () => {
    server.script(() => ({ status: 200, hang: true }));
    const timedOut = await makePoller({ timeoutMs: 100 }).pollOnce();
    expect(timedOut.error?.code).toBe('NEWS_TIMEOUT');
    expect(timedOut.error?.message).toContain('within 100 ms');

    const closed = await startFeedServer(() => ({ status: 200 }));
    const deadUrl = `${closed.url}/feed`;
    await closed.close();
    const unreachable = await makePoller({ url: deadUrl }).pollOnce();
    expect(unreachable.error?.code).toBe('NEWS_NETWORK');
    expect(unreachable.error?.message).toContain('ECONNREFUSED');
  });

  it('refuses a document above the size cap', async () => {
    const outcome = await makePoller({ maxBytes: 1000 }).pollOnce();
    expect(outcome.error?.code).toBe('NEWS_TOO_LARGE');
  });

  it('polls on start, then on the clock, and stops', async () => {
    const poller = makePoller();
    poller.start();
    await poller.idle();
    expect(server.requests).toHaveLength(1);

    clock.advanceTo(START + INTERVAL - 1);
    await poller.idle();
    expect(server.requests).toHaveLength(1);
    clock.advanceTo(START + INTERVAL);
    await poller.idle();
    expect(server.requests).toHaveLength(2);

    poller.stop();
    clock.advanceTo(START + 10 * INTERVAL);
    await poller.idle();
    expect(server.requests).toHaveLength(2);
    expect(published).toHaveLength(4);
  });

  it('aborts a poll in flight on stop, without counting a failure', async () => {
    server.script(() => ({ status: 200, hang: true }));
    const poller = makePoller();
    poller.start();
    poller.stop();
    await poller.idle();
    expect(poller.stats()).toMatchObject({ polls: 1, failures: 0, reasons: {} });
  });
});
