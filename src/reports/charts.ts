// Time-series line charts as standalone SVG (no scripts, no images): the report's equity and drawdown, written
// as .svg files beside the Markdown and inlined in the HTML the PDF is printed from.

import { escapeHtml } from './format.ts';

export interface ChartPoint {
  readonly time: number;
  readonly value: number;
}

export interface LineChartOptions {
  readonly title: string;
  /** Ascending by time (unix µs). */
  readonly points: readonly ChartPoint[];
  readonly formatValue: (value: number) => string;
  readonly width?: number;
  readonly height?: number;
  readonly color?: string;
  /** Shade the area between the line and zero (a drawdown). */
  readonly shadeToZero?: boolean;
}

const MARGIN = { left: 92, right: 18, top: 30, bottom: 30 } as const;
const TIME_STEPS_SECONDS = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
];

/** About `count` round tick values covering [low, high] (steps of 1, 2 or 5 × 10ⁿ). */
export function niceTicks(low: number, high: number, count = 5): number[] {
  if (!(high > low)) return [low];
  const raw = (high - low) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let tick = Math.ceil(low / step) * step; tick <= high + step * 1e-9; tick += step)
    ticks.push(Math.abs(tick) < step * 1e-9 ? 0 : tick);
  return ticks;
}

/** Round UTC times (unix µs) for the time axis, at most about six. */
function timeTicks(start: number, end: number): { ticks: number[]; seconds: number } {
  const spanSeconds = (end - start) / 1e6;
  const seconds = TIME_STEPS_SECONDS.find((s) => spanSeconds / s <= 6) ?? 86400;
  const step = seconds * 1e6;
  const ticks: number[] = [];
  for (let tick = Math.ceil(start / step) * step; tick <= end; tick += step) ticks.push(tick);
  return { ticks, seconds };
}

function timeLabel(micros: number, stepSeconds: number): string {
  const text = new Date(Math.floor(micros / 1000)).toISOString();
  return stepSeconds >= 60 ? text.slice(11, 16) : text.slice(11, 19);
}

/**
 * At most two points per pixel column (its lowest and highest, in time order), so a long day stays a small
 * file and keeps its extremes.
 */
function thin(points: readonly ChartPoint[], columns: number, start: number, span: number): ChartPoint[] {
  if (points.length <= columns * 2) return [...points];
  const out: ChartPoint[] = [];
  let column = -1;
  let low: ChartPoint | undefined;
  let high: ChartPoint | undefined;
  const flush = (): void => {
    if (low === undefined || high === undefined) return;
    if (low === high) out.push(low);
    else if (low.time <= high.time) out.push(low, high);
    else out.push(high, low);
  };
  for (const point of points) {
    const c = span > 0 ? Math.floor(((point.time - start) / span) * columns) : 0;
    if (c !== column) {
      flush();
      column = c;
      low = point;
      high = point;
    } else {
      if (point.value < (low as ChartPoint).value) low = point;
      if (point.value > (high as ChartPoint).value) high = point;
    }
  }
  flush();
  return out;
}

const round = (value: number): string => (Math.round(value * 10) / 10).toString();

/** A line chart of `points` over time with value and UTC time axes. */
export function lineChartSvg(options: LineChartOptions): string {
  const width = options.width ?? 720;
  const height = options.height ?? 240;
  const color = options.color ?? '#1f5fa8';
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const title = escapeHtml(options.title);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11" role="img" aria-label="${title}">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="18" font-size="13" font-weight="bold" fill="#222">${title}</text>`,
  ];
  const points = options.points.filter((p) => Number.isFinite(p.time) && Number.isFinite(p.value));
  if (points.length === 0) {
    parts.push(
      `<text x="${width / 2}" y="${height / 2}" text-anchor="middle" fill="#888">no data</text>`,
      '</svg>',
    );
    return parts.join('\n');
  }
  const start = (points[0] as ChartPoint).time;
  const end = (points[points.length - 1] as ChartPoint).time;
  let low = Infinity;
  let high = -Infinity;
  for (const point of points) {
    low = Math.min(low, point.value);
    high = Math.max(high, point.value);
  }
  if (options.shadeToZero) {
    low = Math.min(low, 0);
    high = Math.max(high, 0);
  }
  if (high - low < 1e-9) {
    const pad = Math.max(Math.abs(high) * 1e-4, 0.01);
    low -= pad;
    high += pad;
  } else {
    const pad = (high - low) * 0.06;
    low -= options.shadeToZero && low === 0 ? 0 : pad;
    high += options.shadeToZero && high === 0 ? 0 : pad;
  }
  const span = end - start;
  const x = (time: number): number =>
    MARGIN.left + (span > 0 ? ((time - start) / span) * plotWidth : plotWidth / 2);
  const y = (value: number): number => MARGIN.top + ((high - value) / (high - low)) * plotHeight;

  for (const tick of niceTicks(low, high)) {
    const ty = round(y(tick));
    parts.push(
      `<line x1="${MARGIN.left}" y1="${ty}" x2="${width - MARGIN.right}" y2="${ty}" stroke="#e3e3e3"/>`,
      `<text x="${MARGIN.left - 6}" y="${ty}" dy="4" text-anchor="end" fill="#444">${escapeHtml(options.formatValue(tick))}</text>`,
    );
  }
  const time = timeTicks(start, end);
  for (const tick of time.ticks) {
    const tx = x(tick);
    // A label near either end of the axis is anchored inside the chart rather than centred on its tick.
    const anchor = tx - MARGIN.left < 30 ? 'start' : MARGIN.left + plotWidth - tx < 30 ? 'end' : 'middle';
    parts.push(
      `<line x1="${round(tx)}" y1="${MARGIN.top}" x2="${round(tx)}" y2="${MARGIN.top + plotHeight}" stroke="#f0f0f0"/>`,
      `<text x="${round(tx)}" y="${height - 10}" text-anchor="${anchor}" fill="#444">${timeLabel(tick, time.seconds)}</text>`,
    );
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999"/>`,
    `<text x="${MARGIN.left - 6}" y="${height - 10}" text-anchor="end" fill="#888" font-size="9">UTC</text>`,
  );

  const drawn = thin(points, plotWidth, start, span);
  const coordinates = drawn.map((p) => `${round(x(p.time))},${round(y(p.value))}`).join(' ');
  if (options.shadeToZero && drawn.length > 1) {
    const zero = round(y(0));
    parts.push(
      `<polygon points="${round(x(start))},${zero} ${coordinates} ${round(x(end))},${zero}" fill="${color}" fill-opacity="0.18" stroke="none"/>`,
    );
  }
  if (drawn.length === 1)
    parts.push(
      `<circle cx="${round(x(start))}" cy="${round(y((points[0] as ChartPoint).value))}" r="3" fill="${color}"/>`,
    );
  else parts.push(`<polyline points="${coordinates}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
  parts.push('</svg>');
  return parts.join('\n');
}
