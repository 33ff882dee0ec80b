import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Bar, InstrumentId, QuoteTick, TradeTick } from '../../model/index.ts';
import {
  DataFileError,
  emptySummary,
  mergeByTime,
  parseTimestamp,
  readDataFile,
  readLines,
  timeframeOf,
} from './data-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'hf-data-file-'));
const ID = 'ORCL.BACKTEST' as InstrumentId;
let n = 0;
function file(text: string): string {
  const path = join(dir, `f${++n}.csv`);
  writeFileSync(path, text);
  return path;
}
const DAY = 86_400_000_000;

describe('parseTimestamp', () => {
  it('reads the formats of the recorded files as UTC', () => {
    expect(parseTimestamp('1995-01-03')).toBe(Date.UTC(1995, 0, 3) * 1000);
    expect(parseTimestamp('2015-09-23T20:57:42.146')).toBe(Date.UTC(2015, 8, 23, 20, 57, 42, 146) * 1000);
    expect(parseTimestamp('02/03/2010 16:53:50')).toBe(Date.UTC(2010, 2, 2, 16, 53, 50) * 1000);
    expect(parseTimestamp('2006-01-02', '09:01:00')).toBe(Date.UTC(2006, 0, 2, 9, 1) * 1000);
    expect(parseTimestamp('20240131')).toBe(Date.UTC(2024, 0, 31) * 1000);
  });
  it('refuses what is not a date', () => {
    for (const bad of ['', 'null', '2023-02-30', '2023-13-01', '2023-01-01X', '2023-01-01 25:00:00'])
      expect(parseTimestamp(bad)).toBeNaN();
  });
  it('names timeframes by the coarsest unit', () => {
    expect(timeframeOf(60_000_000)).toBe('1m');
    expect(timeframeOf(300_000_000)).toBe('5m');
    expect(timeframeOf(DAY)).toBe('1d');
    expect(timeframeOf(90_000_000)).toBe('90s');
  });
});

describe('readLines', () => {
  it('splits across chunk boundaries and strips CR', () => {
    const long = 'x'.repeat(1_500_000);
    const path = file(`a\r\n${long}\nlast`);
    expect([...readLines(path)].map((l) => l.length)).toEqual([1, 1_500_000, 4]);
  });
});

describe('readDataFile', () => {
  it('reads Yahoo daily bars, each known at the end of its day', () => {
    const path = file(
      'Date,Open,High,Low,Close,Adj Close,Volume\n' +
        '1995-01-03,2.179012,2.191358,2.117284,2.117284,1.883304,36301200\n' +
        '1995-01-04,2.123457,2.148148,2.092592,2.135803,1.899776,46051600\n',
    );
    const summary = emptySummary(path);
    const bars = [...readDataFile(path, { instrumentId: ID }, summary)] as Bar[];
    expect(summary.format).toBe('yahoo');
    expect(summary.timeframe).toBe('1d');
    expect(bars).toHaveLength(2);
    expect(bars[0]).toMatchObject({
      open: 2.179012,
      high: 2.191358,
      low: 2.117284,
      close: 2.117284,
      volume: 36301200,
    });
    expect(bars[0]!.tsEvent).toBe(Date.UTC(1995, 0, 3) * 1000 + DAY - 1);
    expect(new Date(bars[1]!.tsEvent / 1000).toISOString().slice(0, 10)).toBe('1995-01-04');
  });

  it('infers the timeframe of intraday bars and stamps them by open or close time', () => {
    const rows = ['Date,Time,Open,High,Low,Close,Volume,OpenInterest'];
    for (let i = 1; i <= 5; i++) rows.push(`2006-01-02,09:0${i}:00,3600,3603,3597,3599,${i},0`);
    const path = file(rows.join('\n'));
    const summary = emptySummary(path);
    const closes = [...readDataFile(path, { instrumentId: ID }, summary)] as Bar[];
    expect(summary.timeframe).toBe('1m');
    expect(closes.map((b) => b.timeframe)).toEqual(['1m', '1m', '1m', '1m', '1m']);
    expect(closes[0]!.tsEvent).toBe(Date.UTC(2006, 0, 2, 9, 1) * 1000);
    const opens = [...readDataFile(path, { instrumentId: ID, barTime: 'open' })] as Bar[];
    expect(opens[0]!.tsEvent).toBe(Date.UTC(2006, 0, 2, 9, 2) * 1000);
  });

  it('skips and counts bad rows with file and line, or stops at the first one when strict', () => {
    const path = file(
      'Date,Open,High,Low,Close,Adj Close,Volume\n' +
        '1995-01-03,2,3,1,2,2,100\n' +
        '1995-01-04,null,null,null,null,null,null\n' +
        '1995-01-05,2,1.5,1,2,2,100\n' + // high below close
        'not-a-date,2,3,1,2,2,100\n' +
        '1995-01-02,2,3,1,2,2,100\n' + // before the previous row
        '1995-01-06,2,3,1,2,2,-5\n' +
        '1995-01-09,2,3,1,2,2,100\n',
    );
    const summary = emptySummary(path);
    const bars = [...readDataFile(path, { instrumentId: ID }, summary)];
    expect(bars).toHaveLength(2);
    expect(summary.rows).toBe(7);
    expect(summary.skipped).toBe(5);
    expect(summary.firstProblems.map((p) => p.line)).toEqual([3, 4, 5, 6, 7]);
    expect(summary.firstProblems[0]!.message).toBe(
      `${path}:3: open, high, low and close must be positive numbers`,
    );
    expect(summary.problems.get('high/low do not contain open and close')).toBe(1);
    expect(() => [...readDataFile(path, { instrumentId: ID, strict: true })]).toThrow(
      new DataFileError(path, 3, 'open, high, low and close must be positive numbers'),
    );
  });

  it('refuses a file of the wrong format, naming the header', () => {
    const path = file('TIMESTAMP,BID,ASK\n02/03/2010 16:53:50,0.5346,0.5347\n');
    expect(() => [...readDataFile(path, { instrumentId: ID, format: 'yahoo' })]).toThrow(
      /f\d+\.csv:1: header/,
    );
    const empty = file('');
    expect(() => [...readDataFile(empty, { instrumentId: ID })]).toThrow(/the file is empty/);
    const unknown = file('a,b,c\n1,2,3\n');
    expect(() => [...readDataFile(unknown, { instrumentId: ID })]).toThrow(/unrecognised header/);
  });

  it('reads trade and quote ticks', () => {
    const trades = file(
      'Datetime,Open,High,Low,Close,Volume,OpenInterest\n' +
        '2015-09-23T20:57:42.146,3067.00,3067.00,3067.00,3067.00,180,0\n' +
        '2015-09-23T20:57:46.151,3066.00,3066.00,3066.00,3066.00,2,0\n',
    );
    const t = [...readDataFile(trades, { instrumentId: ID, format: 'ticks-csv' })] as TradeTick[];
    expect(t.map((x) => [x.type, x.price, x.size])).toEqual([
      ['trade', 3067, 180],
      ['trade', 3066, 2],
    ]);
    const quotes = file(
      'TIMESTAMP,BID,ASK\n02/03/2010 16:53:50,0.5346,0.5347\n02/03/2010 16:53:51,0.5349,0.5347\n',
    );
    const summary = emptySummary(quotes);
    const q = [...readDataFile(quotes, { instrumentId: ID }, summary)] as QuoteTick[];
    expect(q).toHaveLength(1);
    expect(q[0]).toMatchObject({ type: 'quote', bid: 0.5346, ask: 0.5347 });
    expect(summary.problems.get('bid above ask (crossed quote)')).toBe(1);
  });

  it('keeps only the requested date range and says how much was outside', () => {
    const rows = ['Date,Open,High,Low,Close,Adj Close,Volume'];
    for (let d = 1; d <= 9; d++) rows.push(`2020-01-0${d},1,1,1,1,1,1`);
    const path = file(rows.join('\n'));
    const summary = emptySummary(path);
    const from = parseTimestamp('2020-01-03');
    const to = parseTimestamp('2020-01-06');
    const bars = [...readDataFile(path, { instrumentId: ID, from, to }, summary)];
    expect(bars.map((b) => new Date(b.tsEvent / 1000).getUTCDate())).toEqual([3, 4, 5]);
    expect(summary.outOfRange).toBe(6);
  });
});

describe('mergeByTime', () => {
  it('interleaves streams by time, ties in stream order', () => {
    const a = [
      { tsEvent: 1, k: 'a1' },
      { tsEvent: 3, k: 'a3' },
      { tsEvent: 5, k: 'a5' },
    ];
    const b = [
      { tsEvent: 2, k: 'b2' },
      { tsEvent: 3, k: 'b3' },
    ];
    const merged = [...mergeByTime([a[Symbol.iterator](), b[Symbol.iterator]()])].map((x) => x.k);
    expect(merged).toEqual(['a1', 'b2', 'a3', 'b3', 'a5']);
  });
});
