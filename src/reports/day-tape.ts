// One day's recorded market tape, read in one pass: per instrument a mark series (equity over the day, the
// closing marks) and, inside the windows transaction cost analysis looks at, the quotes and trades.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TapeQuote, TapeTrade } from '../analytics/index.ts';
import type { MarketData } from '../model/index.ts';
import { readRecording, type RecordingKind, type RecordingProblem } from '../store/recording.ts';

/** Marks are kept at most once per this many µs per instrument (the last in each bucket). */
export const MARK_BUCKET_MICROS = 100_000;

/** Times (unix µs, ascending) and prices of an instrument's marks. */
export interface MarkSeries {
  readonly times: Float64Array;
  readonly prices: Float64Array;
}

export interface InstrumentTape {
  readonly instrumentId: string;
  /** Quotes inside the requested windows, plus the quote in force when each window opened. */
  readonly quotes: readonly TapeQuote[];
  /** Trades inside the requested windows. */
  readonly trades: readonly TapeTrade[];
  readonly marks: MarkSeries;
  readonly messages: number;
  readonly firstTime: number;
  readonly lastTime: number;
}

export interface DayTape {
  readonly dir: string;
  readonly day: string;
  readonly instruments: ReadonlyMap<string, InstrumentTape>;
  readonly messages: number;
  /** Unparseable lines: how many, and the first few with where they are. */
  readonly problemCount: number;
  readonly problems: readonly RecordingProblem[];
}

/** A span of time on one instrument whose quotes and trades are wanted. */
export interface TapeWindow {
  readonly instrumentId: string;
  readonly start: number;
  readonly end: number;
}

const LISTED_PROBLEMS = 10;

/** Float64 pairs that grow by doubling. */
class SeriesBuilder {
  private times = new Float64Array(256);
  private prices = new Float64Array(256);
  length = 0;

  add(time: number, price: number, bucketMicros: number): void {
    const last = this.length - 1;
    if (
      last >= 0 &&
      Math.floor((this.times[last] as number) / bucketMicros) === Math.floor(time / bucketMicros)
    ) {
      this.times[last] = time;
      this.prices[last] = price;
      return;
    }
    if (this.length === this.times.length) {
      const times = new Float64Array(this.length * 2);
      const prices = new Float64Array(this.length * 2);
      times.set(this.times);
      prices.set(this.prices);
      this.times = times;
      this.prices = prices;
    }
    this.times[this.length] = time;
    this.prices[this.length] = price;
    this.length++;
  }

  build(): MarkSeries {
    return { times: this.times.slice(0, this.length), prices: this.prices.slice(0, this.length) };
  }
}

/**
 * Keeps the quotes and trades of one instrument that fall in its windows (merged, sorted), and for each window
 * the quote in force when it opened, so "the quote at t" is right anywhere inside a window.
 */
class WindowedCollector {
  readonly quotes: TapeQuote[] = [];
  readonly trades: TapeTrade[] = [];
  private index = 0;
  private quotedInWindow = false;
  private lastQuote: TapeQuote | undefined;
  private lastPushed: TapeQuote | undefined;

  constructor(
    private readonly starts: readonly number[],
    private readonly ends: readonly number[],
  ) {}

  private push(quote: TapeQuote): void {
    if (quote === this.lastPushed) return;
    this.quotes.push(quote);
    this.lastPushed = quote;
  }

  private advance(time: number): void {
    while (this.index < this.ends.length && time > (this.ends[this.index] as number)) {
      // A window with no quote of its own is covered by the quote in force before it.
      if (!this.quotedInWindow && this.lastQuote !== undefined) this.push(this.lastQuote);
      this.index++;
      this.quotedInWindow = false;
    }
  }

  private inWindow(time: number): boolean {
    return this.index < this.starts.length && time >= (this.starts[this.index] as number);
  }

  addQuote(quote: TapeQuote): void {
    this.advance(quote.time);
    if (this.inWindow(quote.time)) {
      if (!this.quotedInWindow && this.lastQuote !== undefined) this.push(this.lastQuote);
      this.push(quote);
      this.quotedInWindow = true;
    }
    this.lastQuote = quote;
  }

  addTrade(trade: TapeTrade): void {
    this.advance(trade.time);
    if (this.inWindow(trade.time)) this.trades.push(trade);
  }

  finish(): void {
    this.advance(Infinity);
  }
}

/** Windows per instrument, merged where they overlap, as parallel start / end arrays. */
function mergeWindows(windows: readonly TapeWindow[]): Map<string, { starts: number[]; ends: number[] }> {
  const byInstrument = new Map<string, TapeWindow[]>();
  for (const window of windows) {
    if (!(window.end >= window.start)) continue;
    let list = byInstrument.get(window.instrumentId);
    if (list === undefined) {
      list = [];
      byInstrument.set(window.instrumentId, list);
    }
    list.push(window);
  }
  const merged = new Map<string, { starts: number[]; ends: number[] }>();
  for (const [instrumentId, list] of byInstrument) {
    list.sort((a, b) => a.start - b.start);
    const starts: number[] = [];
    const ends: number[] = [];
    for (const window of list) {
      const last = ends.length - 1;
      if (last >= 0 && window.start <= (ends[last] as number))
        ends[last] = Math.max(ends[last] as number, window.end);
      else {
        starts.push(window.start);
        ends.push(window.end);
      }
    }
    merged.set(instrumentId, { starts, ends });
  }
  return merged;
}

/** Preference of a mark source: a quote's or book's mid over a trade price over a bar's close. */
const QUOTE_RANK = 2;
const TRADE_RANK = 1;
const BAR_RANK = 0;

interface InstrumentState {
  readonly marks: SeriesBuilder;
  readonly collector: WindowedCollector | undefined;
  rank: number;
  hasQuoteTicks: boolean;
  messages: number;
  firstTime: number;
  lastTime: number;
}

/**
 * Reads the day `day` of the recording under `dir`: ticks and candles (books too when the day has no ticks
 * file, their best levels standing in for quotes). Quotes and trades are kept only inside `windows`.
 */
export function readDayTape(
  dir: string,
  day: string,
  windows: readonly TapeWindow[],
  markBucketMicros = MARK_BUCKET_MICROS,
): DayTape {
  const wanted = mergeWindows(windows);
  const states = new Map<string, InstrumentState>();
  const kinds: RecordingKind[] = existsSync(join(dir, day, 'ticks.jsonl'))
    ? ['ticks', 'candles']
    : ['books', 'candles'];
  const problems: RecordingProblem[] = [];
  let messages = 0;

  const stateOf = (instrumentId: string): InstrumentState => {
    let state = states.get(instrumentId);
    if (state === undefined) {
      const window = wanted.get(instrumentId);
      state = {
        marks: new SeriesBuilder(),
        collector: window ? new WindowedCollector(window.starts, window.ends) : undefined,
        rank: -1,
        hasQuoteTicks: false,
        messages: 0,
        firstTime: Infinity,
        lastTime: -Infinity,
      };
      states.set(instrumentId, state);
    }
    return state;
  };
  const mark = (state: InstrumentState, rank: number, time: number, price: number): void => {
    if (rank < state.rank || !(price > 0) || !Number.isFinite(price)) return;
    state.rank = rank;
    state.marks.add(time, price, markBucketMicros);
  };

  for (const message of readRecording(dir, day, kinds, problems) as Iterable<MarketData>) {
    const time = message.tsEvent;
    if (!Number.isFinite(time)) continue;
    messages++;
    const state = stateOf(message.instrumentId);
    state.messages++;
    if (time < state.firstTime) state.firstTime = time;
    if (time > state.lastTime) state.lastTime = time;
    switch (message.type) {
      case 'quote':
        state.hasQuoteTicks = true;
        mark(state, QUOTE_RANK, time, (message.bid + message.ask) / 2);
        state.collector?.addQuote({ time, bid: message.bid, ask: message.ask });
        break;
      case 'book': {
        if (state.hasQuoteTicks) break;
        const bid = message.bids[0]?.price;
        const ask = message.asks[0]?.price;
        if (bid === undefined || ask === undefined) break;
        mark(state, QUOTE_RANK, time, (bid + ask) / 2);
        state.collector?.addQuote({ time, bid, ask });
        break;
      }
      case 'trade':
        mark(state, TRADE_RANK, time, message.price);
        state.collector?.addTrade({ time, price: message.price, size: message.size });
        break;
      case 'bar':
        mark(state, BAR_RANK, time, message.close);
        break;
    }
  }

  const instruments = new Map<string, InstrumentTape>();
  for (const [instrumentId, state] of states) {
    state.collector?.finish();
    instruments.set(instrumentId, {
      instrumentId,
      quotes: state.collector?.quotes ?? [],
      trades: state.collector?.trades ?? [],
      marks: state.marks.build(),
      messages: state.messages,
      firstTime: state.firstTime,
      lastTime: state.lastTime,
    });
  }
  return {
    dir,
    day,
    instruments,
    messages,
    problemCount: problems.length,
    problems: problems.slice(0, LISTED_PROBLEMS),
  };
}

/** Largest index with times[index] ≤ time, or −1. */
export function indexAtOrBefore(times: ArrayLike<number>, time: number): number {
  let low = 0;
  let high = times.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    if ((times[middle] as number) <= time) {
      found = middle;
      low = middle + 1;
    } else high = middle - 1;
  }
  return found;
}

/** The mark in force at `time`: the last at or before it; undefined before the first. */
export function markAt(series: MarkSeries, time: number): number | undefined {
  const index = indexAtOrBefore(series.times, time);
  return index < 0 ? undefined : series.prices[index];
}

/** The mid of the quote in force at `time` (quotes sorted by time); undefined before the first. */
export function midAt(quotes: readonly TapeQuote[], time: number): number | undefined {
  let low = 0;
  let high = quotes.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    if ((quotes[middle] as TapeQuote).time <= time) {
      found = middle;
      low = middle + 1;
    } else high = middle - 1;
  }
  const quote = quotes[found];
  return quote === undefined ? undefined : (quote.bid + quote.ask) / 2;
}
