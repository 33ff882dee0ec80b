// The instrument and venue registry (`configs/registry.yaml`): what trades where, in which increments,
// and each venue's adapter, fees and latency.

import { z } from 'zod';
import { makeInstrument, type Instrument, type InstrumentId, type VenueId } from '../model/index.ts';
import { ConfigError } from './errors.ts';
import { loadConfigFile, parseConfig } from './config.ts';

const positive = z.number().positive();

export const FeeScheduleSchema = z
  .object({
    /** Basis points of notional for liquidity-adding fills (negative = rebate). */
    makerBps: z.number().default(0),
    /** Basis points of notional for liquidity-taking fills. */
    takerBps: z.number().default(0),
    /** Fixed amount per unit of quantity (per share). */
    perUnit: z.number().min(0).default(0),
    /** Minimum fee per fill (applied when the computed fee is positive). */
    minimum: z.number().min(0).default(0),
  })
  .strict();
export type FeeSchedule = z.infer<typeof FeeScheduleSchema>;

export const LatencyModelSchema = z
  .object({
    /** Fixed one-way delay from submit to the venue acting on it, in microseconds. */
    baseMicros: z.number().int().min(0).default(0),
    /** Uniform random extra delay in [0, jitterMicros), seeded. */
    jitterMicros: z.number().int().min(0).default(0),
  })
  .strict();
export type LatencyModel = z.infer<typeof LatencyModelSchema>;

export const VenueConfigSchema = z
  .object({
    adapter: z.enum(['paper', 'ibkr', 'zerodha']),
    enabled: z.boolean().default(true),
    fees: FeeScheduleSchema.default({ makerBps: 0, takerBps: 0, perUnit: 0, minimum: 0 }),
    latency: LatencyModelSchema.default({ baseMicros: 0, jitterMicros: 0 }),
    /** Expected slippage in basis points for marketable orders, used by the router's cost model. */
    slippageBps: z.number().min(0).default(0),
    /** Paper venues: starting cash per currency for the account at this venue. */
    cash: z.record(z.string(), z.number().min(0)).default({}),
  })
  .strict();
export type VenueConfig = z.infer<typeof VenueConfigSchema>;

export const InstrumentConfigSchema = z
  .object({
    symbol: z
      .string()
      .min(1)
      .regex(/^[^\s]+$/, 'no spaces'),
    /** One instrument is created per listed venue (`SYMBOL.VENUE`). */
    venues: z.array(z.string().min(1)).min(1),
    assetClass: z.enum(['equity', 'future', 'option', 'fx', 'crypto', 'index', 'bond']),
    currency: z.string().regex(/^[A-Z]{3,4}$/, 'an ISO currency code such as USD'),
    tickSize: positive,
    lotSize: positive,
    multiplier: positive.default(1),
    region: z.string().min(1),
    sector: z.string().min(1),
  })
  .strict();

export const RegistryConfigSchema = z
  .object({
    venues: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _'), VenueConfigSchema),
    instruments: z.array(InstrumentConfigSchema).min(1),
  })
  .strict();
export type RegistryConfig = z.infer<typeof RegistryConfigSchema>;

export interface Registry {
  readonly instruments: ReadonlyMap<InstrumentId, Instrument>;
  readonly venues: ReadonlyMap<VenueId, VenueConfig>;
  /** Instruments of one symbol across venues (for arbitrage and routing). */
  readonly bySymbol: ReadonlyMap<string, readonly Instrument[]>;
}

export function buildRegistry(config: RegistryConfig, file = 'registry'): Registry {
  const instruments = new Map<InstrumentId, Instrument>();
  const bySymbol = new Map<string, Instrument[]>();
  const venues = new Map<VenueId, VenueConfig>();
  for (const [name, venue] of Object.entries(config.venues)) venues.set(name as VenueId, venue);
  config.instruments.forEach((spec, index) => {
    for (const venue of spec.venues) {
      if (!venues.has(venue as VenueId))
        throw new ConfigError(file, `instruments[${index}].venues`, `unknown venue "${venue}"`);
      const instrument = makeInstrument({ ...spec, venue });
      if (instruments.has(instrument.id))
        throw new ConfigError(file, `instruments[${index}]`, `duplicate instrument ${instrument.id}`);
      instruments.set(instrument.id, instrument);
      const list = bySymbol.get(spec.symbol) ?? [];
      list.push(instrument);
      bySymbol.set(spec.symbol, list);
    }
  });
  return { instruments, venues, bySymbol };
}

export function parseRegistry(value: unknown, file = 'registry'): Registry {
  return buildRegistry(parseConfig(RegistryConfigSchema, value, file), file);
}

export function loadRegistry(file: string): Registry {
  return buildRegistry(loadConfigFile(RegistryConfigSchema, file), file);
}
