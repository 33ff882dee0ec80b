// The finance lexicon on finance sentences (phrases, negation, intensity, finance-neutral words) and the
// sentiment worker on the in-process bus: per-instrument scoring, the decayed rolling score, bad items counted.

import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../bus/memory.ts';
import { SimulatedClock } from '../../common/clock.ts';
import { silentLogger } from '../../common/logging.ts';
import { sentimentUpdateSchema } from '../../common/message-schemas.ts';
import { Streams } from '../../common/topics.ts';
import type { InstrumentId, NewsItem, SentimentUpdate } from '../../model/index.ts';
import { SentimentConfigSchema } from './config.ts';
import { FINANCE_NEUTRAL_TERMS, scoreText, tokenize } from './sentiment-lexicon.ts';
import { startSentimentWorker } from './sentiment.ts';

/** VADER's normalisation, written out here: S / √(S² + 15). */
const normalized = (sum: number): number => sum / Math.sqrt(sum * sum + 15);

describe('finance lexicon', () => {
  it('reads "beat estimates" as good news: the phrase scores +2, so 2 / √19', () => {
    const r = scoreText('Apple beat estimates for the third quarter');
    expect(r.matches.map((m) => m.term)).toEqual(['beat estimates']);
    expect(r.sum).toBe(2);
    // 2 / √(4 + 15) = 2 / 4.358899 = 0.458831
    expect(r.score).toBeCloseTo(0.458831, 6);
  });

  it('allows words between the parts of a phrase, within a clause', () => {
    expect(scoreText("Apple beat Wall Street's estimates").sum).toBe(2);
    // A clause break ends the phrase: "beat" alone (+1.5), "estimates" unscored.
    expect(scoreText('Apple beat, but estimates were cut').matches[0]!.term).toBe('beat');
  });

  it('negates: "did not beat estimates" is 2 × −0.74 = −1.48', () => {
    const r = scoreText('Apple did not beat estimates');
    expect(r.matches).toHaveLength(1);
    expect(r.matches[0]!.negated).toBe(true);
    expect(r.sum).toBeCloseTo(-1.48, 10);
    // −1.48 / √(1.48² + 15) = −1.48 / √17.1904 = −1.48 / 4.146131 = −0.356959
    expect(r.score).toBeCloseTo(-0.356959, 6);
    // Contractions and "failed to" negate too; a negator more than three words back does not.
    expect(scoreText("Apple didn't beat estimates").sum).toBeCloseTo(-1.48, 10);
    expect(scoreText('Apple failed to beat estimates').sum).toBeCloseTo(-1.48, 10);
    expect(scoreText('No one expected that Apple would beat estimates').sum).toBe(2);
  });

  it('reads "short interest rose" as bad news, and "short interest fell" as mildly good', () => {
    const up = scoreText('Short interest in Tesla rose');
    expect(up.matches.map((m) => m.term)).toEqual(['short interest up']);
    expect(up.sum).toBe(-2);
    // With a booster after the phrase: −2 × 1.5 = −3, score −3 / √24 = −0.612372.
    const sharply = scoreText('Short interest in Tesla rose sharply');
    expect(sharply.sum).toBe(-3);
    expect(sharply.score).toBeCloseTo(-0.612372, 6);
    expect(scoreText('Short interest in GameStop fell').sum).toBe(1);
  });

  it('does not read finance-neutral words ("liability", "short", "tax") as sentiment', () => {
    expect(scoreText('The company reported a liability of $2 billion').matches).toEqual([]);
    expect(scoreText('The fund is short the stock and pays tax on its capital').score).toBe(0);
    for (const word of FINANCE_NEUTRAL_TERMS) expect(scoreText(word).matches, word).toEqual([]);
    // …while "fell short of" is a miss: −2.
    expect(scoreText('Revenue fell short of expectations').sum).toBe(-2);
  });

  it('scales intensity: "fell sharply" 1.5 × −1, "fell slightly" 0.5 × −1', () => {
    expect(scoreText('Profit fell').sum).toBe(-1);
    expect(scoreText('Profit fell sharply').sum).toBe(-1.5);
    expect(scoreText('Profit fell slightly').sum).toBe(-0.5);
    expect(scoreText('a record loss').sum).toBe(-2.25); // loss −1.5 × booster 1.5
  });

  it('scores guidance changes and sums several terms', () => {
    expect(scoreText('Microsoft raises full-year guidance').sum).toBe(2);
    expect(scoreText('Intel cuts its outlook').sum).toBe(-2);
    // "downgraded" −2, "plunged" −2.5: S = −4.5, score −4.5 / √(20.25 + 15) = −4.5 / 5.937171 = −0.757937
    const r = scoreText('The stock was downgraded and plunged');
    expect(r.sum).toBe(-4.5);
    expect(r.score).toBeCloseTo(-0.757937, 6);
  });

  it('tokenizes words, numbers and clause breaks', () => {
    expect(tokenize("Apple's Q3: revenue didn't rise 3.5%, sell-off")).toEqual([
      "apple's",
      'q',
      '3',
      ':',
      'revenue',
      "didn't",
      'rise',
      '3.5%',
      ',',
      'sell-off',
    ]);
  });
});

const T0 = 1_704_153_600_000_000;
const MINUTE = 60_000_000;
const AAPL = 'AAPL.SIM-A' as InstrumentId;
const MSFT = 'MSFT.SIM-A' as InstrumentId;

function news(
  id: string,
  title: string,
  instruments: InstrumentId[],
  publishedAt: number,
  summary = '',
): NewsItem {
  return {
    type: 'news',
    id,
    source: 'test',
    title,
    summary,
    url: '',
    instruments,
    publishedAt,
    tsInit: publishedAt,
  };
}

function setup(config: Record<string, unknown> = {}) {
  const bus = new MemoryBus();
  const clock = new SimulatedClock(T0);
  const updates: SentimentUpdate[] = [];
  bus.subscribe(Streams.sentiment, 'test', (u) => void updates.push(u));
  const worker = startSentimentWorker(bus, clock, SentimentConfigSchema.parse(config), silentLogger);
  return { bus, clock, updates, worker };
}

describe('sentiment worker', () => {
  it('scores each tagged instrument on the sentences that name it', () => {
    const { bus, updates } = setup({ aliases: { MSFT: ['Microsoft'] } });
    bus.publish(
      Streams.newsRaw,
      news(
        'n1',
        'AAPL beat estimates.',
        [AAPL, MSFT],
        T0,
        'Microsoft cut its guidance. Analysts were surprised.',
      ),
    );
    expect(updates.map((u) => [u.instrumentId, u.itemScore])).toEqual([
      [AAPL, normalized(2)],
      [MSFT, normalized(-2)],
    ]);
    for (const u of updates) expect(sentimentUpdateSchema.safeParse(u).success).toBe(true);
  });

  it('scores the whole item when it never names the instrument in words', () => {
    const { bus, updates } = setup();
    bus.publish(Streams.newsRaw, news('n1', 'Shares plunged after the fraud probe', [AAPL], T0));
    // plunged −2.5, fraud −3, probe −1.5: S = −7
    expect(updates[0]!.itemScore).toBeCloseTo(normalized(-7), 12);
  });

  it('keeps an exponentially decayed rolling score with a neutral prior', () => {
    const { bus, clock, updates } = setup({ halfLifeMinutes: 60, priorWeight: 1 });
    const s1 = normalized(2);
    bus.publish(Streams.newsRaw, news('n1', 'AAPL beat estimates', [AAPL], T0));
    // One fresh item of weight 1: s1 / (1 + 1).
    expect(updates[0]!.score).toBeCloseTo(s1 / 2, 12);
    expect(updates[0]!.weight).toBe(1);
    // Two half-lives later the first item weighs 0.25; a second item arrives then, published one half-life
    // earlier, so it weighs 0.5: score = (0.25 s1 + 0.5 s2) / (0.25 + 0.5 + 1).
    clock.advanceTo(T0 + 120 * MINUTE);
    const s2 = normalized(-2);
    bus.publish(Streams.newsRaw, news('n2', 'AAPL missed estimates', [AAPL], T0 + 60 * MINUTE));
    expect(updates[1]!.weight).toBeCloseTo(0.25 + 0.5, 12);
    expect(updates[1]!.score).toBeCloseTo((0.25 * s1 + 0.5 * s2) / (0.75 + 1), 12);
  });

  it('counts malformed, duplicate and untagged items and never throws', () => {
    const { bus, updates, worker } = setup();
    const bad: unknown[] = [
      null,
      42,
      { id: 7 },
      { id: 'x', instruments: [AAPL], publishedAt: T0 },
      { id: 'y', title: 'AAPL beat estimates', summary: '', instruments: 'AAPL', publishedAt: T0 },
      { id: 'z', title: 'AAPL beat estimates', summary: '', instruments: [AAPL], publishedAt: Number.NaN },
      { id: 'u', title: 'Markets were calm', summary: '', instruments: [], publishedAt: T0 },
    ];
    for (const item of bad) bus.publish(Streams.newsRaw, item as NewsItem);
    bus.publish(Streams.newsRaw, news('ok', 'AAPL beat estimates', [AAPL], T0));
    bus.publish(Streams.newsRaw, news('ok', 'AAPL beat estimates', [AAPL], T0));
    expect(updates).toHaveLength(1);
    expect(worker.stats()).toEqual({
      items: 1,
      published: 1,
      instruments: 1,
      skipped: {
        SENTIMENT_MALFORMED_ITEM: 4,
        SENTIMENT_BAD_INSTRUMENTS: 1,
        SENTIMENT_BAD_TIME: 1,
        SENTIMENT_UNTAGGED: 1,
        SENTIMENT_DUPLICATE: 1,
      },
    });
    expect(worker.score(AAPL)?.items).toBe(1);
    worker.stop();
  });
});
