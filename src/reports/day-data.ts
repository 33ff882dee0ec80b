// One UTC day of a session's data for `hf tca` and `hf report`: which store to read (an embedded session's
// PGlite, or PostgreSQL at DATABASE_URL), and from it the day's orders (commands as decided, venue events, the
// OMS records), fills, ledger entries, risk denials, venue rejections, alerts and reconciliation runs, with the
// recorded market tape of the instruments traded.

import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { DEFAULT_MARKOUT_HORIZONS_MICROS } from '../analytics/index.ts';
import { Streams } from '../common/topics.ts';
import type { LedgerEntry } from '../ledger/index.ts';
import type {
  Alert,
  OrderCancelRejected,
  OrderDenied,
  OrderFilled,
  OrderModifyRejected,
  OrderRejected,
  OrderSide,
  OrderType,
} from '../model/index.ts';
import { callChannel } from '../services/control-channel.ts';
import { PostgresStore } from '../store/postgres.ts';
import { maskUrl } from '../common/url.ts';
import { dayRange } from '../store/recording.ts';
import { SqlStore, type SqlDriver } from '../store/sql-store.ts';
import type { OrderRecord, ReconciliationRun, Store } from '../store/store.ts';
import { readDayTape, type DayTape, type TapeWindow } from './day-tape.ts';
import { formatDateTime } from './format.ts';

/** Where a day's data came from. */
export interface DaySource {
  readonly kind: 'pglite' | 'postgres';
  /** The session folder (PGlite) or the masked URL (PostgreSQL). */
  readonly location: string;
  /** PGlite only: read from a copy, because a running `hf run` holds the session. */
  readonly snapshot: boolean;
}

/** An order with activity on the day, as the strategy decided it and as the OMS and venues saw it. */
export interface DayOrder {
  readonly clientOrderId: string;
  readonly strategyId: string;
  /** The instrument the strategy asked for. */
  readonly instrumentId: string;
  /** Where it executed (smart routing may move it to another venue's listing). */
  readonly executionInstrumentId: string;
  readonly venue: string | null;
  readonly side: OrderSide;
  readonly type: OrderType | null;
  readonly quantity: number;
  readonly price: number | null;
  /** When the strategy decided (the command's tsInit; the OMS record's when the command is on another day). */
  readonly decisionTime: number;
  /** When the OMS routed it (order_submitted) or, without that, when the venue accepted it; null if never. */
  readonly arrivalTime: number | null;
  /** The OMS record's status; without a record, the last venue event's outcome, or UNKNOWN. */
  readonly status: string;
  readonly denial: OrderDenied | null;
  /** The order's fills on the day, in time order. */
  readonly fills: readonly OrderFilled[];
}

export type VenueRejection = OrderRejected | OrderCancelRejected | OrderModifyRejected;

export interface DayData {
  readonly date: string;
  /** [start, end) of the day, unix µs. */
  readonly start: number;
  readonly end: number;
  readonly source: DaySource;
  readonly orders: readonly DayOrder[];
  /** Commands on orders.incoming by type. */
  readonly commands: Readonly<Record<'submit_order' | 'cancel_order' | 'modify_order', number>>;
  /** The day's fills, in time order. */
  readonly fills: readonly OrderFilled[];
  /** Every ledger entry up to the day's end, in booking order (the ledger is rebuilt from them). */
  readonly ledgerEntries: readonly LedgerEntry[];
  readonly denials: readonly OrderDenied[];
  readonly venueRejections: readonly VenueRejection[];
  readonly alerts: readonly Alert[];
  /** The day's reconciliation runs, oldest first. */
  readonly reconciliations: readonly ReconciliationRun[];
  readonly tape: DayTape;
  /** Things the reader should know (a snapshot of a running session, other sessions on the day, …). */
  readonly notes: readonly string[];
}

export interface LoadDayOptions {
  /** The platform home: sessions under `<home>/sessions`, the recording under `<home>/recordings`. */
  readonly home: string;
  /** YYYY-MM-DD (UTC). */
  readonly date: string;
  /** A session folder (or its name under `<home>/sessions`, or its pgdata folder). */
  readonly session?: string;
  /** PostgreSQL (the distributed deployment); used when no session is given. */
  readonly databaseUrl?: string;
  /** The control socket of a running `hf run` (a live session is read from a copy). */
  readonly controlSocket?: string;
  /** The largest markout horizon, µs: how long after each fill the tape is kept (default 60 s). */
  readonly tapeHorizonMicros?: number;
}

/** No data for the date (exit code 1) or a store that cannot be read (exit code 2), with what was looked at. */
export class DayDataError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
    this.name = 'DayDataError';
  }
}

const SESSION_NAME = /^(\d{4})(\d{2})(\d{2})-\d{6}$/;
const RECONCILIATION_RUNS_READ = 1_000_000;

/** The store data of one day, before the tape is read. */
type StoreDay = Omit<DayData, 'tape' | 'notes' | 'source'>;

function pgliteDriver(db: PGlite): SqlDriver {
  return {
    exec: (sql) => db.exec(sql),
    query: <Row>(sql: string, params?: readonly unknown[]) =>
      db.query<Row>(sql, params ? [...params] : undefined),
    close: () => db.close(),
  };
}

/** A session's store, opened without migrating (a report never changes a session's schema). */
async function openPglite(dataDir: string): Promise<Store> {
  const db = await PGlite.create(dataDir);
  return new SqlStore(pgliteDriver(db));
}

/** The data folder of a session folder, or undefined when it has none. */
function dataDirOf(folder: string): string | undefined {
  if (existsSync(join(folder, 'pgdata', 'PG_VERSION'))) return join(folder, 'pgdata');
  if (existsSync(join(folder, 'PG_VERSION'))) return folder;
  return undefined;
}

export interface SessionInfo {
  readonly name: string;
  readonly folder: string;
  readonly dataDir: string;
  /** The UTC day the session started on, from its name; undefined for a folder named otherwise. */
  readonly startDay: string | undefined;
}

/** The sessions under `<home>/sessions` that hold a store, oldest first by name. */
export function listSessions(home: string): SessionInfo[] {
  const root = join(home, 'sessions');
  if (!existsSync(root)) return [];
  const out: SessionInfo[] = [];
  for (const name of readdirSync(root).sort()) {
    const folder = join(root, name);
    if (!statSync(folder).isDirectory()) continue;
    const dataDir = dataDirOf(folder);
    if (dataDir === undefined) continue;
    const match = SESSION_NAME.exec(name);
    out.push({
      name,
      folder,
      dataDir,
      startDay: match ? `${match[1]}-${match[2]}-${match[3]}` : undefined,
    });
  }
  return out;
}

/**
 * The sessions that may hold data of `date`, in the order to try them: those started that day (newest first),
 * then the last one started before it (one `hf run` per home at a time, so only it can run into the day), then
 * folders whose names carry no start time.
 */
export function candidateSessions(sessions: readonly SessionInfo[], date: string): SessionInfo[] {
  const sameDay = sessions.filter((s) => s.startDay === date).reverse();
  const before = sessions.filter((s) => s.startDay !== undefined && s.startDay < date);
  const unnamed = sessions.filter((s) => s.startDay === undefined).reverse();
  const last = before[before.length - 1];
  return [...sameDay, ...(last ? [last] : []), ...unnamed];
}

async function isRunning(socket: string | undefined): Promise<boolean> {
  if (socket === undefined || !existsSync(socket)) return false;
  try {
    await callChannel(socket, 'GET', '/health');
    return true;
  } catch {
    return false;
  }
}

function inDay(ts: number, start: number, end: number): boolean {
  return ts >= start && ts < end;
}

/** Reads one day from an open store. */
export async function readStoreDay(store: Store, date: string): Promise<StoreDay> {
  const range = dayRange(date);
  if (range === undefined) throw new DayDataError(`"${date}" is not a date (YYYY-MM-DD)`, 2);
  const { start, end } = range;
  const [commandLog, eventLog, denialLog, alertLog, records, entries, runs] = await Promise.all([
    store.loadEvents(Streams.ordersIncoming, start),
    store.loadEvents(Streams.ordersEvents, start),
    store.loadEvents(Streams.ordersRejected, start),
    store.loadEvents(Streams.alerts, start),
    store.loadOrders(),
    store.loadLedgerEntries(),
    store.loadReconciliations(RECONCILIATION_RUNS_READ),
  ]);

  const commands = { submit_order: 0, cancel_order: 0, modify_order: 0 };
  const submits = new Map<string, { order: DayOrderDraft; time: number }>();
  const touched = new Set<string>();
  for (const { ts, message } of commandLog) {
    if (!inDay(ts, start, end)) continue;
    switch (message.type) {
      case 'submit_order': {
        commands.submit_order++;
        const o = message.order;
        touched.add(o.clientOrderId);
        if (!submits.has(o.clientOrderId))
          submits.set(o.clientOrderId, {
            time: message.tsInit,
            order: {
              clientOrderId: o.clientOrderId,
              strategyId: o.strategyId,
              instrumentId: o.instrumentId,
              side: o.side,
              type: o.type,
              quantity: o.quantity,
              price: o.price ?? null,
            },
          });
        break;
      }
      case 'cancel_order':
        commands.cancel_order++;
        break;
      case 'modify_order':
        commands.modify_order++;
        break;
    }
  }

  const arrivals = new Map<string, { submitted?: number; accepted?: number; venue?: string }>();
  const outcomes = new Map<string, string>();
  const venueRejections: VenueRejection[] = [];
  for (const { ts, message } of eventLog) {
    if (!inDay(ts, start, end)) continue;
    touched.add(message.clientOrderId);
    switch (message.type) {
      case 'order_submitted':
      case 'order_accepted': {
        let arrival = arrivals.get(message.clientOrderId);
        if (arrival === undefined) {
          arrival = {};
          arrivals.set(message.clientOrderId, arrival);
        }
        if (message.type === 'order_submitted') arrival.submitted ??= message.tsEvent;
        else arrival.accepted ??= message.tsEvent;
        arrival.venue ??= message.venue;
        if (message.type === 'order_accepted') outcomes.set(message.clientOrderId, 'ACCEPTED');
        break;
      }
      case 'order_rejected':
        venueRejections.push(message);
        outcomes.set(message.clientOrderId, 'REJECTED');
        break;
      case 'order_cancel_rejected':
      case 'order_modify_rejected':
        venueRejections.push(message);
        break;
      case 'order_canceled':
        outcomes.set(message.clientOrderId, 'CANCELED');
        break;
      case 'order_expired':
        outcomes.set(message.clientOrderId, 'EXPIRED');
        break;
      // Fills are read from the ledger entries; the rest change no outcome the day's data needs.
      case 'order_filled':
      case 'order_denied':
      case 'order_triggered':
      case 'order_modified':
      case 'order_pending_cancel':
      case 'order_pending_update':
        break;
    }
  }

  const denials: OrderDenied[] = [];
  const denialOf = new Map<string, OrderDenied>();
  for (const { ts, message } of denialLog) {
    if (!inDay(ts, start, end)) continue;
    denials.push(message);
    if (message.command === 'submit_order' && !denialOf.has(message.clientOrderId))
      denialOf.set(message.clientOrderId, message);
  }

  const ledgerEntries: LedgerEntry[] = [];
  const fills: OrderFilled[] = [];
  const fillsOf = new Map<string, OrderFilled[]>();
  for (const entry of entries) {
    const ts = entry.kind === 'fill' ? entry.fill.tsEvent : entry.tsEvent;
    if (ts >= end) continue;
    ledgerEntries.push(entry);
    if (entry.kind !== 'fill' || ts < start) continue;
    fills.push(entry.fill);
    touched.add(entry.fill.clientOrderId);
    let list = fillsOf.get(entry.fill.clientOrderId);
    if (list === undefined) {
      list = [];
      fillsOf.set(entry.fill.clientOrderId, list);
    }
    list.push(entry.fill);
  }
  fills.sort((a, b) => a.tsEvent - b.tsEvent);
  for (const list of fillsOf.values()) list.sort((a, b) => a.tsEvent - b.tsEvent);

  const recordOf = new Map<string, OrderRecord>();
  for (const record of records) recordOf.set(record.clientOrderId, record);

  const orders: DayOrder[] = [];
  for (const id of touched) {
    const submit = submits.get(id);
    const record = recordOf.get(id);
    const orderFills = fillsOf.get(id) ?? [];
    const firstFill = orderFills[0];
    const draft: DayOrderDraft | undefined =
      submit?.order ??
      (record
        ? {
            clientOrderId: id,
            strategyId: record.strategyId,
            instrumentId: record.instrumentId,
            side: record.side,
            type: record.type,
            quantity: record.quantity,
            price: record.price,
          }
        : firstFill
          ? {
              clientOrderId: id,
              strategyId: firstFill.strategyId,
              instrumentId: firstFill.instrumentId,
              side: firstFill.side,
              type: null,
              quantity: orderFills.reduce((sum, f) => sum + f.lastQuantity, 0),
              price: null,
            }
          : undefined);
    // A cancel of an order placed on another day, with no record left: nothing to say about it here.
    if (draft === undefined) continue;
    const arrival = arrivals.get(id);
    const denial = denialOf.get(id) ?? null;
    orders.push({
      ...draft,
      executionInstrumentId: firstFill?.instrumentId ?? record?.instrumentId ?? draft.instrumentId,
      venue: record?.venue ?? arrival?.venue ?? firstFill?.venue ?? null,
      decisionTime: submit?.time ?? record?.tsInit ?? firstFill?.tsEvent ?? start,
      arrivalTime: arrival?.submitted ?? arrival?.accepted ?? null,
      status: record?.status ?? statusWithoutRecord(denial, orderFills, outcomes.get(id)),
      denial,
      fills: orderFills,
    });
  }
  orders.sort((a, b) => a.decisionTime - b.decisionTime || a.clientOrderId.localeCompare(b.clientOrderId));

  const alerts: Alert[] = [];
  for (const { ts, message } of alertLog) if (inDay(ts, start, end)) alerts.push(message);
  const reconciliations = runs.filter((run) => inDay(run.ts, start, end)).sort((a, b) => a.ts - b.ts);

  return {
    date,
    start,
    end,
    orders,
    commands,
    fills,
    ledgerEntries,
    denials,
    venueRejections,
    alerts,
    reconciliations,
  };
}

/** An order's status from the day's events when the OMS saved no record of it. */
function statusWithoutRecord(
  denial: OrderDenied | null,
  fills: readonly OrderFilled[],
  outcome: string | undefined,
): string {
  if (denial !== null) return 'DENIED';
  const last = fills[fills.length - 1];
  if (last !== undefined && last.leavesQuantity === 0) return 'FILLED';
  return outcome ?? (last !== undefined ? 'PARTIALLY_FILLED' : 'UNKNOWN');
}

type DayOrderDraft = Pick<
  DayOrder,
  'clientOrderId' | 'strategyId' | 'instrumentId' | 'side' | 'type' | 'quantity' | 'price'
>;

/** Whether the store holds anything about the day: orders, fills, denials, alerts or reconciliation runs. */
export function hasDayData(day: StoreDay): boolean {
  return (
    day.orders.length > 0 ||
    day.fills.length > 0 ||
    day.denials.length > 0 ||
    day.alerts.length > 0 ||
    day.reconciliations.length > 0 ||
    day.commands.cancel_order + day.commands.modify_order > 0
  );
}

/** Tape windows: each order's decision and arrival, and from arrival to its last fill plus the horizon. */
export function tapeWindows(orders: readonly DayOrder[], horizonMicros: number): TapeWindow[] {
  const windows: TapeWindow[] = [];
  for (const order of orders) {
    if (order.denial !== null) continue;
    windows.push({ instrumentId: order.instrumentId, start: order.decisionTime, end: order.decisionTime });
    const arrival = order.arrivalTime ?? order.decisionTime;
    const lastFill = order.fills[order.fills.length - 1]?.tsEvent ?? arrival;
    windows.push({
      instrumentId: order.executionInstrumentId,
      start: Math.min(order.decisionTime, arrival),
      end: Math.max(arrival, lastFill) + horizonMicros,
    });
  }
  return windows;
}

interface OpenedStore {
  readonly store: Store;
  readonly source: DaySource;
  readonly cleanup: () => void;
}

async function openSession(
  session: SessionInfo | { folder: string; dataDir: string },
  live: boolean,
): Promise<OpenedStore> {
  let dataDir = session.dataDir;
  let cleanup = (): void => undefined;
  try {
    if (live) {
      // Two PostgreSQL instances on one data folder would corrupt it: read a copy of the running session's.
      const copy = mkdtempSync(join(tmpdir(), 'hf-report-snapshot-'));
      cleanup = () => rmSync(copy, { recursive: true, force: true });
      cpSync(dataDir, copy, { recursive: true });
      dataDir = copy;
    }
    const store = await openPglite(dataDir);
    return { store, source: { kind: 'pglite', location: session.folder, snapshot: live }, cleanup };
  } catch (error) {
    cleanup();
    throw new DayDataError(
      `cannot open the session store ${session.dataDir}${
        live ? ' (read from a copy, as a running hf run holds it: try again, or once it has stopped)' : ''
      }: ${error instanceof Error ? error.message : String(error)}`,
      2,
    );
  }
}

function finishDay(
  day: StoreDay,
  source: DaySource,
  notes: string[],
  home: string,
  horizonMicros: number,
): DayData {
  const tape = readDayTape(join(home, 'recordings'), day.date, tapeWindows(day.orders, horizonMicros));
  if (tape.messages === 0)
    notes.push(
      `no market data recorded for ${day.date} under ${join(home, 'recordings', day.date)}: no marks, no TCA prices`,
    );
  if (tape.problemCount > 0)
    notes.push(
      `${tape.problemCount} recorded line(s) could not be read and were skipped (first: ${tape.problems
        .slice(0, 3)
        .map((p) => `${p.file}:${p.line} ${p.problem}`)
        .join('; ')})`,
    );
  if (source.snapshot)
    notes.push(
      `session ${source.location} is held by a running hf run: read from a copy taken at ${formatDateTime(Date.now() * 1000)} UTC`,
    );
  return { ...day, source, tape, notes };
}

/**
 * Opens the right store and reads the day: `session` when given, else PostgreSQL when `databaseUrl` is set,
 * else the latest session under `<home>/sessions` with data on the date. Throws a DayDataError naming what was
 * looked at when there is none (exit code 1) or a store cannot be opened (exit code 2).
 */
export async function loadDayData(options: LoadDayOptions): Promise<DayData> {
  const { home, date } = options;
  if (dayRange(date) === undefined) throw new DayDataError(`--date "${date}" is not a date (YYYY-MM-DD)`, 2);
  const horizon =
    options.tapeHorizonMicros ?? Math.max(...DEFAULT_MARKOUT_HORIZONS_MICROS.map((h) => Math.abs(h)));
  const notes: string[] = [];
  const sessions = listSessions(home);
  const newest = sessions[sessions.length - 1];
  const running = await isRunning(options.controlSocket);

  if (options.session !== undefined) {
    const given = resolve(options.session);
    const named = join(home, 'sessions', options.session);
    const folder = existsSync(given) ? given : existsSync(named) ? named : undefined;
    const dataDir = folder === undefined ? undefined : dataDirOf(folder);
    if (folder === undefined || dataDir === undefined)
      throw new DayDataError(
        `--session ${options.session}: no session store there (looked for ${given}/pgdata${folder === undefined ? ` and ${named}` : ''})`,
        2,
      );
    const live = running && newest !== undefined && resolve(newest.dataDir) === resolve(dataDir);
    const opened = await openSession({ folder, dataDir }, live);
    try {
      const day = await readStoreDay(opened.store, date);
      if (!hasDayData(day))
        throw new DayDataError(
          `no data for ${date} in session ${folder}: no orders, fills, denials, alerts or reconciliation runs that day`,
          1,
        );
      return finishDay(day, opened.source, notes, home, horizon);
    } finally {
      await opened.store.close();
      opened.cleanup();
    }
  }

  if (options.databaseUrl !== undefined && options.databaseUrl !== '') {
    const location = maskUrl(options.databaseUrl);
    let store: Store;
    try {
      store = await PostgresStore.open(options.databaseUrl);
    } catch (error) {
      throw new DayDataError(
        `cannot open PostgreSQL at ${location} (DATABASE_URL): ${error instanceof Error ? error.message : String(error)}`,
        2,
      );
    }
    try {
      const day = await readStoreDay(store, date);
      if (!hasDayData(day))
        throw new DayDataError(
          `no data for ${date} in PostgreSQL at ${location} (DATABASE_URL): no orders, fills, denials, alerts or reconciliation runs that day`,
          1,
        );
      return finishDay(day, { kind: 'postgres', location, snapshot: false }, notes, home, horizon);
    } finally {
      await store.close();
    }
  }

  const candidates = candidateSessions(sessions, date);
  if (candidates.length === 0)
    throw new DayDataError(
      sessions.length === 0
        ? `no data for ${date}: no sessions under ${join(home, 'sessions')} (run hf run, or pass --session / set DATABASE_URL)`
        : `no data for ${date}: no session under ${join(home, 'sessions')} started on or before it (sessions: ${sessions
            .map((s) => s.name)
            .join(', ')})`,
      1,
    );
  const lookedAt: string[] = [];
  for (const candidate of candidates) {
    const live = running && candidate === newest;
    const opened = await openSession(candidate, live);
    try {
      const day = await readStoreDay(opened.store, date);
      if (!hasDayData(day)) {
        lookedAt.push(candidate.name);
        continue;
      }
      const others = candidates.filter((c) => c !== candidate && c.startDay === date).map((c) => c.name);
      if (others.length > 0)
        notes.push(
          `other sessions started on ${date} are not in this report: ${others.join(', ')} (use --session)`,
        );
      return finishDay(day, opened.source, notes, home, horizon);
    } finally {
      await opened.store.close();
      opened.cleanup();
    }
  }
  throw new DayDataError(
    `no data for ${date}: looked at session${lookedAt.length === 1 ? '' : 's'} ${lookedAt.join(', ')} under ${join(
      home,
      'sessions',
    )}: no orders, fills, denials, alerts or reconciliation runs that day`,
    1,
  );
}

/** A short description of the source for headers: the session's name, or PostgreSQL's masked URL. */
export function describeSource(source: DaySource): string {
  return source.kind === 'pglite'
    ? `session ${basename(source.location)} (${source.location})${source.snapshot ? ', a copy of the running session' : ''}`
    : `PostgreSQL ${source.location}`;
}
