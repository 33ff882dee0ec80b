// Operator controls, each shown only to roles that may use it (the server authorises every request anyway):
// the kill switch (with a confirmation and a reason), strategy enable / disable, route overrides.

import { useState, type FormEvent, type ReactNode } from 'react';
import { setControl } from '../api.ts';
import type { StrategyRow } from '../rest.ts';
import { Badge, Empty, Panel } from './common.tsx';

/** Runs a control request; errors go to the notices, success refreshes the panels. */
export type Act = (what: string, run: () => Promise<void>) => Promise<boolean>;

export function KillSwitchPanel(props: {
  readonly engaged: boolean | undefined;
  readonly tradingState: string | undefined;
  readonly canUse: boolean;
  readonly act: Act;
}): ReactNode {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const engaged = props.engaged === true;
  const target = engaged ? 'false' : 'true';

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    const ok = await props.act(engaged ? 'release the kill switch' : 'engage the kill switch', () =>
      setControl('policy:kill_switch', 'enabled', target, reason.trim()),
    );
    setBusy(false);
    if (ok) {
      setOpen(false);
      setReason('');
    }
  };

  return (
    <Panel title="Kill switch" testId="kill-switch-panel" className={engaged ? 'alarm' : ''}>
      <div className="kill-state">
        <span data-testid="kill-switch-state" data-engaged={String(engaged)}>
          {props.engaged === undefined ? 'n/a' : engaged ? 'ENGAGED: trading halted' : 'off (safe to trade)'}
        </span>
        {props.tradingState && <Badge value={props.tradingState} />}
      </div>
      {props.canUse ? (
        <button
          type="button"
          className={engaged ? 'button' : 'button danger'}
          data-testid="kill-switch-button"
          onClick={() => setOpen(true)}
        >
          {engaged ? 'Release kill switch…' : 'Engage kill switch…'}
        </button>
      ) : (
        <p className="muted small">only a risk officer or an admin can change it</p>
      )}
      {open && (
        <div className="modal-backdrop">
          <form
            className="modal"
            role="dialog"
            aria-modal="true"
            aria-labelledby="kill-title"
            data-testid="kill-switch-dialog"
            onSubmit={(e) => void submit(e)}
          >
            <h3 id="kill-title">{engaged ? 'Release the kill switch?' : 'Engage the kill switch?'}</h3>
            <p>
              {engaged
                ? 'Trading resumes: strategies may send orders again.'
                : 'Every open order on every venue is cancelled and every new order is denied (except reduce-only) until it is released.'}
            </p>
            <label>
              Reason (kept in the audit trail)
              <textarea
                data-testid="kill-switch-reason"
                value={reason}
                onChange={(e) => setReason(e.target.value)}
                required
                minLength={3}
                maxLength={500}
                autoFocus
              />
            </label>
            <div className="modal-actions">
              <button type="button" className="button" onClick={() => setOpen(false)} disabled={busy}>
                Cancel
              </button>
              <button
                type="submit"
                className={engaged ? 'button primary' : 'button danger'}
                data-testid="kill-switch-confirm"
                disabled={busy || reason.trim().length < 3}
              >
                {engaged ? 'Release' : 'Engage: halt trading'}
              </button>
            </div>
          </form>
        </div>
      )}
    </Panel>
  );
}

export function StrategiesPanel(props: {
  readonly strategies: readonly StrategyRow[] | undefined;
  readonly canToggle: boolean;
  readonly act: Act;
}): ReactNode {
  const [reason, setReason] = useState('');
  const list = props.strategies ?? [];
  return (
    <Panel title="Strategies" testId="strategies-panel">
      {list.length === 0 ? (
        <Empty>n/a</Empty>
      ) : (
        <table className="grid compact">
          <thead>
            <tr>
              <th>strategy</th>
              <th>state</th>
              <th className="num">orders</th>
              <th className="num">fills</th>
              {props.canToggle && <th />}
            </tr>
          </thead>
          <tbody>
            {list.map((s) => (
              <tr key={s.id} data-testid={`strategy-${s.id}`} data-enabled={String(s.enabled)}>
                <td>
                  {s.id}
                  {s.lastError ? <div className="reason">{s.lastError}</div> : null}
                </td>
                <td>
                  <Badge
                    value={s.lastError ? 'down' : s.enabled ? 'enabled' : 'disabled'}
                    tone={s.lastError ? 'bad' : s.enabled ? 'good' : 'muted'}
                  />
                </td>
                <td className="num">{s.submitted}</td>
                <td className="num">{s.fills}</td>
                {props.canToggle && (
                  <td>
                    <button
                      type="button"
                      className="button small"
                      data-testid={`strategy-toggle-${s.id}`}
                      onClick={() =>
                        void props.act(`${s.enabled ? 'disable' : 'enable'} ${s.id}`, () =>
                          setControl(
                            'strategy:enabled',
                            s.id,
                            s.enabled ? 'false' : 'true',
                            reason.trim() || undefined,
                          ),
                        )
                      }
                    >
                      {s.enabled ? 'Disable' : 'Enable'}
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.canToggle && (
        <input
          className="reason-input"
          placeholder="reason for the audit trail (optional)"
          value={reason}
          maxLength={500}
          onChange={(e) => setReason(e.target.value)}
        />
      )}
    </Panel>
  );
}

export function RouteOverridesPanel(props: {
  readonly overrides: Readonly<Record<string, string>> | undefined;
  readonly venues: readonly string[];
  readonly canUse: boolean;
  readonly act: Act;
}): ReactNode {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [reason, setReason] = useState('');
  const entries = Object.entries(props.overrides ?? {});
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const ok = await props.act(`route ${from} to ${to}`, () =>
      setControl('policy:route_override', from, to, reason.trim() || undefined),
    );
    if (ok) setReason('');
  };
  return (
    <Panel title="Route overrides" testId="route-overrides-panel">
      {entries.length === 0 ? (
        <Empty>none: every venue routes to itself</Empty>
      ) : (
        <ul className="status-list">
          {entries.map(([venue, target]) => (
            <li key={venue} data-testid={`route-override-${venue}`}>
              <span className="mono">
                {venue} → {target}
              </span>
              {props.canUse && (
                <button
                  type="button"
                  className="button small"
                  onClick={() =>
                    void props.act(`clear the override of ${venue}`, () =>
                      setControl('policy:route_override', venue, null, reason.trim() || undefined),
                    )
                  }
                >
                  Clear
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {props.canUse ? (
        <form className="inline-form" data-testid="route-override-form" onSubmit={(e) => void submit(e)}>
          <select value={from} onChange={(e) => setFrom(e.target.value)} aria-label="from venue" required>
            <option value="">venue…</option>
            {props.venues.map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
          <span>→</span>
          <select value={to} onChange={(e) => setTo(e.target.value)} aria-label="to venue" required>
            <option value="">target…</option>
            {props.venues
              .filter((v) => v !== from)
              .map((v) => (
                <option key={v}>{v}</option>
              ))}
          </select>
          <input
            placeholder="reason"
            value={reason}
            maxLength={500}
            onChange={(e) => setReason(e.target.value)}
          />
          <button type="submit" className="button small" disabled={from === '' || to === ''}>
            Set
          </button>
        </form>
      ) : (
        <p className="muted small">only a risk officer or an admin can reroute</p>
      )}
    </Panel>
  );
}
