import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../bus/memory.ts';
import { Streams } from '../common/topics.ts';
import type { BookSnapshot, InstrumentId, QuoteTick } from '../model/index.ts';
import {
  dayOf,
  dayRange,
  MarketRecorder,
  readRecording,
  recordedDays,
  type RecordingProblem,
} from './recording.ts';

const ID = 'AAPL.SIM-A' as InstrumentId;
const DAY1 = Date.UTC(2024, 0, 2) * 1000;
const DAY2 = Date.UTC(2024, 0, 3) * 1000;

function quote(ts: number, bid: number): QuoteTick {
  return {
    type: 'quote',
    instrumentId: ID,
    bid,
    ask: bid + 0.02,
    bidSize: 1,
    askSize: 1,
    tsEvent: ts,
    tsInit: ts,
  };
}

function book(ts: number, sequence: number): BookSnapshot {
  return {
    type: 'book',
    instrumentId: ID,
    bids: [{ price: 99, size: 5 }],
    asks: [{ price: 99.05, size: 7 }],
    sequence,
    tsEvent: ts,
    tsInit: ts,
  };
}

describe('market-data recording', () => {
  it('writes a file per day and kind, and reads a day back merged in time order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hf-recording-'));
    const bus = new MemoryBus();
    const recorder = new MarketRecorder({ dir, bus, flushMillis: 10_000 });
    recorder.start();
    bus.publish(Streams.ticks, quote(DAY1 + 10, 100));
    bus.publish(Streams.books, book(DAY1 + 15, 1));
    bus.publish(Streams.ticks, quote(DAY1 + 20, 100.5));
    bus.publish(Streams.ticks, quote(DAY2 + 5, 101));
    await bus.flush();
    recorder.stop(); // flushes what is buffered
    expect(recorder.recorded).toBe(4);
    expect(recordedDays(dir)).toEqual(['2024-01-02', '2024-01-03']);
    expect(
      readFileSync(join(dir, '2024-01-02', 'ticks.jsonl'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(2);
    const day1 = [...readRecording(dir, '2024-01-02')];
    expect(day1.map((m) => [m.type, m.tsEvent])).toEqual([
      ['quote', DAY1 + 10],
      ['book', DAY1 + 15],
      ['quote', DAY1 + 20],
    ]);
    expect(day1[1]).toEqual(book(DAY1 + 15, 1));
    expect([...readRecording(dir, '2024-01-03', ['books'])]).toEqual([]);
  });

  it('skips a corrupt line and says where it is', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hf-recording-'));
    const bus = new MemoryBus();
    const recorder = new MarketRecorder({ dir, bus });
    recorder.start();
    bus.publish(Streams.ticks, quote(DAY1 + 1, 100));
    recorder.stop();
    const file = join(dir, '2024-01-02', 'ticks.jsonl');
    appendFileSync(file, '{"type":"quote",\n' + JSON.stringify(quote(DAY1 + 2, 100.1)) + '\n');
    const problems: RecordingProblem[] = [];
    const read = [...readRecording(dir, '2024-01-02', ['ticks'], problems)];
    expect(read.map((m) => m.tsEvent)).toEqual([DAY1 + 1, DAY1 + 2]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file, line: 2 });
  });

  it('names days in UTC', () => {
    expect(dayOf(DAY1 + 86_400_000_000 - 1)).toBe('2024-01-02');
    expect(dayRange('2024-01-02')).toEqual({ start: DAY1, end: DAY2 });
    expect(dayRange('2024-02-30')).toBeUndefined();
    expect(dayRange('yesterday')).toBeUndefined();
  });
});
