// One picture of a running kernel: orders, fills, rejects by reason, positions, PnL and stage latency.
// Shared by the terminal screen of `hf run`, the API and the end-to-end tests.

import { ControlKeys } from '../common/topics.ts';
import { fromMinor, currencyDecimals } from '../model/index.ts';
import type { Kernel } from './kernel.ts';

export interface PositionSummary {
  readonly instrumentId: string;
  readonly quantity: number;
  readonly averagePrice: number;
  readonly mark: number | undefined;
  readonly unrealized: number;
  readonly realized: number;
  readonly fees: number;
  readonly currency: string;
}

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export interface KernelSummary {
  readonly ts: number;
  readonly mode: string;
  readonly tradingState: string;
  readonly killSwitch: boolean;
  readonly orders: { submitted: number; open: number; accepted: number; canceled: number; rejected: number };
  readonly fills: number;
  readonly denials: Readonly<Record<string, number>>;
  readonly venueRejects: Readonly<Record<string, number>>;
  readonly positions: readonly PositionSummary[];
  readonly pnl: Readonly<
    Record<string, { realized: number; unrealized: number; fees: number; total: number }>
  >;
  /** Stage latencies in microseconds. */
  readonly latency: Readonly<Record<string, LatencySummary>>;
  readonly strategies: ReturnType<Kernel['strategies']['status']>;
}

export function summarize(kernel: Kernel): KernelSummary {
  const positions: PositionSummary[] = [];
  const pnl: Record<string, { realized: number; unrealized: number; fees: number; total: number }> = {};
  for (const p of kernel.ledger.ledger.positions()) {
    const instrument = kernel.registry.instruments.get(p.instrumentId);
    const decimals = currencyDecimals(p.currency);
    const mark = kernel.markPrice(p.instrumentId);
    const unrealized =
      mark === undefined || p.quantity === 0
        ? 0
        : (mark - p.averagePrice) * p.quantity * (instrument?.multiplier ?? 1);
    const realized = fromMinor(p.realizedMinor, decimals);
    const fees = fromMinor(p.feesMinor, decimals);
    positions.push({
      instrumentId: p.instrumentId,
      quantity: p.quantity,
      averagePrice: p.averagePrice,
      mark,
      unrealized,
      realized,
      fees,
      currency: p.currency,
    });
    const bucket = (pnl[p.currency] ??= { realized: 0, unrealized: 0, fees: 0, total: 0 });
    bucket.realized += realized;
    bucket.unrealized += unrealized;
    bucket.fees += fees;
    bucket.total = bucket.realized + bucket.unrealized - bucket.fees;
  }
  const c = kernel.oms.counters;
  const lat = kernel.oms.latency;
  return {
    ts: kernel.clock.now(),
    mode: kernel.mode,
    tradingState: kernel.risk.state(),
    killSwitch: kernel.bus.control.get(ControlKeys.killSwitch, 'enabled') === 'true',
    orders: {
      submitted: c.submitted,
      open: kernel.oms.openOrders().length,
      accepted: c.accepted,
      canceled: c.canceled,
      rejected: c.rejected,
    },
    fills: c.fills,
    denials: Object.fromEntries(kernel.denials),
    venueRejects: Object.fromEntries(kernel.venueRejects),
    positions,
    pnl,
    latency: {
      signalToRoute: lat.signalToRoute.summary(),
      routeToAck: lat.routeToAck.summary(),
      tickToAck: lat.tickToAck.summary(),
    },
    strategies: kernel.strategies.status(),
  };
}
