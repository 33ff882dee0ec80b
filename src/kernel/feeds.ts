// The feed hub: builds the market-data sources declared in registry.yaml (`feeds`), runs them into the ingest
// pipeline (failover between each instrument's primary and backup, quality gate, order books, candles,
// throttle), and obeys `feed:active` on the control plane (`hf feed use`, or `HSET feed:active <id> backup`).
// Without a `feeds` section: one synthetic source for every instrument.

import { isAbsolute, join } from 'node:path';
import type { Bus, Subscription } from '../common/bus.ts';
import type { Clock } from '../common/clock.ts';
import type { Logger } from '../common/logging.ts';
import { FeedsConfigSchema, type FeedSource, type FeedsConfig, type Registry } from '../common/registry.ts';
import { ControlKeys } from '../common/topics.ts';
import { readDataFile, type RecordedData } from '../feeds/files/index.ts';
import { IngestPipeline, SyntheticFeed, type FeedMessage, type FeedStatus } from '../marketdata/index.ts';
import type { Bar, BookSnapshot, InstrumentId, MarketData, QuoteTick, TradeTick } from '../model/index.ts';

export interface FeedHubOptions {
  readonly registry: Registry;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly seed: number;
  /** Default messages per second of a synthetic source. */
  readonly rate: number;
  /** Folder that relative file paths in registry.yaml are resolved against. */
  readonly configDir: string;
  /** Where accepted data goes instead of the bus (the kernel, which feeds its paper venues first). */
  readonly sink?: (message: QuoteTick | TradeTick | BookSnapshot | Bar) => void;
  readonly logger?: Logger;
}

interface RunningSource {
  readonly name: string;
  published: number;
  stop(): void;
}

/** No `feeds` section: the synthetic market for every instrument, with the schema's defaults. */
const DEFAULT_FEEDS: FeedsConfig = FeedsConfigSchema.parse({ sources: { synthetic: { kind: 'synthetic' } } });

export class FeedHub {
  readonly pipeline: IngestPipeline;
  readonly config: FeedsConfig;
  private readonly sources: RunningSource[] = [];
  private subscription: Subscription | undefined;

  constructor(private readonly options: FeedHubOptions) {
    this.config = options.registry.feeds ?? DEFAULT_FEEDS;
    const c = this.config;
    this.pipeline = new IngestPipeline({
      bus: options.bus,
      clock: options.clock,
      ...(options.sink ? { sink: options.sink } : {}),
      config: {
        quality: { priceBand: c.priceBand },
        candles: { timeframes: c.candles },
        throttleMicros: Math.round(c.throttleMs * 1000),
        failover: {
          staleAfterMicros: Math.round(c.staleAfterMs * 1000),
          failback: c.failback,
          failbackAfterMicros: Math.round(c.failbackAfterMs * 1000),
          instruments: c.instruments,
        },
      },
    });
  }

  /** Candle timeframes this hub publishes. */
  get candleTimeframes(): readonly string[] {
    return this.config.candles;
  }

  start(): void {
    const { bus } = this.options;
    this.pipeline.start();
    // An operator's choice, from any process: switch the instrument's source now.
    this.subscription = bus.control.onChange((key, field, value) => {
      if (key !== ControlKeys.feedActive || (value !== 'primary' && value !== 'backup')) return;
      const outcome = this.pipeline.failover.use(field, value);
      this.options.logger?.info('feed switch requested', { instrument: field, to: value, outcome });
    });
    for (const [id, role] of Object.entries(bus.control.getAll(ControlKeys.feedActive)))
      if (role === 'primary' || role === 'backup') this.pipeline.failover.use(id, role);
    for (const [name, source] of Object.entries(this.config.sources))
      this.sources.push(this.startSource(name, source));
  }

  stop(): void {
    for (const s of this.sources) s.stop();
    this.sources.length = 0;
    this.subscription?.unsubscribe();
    this.pipeline.stop();
  }

  /** Messages each source has produced so far. */
  published(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.sources) out[s.name] = s.published;
    return out;
  }

  status(): {
    sources: Record<string, number>;
    instruments: FeedStatus[];
    quarantined: Readonly<Record<string, number>>;
    stats: ReturnType<IngestPipeline['stats']>;
  } {
    return {
      sources: this.published(),
      instruments: this.pipeline.failover.status(),
      quarantined: this.pipeline.quality.counts(),
      stats: this.pipeline.stats(),
    };
  }

  private startSource(name: string, source: FeedSource): RunningSource {
    const ingest = (m: FeedMessage): void => this.pipeline.ingest(name, m);
    if (source.kind === 'synthetic') return this.startSynthetic(name, source, ingest);
    return this.startFile(name, source, ingest);
  }

  private startSynthetic(name: string, source: FeedSource, ingest: (m: FeedMessage) => void): RunningSource {
    const { registry, clock } = this.options;
    const only = source.instruments ? new Set(source.instruments) : undefined;
    const scoped: Registry = only
      ? {
          ...registry,
          instruments: new Map([...registry.instruments].filter(([id]) => only.has(id))),
          bySymbol: new Map(
            [...registry.bySymbol]
              .map(([symbol, list]) => [symbol, list.filter((i) => only.has(i.id))] as const)
              .filter(([, list]) => list.length > 0),
          ),
        }
      : registry;
    const running: RunningSource = { name, published: 0, stop: () => feed.stop() };
    const feed = new SyntheticFeed({
      registry: scoped,
      clock,
      seed: this.options.seed + source.seedOffset,
      rate: source.rate ?? this.options.rate,
      sink: (m: MarketData) => {
        running.published++;
        ingest(m);
      },
    });
    feed.start();
    return running;
  }

  /**
   * A recorded file replayed at `speed` × its own pace, restamped on this clock (the first row is "now").
   * When the file ends, the source falls silent: its instruments go stale and switch to their backup.
   */
  private startFile(name: string, source: FeedSource, ingest: (m: FeedMessage) => void): RunningSource {
    const { clock, configDir, logger } = this.options;
    const path = isAbsolute(source.path!) ? source.path! : join(configDir, source.path!);
    const instrumentId = source.instruments![0] as InstrumentId;
    const rows = readDataFile(path, { instrumentId, ...(source.format ? { format: source.format } : {}) });
    const started = clock.now();
    let origin: number | undefined;
    let pending: RecordedData | undefined;
    let done = false;
    const running: RunningSource = { name, published: 0, stop: () => clearInterval(timer) };
    const timer = setInterval(() => {
      if (done) return;
      const now = clock.now();
      try {
        for (let budget = 10_000; budget > 0; budget--) {
          if (pending === undefined) {
            const r = rows.next();
            if (r.done) {
              done = true;
              logger?.info('file source finished', { source: name, path, messages: running.published });
              return;
            }
            pending = r.value;
          }
          origin ??= pending.tsEvent;
          const at = started + (pending.tsEvent - origin) / source.speed;
          if (at > now) return;
          const ts = clock.now();
          const restamped = { ...pending, tsEvent: ts, tsInit: ts } as FeedMessage;
          pending = undefined;
          running.published++;
          ingest(restamped);
        }
      } catch (error) {
        done = true;
        this.pipeline.failover.reportError(name, (error as Error).message, instrumentId);
        logger?.error('file source failed', { source: name, error: (error as Error).message });
      }
    }, 5);
    return running;
  }
}
