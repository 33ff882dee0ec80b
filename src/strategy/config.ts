// configs/strategies.yaml: which strategies run, under which ids, with which parameters and instruments.

import { z } from 'zod';

export const StrategyEntrySchema = z
  .object({
    /** Unique id: the field name in `strategy:enabled`, the prefix of its client order ids. */
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, - and _'),
    /** A built-in name (sma-cross, cross-venue-arb, market-maker) or a path to a .ts/.js file. */
    strategy: z.string().min(1),
    enabled: z.boolean().default(true),
    /** Instruments whose market data the strategy receives (empty = all). */
    instruments: z.array(z.string().min(3)).default([]),
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
export type StrategyEntry = z.infer<typeof StrategyEntrySchema>;

export const StrategiesConfigSchema = z
  .object({
    strategies: z.array(StrategyEntrySchema).default([]),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.strategies.forEach((entry, index) => {
      if (seen.has(entry.id))
        ctx.addIssue({
          code: 'custom',
          path: ['strategies', index, 'id'],
          message: `duplicate id "${entry.id}"`,
        });
      seen.add(entry.id);
    });
  });
export type StrategiesConfig = z.infer<typeof StrategiesConfigSchema>;
