// Reading one day: the session chosen, the day's orders joined from commands, venue events, OMS records and
// fills; the tape kept inside TCA's windows; clear errors naming what was looked at when there is no data.

import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { candidateSessions, DayDataError, loadDayData, type SessionInfo } from './day-data.ts';
import {
  AAPL,
  DATE,
  MSFT,
  SECOND,
  SESSION,
  T0,
  writeDayFixture,
  type DayFixture,
} from './day-fixture.test-support.ts';
import { markAt, midAt, readDayTape } from './day-tape.ts';

let fixture: DayFixture;

beforeAll(async () => {
  fixture = await writeDayFixture(mkdtempSync(join(tmpdir(), 'hf-day-data-')));
});

async function dayError(promise: Promise<unknown>): Promise<DayDataError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DayDataError) return error;
    throw error;
  }
  throw new Error('expected a DayDataError');
}

describe('loadDayData', () => {
  it('reads the day from the latest session with data on it', async () => {
    const day = await loadDayData({ home: fixture.home, date: DATE });
    expect(day.source).toEqual({ kind: 'pglite', location: fixture.sessionFolder, snapshot: false });
    expect(day.commands).toEqual({ submit_order: 7, cancel_order: 0, modify_order: 0 });
    expect(day.fills).toHaveLength(4);
    expect(day.denials.map((d) => d.reason)).toEqual([
      'RISK_MAX_NOTIONAL',
      'RISK_MAX_NOTIONAL',
      'RISK_THROTTLE',
    ]);
    expect(day.venueRejections.map((r) => [r.clientOrderId, r.reason])).toEqual([['B3', 'VENUE_REJECTED']]);
    // the warning of the day before is not the day's
    expect(day.alerts.map((a) => a.severity)).toEqual(['warning', 'warning', 'critical']);
    expect(day.reconciliations.map((r) => r.ts)).toEqual([T0, T0 + 45 * SECOND]);
    expect(day.notes).toEqual([]);

    const byId = new Map(day.orders.map((o) => [o.clientOrderId, o]));
    expect(day.orders.map((o) => o.clientOrderId)).toEqual(['A1', 'B1', 'B2', 'B4', 'B5', 'B3', 'A2']);
    expect(byId.get('A1')).toMatchObject({
      strategyId: 'alpha',
      instrumentId: AAPL,
      executionInstrumentId: AAPL,
      venue: 'SIM-A',
      side: 'buy',
      quantity: 100,
      decisionTime: T0 + SECOND,
      arrivalTime: T0 + 1.001 * SECOND,
      status: 'FILLED',
      denial: null,
    });
    expect(byId.get('A2')?.fills.map((f) => f.lastQuantity)).toEqual([60, 40]);
    // denied by risk: no OMS record, no venue
    expect(byId.get('B2')).toMatchObject({ status: 'DENIED', venue: null, arrivalTime: null });
    expect(byId.get('B2')?.denial?.reason).toBe('RISK_MAX_NOTIONAL');
    expect(byId.get('B3')).toMatchObject({
      status: 'REJECTED',
      venue: 'SIM-A',
      arrivalTime: T0 + 4.001 * SECOND,
    });

    const aapl = day.tape.instruments.get(AAPL);
    expect(aapl?.quotes.map((q) => (q.time - T0) / SECOND)).toEqual([0.5, 1.0005, 9.5, 30]);
    expect(aapl?.trades).toEqual([{ time: T0 + 1.003 * SECOND, price: 100.06, size: 100 }]);
    expect(midAt(aapl?.quotes ?? [], T0 + SECOND)).toBeCloseTo(100.0, 12);
    expect(markAt(day.tape.instruments.get(MSFT)!.marks, T0 + 25 * SECOND)).toBeCloseTo(201.0, 12);
  });

  it('says which sessions it looked at when the date has no data', async () => {
    const after = await dayError(loadDayData({ home: fixture.home, date: '2024-01-03' }));
    expect(after.exitCode).toBe(1);
    expect(after.message).toContain(`no data for 2024-01-03: looked at session ${SESSION}`);
    const before = await dayError(loadDayData({ home: fixture.home, date: '2024-01-01' }));
    expect(before.exitCode).toBe(1);
    expect(before.message).toContain(
      `no session under ${join(fixture.home, 'sessions')} started on or before it`,
    );
    const empty = await dayError(loadDayData({ home: mkdtempSync(join(tmpdir(), 'hf-empty-')), date: DATE }));
    expect(empty.exitCode).toBe(1);
    expect(empty.message).toContain('no sessions under');
  });

  it('reads a given session, and refuses a folder that holds none or a bad date', async () => {
    const day = await loadDayData({ home: '/nonexistent', date: DATE, session: fixture.sessionFolder });
    expect(day.fills).toHaveLength(4);
    const byName = await loadDayData({ home: fixture.home, date: DATE, session: SESSION });
    expect(byName.source.location).toBe(fixture.sessionFolder);
    const missing = await dayError(
      loadDayData({ home: fixture.home, date: DATE, session: '/nonexistent/session' }),
    );
    expect(missing.exitCode).toBe(2);
    expect(missing.message).toContain('--session /nonexistent/session: no session store there');
    const badDate = await dayError(loadDayData({ home: fixture.home, date: '2024-02-30' }));
    expect(badDate).toMatchObject({ exitCode: 2, message: '--date "2024-02-30" is not a date (YYYY-MM-DD)' });
  });

  it('reads a copy of the session a running hf run holds, and says so', async () => {
    const socket = join(mkdtempSync(join(tmpdir(), 'hf-sock-')), 'control.sock');
    const server = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end('{"status":"ok"}');
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      const day = await loadDayData({ home: fixture.home, date: DATE, controlSocket: socket });
      expect(day.source.snapshot).toBe(true);
      expect(day.fills).toHaveLength(4);
      expect(day.notes[0]).toContain(
        `session ${fixture.sessionFolder} is held by a running hf run: read from a copy`,
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('session candidates', () => {
  const session = (name: string, startDay: string | undefined): SessionInfo => ({
    name,
    folder: `/h/sessions/${name}`,
    dataDir: `/h/sessions/${name}/pgdata`,
    startDay,
  });
  it('tries the day’s sessions newest first, then the last one started before, then unnamed ones', () => {
    const sessions = [
      session('20240101-080000', '2024-01-01'),
      session('20240101-200000', '2024-01-01'),
      session('20240102-090000', '2024-01-02'),
      session('20240102-130000', '2024-01-02'),
      session('20240103-090000', '2024-01-03'),
      session('mine', undefined),
    ];
    expect(candidateSessions(sessions, '2024-01-02').map((s) => s.name)).toEqual([
      '20240102-130000',
      '20240102-090000',
      '20240101-200000',
      'mine',
    ]);
  });
});

describe('readDayTape', () => {
  it('keeps quotes and trades inside the windows and the quote in force when each opens', () => {
    const dir = join(fixture.home, 'recordings');
    const tape = readDayTape(dir, DATE, [
      { instrumentId: AAPL, start: T0 + 9 * SECOND, end: T0 + 9.6 * SECOND },
      { instrumentId: AAPL, start: T0 + 40 * SECOND, end: T0 + 50 * SECOND },
    ]);
    const aapl = tape.instruments.get(AAPL)!;
    // 1.0005 s: in force when [9, 9.6] opens; 9.5 s: inside; 30 s: in force over [40, 50], which has none
    expect(aapl.quotes.map((q) => (q.time - T0) / SECOND)).toEqual([1.0005, 9.5, 30]);
    expect(aapl.trades).toEqual([]);
    // marks are kept for every instrument, windows or not: mids, and the trade is not a mark beside quotes
    expect(Array.from(aapl.marks.prices, (p) => Number(p.toFixed(9)))).toEqual([
      100.0, 100.02, 100.5, 100.42,
    ]);
    expect(tape.instruments.get(MSFT)!.quotes).toEqual([]);
    expect(tape.messages).toBe(7);
  });

  it('reads nothing, without failing, for a day with no recording', () => {
    const empty = join(fixture.home, 'no-recordings');
    mkdirSync(empty, { recursive: true });
    const tape = readDayTape(empty, DATE, []);
    expect(tape.messages).toBe(0);
    expect(tape.instruments.size).toBe(0);
  });
});
