// Paper-venue options beyond the registry's VenueConfig (fees, latency and cash come from there).

import { z } from 'zod';
import { parseConfig } from '../../common/config.ts';

export const MICROS_PER_DAY = 86_400_000_000;

export const PaperVenueOptionsSchema = z
  .object({
    /**
     * Bar mode only: at most this fraction of a bar's volume is filled per bar, shared by all orders of the
     * instrument in priority order (market, then stops, then limits); the rest waits for later bars.
     * Unset: an order fills in full on the bar that reaches it, whatever the volume.
     */
    maxBarVolumeFraction: z.number().gt(0).max(1).optional(),
    /** Where the trading day starts for DAY orders, in microseconds after UTC midnight. */
    tradingDayStartMicros: z.number().int().min(0).lt(MICROS_PER_DAY).default(0),
  })
  .strict();

export type PaperVenueOptions = z.infer<typeof PaperVenueOptionsSchema>;
export type PaperVenueOptionsInput = z.input<typeof PaperVenueOptionsSchema>;

/** Validates options; a problem throws a ConfigError naming `file` and the key. */
export function parsePaperVenueOptions(value: unknown, file = 'paper venue options'): PaperVenueOptions {
  return parseConfig(PaperVenueOptionsSchema, value, file);
}
