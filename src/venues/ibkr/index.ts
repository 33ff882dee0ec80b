// Public surface of the Interactive Brokers venue, and the factory the kernel builds it with.

import { join } from 'node:path';
import type { Clock } from '../../common/clock.ts';
import { ConfigError } from '../../common/errors.ts';
import type { Logger } from '../../common/logging.ts';
import type { VenueConfig } from '../../common/registry.ts';
import type { Instrument, VenueId } from '../../model/index.ts';
import { IbkrVenueAdapter } from './adapter.ts';
import { loadIbkrSettings, parseIbkrSettings, type IbkrSettingsInput } from './config.ts';

export { IbkrVenueAdapter, type IbkrVenueAdapterOptions } from './adapter.ts';
export {
  IbkrContractSchema,
  IbkrFeesSchema,
  IbkrSettingsSchema,
  loadIbkrSettings,
  parseIbkrSettings,
  type IbkrContract,
  type IbkrFees,
  type IbkrSettings,
  type IbkrSettingsInput,
} from './config.ts';
export { IbkrFeeModel, ibkrOrderCommission, type ExecutedSoFar } from './fee-model.ts';
export { externalClientOrderId } from './parsing.ts';

export interface CreateIbkrVenueOptions {
  readonly venue: VenueId;
  /** The venue's registry entry (`adapter: ibkr`). */
  readonly config: VenueConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Instruments of the registry; those of other venues are ignored. */
  readonly instruments: readonly Instrument[];
  /** IBKR settings given directly; otherwise read from `<configDir>/ibkr.yaml` (section `venue`). */
  readonly settings?: IbkrSettingsInput;
  readonly configDir?: string;
  /** Where IBKR_HOST, IBKR_PORT, IBKR_CLIENT_ID and IBKR_ACCOUNT are read (default process.env). */
  readonly environment?: Readonly<Record<string, string | undefined>>;
}

/** Builds (does not connect) the IBKR venue adapter of one registry venue; bad settings throw a ConfigError. */
export function createIbkrVenue(options: CreateIbkrVenueOptions): IbkrVenueAdapter {
  const { venue, config } = options;
  if (config.adapter !== 'ibkr')
    throw new ConfigError('registry', `venues.${venue}.adapter`, `is "${config.adapter}", not "ibkr"`);
  const environment = options.environment ?? process.env;
  const settings =
    options.settings !== undefined
      ? parseIbkrSettings(options.settings, `venue ${venue} IBKR settings`, environment)
      : options.configDir !== undefined
        ? loadIbkrSettings(join(options.configDir, 'ibkr.yaml'), venue, environment)
        : parseIbkrSettings({}, `venue ${venue} IBKR settings`, environment);
  return new IbkrVenueAdapter({
    venue,
    settings,
    clock: options.clock,
    log: options.logger,
    instruments: options.instruments.filter((i) => i.venue === venue),
  });
}
