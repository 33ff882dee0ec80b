// The ledger through a real PGlite store: persist-then-restore round trips (property 5), the engine's
// group commit, and a failed transaction leaving nothing half-booked and being retried.

import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../bus/memory.ts';
import { Streams } from '../common/topics.ts';
import { Ledger, LedgerEngine, type BookedFill } from '../ledger/index.ts';
import { instrumentOf, makeFill, runScript, scriptArbitrary, testRegistry } from '../ledger/test-fixtures.ts';
import type { Alert, OrderFilled } from '../model/index.ts';
import { PgliteStore } from './pglite.ts';

const registry = testRegistry();
const aapl = instrumentOf(registry, 'AAPL.SIM-A');
const penny = instrumentOf(registry, 'PENNY.SIM-A');

let store: PgliteStore;

beforeAll(async () => {
  store = await PgliteStore.open();
});

afterAll(async () => {
  await store.close();
});

async function resetLedgerTables(): Promise<void> {
  await store.db.exec('TRUNCATE journal_lines, fills, deposits, ledger_entries');
}

async function count(table: string): Promise<number> {
  const { rows } = await store.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0]!.n;
}

/** Persists a ledger's journals the way the engine does: deposits one by one, runs of fills in one batch. */
async function persist(ledger: Ledger, fills: readonly OrderFilled[]): Promise<void> {
  const byRef = new Map(fills.map((f) => [`${f.venue}:${f.tradeId}`, f]));
  let batch: BookedFill[] = [];
  for (const journal of ledger.journals()) {
    if (journal.kind === 'fill') {
      batch.push({ fill: byRef.get(journal.ref)!, journal });
      continue;
    }
    await store.appendFills(batch);
    batch = [];
    await store.appendDeposit(journal);
  }
  await store.appendFills(batch);
}

describe('ledger round trip through PgliteStore', () => {
  beforeEach(resetLedgerTables);

  it('(5) persisting then restoring gives the same snapshot, for any script', async () => {
    await fc.assert(
      fc.asyncProperty(scriptArbitrary, async (steps) => {
        await resetLedgerTables();
        const ledger = new Ledger();
        const run = runScript(ledger, registry, steps);
        await persist(ledger, run.fills);
        // persisting twice (a retry after a lost acknowledgement) changes nothing
        await persist(ledger, run.fills);
        const restored = await LedgerEngine.restore(store, registry);
        expect(restored.snapshot()).toEqual(ledger.snapshot());
        expect(restored.rejectedEntries()).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });

  it('a restored ledger continues the sequence and rejects redelivered fills', async () => {
    const ledger = new Ledger();
    const run = runScript(ledger, registry, [
      {
        instrument: 0,
        strategy: 0,
        action: 'open',
        side: 'buy',
        lots: 10,
        ticks: 1000,
        fee: 0.5,
        feeCurrency: 0,
      },
    ]);
    await persist(ledger, run.fills);
    const restored = await LedgerEngine.restore(store, registry);
    expect(restored.book(run.fills[0]!, instrumentOf(registry, run.fills[0]!.instrumentId))).toBeUndefined();
    const next = restored.book(
      makeFill({ instrument: aapl, side: 'sell', quantity: 1, price: 11, trade: 'NEXT' }),
      aapl,
    );
    expect(next?.sequence).toBe(ledger.journalCount + 1);
  });
});

describe('LedgerEngine with PgliteStore', () => {
  beforeEach(resetLedgerTables);

  it('makes fills durable before the handler resolves, one transaction per turn', async () => {
    const bus = new MemoryBus();
    const engine = new LedgerEngine({ bus, registry, store });
    await engine.start();
    await engine.deposit('USD', 1_000_000_00n, 'capital:SIM-A');
    for (let i = 0; i < 5; i++)
      bus.publish(
        Streams.fills,
        makeFill({
          instrument: penny,
          side: i % 2 ? 'sell' : 'buy',
          quantity: 0.5 + i,
          price: 1.2345,
          fee: 0.01,
          trade: `B${i}`,
        }),
      );
    await bus.flush();
    expect(await count('fills')).toBe(5);
    // now() is the transaction's start time: one value means one transaction for the five fills
    const { rows } = await store.db.query<{ n: number }>(
      "SELECT count(DISTINCT recorded_at)::int AS n FROM ledger_entries WHERE kind = 'fill'",
    );
    expect(rows[0]!.n).toBe(1);
    // the same tradeId again on SIM-A is a redelivery; on SIM-B it is another trade
    bus.publish(
      Streams.fills,
      makeFill({ instrument: penny, side: 'buy', quantity: 0.5, price: 1.2345, trade: 'B0' }),
    );
    const aaplB = instrumentOf(registry, 'AAPL.SIM-B');
    bus.publish(
      Streams.fills,
      makeFill({ instrument: aaplB, side: 'buy', quantity: 1, price: 10, trade: 'B0' }),
    );
    await bus.flush();
    expect(engine.stats()).toMatchObject({ booked: 6, duplicates: 1, unsaved: 0 });
    expect(await count('fills')).toBe(6);
    expect((await LedgerEngine.restore(store, registry)).snapshot()).toEqual(engine.ledger.snapshot());
    await engine.stop();
  });

  it('writes a backlog larger than one statement in bounded statements, all of it', async () => {
    const bus = new MemoryBus();
    const engine = new LedgerEngine({ bus, registry, store });
    await engine.start();
    for (let i = 0; i < 2_500; i++)
      bus.publish(
        Streams.fills,
        makeFill({ instrument: aapl, side: i % 2 ? 'sell' : 'buy', quantity: 1, price: 10, trade: `L${i}` }),
      );
    await bus.flush();
    expect(await count('fills')).toBe(2_500);
    const { rows } = await store.db.query<{ n: number }>(
      'SELECT count(DISTINCT recorded_at)::int AS n FROM ledger_entries',
    );
    expect(rows[0]!.n).toBe(2);
    expect((await LedgerEngine.restore(store, registry)).snapshot()).toEqual(engine.ledger.snapshot());
  });

  it('a failed transaction leaves nothing half-booked, alerts, and is retried whole', async () => {
    // A real constraint in the real database refuses one trade id, mid-batch.
    await store.db.exec(`
      CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.trade_id = 'POISON' THEN RAISE EXCEPTION 'poison fill refused'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_poison BEFORE INSERT ON fills FOR EACH ROW EXECUTE FUNCTION refuse_poison();`);
    try {
      const bus = new MemoryBus();
      const alerts: Alert[] = [];
      const errors: unknown[] = [];
      bus.subscribe(Streams.alerts, 'test', (a) => {
        alerts.push(a);
      });
      bus.onError((error) => errors.push(error));
      const engine = new LedgerEngine({ bus, registry, store });
      await engine.start();
      for (const trade of ['OK1', 'POISON', 'OK2'])
        bus.publish(
          Streams.fills,
          makeFill({ instrument: aapl, side: 'buy', quantity: 10, price: 10, fee: 1, trade }),
        );
      await bus.flush();
      expect([await count('ledger_entries'), await count('fills'), await count('journal_lines')]).toEqual([
        0, 0, 0,
      ]);
      expect(alerts.map((a) => a.code)).toEqual(['LEDGER_STORE_FAILED']);
      expect(errors).toHaveLength(3);
      expect(engine.stats()).toMatchObject({ booked: 3, storeFailures: 1, unsaved: 3 });

      // A redelivery is not acknowledged while its original is not durable.
      bus.publish(
        Streams.fills,
        makeFill({ instrument: aapl, side: 'buy', quantity: 10, price: 10, fee: 1, trade: 'OK1' }),
      );
      await bus.flush();
      expect(errors).toHaveLength(4);

      await store.db.exec('DROP TRIGGER refuse_poison ON fills');
      await engine.stop();
      expect([await count('ledger_entries'), await count('fills'), await count('journal_lines')]).toEqual([
        3, 3, 12,
      ]);
      expect(engine.stats()).toMatchObject({ unsaved: 0, duplicates: 1 });
      expect((await LedgerEngine.restore(store, registry)).snapshot()).toEqual(engine.ledger.snapshot());
    } finally {
      await store.db.exec(
        'DROP TRIGGER IF EXISTS refuse_poison ON fills; DROP FUNCTION IF EXISTS refuse_poison()',
      );
    }
  });
});
