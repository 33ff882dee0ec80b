// Polls one news source on an interval and publishes what is new to `news.raw`: entries tagged with
// instruments, duplicates dropped by id across polls (bounded memory), failures backed off exponentially.

import type { Bus } from '../../common/bus.ts';
import type { Clock } from '../../common/clock.ts';
import { createLogger, type Logger } from '../../common/logging.ts';
import { Streams } from '../../common/topics.ts';
import type { NewsItem } from '../../model/index.ts';
import { NewsFeedError, type NewsReasonCode } from './reasons.ts';
import { RecentIds } from './recent-ids.ts';
import type { NewsBatch, NewsEntry, NewsSource } from './source.ts';
import type { InstrumentTagger } from './tagger.ts';

export interface NewsPollerOptions {
  readonly source: NewsSource;
  readonly bus: Bus;
  readonly clock: Clock;
  /** Without one, items carry no instruments. */
  readonly tagger?: InstrumentTagger;
  readonly intervalMicros: number;
  /** The longest wait after consecutive failures (never below the interval). Default 30 minutes. */
  readonly maxBackoffMicros?: number;
  /** Ids remembered for dedup. Default 10,000. */
  readonly dedupCapacity?: number;
  readonly logger?: Logger;
}

export interface NewsPollOutcome {
  readonly ok: boolean;
  readonly notModified: boolean;
  readonly published: number;
  readonly duplicates: number;
  /** Items skipped by the source (see the reasons in stats). */
  readonly skipped: number;
  readonly error?: NewsFeedError;
  /** When the next poll is due, counted from the end of this one. */
  readonly nextDelayMicros: number;
}

export interface NewsPollerStats {
  readonly source: string;
  readonly polls: number;
  readonly notModified: number;
  readonly failures: number;
  readonly consecutiveFailures: number;
  readonly published: number;
  readonly duplicates: number;
  /** Failed fetches and skipped items, by reason code. */
  readonly reasons: Readonly<Partial<Record<NewsReasonCode, number>>>;
  readonly lastError?: string;
  /** Unix µs of the last poll that succeeded. */
  readonly lastSuccessAt?: number;
}

const DEFAULT_MAX_BACKOFF_MICROS = 30 * 60 * 1_000_000;
const MICROS_PER_SECOND = 1_000_000;
/** 2^20 intervals is beyond any sensible maximum backoff: stop doubling there. */
const MAX_BACKOFF_EXPONENT = 20;

function byPublicationTime(a: NewsEntry, b: NewsEntry): number {
  return a.publishedAt - b.publishedAt;
}

export class NewsPoller {
  readonly source: NewsSource;
  private readonly bus: Bus;
  private readonly clock: Clock;
  private readonly tagger: InstrumentTagger | undefined;
  private readonly intervalMicros: number;
  private readonly maxBackoffMicros: number;
  private readonly recent: RecentIds;
  private readonly logger: Logger;
  private readonly timerName: string;
  private readonly onTimer: () => void;
  private running = false;
  private abort = new AbortController();
  private inFlight: Promise<NewsPollOutcome> | undefined;
  private readonly counters = {
    polls: 0,
    notModified: 0,
    failures: 0,
    consecutiveFailures: 0,
    published: 0,
    duplicates: 0,
  };
  private readonly reasons: Partial<Record<NewsReasonCode, number>> = {};
  private lastError: string | undefined;
  private lastSuccessAt: number | undefined;

  constructor(options: NewsPollerOptions) {
    if (!(options.intervalMicros > 0))
      throw new RangeError(
        `${options.source.name}: intervalMicros must be positive, not ${options.intervalMicros}`,
      );
    this.source = options.source;
    this.bus = options.bus;
    this.clock = options.clock;
    this.tagger = options.tagger;
    this.intervalMicros = options.intervalMicros;
    this.maxBackoffMicros = Math.max(
      options.maxBackoffMicros ?? DEFAULT_MAX_BACKOFF_MICROS,
      options.intervalMicros,
    );
    this.recent = new RecentIds(options.dedupCapacity ?? 10_000);
    this.logger = options.logger ?? createLogger('feeds.news');
    this.timerName = `news.poll.${options.source.name}`;
    this.onTimer = () => void this.cycle();
  }

  /** Polls now, then on the interval (or the backoff) until stopped. */
  start(): void {
    if (this.running) return;
    this.running = true;
    if (this.abort.signal.aborted) this.abort = new AbortController();
    void this.cycle();
  }

  /** Cancels the next poll and aborts one in flight. */
  stop(): void {
    this.running = false;
    this.clock.cancelTimer(this.timerName);
    this.abort.abort();
  }

  /** Resolves when no poll is in flight. */
  async idle(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  /** One poll; never rejects. A poll requested while one is in flight joins it. */
  pollOnce(): Promise<NewsPollOutcome> {
    if (!this.inFlight) {
      const poll = this.runPoll();
      this.inFlight = poll;
      void poll.finally(() => {
        if (this.inFlight === poll) this.inFlight = undefined;
      });
    }
    return this.inFlight;
  }

  stats(): NewsPollerStats {
    const stats: {
      -readonly [K in keyof NewsPollerStats]: NewsPollerStats[K];
    } = { source: this.source.name, ...this.counters, reasons: { ...this.reasons } };
    if (this.lastError !== undefined) stats.lastError = this.lastError;
    if (this.lastSuccessAt !== undefined) stats.lastSuccessAt = this.lastSuccessAt;
    return stats;
  }

  private async cycle(): Promise<void> {
    if (!this.running) return;
    const outcome = await this.pollOnce();
    if (!this.running) return;
    this.clock.setTimer(this.timerName, this.clock.now() + outcome.nextDelayMicros, this.onTimer);
  }

  private count(reason: NewsReasonCode): void {
    this.reasons[reason] = (this.reasons[reason] ?? 0) + 1;
  }

  private backoffMicros(error: NewsFeedError): number {
    const exponent = Math.min(this.counters.consecutiveFailures, MAX_BACKOFF_EXPONENT);
    const backoff = this.intervalMicros * 2 ** exponent;
    const requested = (error.retryAfterSeconds ?? 0) * MICROS_PER_SECOND;
    return Math.min(this.maxBackoffMicros, Math.max(backoff, requested));
  }

  private async runPoll(): Promise<NewsPollOutcome> {
    const name = this.source.name;
    this.counters.polls++;
    const signal = this.abort.signal;
    let batch: NewsBatch;
    try {
      batch = await this.source.poll(signal);
    } catch (thrown) {
      const error =
        thrown instanceof NewsFeedError
          ? thrown
          : new NewsFeedError(
              'NEWS_SOURCE_FAILED',
              name,
              thrown instanceof Error ? thrown.message : String(thrown),
            );
      // Aborted by stop(): not the source's failure.
      if (signal.aborted)
        return {
          ok: false,
          notModified: false,
          published: 0,
          duplicates: 0,
          skipped: 0,
          error,
          nextDelayMicros: this.intervalMicros,
        };
      this.counters.failures++;
      this.counters.consecutiveFailures++;
      this.count(error.code);
      this.lastError = error.message;
      const nextDelayMicros = this.backoffMicros(error);
      this.logger.warn('news poll failed', {
        source: name,
        code: error.code,
        error: error.message,
        consecutiveFailures: this.counters.consecutiveFailures,
        retryInSeconds: nextDelayMicros / MICROS_PER_SECOND,
      });
      return {
        ok: false,
        notModified: false,
        published: 0,
        duplicates: 0,
        skipped: 0,
        error,
        nextDelayMicros,
      };
    }
    this.counters.consecutiveFailures = 0;
    this.lastSuccessAt = this.clock.now();
    if (batch.notModified) {
      this.counters.notModified++;
      return {
        ok: true,
        notModified: true,
        published: 0,
        duplicates: 0,
        skipped: 0,
        nextDelayMicros: this.intervalMicros,
      };
    }
    for (const problem of batch.problems) this.count(problem.reason);
    if (batch.problems.length > 0)
      this.logger.warn('news items skipped', {
        source: name,
        skipped: batch.problems.length,
        first: batch.problems[0]?.message,
      });
    let published = 0;
    let duplicates = 0;
    // Feeds list newest first; consumers see items in publication order.
    const entries = [...batch.entries].sort(byPublicationTime);
    for (const entry of entries) {
      if (this.recent.touch(entry.id)) {
        duplicates++;
        continue;
      }
      const item: NewsItem = {
        type: 'news',
        id: entry.id,
        source: name,
        title: entry.title,
        summary: entry.summary,
        url: entry.url,
        instruments: this.tagger ? this.tagger.tag(`${entry.title}\n${entry.summary}`) : [],
        publishedAt: entry.publishedAt,
        tsInit: this.clock.now(),
      };
      this.bus.publish(Streams.newsRaw, item);
      this.recent.add(entry.id);
      published++;
    }
    this.counters.published += published;
    this.counters.duplicates += duplicates;
    if (published > 0) this.logger.debug('news published', { source: name, published, duplicates });
    return {
      ok: true,
      notModified: false,
      published,
      duplicates,
      skipped: batch.problems.length,
      nextDelayMicros: this.intervalMicros,
    };
  }
}
