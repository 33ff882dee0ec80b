// The market-data recording: what the feeds published (ticks, books, candles), one JSON line per message, in
// a folder per UTC day (`<dir>/<YYYY-MM-DD>/ticks.jsonl`, `books.jsonl`, `candles.jsonl`). The day's replay
// (`hf backtest --date`), TCA markouts and the daily report read it back. Order flow is in the store's event
// log, not here.

import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Bus, Subscription } from '../common/bus.ts';
import type { Logger } from '../common/logging.ts';
import { Streams } from '../common/topics.ts';
import type { Bar, BookSnapshot, MarketData, Tick } from '../model/index.ts';

export type RecordingKind = 'ticks' | 'books' | 'candles';
const KINDS: readonly RecordingKind[] = ['ticks', 'books', 'candles'];
const DAY_MICROS = 86_400_000_000;
const DAY_FOLDER = /^\d{4}-\d{2}-\d{2}$/;

export function dayOf(tsMicros: number): string {
  return new Date(Math.floor(tsMicros / 1000)).toISOString().slice(0, 10);
}

export interface MarketRecorderOptions {
  readonly dir: string;
  readonly bus: Bus;
  /** Candle timeframes to record (the `candles.<tf>` streams). */
  readonly candleTimeframes?: readonly string[];
  /** Flush buffered lines at least this often (ms) and whenever a buffer passes 256 KiB. */
  readonly flushMillis?: number;
  readonly logger?: Logger;
}

/** Subscribes to the market-data streams and appends each message to its day's file, in batches. */
export class MarketRecorder {
  private readonly buffers = new Map<string, string[]>();
  private readonly sizes = new Map<string, number>();
  private readonly subscriptions: Subscription[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly madeDirs = new Set<string>();
  recorded = 0;
  writeErrors = 0;

  constructor(private readonly options: MarketRecorderOptions) {}

  start(): void {
    const { bus } = this.options;
    this.subscriptions.push(
      bus.subscribe(Streams.ticks, 'recorder', (t: Tick) => this.add('ticks', t.tsEvent, t)),
      bus.subscribe(Streams.books, 'recorder', (b: BookSnapshot) => this.add('books', b.tsEvent, b)),
    );
    for (const tf of this.options.candleTimeframes ?? [])
      this.subscriptions.push(
        bus.subscribe(Streams.candles(tf), 'recorder', (b: Bar) => this.add('candles', b.tsEvent, b)),
      );
    this.timer = setInterval(() => this.flush(), this.options.flushMillis ?? 250);
    this.timer.unref();
  }

  stop(): void {
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions.length = 0;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
  }

  private add(kind: RecordingKind, ts: number, message: MarketData): void {
    const file = join(this.options.dir, dayOf(ts), `${kind}.jsonl`);
    let buffer = this.buffers.get(file);
    if (!buffer) {
      buffer = [];
      this.buffers.set(file, buffer);
    }
    const line = JSON.stringify(message);
    buffer.push(line);
    const size = (this.sizes.get(file) ?? 0) + line.length;
    this.sizes.set(file, size);
    this.recorded++;
    if (size > 256 * 1024) this.flushFile(file, buffer);
  }

  /** Writes every buffered line (synchronously: a stop never loses the tail). */
  flush(): void {
    for (const [file, buffer] of this.buffers) if (buffer.length > 0) this.flushFile(file, buffer);
  }

  private flushFile(file: string, buffer: string[]): void {
    const folder = join(file, '..');
    try {
      if (!this.madeDirs.has(folder)) {
        mkdirSync(folder, { recursive: true });
        this.madeDirs.add(folder);
      }
      appendFileSync(file, buffer.join('\n') + '\n');
    } catch (error) {
      this.writeErrors++;
      this.options.logger?.error('recording not written', { file, error: String(error) });
    }
    buffer.length = 0;
    this.sizes.set(file, 0);
  }
}

/** The days a recording folder holds, oldest first. */
export function recordedDays(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((d) => DAY_FOLDER.test(d))
    .sort();
}

/** A recorded line the reader could not parse, with where it is. */
export interface RecordingProblem {
  readonly file: string;
  readonly line: number;
  readonly problem: string;
}

/**
 * Reads one day's recorded messages of `kinds`, merged in time order (each file is in publish order; files are
 * merged by tsEvent). Unparseable lines are skipped and reported through `problems`.
 */
export function* readRecording(
  dir: string,
  day: string,
  kinds: readonly RecordingKind[] = KINDS,
  problems: RecordingProblem[] = [],
): Generator<MarketData> {
  const iterators = kinds
    .map((kind) => join(dir, day, `${kind}.jsonl`))
    .filter((file) => existsSync(file))
    .map((file) => jsonLines(file, problems));
  const heads = iterators.map((it) => it.next());
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i]!;
      if (!h.done && (best < 0 || h.value.tsEvent < (heads[best]!.value as MarketData).tsEvent)) best = i;
    }
    if (best < 0) return;
    yield heads[best]!.value as MarketData;
    heads[best] = iterators[best]!.next();
  }
}

function* jsonLines(file: string, problems: RecordingProblem[]): Generator<MarketData> {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    const decoder = new StringDecoder('utf8');
    let carry = '';
    let lineNumber = 0;
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      const text = carry + (n > 0 ? decoder.write(buffer.subarray(0, n)) : decoder.end());
      const lines = text.split('\n');
      carry = n > 0 ? (lines.pop() ?? '') : '';
      for (const line of lines) {
        lineNumber++;
        if (line.length === 0) continue;
        try {
          const message = JSON.parse(line) as MarketData;
          if (typeof message.tsEvent !== 'number' || typeof message.instrumentId !== 'string')
            throw new Error('not a market-data message');
          yield message;
        } catch (error) {
          problems.push({ file, line: lineNumber, problem: (error as Error).message });
        }
      }
      if (n === 0) break;
    }
  } finally {
    closeSync(fd);
  }
}

/** [start, end) of a UTC day `YYYY-MM-DD` in unix µs, or undefined when it is not a date. */
export function dayRange(day: string): { start: number; end: number } | undefined {
  if (!DAY_FOLDER.test(day)) return undefined;
  const start = Date.parse(`${day}T00:00:00Z`) * 1000;
  if (Number.isNaN(start) || dayOf(start) !== day) return undefined;
  return { start, end: start + DAY_MICROS };
}
