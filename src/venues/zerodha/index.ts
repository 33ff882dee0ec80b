// Public surface of the Zerodha venue, and the one call the kernel makes: createZerodhaVenue builds the
// adapter (orders, fills, reconciliation) and, when the ticker is enabled, the market-data feed, wired so that
// ticker order updates trigger an immediate order poll.

import type { Clock } from '../../common/clock.ts';
import type { Logger } from '../../common/logging.ts';
import type { VenueConfig } from '../../common/registry.ts';
import type { Alert, Instrument, MarketData, VenueId } from '../../model/index.ts';
import { ZerodhaVenueAdapter } from './adapter.ts';
import {
  loadZerodhaConfigFrom,
  parseZerodhaConfig,
  type Environment,
  type ZerodhaConfig,
  type ZerodhaConfigInput,
} from './config.ts';
import { ZerodhaFeed } from './feed.ts';

export {
  ZerodhaVenueAdapter,
  tagFor,
  externalClientOrderId,
  FEE_CURRENCY,
  type KiteRoute,
  type ZerodhaCounters,
  type ZerodhaVenueAdapterOptions,
} from './adapter.ts';
export {
  ZerodhaConfigSchema,
  parseZerodhaConfig,
  loadZerodhaConfig,
  loadZerodhaConfigFrom,
  resolveCredentials,
  KITE_EXCHANGES,
  KITE_PRODUCTS,
  KITE_VARIETIES,
  type ZerodhaConfig,
  type ZerodhaConfigInput,
  type ZerodhaCredentials,
  type Environment,
} from './config.ts';
export {
  ZerodhaFeeModel,
  DEFAULT_CHARGES,
  segmentOf,
  type ChargeBreakdown,
  type ChargeInput,
  type ZerodhaCharges,
  type ZerodhaSegment,
} from './fee-model.ts';
export {
  ZerodhaFeed,
  type ZerodhaFeedCounters,
  type ZerodhaFeedOptions,
  type ZerodhaFeedState,
} from './feed.ts';
export { createSession, loginUrl, type CreateSessionOptions, type ZerodhaSession } from './session.ts';
export { Secret, Redactor } from './secrets.ts';
export { ZerodhaVenueError } from './kite-errors.ts';

export interface CreateZerodhaVenueOptions {
  readonly venue: VenueId;
  /** The registry's entry for the venue (adapter: zerodha). */
  readonly config: VenueConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Registry instruments (those of other venues are ignored). */
  readonly instruments: readonly Instrument[];
  /** Zerodha options; default: `<configDir>/zerodha.yaml` when configDir is given and it exists, else defaults. */
  readonly options?: ZerodhaConfigInput;
  readonly configDir?: string;
  readonly env?: Environment;
  /** Where the feed's market data goes (e.g. kernel.publishMarketData). Without it no feed is built. */
  readonly sink?: (message: MarketData) => void;
  /** Where alerts go (e.g. the bus's `alerts` stream). */
  readonly onAlert?: (alert: Alert) => void;
}

export interface ZerodhaVenue {
  readonly adapter: ZerodhaVenueAdapter;
  /** Built when a sink is given and `ticker.enabled`; start() it after the adapter connects. */
  readonly feed: ZerodhaFeed | undefined;
  readonly options: ZerodhaConfig;
}

export function createZerodhaVenue(o: CreateZerodhaVenueOptions): ZerodhaVenue {
  const options =
    o.options !== undefined
      ? parseZerodhaConfig(o.options, `venue ${o.venue} zerodha options`)
      : o.configDir !== undefined
        ? loadZerodhaConfigFrom(o.configDir)
        : parseZerodhaConfig({});
  const logger = o.logger.child(`venue:${o.venue}`);
  const adapter = new ZerodhaVenueAdapter({
    venue: o.venue,
    config: options,
    clock: o.clock,
    instruments: o.instruments,
    logger,
    ...(o.env ? { env: o.env } : {}),
  });
  if (o.onAlert) adapter.onAlert(o.onAlert);
  let feed: ZerodhaFeed | undefined;
  if (o.sink && options.ticker.enabled) {
    feed = new ZerodhaFeed({
      venue: o.venue,
      config: options,
      clock: o.clock,
      routes: adapter.kiteRoutes.values(),
      sink: o.sink,
      logger: logger.child('feed'),
      ...(o.env ? { env: o.env } : {}),
    });
    feed.onOrderUpdate(() => adapter.notifyOrderUpdate());
    if (o.onAlert) feed.onAlert(o.onAlert);
  }
  return { adapter, feed, options };
}
