// Candle aggregation: time bars closed by ticks and by the timer, gap-fill bars, several timeframes, volume bars.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../common/errors.ts';
import type { Bar, InstrumentId, QuoteTick, TradeTick } from '../model/index.ts';
import { CandleAggregator, volumeBarLabel } from './candles.ts';
import type { CandleConfigInput } from './config.ts';

const ID = 'AAPL.X' as InstrumentId;
const SECOND = 1_000_000;
const MINUTE = 60 * SECOND;
/** 2024-01-02T00:00:00Z in µs: a multiple of every timeframe up to 1d. */
const T0 = 1_704_153_600_000_000;

const trade = (tsEvent: number, price: number, size = 1, instrumentId = ID): TradeTick => ({
  type: 'trade',
  instrumentId,
  price,
  size,
  aggressor: 'unknown',
  tsEvent,
  tsInit: tsEvent + 7,
});

const quote = (tsEvent: number, bid: number, ask: number): QuoteTick => ({
  type: 'quote',
  instrumentId: ID,
  bid,
  ask,
  bidSize: 1,
  askSize: 1,
  tsEvent,
  tsInit: tsEvent,
});

function aggregator(config: CandleConfigInput): { candles: CandleAggregator; bars: Bar[] } {
  const bars: Bar[] = [];
  const candles = new CandleAggregator({ config, onBar: (bar) => bars.push(bar) });
  return { candles, bars };
}

describe('CandleAggregator', () => {
  it('builds a time bar and closes it on the first tick past the boundary, stamped with the close time', () => {
    const { candles, bars } = aggregator({ timeframes: ['1m'] });
    candles.onTick(trade(T0 + 5 * SECOND, 100, 1));
    candles.onTick(trade(T0 + 20 * SECOND, 102, 2));
    candles.onTick(trade(T0 + 50 * SECOND, 99, 1));
    expect(bars).toHaveLength(0);
    candles.onTick(trade(T0 + 65 * SECOND, 101, 3));
    // O 100, H 102, L 99, C 99 (last in the minute), V 1 + 2 + 1 = 4; closes at T0 + 1m, known when the
    // 65 s tick arrived (its tsInit, +7).
    expect(bars).toEqual([
      {
        type: 'bar',
        instrumentId: ID,
        timeframe: '1m',
        open: 100,
        high: 102,
        low: 99,
        close: 99,
        volume: 4,
        tsEvent: T0 + MINUTE,
        tsInit: T0 + 65 * SECOND + 7,
      },
    ]);
  });

  it('fills gaps with flat bars at the last close, volume 0, flagged filled', () => {
    const { candles, bars } = aggregator({ timeframes: ['1m'] });
    candles.onTick(trade(T0 + 10 * SECOND, 100, 2));
    candles.onTick(trade(T0 + MINUTE + 5 * SECOND, 101, 1));
    // Nothing in minutes 2 and 3; the next trade is in minute 4.
    candles.onTick(trade(T0 + 4 * MINUTE + 10 * SECOND, 103, 1));
    // Minute 4 is still open; minute 1 closed, minutes 2 and 3 filled.
    expect(bars.map((b) => [b.tsEvent - T0, b.close, b.volume, b.filled === true])).toEqual([
      [1 * MINUTE, 100, 2, false],
      [2 * MINUTE, 101, 1, false],
      [3 * MINUTE, 101, 0, true],
      [4 * MINUTE, 101, 0, true],
    ]);
    const filled = bars.filter((b) => b.filled);
    for (const bar of filled) expect([bar.open, bar.high, bar.low, bar.close]).toEqual([101, 101, 101, 101]);
    expect(candles.filledBars).toBe(2);
    expect(candles.barsEmitted).toBe(4);
    // Real bars carry no `filled` key at all.
    expect('filled' in (bars[0] as Bar)).toBe(false);
  });

  it('closes and gap-fills on advance(now), so no interval is missing between the first and last bar', () => {
    const { candles, bars } = aggregator({ timeframes: ['1m'] });
    candles.onTick(trade(T0 + 30 * SECOND, 50, 1));
    candles.advance(T0 + 59 * SECOND);
    expect(bars).toHaveLength(0);
    candles.advance(T0 + MINUTE);
    expect(bars).toHaveLength(1);
    expect(bars[0]).toMatchObject({ close: 50, volume: 1, tsEvent: T0 + MINUTE, tsInit: T0 + MINUTE });
    // 3½ minutes of silence: three whole intervals ended.
    candles.advance(T0 + 4 * MINUTE + 30 * SECOND);
    expect(bars.map((b) => [b.tsEvent - T0, b.filled === true])).toEqual([
      [1 * MINUTE, false],
      [2 * MINUTE, true],
      [3 * MINUTE, true],
      [4 * MINUTE, true],
    ]);
    // The next trade opens minute 5 (4m–5m is still running): no duplicate fills.
    candles.onTick(trade(T0 + 4 * MINUTE + 40 * SECOND, 51, 1));
    candles.onTick(trade(T0 + 5 * MINUTE + 1, 52, 1));
    expect(bars).toHaveLength(5);
    expect(bars[4]).toMatchObject({ open: 51, close: 51, tsEvent: T0 + 5 * MINUTE });
    const times = bars.map((b) => b.tsEvent);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(MINUTE);
  });

  it('waits closeDelayMicros before closing on advance, and counts ticks older than a closed bar as late', () => {
    const { candles, bars } = aggregator({ timeframes: ['1m'], closeDelayMicros: 2 * SECOND });
    candles.onTick(trade(T0 + 30 * SECOND, 50, 1));
    candles.advance(T0 + MINUTE + SECOND);
    expect(bars).toHaveLength(0);
    // A late tick inside the delay still counts.
    candles.onTick(trade(T0 + 59 * SECOND, 49, 1));
    candles.advance(T0 + MINUTE + 2 * SECOND);
    expect(bars).toHaveLength(1);
    expect(bars[0]).toMatchObject({ close: 49, volume: 2 });
    candles.onTick(trade(T0 + 58 * SECOND, 48, 1));
    expect(candles.lateTicks).toBe(1);
    expect(bars).toHaveLength(1);
    expect(candles.nextCloseTime(T0 + MINUTE + 2 * SECOND)).toBe(T0 + 2 * MINUTE + 2 * SECOND);
  });

  it('builds several timeframes at once, each epoch-aligned', () => {
    const { candles, bars } = aggregator({ timeframes: ['1s', '1m', '1d'] });
    // One trade a second for 61 seconds.
    for (let s = 0; s <= 60; s++) candles.onTick(trade(T0 + s * SECOND + 500, 100 + s, 1));
    const byTimeframe = (tf: string): Bar[] => bars.filter((b) => b.timeframe === tf);
    // The 61st second opened a 1s bar (60 closed) and the second minute (one 1m bar closed); the day is open.
    expect(byTimeframe('1s')).toHaveLength(60);
    expect(byTimeframe('1m')).toHaveLength(1);
    expect(byTimeframe('1m')[0]).toMatchObject({ open: 100, high: 159, low: 100, close: 159, volume: 60 });
    expect(byTimeframe('1d')).toHaveLength(0);
    candles.advance(T0 + 24 * 60 * MINUTE);
    const day = byTimeframe('1d');
    expect(day).toHaveLength(1);
    // Closes at midnight UTC: 2024-01-03T00:00:00Z.
    expect(new Date((day[0] as Bar).tsEvent / 1000).toISOString()).toBe('2024-01-03T00:00:00.000Z');
    expect(day[0]).toMatchObject({ open: 100, high: 160, low: 100, close: 160, volume: 61 });
    // Every second of the day has a 1s bar and every minute a 1m bar: 86 400 and 1 440, filled included.
    expect(byTimeframe('1s')).toHaveLength(86_400);
    expect(byTimeframe('1m')).toHaveLength(1_440);
    expect(byTimeframe('1s').filter((b) => b.filled)).toHaveLength(86_400 - 61);
    expect(byTimeframe('1m').filter((b) => b.filled)).toHaveLength(1_440 - 2);
  });

  it('keeps instruments apart', () => {
    const { candles, bars } = aggregator({ timeframes: ['1m'] });
    const other = 'MSFT.X' as InstrumentId;
    candles.onTick(trade(T0 + 1, 100, 1));
    candles.onTick(trade(T0 + 2, 300, 5, other));
    candles.advance(T0 + MINUTE);
    expect(bars.map((b) => [b.instrumentId, b.close, b.volume])).toEqual([
      [ID, 100, 1],
      [other, 300, 5],
    ]);
  });

  it('ignores quotes by default and uses their mid (no volume) with quotes: mid', () => {
    const ignoring = aggregator({ timeframes: ['1m'] });
    ignoring.candles.onTick(quote(T0 + 1, 99, 101));
    ignoring.candles.advance(T0 + MINUTE);
    expect(ignoring.bars).toHaveLength(0);

    const mid = aggregator({ timeframes: ['1m'], quotes: 'mid' });
    mid.candles.onTick(quote(T0 + 1, 99, 101));
    mid.candles.onTick(trade(T0 + 2, 100.5, 3));
    mid.candles.onTick(quote(T0 + 3, 101, 103));
    mid.candles.advance(T0 + MINUTE);
    // Mids 100 and 102, trade 100.5: O 100, H 102, L 100, C 102, volume from the trade only.
    expect(mid.bars[0]).toMatchObject({ open: 100, high: 102, low: 100, close: 102, volume: 3 });
  });

  it('builds volume bars that close when the cumulative size reaches the bar size', () => {
    const { candles, bars } = aggregator({ timeframes: [], volumeBars: [10] });
    candles.onTick(trade(T0 + 1, 100, 4));
    candles.onTick(trade(T0 + 2, 103, 4));
    expect(bars).toHaveLength(0);
    // 4 + 4 + 3 = 11 ≥ 10: closes on this trade (never split), volume 11.
    candles.onTick(trade(T0 + 3, 98, 3));
    candles.onTick(trade(T0 + 4, 99, 10));
    candles.onTick(trade(T0 + 5, 97, 2));
    expect(bars).toEqual([
      {
        type: 'bar',
        instrumentId: ID,
        timeframe: 'v10',
        open: 100,
        high: 103,
        low: 98,
        close: 98,
        volume: 11,
        tsEvent: T0 + 3,
        tsInit: T0 + 3 + 7,
      },
      {
        type: 'bar',
        instrumentId: ID,
        timeframe: 'v10',
        open: 99,
        high: 99,
        low: 99,
        close: 99,
        volume: 10,
        tsEvent: T0 + 4,
        tsInit: T0 + 4 + 7,
      },
    ]);
    expect(volumeBarLabel(10)).toBe('v10');
    // Time passing does not close a volume bar.
    candles.advance(T0 + 10 * MINUTE);
    expect(bars).toHaveLength(2);
  });

  it('leaves a gap longer than maxGapFillBars unfilled and counts it', () => {
    const { candles, bars } = aggregator({ timeframes: ['1s'], maxGapFillBars: 10 });
    candles.onTick(trade(T0, 100, 1));
    // A tick an hour later (a bad clock, or a halt): 3 599 empty seconds, more than 10.
    candles.onTick(trade(T0 + 3600 * SECOND, 100, 1));
    expect(bars).toHaveLength(1);
    expect(candles.gapsNotFilled).toBe(1);
    // A short gap after it is filled again.
    candles.onTick(trade(T0 + 3603 * SECOND, 100, 1));
    expect(bars.filter((b) => b.filled)).toHaveLength(2);
  });

  it('counts ticks with bad values instead of using them', () => {
    const { candles, bars } = aggregator({ timeframes: ['1m'] });
    candles.onTick(trade(T0, Number.NaN, 1));
    candles.onTick(trade(T0, 100, -1));
    candles.onTick(trade(Number.NaN, 100, 1));
    candles.advance(T0 + MINUTE);
    expect(candles.invalidTicks).toBe(3);
    expect(bars).toHaveLength(0);
  });

  it('rejects a bad configuration with the key named', () => {
    expect(() => aggregator({ timeframes: ['1x'] })).toThrow(ConfigError);
    expect(() => aggregator({ timeframes: ['1m', '1m'] })).toThrow(/timeframes/);
    expect(() => aggregator({ volumeBars: [0] })).toThrow(/volumeBars/);
  });
});
