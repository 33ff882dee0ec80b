// Configuration of the greeks publisher: the options it prices (a zod schema with defaults), which streams it
// reads, and the conventions it prices with. Typically loaded from configs/greeks.yaml.

import { z } from 'zod';
import { loadConfigFile, parseConfig } from '../common/config.ts';
import {
  AMERICAN_MODELS,
  EUROPEAN_MODELS,
  EXERCISE_STYLES,
  OPTION_TYPES,
  PRICING_MODELS,
  defaultModelFor,
} from './types.ts';

// zod 4 numbers are finite: Infinity and NaN are rejected here.
const positive = z.number().positive();

export const OptionSpecSchema = z
  .object({
    /** The option instrument (`SYMBOL.VENUE`); its quotes on ticks.live, when any, give its implied volatility. */
    instrumentId: z.string().min(1),
    /** The instrument whose price moves the option (for black76: the futures or forward contract). */
    underlyingId: z.string().min(1),
    type: z.enum(OPTION_TYPES),
    style: z.enum(EXERCISE_STYLES).default('european'),
    strike: positive,
    /** Expiry: unix microseconds, or an ISO 8601 time (`2027-12-17T21:00:00Z`; a bare date is 00:00 UTC). */
    expiry: z.union([
      z.number().int().positive(),
      z.string().transform((text, context) => {
        const ms = Date.parse(text);
        if (Number.isNaN(ms)) {
          context.addIssue({ code: 'custom', message: `"${text}" is not an ISO 8601 date or time` });
          return z.NEVER;
        }
        return ms * 1000;
      }),
    ]),
    /** Default: bsm for european, baw for american. */
    model: z.enum(PRICING_MODELS).optional(),
    /** Continuously compounded risk-free rate, e.g. 0.05. */
    rate: z.number().default(0),
    /** Continuous dividend yield (gk: the foreign rate; black76: ignored). */
    dividendYield: z.number().default(0),
    /** Volatility used when the option has no usable quote of its own, e.g. 0.25. */
    volatility: positive,
  })
  .strict()
  .superRefine((spec, context) => {
    if (spec.instrumentId === spec.underlyingId)
      context.addIssue({
        code: 'custom',
        path: ['underlyingId'],
        message: 'must differ from instrumentId',
      });
    const allowed = spec.style === 'american' ? AMERICAN_MODELS : EUROPEAN_MODELS;
    if (spec.model !== undefined && !allowed.includes(spec.model))
      context.addIssue({
        code: 'custom',
        path: ['model'],
        message: `model ${spec.model} does not price ${spec.style} options (use ${allowed.join(' or ')})`,
      });
  })
  .transform((spec) => ({ ...spec, model: spec.model ?? defaultModelFor(spec.style) }));

export type OptionSpec = z.infer<typeof OptionSpecSchema>;
export type OptionSpecInput = z.input<typeof OptionSpecSchema>;

export const GreeksConfigSchema = z
  .object({
    options: z.array(OptionSpecSchema).default([]),
    /** Also take underlying prices from books.live (mid of the best levels). */
    books: z.boolean().default(false),
    /**
     * An option quote older than this (µs, against the underlying's tsEvent) is not used for implied
     * volatility; 0 = any age.
     */
    maxQuoteAgeMicros: z.number().int().min(0).default(60_000_000),
    /** Length of the year that time to expiry is measured in, seconds (365 days by default: ACT/365). */
    secondsPerYear: positive.default(365 * 86_400),
  })
  .strict()
  .superRefine((config, context) => {
    const seen = new Map<string, number>();
    config.options.forEach((option, index) => {
      const first = seen.get(option.instrumentId);
      if (first !== undefined)
        context.addIssue({
          code: 'custom',
          path: ['options', index, 'instrumentId'],
          message: `${option.instrumentId} is already configured at options[${first}]`,
        });
      else seen.set(option.instrumentId, index);
    });
  });

export type GreeksConfig = z.infer<typeof GreeksConfigSchema>;
/** What a caller may pass: every key with a default optional. */
export type GreeksConfigInput = z.input<typeof GreeksConfigSchema>;

/** Validates a greeks configuration; a problem becomes a ConfigError naming `file` and the key. */
export function parseGreeksConfig(value: unknown, file = 'greeks configuration'): GreeksConfig {
  return parseConfig(GreeksConfigSchema, value, file);
}

export function loadGreeksConfig(file: string): GreeksConfig {
  return loadConfigFile(GreeksConfigSchema, file);
}
