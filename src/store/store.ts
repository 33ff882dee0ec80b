// The Store: everything the platform persists, behind one interface so the embedded deployment (PGlite)
// and the distributed one (PostgreSQL via `pg`) are interchangeable and share one set of migrations.

import type { MessageOf, StreamName } from '../common/bus.ts';
import type { BookedFill, DepositJournal, LedgerEntry, LedgerStore } from '../ledger/index.ts';
import type {
  ClientOrderId,
  InstrumentId,
  OrderRequest,
  OrderSide,
  OrderStatus,
  OrderType,
  StrategyId,
  TimeInForce,
  VenueEvent,
  VenueId,
  VenueOrderId,
} from '../model/index.ts';

/** A plain, serializable snapshot of an OMS order (absent values are null). */
export interface OrderRecord {
  readonly clientOrderId: ClientOrderId;
  readonly strategyId: StrategyId;
  readonly instrumentId: InstrumentId;
  readonly venue: VenueId | null;
  readonly venueOrderId: VenueOrderId | null;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly quantity: number;
  readonly price: number | null;
  readonly triggerPrice: number | null;
  readonly status: OrderStatus;
  readonly filledQuantity: number;
  readonly averageFillPrice: number;
  readonly lastReason: string | null;
  readonly tsInit: number;
  readonly tsLast: number;
}

/** A bus message as logged: its position in the log and its time (tsEvent, or tsInit for commands). */
export interface StoredEvent<T> {
  readonly sequence: number;
  readonly stream: string;
  readonly ts: number;
  readonly message: T;
}

export interface ReconciliationRun {
  readonly ts: number;
  readonly breaks: readonly unknown[];
}

/** One record of a paper venue's journal (the port is src/venues/paper/journal.ts; same shape). */
export interface StoredPaperVenueRecord {
  readonly seq: number;
  readonly event: VenueEvent;
  readonly request?: OrderRequest;
}

export interface Store extends LedgerStore {
  /** Applies pending migrations (the stores' `open` already does). */
  migrate(): Promise<void>;
  /** One transaction for the whole batch; a fill already stored (same venue and tradeId) is skipped. */
  appendFills(fills: readonly BookedFill[]): Promise<void>;
  /** Idempotent on the deposit's ref. */
  appendDeposit(journal: DepositJournal): Promise<void>;
  /** Deposits and fills in booking order, for `Ledger.replay` / `LedgerEngine.restore`. */
  loadLedgerEntries(): Promise<LedgerEntry[]>;
  /** Inserts or replaces by clientOrderId; an update older (by tsLast) than the stored row is ignored. */
  upsertOrders(orders: readonly OrderRecord[]): Promise<void>;
  loadOrders(): Promise<OrderRecord[]>;
  /** Appends bus messages to the event log, in order, in one transaction. */
  appendEvents<S extends StreamName>(stream: S, messages: readonly MessageOf<S>[]): Promise<void>;
  /** A stream's logged messages with ts ≥ sinceTs (all when omitted), in log order. */
  loadEvents<S extends StreamName>(stream: S, sinceTs?: number): Promise<StoredEvent<MessageOf<S>>[]>;
  /** Sets a control-plane field; undefined deletes it. */
  setControl(key: string, field: string, value: string | undefined): Promise<void>;
  loadControl(): Promise<Record<string, Record<string, string>>>;
  saveReconciliation(run: ReconciliationRun): Promise<void>;
  /**
   * Appends a paper venue's journal records in one statement (all or none); a record already stored (same
   * venue and seq) is skipped, so a retried batch is harmless. A trade id stored twice for a venue is refused.
   */
  appendPaperVenueRecords(venue: VenueId, records: readonly StoredPaperVenueRecord[]): Promise<void>;
  /** Every journal record of `venue`, by seq. */
  loadPaperVenueRecords(venue: VenueId): Promise<StoredPaperVenueRecord[]>;
  /** The latest runs first. */
  loadReconciliations(limit?: number): Promise<ReconciliationRun[]>;
  close(): Promise<void>;
}
