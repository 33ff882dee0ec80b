// Pre-trade risk configuration: zod schemas, inferred types and defaults for configs/risk.yaml and configs/policy.yaml.

import { z } from 'zod';
import { loadConfigFile, parseConfig } from '../common/config.ts';

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
