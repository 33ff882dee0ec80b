// The terminal view of a running session: one screen, redrawn every second.

import type { KernelSummary } from '../kernel/summary.ts';

const fmt = (n: number, d = 2): string =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })
    : '-';
const us = (n: number): string => (n >= 1000 ? `${fmt(n / 1000, 2)}ms` : `${fmt(n, 0)}µs`);

export function renderScreen(s: KernelSummary, elapsedSeconds: number): string {
  const lines: string[] = [];
  const state = s.killSwitch ? 'HALTED (kill switch)' : s.tradingState;
  lines.push(`hf run  ${s.mode}  t=${elapsedSeconds.toFixed(0)}s  trading: ${state}`);
  lines.push(
    `orders  submitted ${s.orders.submitted}  open ${s.orders.open}  accepted ${s.orders.accepted}  canceled ${s.orders.canceled}  rejected ${s.orders.rejected}   fills ${s.fills}`,
  );
  const denials = Object.entries(s.denials).sort((a, b) => b[1] - a[1]);
  lines.push(
    `risk denials  ${denials.length === 0 ? 'none' : denials.map(([r, n]) => `${r} ${n}`).join('  ')}`,
  );
  const rejects = Object.entries(s.venueRejects);
  if (rejects.length > 0) lines.push(`venue rejects  ${rejects.map(([r, n]) => `${r} ${n}`).join('  ')}`);
  lines.push('');
  lines.push(
    `${'position'.padEnd(16)}${'qty'.padStart(10)}${'avg'.padStart(12)}${'mark'.padStart(12)}${'unrealized'.padStart(14)}${'realized'.padStart(12)}${'fees'.padStart(10)}`,
  );
  for (const p of s.positions) {
    if (p.quantity === 0 && p.realized === 0) continue;
    lines.push(
      `${p.instrumentId.padEnd(16)}${fmt(p.quantity, 0).padStart(10)}${fmt(p.averagePrice).padStart(12)}${(p.mark === undefined ? '-' : fmt(p.mark)).padStart(12)}${fmt(p.unrealized).padStart(14)}${fmt(p.realized).padStart(12)}${fmt(p.fees).padStart(10)}`,
    );
  }
  for (const [currency, p] of Object.entries(s.pnl))
    lines.push(
      `PnL ${currency}  realized ${fmt(p.realized)}  unrealized ${fmt(p.unrealized)}  fees ${fmt(p.fees)}  total ${fmt(p.total)}`,
    );
  lines.push('');
  lines.push('latency (p50 / p99)');
  for (const [stage, l] of Object.entries(s.latency))
    lines.push(
      `  ${stage.padEnd(14)} ${l.count === 0 ? '-' : `${us(l.p50)} / ${us(l.p99)}  (n=${l.count})`}`,
    );
  lines.push('');
  lines.push('strategies');
  for (const st of s.strategies)
    lines.push(
      `  ${st.id.padEnd(18)} ${st.lastError ? `STOPPED: ${st.lastError}` : st.enabled ? 'enabled' : 'disabled'}  orders ${st.submitted}  fills ${st.fills}  open ${st.openOrders}`,
    );
  return lines.join('\n');
}

export function renderLine(s: KernelSummary, elapsedSeconds: number): string {
  const denied = Object.values(s.denials).reduce((a, b) => a + b, 0);
  return `t=${elapsedSeconds.toFixed(0)}s state=${s.killSwitch ? 'HALTED' : s.tradingState} orders=${s.orders.submitted} open=${s.orders.open} fills=${s.fills} denied=${denied} canceled=${s.orders.canceled}`;
}
