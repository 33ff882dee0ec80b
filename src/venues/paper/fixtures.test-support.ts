// Test fixtures for the paper venue: a registry from inline config, a connected adapter on a simulated
// clock, market-data and order builders, and an event recorder.

import { SimulatedClock } from '../../common/clock.ts';
import { parseRegistry, type Registry } from '../../common/registry.ts';
import {
  clientOrderId,
  strategyId,
  venueId,
  type Bar,
  type BookSnapshot,
  type ClientOrderId,
  type Instrument,
  type InstrumentId,
  type OrderRequest,
  type OrderSide,
  type OrderType,
  type QuoteTick,
  type TimeInForce,
  type TradeTick,
  type VenueEvent,
  type VenueId,
} from '../../model/index.ts';
import { PaperVenueAdapter } from './adapter.ts';
import type { PaperVenueOptionsInput } from './config.ts';

export const VENUE: VenueId = venueId('PAPER');
/** 2024-01-02T00:00:00Z in µs: a round start so trading days are easy to reason about. */
export const T0 = 1_704_153_600_000_000;

export interface VenueSettings {
  readonly fees?: { makerBps?: number; takerBps?: number; perUnit?: number; minimum?: number };
  readonly latency?: { baseMicros?: number; jitterMicros?: number };
  readonly cash?: Record<string, number>;
}

export function makeRegistry(settings: VenueSettings = {}): Registry {
  return parseRegistry(
    {
      venues: {
        PAPER: {
          adapter: 'paper',
          fees: settings.fees ?? {},
          latency: settings.latency ?? {},
          cash: settings.cash ?? { USD: 1_000_000 },
        },
      },
      instruments: [
        {
          symbol: 'AAPL',
          venues: ['PAPER'],
          assetClass: 'equity',
          currency: 'USD',
          tickSize: 0.01,
          lotSize: 1,
          region: 'US',
          sector: 'technology',
        },
        {
          symbol: 'BTC',
          venues: ['PAPER'],
          assetClass: 'crypto',
          currency: 'USD',
          tickSize: 0.5,
          lotSize: 0.001,
          region: 'GLOBAL',
          sector: 'crypto',
        },
      ],
    },
    'inline registry',
  );
}

export interface Harness {
  readonly registry: Registry;
  readonly clock: SimulatedClock;
  readonly adapter: PaperVenueAdapter;
  readonly events: VenueEvent[];
  readonly aapl: Instrument;
  readonly btc: Instrument;
  /** Advances the clock by `micros` and returns the new time. */
  tick(micros?: number): number;
}

export function makeHarness(
  settings: VenueSettings = {},
  options: PaperVenueOptionsInput = {},
  seed = 7,
  start = T0,
  retainMicros?: number,
): Harness {
  const registry = makeRegistry(settings);
  const clock = new SimulatedClock(start);
  const config = registry.venues.get(VENUE);
  if (!config) throw new Error('fixture registry lacks PAPER');
  const adapter = new PaperVenueAdapter({
    venue: VENUE,
    config,
    clock,
    seed,
    instruments: [...registry.instruments.values()],
    options,
    ...(retainMicros === undefined ? {} : { retainMicros }),
  });
  const events: VenueEvent[] = [];
  adapter.onEvent((e) => events.push(e));
  adapter.setConnected(true);
  const aapl = registry.instruments.get('AAPL.PAPER' as InstrumentId);
  const btc = registry.instruments.get('BTC.PAPER' as InstrumentId);
  if (!aapl || !btc) throw new Error('fixture registry lacks instruments');
  return {
    registry,
    clock,
    adapter,
    events,
    aapl,
    btc,
    tick(micros = 1) {
      clock.advanceTo(clock.now() + micros);
      return clock.now();
    },
  };
}

export const AAPL = 'AAPL.PAPER' as InstrumentId;

export function quote(bid: number, bidSize: number, ask: number, askSize: number, id = AAPL): QuoteTick {
  return { type: 'quote', instrumentId: id, bid, ask, bidSize, askSize, tsEvent: 0, tsInit: 0 };
}

export function book(
  bids: readonly (readonly [number, number])[],
  asks: readonly (readonly [number, number])[],
  id = AAPL,
): BookSnapshot {
  return {
    type: 'book',
    instrumentId: id,
    bids: bids.map(([price, size]) => ({ price, size })),
    asks: asks.map(([price, size]) => ({ price, size })),
    sequence: 0,
    tsEvent: 0,
    tsInit: 0,
  };
}

export function trade(price: number, size: number, id = AAPL): TradeTick {
  return { type: 'trade', instrumentId: id, price, size, aggressor: 'unknown', tsEvent: 0, tsInit: 0 };
}

export function bar(
  open: number,
  high: number,
  low: number,
  close: number,
  volume = 1_000_000,
  timeframe = '1m',
  id = AAPL,
): Bar {
  return { type: 'bar', instrumentId: id, timeframe, open, high, low, close, volume, tsEvent: 0, tsInit: 0 };
}

let orderCounter = 0;

export interface OrderSpec {
  readonly id?: string;
  readonly side?: OrderSide;
  readonly type?: OrderType;
  readonly quantity?: number;
  readonly price?: number;
  readonly triggerPrice?: number;
  readonly timeInForce?: TimeInForce;
  readonly reduceOnly?: boolean;
  readonly instrumentId?: InstrumentId;
}

export function order(spec: OrderSpec = {}): OrderRequest {
  return {
    clientOrderId: clientOrderId(spec.id ?? `o${++orderCounter}`),
    strategyId: strategyId('test'),
    instrumentId: spec.instrumentId ?? AAPL,
    side: spec.side ?? 'buy',
    type: spec.type ?? 'market',
    quantity: spec.quantity ?? 100,
    ...(spec.price === undefined ? {} : { price: spec.price }),
    ...(spec.triggerPrice === undefined ? {} : { triggerPrice: spec.triggerPrice }),
    timeInForce: spec.timeInForce ?? 'GTC',
    reduceOnly: spec.reduceOnly ?? false,
    tsInit: 0,
  };
}

type Kind = VenueEvent['kind'];
export type EventOf<K extends Kind> = Extract<VenueEvent, { kind: K }>;

export function ofKind<K extends Kind>(
  events: readonly VenueEvent[],
  kind: K,
  id?: ClientOrderId | string,
): EventOf<K>[] {
  return events.filter(
    (e): e is EventOf<K> => e.kind === kind && (id === undefined || e.clientOrderId === id),
  );
}

/** `kind` of each event of one order, in order: the order's life as the OMS sees it. */
export function kinds(events: readonly VenueEvent[], id: ClientOrderId | string): Kind[] {
  return events.filter((e) => e.clientOrderId === id).map((e) => e.kind);
}

/** [quantity, price, liquidity] of each fill of one order. */
export function fillsOf(
  events: readonly VenueEvent[],
  id: ClientOrderId | string,
): [number, number, string][] {
  return ofKind(events, 'fill', id).map((f) => [f.quantity, f.price, f.liquidity]);
}
