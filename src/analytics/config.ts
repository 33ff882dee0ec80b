// Configuration of the analytics engine: defaults for performance statistics and transaction cost analysis.

import { z } from 'zod';

/** The default markout horizons: 1 s, 10 s and 60 s in microseconds. */
export const DEFAULT_MARKOUT_HORIZONS_MICROS: readonly number[] = [1_000_000, 10_000_000, 60_000_000];

export const StatsConfigSchema = z
  .object({
    /** Periods in a year of the return series: 252 daily, 52 weekly, 12 monthly. */
    periodsPerYear: z.number().positive().default(252),
    /** Risk-free return per period (not annualised), a fraction. */
    riskFree: z.number().default(0),
    /** Minimum acceptable return per period for the Sortino ratio, a fraction. */
    mar: z.number().default(0),
  })
  .strict();

export const TcaConfigSchema = z
  .object({
    /** Markout horizons after each fill, microseconds (default 1 s, 10 s, 60 s). */
    markoutHorizonsMicros: z
      .array(z.number().int().positive())
      .min(1)
      .default([...DEFAULT_MARKOUT_HORIZONS_MICROS]),
  })
  .strict();

export const AnalyticsConfigSchema = z
  .object({
    stats: StatsConfigSchema.default({ periodsPerYear: 252, riskFree: 0, mar: 0 }),
    tca: TcaConfigSchema.default({ markoutHorizonsMicros: [...DEFAULT_MARKOUT_HORIZONS_MICROS] }),
  })
  .strict();

export type StatsConfig = z.infer<typeof StatsConfigSchema>;
export type TcaConfig = z.infer<typeof TcaConfigSchema>;
export type AnalyticsConfig = z.infer<typeof AnalyticsConfigSchema>;
/** What a caller may pass: every key optional, defaults filled in by the schema. */
export type AnalyticsConfigInput = z.input<typeof AnalyticsConfigSchema>;
