// Pre-trade risk configuration: zod schemas, inferred types and defaults for configs/risk.yaml and configs/policy.yaml.

import { z } from 'zod';
import { loadConfigFile, parseConfig } from '../common/config.ts';
import { VAR_METHODS } from './var.ts';

const currencyCode = z.string().regex(/^[A-Z]{3,4}$/, 'an ISO currency code such as USD');
// zod 4 numbers are finite: Infinity and NaN are rejected here.
const positive = z.number().positive();

export const TRADING_STATES = ['ACTIVE', 'REDUCING', 'HALTED'] as const;
export type TradingState = (typeof TRADING_STATES)[number];

/** Per-instrument order limits. Quantities in units of the instrument, money in `baseCurrency`. */
const instrumentLimitsShape = {
  /** Largest quantity one order may carry. */
  maxOrderQuantity: positive,
  /** Largest notional of one order (quantity × price × multiplier), in baseCurrency. */
  maxNotional: positive,
  /** Largest absolute firm-wide position, counting open orders on the order's side. */
  maxPosition: positive,
  /** Price collar: a limit price more than this many basis points from the reference price is denied. */
  collarBps: positive,
};

export const DEFAULT_INSTRUMENT_LIMITS = {
  maxOrderQuantity: 1_000,
  maxNotional: 100_000,
  maxPosition: 5_000,
  collarBps: 500,
} as const;

export const InstrumentLimitsSchema = z
  .object({
    maxOrderQuantity: instrumentLimitsShape.maxOrderQuantity.default(
      DEFAULT_INSTRUMENT_LIMITS.maxOrderQuantity,
    ),
    maxNotional: instrumentLimitsShape.maxNotional.default(DEFAULT_INSTRUMENT_LIMITS.maxNotional),
    maxPosition: instrumentLimitsShape.maxPosition.default(DEFAULT_INSTRUMENT_LIMITS.maxPosition),
    collarBps: instrumentLimitsShape.collarBps.default(DEFAULT_INSTRUMENT_LIMITS.collarBps),
  })
  .strict();
export type InstrumentLimits = z.infer<typeof InstrumentLimitsSchema>;

export const InstrumentLimitsOverrideSchema = z.object(instrumentLimitsShape).partial().strict();
export type InstrumentLimitsOverride = z.infer<typeof InstrumentLimitsOverrideSchema>;

/** Per-strategy limits. Exposures in baseCurrency. */
const strategyLimitsShape = {
  /** Cap on Σ |position (with open orders on the worse side)| × mark, over the strategy's instruments. */
  maxGrossExposure: positive,
  /** Cap on |Σ signed position × mark|, counting open orders on the order's side. */
  maxNetExposure: positive,
  /** Token-bucket refill rate: submits and modifies per second (cancels are never throttled). */
  messagesPerSecond: positive,
  /** Token-bucket capacity: the largest burst allowed after a quiet period. */
  burst: z.number().int().min(1),
};

export const DEFAULT_STRATEGY_LIMITS = {
  maxGrossExposure: 1_000_000,
  maxNetExposure: 500_000,
  messagesPerSecond: 100,
  burst: 200,
} as const;

export const StrategyLimitsSchema = z
  .object({
    maxGrossExposure: strategyLimitsShape.maxGrossExposure.default(DEFAULT_STRATEGY_LIMITS.maxGrossExposure),
    maxNetExposure: strategyLimitsShape.maxNetExposure.default(DEFAULT_STRATEGY_LIMITS.maxNetExposure),
    messagesPerSecond: strategyLimitsShape.messagesPerSecond.default(
      DEFAULT_STRATEGY_LIMITS.messagesPerSecond,
    ),
    burst: strategyLimitsShape.burst.default(DEFAULT_STRATEGY_LIMITS.burst),
  })
  .strict();
export type StrategyLimits = z.infer<typeof StrategyLimitsSchema>;

export const StrategyLimitsOverrideSchema = z.object(strategyLimitsShape).partial().strict();
export type StrategyLimitsOverride = z.infer<typeof StrategyLimitsOverrideSchema>;

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const DURATION_UNIT_MICROS: Readonly<Record<string, number>> = {
  ms: 1_000,
  s: 1_000_000,
  m: 60_000_000,
  h: 3_600_000_000,
  d: 86_400_000_000,
};

/** Microseconds of a duration such as `500ms`, `10s`, `1m`, `6.5h`, `1d`; undefined if it is not one. */
export function durationMicros(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (match === null) return undefined;
  const micros = Number(match[1]) * (DURATION_UNIT_MICROS[match[2] ?? ''] ?? Number.NaN);
  return micros >= 1 && Number.isFinite(micros) ? Math.round(micros) : undefined;
}

const duration = z
  .string()
  .refine((text) => durationMicros(text) !== undefined, 'a duration such as 10s, 1m, 6.5h or 1d');

/** A VaR / ES band in baseCurrency, for the horizon and confidence of the `var` block. Absent = no band. */
export const VarLimitSchema = z
  .object({
    var: positive.optional(),
    es: positive.optional(),
  })
  .strict();
export type VarLimit = z.infer<typeof VarLimitSchema>;

export const VarConfigSchema = z
  .object({
    /** How the live figure is computed: historical | gaussian (delta-normal) | modified | montecarlo. */
    method: z.enum(VAR_METHODS).default('gaussian'),
    confidence: z.number().min(0.5).lt(1).default(0.99),
    /** Horizon the figures and the bands refer to, in days of `dayLength` (square-root-of-time scaling). */
    horizonDays: positive.default(1),
    /** Length of the trading day the horizon counts when returns are sampled within a day (`6.5h` for a US session). */
    dayLength: duration.default('24h'),
    /** Least time between two samples of the instruments' reference prices: one return per instrument each. */
    sampleEvery: duration.default('1m'),
    /** Returns kept per instrument (the rolling window). */
    windowReturns: z.number().int().min(2).max(100_000).default(250),
    /** Until an instrument has this many returns, orders in it are not held to the VaR / ES bands (counted). */
    minReturns: z.number().int().min(2).default(30),
    monteCarlo: z
      .object({
        /** Simulated scenarios: a check costs O(paths). */
        paths: z.number().int().min(100).max(1_000_000).default(2_000),
        seed: z.number().int().default(1),
        /** Re-simulate after this many samples (the covariance moves with each). */
        resimulateEvery: z.number().int().min(1).default(1),
      })
      .strict()
      .prefault({}),
    limits: z
      .object({
        portfolio: VarLimitSchema.prefault({}),
        /** Bands of one strategy's own positions, keyed by strategy id. */
        strategies: z.record(z.string().min(1), VarLimitSchema).default({}),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((config, context) => {
    if (config.minReturns > config.windowReturns)
      context.addIssue({
        code: 'custom',
        path: ['minReturns'],
        message: `minReturns ${config.minReturns} is more than the window of ${config.windowReturns} returns`,
      });
  });
export type VarConfig = z.infer<typeof VarConfigSchema>;

export const DRAWDOWN_MEASURES = ['intraday', 'peak'] as const;
export type DrawdownMeasure = (typeof DRAWDOWN_MEASURES)[number];

/** A drawdown band: crossing it moves the portfolio's or the strategy's trading state (never back by itself). */
export const DrawdownBandSchema = z
  .object({
    scope: z.enum(['portfolio', 'strategy']),
    /** With scope strategy: the strategy id; absent = every strategy. */
    strategy: z.string().min(1).optional(),
    /** intraday: from the day's P&L high; peak: from the P&L high since start (peak-to-trough). */
    measure: z.enum(DRAWDOWN_MEASURES),
    /** Drawdown in baseCurrency at which the band acts. */
    limit: positive,
    action: z.enum(['REDUCING', 'HALTED']),
  })
  .strict()
  .superRefine((band, context) => {
    if (band.scope === 'portfolio' && band.strategy !== undefined)
      context.addIssue({
        code: 'custom',
        path: ['strategy'],
        message: 'a portfolio band names no strategy (use scope: strategy)',
      });
  });
export type DrawdownBand = z.infer<typeof DrawdownBandSchema>;

export const DrawdownConfigSchema = z
  .object({
    /** Start of the trading day for intraday drawdowns, UTC `HH:MM`. */
    dayStart: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a UTC time HH:MM')
      .default('00:00'),
    /** A band that acted acts again only after the drawdown has recovered below this fraction of its limit. */
    rearmFraction: z.number().gt(0).max(1).default(0.9),
    bands: z.array(DrawdownBandSchema).default([]),
  })
  .strict();
export type DrawdownConfig = z.infer<typeof DrawdownConfigSchema>;

export const RiskConfigSchema = z
  .object({
    /** Currency every exposure and notional limit is expressed in. */
    baseCurrency: currencyCode.default('USD'),
    /** Value of one unit of a currency in baseCurrency (EUR: 1.08 with base USD). The base itself is 1. */
    fxRates: z.record(currencyCode, positive).default({}),
    /** Trading state at start; `setTradingState()` changes it at run time. */
    tradingState: z.enum(TRADING_STATES).default('ACTIVE'),
    /** Starting cash per currency for buying power (replaced by the engine's `cash` option when given). */
    cash: z.record(currencyCode, z.number().min(0)).default({}),
    /** Buying power = starting cash × leverage + cash flows of fills − open buy commitments. */
    leverage: positive.default(1),
    /** Limits for every instrument without an override. */
    instrumentDefaults: InstrumentLimitsSchema.prefault({}),
    /** Overrides keyed by symbol (every venue) or instrument id (`AAPL.SIM-A`, wins over the symbol). */
    instruments: z.record(z.string().min(1), InstrumentLimitsOverrideSchema).default({}),
    /** Limits for every strategy without an override. */
    strategyDefaults: StrategyLimitsSchema.prefault({}),
    /** Overrides keyed by strategy id. */
    strategies: z.record(z.string().min(1), StrategyLimitsOverrideSchema).default({}),
    /** Portfolio VaR / ES, recomputed as positions and prices move, and its pre-trade bands (none by default). */
    var: VarConfigSchema.prefault({}),
    /** Drawdown monitor: intraday and peak-to-trough bands per portfolio and strategy (none by default). */
    drawdown: DrawdownConfigSchema.prefault({}),
  })
  .strict()
  .superRefine((config, context) => {
    const own = config.fxRates[config.baseCurrency];
    if (own !== undefined && own !== 1)
      context.addIssue({
        code: 'custom',
        path: ['fxRates', config.baseCurrency],
        message: `the base currency's own rate must be 1, got ${own}`,
      });
  });
export type RiskConfig = z.infer<typeof RiskConfigSchema>;

/** A firm-wide exposure cap for one sector or region, in baseCurrency. Absent = uncapped. */
export const ExposureCapSchema = z
  .object({
    /** Cap on Σ |firm position (with open orders on the worse side)| × mark over the group's instruments. */
    maxGrossExposure: positive.optional(),
    /** Cap on |Σ signed firm position × mark|, counting open orders on the order's side. */
    maxNetExposure: positive.optional(),
  })
  .strict();
export type ExposureCap = z.infer<typeof ExposureCapSchema>;

export const PolicyConfigSchema = z
  .object({
    /** Instruments no order may trade: each entry a symbol (every venue) or an instrument id. */
    restrictedInstruments: z.array(z.string().min(1)).default([]),
    /** Regions (as in registry.yaml) no order may trade. */
    blockedRegions: z.array(z.string().min(1)).default([]),
    /** Cap for every sector without its own entry. */
    sectorDefaults: ExposureCapSchema.prefault({}),
    sectors: z.record(z.string().min(1), ExposureCapSchema).default({}),
    /** Cap for every region without its own entry. */
    regionDefaults: ExposureCapSchema.prefault({}),
    regions: z.record(z.string().min(1), ExposureCapSchema).default({}),
  })
  .strict();
export type PolicyConfig = z.infer<typeof PolicyConfigSchema>;

export function parseRiskConfig(value: unknown, file = 'risk.yaml'): RiskConfig {
  return parseConfig(RiskConfigSchema, value, file);
}

export function parsePolicyConfig(value: unknown, file = 'policy.yaml'): PolicyConfig {
  return parseConfig(PolicyConfigSchema, value, file);
}

export function loadRiskConfig(file: string): RiskConfig {
  return loadConfigFile(RiskConfigSchema, file);
}

export function loadPolicyConfig(file: string): PolicyConfig {
  return loadConfigFile(PolicyConfigSchema, file);
}

/** Every default, as an empty file would give. */
export const defaultRiskConfig: RiskConfig = parseRiskConfig({});
export const defaultPolicyConfig: PolicyConfig = parsePolicyConfig({});
