// The control audit trail (every role sees it) and, for admins, users and tokens: add a user (its token shown
// once), change a role, revoke a token.

import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { api } from '../api.ts';
import { timeOfMillis } from '../format.ts';
import type { AuditEntry } from '../rest.ts';
import type { Act } from './controls.tsx';
import { Badge, Empty, Panel } from './common.tsx';

function what(entry: AuditEntry): string {
  if (entry.key) return `${entry.key} ${entry.field ?? ''}`;
  return `${entry.action}${entry.field ? ` ${entry.field}` : ''}`;
}

export function AuditPanel(props: { readonly entries: readonly AuditEntry[] | undefined }): ReactNode {
  const entries = props.entries ?? [];
  return (
    <Panel title="Control audit trail" testId="audit-panel" className="wide">
      <div className="scroll short">
        <table className="grid compact" data-testid="audit-table">
          <thead>
            <tr>
              <th>when</th>
              <th>who</th>
              <th>what</th>
              <th>old → new</th>
              <th>reason</th>
              <th>outcome</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.id} data-testid="audit-row" data-outcome={e.outcome} data-actor={e.actor}>
                <td>{timeOfMillis(e.tsMs)}</td>
                <td>
                  {e.actor}
                  <span className="muted small">
                    {' '}
                    {e.role ?? ''} via {e.via}
                  </span>
                </td>
                <td className="mono">{what(e)}</td>
                <td className="mono">
                  {e.oldValue ?? '∅'} → {e.newValue ?? '∅'}
                </td>
                <td className="reason">{e.reason ?? ''}</td>
                <td>
                  <Badge value={e.outcome} />
                  {e.detail ? <span className="muted small"> {e.detail}</span> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {entries.length === 0 && <Empty>no control actions yet</Empty>}
      </div>
    </Panel>
  );
}

interface UserRow {
  readonly name: string;
  readonly role: string;
  readonly disabledMs: number | null;
}

interface TokenRow {
  readonly id: string;
  readonly user: string;
  readonly kind: string;
  readonly label: string;
  readonly createdMs: number;
  readonly expiresMs: number | null;
  readonly revokedMs: number | null;
}

const ROLES = ['viewer', 'trader', 'risk-officer', 'admin'] as const;

export function AccessPanel(props: { readonly act: Act }): ReactNode {
  const [users, setUsers] = useState<readonly UserRow[]>([]);
  const [tokens, setTokens] = useState<readonly TokenRow[]>([]);
  const [name, setName] = useState('');
  const [role, setRole] = useState<string>('viewer');
  const [issued, setIssued] = useState<string | undefined>();
  const { act } = props;

  const load = useCallback(async () => {
    const [u, t] = await Promise.all([api.get<UserRow[]>('/api/users'), api.get<TokenRow[]>('/api/tokens')]);
    setUsers(u);
    setTokens(t.filter((x) => x.kind === 'api'));
  }, []);

  useEffect(() => {
    void act('load users', load);
  }, [act, load]);

  const add = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    await act(`add ${name}`, async () => {
      const created = await api.post<{ token?: { token: string } }>('/api/users', {
        name,
        role,
        issueToken: true,
        label: 'dashboard',
      });
      setIssued(created.token?.token);
      setName('');
      await load();
    });
  };

  return (
    <Panel title="Users and tokens" testId="access-panel" className="wide">
      {issued && (
        <div className="notice good" data-testid="issued-token">
          <span>
            New token (shown once, copy it now): <code>{issued}</code>
          </span>
          <button type="button" className="link" onClick={() => setIssued(undefined)}>
            ×
          </button>
        </div>
      )}
      <div className="columns">
        <div>
          <table className="grid compact">
            <thead>
              <tr>
                <th>user</th>
                <th>role</th>
                <th>state</th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr key={u.name}>
                  <td>{u.name}</td>
                  <td>
                    <select
                      value={u.role}
                      aria-label={`role of ${u.name}`}
                      onChange={(e) =>
                        void act(`change the role of ${u.name}`, async () => {
                          await api.patch(`/api/users/${encodeURIComponent(u.name)}`, {
                            role: e.target.value,
                          });
                          await load();
                        })
                      }
                    >
                      {ROLES.map((r) => (
                        <option key={r}>{r}</option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <Badge
                      value={u.disabledMs === null ? 'enabled' : 'disabled'}
                      tone={u.disabledMs === null ? 'good' : 'muted'}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <form className="inline-form" onSubmit={(e) => void add(e)}>
            <input
              placeholder="new user"
              value={name}
              onChange={(e) => setName(e.target.value.toLowerCase())}
              required
              pattern="[a-z0-9][a-z0-9._\-]{0,63}"
            />
            <select value={role} onChange={(e) => setRole(e.target.value)} aria-label="role">
              {ROLES.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
            <button type="submit" className="button small">
              Add with token
            </button>
          </form>
        </div>
        <div>
          <table className="grid compact">
            <thead>
              <tr>
                <th>token</th>
                <th>user</th>
                <th>label</th>
                <th>state</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr key={t.id}>
                  <td className="mono">{t.id}</td>
                  <td>{t.user}</td>
                  <td>{t.label}</td>
                  <td>
                    {t.revokedMs !== null ? (
                      <Badge value="revoked" tone="muted" />
                    ) : (
                      <Badge value="active" tone="good" />
                    )}
                  </td>
                  <td>
                    {t.revokedMs === null && (
                      <button
                        type="button"
                        className="button small"
                        onClick={() =>
                          void act(`revoke ${t.id}`, async () => {
                            await api.delete(`/api/tokens/${t.id}`);
                            await load();
                          })
                        }
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </Panel>
  );
}
