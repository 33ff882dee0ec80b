// The contract every Store passes (PGlite, PostgreSQL): migrations, ledger idempotency, order and atomicity,
// exact money, orders, the event log, the control plane, reconciliation runs and the paper venues' journals.
// One suite, many stores.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Ledger, type BookedFill, type FillJournal } from '../ledger/index.ts';
import { instrumentOf, makeFill, testRegistry } from '../ledger/test-fixtures.ts';
import {
  clientOrderId,
  instrumentId,
  strategyId,
  tradeId,
  venueId,
  venueOrderId,
  type Alert,
  type OrderFilled,
  type OrderRequest,
} from '../model/index.ts';
import { loadMigrations, MigrationError, runMigrations, type SqlExecutor } from './migrate.ts';
import type { OrderRecord, Store, StoredPaperVenueRecord } from './store.ts';

/** A store with raw SQL on its own connection, which the contract uses to look behind the interface. */
export type ContractStore = Store & { readonly db: SqlExecutor };

const TABLES =
  'journal_lines, fills, deposits, ledger_entries, orders, event_log, control, reconciliation_runs, paper_venue_journal';

/** Runs the contract against the store `make` opens (once for the suite; every table emptied before each test). */
export function storeContract(name: string, make: () => Promise<ContractStore>): void {
  describe(`Store contract: ${name}`, () => {
    const registry = testRegistry();
    const aapl = instrumentOf(registry, 'AAPL.SIM-A');
    let store: ContractStore;

    beforeAll(async () => {
      store = await make();
    });

    afterAll(async () => {
      await store?.close();
    });

    beforeEach(async () => {
      await store.db.exec(`TRUNCATE ${TABLES}`);
    });

    async function count(table: string): Promise<number> {
      const { rows } = await store.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
      return rows[0]!.n;
    }

    async function ledgerRowCounts(): Promise<number[]> {
      return [
        await count('ledger_entries'),
        await count('fills'),
        await count('journal_lines'),
        await count('deposits'),
      ];
    }

    /** Books `fills` into a ledger and pairs each with its journal, as the engine hands them to the store. */
    function bookAll(fills: readonly OrderFilled[], ledger = new Ledger()): BookedFill[] {
      return fills.map((fill) => ({
        fill,
        journal: ledger.book(fill, registry.instruments.get(fill.instrumentId)!)!,
      }));
    }

    describe('migrations', () => {
      it('records each applied migration once; running again applies nothing', async () => {
        const { rows } = await store.db.query<{ version: string }>(
          'SELECT version FROM schema_migrations ORDER BY version',
        );
        expect(rows.map((r) => r.version)).toEqual(loadMigrations().map((m) => m.version));
        expect(await runMigrations(store.db)).toEqual([]);
        await store.migrate();
        expect(await count('schema_migrations')).toBe(loadMigrations().length);
      });

      it('refuses a migration whose file changed after it was applied', async () => {
        const [first] = loadMigrations();
        await expect(runMigrations(store.db, [{ ...first!, checksum: 'edited' }])).rejects.toThrowError(
          MigrationError,
        );
      });

      it('rolls back a failing migration entirely', async () => {
        const broken = {
          version: '9999_broken',
          sql: 'CREATE TABLE half_done (x int); SELECT 1/0;',
          checksum: 'x',
        };
        await expect(runMigrations(store.db, [broken])).rejects.toThrowError(/9999_broken/);
        const { rows } = await store.db.query(
          "SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'",
        );
        expect(rows).toEqual([]);
        expect(
          (await store.db.query("SELECT 1 FROM schema_migrations WHERE version = '9999_broken'")).rows,
        ).toEqual([]);
      });
    });

    describe('ledger tables', () => {
      it('persists a fill with its journal and loads it back field for field', async () => {
        const fill = makeFill({
          instrument: aapl,
          side: 'buy',
          quantity: 100,
          price: 10.01,
          fee: 0.35,
          trade: 'P1',
        });
        const [booked] = bookAll([fill]);
        await store.appendFills([booked!]);
        expect(await store.loadLedgerEntries()).toEqual([{ kind: 'fill', sequence: 1, fill }]);
        const { rows } = await store.db.query<{ account: string; amount: string }>(
          'SELECT account, amount_minor::text AS amount FROM journal_lines ORDER BY line_no',
        );
        expect(rows.map((r) => [r.account, BigInt(r.amount)])).toEqual(
          booked!.journal.lines.map((l) => [l.account, l.amountMinor]),
        );
      });

      it('loads the fills of one order, or the last ones, in booking order', async () => {
        const fills = ['F1', 'F2', 'F3', 'F4'].map((trade, i) =>
          makeFill({
            instrument: aapl,
            side: 'buy',
            quantity: i + 1,
            price: 10,
            trade,
            strategy: i % 2 ? 'beta' : 'alpha',
          }),
        );
        await store.appendFills(bookAll(fills));
        expect((await store.loadFills()).map((f) => f.tradeId)).toEqual(['F1', 'F2', 'F3', 'F4']);
        expect(await store.loadFills({ limit: 2 })).toEqual(fills.slice(2));
        expect(await store.loadFills({ clientOrderId: fills[1]!.clientOrderId })).toEqual([fills[1]]);
      });

      it('ignores a fill stored already (same venue and tradeId), even under another sequence', async () => {
        const fill = makeFill({ instrument: aapl, side: 'buy', quantity: 1, price: 10, trade: 'DUP' });
        const [booked] = bookAll([fill]);
        await store.appendFills([booked!]);
        await store.appendFills([booked!]);
        await store.appendFills([{ fill, journal: { ...booked!.journal, sequence: 7 } }]);
        expect(await ledgerRowCounts()).toEqual([1, 1, 2, 0]);
      });

      it('keeps deposits idempotent on ref and loads deposits and fills in booking order', async () => {
        const ledger = new Ledger();
        const deposit = ledger.deposit('USD', 1_000_000_00n, 'capital:SIM-A', 5);
        const booked = bookAll(
          [makeFill({ instrument: aapl, side: 'sell', quantity: 2, price: 3, trade: 'O1' })],
          ledger,
        );
        const later = ledger.deposit('EUR', 7n, 'capital:EUR', 9);
        await store.appendDeposit(deposit);
        await store.appendFills(booked);
        await store.appendDeposit(later);
        await store.appendDeposit(deposit);
        const entries = await store.loadLedgerEntries();
        expect(entries.map((e) => [e.kind, e.sequence])).toEqual([
          ['deposit', 1],
          ['fill', 2],
          ['deposit', 3],
        ]);
        expect(entries[0]).toEqual({
          kind: 'deposit',
          sequence: 1,
          ref: 'capital:SIM-A',
          currency: 'USD',
          amountMinor: 1_000_000_00n,
          tsEvent: 5,
        });
      });

      it('keeps money exact beyond 64 bits and times to the microsecond', async () => {
        const ledger = new Ledger();
        // 38 digits (the column's precision), a withdrawal, and a µs time beyond 2^52
        const huge = 10n ** 37n * 9n + 123_456_789_012_345_678_901n;
        const tsEvent = 4_102_444_800_123_457;
        const journals = [
          ledger.deposit('USD', huge, 'capital:huge', tsEvent),
          ledger.deposit('USD', -huge + 1n, 'withdrawal:huge', tsEvent + 1),
        ];
        for (const journal of journals) await store.appendDeposit(journal);
        const entries = await store.loadLedgerEntries();
        expect(entries.map((e) => (e.kind === 'deposit' ? [e.amountMinor, e.tsEvent] : []))).toEqual(
          journals.map((j) => [j.amountMinor, j.tsEvent]),
        );
        const { rows } = await store.db.query<{ total: string }>(
          "SELECT sum(amount_minor)::text AS total FROM journal_lines WHERE account LIKE 'cash%'",
        );
        expect(BigInt(rows[0]!.total)).toBe(1n);
      });

      it('nothing half-booked: an unbalanced journal mid-batch leaves neither fills nor journals', async () => {
        const booked = bookAll(
          [1, 2, 3].map((i) =>
            makeFill({ instrument: aapl, side: 'buy', quantity: i, price: 10, trade: `H${i}` }),
          ),
        );
        const lines = booked[1]!.journal.lines;
        const unbalanced: FillJournal = {
          ...booked[1]!.journal,
          lines: [lines[0]!, { ...lines[1]!, amountMinor: lines[1]!.amountMinor + 1n }],
        };
        await expect(
          store.appendFills([booked[0]!, { fill: booked[1]!.fill, journal: unbalanced }, booked[2]!]),
        ).rejects.toThrowError(/does not balance/);
        expect(await ledgerRowCounts()).toEqual([0, 0, 0, 0]);
        // the same batch, corrected, goes through whole
        await store.appendFills(booked);
        expect(await ledgerRowCounts()).toEqual([3, 3, 6, 0]);
      });

      it('nothing half-booked: a fill violating a column constraint mid-batch rolls the batch back', async () => {
        const booked = bookAll(
          [1, 2, 3].map((i) =>
            makeFill({ instrument: aapl, side: 'buy', quantity: i, price: 10, trade: `C${i}` }),
          ),
        );
        const bad = { ...booked[1]!, fill: { ...booked[1]!.fill, side: 'hold' } } as unknown as BookedFill;
        await expect(store.appendFills([booked[0]!, bad, booked[2]!])).rejects.toThrowError(
          /fills_side_check/,
        );
        expect(await ledgerRowCounts()).toEqual([0, 0, 0, 0]);
      });

      it('is append-only: updates and deletes are refused', async () => {
        await store.appendFills(
          bookAll([makeFill({ instrument: aapl, side: 'buy', quantity: 1, price: 10, trade: 'A1' })]),
        );
        await expect(store.db.query('UPDATE fills SET price = 1')).rejects.toThrowError(/append-only/);
        await expect(store.db.query('DELETE FROM journal_lines')).rejects.toThrowError(/append-only/);
        expect(await ledgerRowCounts()).toEqual([1, 1, 2, 0]);
      });
    });

    describe('orders', () => {
      const base: OrderRecord = {
        clientOrderId: clientOrderId('alpha-1'),
        strategyId: strategyId('alpha'),
        instrumentId: instrumentId('AAPL', 'SIM-A'),
        venue: null,
        venueOrderId: null,
        side: 'buy',
        type: 'limit',
        timeInForce: 'GTC',
        quantity: 100,
        price: 10.01,
        triggerPrice: null,
        status: 'SUBMITTED',
        filledQuantity: 0,
        averageFillPrice: 0,
        lastReason: null,
        tsInit: 1_700_000_000_000_000,
        tsLast: 1_700_000_000_000_000,
      };

      it('upserts by clientOrderId, keeps nulls, and ignores an update older than the stored row', async () => {
        const filled: OrderRecord = {
          ...base,
          venue: venueId('SIM-A'),
          venueOrderId: venueOrderId('V-1'),
          status: 'PARTIALLY_FILLED',
          filledQuantity: 40,
          averageFillPrice: 10.003333333333334,
          tsLast: base.tsLast + 5,
        };
        const other: OrderRecord = {
          ...base,
          clientOrderId: clientOrderId('alpha-2'),
          type: 'stop',
          price: null,
          triggerPrice: 9.5,
          tsInit: base.tsInit + 1,
        };
        await store.upsertOrders([base, other]);
        await store.upsertOrders([filled, { ...base, lastReason: 'stale duplicate in one batch' }]);
        await store.upsertOrders([{ ...base, status: 'CANCELED', tsLast: base.tsLast + 1 }]);
        expect(await store.loadOrders()).toEqual([filled, other]);
      });

      it('loads one order, a strategy, open or closed, and the last ones, by creation', async () => {
        const records: OrderRecord[] = [
          { ...base, clientOrderId: clientOrderId('q-1'), status: 'FILLED', tsInit: base.tsInit + 1 },
          { ...base, clientOrderId: clientOrderId('q-2'), status: 'ACCEPTED', tsInit: base.tsInit + 2 },
          {
            ...base,
            clientOrderId: clientOrderId('q-3'),
            strategyId: strategyId('beta'),
            tsInit: base.tsInit + 3,
          },
          { ...base, clientOrderId: clientOrderId('q-4'), status: 'INITIALIZED', tsInit: base.tsInit + 4 },
        ];
        await store.upsertOrders(records);
        const ids = (list: OrderRecord[]): string[] => list.map((o) => o.clientOrderId);
        expect(await store.loadOrders({ clientOrderId: 'q-3' })).toEqual([records[2]]);
        expect(ids(await store.loadOrders({ strategyId: 'alpha' }))).toEqual(['q-1', 'q-2', 'q-4']);
        // Open as isOpen says: not terminal and not INITIALIZED.
        expect(ids(await store.loadOrders({ status: 'open' }))).toEqual(['q-2', 'q-3']);
        expect(ids(await store.loadOrders({ status: 'closed' }))).toEqual(['q-1', 'q-4']);
        expect(ids(await store.loadOrders({ limit: 2 }))).toEqual(['q-3', 'q-4']);
        expect(ids(await store.loadOrders({ strategyId: 'alpha', status: 'open', limit: 5 }))).toEqual([
          'q-2',
        ]);
      });

      it('never lets an external record replace one of ours under the same id (an order released long ago)', async () => {
        const ours: OrderRecord = {
          ...base,
          clientOrderId: clientOrderId('alpha-9'),
          status: 'FILLED',
          filledQuantity: 100,
        };
        const external: OrderRecord = {
          ...ours,
          strategyId: strategyId('external'),
          type: 'market',
          quantity: 3,
          status: 'FILLED',
          filledQuantity: 3,
          tsLast: ours.tsLast + 1_000,
        };
        await store.upsertOrders([ours]);
        await store.upsertOrders([external]);
        expect((await store.loadOrders()).find((o) => o.clientOrderId === ours.clientOrderId)).toEqual(ours);
        // An external one is still updated by a newer external record, and ours by ours.
        const theirs = { ...external, clientOrderId: clientOrderId('ext-1') };
        await store.upsertOrders([theirs]);
        await store.upsertOrders([{ ...theirs, filledQuantity: 4, tsLast: theirs.tsLast + 1 }]);
        expect(
          (await store.loadOrders()).find((o) => o.clientOrderId === theirs.clientOrderId)?.filledQuantity,
        ).toBe(4);
      });
    });

    describe('event log', () => {
      it('appends messages in order and loads a stream from a time on', async () => {
        const alert = (code: string, tsEvent: number): Alert => ({
          type: 'alert',
          severity: 'warning',
          code,
          source: 'test',
          message: 'm',
          tsEvent,
        });
        await store.appendEvents('alerts', [alert('A', 10), alert('B', 30), alert('C', 20)]);
        await store.appendEvents('alerts', [alert('D', 40)]);
        const fill = makeFill({
          instrument: aapl,
          side: 'sell',
          quantity: 3,
          price: 0.1,
          fee: 1e-7,
          trade: 'EV1',
        });
        await store.appendEvents('fills', [fill]);
        const all = await store.loadEvents('alerts');
        expect(all.map((e) => e.message.code)).toEqual(['A', 'B', 'C', 'D']);
        expect(all.map((e) => e.sequence)).toEqual([...all.map((e) => e.sequence)].sort((a, b) => a - b));
        expect((await store.loadEvents('alerts', 20)).map((e) => [e.message.code, e.ts])).toEqual([
          ['B', 30],
          ['C', 20],
          ['D', 40],
        ]);
        expect((await store.loadEvents('fills')).map((e) => e.message)).toEqual([fill]);
      });
    });

    describe('paper venue journal', () => {
      const simA = venueId('SIM-A');
      const simB = venueId('SIM-B');
      const request: OrderRequest = {
        clientOrderId: clientOrderId('alpha-1'),
        strategyId: strategyId('alpha'),
        instrumentId: instrumentId('AAPL', 'SIM-A'),
        side: 'buy',
        type: 'limit',
        quantity: 100,
        price: 10.01,
        timeInForce: 'GTC',
        reduceOnly: false,
        tsInit: 4_102_444_800_123_457,
      };
      const base = { venue: simA, clientOrderId: request.clientOrderId };
      const fill = (seq: number, trade: string, price: number, fee: number): StoredPaperVenueRecord => ({
        seq,
        event: {
          ...base,
          kind: 'fill',
          venueOrderId: venueOrderId('SIM-A-1'),
          tradeId: tradeId(trade),
          instrumentId: request.instrumentId,
          side: 'buy',
          quantity: 40,
          price,
          fee,
          feeCurrency: 'USD',
          liquidity: 'maker',
          tsEvent: 4_102_444_800_123_459,
        },
      });
      const records: StoredPaperVenueRecord[] = [
        {
          seq: 1,
          event: {
            ...base,
            kind: 'accepted',
            venueOrderId: venueOrderId('SIM-A-1'),
            tsEvent: 4_102_444_800_123_458,
          },
          request,
        },
        // numbers that are not short decimals come back as the same doubles
        fill(2, 'SIM-A-T1', 0.1 + 0.2, -1e-7),
        {
          seq: 3,
          event: {
            ...base,
            kind: 'modified',
            quantity: 60,
            price: 10.02,
            triggerPrice: undefined,
            tsEvent: 5,
          },
        },
        {
          seq: 4,
          event: { ...base, kind: 'rejected', reason: 'VENUE_REJECTED', message: 'm', tsEvent: 6 },
          request: { ...request, clientOrderId: clientOrderId('alpha-2') },
        },
        { seq: 5, event: { ...base, kind: 'canceled', reason: 'VENUE_USER_CANCELED', tsEvent: 7 } },
      ];

      it('appends records and loads them back field for field, by seq, per venue', async () => {
        await store.appendPaperVenueRecords(simA, records.slice(0, 2));
        await store.appendPaperVenueRecords(simB, [
          { ...records[0]!, event: { ...records[0]!.event, venue: simB } },
        ]);
        await store.appendPaperVenueRecords(simA, records.slice(2));
        const loaded = await store.loadPaperVenueRecords(simA);
        expect(loaded).toEqual(records);
        expect(loaded.filter((r) => r.request === undefined).map((r) => r.seq)).toEqual([2, 3, 5]);
        expect((await store.loadPaperVenueRecords(simB)).map((r) => [r.seq, r.event.venue])).toEqual([
          [1, simB],
        ]);
        expect(await store.loadPaperVenueRecords(venueId('SIM-C'))).toEqual([]);
      });

      it('skips records stored already (a retried batch) and refuses a reused trade id, all or nothing', async () => {
        await store.appendPaperVenueRecords(simA, records.slice(0, 3));
        await store.appendPaperVenueRecords(simA, records.slice(0, 4));
        expect((await store.loadPaperVenueRecords(simA)).map((r) => r.seq)).toEqual([1, 2, 3, 4]);
        await expect(
          store.appendPaperVenueRecords(simA, [records[4]!, fill(6, 'SIM-A-T1', 10, 0)]),
        ).rejects.toThrowError(/paper_venue_journal_trade_idx|duplicate key/);
        expect((await store.loadPaperVenueRecords(simA)).map((r) => r.seq)).toEqual([1, 2, 3, 4]);
        // the same trade id on another venue is another trade
        await store.appendPaperVenueRecords(simB, [{ ...fill(1, 'SIM-A-T1', 10, 0) }]);
        expect(await count('paper_venue_journal')).toBe(5);
      });
    });

    describe('control plane and reconciliation runs', () => {
      it('sets, overwrites and deletes control fields', async () => {
        await store.setControl('policy:kill_switch', 'enabled', 'true');
        await store.setControl('policy:route_override', 'SIM-A', 'SIM-B');
        await store.setControl('policy:kill_switch', 'enabled', 'false');
        await store.setControl('strategy:enabled', 'alpha', 'true');
        await store.setControl('strategy:enabled', 'alpha', undefined);
        expect(await store.loadControl()).toEqual({
          'policy:kill_switch': { enabled: 'false' },
          'policy:route_override': { 'SIM-A': 'SIM-B' },
        });
      });

      it('saves reconciliation runs (bigints as strings) and lists the latest first', async () => {
        await store.saveReconciliation({ ts: 100, breaks: [] });
        await store.saveReconciliation({
          ts: 200,
          breaks: [{ code: 'RECON_POSITION_MISMATCH', expected: 5n }],
        });
        await store.saveReconciliation({ ts: 300, breaks: [] });
        expect(await store.loadReconciliations(2)).toEqual([
          { ts: 300, breaks: [] },
          { ts: 200, breaks: [{ code: 'RECON_POSITION_MISMATCH', expected: '5' }] },
        ]);
      });
    });
  });
}
