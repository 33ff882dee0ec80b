// The Store: everything the platform persists, behind one interface so the embedded deployment (PGlite)
// and the distributed one (PostgreSQL via `pg`) are interchangeable and share one set of migrations.

import type { MessageOf, StreamName } from '../common/bus.ts';
import type { BookedFill, DepositJournal, LedgerEntry, LedgerStore } from '../ledger/index.ts';
import type {
  ClientOrderId,
  InstrumentId,
  OrderFilled,
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

/** A role of the API (src/services/auth.ts says what each may do). */
export type AccessRole = 'viewer' | 'trader' | 'risk-officer' | 'admin';

export interface UserRecord {
  /** Lower case letters, digits, `.`, `_`, `-`; up to 64 characters. */
  readonly name: string;
  readonly role: AccessRole;
  /** Unix milliseconds. */
  readonly createdMs: number;
  readonly disabledMs: number | null;
}

/** An API token, a dashboard session or a one-time WebSocket ticket: only the SHA-256 of its secret is kept. */
export interface TokenRecord {
  /** Public handle, e.g. `tok_3f9a0c21d4e5b678`: lists and revokes, never authenticates. */
  readonly id: string;
  readonly user: string;
  readonly kind: 'api' | 'session' | 'ws';
  readonly label: string;
  /** sha256 of the secret, hex. */
  readonly hash: string;
  /** The token a session was opened with, the session or token a ticket was issued to. */
  readonly parentId: string | null;
  readonly createdMs: number;
  readonly expiresMs: number | null;
  readonly revokedMs: number | null;
}

/** A token that authenticates now, with its (enabled) user. */
export interface ActiveToken {
  readonly token: TokenRecord;
  readonly user: UserRecord;
}

/** One control action, applied or refused: who, when, what, old -> new value and why. */
export interface ControlAuditEntry {
  readonly tsMs: number;
  readonly actor: string;
  readonly role: string | null;
  readonly via: string;
  readonly action: string;
  readonly key: string | null;
  readonly field: string | null;
  readonly oldValue: string | null;
  readonly newValue: string | null;
  readonly reason: string | null;
  readonly outcome: 'applied' | 'denied' | 'failed';
  readonly detail: string | null;
  readonly remote: string | null;
}

export interface ControlAuditRecord extends ControlAuditEntry {
  readonly id: number;
}

/** One applied version of risk.yaml or policy.yaml (migration 0004_policy_versions). */
export interface PolicyVersionRecord {
  readonly version: number;
  readonly file: 'risk.yaml' | 'policy.yaml';
  readonly content: string;
  readonly cause: 'start' | 'edit' | 'set' | 'rollback';
  readonly actor: string;
  readonly replaces: number | null;
  readonly tsMs: number;
}

/** The fleet's policy versions: numbered once across processes, kept with their content. */
export interface PolicyVersionStore {
  /** Stores the version; false when its number is taken (another process published first: take the next). */
  appendPolicyVersion(record: PolicyVersionRecord): Promise<boolean>;
  /** Oldest first; only versions above `after` when given. */
  loadPolicyVersions(after?: number): Promise<PolicyVersionRecord[]>;
  /** The highest version stored, 0 when none. */
  latestPolicyVersion(): Promise<number>;
  appendControlAudit(entry: ControlAuditEntry): Promise<void>;
}

/** Users, tokens and the control audit trail (migration 0003_access). */
export interface AccessStore extends PolicyVersionStore {
  /** Adds a user; false when the name is taken. */
  addUser(user: UserRecord): Promise<boolean>;
  /** Changes a user's role or disabled time; false when there is no such user. */
  updateUser(
    name: string,
    change: { readonly role?: AccessRole; readonly disabledMs?: number | null },
  ): Promise<boolean>;
  loadUsers(): Promise<UserRecord[]>;
  addToken(token: TokenRecord): Promise<void>;
  /** The token with this hash if it authenticates at `nowMs`: not revoked, not expired, its user enabled. */
  findActiveToken(hash: string, nowMs: number): Promise<ActiveToken | undefined>;
  /** Like findActiveToken for a one-time token of `kind`, revoking it in the same statement (used once). */
  consumeToken(hash: string, kind: TokenRecord['kind'], nowMs: number): Promise<ActiveToken | undefined>;
  /** Revokes a token and every token opened from it (sessions, tickets); returns the ids revoked. */
  revokeToken(id: string, nowMs: number): Promise<string[]>;
  /** Tokens, newest first; of one user when given. */
  loadTokens(user?: string): Promise<TokenRecord[]>;
  /** Deletes sessions and tickets that expired before `beforeMs`; returns how many. */
  pruneTokens(beforeMs: number): Promise<number>;
  appendControlAudit(entry: ControlAuditEntry): Promise<void>;
  /** The latest entries first. */
  loadControlAudit(limit?: number): Promise<ControlAuditRecord[]>;
}

/** Which orders `loadOrders` returns (every field optional: all orders). */
export interface OrderQuery {
  readonly clientOrderId?: string;
  readonly strategyId?: string;
  readonly status?: 'open' | 'closed';
  /** The last this many (by creation). */
  readonly limit?: number;
}

/** Which fills `loadFills` returns. */
export interface FillQuery {
  readonly clientOrderId?: string;
  /** The last this many (booking order). */
  readonly limit?: number;
}

export interface Store extends LedgerStore, AccessStore {
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
  /** Orders by creation; a query narrows them (an id, a strategy, open/closed, the last `limit`). */
  loadOrders(query?: OrderQuery): Promise<OrderRecord[]>;
  /** Booked fills in booking order, of one order and/or the last `limit`. */
  loadFills(query?: FillQuery): Promise<OrderFilled[]>;
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
