// News feeds config: defaults, and errors that name the file and the key.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../common/errors.ts';
import { parseNewsFeedsConfig } from './config.ts';

describe('parseNewsFeedsConfig', () => {
  it('fills in defaults', () => {
    const config = parseNewsFeedsConfig({
      sources: [
        { name: 'yahoo-aapl', url: 'https://feeds.finance.yahoo.com/rss/2.0/headline?s=AAPL', kind: 'rss' },
      ],
      aliases: { AAPL: ['Apple'] },
    });
    expect(config.sources[0]).toEqual({
      name: 'yahoo-aapl',
      url: 'https://feeds.finance.yahoo.com/rss/2.0/headline?s=AAPL',
      kind: 'rss',
      intervalSeconds: 300,
      timeoutSeconds: 10,
      enabled: true,
    });
    expect(config).toMatchObject({ bareSymbols: [], minBareSymbolLength: 3, dedupCapacity: 10_000 });
    expect(parseNewsFeedsConfig(undefined).sources).toEqual([]);
  });

  it('accepts a file path for a social source only', () => {
    expect(
      parseNewsFeedsConfig({ sources: [{ name: 'desk', url: './data/posts.jsonl', kind: 'social-jsonl' }] })
        .sources,
    ).toHaveLength(1);
    expect(() =>
      parseNewsFeedsConfig(
        { sources: [{ name: 'mc', url: './business.xml', kind: 'rss' }] },
        'configs/news.yaml',
      ),
    ).toThrow(
      new ConfigError(
        'configs/news.yaml',
        'sources[0].url',
        'an rss or atom source needs an http:// or https:// URL',
      ),
    );
  });

  it('names the key of a duplicate source, an unknown kind, a bad interval and an unknown key', () => {
    const source = { url: 'https://example.com/rss', kind: 'rss' };
    expect(() =>
      parseNewsFeedsConfig({
        sources: [
          { name: 'a', ...source },
          { name: 'a', ...source },
        ],
      }),
    ).toThrow(/sources\[1\]\.name: duplicate source name "a"/);
    expect(() =>
      parseNewsFeedsConfig({ sources: [{ name: 'a', url: 'https://x.example', kind: 'json' }] }),
    ).toThrow(/sources\[0\]\.kind/);
    expect(() => parseNewsFeedsConfig({ sources: [{ name: 'a', ...source, intervalSeconds: 0 }] })).toThrow(
      /sources\[0\]\.intervalSeconds/,
    );
    expect(() => parseNewsFeedsConfig({ alias: {} })).toThrow(ConfigError);
  });
});
