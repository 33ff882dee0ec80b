// Risk and operations panels: VaR / ES against their policy bands, stage latency, venue and feed status.

import type { ReactNode } from 'react';
import { isNumber, micros, money, NA, path, percent } from '../format.ts';
import type { HealthView, Summary } from '../rest.ts';
import { Badge, Empty, Panel } from './common.tsx';

/** A figure against its band: a bar filled to figure / band, red past it. */
function Gauge(props: {
  readonly label: string;
  readonly value: unknown;
  readonly band: unknown;
}): ReactNode {
  const value = isNumber(props.value) ? props.value : undefined;
  const band = isNumber(props.band) && props.band > 0 ? props.band : undefined;
  const ratio = value !== undefined && band !== undefined ? value / band : undefined;
  const tone = ratio === undefined ? 'muted' : ratio >= 1 ? 'bad' : ratio >= 0.8 ? 'warn' : 'good';
  return (
    <div className="gauge" data-testid={`gauge-${props.label}`}>
      <div className="gauge-label">
        <span>{props.label}</span>
        <span className="mono">
          {value === undefined ? NA : money(value, 0)} / {band === undefined ? NA : money(band, 0)}
        </span>
      </div>
      <div className="gauge-track">
        <div className={`gauge-fill ${tone}`} style={{ width: `${Math.min(100, (ratio ?? 0) * 100)}%` }} />
      </div>
      <div className="gauge-ratio muted">{ratio === undefined ? 'n/a' : `${percent(ratio)} of band`}</div>
    </div>
  );
}

export function RiskPanel(props: { readonly risk: unknown }): ReactNode {
  const v = path(props.risk, 'valueAtRisk');
  const portfolio = path(v, 'portfolio');
  const strategies = path(v, 'strategies');
  const state = path(props.risk, 'state');
  const confidence = path(v, 'confidence');
  const horizon = path(v, 'horizonDays');
  return (
    <Panel
      title="VaR / ES against bands"
      testId="risk-panel"
      aside={
        <span className="muted small">
          {typeof path(v, 'method') === 'string' ? String(path(v, 'method')) : NA} ·{' '}
          {isNumber(confidence) ? percent(confidence, 1) : NA} · {isNumber(horizon) ? `${horizon} d` : NA}
          {path(v, 'ready') === false ? ' · warming up' : ''}
        </span>
      }
    >
      <div className="gauges">
        <Gauge
          label="VaR"
          value={path(portfolio, 'figures', 'valueAtRisk')}
          band={path(portfolio, 'limits', 'var')}
        />
        <Gauge
          label="ES"
          value={path(portfolio, 'figures', 'expectedShortfall')}
          band={path(portfolio, 'limits', 'es')}
        />
      </div>
      <table className="grid compact">
        <thead>
          <tr>
            <th>strategy</th>
            <th className="num">VaR</th>
            <th className="num">band</th>
            <th className="num">ES</th>
            <th className="num">band</th>
          </tr>
        </thead>
        <tbody>
          {typeof strategies === 'object' && strategies !== null && Object.keys(strategies).length > 0 ? (
            Object.entries(strategies).map(([id, s]) => (
              <tr key={id}>
                <td>{id}</td>
                <td className="num">{money(path(s, 'figures', 'valueAtRisk'), 0)}</td>
                <td className="num">{money(path(s, 'limits', 'var'), 0)}</td>
                <td className="num">{money(path(s, 'figures', 'expectedShortfall'), 0)}</td>
                <td className="num">{money(path(s, 'limits', 'es'), 0)}</td>
              </tr>
            ))
          ) : (
            <tr>
              <td colSpan={5} className="empty">
                n/a
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <p className="muted small">
        trading state {typeof state === 'string' ? state : NA}
        {typeof path(v, 'lastError') === 'string' ? ` · model: ${String(path(v, 'lastError'))}` : ''}
      </p>
    </Panel>
  );
}

const STAGES: readonly [string, string][] = [
  ['signalToRoute', 'signal→route'],
  ['routeToAck', 'route→ack'],
  ['tickToAck', 'tick→ack'],
];

export function LatencyPanel(props: { readonly summary: Summary | undefined }): ReactNode {
  const latency = props.summary?.latency ?? {};
  return (
    <Panel title="Stage latency" testId="latency-panel">
      <table className="grid compact">
        <thead>
          <tr>
            <th>stage</th>
            <th className="num">p50</th>
            <th className="num">p95</th>
            <th className="num">p99</th>
            <th className="num">max</th>
          </tr>
        </thead>
        <tbody>
          {STAGES.map(([key, label]) => {
            const row = latency[key];
            const p95 = row?.p95;
            return (
              <tr key={key} title={`${row?.count ?? 0} samples`}>
                <td>{label}</td>
                <td className="num">{micros(row?.p50)}</td>
                <td className={`num ${isNumber(p95) && p95 > 50_000 ? 'neg' : ''}`}>{micros(p95)}</td>
                <td className="num">{micros(row?.p99)}</td>
                <td className="num">{micros(row?.max)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="muted small">runbook target: p95 under 50 ms</p>
    </Panel>
  );
}

interface FeedInstrument {
  readonly instrumentId?: string;
  readonly active?: string;
  readonly activeFeed?: string;
  readonly primaryStale?: boolean;
  readonly backupStale?: boolean;
}

export function VenuesPanel(props: {
  readonly health: HealthView | undefined;
  readonly feeds: unknown;
}): ReactNode {
  const components = Object.entries(props.health?.components ?? {});
  const venues = components.filter(([name]) => name.startsWith('venue:'));
  const core = components.filter(([name]) => !name.startsWith('venue:') && !name.startsWith('strategy:'));
  const sources = path(props.feeds, 'sources');
  const instruments = path(props.feeds, 'instruments');
  return (
    <Panel
      title="Venues and feeds"
      testId="venues-panel"
      aside={props.health ? <Badge value={props.health.status} /> : undefined}
    >
      <ul className="status-list">
        {[...venues, ...core].map(([name, c]) => (
          <li key={name} data-testid={`status-${name}`}>
            <Badge value={c.status} />
            <span>{name}</span>
            <span className="muted small">{c.detail ?? ''}</span>
          </li>
        ))}
      </ul>
      {typeof sources === 'object' && sources !== null ? (
        <ul className="status-list">
          {Object.entries(sources).map(([name, count]) => (
            <li key={name}>
              <Badge value="feed" tone="info" />
              <span>{name}</span>
              <span className="muted small">
                {isNumber(count) ? `${count.toLocaleString('en-US')} messages` : NA}
              </span>
            </li>
          ))}
          {Array.isArray(instruments) &&
            (instruments as FeedInstrument[]).map((i) => (
              <li key={i.instrumentId}>
                <Badge value={i.primaryStale || i.backupStale ? 'degraded' : 'ok'} />
                <span>{i.instrumentId}</span>
                <span className="muted small">
                  on {i.active ?? NA} ({i.activeFeed ?? NA})
                </span>
              </li>
            ))}
        </ul>
      ) : (
        <Empty>feed status n/a</Empty>
      )}
    </Panel>
  );
}
