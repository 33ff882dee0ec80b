// Configuration of market data: the synthetic market and the ingest pipeline (quality gate, candles, books,
// throttle, feed failover), zod schemas with defaults, their types, and timeframe parsing.

import { z } from 'zod';

const TIMEFRAME = /^([1-9][0-9]*)(s|m|h|d|w)$/;
const UNIT_MICROS: Readonly<Record<string, number>> = {
  s: 1_000_000,
  m: 60_000_000,
  h: 3_600_000_000,
  d: 86_400_000_000,
  w: 604_800_000_000,
};

/** Length of a timeframe such as `1s`, `5m`, `1h`, `1d`, `1w` in microseconds, or undefined if malformed. */
export function timeframeMicros(timeframe: string): number | undefined {
  const match = TIMEFRAME.exec(timeframe);
  if (!match) return undefined;
  const unit = UNIT_MICROS[match[2] ?? ''];
  return unit === undefined ? undefined : Number(match[1]) * unit;
}

const correlation = z.number().gt(-1).lt(1);

export const SyntheticMarketConfigSchema = z
  .object({
    /** One seed reproduces every price, size and event. */
    seed: z.number().int().default(1),
    /** Time of the first message, unix µs (default 2024-01-02T00:00:00Z). */
    startTime: z.number().int().min(0).default(1_704_153_600_000_000),
    /** Tick mode: time between two quotes of one instrument, µs. Every instrument quotes once per step. */
    stepMicros: z.number().int().positive().default(100_000),
    /** Annualized volatility of the fair price (GBM), e.g. 0.3 = 30 %/year. */
    volatility: z.number().min(0).max(5).default(0.3),
    /** Annualized drift of the fair price (GBM). */
    drift: z.number().min(-5).max(5).default(0),
    /** Length of the year that `volatility` and `drift` refer to, in seconds (252 days of 24 h by default). */
    secondsPerYear: z
      .number()
      .positive()
      .default(252 * 86_400),
    /** Correlation of returns between symbols of different sectors (the market factor). */
    marketCorrelation: z.number().min(0).lt(1).default(0.3),
    /** Correlation of returns between symbols of the same sector (market plus sector factor). */
    sectorCorrelation: z.number().min(0).lt(1).default(0.7),
    /** Overrides for single pairs, keyed `SYMBOL:SYMBOL` (e.g. `AAPL:MSFT: 0.9`). */
    correlations: z.record(z.string(), correlation).default({}),
    /** Starting fair price per symbol; symbols not listed draw one (seeded) in [initialPriceMin, initialPriceMax]. */
    initialPrices: z.record(z.string(), z.number().positive()).default({}),
    initialPriceMin: z.number().positive().default(80),
    initialPriceMax: z.number().positive().default(160),
    /** Quoted spread in ticks: `spreadTicks` plus a uniform extra of 0..`spreadJitterTicks`. */
    spreadTicks: z.number().int().min(1).default(2),
    spreadJitterTicks: z.number().int().min(0).default(1),
    /**
     * Mean time an instrument keeps its spread before drawing a new one, µs: spreads change at a rate per
     * second, not per step, so a faster step does not make the mid flicker faster.
     */
    spreadHoldMicros: z.number().int().min(0).default(2_000_000),
    /** Standard deviation of each venue's mean-reverting deviation from the fair price, in basis points. */
    venueDeviationBps: z.number().min(0).default(0.5),
    /** Half-life of the venue deviation (Ornstein–Uhlenbeck), µs. Jumps decay at the same rate. */
    venueDeviationHalfLifeMicros: z.number().positive().default(3_000_000),
    /**
     * Tick mode: dislocations. Each instrument's deviation jumps (Poisson, this many times a minute on average)
     * by ±0.75..1.25 × `venueJumpBps`, then reverts: these are the cross-venue arbitrage opportunities.
     */
    venueJumpsPerMinute: z.number().min(0).default(1.5),
    venueJumpBps: z.number().min(0).default(6),
    /** Mean displayed size at the best level, in lots (sizes are uniform in 0.25×..1.75× this). */
    quoteSizeLots: z.number().int().positive().default(300),
    /** Levels per side in book snapshots. */
    depth: z.number().int().min(1).max(50).default(5),
    /** A book snapshot per instrument every `bookInterval` steps (0: never). */
    bookInterval: z.number().int().min(0).default(10),
    /** Probability that an instrument prints a trade (at its bid or ask) in a step. */
    tradeProbability: z.number().min(0).max(1).default(0.3),
    /** Bar mode: the bar length (`1m`, `1h`, `1d`, …). */
    barTimeframe: z
      .string()
      .refine((s) => timeframeMicros(s) !== undefined, 'a timeframe such as 1s, 5m, 1h, 1d or 1w')
      .default('1d'),
    /** Bar mode: price path points per bar (open is the first, close the last; high/low over all). */
    barSubsteps: z.number().int().min(1).max(1000).default(4),
  })
  .strict()
  .refine((c) => c.sectorCorrelation >= c.marketCorrelation, {
    path: ['sectorCorrelation'],
    message: 'must be at least marketCorrelation (a sector shares the market factor)',
  })
  .refine((c) => c.initialPriceMax >= c.initialPriceMin, {
    path: ['initialPriceMax'],
    message: 'must be at least initialPriceMin',
  });

export type SyntheticMarketConfig = z.infer<typeof SyntheticMarketConfigSchema>;
/** What a caller may pass: every key optional, defaults filled in by the schema. */
export type SyntheticMarketConfigInput = z.input<typeof SyntheticMarketConfigSchema>;

// ---- ingest: quality gate, candles, order books, throttle and feed failover ----

const timeframe = z
  .string()
  .refine((s) => timeframeMicros(s) !== undefined, 'a timeframe such as 1s, 5m, 1h, 1d or 1w');
const micros = z.number().int().min(0);
const positiveMicros = z.number().int().positive();

export const QualityConfigSchema = z
  .object({
    /** Largest accepted move from the last good price, as a fraction (0.2 = 20 %); 0 turns the band off. */
    priceBand: z.number().min(0).default(0.2),
    /**
     * After this many band rejections in a row for one instrument, the next out-of-band price is accepted and
     * becomes the new anchor (the market moved, not the feed); 0: never re-anchor.
     */
    priceBandReanchorAfter: z.number().int().min(0).default(20),
    /** Quarantine locked quotes and books (bid == ask); crossed ones (bid > ask) are always quarantined. */
    quarantineLocked: z.boolean().default(true),
    /** How many of the latest quarantined messages are kept for inspection. */
    keepQuarantined: z.number().int().min(0).max(100_000).default(100),
    /** Accepted messages remembered per instrument and type at one event time, to recognise exact duplicates. */
    duplicateWindow: z.number().int().min(1).max(64).default(8),
  })
  .strict();

export type QualityConfig = z.infer<typeof QualityConfigSchema>;
export type QualityConfigInput = z.input<typeof QualityConfigSchema>;

export const CandleConfigSchema = z
  .object({
    /** Time bars to build, several at once (`1s` … `1d`); boundaries are aligned to the unix epoch (UTC). */
    timeframes: z
      .array(timeframe)
      .default(['1m'])
      .refine((list) => new Set(list).size === list.length, 'timeframes must not repeat'),
    /** Volume bars: a bar closes when the cumulative traded size reaches each of these sizes. */
    volumeBars: z.array(z.number().positive()).default([]),
    /** `mid`: quote mids also move a bar's prices (with no volume); `ignore`: bars from trades only. */
    quotes: z.enum(['ignore', 'mid']).default('ignore'),
    /** `advance(now)` closes an interval only once `now` is this far past its end (room for late ticks). */
    closeDelayMicros: micros.default(0),
    /** A gap longer than this many intervals is not filled (counted instead): guards against a bad clock. */
    maxGapFillBars: z.number().int().min(0).default(100_000),
  })
  .strict();

export type CandleConfig = z.infer<typeof CandleConfigSchema>;
export type CandleConfigInput = z.input<typeof CandleConfigSchema>;

export const FeedPairSchema = z
  .object({ primary: z.string().min(1), backup: z.string().min(1) })
  .strict()
  .refine((pair) => pair.primary !== pair.backup, { path: ['backup'], message: 'must differ from primary' });

export const FailoverConfigSchema = z
  .object({
    /** A feed with no update for an instrument within this time is stale for it. */
    staleAfterMicros: positiveMicros.default(5_000_000),
    /** How often staleness (and auto failback) is checked on the clock. */
    checkIntervalMicros: positiveMicros.default(250_000),
    /** `manual`: back to the primary only by command; `auto`: once the primary has been healthy long enough. */
    failback: z.enum(['manual', 'auto']).default('manual'),
    failbackAfterMicros: micros.default(30_000_000),
    /** Primary and backup feed names per instrument id; instruments not listed take any feed. */
    instruments: z.record(z.string().min(1), FeedPairSchema).default({}),
  })
  .strict();

export type FailoverConfig = z.infer<typeof FailoverConfigSchema>;
export type FailoverConfigInput = z.input<typeof FailoverConfigSchema>;

export const IngestConfigSchema = z
  .object({
    quality: QualityConfigSchema.prefault({}),
    candles: CandleConfigSchema.prefault({}),
    failover: FailoverConfigSchema.prefault({}),
    /** Levels per side in the snapshots published on `books.live`. */
    bookDepth: z.number().int().min(1).max(1000).default(10),
    /** At most one quote and one book per instrument per this interval (conflated, latest wins); 0: off. */
    throttleMicros: micros.default(0),
  })
  .strict();

export type IngestConfig = z.infer<typeof IngestConfigSchema>;
export type IngestConfigInput = z.input<typeof IngestConfigSchema>;
