// The feeds assembled from config: an RSS source over loopback HTTP and a social file, both into news.raw.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../bus/memory.ts';
import { SimulatedClock } from '../../common/clock.ts';
import { silentLogger } from '../../common/logging.ts';
import { parseRegistry } from '../../common/registry.ts';
import { Streams } from '../../common/topics.ts';
import type { NewsItem } from '../../model/index.ts';
import { parseNewsFeedsConfig } from './config.ts';
import { startFeedServer, type FeedServer } from './feed-server.test-support.ts';
import { NewsFeeds } from './news-feeds.ts';

const MONEYCONTROL = readFileSync(
  new URL('../../../tests/fixtures/news/moneycontrol-business.xml', import.meta.url),
);

const registry = parseRegistry({
  venues: { NSE: { adapter: 'paper' } },
  instruments: ['RELIANCE', 'TCS', 'INFY', 'HDFCBANK'].map((symbol) => ({
    symbol,
    venues: ['NSE'],
    assetClass: 'equity',
    currency: 'INR',
    tickSize: 0.05,
    lotSize: 1,
    region: 'IN',
    sector: 'test',
  })),
});

describe('NewsFeeds', () => {
  let server: FeedServer | undefined;
  let directory: string | undefined;
  afterEach(async () => {
    await server?.close();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('polls every enabled source and publishes tagged items', async () => {
    server = await startFeedServer(() => ({
      status: 200,
      headers: { 'content-type': 'application/rss+xml' },
      body: MONEYCONTROL,
    }));
    directory = await mkdtemp(join(tmpdir(), 'hf-news-'));
    const posts = join(directory, 'posts.jsonl');
    await writeFile(
      posts,
      `${JSON.stringify({ id: 's1', author: 'desk', text: 'Buying NSE:INFY into results', time: '2024-01-02T10:00:00Z' })}\n`,
    );
    const config = parseNewsFeedsConfig({
      sources: [
        {
          name: 'moneycontrol-business',
          url: `${server.url}/rss/business.xml`,
          kind: 'rss',
          intervalSeconds: 60,
        },
        { name: 'desk-posts', url: posts, kind: 'social-jsonl' },
        { name: 'disabled', url: 'https://example.invalid/rss', kind: 'rss', enabled: false },
      ],
      aliases: {
        RELIANCE: ['Reliance Industries'],
        TCS: ['Tata Consultancy Services'],
        INFY: ['Infosys'],
        HDFCBANK: ['HDFC Bank'],
      },
    });
    const bus = new MemoryBus();
    const items: NewsItem[] = [];
    bus.subscribe(Streams.newsRaw, 'test', (item) => {
      items.push(item);
    });
    const feeds = new NewsFeeds(config, {
      bus,
      clock: new SimulatedClock(0),
      registry,
      logger: silentLogger,
    });
    expect(feeds.pollers.map((poller) => poller.source.name)).toEqual([
      'moneycontrol-business',
      'desk-posts',
    ]);

    feeds.start();
    await Promise.all(feeds.pollers.map((poller) => poller.idle()));
    await feeds.stop();

    const tags = Object.fromEntries(items.map((item) => [item.title.slice(0, 24), item.instruments]));
    expect(tags).toEqual({
      'HDFC Bank Q3 business up': ['HDFCBANK.NSE'],
      'TCS, Infosys in focus ah': ['INFY.NSE', 'TCS.NSE'],
      'Reliance Industries shar': ['RELIANCE.NSE'],
      'desk: Buying NSE:INFY in': ['INFY.NSE'],
    });
    expect(feeds.stats().map((stats) => [stats.source, stats.published])).toEqual([
      ['moneycontrol-business', 3],
      ['desk-posts', 1],
    ]);
  });

  it('rejects an alias for a symbol the registry lacks, naming the file', () => {
    const config = parseNewsFeedsConfig({ aliases: { AAPL: ['Apple'] } });
    expect(
      () =>
        new NewsFeeds(config, {
          bus: new MemoryBus(),
          clock: new SimulatedClock(0),
          registry,
          file: 'configs/news.yaml',
        }),
    ).toThrow('configs/news.yaml: aliases.AAPL: "AAPL" is not a symbol in the registry');
  });
});
