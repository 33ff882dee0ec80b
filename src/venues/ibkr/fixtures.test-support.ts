// Test fixtures for the IBKR venue: a registry with AAPL on IBKR, a fake TWS on loopback and an adapter
// connected to it with short timeouts, an event recorder, order builders and a polling wait.

import { LiveClock } from '../../common/clock.ts';
import { parseRegistry } from '../../common/registry.ts';
import {
  clientOrderId,
  strategyId,
  venueId,
  type Instrument,
  type InstrumentId,
  type OrderRequest,
  type OrderSide,
  type OrderType,
  type TimeInForce,
  type VenueEvent,
  type VenueId,
} from '../../model/index.ts';
import { FakeTws, type FakeTwsOptions } from '../../../tests/support/fake-tws.ts';
import { IbkrVenueAdapter } from './adapter.ts';
import { parseIbkrSettings, type IbkrSettingsInput } from './config.ts';

export const IBKR: VenueId = venueId('IBKR');
export const ACCOUNT = 'DU1234567';
export const CLIENT_ID = 7;

export function ibkrRegistry() {
  return parseRegistry(
    {
      venues: { IBKR: { adapter: 'ibkr' } },
      instruments: [
        {
          symbol: 'AAPL',
          venues: ['IBKR'],
          assetClass: 'equity',
          currency: 'USD',
          tickSize: 0.01,
          lotSize: 1,
          region: 'US',
          sector: 'technology',
        },
        {
          symbol: 'ES',
          venues: ['IBKR'],
          assetClass: 'future',
          currency: 'USD',
          tickSize: 0.25,
          lotSize: 1,
          multiplier: 50,
          region: 'US',
          sector: 'index',
        },
      ],
    },
    'inline registry',
  );
}

export interface IbkrFixture {
  readonly tws: FakeTws;
  readonly adapter: IbkrVenueAdapter;
  readonly aapl: Instrument;
  readonly es: Instrument;
  readonly events: VenueEvent[];
  readonly states: string[];
  close(): Promise<void>;
}

/** Settings for tests: the fake's port, and timeouts short enough for a test to see them expire. */
export function testSettings(port: number, overrides: IbkrSettingsInput = {}) {
  return parseIbkrSettings({
    port,
    clientId: CLIENT_ID,
    account: ACCOUNT,
    connectTimeoutMs: 3000,
    queryTimeoutMs: 3000,
    commissionWaitMs: 300,
    executionCatchUpMs: 200,
    reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    pacing: { messagesPerSecond: 50, pauseAfterViolationMs: 200 },
    ...overrides,
  });
}

/** A fake TWS and an adapter for it (not connected unless `connect`), recording events and states. */
export async function makeIbkrFixture(
  options: { tws?: FakeTwsOptions; settings?: IbkrSettingsInput; connect?: boolean } = {},
): Promise<IbkrFixture> {
  const tws = await FakeTws.start({ accounts: [ACCOUNT, 'DU7654321'], ...options.tws });
  const registry = ibkrRegistry();
  const adapter = new IbkrVenueAdapter({
    venue: IBKR,
    settings: testSettings(tws.port, options.settings),
    clock: new LiveClock(),
    instruments: [...registry.instruments.values()],
  });
  const events: VenueEvent[] = [];
  const states: string[] = [];
  adapter.onEvent((e) => events.push(e));
  adapter.onStatus((s) => states.push(s));
  if (options.connect ?? true) await adapter.connect();
  const aapl = registry.instruments.get('AAPL.IBKR' as InstrumentId);
  const es = registry.instruments.get('ES.IBKR' as InstrumentId);
  if (!aapl || !es) throw new Error('fixture registry lacks AAPL or ES');
  return {
    tws,
    adapter,
    aapl,
    es,
    events,
    states,
    async close() {
      await adapter.disconnect();
      await tws.close();
    },
  };
}

/** Waits until `predicate` holds, at most `ms`. */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  ms = 5000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`not in time: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

let sequence = 0;

export interface OrderSpec {
  readonly id?: string;
  readonly side?: OrderSide;
  readonly type?: OrderType;
  readonly quantity?: number;
  readonly price?: number;
  readonly triggerPrice?: number;
  readonly timeInForce?: TimeInForce;
  readonly instrumentId?: InstrumentId;
}

export function order(spec: OrderSpec = {}): OrderRequest {
  return {
    clientOrderId: clientOrderId(spec.id ?? `ib-test-${++sequence}`),
    strategyId: strategyId('test'),
    instrumentId: spec.instrumentId ?? ('AAPL.IBKR' as InstrumentId),
    side: spec.side ?? 'buy',
    type: spec.type ?? 'limit',
    quantity: spec.quantity ?? 100,
    ...((spec.type ?? 'limit') === 'limit' || spec.type === 'stop_limit' ? { price: spec.price ?? 100 } : {}),
    ...(spec.triggerPrice === undefined ? {} : { triggerPrice: spec.triggerPrice }),
    timeInForce: spec.timeInForce ?? 'DAY',
    reduceOnly: false,
    tsInit: 0,
  };
}

export function kinds(events: readonly VenueEvent[], id: string): VenueEvent['kind'][] {
  return events.filter((e) => e.clientOrderId === id).map((e) => e.kind);
}

export function eventOf<K extends VenueEvent['kind']>(
  events: readonly VenueEvent[],
  kind: K,
  id: string,
): Extract<VenueEvent, { kind: K }> | undefined {
  return events.find((e): e is Extract<VenueEvent, { kind: K }> => e.kind === kind && e.clientOrderId === id);
}
