// What a backtest shows and writes: the readable summary, the JSON object, and `--out` files (trades, fills,
// equity CSVs and an SVG chart of equity and drawdown).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BacktestResult } from './runner.ts';

function iso(ts: number | undefined): string {
  if (ts === undefined) return '—';
  return new Date(Math.floor(ts / 1000))
    .toISOString()
    .replace('T', ' ')
    .replace(/(\.000)?Z$/, '');
}

function day(ts: number | undefined): string {
  return ts === undefined ? '—' : new Date(Math.floor(ts / 1000)).toISOString().slice(0, 10);
}

function money(value: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

function percent(value: number | null): string {
  return value === null ? '—' : `${(value * 100).toFixed(2)} %`;
}

function ratio(value: number | null): string {
  return value === null ? '—' : value.toFixed(3);
}

/** The JSON object of `--json`: the figures and counts, without the long lists (those go to `--out`). */
export function resultJson(result: BacktestResult): Record<string, unknown> {
  return {
    strategy: result.strategy,
    instruments: result.instruments,
    from: day(result.firstTime),
    to: day(result.lastTime),
    startValue: result.startValue,
    finalValue: result.finalValue,
    cash: result.cash,
    currency: result.currency,
    closedTrades: result.closedTrades,
    openPositions: result.openPositions,
    fills: result.fills,
    orders: result.orders,
    commission: result.commission,
    stats: result.stats,
    events: result.events,
    seconds: result.seconds,
    eventsPerSecond: result.eventsPerSecond,
    denials: result.denials,
    venueRejections: result.venueRejections,
    positions: result.positions,
    dataFiles: result.dataFiles,
    ledgerBalanced: result.ledgerBalanced,
  };
}

export function summaryLines(result: BacktestResult): string[] {
  const s = result.stats;
  const lines = [
    `backtest ${result.strategy} on ${result.instruments.join(', ')}: ${day(result.firstTime)} → ${day(result.lastTime)}`,
  ];
  for (const f of result.dataFiles) {
    lines.push(
      `  data ${f.file}: ${f.format ?? '?'} ${f.timeframe ?? 'ticks'}, ${f.used.toLocaleString('en-US')} used of ` +
        `${f.rows.toLocaleString('en-US')} rows` +
        (f.skipped > 0 ? `, ${f.skipped} skipped (${f.problems.join('; ')})` : '') +
        (f.outOfRange > 0 ? `, ${f.outOfRange.toLocaleString('en-US')} outside --from/--to` : ''),
    );
  }
  lines.push(
    `  start value   ${money(result.startValue)} ${result.currency}`,
    `  final value   ${money(result.finalValue)} ${result.currency}   (cash ${money(result.cash)})`,
    `  total return  ${percent(s.totalReturn)}   CAGR ${percent(s.cagr)}   volatility ${percent(s.volatility)}`,
    `  sharpe ${ratio(s.sharpe)}   sortino ${ratio(s.sortino)}   max drawdown ${percent(s.maxDrawdown)}   calmar ${ratio(s.calmar)}`,
    `  orders ${result.orders}   fills ${result.fills}   closed trades ${result.closedTrades} (win rate ${percent(s.winRate)})   ` +
      `open positions ${result.openPositions}   commission ${money(result.commission)}`,
  );
  const denied = Object.entries(result.denials);
  if (denied.length > 0) lines.push(`  risk denials: ${denied.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const rejected = Object.entries(result.venueRejections);
  if (rejected.length > 0)
    lines.push(`  venue rejections: ${rejected.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  for (const p of result.positions)
    lines.push(
      `  open ${p.instrumentId}: ${p.quantity} @ ${p.averagePrice.toFixed(4)}, mark ${p.markPrice}, unrealized ${money(p.unrealized)}`,
    );
  lines.push(
    `  ${result.events.toLocaleString('en-US')} events in ${result.seconds.toFixed(2)} s (${Math.round(result.eventsPerSecond).toLocaleString('en-US')} events/s); ledger ${result.ledgerBalanced ? 'balanced' : 'NOT BALANCED'}`,
  );
  return lines;
}

function csv(rows: readonly (readonly (string | number)[])[]): string {
  return (
    rows
      .map((r) =>
        r
          .map((v) => (typeof v === 'string' && /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : String(v)))
          .join(','),
      )
      .join('\n') + '\n'
  );
}

/** Writes summary.json, trades.csv, fills.csv, equity.csv and equity.svg into `dir`; returns the file names. */
export function writeOutputs(result: BacktestResult, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const files: [string, string][] = [
    ['summary.json', JSON.stringify(resultJson(result), null, 2) + '\n'],
    [
      'trades.csv',
      csv([
        [
          'instrument',
          'direction',
          'quantity',
          'entry_time',
          'exit_time',
          'entry_price',
          'exit_price',
          'gross_pnl',
          'commission',
          'net_pnl',
          'return',
        ],
        ...result.trades.map((t) => [
          t.instrumentId,
          t.direction,
          t.quantity,
          iso(t.entryTime),
          iso(t.exitTime),
          t.entryPrice,
          t.exitPrice,
          t.grossPnl.toFixed(2),
          t.commission.toFixed(2),
          t.netPnl.toFixed(2),
          t.returnFraction.toFixed(6),
        ]),
      ]),
    ],
    [
      'fills.csv',
      csv([
        ['time', 'client_order_id', 'instrument', 'side', 'quantity', 'price', 'fee', 'liquidity'],
        ...result.fillList.map((f) => [
          iso(f.time),
          f.clientOrderId,
          f.instrumentId,
          f.side,
          f.quantity,
          f.price,
          f.fee,
          f.liquidity,
        ]),
      ]),
    ],
    ['equity.csv', csv([['time', 'equity'], ...result.dailyEquity.map(([t, v]) => [iso(t), v.toFixed(2)])])],
    ['equity.svg', equityChart(result)],
  ];
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  return files.map(([name]) => name);
}

/** An SVG line chart of the equity curve (top) and its drawdown (bottom), with axes and labels. */
export function equityChart(result: BacktestResult, width = 900, height = 480): string {
  const points = result.equity.length > 1 ? result.equity : result.dailyEquity;
  const left = 80;
  const right = 20;
  const top = 30;
  const equityHeight = Math.round((height - top - 60) * 0.68);
  const gap = 30;
  const ddTop = top + equityHeight + gap;
  const ddHeight = height - ddTop - 30;
  const plotWidth = width - left - right;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="18" font-size="13" font-weight="bold">${escapeXml(`${result.strategy} on ${result.instruments.join(', ')}: equity and drawdown`)}</text>`,
  ];
  if (points.length < 2) {
    parts.push(`<text x="${left}" y="${top + 40}">not enough data for a chart</text></svg>`);
    return parts.join('\n');
  }
  const t0 = points[0]![0];
  const t1 = points[points.length - 1]![0];
  let lo = Infinity;
  let hi = -Infinity;
  for (const [, v] of points) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (hi === lo) {
    hi += 1;
    lo -= 1;
  }
  const x = (t: number) => left + (t1 === t0 ? 0 : ((t - t0) / (t1 - t0)) * plotWidth);
  const y = (v: number) => top + (1 - (v - lo) / (hi - lo)) * equityHeight;
  let peak = -Infinity;
  let worst = 0;
  const drawdowns: number[] = [];
  for (const [, v] of points) {
    peak = Math.max(peak, v);
    const dd = peak > 0 ? v / peak - 1 : 0;
    drawdowns.push(dd);
    worst = Math.min(worst, dd);
  }
  const ddFloor = worst < 0 ? worst : -0.01;
  const yd = (d: number) => ddTop + (d / ddFloor) * ddHeight;
  const line = points
    .map(([t, v], i) => `${i === 0 ? 'M' : 'L'}${x(t).toFixed(1)},${y(v).toFixed(1)}`)
    .join('');
  const area =
    `M${x(t0).toFixed(1)},${ddTop}` +
    points.map(([t], i) => `L${x(t).toFixed(1)},${yd(drawdowns[i]!).toFixed(1)}`).join('') +
    `L${x(t1).toFixed(1)},${ddTop}Z`;
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4;
    const yy = y(v).toFixed(1);
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${yy}" y2="${yy}" stroke="#e5e5e5"/>`);
    parts.push(
      `<text x="${left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${Math.round(v).toLocaleString('en-US')}</text>`,
    );
  }
  for (let i = 0; i <= 4; i++) {
    const t = t0 + ((t1 - t0) * i) / 4;
    parts.push(`<text x="${x(t).toFixed(1)}" y="${height - 10}" text-anchor="middle">${day(t)}</text>`);
  }
  parts.push(`<text x="${left - 6}" y="${ddTop}" text-anchor="end" dominant-baseline="middle">0 %</text>`);
  parts.push(
    `<text x="${left - 6}" y="${ddTop + ddHeight}" text-anchor="end" dominant-baseline="middle">${(ddFloor * 100).toFixed(1)} %</text>`,
  );
  parts.push(`<path d="${area}" fill="#f4a6a6" stroke="#c0392b" stroke-width="0.8"/>`);
  parts.push(`<path d="${line}" fill="none" stroke="#1f5fa8" stroke-width="1.4"/>`);
  parts.push(
    `<rect x="${left}" y="${top}" width="${plotWidth}" height="${equityHeight}" fill="none" stroke="#999"/>`,
  );
  parts.push(
    `<rect x="${left}" y="${ddTop}" width="${plotWidth}" height="${ddHeight}" fill="none" stroke="#999"/>`,
  );
  parts.push(`<text x="${left + 4}" y="${top + 12}">equity (${result.currency})</text>`);
  parts.push(`<text x="${left + 4}" y="${ddTop + 12}">drawdown</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
