// The news feeds of one process, built from config: a source and a poller per enabled source, sharing one
// instrument tagger over the registry.

import type { Bus } from '../../common/bus.ts';
import type { Clock } from '../../common/clock.ts';
import { MICROS_PER_SECOND } from '../../common/clock.ts';
import { createLogger, type Logger } from '../../common/logging.ts';
import type { Registry } from '../../common/registry.ts';
import type { NewsFeedsConfig, NewsSourceConfig } from './config.ts';
import { NewsPoller, type NewsPollerStats } from './poller.ts';
import { FeedSource } from './rss-source.ts';
import { SocialPostSource } from './social.ts';
import type { NewsSource } from './source.ts';
import { createInstrumentTagger, type InstrumentTagger, type InstrumentTaggerOptions } from './tagger.ts';

export interface NewsFeedsDependencies {
  readonly bus: Bus;
  readonly clock: Clock;
  readonly registry: Registry;
  readonly logger?: Logger;
  /** Defaults to the global fetch. */
  readonly fetch?: typeof fetch;
  /** The config file, named in errors. */
  readonly file?: string;
}

/** The source for one configured entry: rss and atom share the feed source (the format is detected). */
export function createNewsSource(
  source: NewsSourceConfig,
  config: Pick<NewsFeedsConfig, 'maxDocumentBytes' | 'userAgent'>,
  fetchImpl?: typeof fetch,
): NewsSource {
  const common = {
    name: source.name,
    timeoutMs: source.timeoutSeconds * 1000,
    maxBytes: config.maxDocumentBytes,
    userAgent: config.userAgent,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  };
  switch (source.kind) {
    case 'rss':
    case 'atom':
      return new FeedSource({ ...common, url: source.url });
    case 'social-jsonl':
      return new SocialPostSource({ ...common, location: source.url });
  }
}

export function taggerOptionsFromConfig(config: NewsFeedsConfig): InstrumentTaggerOptions {
  return {
    aliases: config.aliases,
    bareSymbols: config.bareSymbols,
    minBareSymbolLength: config.minBareSymbolLength,
    ...(config.ambiguousSymbols ? { ambiguousSymbols: config.ambiguousSymbols } : {}),
    ...(config.exchangePrefixes ? { exchangePrefixes: config.exchangePrefixes } : {}),
  };
}

export class NewsFeeds {
  readonly tagger: InstrumentTagger;
  readonly pollers: readonly NewsPoller[];

  /** Throws a ConfigError (naming `dependencies.file`) for an alias of a symbol the registry lacks. */
  constructor(config: NewsFeedsConfig, dependencies: NewsFeedsDependencies) {
    const logger = dependencies.logger ?? createLogger('feeds.news');
    this.tagger = createInstrumentTagger(
      dependencies.registry,
      taggerOptionsFromConfig(config),
      dependencies.file,
    );
    const pollers: NewsPoller[] = [];
    for (const source of config.sources) {
      if (!source.enabled) continue;
      pollers.push(
        new NewsPoller({
          source: createNewsSource(source, config, dependencies.fetch),
          bus: dependencies.bus,
          clock: dependencies.clock,
          tagger: this.tagger,
          intervalMicros: source.intervalSeconds * MICROS_PER_SECOND,
          maxBackoffMicros: config.maxBackoffSeconds * MICROS_PER_SECOND,
          dedupCapacity: config.dedupCapacity,
          logger,
        }),
      );
    }
    this.pollers = pollers;
  }

  start(): void {
    for (const poller of this.pollers) poller.start();
  }

  /** Stops every poller and waits for polls in flight to end. */
  async stop(): Promise<void> {
    for (const poller of this.pollers) poller.stop();
    await Promise.all(this.pollers.map((poller) => poller.idle()));
  }

  stats(): NewsPollerStats[] {
    return this.pollers.map((poller) => poller.stats());
  }
}
