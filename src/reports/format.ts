// Number, time and table formatting shared by `hf tca`, `hf report` and the report's Markdown and HTML.

import { currencyDecimals, formatMinor } from '../model/index.ts';

/** Thousands separators on the whole part of a plain decimal string ("-1234567.5" → "-1,234,567.5"). */
function groupThousands(text: string): string {
  const negative = text.startsWith('-');
  const body = negative ? text.slice(1) : text;
  const dot = body.indexOf('.');
  const whole = dot < 0 ? body : body.slice(0, dot);
  const fraction = dot < 0 ? '' : body.slice(dot);
  return (negative ? '-' : '') + whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + fraction;
}

/** Exact money from minor units, grouped: 123456789n USD → "1,234,567.89". */
export function formatMoneyMinor(minor: bigint, currency: string): string {
  return groupThousands(formatMinor(minor, currencyDecimals(currency)));
}

/** Money given as a number, grouped, with `decimals` places; "–" for null or non-finite. */
export function formatMoney(value: number | null, decimals = 2): string {
  if (value === null || !Number.isFinite(value)) return '–';
  const text = value.toFixed(decimals);
  return groupThousands(text === `-${(0).toFixed(decimals)}` ? text.slice(1) : text);
}

/** Basis points with two decimals; "–" when unknown. */
export function formatBps(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '–';
  const text = value.toFixed(2);
  return text === '-0.00' ? '0.00' : text;
}

/** A price or quantity without trailing zeros beyond what it needs (at most `decimals` places). */
export function formatNumber(value: number | null, decimals = 6): string {
  if (value === null || !Number.isFinite(value)) return '–';
  const text = value.toFixed(decimals);
  const trimmed = text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
  return groupThousands(trimmed === '-0' ? '0' : trimmed);
}

/** A price with at least two decimals and at most six, trailing zeros beyond two dropped: 201 → "201.00". */
export function formatPrice(value: number | null): string {
  const text = formatNumber(value, 6);
  if (text === '–') return text;
  const dot = text.indexOf('.');
  if (dot < 0) return `${text}.00`;
  return text.length - dot - 1 < 2 ? `${text}0` : text;
}

/** UTC time of day of a unix-µs time, `HH:MM:SS.mmm`. */
export function formatTime(micros: number): string {
  if (!Number.isFinite(micros)) return '–';
  return new Date(Math.floor(micros / 1000)).toISOString().slice(11, 23);
}

/** UTC time of day of a unix-µs time, `HH:MM:SS`. */
export function formatClock(micros: number): string {
  return formatTime(micros).slice(0, 8);
}

/** UTC date and time of a unix-µs time, `YYYY-MM-DD HH:MM:SS`. */
export function formatDateTime(micros: number): string {
  if (!Number.isFinite(micros)) return '–';
  return new Date(Math.floor(micros / 1000)).toISOString().slice(0, 19).replace('T', ' ');
}

/** Today's UTC date, `YYYY-MM-DD`. */
export function todayUtc(now = Date.now()): string {
  return new Date(now).toISOString().slice(0, 10);
}

export type Align = 'left' | 'right';

/** A table to render as text, Markdown or HTML: header cells, rows of cells, and per-column alignment. */
export interface Table {
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Per column; default left for the first column, right for the others. */
  readonly align?: readonly Align[];
}

function alignOf(table: Table, column: number): Align {
  return table.align?.[column] ?? (column === 0 ? 'left' : 'right');
}

/** A table padded into columns for a terminal. */
export function textTable(table: Table): string[] {
  const widths = table.headers.map((header, column) =>
    Math.max(header.length, ...table.rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    widths
      .map((width, column) => {
        const cell = cells[column] ?? '';
        return alignOf(table, column) === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [line(table.headers), ...table.rows.map(line)];
}

/** A cell safe inside a Markdown table: pipes escaped, line breaks flattened. */
function markdownCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function markdownTable(table: Table): string[] {
  const rule = table.headers.map((_header, column) => (alignOf(table, column) === 'right' ? '---:' : ':---'));
  const line = (cells: readonly string[]): string =>
    `| ${table.headers.map((_header, column) => markdownCell(cells[column] ?? '')).join(' | ')} |`;
  return [line(table.headers), `| ${rule.join(' | ')} |`, ...table.rows.map(line)];
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export function htmlTable(table: Table): string {
  const cell = (tag: 'th' | 'td', text: string, column: number): string =>
    `<${tag} class="${alignOf(table, column)}">${escapeHtml(text)}</${tag}>`;
  const head = table.headers.map((header, column) => cell('th', header, column)).join('');
  const body = table.rows
    .map(
      (row) =>
        `<tr>${table.headers.map((_h, column) => cell('td', row[column] ?? '', column)).join('')}</tr>`,
    )
    .join('\n');
  // Many columns take the page's width; fewer stay as wide as their content.
  const wide = table.headers.length >= 9 ? ' class="wide"' : '';
  return `<table${wide}>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}
