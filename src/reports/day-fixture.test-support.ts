// A constructed trading day for the report and TCA tests: a PGlite session store under a temp home with
// orders (commands, venue events, OMS records), fills booked through a real ledger, risk denials, a venue
// rejection, alerts, reconciliation runs, and a market recording written by MarketRecorder. Imported by tests.
//
// Day 2024-01-02, T0 = 14:30:00 UTC. Capital 100,000 USD (deposit at ts 0, like the kernel's).
// alpha, AAPL.SIM-A:
//   A1 buy 100 market: decided T0+1 s, routed T0+1.001 s, filled 100 @ 100.06 at T0+1.003 s (taker, fee 1.00)
//   A2 sell 100 market: decided T0+10 s, routed T0+10.001 s, filled 60 @ 100.50 at T0+10.002 s (fee 0.60)
//      and 40 @ 100.45 at T0+10.004 s (fee 0.40)
// beta, MSFT.SIM-A:
//   B1 buy 10 limit 200.00: decided T0+2 s, routed T0+2.001 s, filled 10 @ 200.00 at T0+5 s (maker, fee 0)
//   B2 buy 1000 market: denied RISK_MAX_NOTIONAL at T0+3 s; B4 denied RISK_MAX_NOTIONAL at T0+3.5 s;
//   B5 denied RISK_THROTTLE at T0+3.7 s
//   B3 buy 5 limit 199: routed T0+4.001 s, rejected by SIM-A (VENUE_REJECTED, "price outside band") at T0+4.002 s
// Tape (quotes, bid / ask):
//   AAPL.SIM-A  T0+0.5 s 99.98 / 100.02 (mid 100.00), T0+1.0005 s 100.00 / 100.04 (mid 100.02),
//               T0+9.5 s 100.48 / 100.52 (mid 100.50), T0+30 s 100.40 / 100.44 (mid 100.42);
//               trade 100.06 × 100 at T0+1.003 s
//   MSFT.SIM-A  T0+1.5 s 200.00 / 200.04 (mid 200.02), T0+20 s 200.99 / 201.01 (mid 201.00)
// Alerts: critical RECON_BREAK at T0+40 s, warnings STRATEGY_ERROR at T0+6 s and T0+7 s (and one the day before).
// Reconciliation: clean at T0, one break (RECON_MISSING_FILL) at T0+45 s, and a run the day before.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryBus } from '../bus/memory.ts';
import { parseRegistry, type Registry } from '../common/registry.ts';
import { Streams } from '../common/topics.ts';
import { Ledger } from '../ledger/index.ts';
import {
  clientOrderId,
  instrumentId,
  strategyId,
  tradeId,
  venueId,
  venueOrderId,
  type Alert,
  type InstrumentId,
  type OrderDenied,
  type OrderEvent,
  type OrderFilled,
  type OrderSide,
  type QuoteTick,
  type SubmitOrder,
  type TradeTick,
} from '../model/index.ts';
import { PgliteStore } from '../store/pglite.ts';
import { MarketRecorder } from '../store/recording.ts';
import type { OrderRecord } from '../store/store.ts';

export const DATE = '2024-01-02';
export const T0 = Date.UTC(2024, 0, 2, 14, 30) * 1000;
export const SECOND = 1_000_000;
export const SESSION = '20240102-142900';

export const AAPL = instrumentId('AAPL', 'SIM-A');
export const MSFT = instrumentId('MSFT', 'SIM-A');

export const REGISTRY_CONFIG = {
  venues: {
    'SIM-A': { adapter: 'paper', fees: { makerBps: 0, takerBps: 1 }, slippageBps: 0.5 },
    'SIM-B': { adapter: 'paper' },
  },
  instruments: [
    {
      symbol: 'AAPL',
      venues: ['SIM-A', 'SIM-B'],
      assetClass: 'equity',
      currency: 'USD',
      tickSize: 0.01,
      lotSize: 1,
      region: 'US',
      sector: 'technology',
    },
    {
      symbol: 'MSFT',
      venues: ['SIM-A'],
      assetClass: 'equity',
      currency: 'USD',
      tickSize: 0.01,
      lotSize: 1,
      region: 'US',
      sector: 'technology',
    },
  ],
} as const;

export function fixtureRegistry(): Registry {
  return parseRegistry(REGISTRY_CONFIG, 'test registry');
}

/** The registry above as YAML, for a config folder the CLI reads. */
export const REGISTRY_YAML = `venues:
  SIM-A: { adapter: paper, fees: { makerBps: 0, takerBps: 1 }, slippageBps: 0.5 }
  SIM-B: { adapter: paper }
instruments:
  - { symbol: AAPL, venues: [SIM-A, SIM-B], assetClass: equity, currency: USD, tickSize: 0.01, lotSize: 1, region: US, sector: technology }
  - { symbol: MSFT, venues: [SIM-A], assetClass: equity, currency: USD, tickSize: 0.01, lotSize: 1, region: US, sector: technology }
`;

function submit(
  id: string,
  strategy: string,
  instrument: InstrumentId,
  side: OrderSide,
  quantity: number,
  ts: number,
  price?: number,
): SubmitOrder {
  return {
    type: 'submit_order',
    tsInit: ts,
    order: {
      clientOrderId: clientOrderId(id),
      strategyId: strategyId(strategy),
      instrumentId: instrument,
      side,
      type: price === undefined ? 'market' : 'limit',
      quantity,
      ...(price === undefined ? {} : { price }),
      timeInForce: 'GTC',
      reduceOnly: false,
      tsInit: ts,
    },
  };
}

function routed(id: string, strategy: string, instrument: InstrumentId, ts: number): OrderEvent[] {
  const base = {
    clientOrderId: clientOrderId(id),
    strategyId: strategyId(strategy),
    instrumentId: instrument,
    venue: venueId('SIM-A'),
  };
  return [
    { type: 'order_submitted', ...base, tsEvent: ts, tsInit: ts },
    {
      type: 'order_accepted',
      ...base,
      venueOrderId: venueOrderId(`V-${id}`),
      tsEvent: ts + 500,
      tsInit: ts + 500,
    },
  ];
}

let tradeNumber = 0;
function fill(
  id: string,
  strategy: string,
  instrument: InstrumentId,
  side: OrderSide,
  quantity: number,
  price: number,
  fee: number,
  ts: number,
  leaves: number,
  liquidity: 'maker' | 'taker' = 'taker',
): OrderFilled {
  tradeNumber++;
  return {
    type: 'order_filled',
    clientOrderId: clientOrderId(id),
    strategyId: strategyId(strategy),
    instrumentId: instrument,
    venue: venueId('SIM-A'),
    venueOrderId: venueOrderId(`V-${id}`),
    tradeId: tradeId(`T${tradeNumber}`),
    side,
    lastQuantity: quantity,
    lastPrice: price,
    fee,
    feeCurrency: 'USD',
    liquidity,
    leavesQuantity: leaves,
    tsEvent: ts,
    tsInit: ts,
  };
}

function denial(id: string, reason: string, message: string, ts: number): OrderDenied {
  return {
    type: 'order_denied',
    clientOrderId: clientOrderId(id),
    strategyId: strategyId('beta'),
    instrumentId: MSFT,
    command: 'submit_order',
    reason,
    message,
    tsEvent: ts,
    tsInit: ts,
  };
}

function record(
  id: string,
  strategy: string,
  instrument: InstrumentId,
  side: OrderSide,
  quantity: number,
  status: OrderRecord['status'],
  filled: number,
  average: number,
  tsInit: number,
  tsLast: number,
  price: number | null = null,
): OrderRecord {
  return {
    clientOrderId: clientOrderId(id),
    strategyId: strategyId(strategy),
    instrumentId: instrument,
    venue: venueId('SIM-A'),
    venueOrderId: venueOrderId(`V-${id}`),
    side,
    type: price === null ? 'market' : 'limit',
    timeInForce: 'GTC',
    quantity,
    price,
    triggerPrice: null,
    status,
    filledQuantity: filled,
    averageFillPrice: average,
    lastReason: null,
    tsInit,
    tsLast,
  };
}

function quote(instrument: InstrumentId, ts: number, bid: number, ask: number): QuoteTick {
  return {
    type: 'quote',
    instrumentId: instrument,
    bid,
    ask,
    bidSize: 100,
    askSize: 100,
    tsEvent: ts,
    tsInit: ts,
  };
}

function alert(severity: Alert['severity'], code: string, message: string, ts: number): Alert {
  return { type: 'alert', severity, code, source: 'test', message, tsEvent: ts };
}

export interface DayFixture {
  readonly home: string;
  readonly sessionFolder: string;
  readonly dataDir: string;
  readonly fills: readonly OrderFilled[];
}

/** Writes the day into `<home>/sessions/<SESSION>/pgdata` and `<home>/recordings/<DATE>/`. */
export async function writeDayFixture(home: string): Promise<DayFixture> {
  const registry = fixtureRegistry();
  const sessionFolder = join(home, 'sessions', SESSION);
  const dataDir = join(sessionFolder, 'pgdata');
  mkdirSync(sessionFolder, { recursive: true });
  const store = await PgliteStore.open(dataDir);
  try {
    const s = (seconds: number): number => T0 + Math.round(seconds * SECOND);
    await store.appendEvents(Streams.ordersIncoming, [
      submit('A1', 'alpha', AAPL, 'buy', 100, s(1)),
      submit('B1', 'beta', MSFT, 'buy', 10, s(2), 200),
      submit('B2', 'beta', MSFT, 'buy', 1000, s(3)),
      submit('B4', 'beta', MSFT, 'buy', 1000, s(3.5)),
      submit('B5', 'beta', MSFT, 'buy', 1, s(3.7)),
      submit('B3', 'beta', MSFT, 'buy', 5, s(4), 199),
      submit('A2', 'alpha', AAPL, 'sell', 100, s(10)),
    ]);
    await store.appendEvents(Streams.ordersEvents, [
      ...routed('A1', 'alpha', AAPL, s(1.001)),
      ...routed('B1', 'beta', MSFT, s(2.001)),
      {
        type: 'order_submitted',
        clientOrderId: clientOrderId('B3'),
        strategyId: strategyId('beta'),
        instrumentId: MSFT,
        venue: venueId('SIM-A'),
        tsEvent: s(4.001),
        tsInit: s(4.001),
      },
      {
        type: 'order_rejected',
        clientOrderId: clientOrderId('B3'),
        strategyId: strategyId('beta'),
        instrumentId: MSFT,
        venue: venueId('SIM-A'),
        reason: 'VENUE_REJECTED',
        message: 'price outside band',
        tsEvent: s(4.002),
        tsInit: s(4.002),
      },
      ...routed('A2', 'alpha', AAPL, s(10.001)),
    ]);
    await store.appendEvents(Streams.ordersRejected, [
      denial('B2', 'RISK_MAX_NOTIONAL', 'notional 200,020 above 100,000', s(3)),
      denial('B4', 'RISK_MAX_NOTIONAL', 'notional 200,020 above 100,000', s(3.5)),
      denial('B5', 'RISK_THROTTLE', '11 messages in 1 s', s(3.7)),
    ]);
    await store.appendEvents(Streams.alerts, [
      alert('warning', 'STRATEGY_ERROR', 'yesterday', s(-86_400)),
      alert('warning', 'STRATEGY_ERROR', 'beta threw in onTick\n  at Beta.onTick (beta.ts:10)', s(6)),
      alert('warning', 'STRATEGY_ERROR', 'beta threw again', s(7)),
      alert('critical', 'RECON_BREAK', 'reconciliation found 1 break: trading halted', s(40)),
    ]);
    await store.saveReconciliation({ ts: s(-86_400), breaks: [] });
    await store.saveReconciliation({ ts: s(0), breaks: [] });
    await store.saveReconciliation({
      ts: s(45),
      breaks: [
        {
          code: 'RECON_MISSING_FILL',
          venue: 'SIM-A',
          tradeId: 'X9',
          expected: 'fill X9',
          actual: 'none',
          message: 'venue fill X9 is not in the ledger',
        },
      ],
    });

    const fills = [
      fill('A1', 'alpha', AAPL, 'buy', 100, 100.06, 1.0, s(1.003), 0),
      fill('B1', 'beta', MSFT, 'buy', 10, 200.0, 0, s(5), 0, 'maker'),
      fill('A2', 'alpha', AAPL, 'sell', 60, 100.5, 0.6, s(10.002), 40),
      fill('A2', 'alpha', AAPL, 'sell', 40, 100.45, 0.4, s(10.004), 0),
    ];
    const ledger = new Ledger();
    await store.appendDeposit(ledger.deposit('USD', 10_000_000n, 'capital:SIM-A:USD'));
    for (const f of fills) {
      const journal = ledger.book(f, registry.instruments.get(f.instrumentId)!)!;
      await store.appendFills([{ fill: f, journal }]);
    }
    await store.upsertOrders([
      record('A1', 'alpha', AAPL, 'buy', 100, 'FILLED', 100, 100.06, s(1), s(1.003)),
      record('B1', 'beta', MSFT, 'buy', 10, 'FILLED', 10, 200, s(2), s(5), 200),
      record('B3', 'beta', MSFT, 'buy', 5, 'REJECTED', 0, 0, s(4), s(4.002), 199),
      record('A2', 'alpha', AAPL, 'sell', 100, 'FILLED', 100, 100.48, s(10), s(10.004)),
    ]);

    const bus = new MemoryBus();
    const recorder = new MarketRecorder({ dir: join(home, 'recordings'), bus, flushMillis: 60_000 });
    recorder.start();
    const ticks: (QuoteTick | TradeTick)[] = [
      quote(AAPL, s(0.5), 99.98, 100.02),
      quote(AAPL, s(1.0005), 100.0, 100.04),
      {
        type: 'trade',
        instrumentId: AAPL,
        price: 100.06,
        size: 100,
        aggressor: 'buy',
        tsEvent: s(1.003),
        tsInit: s(1.003),
      },
      quote(MSFT, s(1.5), 200.0, 200.04),
      quote(AAPL, s(9.5), 100.48, 100.52),
      quote(MSFT, s(20), 200.99, 201.01),
      quote(AAPL, s(30), 100.4, 100.44),
    ];
    for (const tick of ticks) bus.publish(Streams.ticks, tick);
    await bus.flush();
    recorder.stop();
    return { home, sessionFolder, dataDir, fills };
  } finally {
    await store.close();
  }
}
