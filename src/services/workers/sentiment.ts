// The sentiment worker: scores each news item on `news.raw` for every instrument it is tagged with (the
// finance lexicon of sentiment-lexicon.ts) and publishes the instrument's rolling score on `sentiment`.
//
// Boundary (group 'sentiment'): subscribes news.raw; publishes sentiment.
//
// Per instrument: the sentences that mention it (its symbol as a word, `$SYMBOL`, or a configured alias) are
// scored; an item that never names it in words (tagged by its source) is scored whole. The rolling score is an
// exponentially decayed sum of item scores over a decayed count plus a neutral prior:
//   score = Σ wᵢ sᵢ / (Σ wᵢ + prior),  wᵢ = 2^(−ageᵢ / halfLife)
// so an item's weight halves every half-life (its age counted from publication), and with no fresh news the
// score returns to 0. A malformed item is counted by reason and skipped; nothing on this path throws.

import type { Bus, Subscription } from '../../common/bus.ts';
import type { Clock } from '../../common/clock.ts';
import type { Logger } from '../../common/logging.ts';
import { Streams } from '../../common/topics.ts';
import { RecentIds } from '../../feeds/news/recent-ids.ts';
import { parseInstrumentId, type InstrumentId, type NewsItem } from '../../model/index.ts';
import type { SentimentConfig } from './config.ts';
import type { WorkerReasonCode } from './reasons.ts';
import { scoreText, type SentimentScore } from './sentiment-lexicon.ts';

export interface SentimentStats {
  readonly items: number;
  readonly published: number;
  readonly instruments: number;
  /** Skipped items by reason code. */
  readonly skipped: Readonly<Record<string, number>>;
}

export interface InstrumentSentiment {
  readonly instrumentId: InstrumentId;
  readonly score: number;
  readonly weight: number;
  readonly items: number;
  /** Unix µs of the last item. */
  readonly lastItemAt: number;
}

export interface SentimentWorker {
  stop(): void;
  stats(): SentimentStats;
  /** The instrument's rolling score now (decayed to the clock), or undefined before its first item. */
  score(instrumentId: InstrumentId): InstrumentSentiment | undefined;
  scores(): InstrumentSentiment[];
  /** Scores one item as if it arrived on news.raw (the bus handler). */
  handle(item: unknown): void;
}

interface RollingState {
  sum: number;
  weight: number;
  /** Clock time the sums were last decayed to, unix µs. */
  at: number;
  items: number;
  lastItemAt: number;
}

const MICROS_PER_MINUTE = 60_000_000;
/** Mention patterns cached per instrument; bounded because tags come from outside. */
const MAX_PATTERNS = 10_000;

export function startSentimentWorker(
  bus: Bus,
  clock: Clock,
  config: SentimentConfig,
  logger: Logger,
  options: { readonly group?: string } = {},
): SentimentWorker {
  const log = logger.child('sentiment');
  const halfLife = config.halfLifeMinutes * MICROS_PER_MINUTE;
  const states = new Map<InstrumentId, RollingState>();
  const mentionTests = new Map<string, (sentence: string) => boolean>();
  const recent = new RecentIds(config.dedupCapacity);
  const skipped: Record<string, number> = {};
  let items = 0;
  let published = 0;

  const skip = (code: WorkerReasonCode, detail: string): void => {
    skipped[code] = (skipped[code] ?? 0) + 1;
    log.debug(code, { detail });
  };

  const decayTo = (state: RollingState, now: number): void => {
    if (now <= state.at) return;
    const factor = Math.pow(2, -(now - state.at) / halfLife);
    state.sum *= factor;
    state.weight *= factor;
    state.at = now;
  };

  const view = (instrumentId: InstrumentId, state: RollingState): InstrumentSentiment => ({
    instrumentId,
    score: state.sum / (state.weight + config.priorWeight) || 0,
    weight: state.weight,
    items: state.items,
    lastItemAt: state.lastItemAt,
  });

  /** Whether a sentence names the instrument: its symbol (case as written, optionally `$`) or an alias (any case). */
  const mentions = (instrumentId: string): ((sentence: string) => boolean) => {
    let test = mentionTests.get(instrumentId);
    if (test) return test;
    const symbol = parseInstrumentId(instrumentId)?.symbol ?? instrumentId;
    const names = [...(config.aliases[symbol] ?? []), ...(config.aliases[instrumentId] ?? [])];
    const bySymbol = new RegExp(`(?<![\\w$])\\$?${escape(symbol)}(?!\\w)`);
    const byName =
      names.length > 0 ? new RegExp(`(?<!\\w)(?:${names.map(escape).join('|')})(?!\\w)`, 'i') : undefined;
    test = byName ? (s) => bySymbol.test(s) || byName.test(s) : (s) => bySymbol.test(s);
    if (mentionTests.size >= MAX_PATTERNS) mentionTests.clear();
    mentionTests.set(instrumentId, test);
    return test;
  };

  const scoreFor = (instrumentId: string, sentences: readonly string[], whole: string): SentimentScore => {
    const mentioned = sentences.filter(mentions(instrumentId));
    return scoreText(mentioned.length > 0 ? mentioned.join(' ') : whole);
  };

  const handle = (raw: unknown): void => {
    try {
      const item = raw as Partial<NewsItem> | null;
      if (typeof item !== 'object' || item === null || typeof item.id !== 'string' || item.id === '') {
        skip('SENTIMENT_MALFORMED_ITEM', 'not an object with a string id');
        return;
      }
      const title = typeof item.title === 'string' ? item.title : undefined;
      const summary = typeof item.summary === 'string' ? item.summary : undefined;
      if (title === undefined && summary === undefined) {
        skip('SENTIMENT_MALFORMED_ITEM', `${item.id}: neither a title nor a summary`);
        return;
      }
      const instruments: unknown = item.instruments;
      if (!Array.isArray(instruments) || instruments.some((i) => typeof i !== 'string' || i === '')) {
        skip('SENTIMENT_BAD_INSTRUMENTS', item.id);
        return;
      }
      const publishedAt = item.publishedAt;
      if (typeof publishedAt !== 'number' || !Number.isFinite(publishedAt)) {
        skip('SENTIMENT_BAD_TIME', item.id);
        return;
      }
      if (instruments.length === 0) {
        skip('SENTIMENT_UNTAGGED', item.id);
        return;
      }
      if (recent.touch(item.id)) {
        skip('SENTIMENT_DUPLICATE', item.id);
        return;
      }
      recent.add(item.id);
      items++;
      const parts = [title, summary].filter((t): t is string => t !== undefined && t.trim() !== '');
      const whole = parts.map((t) => (/[.!?]\s*$/.test(t) ? t.trim() : `${t.trim()}.`)).join(' ');
      const sentences = whole.split(/(?<=[.!?])\s+/);
      const now = clock.now();
      const age = Math.max(0, now - publishedAt);
      const itemWeight = Math.pow(2, -age / halfLife);
      const source = typeof item.source === 'string' ? item.source : '';
      for (const id of new Set(instruments as string[])) {
        const instrumentId = id as InstrumentId;
        const result = scoreFor(id, sentences, whole);
        let state = states.get(instrumentId);
        if (!state) {
          state = { sum: 0, weight: 0, at: now, items: 0, lastItemAt: publishedAt };
          states.set(instrumentId, state);
        }
        decayTo(state, now);
        state.sum += itemWeight * result.score;
        state.weight += itemWeight;
        state.items++;
        state.lastItemAt = Math.max(state.lastItemAt, publishedAt);
        const rolling = view(instrumentId, state);
        bus.publish(Streams.sentiment, {
          type: 'sentiment',
          instrumentId,
          newsId: item.id,
          source,
          itemScore: result.score,
          matches: result.matches.length,
          score: rolling.score,
          weight: rolling.weight,
          tsEvent: publishedAt,
          tsInit: now,
        });
        published++;
      }
    } catch (error) {
      skip('SENTIMENT_MALFORMED_ITEM', String(error));
    }
  };

  const subscription: Subscription = bus.subscribe(Streams.newsRaw, options.group ?? 'sentiment', handle);
  log.info('sentiment worker started', { halfLifeMinutes: config.halfLifeMinutes });

  return {
    stop: () => subscription.unsubscribe(),
    stats: () => ({ items, published, instruments: states.size, skipped: { ...skipped } }),
    score(instrumentId) {
      const state = states.get(instrumentId);
      if (!state) return undefined;
      decayTo(state, clock.now());
      return view(instrumentId, state);
    },
    scores() {
      const now = clock.now();
      const out: InstrumentSentiment[] = [];
      for (const [id, state] of [...states].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
        decayTo(state, now);
        out.push(view(id, state));
      }
      return out;
    },
    handle,
  };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
