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

export const LatencyRoutingSchema = z
  .object({
    /** Shift flow away from this venue while its submit → ack p95 is above the band. */
    latencyAware: z.boolean().default(false),
    p95LimitMs: z.number().positive().default(50),
    /** Back to normal once the p95 falls below this (or too few recent acks remain to judge). */
    recoverBelowMs: z.number().positive().default(20),
    /** Acks older than this do not count. */
    windowMs: z.number().positive().default(30_000),
    minSamples: z.number().int().min(1).default(20),
    /** Cost model: basis points charged per millisecond of the venue's median ack latency. */
    costBpsPerMs: z.number().min(0).default(0),
  })
  .strict()
  .refine((r) => r.recoverBelowMs <= r.p95LimitMs, {
    path: ['recoverBelowMs'],
    message: 'must not exceed p95LimitMs',
  });

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
    /** Latency-aware routing (src/oms/latency-monitor.ts); `policy:latency_routing <VENUE> on|off` at run time. */
    routing: LatencyRoutingSchema.prefault({}),
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

/** A market-data source. `synthetic`: the seeded synthetic market; `file`: a recorded file replayed live. */
export const FeedSourceSchema = z
  .object({
    kind: z.enum(['synthetic', 'file']),
    /** synthetic: added to the run's seed (0 = the same market as the default feed). */
    seedOffset: z.number().int().default(0),
    /** synthetic: messages per second across its instruments (default: the run's rate). */
    rate: positive.optional(),
    /** Instruments this source quotes (default: every instrument of the registry; file: exactly one). */
    instruments: z.array(z.string().min(3)).optional(),
    /** file: path to a bar or tick file (relative to the config folder), its format, and replay speed. */
    path: z.string().min(1).optional(),
    format: z.enum(['yahoo', 'bars-csv', 'ticks-csv']).optional(),
    /** file: 1 = the file's own pace, 60 = a minute of data per second. */
    speed: positive.default(1),
  })
  .strict()
  .superRefine((source, context) => {
    if (source.kind === 'file' && source.path === undefined)
      context.addIssue({ code: 'custom', path: ['path'], message: 'a file source needs a path' });
    if (source.kind === 'file' && source.instruments?.length !== 1)
      context.addIssue({
        code: 'custom',
        path: ['instruments'],
        message: 'a file source feeds exactly one instrument',
      });
  });
export type FeedSource = z.infer<typeof FeedSourceSchema>;

export const FeedsConfigSchema = z
  .object({
    sources: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _'), FeedSourceSchema),
    /** Primary and backup source per instrument id; instruments not listed take data from any source. */
    instruments: z
      .record(z.string().min(3), z.object({ primary: z.string().min(1), backup: z.string().min(1) }).strict())
      .default({}),
    /** A source silent for an instrument this long (ms) is stale: the instrument switches to its backup. */
    staleAfterMs: positive.default(5000),
    /** `manual`: back to the primary only by `hf feed use`; `auto`: after the primary is healthy this long. */
    failback: z.enum(['manual', 'auto']).default('manual'),
    failbackAfterMs: positive.default(30_000),
    /** Candle timeframes built from ticks and published on `candles.<tf>`. */
    candles: z.array(z.string().regex(/^[1-9][0-9]*(s|m|h|d|w)$/, 'a timeframe such as 1m')).default(['1m']),
    /** Largest accepted move from the last good price (fraction); 0 turns the band off. */
    priceBand: z.number().min(0).default(0.2),
    /** At most one quote and one book per instrument per this many ms (conflated); 0: off. */
    throttleMs: z.number().min(0).default(0),
  })
  .strict();
export type FeedsConfig = z.infer<typeof FeedsConfigSchema>;

export const RegistryConfigSchema = z
  .object({
    venues: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _'), VenueConfigSchema),
    instruments: z.array(InstrumentConfigSchema).min(1),
    /** Market-data sources and the failover pairs; absent: the synthetic market for every instrument. */
    feeds: FeedsConfigSchema.optional(),
  })
  .strict();
export type RegistryConfig = z.infer<typeof RegistryConfigSchema>;

export interface Registry {
  readonly instruments: ReadonlyMap<InstrumentId, Instrument>;
  readonly venues: ReadonlyMap<VenueId, VenueConfig>;
  /** Instruments of one symbol across venues (for arbitrage and routing). */
  readonly bySymbol: ReadonlyMap<string, readonly Instrument[]>;
  readonly feeds: FeedsConfig | undefined;
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
  const feeds = config.feeds;
  if (feeds) {
    for (const [id, pair] of Object.entries(feeds.instruments)) {
      if (!instruments.has(id as InstrumentId))
        throw new ConfigError(file, `feeds.instruments.${id}`, `unknown instrument "${id}"`);
      for (const role of ['primary', 'backup'] as const)
        if (!(pair[role] in feeds.sources))
          throw new ConfigError(file, `feeds.instruments.${id}.${role}`, `unknown source "${pair[role]}"`);
      if (pair.primary === pair.backup)
        throw new ConfigError(file, `feeds.instruments.${id}.backup`, 'must differ from primary');
    }
    for (const [name, source] of Object.entries(feeds.sources))
      for (const id of source.instruments ?? [])
        if (!instruments.has(id as InstrumentId))
          throw new ConfigError(file, `feeds.sources.${name}.instruments`, `unknown instrument "${id}"`);
  }
  return { instruments, venues, bySymbol, feeds };
}

export function parseRegistry(value: unknown, file = 'registry'): Registry {
  return buildRegistry(parseConfig(RegistryConfigSchema, value, file), file);
}

export function loadRegistry(file: string): Registry {
  return buildRegistry(loadConfigFile(RegistryConfigSchema, file), file);
}
