// Test fixtures for the Zerodha venue: a fake Kite on loopback, an adapter pointed at it with credentials in
// a private environment, captured events, alerts and log lines, and a helper to wait for asynchronous effects.

import { LiveClock } from '../../common/clock.ts';
import { createLogger } from '../../common/logging.ts';
import {
  clientOrderId,
  makeInstrument,
  strategyId,
  venueId,
  type Alert,
  type ClientOrderId,
  type Instrument,
  type OrderRequest,
  type VenueEvent,
} from '../../model/index.ts';
import { startFakeKite, type FakeKite, type FakeKiteOptions } from '../../../tests/support/fake-kite.ts';
import { ZerodhaVenueAdapter } from './adapter.ts';
import { parseZerodhaConfig, type ZerodhaConfig, type ZerodhaConfigInput } from './config.ts';

export const VENUE = venueId('ZERODHA');

export const INFY = makeInstrument({
  symbol: 'INFY',
  venue: 'ZERODHA',
  assetClass: 'equity',
  currency: 'INR',
  tickSize: 0.05,
  lotSize: 1,
  region: 'IN',
  sector: 'technology',
});

export const NIFTY_FUTURE = makeInstrument({
  symbol: 'NIFTY25JANFUT',
  venue: 'ZERODHA',
  assetClass: 'future',
  currency: 'INR',
  tickSize: 0.05,
  lotSize: 75,
  region: 'IN',
  sector: 'index',
});

export const USDINR = makeInstrument({
  symbol: 'USDINR',
  venue: 'ZERODHA',
  assetClass: 'fx',
  currency: 'INR',
  tickSize: 0.0025,
  lotSize: 1,
  region: 'IN',
  sector: 'currency',
});

export const INFY_TOKEN = 408065;
export const NIFTY_FUTURE_TOKEN = 13_238_786;

export const FAKE_INSTRUMENTS = [
  { exchange: 'NSE', tradingsymbol: 'INFY', token: INFY_TOKEN, lastPrice: 1500 },
  { exchange: 'NFO', tradingsymbol: 'NIFTY25JANFUT', token: NIFTY_FUTURE_TOKEN, lastPrice: 23_500 },
];

export interface KiteSetup {
  readonly fake: FakeKite;
  readonly adapter: ZerodhaVenueAdapter;
  readonly config: ZerodhaConfig;
  readonly clock: LiveClock;
  readonly env: Record<string, string | undefined>;
  readonly events: VenueEvent[];
  readonly alerts: Alert[];
  /** Every log line the adapter wrote (debug level and up). */
  readonly logs: string[];
  close(): Promise<void>;
}

export interface KiteSetupOptions {
  readonly fake?: FakeKiteOptions;
  readonly config?: ZerodhaConfigInput;
  /** Reuse a running fake (a restart of the platform against the same account). */
  readonly existing?: FakeKite;
  /** Give the adapter an access token (default true). */
  readonly withToken?: boolean;
}

export function testConfig(fake: FakeKite, overrides: ZerodhaConfigInput = {}): ZerodhaConfig {
  return parseZerodhaConfig({
    restRoot: fake.restRoot,
    tickerRoot: fake.tickerRoot,
    pollIntervalMs: 50,
    lostOrderAfterMs: 1000,
    requestTimeoutMs: 2000,
    instruments: { INFY: { token: INFY_TOKEN }, NIFTY25JANFUT: { token: NIFTY_FUTURE_TOKEN } },
    rateLimit: { backoffMs: 200 },
    ...overrides,
  });
}

export async function kiteSetup(options: KiteSetupOptions = {}): Promise<KiteSetup> {
  const fake =
    options.existing ??
    (await startFakeKite({ instruments: FAKE_INSTRUMENTS, heartbeatMs: 200, ...options.fake }));
  const config = testConfig(fake, options.config);
  const env: Record<string, string | undefined> = {
    KITE_API_KEY: fake.apiKey,
    KITE_API_SECRET: fake.apiSecret,
    KITE_ACCESS_TOKEN: options.withToken === false ? undefined : fake.issueAccessToken(),
  };
  const logs: string[] = [];
  const logger = createLogger('test', 'debug', { write: (line) => logs.push(line) });
  const clock = new LiveClock();
  const adapter = new ZerodhaVenueAdapter({
    venue: VENUE,
    config,
    clock,
    instruments: [INFY, NIFTY_FUTURE, USDINR],
    logger,
    env,
  });
  const events: VenueEvent[] = [];
  const alerts: Alert[] = [];
  adapter.onEvent((e) => events.push(e));
  adapter.onAlert((a) => alerts.push(a));
  return {
    fake,
    adapter,
    config,
    clock,
    env,
    events,
    alerts,
    logs,
    async close() {
      await adapter.disconnect();
      if (!options.existing) await fake.close();
    },
  };
}

/** Waits until `predicate` holds, polling every 5 ms, at most `ms`. */
export async function eventually(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  ms = 5000,
): Promise<void> {
  const until = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > until) throw new Error(`not in time: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

let sequence = 0;

export function order(overrides: Partial<OrderRequest> = {}): OrderRequest {
  sequence++;
  return {
    clientOrderId: clientOrderId(`test-${Date.now().toString(36)}-${sequence}`),
    strategyId: strategyId('test'),
    instrumentId: INFY.id,
    side: 'buy',
    type: 'market',
    quantity: 10,
    timeInForce: 'DAY',
    reduceOnly: false,
    tsInit: 0,
    ...overrides,
  };
}

export function kindsOf(events: readonly VenueEvent[], id: ClientOrderId): VenueEvent['kind'][] {
  return events.filter((e) => e.clientOrderId === id).map((e) => e.kind);
}

export function eventOf<K extends VenueEvent['kind']>(
  events: readonly VenueEvent[],
  id: ClientOrderId,
  kind: K,
): Extract<VenueEvent, { kind: K }> | undefined {
  return events.find((e): e is Extract<VenueEvent, { kind: K }> => e.clientOrderId === id && e.kind === kind);
}

export function instrumentFor(id: string): Instrument {
  const found = [INFY, NIFTY_FUTURE, USDINR].find((i) => i.id === id);
  if (!found) throw new Error(`no fixture instrument ${id}`);
  return found;
}
