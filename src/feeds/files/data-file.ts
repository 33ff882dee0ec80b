// Recorded market data files (Yahoo daily CSV, intraday bar CSV, tick CSV) read as a stream of bars and ticks:
// constant memory whatever the file length, every bad row reported with file, line and problem.
//
// Formats (detected from the header when `format` is `auto`):
// - `yahoo`: `Date,Open,High,Low,Close,Adj Close,Volume`, one daily bar per row (dates `YYYY-MM-DD`).
// - `bars-csv`: `Date,Time,Open,High,Low,Close,Volume[,OpenInterest]` or `Datetime,Open,High,Low,Close,Volume[,…]`;
//   the timeframe is the smallest step between the first rows unless given.
// - `ticks-csv`: trades `Datetime,Price,Volume` (or `Datetime,Open,High,Low,Close,Volume,…`, price = Close), or
//   quotes `Timestamp,Bid,Ask` (dates `YYYY-MM-DD…` or `dd/mm/yyyy hh:mm:ss`).
//
// Timestamps are UTC. A bar's tsEvent is its close: for daily bars the last microsecond of the day, for intraday
// bars the row's time (`barTime: 'close'`, the default) or the row's time plus the timeframe (`barTime: 'open'`).

import { closeSync, openSync, readSync } from 'node:fs';
import { timeframeMicros } from '../../marketdata/config.ts';
import type { Bar, InstrumentId, QuoteTick, TradeTick } from '../../model/index.ts';

export type DataFileFormat = 'yahoo' | 'bars-csv' | 'ticks-csv';
export type RecordedData = Bar | TradeTick | QuoteTick;

const DAY_MICROS = 86_400_000_000;
const CHUNK_BYTES = 1 << 20;

/** A row the reader could not use, with where it is. */
export class DataFileError extends Error {
  readonly code = 'DATA_FILE_INVALID';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super(`${file}:${line}: ${problem}`);
    this.name = 'DataFileError';
  }
}

export interface DataFileOptions {
  readonly instrumentId: InstrumentId;
  readonly format?: DataFileFormat | 'auto';
  /** Bar timeframe such as `1m`; inferred from the data when absent. */
  readonly timeframe?: string;
  /** Whether an intraday bar row is stamped with the bar's open or close time. Default `close`. */
  readonly barTime?: 'open' | 'close';
  /** Stop at the first bad row (throws DataFileError) instead of skipping and counting it. */
  readonly strict?: boolean;
  /** Keep only data whose tsEvent is in [from, to) (unix µs). */
  readonly from?: number;
  readonly to?: number;
}

/** What a read found, filled in as the stream is consumed. */
export interface DataFileSummary {
  readonly file: string;
  format: DataFileFormat | undefined;
  timeframe: string | undefined;
  rows: number;
  emitted: number;
  skipped: number;
  /** Rows outside [from, to). */
  outOfRange: number;
  /** Skipped rows by problem, and the first few in full. */
  readonly problems: Map<string, number>;
  readonly firstProblems: DataFileError[];
  firstTime: number | undefined;
  lastTime: number | undefined;
  /** Bytes of the file read so far (for progress). */
  bytesRead: number;
}

/** Reads `path` line by line in 1 MiB chunks, synchronously (the backtest loop is synchronous too). */
export function* readLines(path: string, progress?: { bytesRead: number }): Generator<string> {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let carry = '';
    for (;;) {
      const n = readSync(fd, buffer, 0, CHUNK_BYTES, null);
      if (n === 0) break;
      if (progress) progress.bytesRead += n;
      const text = carry + buffer.toString('latin1', 0, n);
      let start = 0;
      for (;;) {
        const end = text.indexOf('\n', start);
        if (end < 0) break;
        yield text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
        start = end + 1;
      }
      carry = text.slice(start);
    }
    if (carry.length > 0) yield carry.charCodeAt(carry.length - 1) === 13 ? carry.slice(0, -1) : carry;
  } finally {
    closeSync(fd);
  }
}

type Layout =
  | { kind: 'yahoo' }
  | { kind: 'bars'; dateCol: number; timeCol: number; first: number } // timeCol -1: a combined datetime
  | { kind: 'trades'; price: number; volume: number }
  | { kind: 'quotes' };

function detect(header: string, format: DataFileFormat | 'auto', file: string): Layout {
  const cols = header
    .toLowerCase()
    .split(',')
    .map((c) => c.trim());
  const name = (i: number): string => cols[i] ?? '';
  const isYahoo = cols.length >= 6 && name(0) === 'date' && name(1) === 'open' && name(5).startsWith('adj');
  const isDateTimeBars = name(0) === 'date' && name(1) === 'time' && name(2) === 'open';
  const isDateBars = name(0) === 'date' && name(1) === 'open' && !isYahoo;
  const isDatetimeBars = ['datetime', 'timestamp'].includes(name(0)) && name(1) === 'open';
  const isQuotes = name(1) === 'bid' && name(2) === 'ask';
  const isTrades = ['price', 'last', 'close'].includes(name(1));
  const expected = (what: string) =>
    new DataFileError(file, 1, `header "${header.trim()}" is not a ${what} header`);
  const barsLayout = (): Layout | undefined => {
    if (isDateTimeBars) return { kind: 'bars', dateCol: 0, timeCol: 1, first: 2 };
    if (isDatetimeBars || isDateBars) return { kind: 'bars', dateCol: 0, timeCol: -1, first: 1 };
    return undefined;
  };
  switch (format) {
    case 'yahoo':
      if (!isYahoo) throw expected('Yahoo (Date,Open,High,Low,Close,Adj Close,Volume)');
      return { kind: 'yahoo' };
    case 'bars-csv': {
      const layout = barsLayout() ?? (isYahoo ? { kind: 'yahoo' as const } : undefined);
      if (!layout) throw expected('bar (Date,Time,Open,High,Low,Close,Volume or Datetime,Open,…)');
      return layout;
    }
    case 'ticks-csv':
      if (isQuotes) return { kind: 'quotes' };
      if (isTrades) return { kind: 'trades', price: 1, volume: 2 };
      if (isDatetimeBars) return { kind: 'trades', price: 4, volume: 5 };
      throw expected('tick (Datetime,Price,Volume or Timestamp,Bid,Ask)');
    case 'auto': {
      if (isYahoo) return { kind: 'yahoo' };
      const bars = barsLayout();
      if (bars) return bars;
      if (isQuotes) return { kind: 'quotes' };
      if (isTrades) return { kind: 'trades', price: 1, volume: 2 };
      throw new DataFileError(file, 1, `unrecognised header "${header.trim()}": give --format`);
    }
  }
}

/**
 * Parses `YYYY-MM-DD`, `YYYY-MM-DD[T ]hh:mm[:ss[.ffffff]]`, `YYYYMMDD` or `dd/mm/yyyy[ hh:mm:ss]` as UTC unix µs.
 * Returns NaN when the text is none of these. `time` (a separate column `hh:mm[:ss]`) is added when given.
 */
export function parseTimestamp(text: string, time?: string): number {
  const t = text.trim();
  let year: number;
  let month: number;
  let day: number;
  let rest: string;
  if (t.length >= 10 && t[4] === '-' && t[7] === '-') {
    year = digitsAt(t, 0, 4);
    month = digitsAt(t, 5, 2);
    day = digitsAt(t, 8, 2);
    rest = t.slice(10);
  } else if (t.length >= 10 && t[2] === '/' && t[5] === '/') {
    day = digitsAt(t, 0, 2);
    month = digitsAt(t, 3, 2);
    year = digitsAt(t, 6, 4);
    rest = t.slice(10);
  } else if (t.length === 8) {
    year = digitsAt(t, 0, 4);
    month = digitsAt(t, 4, 2);
    day = digitsAt(t, 6, 2);
    rest = '';
  } else return NaN;
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= 31)) return NaN;
  let micros = Date.UTC(year, month - 1, day) * 1000;
  if (new Date(micros / 1000).getUTCDate() !== day) return NaN; // 2023-02-30
  if (time !== undefined) rest = 'T' + time.trim();
  if (rest.length > 0) {
    if (rest[0] !== 'T' && rest[0] !== ' ') return NaN;
    const clock = timeOfDayMicros(rest.slice(1));
    if (Number.isNaN(clock)) return NaN;
    micros += clock;
  }
  return micros;
}

/** `hh:mm[:ss[.fraction]][Z]` → µs since midnight, or NaN. */
function timeOfDayMicros(text: string): number {
  return timeOfDayAt(text, 0, text.length);
}

/** The timeframe label for a step in µs (`1d`, `5m`, `30s`), the coarsest unit that divides it. */
export function timeframeOf(stepMicros: number): string {
  const units: [string, number][] = [
    ['d', DAY_MICROS],
    ['h', 3_600_000_000],
    ['m', 60_000_000],
    ['s', 1_000_000],
  ];
  for (const [unit, size] of units)
    if (stepMicros >= size && stepMicros % size === 0) return `${stepMicros / size}${unit}`;
  return '1s';
}

export function emptySummary(file: string): DataFileSummary {
  return {
    file,
    format: undefined,
    timeframe: undefined,
    rows: 0,
    emitted: 0,
    skipped: 0,
    outOfRange: 0,
    problems: new Map(),
    firstProblems: [],
    firstTime: undefined,
    lastTime: undefined,
    bytesRead: 0,
  };
}

const MAX_FIELDS = 16;
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * The fields of one CSV line as offsets into it, read without splitting or slicing: the hot path of a replay
 * parses millions of rows. Numbers with at most 15 digits are read exactly (an integer divided by a power of
 * ten is correctly rounded, the same double as `Number(text)`); anything else falls back to `Number`.
 */
class FieldScanner {
  line = '';
  count = 0;
  private readonly starts = new Int32Array(MAX_FIELDS);
  private readonly ends = new Int32Array(MAX_FIELDS);
  private cachedDayKey = -1;
  private cachedDayMicros = NaN;

  scan(line: string): void {
    this.line = line;
    let start = 0;
    let n = 0;
    for (;;) {
      const comma = line.indexOf(',', start);
      const end = comma < 0 ? line.length : comma;
      if (n < MAX_FIELDS) {
        this.starts[n] = start;
        this.ends[n] = end;
      }
      n++;
      if (comma < 0) break;
      start = comma + 1;
    }
    this.count = n;
  }

  text(i: number): string {
    return i < this.count && i < MAX_FIELDS ? this.line.slice(this.starts[i], this.ends[i]).trim() : '';
  }

  isEmpty(i: number): boolean {
    return i >= this.count || this.text(i).length === 0;
  }

  number(i: number): number {
    if (i >= this.count || i >= MAX_FIELDS) return NaN;
    const line = this.line;
    let p = this.starts[i]!;
    const end = this.ends[i]!;
    if (p >= end) return NaN;
    let negative = false;
    let c = line.charCodeAt(p);
    if (c === 45) {
      negative = true;
      p++;
    }
    let mantissa = 0;
    let digits = 0;
    let decimals = -1;
    for (; p < end; p++) {
      c = line.charCodeAt(p);
      if (c >= 48 && c <= 57) {
        mantissa = mantissa * 10 + (c - 48);
        digits++;
        if (decimals >= 0) decimals++;
      } else if (c === 46 && decimals < 0) decimals = 0;
      else return Number(line.slice(this.starts[i], end));
    }
    if (digits === 0) return NaN;
    if (digits > 15) return Number(line.slice(this.starts[i], end));
    const value = decimals > 0 ? mantissa / POW10[decimals]! : mantissa;
    return negative ? -value : value;
  }

  /** Field `i` as a timestamp (see parseTimestamp); `YYYY-MM-DD[Thh:mm:ss[.f]]` without allocating. */
  timestamp(i: number): number {
    if (i >= this.count || i >= MAX_FIELDS) return NaN;
    const line = this.line;
    const start = this.starts[i]!;
    const end = this.ends[i]!;
    const length = end - start;
    if (length >= 10 && line.charCodeAt(start + 4) === 45 && line.charCodeAt(start + 7) === 45) {
      const day = this.day(line, start);
      if (length === 10) return day;
      const separator = line.charCodeAt(start + 10);
      if (separator !== 84 && separator !== 32) return NaN;
      return day + timeOfDayAt(line, start + 11, end);
    }
    return parseTimestamp(line.slice(start, end));
  }

  /** Field `i` as a time of day `hh:mm[:ss[.f]]` in µs. */
  timeOfDay(i: number): number {
    if (i >= this.count || i >= MAX_FIELDS) return NaN;
    return timeOfDayAt(this.line, this.starts[i]!, this.ends[i]!);
  }

  private day(line: string, start: number): number {
    const year = digitsAt(line, start, 4);
    const month = digitsAt(line, start + 5, 2);
    const day = digitsAt(line, start + 8, 2);
    const key = year * 10_000 + month * 100 + day;
    if (key === this.cachedDayKey) return this.cachedDayMicros;
    this.cachedDayKey = key;
    this.cachedDayMicros = Number.isNaN(key) ? NaN : parseTimestamp(line.slice(start, start + 10));
    return this.cachedDayMicros;
  }
}

function digitsAt(text: string, start: number, length: number): number {
  let value = 0;
  for (let i = start; i < start + length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    value = value * 10 + c;
  }
  return value;
}

/** `hh:mm[:ss[.fraction]][Z]` between start and end → µs since midnight, or NaN. */
function timeOfDayAt(text: string, start: number, end: number): number {
  while (start < end && text.charCodeAt(start) === 32) start++;
  while (end > start && text.charCodeAt(end - 1) === 32) end--;
  if (end > start && text.charCodeAt(end - 1) === 90) end--; // Z
  const length = end - start;
  if (length < 5 || text.charCodeAt(start + 2) !== 58) return NaN;
  const hours = digitsAt(text, start, 2);
  const minutes = digitsAt(text, start + 3, 2);
  let seconds = 0;
  let fraction = 0;
  if (length > 5) {
    if (text.charCodeAt(start + 5) !== 58 || length < 8) return NaN;
    seconds = digitsAt(text, start + 6, 2);
    if (length > 8) {
      if (text.charCodeAt(start + 8) !== 46) return NaN;
      const n = Math.min(6, length - 9);
      if (n <= 0) return NaN;
      fraction = digitsAt(text, start + 9, n) * 10 ** (6 - n);
    }
  }
  if (!(hours < 24 && minutes < 60 && seconds < 61) || Number.isNaN(fraction)) return NaN;
  return ((hours * 60 + minutes) * 60 + seconds) * 1_000_000 + fraction;
}

function isBlank(line: string): boolean {
  return line.length === 0 || (line.charCodeAt(0) <= 32 && line.trim().length === 0);
}

/** How many rows the timeframe inference looks at before the first bar is emitted. */
const INFER_ROWS = 64;

/**
 * Streams the bars or ticks of one file. Bad rows (unparseable, non-positive or inconsistent prices, timestamps
 * not after the previous row's) are skipped and counted in `summary`, or thrown with `strict`.
 */
export function* readDataFile(
  path: string,
  options: DataFileOptions,
  summary: DataFileSummary = emptySummary(path),
): Generator<RecordedData> {
  const file = path;
  const lines = readLines(path, summary);
  const headerResult = lines.next();
  if (headerResult.done) throw new DataFileError(file, 1, 'the file is empty');
  const layout = detect(headerResult.value, options.format ?? 'auto', file);
  summary.format = layout.kind === 'yahoo' ? 'yahoo' : layout.kind === 'bars' ? 'bars-csv' : 'ticks-csv';
  const id = options.instrumentId;
  const from = options.from ?? -Infinity;
  const to = options.to ?? Infinity;
  let lineNumber = 1;
  let previous = -Infinity;

  const problem = (text: string): void => {
    const error = new DataFileError(file, lineNumber, text);
    if (options.strict) throw error;
    summary.skipped++;
    summary.problems.set(text, (summary.problems.get(text) ?? 0) + 1);
    if (summary.firstProblems.length < 10) summary.firstProblems.push(error);
  };
  const inRange = (ts: number): boolean => {
    if (ts < from || ts >= to) {
      summary.outOfRange++;
      return false;
    }
    return true;
  };

  const f = new FieldScanner();
  if (layout.kind === 'trades' || layout.kind === 'quotes') {
    for (const line of lines) {
      lineNumber++;
      if (isBlank(line)) continue;
      summary.rows++;
      f.scan(line);
      const ts = f.timestamp(0);
      if (Number.isNaN(ts)) {
        problem(`unreadable timestamp "${f.text(0)}"`);
        continue;
      }
      if (ts < previous) {
        problem('timestamp before the previous row (the file must be sorted)');
        continue;
      }
      if (layout.kind === 'quotes') {
        const bid = f.number(1);
        const ask = f.number(2);
        if (!(bid > 0 && ask > 0 && Number.isFinite(bid) && Number.isFinite(ask))) {
          problem('bid and ask must be positive numbers');
          continue;
        }
        if (bid > ask) {
          problem('bid above ask (crossed quote)');
          continue;
        }
        previous = ts;
        if (!inRange(ts)) continue;
        summary.firstTime ??= ts;
        summary.lastTime = ts;
        summary.emitted++;
        const quote: QuoteTick = {
          type: 'quote',
          instrumentId: id,
          bid,
          ask,
          bidSize: 0,
          askSize: 0,
          tsEvent: ts,
          tsInit: ts,
        };
        yield quote;
      } else {
        const price = f.number(layout.price);
        const size = f.number(layout.volume);
        if (!(price > 0 && Number.isFinite(price))) {
          problem('price must be a positive number');
          continue;
        }
        if (!(size >= 0 && Number.isFinite(size))) {
          problem('volume must be a number ≥ 0');
          continue;
        }
        previous = ts;
        if (!inRange(ts)) continue;
        summary.firstTime ??= ts;
        summary.lastTime = ts;
        summary.emitted++;
        const trade: TradeTick = {
          type: 'trade',
          instrumentId: id,
          price,
          size,
          aggressor: 'unknown',
          tsEvent: ts,
          tsInit: ts,
        };
        yield trade;
      }
    }
    summary.timeframe = undefined;
    return;
  }

  // Bars: rows are parsed into a small look-ahead buffer until the timeframe is known, then streamed.
  const daily = layout.kind === 'yahoo';
  let first = layout.kind === 'yahoo' ? 1 : layout.first;
  let volumeCol = layout.kind === 'yahoo' ? 6 : first + 4;
  let timeCol = layout.kind === 'bars' ? layout.timeCol : -1;
  const headerFields = headerResult.value.split(',').length;
  let checkedShape = false;
  const barTime = options.barTime ?? 'close';
  let timeframe = options.timeframe ?? (daily ? '1d' : undefined);
  let step = timeframe === undefined ? undefined : timeframeMicros(timeframe);
  if (timeframe !== undefined && step === undefined)
    throw new DataFileError(file, 1, `timeframe "${timeframe}" is not like 1m, 5m, 1h, 1d`);
  const pending: { stamp: number; o: number; h: number; l: number; c: number; v: number }[] = [];
  let smallestStep = Infinity;
  let lastStamp = -Infinity;

  const makeBar = (stamp: number, o: number, h: number, l: number, c: number, v: number): Bar | undefined => {
    const close =
      daily || (step !== undefined && step >= DAY_MICROS)
        ? stamp + DAY_MICROS - 1
        : barTime === 'open'
          ? stamp + (step ?? 0)
          : stamp;
    if (close <= previous) {
      problem('timestamp not after the previous row (the file must be sorted, without duplicates)');
      return undefined;
    }
    previous = close;
    if (!inRange(close)) return undefined;
    summary.firstTime ??= close;
    summary.lastTime = close;
    summary.emitted++;
    return {
      type: 'bar',
      instrumentId: id,
      timeframe: timeframe ?? '1d',
      open: o,
      high: h,
      low: l,
      close: c,
      volume: v,
      tsEvent: close,
      tsInit: close,
    };
  };

  for (const line of lines) {
    lineNumber++;
    if (isBlank(line)) continue;
    summary.rows++;
    f.scan(line);
    let stamp: number;
    if (!checkedShape) {
      checkedShape = true;
      // Some exports (e.g. the sample minute file) keep a `Date,Open,…` header over `date,time,open,…` rows.
      if (
        layout.kind === 'bars' &&
        timeCol < 0 &&
        f.count === headerFields + 1 &&
        /^\d\d:\d\d/.test(f.text(1))
      ) {
        timeCol = 1;
        first = 2;
        volumeCol = 6;
      }
    }
    if (timeCol >= 0) stamp = f.timestamp(0) + f.timeOfDay(timeCol);
    else stamp = f.timestamp(0);
    if (Number.isNaN(stamp)) {
      problem(`unreadable date/time "${timeCol >= 0 ? `${f.text(0)} ${f.text(timeCol)}` : f.text(0)}"`);
      continue;
    }
    const o = f.number(first);
    const h = f.number(first + 1);
    const l = f.number(first + 2);
    const c = f.number(first + 3);
    const v = f.isEmpty(volumeCol) ? 0 : f.number(volumeCol);
    if (!(o > 0 && h > 0 && l > 0 && c > 0) || !Number.isFinite(o + h + l + c)) {
      problem('open, high, low and close must be positive numbers');
      continue;
    }
    if (!(v >= 0 && Number.isFinite(v))) {
      problem('volume must be a number ≥ 0');
      continue;
    }
    if (h < l || h < o || h < c || l > o || l > c) {
      problem('high/low do not contain open and close');
      continue;
    }
    if (step === undefined) {
      if (stamp > lastStamp && lastStamp > -Infinity)
        smallestStep = Math.min(smallestStep, stamp - lastStamp);
      if (stamp > lastStamp) lastStamp = stamp;
      pending.push({ stamp, o, h, l, c, v });
      if (pending.length < INFER_ROWS) continue;
      step = Number.isFinite(smallestStep) ? smallestStep : DAY_MICROS;
      timeframe = timeframeOf(step);
      summary.timeframe = timeframe;
      for (const p of pending) {
        const bar = makeBar(p.stamp, p.o, p.h, p.l, p.c, p.v);
        if (bar) yield bar;
      }
      pending.length = 0;
      continue;
    }
    const bar = makeBar(stamp, o, h, l, c, v);
    if (bar) yield bar;
  }
  if (step === undefined) {
    step = Number.isFinite(smallestStep) ? smallestStep : DAY_MICROS;
    timeframe = timeframeOf(step);
    for (const p of pending) {
      const bar = makeBar(p.stamp, p.o, p.h, p.l, p.c, p.v);
      if (bar) yield bar;
    }
  }
  summary.timeframe = timeframe;
}

/**
 * Merges several time-ordered streams into one, by tsEvent; equal times keep the order of `streams`.
 * One pending item per stream: memory does not grow with the data.
 */
export function* mergeByTime<T extends { readonly tsEvent: number }>(
  streams: readonly Iterator<T>[],
): Generator<T> {
  if (streams.length === 1) {
    const only = streams[0]!;
    for (let r = only.next(); !r.done; r = only.next()) yield r.value;
    return;
  }
  const heads: (T | undefined)[] = streams.map((s) => {
    const r = s.next();
    return r.done ? undefined : r.value;
  });
  for (;;) {
    let best = -1;
    let bestTime = Infinity;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h !== undefined && h.tsEvent < bestTime) {
        best = i;
        bestTime = h.tsEvent;
      }
    }
    if (best < 0) return;
    const value = heads[best]!;
    const r = streams[best]!.next();
    heads[best] = r.done ? undefined : r.value;
    yield value;
  }
}
