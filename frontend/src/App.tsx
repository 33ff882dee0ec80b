// The dashboard: login with an API token (the server answers with an http-only session cookie), then live
// panels over the WebSocket gateway and the REST API, and the controls the user's role allows.

import {
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
  type FormEvent,
  type ReactNode,
} from 'react';
import { api, ApiError, currentSession, login, logout, type Session } from './api.ts';
import { path } from './format.ts';
import { LiveFeed, type ConnectionState } from './live.ts';
import { useRestData } from './rest.ts';
import { AccessPanel, AuditPanel } from './components/admin.tsx';
import { PriceChart } from './components/charts.tsx';
import { Badge, Notices, Panel, type Notice } from './components/common.tsx';
import { KillSwitchPanel, RouteOverridesPanel, StrategiesPanel, type Act } from './components/controls.tsx';
import { LatencyPanel, RiskPanel, VenuesPanel } from './components/risk.tsx';
import { AlertsPanel, FillsPanel, OrdersPanel, PnlPanel, PositionsPanel } from './components/trading.tsx';

export function App(): ReactNode {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [startupError, setStartupError] = useState<string | undefined>();

  useEffect(() => {
    currentSession().then(
      (s) => setSession(s ?? null),
      (error: unknown) => {
        setStartupError(error instanceof Error ? error.message : String(error));
        setSession(null);
      },
    );
  }, []);

  if (session === undefined) return <div className="splash">connecting…</div>;
  if (session === null)
    return (
      <Login
        error={startupError}
        onLogin={(s) => {
          setStartupError(undefined);
          setSession(s);
        }}
      />
    );
  return (
    <Dashboard
      session={session}
      onLogout={(why) => {
        setStartupError(why);
        setSession(null);
      }}
    />
  );
}

function Login(props: {
  readonly error: string | undefined;
  readonly onLogin: (session: Session) => void;
}): ReactNode {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>(props.error);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    try {
      props.onLogin(await login(token.trim()));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="login">
      <form className="login-box" onSubmit={(e) => void submit(e)} data-testid="login-form">
        <h1>HF operator dashboard</h1>
        <p className="muted">
          Sign in with your API token. An admin issues one with <code>hf token create &lt;user&gt;</code>; the
          first admin comes from <code>hf user add admin --role admin</code>.
        </p>
        <label>
          API token
          <input
            type="password"
            autoComplete="off"
            placeholder="hft_…"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            data-testid="login-token"
            required
          />
        </label>
        {error && (
          <p className="error" data-testid="login-error">
            {error}
          </p>
        )}
        <button
          type="submit"
          className="button primary"
          disabled={busy || token.trim() === ''}
          data-testid="login-submit"
        >
          Sign in
        </button>
      </form>
    </div>
  );
}

function wsUrlOf(session: Session, ticket: string): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  // The dev server (vite, mode development) proxies /ws to the gateway; a build connects to the gateway's port.
  const base =
    import.meta.env.MODE === 'development'
      ? `${scheme}://${location.host}/ws`
      : (session.ws.url ?? `${scheme}://${location.hostname}:${session.ws.port}/`);
  return `${base}${base.includes('?') ? '&' : '?'}ticket=${encodeURIComponent(ticket)}`;
}

const CONNECTION_TEXT: Readonly<Record<ConnectionState, string>> = {
  connecting: 'connecting…',
  open: 'live',
  lost: 'connection lost: reconnecting…',
  unauthorized: 'session ended',
};

function Dashboard(props: {
  readonly session: Session;
  readonly onLogout: (why?: string) => void;
}): ReactNode {
  const { session, onLogout } = props;
  const can = (permission: string): boolean => session.permissions.includes(permission);
  const [notices, setNotices] = useState<readonly Notice[]>([]);
  const [refreshKey, setRefreshKey] = useState(0);
  const [filter, setFilter] = useState('all');
  const [instrument, setInstrument] = useState<string | undefined>();
  const nextNotice = useRef(1);

  const feed = useMemo(
    () =>
      new LiveFeed(async () => {
        try {
          const { ticket } = await api.post<{ ticket: string }>('/auth/ws-ticket');
          return wsUrlOf(session, ticket);
        } catch (error) {
          if (error instanceof ApiError && error.status === 401) throw new Error('unauthorized');
          throw error;
        }
      }),
    [session],
  );
  useEffect(() => {
    feed.start();
    return () => feed.stop();
  }, [feed]);
  const live = useSyncExternalStore(feed.subscribe, feed.getSnapshot);
  useEffect(() => {
    if (live.connection === 'unauthorized') onLogout('your session ended: sign in again');
  }, [live.connection, onLogout]);

  const unauthorized = useCallback(() => onLogout('your session ended: sign in again'), [onLogout]);
  const rest = useRestData(true, unauthorized, refreshKey);

  const notify = useCallback((text: string, tone: Notice['tone']) => {
    const id = nextNotice.current++;
    setNotices((list) => [...list.slice(-4), { id, text, tone }]);
    setTimeout(() => setNotices((list) => list.filter((n) => n.id !== id)), tone === 'bad' ? 15_000 : 5_000);
  }, []);

  const act: Act = useCallback(
    async (what, run) => {
      try {
        await run();
        if (!what.startsWith('load')) notify(`done: ${what}`, 'good');
        setRefreshKey((k) => k + 1);
        return true;
      } catch (error) {
        const message =
          error instanceof ApiError ? `${error.status || 'network'}: ${error.message}` : String(error);
        notify(`could not ${what}: ${message}`, 'bad');
        if (error instanceof ApiError && error.status === 401) unauthorized();
        return false;
      }
    },
    [notify, unauthorized],
  );

  // The instruments the risk engine prices; the chart follows the first until one is picked.
  const instruments = useMemo(() => {
    const list = path(rest.risk, 'instruments');
    return Array.isArray(list)
      ? list.map((i) => path(i, 'instrumentId')).filter((id): id is string => typeof id === 'string')
      : [];
  }, [rest.risk]);
  useEffect(() => {
    if (instrument === undefined && instruments[0] !== undefined) setInstrument(instruments[0]);
  }, [instrument, instruments]);
  useEffect(() => feed.setInstrument(instrument), [feed, instrument]);

  const venues = Object.keys(rest.health?.components ?? {})
    .filter((name) => name.startsWith('venue:'))
    .map((name) => name.slice('venue:'.length));
  const killSwitch =
    rest.summary?.killSwitch ??
    (rest.control ? rest.control['policy:kill_switch']?.enabled === 'true' : undefined);
  const pollErrors = Object.entries(rest.errors);
  const connection: ConnectionState = rest.unreachable ? 'lost' : live.connection;

  return (
    <div className="app">
      <header className="top">
        <div className="brand">HF</div>
        <div className="top-facts">
          <span>{rest.summary?.mode ?? 'n/a'}</span>
          {rest.summary && <Badge value={rest.summary.tradingState} testId="trading-state" />}
          {killSwitch === true && <Badge value="KILL SWITCH ON" tone="bad" testId="kill-switch-badge" />}
        </div>
        <div className={`connection ${connection}`} data-testid="connection-status" data-state={connection}>
          <span className="dot" />
          {CONNECTION_TEXT[connection]}
          {live.dropped > 0 && <span className="muted small"> · {live.dropped} dropped (resynced)</span>}
        </div>
        <div className="who" data-testid="user-role" data-role={session.role}>
          {session.user} · <strong>{session.role}</strong>
        </div>
        <button
          type="button"
          className="button small"
          onClick={() => {
            feed.stop();
            void logout().finally(() => onLogout());
          }}
        >
          Log out
        </button>
      </header>

      {connection === 'lost' && (
        <div className="banner bad" data-testid="connection-lost">
          Live connection lost{live.detail ? ` (${live.detail})` : ''}
          {rest.unreachable ? ': the API does not answer' : ''}. The figures below are as of{' '}
          {rest.updatedAt > 0 ? new Date(rest.updatedAt).toLocaleTimeString('en-GB') : 'n/a'}; reconnecting…
        </div>
      )}
      {pollErrors.length > 0 && !rest.unreachable && (
        <div className="banner warn" data-testid="server-errors">
          server: {pollErrors.map(([name, message]) => `${name}: ${message}`).join(' · ')}
        </div>
      )}
      <Notices notices={notices} dismiss={(id) => setNotices((list) => list.filter((n) => n.id !== id))} />

      <main className="board">
        <KillSwitchPanel
          engaged={killSwitch}
          tradingState={rest.summary?.tradingState}
          canUse={can('killSwitch')}
          act={act}
        />
        <StrategiesPanel strategies={rest.strategies} canToggle={can('strategyToggle')} act={act} />
        <RouteOverridesPanel
          overrides={rest.control?.['policy:route_override']}
          venues={venues}
          canUse={can('routeOverride')}
          act={act}
        />
        <VenuesPanel health={rest.health} feeds={rest.feeds} />

        <Panel
          title="Prices"
          testId="prices-panel"
          className="span2"
          aside={
            <select
              value={instrument ?? ''}
              onChange={(e) => setInstrument(e.target.value || undefined)}
              aria-label="instrument"
            >
              {instruments.map((id) => (
                <option key={id}>{id}</option>
              ))}
            </select>
          }
        >
          <PriceChart candles={live.candles} tick={live.tick} />
        </Panel>
        <PnlPanel summary={rest.summary} risk={rest.risk} points={rest.pnl} />
        <RiskPanel risk={rest.risk} />

        <PositionsPanel summary={rest.summary} risk={rest.risk} />
        <LatencyPanel summary={rest.summary} />
        <AlertsPanel alerts={live.alerts} />

        <OrdersPanel
          records={rest.orders}
          live={live.orders}
          filter={filter}
          setFilter={setFilter}
          summary={rest.summary}
        />
        <FillsPanel fills={live.fills} total={rest.summary?.fills} />

        <AuditPanel entries={rest.audit} />
        {can('access') && <AccessPanel act={act} />}
      </main>
    </div>
  );
}
