// Charts and tables for research notebooks, as standalone SVG and HTML strings (no scripts): line charts of one or
// more series over dates, times or numbers, grouped bar charts, histograms with marker lines, and HTML tables.
// A notebook shows them with its kernel's display (tslab: `display.svg(...)`, `display.html(...)`).

import { niceTicks } from '../reports/charts.ts';
import { escapeHtml } from '../reports/format.ts';

/** Colours of successive series (colour-blind safe, Okabe–Ito). */
export const CHART_COLORS: readonly string[] = [
  '#0072b2',
  '#d55e00',
  '#009e73',
  '#cc79a7',
  '#e69f00',
  '#56b4e9',
  '#000000',
  '#f0e442',
];

const MARGIN = { left: 78, right: 20, top: 34, bottom: 40 } as const;
const DAY_MICROS = 86_400_000_000;

export type ChartPoint = readonly [x: number, y: number];

export interface LineSeries {
  readonly name: string;
  readonly points: readonly ChartPoint[];
  readonly color?: string;
}

export interface LineChartOptions {
  readonly title: string;
  readonly series: readonly LineSeries[];
  /** How x is read: unix µs labelled as dates (`date`, the default) or times of day (`time`), or plain numbers. */
  readonly x?: 'date' | 'time' | 'number';
  readonly yFormat?: (value: number) => string;
  readonly xFormat?: (value: number) => string;
  readonly yLabel?: string;
  readonly width?: number;
  readonly height?: number;
  /** Shade between the first series and zero (a drawdown). */
  readonly area?: boolean;
  /** Horizontal reference lines. */
  readonly rules?: readonly { readonly value: number; readonly label: string }[];
}

export interface BarSeries {
  readonly name: string;
  /** One per category; null leaves a gap. */
  readonly values: readonly (number | null)[];
  readonly color?: string;
}

export interface BarChartOptions {
  readonly title: string;
  readonly categories: readonly string[];
  readonly series: readonly BarSeries[];
  readonly yFormat?: (value: number) => string;
  readonly yLabel?: string;
  readonly width?: number;
  readonly height?: number;
}

export interface HistogramOptions {
  readonly title: string;
  readonly values: ArrayLike<number>;
  /** Default: √n, between 10 and 60. */
  readonly bins?: number;
  readonly xFormat?: (value: number) => string;
  /** Vertical lines at values (a VaR, a mean), labelled. */
  readonly markers?: readonly { readonly value: number; readonly label: string; readonly color?: string }[];
  readonly width?: number;
  readonly height?: number;
}

/** A general number label: thousands separated, at most four significant decimals. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  const digits = magnitude >= 1000 ? 0 : magnitude >= 1 ? 2 : magnitude >= 0.01 ? 4 : 6;
  return value.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** `0.1234` → `12.34 %`. */
export function formatPercent(value: number): string {
  return `${(value * 100).toFixed(2)} %`;
}

function dateLabel(micros: number, span: number): string {
  const iso = new Date(Math.floor(micros / 1000)).toISOString();
  if (span >= 3 * 365 * DAY_MICROS) return iso.slice(0, 7);
  if (span >= 2 * DAY_MICROS) return iso.slice(0, 10);
  return iso.slice(11, 19);
}

/** A time of day, with tenths of a second when the axis spans less than 20 seconds. */
function timeLabel(micros: number, span: number): string {
  return new Date(Math.floor(micros / 1000)).toISOString().slice(11, span < 20_000_000 ? 21 : 19);
}

/** Five evenly spaced x ticks for times (round values matter less than even spacing on a date axis). */
function spacedTicks(low: number, high: number, count = 5): number[] {
  if (!(high > low)) return [low];
  return Array.from({ length: count }, (_, i) => low + ((high - low) * i) / (count - 1));
}

function svgOpen(width: number, height: number, title: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${MARGIN.left}" y="20" font-size="13" font-weight="bold">${escapeHtml(title)}</text>`,
  ];
}

/** Space under the plot for a legend row, when there is more than one series. */
function legendSpace(count: number): number {
  return count > 1 ? 18 : 0;
}

/** One row of coloured keys under the plot, left to right. */
function legend(parts: string[], names: readonly string[], colors: readonly string[], height: number): void {
  if (names.length < 2) return;
  let x = MARGIN.left;
  const y = height - 14;
  names.forEach((name, i) => {
    parts.push(
      `<rect x="${x.toFixed(1)}" y="${y}" width="12" height="12" fill="${colors[i]}"/>`,
      `<text x="${(x + 16).toFixed(1)}" y="${y + 10}">${escapeHtml(name)}</text>`,
    );
    x += name.length * 6.2 + 34;
  });
}

function colorOf(index: number, given: string | undefined): string {
  return given ?? CHART_COLORS[index % CHART_COLORS.length]!;
}

/** A line chart of one or more series sharing the axes. */
export function lineChart(options: LineChartOptions): string {
  const width = options.width ?? 860;
  const height = options.height ?? 340;
  const bottom = MARGIN.bottom + legendSpace(options.series.length);
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - bottom;
  const parts = svgOpen(width, height, options.title);
  let xLow = Infinity;
  let xHigh = -Infinity;
  let yLow = Infinity;
  let yHigh = -Infinity;
  for (const s of options.series)
    for (const [x, y] of s.points) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      xLow = Math.min(xLow, x);
      xHigh = Math.max(xHigh, x);
      yLow = Math.min(yLow, y);
      yHigh = Math.max(yHigh, y);
    }
  for (const rule of options.rules ?? []) {
    yLow = Math.min(yLow, rule.value);
    yHigh = Math.max(yHigh, rule.value);
  }
  if (options.area) {
    yLow = Math.min(yLow, 0);
    yHigh = Math.max(yHigh, 0);
  }
  if (!(xHigh >= xLow) || !(yHigh >= yLow)) {
    parts.push(`<text x="${MARGIN.left}" y="${MARGIN.top + 30}">no data to chart</text>`, '</svg>');
    return parts.join('\n') + '\n';
  }
  if (yHigh === yLow) {
    const pad = Math.abs(yHigh) > 0 ? Math.abs(yHigh) * 0.01 : 1;
    yHigh += pad;
    yLow -= pad;
  }
  const xSpan = xHigh > xLow ? xHigh - xLow : 1;
  const xOf = (x: number): number => MARGIN.left + ((x - xLow) / xSpan) * plotWidth;
  const yOf = (y: number): number => MARGIN.top + (1 - (y - yLow) / (yHigh - yLow)) * plotHeight;
  const yFormat = options.yFormat ?? formatValue;
  for (const tick of niceTicks(yLow, yHigh, 5)) {
    const y = yOf(tick).toFixed(1);
    parts.push(
      `<line x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${y}" y2="${y}" stroke="#e6e6e6"/>`,
      `<text x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeHtml(yFormat(tick))}</text>`,
    );
  }
  const axis = options.x ?? 'date';
  const xTicks = axis === 'number' ? niceTicks(xLow, xHigh, 6) : spacedTicks(xLow, xHigh);
  const xFormat =
    options.xFormat ??
    (axis === 'number'
      ? formatValue
      : axis === 'time'
        ? (value: number) => timeLabel(value, xHigh - xLow)
        : (value: number) => dateLabel(value, xHigh - xLow));
  for (const tick of xTicks) {
    const position = xOf(tick);
    const x = position.toFixed(1);
    // Labels at the frame's edges are aligned inwards so they are not cut off.
    const anchor =
      position > width - MARGIN.right - 30 ? 'end' : position < MARGIN.left + 30 ? 'start' : 'middle';
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${height - bottom}" y2="${height - bottom + 4}" stroke="#999"/>`,
      `<text x="${x}" y="${height - bottom + 16}" text-anchor="${anchor}">${escapeHtml(xFormat(tick))}</text>`,
    );
  }
  const colors = options.series.map((s, i) => colorOf(i, s.color));
  options.series.forEach((s, index) => {
    let path = '';
    for (const [x, y] of s.points) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      path += `${path === '' ? 'M' : 'L'}${xOf(x).toFixed(1)},${yOf(y).toFixed(1)}`;
    }
    if (path === '') return;
    const color = colors[index]!;
    if (options.area && index === 0) {
      const first = s.points[0]!;
      const last = s.points[s.points.length - 1]!;
      const zero = yOf(0).toFixed(1);
      parts.push(
        `<path d="M${xOf(first[0]).toFixed(1)},${zero}${path.replace(/^M/, 'L')}L${xOf(last[0]).toFixed(1)},${zero}Z" fill="${color}" fill-opacity="0.25" stroke="none"/>`,
      );
    }
    parts.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="1.4"/>`);
  });
  for (const rule of options.rules ?? []) {
    const y = yOf(rule.value).toFixed(1);
    parts.push(
      `<line x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${y}" y2="${y}" stroke="#555" stroke-dasharray="4 3"/>`,
      `<text x="${width - MARGIN.right - 4}" y="${(Number(y) - 4).toFixed(1)}" text-anchor="end" fill="#333">${escapeHtml(rule.label)}</text>`,
    );
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999"/>`,
  );
  if (options.yLabel)
    parts.push(
      `<text transform="translate(14 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(options.yLabel)}</text>`,
    );
  legend(
    parts,
    options.series.map((s) => s.name),
    colors,
    height,
  );
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** A grouped bar chart: one group per category, one bar per series; bars grow up or down from zero. */
export function barChart(options: BarChartOptions): string {
  const width = options.width ?? 860;
  const height = options.height ?? 340;
  const bottom = MARGIN.bottom + legendSpace(options.series.length);
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - bottom;
  const parts = svgOpen(width, height, options.title);
  let low = 0;
  let high = 0;
  for (const s of options.series)
    for (const v of s.values)
      if (v !== null && Number.isFinite(v)) {
        low = Math.min(low, v);
        high = Math.max(high, v);
      }
  if (options.categories.length === 0 || high === low) {
    parts.push(`<text x="${MARGIN.left}" y="${MARGIN.top + 30}">no data to chart</text>`, '</svg>');
    return parts.join('\n') + '\n';
  }
  // A little headroom, so the tallest bar does not touch the frame.
  low *= 1.05;
  high *= 1.05;
  const ticks = niceTicks(low, high, 5);
  low = Math.min(low, ticks[0]!);
  high = Math.max(high, ticks[ticks.length - 1]!);
  const yOf = (y: number): number => MARGIN.top + (1 - (y - low) / (high - low)) * plotHeight;
  const yFormat = options.yFormat ?? formatValue;
  for (const tick of ticks) {
    const y = yOf(tick).toFixed(1);
    parts.push(
      `<line x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${y}" y2="${y}" stroke="#e6e6e6"/>`,
      `<text x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeHtml(yFormat(tick))}</text>`,
    );
  }
  const group = plotWidth / options.categories.length;
  const barWidth = (group * 0.8) / Math.max(1, options.series.length);
  const colors = options.series.map((s, i) => colorOf(i, s.color));
  const zero = yOf(0);
  options.categories.forEach((category, c) => {
    const left = MARGIN.left + c * group + group * 0.1;
    options.series.forEach((s, i) => {
      const v = s.values[c];
      if (v === null || v === undefined || !Number.isFinite(v)) return;
      const top = Math.min(zero, yOf(v));
      parts.push(
        `<rect x="${(left + i * barWidth).toFixed(1)}" y="${top.toFixed(1)}" width="${Math.max(1, barWidth - 1).toFixed(1)}" height="${Math.abs(yOf(v) - zero).toFixed(1)}" fill="${colors[i]}"><title>${escapeHtml(`${s.name} ${category}: ${yFormat(v)}`)}</title></rect>`,
      );
    });
    parts.push(
      `<text x="${(MARGIN.left + (c + 0.5) * group).toFixed(1)}" y="${height - bottom + 16}" text-anchor="middle">${escapeHtml(category)}</text>`,
    );
  });
  parts.push(
    `<line x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${zero.toFixed(1)}" y2="${zero.toFixed(1)}" stroke="#555"/>`,
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999"/>`,
  );
  if (options.yLabel)
    parts.push(
      `<text transform="translate(14 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(options.yLabel)}</text>`,
    );
  legend(
    parts,
    options.series.map((s) => s.name),
    colors,
    height,
  );
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** Counts of `values` in equal-width bins over their range. */
export function histogramBins(
  values: ArrayLike<number>,
  bins: number,
): { readonly low: number; readonly width: number; readonly counts: number[] } {
  if (!Number.isInteger(bins) || bins < 1)
    throw new RangeError(`bins must be a positive integer, got ${bins}`);
  let low = Infinity;
  let high = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    low = Math.min(low, v);
    high = Math.max(high, v);
  }
  const counts = new Array<number>(bins).fill(0);
  if (!(high >= low)) return { low: 0, width: 1, counts };
  const width = high > low ? (high - low) / bins : 1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    const bin = Math.min(bins - 1, Math.floor((v - low) / width));
    counts[bin] = counts[bin]! + 1;
  }
  return { low, width, counts };
}

/** A histogram of values with optional labelled marker lines. */
export function histogram(options: HistogramOptions): string {
  const width = options.width ?? 860;
  const height = options.height ?? 320;
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const parts = svgOpen(width, height, options.title);
  const n = options.values.length;
  const bins = options.bins ?? Math.min(60, Math.max(10, Math.round(Math.sqrt(n))));
  const { low, width: binWidth, counts } = histogramBins(options.values, bins);
  const most = Math.max(0, ...counts);
  if (most === 0) {
    parts.push(`<text x="${MARGIN.left}" y="${MARGIN.top + 30}">no data to chart</text>`, '</svg>');
    return parts.join('\n') + '\n';
  }
  let xLow = low;
  let xHigh = low + binWidth * bins;
  for (const marker of options.markers ?? []) {
    xLow = Math.min(xLow, marker.value);
    xHigh = Math.max(xHigh, marker.value);
  }
  const xOf = (x: number): number => MARGIN.left + ((x - xLow) / (xHigh - xLow || 1)) * plotWidth;
  const ceiling = most * 1.05;
  const yOf = (count: number): number => MARGIN.top + (1 - count / ceiling) * plotHeight;
  for (const tick of niceTicks(0, most, 4)) {
    const y = yOf(tick).toFixed(1);
    parts.push(
      `<line x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${y}" y2="${y}" stroke="#e6e6e6"/>`,
      `<text x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${tick}</text>`,
    );
  }
  counts.forEach((count, i) => {
    if (count === 0) return;
    const x0 = xOf(low + i * binWidth);
    const x1 = xOf(low + (i + 1) * binWidth);
    parts.push(
      `<rect x="${x0.toFixed(1)}" y="${yOf(count).toFixed(1)}" width="${Math.max(0.5, x1 - x0 - 0.5).toFixed(1)}" height="${(MARGIN.top + plotHeight - yOf(count)).toFixed(1)}" fill="${CHART_COLORS[5]}"/>`,
    );
  });
  const xFormat = options.xFormat ?? formatValue;
  for (const tick of niceTicks(xLow, xHigh, 6)) {
    const x = xOf(tick).toFixed(1);
    parts.push(
      `<text x="${x}" y="${height - MARGIN.bottom + 16}" text-anchor="middle">${escapeHtml(xFormat(tick))}</text>`,
    );
  }
  (options.markers ?? []).forEach((marker, i) => {
    const x = xOf(marker.value).toFixed(1);
    const color = colorOf(i, marker.color);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" stroke="${color}" stroke-width="1.5" stroke-dasharray="5 3"/>`,
      `<text x="${(Number(x) + 4).toFixed(1)}" y="${MARGIN.top + 14 + 14 * i}" fill="${color}">${escapeHtml(marker.label)}</text>`,
    );
  });
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999"/>`,
    '</svg>',
  );
  return parts.join('\n') + '\n';
}

export interface TableOptions {
  /** Columns in order; default the keys of the first row. */
  readonly columns?: readonly string[];
  /** How a cell is shown; default numbers by `formatValue`, null and undefined as `–`, the rest as text. */
  readonly format?: (value: unknown, column: string) => string;
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'number') return formatValue(value);
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** An HTML table of plain objects (numbers right-aligned). */
export function htmlTable(
  rows: readonly Readonly<Record<string, unknown>>[],
  options: TableOptions = {},
): string {
  const columns = options.columns ?? Object.keys(rows[0] ?? {});
  const format = options.format ?? cellText;
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = rows
    .map((row) => {
      const cells = columns.map((c) => {
        const value = row[c];
        const align = typeof value === 'number' ? ' style="text-align:right"' : '';
        return `<td${align}>${escapeHtml(format(value, c))}</td>`;
      });
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  return `<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}
