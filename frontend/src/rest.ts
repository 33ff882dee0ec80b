// The REST side of the dashboard: summary, risk, strategies, control state, health, feeds, the order blotter
// and the audit trail, polled together every two seconds; the intraday PnL series is sampled from each poll.

import { useEffect, useRef, useState } from 'react';
import { api, ApiError } from './api.ts';
import { isNumber, path } from './format.ts';

export interface PositionRow {
  readonly instrumentId: string;
  readonly quantity: number;
  readonly averagePrice: number;
  readonly mark: number | null | undefined;
  readonly unrealized: number;
  readonly realized: number;
  readonly fees: number;
  readonly currency: string;
}

export interface LatencyRow {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export interface Summary {
  readonly ts: number;
  readonly mode: string;
  readonly tradingState: string;
  readonly killSwitch: boolean;
  readonly orders: Readonly<Record<string, number>>;
  readonly fills: number;
  readonly denials: Readonly<Record<string, number>>;
  readonly venueRejects: Readonly<Record<string, number>>;
  readonly positions: readonly PositionRow[];
  readonly pnl: Readonly<
    Record<string, { realized: number; unrealized: number; fees: number; total: number }>
  >;
  readonly latency: Readonly<Record<string, LatencyRow>>;
}

export interface StrategyRow {
  readonly id: string;
  readonly enabled: boolean;
  readonly running: boolean;
  readonly lastError?: string | null;
  readonly submitted: number;
  readonly fills: number;
  readonly openOrders?: number;
}

export interface OrderRecord {
  readonly clientOrderId: string;
  readonly strategyId: string;
  readonly instrumentId: string;
  readonly venue: string | null;
  readonly side: string;
  readonly type: string;
  readonly quantity: number;
  readonly price: number | null;
  readonly status: string;
  readonly filledQuantity: number;
  readonly averageFillPrice: number;
  readonly lastReason: string | null;
  readonly tsInit: number;
  readonly tsLast: number;
}

export interface AuditEntry {
  readonly id: number;
  readonly tsMs: number;
  readonly actor: string;
  readonly role: string | null;
  readonly via: string;
  readonly action: string;
  readonly key: string | null;
  readonly field: string | null;
  readonly oldValue: string | null;
  readonly newValue: string | null;
  readonly reason: string | null;
  readonly outcome: string;
  readonly detail: string | null;
}

export interface HealthView {
  readonly status: string;
  readonly components: Readonly<Record<string, { readonly status: string; readonly detail?: string }>>;
}

export interface PnlPoint {
  /** Unix seconds. */
  readonly time: number;
  readonly values: Readonly<Record<string, number>>;
}

export interface RestData {
  readonly summary?: Summary | undefined;
  readonly risk?: unknown;
  readonly strategies?: readonly StrategyRow[] | undefined;
  readonly control?: Readonly<Record<string, Readonly<Record<string, string>>>> | undefined;
  readonly health?: HealthView | undefined;
  readonly feeds?: unknown;
  readonly orders?: readonly OrderRecord[] | undefined;
  readonly audit?: readonly AuditEntry[] | undefined;
  readonly pnl: readonly PnlPoint[];
  /** Endpoint -> the error of its last poll. */
  readonly errors: Readonly<Record<string, string>>;
  /** Every poll failed to reach the server. */
  readonly unreachable: boolean;
  readonly updatedAt: number;
}

const POLL_MS = 2000;
const MAX_PNL_POINTS = 5000;

async function health(): Promise<HealthView> {
  const response = await fetch('/health', { cache: 'no-store' });
  return (await response.json()) as HealthView;
}

/** PnL by strategy (and the portfolio) from the risk snapshot's drawdown reports, where present. */
function pnlOf(risk: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  const strategies = path(risk, 'drawdowns', 'strategies');
  if (typeof strategies === 'object' && strategies !== null)
    for (const [id, report] of Object.entries(strategies)) {
      const pnl = path(report, 'pnl');
      if (isNumber(pnl)) out[id] = pnl;
    }
  const total = path(risk, 'drawdowns', 'portfolio', 'pnl');
  if (isNumber(total)) out.portfolio = total;
  return out;
}

export function useRestData(enabled: boolean, onUnauthorized: () => void, refreshKey: number): RestData {
  const [data, setData] = useState<RestData>({ pnl: [], errors: {}, unreachable: false, updatedAt: 0 });
  const pnl = useRef<PnlPoint[]>([]);
  const unauthorized = useRef(onUnauthorized);
  unauthorized.current = onUnauthorized;

  useEffect(() => {
    if (!enabled) return undefined;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async (): Promise<void> => {
      const errors: Record<string, string> = {};
      let failures = 0;
      let network = 0;
      const get = async <T>(name: string, load: () => Promise<T>): Promise<T | undefined> => {
        try {
          return await load();
        } catch (error) {
          failures++;
          if (error instanceof ApiError) {
            if (error.unreachable) network++;
            if (error.status === 401) unauthorized.current();
            if (error.status !== 404) errors[name] = error.message;
          } else {
            network++;
            errors[name] = 'unreachable';
          }
          return undefined;
        }
      };
      const [summary, risk, strategies, control, healthView, feeds, orders, audit] = await Promise.all([
        get('summary', () => api.get<Summary>('/api/summary')),
        get('risk', () => api.get<unknown>('/api/risk')),
        get('strategies', () => api.get<StrategyRow[]>('/api/strategies')),
        get('control', () => api.get<Record<string, Record<string, string>>>('/api/control')),
        get('health', health),
        get('feeds', () => api.get<unknown>('/api/feeds')),
        get('orders', () => api.get<OrderRecord[]>('/api/orders?status=all&limit=300')),
        get('audit', () => api.get<AuditEntry[]>('/api/audit?limit=50')),
      ]);
      if (stopped) return;
      if (risk !== undefined) {
        const values = pnlOf(risk);
        const time = Math.floor(Date.now() / 1000);
        const last = pnl.current[pnl.current.length - 1];
        if (Object.keys(values).length > 0 && (!last || last.time < time)) {
          pnl.current.push({ time, values });
          if (pnl.current.length > MAX_PNL_POINTS) pnl.current.splice(0, pnl.current.length - MAX_PNL_POINTS);
        }
      }
      setData((previous) => ({
        summary: summary ?? previous.summary,
        risk: risk ?? previous.risk,
        strategies: strategies ?? previous.strategies,
        control: control ?? previous.control,
        health: healthView ?? previous.health,
        feeds,
        orders: orders ?? previous.orders,
        audit: audit ?? previous.audit,
        pnl: [...pnl.current],
        errors,
        unreachable: network > 0 && network === failures && failures >= 7,
        updatedAt: Date.now(),
      }));
      timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [enabled, refreshKey]);
  return data;
}
