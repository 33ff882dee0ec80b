// Trading panels: positions and exposure, PnL by strategy, the order blotter (status and reject reasons,
// updated live), fills as they arrive, and alerts.

import type { ReactNode } from 'react';
import { money, path, price, quantity, signClass, timeOfMicros, isNumber, NA } from '../format.ts';
import type { AlertView, FillView, OrderOverlay } from '../live.ts';
import type { OrderRecord, PnlPoint, Summary } from '../rest.ts';
import { PnlChart } from './charts.tsx';
import { Badge, Empty, Panel } from './common.tsx';

export function PositionsPanel(props: {
  readonly summary: Summary | undefined;
  readonly risk: unknown;
}): ReactNode {
  const positions = (props.summary?.positions ?? []).filter((p) => p.quantity !== 0 || p.realized !== 0);
  const exposures = path(props.risk, 'exposures', 'strategies');
  const base = path(props.risk, 'baseCurrency');
  return (
    <Panel title="Positions and exposure" testId="positions-panel" className="span2">
      {positions.length === 0 ? (
        <Empty>no positions</Empty>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th>instrument</th>
              <th className="num">qty</th>
              <th className="num">avg</th>
              <th className="num">mark</th>
              <th className="num">unrealized</th>
              <th className="num">realized</th>
              <th className="num">fees</th>
            </tr>
          </thead>
          <tbody>
            {positions.map((p) => (
              <tr key={p.instrumentId}>
                <td>{p.instrumentId}</td>
                <td className={`num ${signClass(p.quantity)}`}>{quantity(p.quantity)}</td>
                <td className="num">{price(p.averagePrice)}</td>
                <td className="num">{price(p.mark)}</td>
                <td className={`num ${signClass(p.unrealized)}`}>{money(p.unrealized)}</td>
                <td className={`num ${signClass(p.realized)}`}>{money(p.realized)}</td>
                <td className="num">{money(p.fees)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {typeof exposures === 'object' && exposures !== null && Object.keys(exposures).length > 0 && (
        <table className="grid compact">
          <thead>
            <tr>
              <th>strategy exposure ({typeof base === 'string' ? base : NA})</th>
              <th className="num">gross</th>
              <th className="num">net</th>
              <th className="num">projected gross</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(exposures).map(([id, e]) => (
              <tr key={id}>
                <td>{id}</td>
                <td className="num">{money(path(e, 'gross'), 0)}</td>
                <td className={`num ${signClass(path(e, 'net'))}`}>{money(path(e, 'net'), 0)}</td>
                <td className="num">{money(path(e, 'projectedGross'), 0)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}

export function PnlPanel(props: {
  readonly summary: Summary | undefined;
  readonly risk: unknown;
  readonly points: readonly PnlPoint[];
}): ReactNode {
  const strategies = path(props.risk, 'drawdowns', 'strategies');
  const rows = typeof strategies === 'object' && strategies !== null ? Object.entries(strategies) : [];
  const byCurrency = Object.entries(props.summary?.pnl ?? {});
  return (
    <Panel
      title="PnL by strategy"
      testId="pnl-panel"
      aside={byCurrency.map(([currency, p]) => (
        <span key={currency} className={`figure ${signClass(p.total)}`}>
          {currency} {money(p.total)}
        </span>
      ))}
    >
      <table className="grid compact">
        <thead>
          <tr>
            <th>strategy</th>
            <th className="num">PnL</th>
            <th className="num">drawdown from peak</th>
            <th className="num">intraday drawdown</th>
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 && (
            <tr>
              <td colSpan={4} className="empty">
                n/a
              </td>
            </tr>
          )}
          {rows.map(([id, report]) => (
            <tr key={id}>
              <td>{id}</td>
              <td className={`num ${signClass(path(report, 'pnl'))}`}>{money(path(report, 'pnl'))}</td>
              <td className="num">{money(path(report, 'peakDrawdown'))}</td>
              <td className="num">{money(path(report, 'intradayDrawdown'))}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <PnlChart points={props.points} />
    </Panel>
  );
}

function sideClass(side: string): string {
  const s = side.toUpperCase();
  return s === 'BUY' ? 'pos' : s === 'SELL' ? 'neg' : '';
}

interface BlotterRow {
  readonly clientOrderId: string;
  readonly strategyId: string;
  readonly instrumentId: string;
  readonly venue: string;
  readonly side: string;
  readonly quantity: number | undefined;
  readonly price: number | null | undefined;
  readonly filled: number | undefined;
  readonly status: string;
  readonly reason: string;
  readonly ts: number;
}

/** The REST blotter with the live status of each order laid over it (and orders only seen live so far). */
function blotter(
  records: readonly OrderRecord[],
  live: ReadonlyMap<string, OrderOverlay>,
  filter: string,
): BlotterRow[] {
  const rows = new Map<string, BlotterRow>();
  for (const r of records)
    rows.set(r.clientOrderId, {
      clientOrderId: r.clientOrderId,
      strategyId: r.strategyId,
      instrumentId: r.instrumentId,
      venue: r.venue ?? '',
      side: r.side,
      quantity: r.quantity,
      price: r.price,
      filled: r.filledQuantity,
      status: r.status,
      reason: r.lastReason ?? '',
      ts: r.tsLast,
    });
  for (const o of live.values()) {
    const known = rows.get(o.clientOrderId);
    // An order only seen live so far shows once the next poll brings its side and size, unless refused: a
    // denial or a rejection shows at once, with its reason.
    if (!known && o.status !== 'DENIED' && o.status !== 'REJECTED') continue;
    if (known && known.ts > o.tsEvent) continue;
    rows.set(o.clientOrderId, {
      clientOrderId: o.clientOrderId,
      strategyId: o.strategyId || (known?.strategyId ?? ''),
      instrumentId: o.instrumentId || (known?.instrumentId ?? ''),
      venue: o.venue ?? known?.venue ?? '',
      side: known?.side ?? '',
      quantity: known?.quantity,
      price: known?.price,
      filled: known?.filled,
      status: o.status,
      reason: o.reason ?? known?.reason ?? '',
      ts: o.tsEvent,
    });
  }
  const open = new Set([
    'SUBMITTED',
    'ACCEPTED',
    'PARTIALLY_FILLED',
    'TRIGGERED',
    'PENDING_CANCEL',
    'PENDING_UPDATE',
  ]);
  return [...rows.values()]
    .filter((r) =>
      filter === 'open'
        ? open.has(r.status)
        : filter === 'rejected'
          ? r.status === 'REJECTED' || r.status === 'DENIED'
          : true,
    )
    .sort((a, b) => b.ts - a.ts)
    .slice(0, 150);
}

export function OrdersPanel(props: {
  readonly records: readonly OrderRecord[] | undefined;
  readonly live: ReadonlyMap<string, OrderOverlay>;
  readonly filter: string;
  readonly setFilter: (filter: string) => void;
  readonly summary: Summary | undefined;
}): ReactNode {
  const rows = blotter(props.records ?? [], props.live, props.filter);
  const counts = props.summary?.orders;
  return (
    <Panel
      title="Orders"
      testId="orders-panel"
      className="tall"
      aside={
        <>
          {counts && (
            <span className="muted small" data-testid="open-orders-count" data-count={counts.open ?? 0}>
              open {counts.open ?? 0} · submitted {counts.submitted ?? 0} · rejected {counts.rejected ?? 0}
            </span>
          )}
          <select
            value={props.filter}
            onChange={(e) => props.setFilter(e.target.value)}
            aria-label="order filter"
          >
            <option value="all">all</option>
            <option value="open">open</option>
            <option value="rejected">rejected / denied</option>
          </select>
        </>
      }
    >
      <div className="scroll">
        <table className="grid" data-testid="orders-table">
          <thead>
            <tr>
              <th>time</th>
              <th>order</th>
              <th>instrument</th>
              <th>side</th>
              <th className="num">qty</th>
              <th className="num">price</th>
              <th className="num">filled</th>
              <th>status</th>
              <th>reason</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.clientOrderId} data-testid="order-row" data-status={r.status}>
                <td>{timeOfMicros(r.ts)}</td>
                <td className="mono clip" title={`${r.clientOrderId} (${r.strategyId})`}>
                  {r.clientOrderId}
                </td>
                <td>{r.instrumentId}</td>
                <td className={sideClass(r.side)}>{r.side || '—'}</td>
                <td className="num">{r.quantity === undefined ? '—' : quantity(r.quantity)}</td>
                <td className="num">
                  {r.price === null ? 'MKT' : r.price === undefined ? '—' : price(r.price)}
                </td>
                <td className="num">{r.filled === undefined ? '—' : quantity(r.filled)}</td>
                <td>
                  <Badge value={r.status} />
                </td>
                <td className="reason">{r.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {rows.length === 0 && <Empty>no orders</Empty>}
      </div>
    </Panel>
  );
}

export function FillsPanel(props: {
  readonly fills: readonly FillView[];
  readonly total: number | undefined;
}): ReactNode {
  return (
    <Panel
      title="Fills"
      testId="fills-panel"
      className="tall"
      aside={
        <span className="muted small" data-testid="fills-count" data-count={props.fills.length}>
          {isNumber(props.total) ? `${props.total} today` : ''} · live {props.fills.length}
        </span>
      }
    >
      <div className="scroll">
        <table className="grid" data-testid="fills-table">
          <thead>
            <tr>
              <th>time</th>
              <th>strategy</th>
              <th>instrument</th>
              <th>side</th>
              <th className="num">qty</th>
              <th className="num">price</th>
              <th className="num">fee</th>
              <th>liq.</th>
              <th>trade</th>
            </tr>
          </thead>
          <tbody>
            {props.fills.slice(0, 150).map((f) => (
              <tr key={`${f.venue}|${f.tradeId}`} data-testid="fill-row" data-trade={f.tradeId}>
                <td>{timeOfMicros(f.tsEvent)}</td>
                <td>{f.strategyId}</td>
                <td>{f.instrumentId}</td>
                <td className={sideClass(f.side)}>{f.side}</td>
                <td className="num">{quantity(f.lastQuantity)}</td>
                <td className="num">{price(f.lastPrice)}</td>
                <td className="num">{money(f.fee)}</td>
                <td>{f.liquidity}</td>
                <td className="mono">{f.tradeId}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {props.fills.length === 0 && <Empty>waiting for fills…</Empty>}
      </div>
    </Panel>
  );
}

export function AlertsPanel(props: { readonly alerts: readonly AlertView[] }): ReactNode {
  return (
    <Panel title="Alerts" testId="alerts-panel">
      <ul className="alerts" data-testid="alerts-list">
        {props.alerts.slice(0, 60).map((a, i) => (
          <li key={`${a.tsEvent}-${a.code}-${i}`} data-code={a.code}>
            <div className="alert-head">
              <Badge value={a.severity} />
              <span className="mono">{a.code}</span>
              <span className="muted small">{timeOfMicros(a.tsEvent)}</span>
            </div>
            <div className="message" title={a.message}>
              {a.message}
            </div>
          </li>
        ))}
      </ul>
      {props.alerts.length === 0 && <Empty>no alerts</Empty>}
    </Panel>
  );
}
