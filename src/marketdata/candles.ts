// Candle aggregation: time bars of several timeframes at once (epoch-aligned, gap-filled) and volume bars,
// built from trade ticks (and quote mids if configured), emitted through a callback.

import { parseConfig } from '../common/config.ts';
import { ConfigError } from '../common/errors.ts';
import type { Bar, InstrumentId, QuoteTick, TradeTick } from '../model/index.ts';
import { CandleConfigSchema, timeframeMicros, type CandleConfig, type CandleConfigInput } from './config.ts';

const CONFIG_SOURCE = 'market data candles';

export interface CandleAggregatorOptions {
  readonly config?: CandleConfigInput;
  /** Receives every closed bar, gap-fill bars included, in time order per instrument and timeframe. */
  readonly onBar: (bar: Bar) => void;
}

/** Label of a volume bar series, e.g. `v1000`: also its stream, `candles.v1000`. */
export function volumeBarLabel(size: number): string {
  return `v${size}`;
}

/** One instrument × timeframe: the open bar, and where the emitted bars end. */
class TimeSeries {
  /** Start of the open bar's interval; NaN when no bar is open. */
  start = Number.NaN;
  open = 0;
  high = 0;
  low = 0;
  close = 0;
  volume = 0;
  /** End of the last emitted bar (NaN before the first) and its close: where gap-fill bars start. */
  emittedEnd = Number.NaN;
  lastClose = 0;
}

class VolumeSeries {
  started = false;
  open = 0;
  high = 0;
  low = 0;
  close = 0;
  volume = 0;
}

class InstrumentSeries {
  readonly time: TimeSeries[];
  readonly volume: VolumeSeries[];

  constructor(timeframes: number, volumeSizes: number) {
    this.time = Array.from({ length: timeframes }, () => new TimeSeries());
    this.volume = Array.from({ length: volumeSizes }, () => new VolumeSeries());
  }
}

/** Start of the epoch-aligned interval of length `length` that contains `ts` (exact on integers). */
function intervalStart(ts: number, length: number): number {
  return ts - (((ts % length) + length) % length);
}

/**
 * Time bars close on the first tick past their interval or on `advance(now)`; a bar's `tsEvent` is the end of
 * its interval. Between an instrument's first bar and its latest, every interval has a bar: those without a
 * tick are flat at the previous close with volume 0 and `filled: true`. Volume bars close on the trade that
 * brings the cumulative size to the bar size (a trade is never split, so volume may exceed it).
 */
export class CandleAggregator {
  readonly config: CandleConfig;
  private readonly labels: readonly string[];
  private readonly lengths: readonly number[];
  private readonly volumeSizes: readonly number[];
  private readonly volumeLabels: readonly string[];
  private readonly series = new Map<string, InstrumentSeries>();
  private readonly onBar: (bar: Bar) => void;
  private readonly useQuotes: boolean;
  /** Bars emitted (filled included), gap-fill bars, ticks older than their closed bar, ticks with bad values. */
  barsEmitted = 0;
  filledBars = 0;
  lateTicks = 0;
  invalidTicks = 0;
  /** Gaps longer than `maxGapFillBars` intervals, left unfilled. */
  gapsNotFilled = 0;

  constructor(options: CandleAggregatorOptions) {
    this.config = parseConfig(CandleConfigSchema, options.config ?? {}, CONFIG_SOURCE);
    this.labels = this.config.timeframes;
    this.lengths = this.config.timeframes.map((label, i) => {
      const length = timeframeMicros(label);
      if (length === undefined) throw new ConfigError(CONFIG_SOURCE, `timeframes[${i}]`, 'not a timeframe');
      return length;
    });
    this.volumeSizes = this.config.volumeBars;
    this.volumeLabels = this.config.volumeBars.map(volumeBarLabel);
    this.onBar = options.onBar;
    this.useQuotes = this.config.quotes === 'mid';
  }

  /** Adds a trade (price and size) or, with `quotes: mid`, a quote (its mid, no volume). */
  onTick(tick: TradeTick | QuoteTick): void {
    let price: number;
    let size: number;
    if (tick.type === 'trade') {
      price = tick.price;
      size = tick.size;
    } else {
      if (!this.useQuotes) return;
      price = (tick.bid + tick.ask) / 2;
      size = 0;
    }
    const ts = tick.tsEvent;
    if (
      !(price > 0) ||
      !Number.isFinite(price) ||
      !(size >= 0) ||
      !Number.isFinite(size) ||
      !Number.isFinite(ts)
    ) {
      this.invalidTicks++;
      return;
    }
    const instrument = this.seriesOf(tick.instrumentId);
    for (let i = 0; i < this.lengths.length; i++)
      this.addToTimeBar(instrument.time[i] as TimeSeries, i, tick.instrumentId, ts, price, size, tick.tsInit);
    if (tick.type === 'trade')
      for (let i = 0; i < this.volumeSizes.length; i++)
        this.addToVolumeBar(instrument.volume[i] as VolumeSeries, i, tick, price, size);
  }

  /**
   * Closes every interval that ended at or before `now - closeDelayMicros`, and emits gap-fill bars up to it:
   * call it from a timer so bars close without waiting for the next tick.
   */
  advance(now: number): void {
    const cutoff = now - this.config.closeDelayMicros;
    for (const [id, instrument] of this.series) {
      const instrumentId = id as InstrumentId;
      for (let i = 0; i < this.lengths.length; i++) {
        const series = instrument.time[i] as TimeSeries;
        const length = this.lengths[i] as number;
        if (series.start === series.start && series.start + length <= cutoff)
          this.closeTimeBar(series, i, instrumentId, now);
        if (series.emittedEnd === series.emittedEnd && series.start !== series.start)
          this.fillUpTo(series, i, instrumentId, intervalStart(cutoff, length), now);
      }
    }
  }

  /** When `advance` should next run: the earliest interval end (plus the close delay) after `now`. */
  nextCloseTime(now: number): number | undefined {
    const delay = this.config.closeDelayMicros;
    let next: number | undefined;
    for (const length of this.lengths) {
      const end = intervalStart(now - delay, length) + length + delay;
      if (next === undefined || end < next) next = end;
    }
    return next;
  }

  private seriesOf(instrumentId: string): InstrumentSeries {
    let series = this.series.get(instrumentId);
    if (!series) {
      series = new InstrumentSeries(this.lengths.length, this.volumeSizes.length);
      this.series.set(instrumentId, series);
    }
    return series;
  }

  private addToTimeBar(
    series: TimeSeries,
    index: number,
    instrumentId: InstrumentId,
    ts: number,
    price: number,
    size: number,
    tsInit: number,
  ): void {
    const length = this.lengths[index] as number;
    const bucket = intervalStart(ts, length);
    if (series.start === series.start) {
      if (bucket === series.start) {
        if (price > series.high) series.high = price;
        if (price < series.low) series.low = price;
        series.close = price;
        series.volume += size;
        return;
      }
      if (bucket < series.start) {
        this.lateTicks++;
        return;
      }
      this.closeTimeBar(series, index, instrumentId, tsInit);
    }
    if (series.emittedEnd === series.emittedEnd) {
      if (bucket < series.emittedEnd) {
        this.lateTicks++;
        return;
      }
      this.fillUpTo(series, index, instrumentId, bucket, tsInit);
    }
    series.start = bucket;
    series.open = price;
    series.high = price;
    series.low = price;
    series.close = price;
    series.volume = size;
  }

  private closeTimeBar(series: TimeSeries, index: number, instrumentId: InstrumentId, tsInit: number): void {
    const end = series.start + (this.lengths[index] as number);
    this.emit({
      type: 'bar',
      instrumentId,
      timeframe: this.labels[index] as string,
      open: series.open,
      high: series.high,
      low: series.low,
      close: series.close,
      volume: series.volume,
      tsEvent: end,
      tsInit,
    });
    series.emittedEnd = end;
    series.lastClose = series.close;
    series.start = Number.NaN;
  }

  /** Emits flat bars for every interval from the last emitted bar's end up to `until` (exclusive). */
  private fillUpTo(
    series: TimeSeries,
    index: number,
    instrumentId: InstrumentId,
    until: number,
    tsInit: number,
  ): void {
    const length = this.lengths[index] as number;
    const missing = (until - series.emittedEnd) / length;
    if (missing <= 0) return;
    if (missing > this.config.maxGapFillBars) {
      this.gapsNotFilled++;
      series.emittedEnd = until;
      return;
    }
    const price = series.lastClose;
    const timeframe = this.labels[index] as string;
    for (let start = series.emittedEnd; start < until; start += length) {
      this.filledBars++;
      this.emit({
        type: 'bar',
        instrumentId,
        timeframe,
        open: price,
        high: price,
        low: price,
        close: price,
        volume: 0,
        tsEvent: start + length,
        tsInit,
        filled: true,
      });
    }
    series.emittedEnd = until;
  }

  private addToVolumeBar(
    series: VolumeSeries,
    index: number,
    tick: TradeTick,
    price: number,
    size: number,
  ): void {
    if (!series.started) {
      series.started = true;
      series.open = price;
      series.high = price;
      series.low = price;
      series.volume = 0;
    } else {
      if (price > series.high) series.high = price;
      if (price < series.low) series.low = price;
    }
    series.close = price;
    series.volume += size;
    if (series.volume < (this.volumeSizes[index] as number)) return;
    this.emit({
      type: 'bar',
      instrumentId: tick.instrumentId,
      timeframe: this.volumeLabels[index] as string,
      open: series.open,
      high: series.high,
      low: series.low,
      close: series.close,
      volume: series.volume,
      tsEvent: tick.tsEvent,
      tsInit: tick.tsInit,
    });
    series.started = false;
  }

  private emit(bar: Bar): void {
    this.barsEmitted++;
    this.onBar(bar);
  }
}
