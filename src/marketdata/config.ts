// Configuration of the synthetic market: a zod schema with defaults, its types, and timeframe parsing.

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
