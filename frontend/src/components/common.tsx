// Building blocks of the panels: a titled panel, status badges, and the server-error list.

import type { ReactNode } from 'react';

export function Panel(props: {
  readonly title: string;
  readonly testId?: string;
  readonly className?: string;
  readonly aside?: ReactNode;
  readonly children: ReactNode;
}): ReactNode {
  return (
    <section className={`panel ${props.className ?? ''}`} data-testid={props.testId}>
      <header className="panel-head">
        <h2>{props.title}</h2>
        {props.aside !== undefined && <div className="panel-aside">{props.aside}</div>}
      </header>
      <div className="panel-body">{props.children}</div>
    </section>
  );
}

const TONE: Readonly<Record<string, string>> = {
  ok: 'good',
  ACTIVE: 'good',
  FILLED: 'good',
  ACCEPTED: 'info',
  PARTIALLY_FILLED: 'info',
  SUBMITTED: 'muted',
  PENDING_CANCEL: 'muted',
  PENDING_UPDATE: 'muted',
  TRIGGERED: 'info',
  CANCELED: 'muted',
  EXPIRED: 'muted',
  degraded: 'warn',
  REDUCING: 'warn',
  warning: 'warn',
  down: 'bad',
  HALTED: 'bad',
  REJECTED: 'bad',
  DENIED: 'bad',
  critical: 'bad',
  info: 'info',
  applied: 'good',
  denied: 'bad',
  failed: 'bad',
};

export function Badge(props: {
  readonly value: string;
  readonly tone?: string;
  readonly testId?: string;
}): ReactNode {
  return (
    <span className={`badge ${props.tone ?? TONE[props.value] ?? 'muted'}`} data-testid={props.testId}>
      {props.value}
    </span>
  );
}

export interface Notice {
  readonly id: number;
  readonly text: string;
  readonly tone: 'bad' | 'good';
}

export function Notices(props: {
  readonly notices: readonly Notice[];
  readonly dismiss: (id: number) => void;
}): ReactNode {
  if (props.notices.length === 0) return null;
  return (
    <div className="notices" role="status">
      {props.notices.map((n) => (
        <div
          key={n.id}
          className={`notice ${n.tone}`}
          data-testid={n.tone === 'bad' ? 'server-error' : 'notice'}
        >
          <span>{n.text}</span>
          <button type="button" className="link" onClick={() => props.dismiss(n.id)} aria-label="dismiss">
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

export function Empty(props: { readonly children: ReactNode }): ReactNode {
  return <p className="empty">{props.children}</p>;
}
