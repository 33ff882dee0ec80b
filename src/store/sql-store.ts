// The Store in plain PostgreSQL SQL over a minimal driver: PGlite now (pglite.ts), `pg` later. A batch
// travels as one JSON parameter and is written by one statement (atomic on its own, one round trip).

import type { MessageOf, StreamName } from '../common/bus.ts';
import type { BookedFill, DepositJournal, JournalLine, LedgerEntry } from '../ledger/index.ts';
import type {
  ClientOrderId,
  InstrumentId,
  OrderFilled,
  OrderSide,
  StrategyId,
  TradeId,
  OrderRequest,
  VenueEvent,
  VenueId,
  VenueOrderId,
} from '../model/index.ts';
import { runMigrations, type SqlExecutor } from './migrate.ts';
import type {
  AccessRole,
  ActiveToken,
  ControlAuditEntry,
  ControlAuditRecord,
  FillQuery,
  OrderQuery,
  OrderRecord,
  PolicyVersionRecord,
  ReconciliationRun,
  Store,
  StoredEvent,
  StoredPaperVenueRecord,
  TokenRecord,
  UserRecord,
} from './store.ts';

/** A connection the store owns: every write is one statement, so no transaction API is needed. */
export interface SqlDriver extends SqlExecutor {
  close(): Promise<void>;
}

/** int8 arrives as number (PGlite, when safe), bigint (PGlite, when not) or string (`pg`). */
function toNumber(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

function jsonOf(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

function linesOf(lines: readonly JournalLine[]): string[][] {
  const out: string[][] = [];
  for (const line of lines) out.push([line.account, line.currency, line.amountMinor.toString()]);
  return out;
}

/** The bus message's time: tsEvent for events, tsInit for commands, 0 when it has neither. */
function timeOf(message: unknown): number {
  if (typeof message !== 'object' || message === null) return 0;
  const m = message as { tsEvent?: unknown; tsInit?: unknown };
  const t = typeof m.tsEvent === 'number' ? m.tsEvent : typeof m.tsInit === 'number' ? m.tsInit : 0;
  return Number.isFinite(t) ? Math.round(t) : 0;
}

/**
 * One statement per batch (atomic on its own): the entries not stored yet, then their fills and journal lines.
 * $1: [{ seq, key, fill: OrderFilled, lines: [[account, currency, amountMinor], ...] }, ...]
 */
const APPEND_FILLS = `
  WITH input AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(seq bigint, key text, fill jsonb, lines jsonb)
  ), entries AS (
    INSERT INTO ledger_entries (seq, entry_key, kind, ts_event)
    SELECT i.seq, i.key, 'fill', round((i.fill->>'tsEvent')::numeric)::bigint FROM input i ORDER BY i.seq
    ON CONFLICT (entry_key) DO NOTHING
    RETURNING seq
  ), new_fills AS (
    INSERT INTO fills (seq, venue, trade_id, client_order_id, venue_order_id, strategy_id, instrument_id, side,
      quantity, price, fee, fee_currency, liquidity, leaves_quantity, ts_event, ts_init)
    SELECT i.seq, f.venue, f."tradeId", f."clientOrderId", f."venueOrderId", f."strategyId", f."instrumentId", f.side,
      f."lastQuantity", f."lastPrice", f.fee, f."feeCurrency", f.liquidity, f."leavesQuantity",
      round(f."tsEvent")::bigint, round(f."tsInit")::bigint
    FROM input i
    JOIN entries e ON e.seq = i.seq
    CROSS JOIN LATERAL jsonb_to_record(i.fill) AS f(venue text, "tradeId" text, "clientOrderId" text,
      "venueOrderId" text, "strategyId" text, "instrumentId" text, side text, "lastQuantity" numeric,
      "lastPrice" numeric, fee numeric, "feeCurrency" text, liquidity text, "leavesQuantity" numeric,
      "tsEvent" numeric, "tsInit" numeric)
    RETURNING seq
  )
  INSERT INTO journal_lines (seq, line_no, account, currency, amount_minor)
  SELECT i.seq, (l.n - 1)::integer, l.line->>0, l.line->>1, (l.line->>2)::numeric
  FROM input i
  JOIN entries e ON e.seq = i.seq
  CROSS JOIN LATERAL jsonb_array_elements(i.lines) WITH ORDINALITY AS l(line, n)`;

/** $1 seq, $2 entry key, $3 tsEvent, $4 ref, $5 currency, $6 amount, $7 lines as in APPEND_FILLS. */
const APPEND_DEPOSIT = `
  WITH entry AS (
    INSERT INTO ledger_entries (seq, entry_key, kind, ts_event) VALUES ($1, $2, 'deposit', $3)
    ON CONFLICT (entry_key) DO NOTHING
    RETURNING seq
  ), deposit AS (
    INSERT INTO deposits (seq, ref, currency, amount_minor) SELECT seq, $4, $5, $6::numeric FROM entry RETURNING seq
  )
  INSERT INTO journal_lines (seq, line_no, account, currency, amount_minor)
  SELECT e.seq, (l.n - 1)::integer, l.line->>0, l.line->>1, (l.line->>2)::numeric
  FROM entry e CROSS JOIN LATERAL jsonb_array_elements($7::jsonb) WITH ORDINALITY AS l(line, n)`;

const SELECT_ENTRIES = `
  SELECT e.seq, e.kind, e.ts_event, d.ref, d.currency, d.amount_minor::text AS amount_minor,
    f.venue, f.trade_id, f.client_order_id, f.venue_order_id, f.strategy_id, f.instrument_id, f.side,
    f.quantity::text AS quantity, f.price::text AS price, f.fee::text AS fee, f.fee_currency, f.liquidity,
    f.leaves_quantity::text AS leaves_quantity, f.ts_init
  FROM ledger_entries e
  LEFT JOIN deposits d ON d.seq = e.seq
  LEFT JOIN fills f ON f.seq = e.seq
  ORDER BY e.seq`;

function fillOfRow(row: EntryRow, tsEvent: number): OrderFilled {
  return {
    type: 'order_filled',
    clientOrderId: row.client_order_id as ClientOrderId,
    strategyId: row.strategy_id as StrategyId,
    instrumentId: row.instrument_id as InstrumentId,
    tsEvent,
    tsInit: toNumber(row.ts_init),
    venue: row.venue as VenueId,
    venueOrderId: row.venue_order_id as VenueOrderId,
    tradeId: row.trade_id as TradeId,
    side: row.side as OrderSide,
    lastQuantity: Number(row.quantity),
    lastPrice: Number(row.price),
    fee: Number(row.fee),
    feeCurrency: row.fee_currency ?? '',
    liquidity: row.liquidity === 'maker' ? 'maker' : 'taker',
    leavesQuantity: Number(row.leaves_quantity),
  };
}

interface EntryRow {
  seq: unknown;
  kind: string;
  ts_event: unknown;
  ref: string | null;
  currency: string | null;
  amount_minor: string | null;
  venue: string | null;
  trade_id: string | null;
  client_order_id: string | null;
  venue_order_id: string | null;
  strategy_id: string | null;
  instrument_id: string | null;
  side: string | null;
  quantity: string | null;
  price: string | null;
  fee: string | null;
  fee_currency: string | null;
  liquidity: string | null;
  leaves_quantity: string | null;
  ts_init: unknown;
}

const ORDER_COLUMNS = `client_order_id, strategy_id, instrument_id, venue, venue_order_id, side, type, time_in_force,
  quantity, price, trigger_price, status, filled_quantity, average_fill_price, last_reason, ts_init, ts_last`;

const UPSERT_ORDERS = `
  INSERT INTO orders (${ORDER_COLUMNS})
  SELECT r."clientOrderId", r."strategyId", r."instrumentId", r.venue, r."venueOrderId", r.side, r.type,
    r."timeInForce", r.quantity, r.price, r."triggerPrice", r.status, r."filledQuantity", r."averageFillPrice",
    r."lastReason", round(r."tsInit")::bigint, round(r."tsLast")::bigint
  FROM jsonb_to_recordset($1::jsonb) AS r("clientOrderId" text, "strategyId" text, "instrumentId" text, venue text,
    "venueOrderId" text, side text, type text, "timeInForce" text, quantity numeric, price numeric,
    "triggerPrice" numeric, status text, "filledQuantity" numeric, "averageFillPrice" numeric, "lastReason" text,
    "tsInit" numeric, "tsLast" numeric)
  ON CONFLICT (client_order_id) DO UPDATE SET
    strategy_id = EXCLUDED.strategy_id, instrument_id = EXCLUDED.instrument_id, venue = EXCLUDED.venue,
    venue_order_id = EXCLUDED.venue_order_id, side = EXCLUDED.side, type = EXCLUDED.type,
    time_in_force = EXCLUDED.time_in_force, quantity = EXCLUDED.quantity, price = EXCLUDED.price,
    trigger_price = EXCLUDED.trigger_price, status = EXCLUDED.status, filled_quantity = EXCLUDED.filled_quantity,
    average_fill_price = EXCLUDED.average_fill_price, last_reason = EXCLUDED.last_reason,
    ts_init = EXCLUDED.ts_init, ts_last = EXCLUDED.ts_last, updated_at = now()
  WHERE orders.ts_last <= EXCLUDED.ts_last
    -- An order the OMS tracks as external (a fill for an id it does not hold) never replaces one of ours: the
    -- id may be an order released from memory long ago (retention).
    AND (EXCLUDED.strategy_id <> 'external' OR orders.strategy_id = 'external')`;

interface OrderRow {
  client_order_id: string;
  strategy_id: string;
  instrument_id: string;
  venue: string | null;
  venue_order_id: string | null;
  side: string;
  type: string;
  time_in_force: string;
  quantity: string;
  price: string | null;
  trigger_price: string | null;
  status: string;
  filled_quantity: string;
  average_fill_price: string;
  last_reason: string | null;
  ts_init: unknown;
  ts_last: unknown;
}

/** $1 venue, $2 [{ seq, event, request? }, ...] in order. */
const APPEND_PAPER_VENUE_RECORDS = `
  INSERT INTO paper_venue_journal (venue, seq, kind, client_order_id, trade_id, event, request)
  SELECT $1, (r->>'seq')::bigint, r->'event'->>'kind', r->'event'->>'clientOrderId', r->'event'->>'tradeId',
    r->'event', r->'request'
  FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS t(r, n)
  ORDER BY n
  ON CONFLICT (venue, seq) DO NOTHING`;

function numberOrNull(value: string | null): number | null {
  return value === null ? null : Number(value);
}

interface UserRow {
  name: string;
  role: string;
  created_ms: unknown;
  disabled_ms: unknown;
}

interface TokenRow {
  id: string;
  user_name: string;
  kind: string;
  label: string;
  token_hash: string;
  parent_id: string | null;
  created_ms: unknown;
  expires_ms: unknown;
  revoked_ms: unknown;
}

const TOKEN_COLUMNS = 'id, user_name, kind, label, token_hash, parent_id, created_ms, expires_ms, revoked_ms';

/** A token row joined with its user (u_* columns). */
const ACTIVE_TOKEN_COLUMNS = `t.id, t.user_name, t.kind, t.label, t.token_hash, t.parent_id, t.created_ms, t.expires_ms,
  t.revoked_ms, u.role AS u_role, u.created_ms AS u_created_ms, u.disabled_ms AS u_disabled_ms`;

type ActiveTokenRow = TokenRow & { u_role: string; u_created_ms: unknown; u_disabled_ms: unknown };

function nullableNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : toNumber(value);
}

function userOf(row: UserRow): UserRecord {
  return {
    name: row.name,
    role: row.role as AccessRole,
    createdMs: toNumber(row.created_ms),
    disabledMs: nullableNumber(row.disabled_ms),
  };
}

function tokenOf(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    user: row.user_name,
    kind: row.kind as TokenRecord['kind'],
    label: row.label,
    hash: row.token_hash,
    parentId: row.parent_id,
    createdMs: toNumber(row.created_ms),
    expiresMs: nullableNumber(row.expires_ms),
    revokedMs: nullableNumber(row.revoked_ms),
  };
}

function activeTokenOf(row: ActiveTokenRow): ActiveToken {
  return {
    token: tokenOf(row),
    user: {
      name: row.user_name,
      role: row.u_role as AccessRole,
      createdMs: toNumber(row.u_created_ms),
      disabledMs: nullableNumber(row.u_disabled_ms),
    },
  };
}

interface AuditRow {
  id: unknown;
  ts_ms: unknown;
  actor: string;
  role: string | null;
  via: string;
  action: string;
  target_key: string | null;
  target_field: string | null;
  old_value: string | null;
  new_value: string | null;
  reason: string | null;
  outcome: string;
  detail: string | null;
  remote: string | null;
}

export class SqlStore implements Store {
  constructor(protected readonly driver: SqlDriver) {}

  async migrate(): Promise<void> {
    await runMigrations(this.driver);
  }

  async appendFills(fills: readonly BookedFill[]): Promise<void> {
    if (fills.length === 0) return;
    const input: unknown[] = [];
    for (const { fill, journal } of fills)
      input.push({
        seq: journal.sequence,
        key: `fill|${fill.venue}|${fill.tradeId}`,
        fill,
        lines: linesOf(journal.lines),
      });
    await this.driver.query(APPEND_FILLS, [jsonOf(input)]);
  }

  async appendDeposit(journal: DepositJournal): Promise<void> {
    await this.driver.query(APPEND_DEPOSIT, [
      journal.sequence,
      `deposit|${journal.ref}`,
      Math.round(journal.tsEvent),
      journal.ref,
      journal.currency,
      journal.amountMinor.toString(),
      jsonOf(linesOf(journal.lines)),
    ]);
  }

  async loadLedgerEntries(): Promise<LedgerEntry[]> {
    const { rows } = await this.driver.query<EntryRow>(SELECT_ENTRIES);
    const out: LedgerEntry[] = [];
    for (const row of rows) {
      const sequence = toNumber(row.seq);
      const tsEvent = toNumber(row.ts_event);
      if (row.kind === 'deposit' && row.ref !== null && row.currency !== null && row.amount_minor !== null) {
        out.push({
          kind: 'deposit',
          sequence,
          ref: row.ref,
          currency: row.currency,
          amountMinor: BigInt(row.amount_minor),
          tsEvent,
        });
      } else if (row.kind === 'fill' && row.venue !== null) {
        out.push({ kind: 'fill', sequence, fill: fillOfRow(row, tsEvent) });
      }
    }
    return out;
  }

  /** Booked fills in booking order: of one order, and/or the last `limit` (an index lookup, not the ledger). */
  async loadFills(query: FillQuery = {}): Promise<OrderFilled[]> {
    const { rows } = await this.driver.query<EntryRow>(
      `SELECT e.seq, e.kind, e.ts_event, NULL AS ref, NULL AS currency, NULL AS amount_minor,
         f.venue, f.trade_id, f.client_order_id, f.venue_order_id, f.strategy_id, f.instrument_id, f.side,
         f.quantity::text AS quantity, f.price::text AS price, f.fee::text AS fee, f.fee_currency, f.liquidity,
         f.leaves_quantity::text AS leaves_quantity, f.ts_init
       FROM fills f JOIN ledger_entries e ON e.seq = f.seq
       WHERE ($1::text IS NULL OR f.client_order_id = $1)
       ORDER BY f.seq DESC LIMIT $2`,
      [query.clientOrderId ?? null, query.limit ?? null],
    );
    return [...rows].reverse().map((row) => fillOfRow(row, toNumber(row.ts_event)));
  }

  async upsertOrders(orders: readonly OrderRecord[]): Promise<void> {
    if (orders.length === 0) return;
    // One row per order in a statement (ON CONFLICT cannot touch a row twice): keep the latest of each.
    const latest = new Map<string, OrderRecord>();
    for (const order of orders) {
      const seen = latest.get(order.clientOrderId);
      if (!seen || seen.tsLast <= order.tsLast) latest.set(order.clientOrderId, order);
    }
    await this.driver.query(UPSERT_ORDERS, [jsonOf([...latest.values()])]);
  }

  /**
   * Orders in the order they were made; with a query, only those it names (one id, one strategy, open or
   * closed as `isOpen` says) and the last `limit` of them.
   */
  async loadOrders(query: OrderQuery = {}): Promise<OrderRecord[]> {
    const columns = `client_order_id, strategy_id, instrument_id, venue, venue_order_id, side, type, time_in_force,
         quantity::text AS quantity, price::text AS price, trigger_price::text AS trigger_price, status,
         filled_quantity::text AS filled_quantity, average_fill_price::text AS average_fill_price, last_reason,
         ts_init, ts_last`;
    const filtered =
      query.clientOrderId !== undefined ||
      query.strategyId !== undefined ||
      query.status !== undefined ||
      query.limit !== undefined;
    const { rows: found } = filtered
      ? await this.driver.query<OrderRow>(
          `SELECT ${columns} FROM orders
           WHERE ($1::text IS NULL OR client_order_id = $1) AND ($2::text IS NULL OR strategy_id = $2)
             AND ($3::text IS NULL OR ($3::text = 'open') =
               (status NOT IN ('INITIALIZED', 'FILLED', 'CANCELED', 'EXPIRED', 'REJECTED', 'DENIED')))
           ORDER BY ts_init DESC, client_order_id DESC LIMIT $4`,
          [query.clientOrderId ?? null, query.strategyId ?? null, query.status ?? null, query.limit ?? null],
        )
      : await this.driver.query<OrderRow>(`SELECT ${columns} FROM orders ORDER BY ts_init, client_order_id`);
    const rows = filtered ? [...found].reverse() : found;
    return rows.map((r) => ({
      clientOrderId: r.client_order_id as ClientOrderId,
      strategyId: r.strategy_id as StrategyId,
      instrumentId: r.instrument_id as InstrumentId,
      venue: r.venue as VenueId | null,
      venueOrderId: r.venue_order_id as VenueOrderId | null,
      side: r.side as OrderRecord['side'],
      type: r.type as OrderRecord['type'],
      timeInForce: r.time_in_force as OrderRecord['timeInForce'],
      quantity: Number(r.quantity),
      price: numberOrNull(r.price),
      triggerPrice: numberOrNull(r.trigger_price),
      status: r.status as OrderRecord['status'],
      filledQuantity: Number(r.filled_quantity),
      averageFillPrice: Number(r.average_fill_price),
      lastReason: r.last_reason,
      tsInit: toNumber(r.ts_init),
      tsLast: toNumber(r.ts_last),
    }));
  }

  async appendEvents<S extends StreamName>(stream: S, messages: readonly MessageOf<S>[]): Promise<void> {
    if (messages.length === 0) return;
    const rows: unknown[] = [];
    for (const message of messages) rows.push({ ts: timeOf(message), message });
    await this.driver.query(
      `INSERT INTO event_log (stream, ts, message)
       SELECT $1, (e->>'ts')::bigint, e->'message'
       FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS t(e, n)
       ORDER BY n`,
      [stream, jsonOf(rows)],
    );
  }

  async loadEvents<S extends StreamName>(stream: S, sinceTs?: number): Promise<StoredEvent<MessageOf<S>>[]> {
    const { rows } = await this.driver.query<{ seq: unknown; ts: unknown; message: MessageOf<S> }>(
      'SELECT seq, ts, message FROM event_log WHERE stream = $1 AND ts >= $2 ORDER BY seq',
      [
        stream,
        sinceTs !== undefined && Number.isFinite(sinceTs) ? Math.floor(sinceTs) : Number.MIN_SAFE_INTEGER,
      ],
    );
    return rows.map((r) => ({ sequence: toNumber(r.seq), stream, ts: toNumber(r.ts), message: r.message }));
  }

  async setControl(key: string, field: string, value: string | undefined): Promise<void> {
    if (value === undefined) {
      await this.driver.query('DELETE FROM control WHERE key = $1 AND field = $2', [key, field]);
      return;
    }
    await this.driver.query(
      `INSERT INTO control (key, field, value) VALUES ($1, $2, $3)
       ON CONFLICT (key, field) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
      [key, field, value],
    );
  }

  async loadControl(): Promise<Record<string, Record<string, string>>> {
    const { rows } = await this.driver.query<{ key: string; field: string; value: string }>(
      'SELECT key, field, value FROM control ORDER BY key, field',
    );
    const out: Record<string, Record<string, string>> = {};
    for (const r of rows) (out[r.key] ??= {})[r.field] = r.value;
    return out;
  }

  async saveReconciliation(run: ReconciliationRun): Promise<void> {
    await this.driver.query(
      'INSERT INTO reconciliation_runs (ts, break_count, breaks) VALUES ($1, $2, $3::jsonb)',
      [Math.round(run.ts), run.breaks.length, jsonOf(run.breaks)],
    );
  }

  async loadReconciliations(limit = 20): Promise<ReconciliationRun[]> {
    const { rows } = await this.driver.query<{ ts: unknown; breaks: unknown[] }>(
      'SELECT ts, breaks FROM reconciliation_runs ORDER BY id DESC LIMIT $1',
      [Math.max(0, Math.floor(limit))],
    );
    return rows.map((r) => ({ ts: toNumber(r.ts), breaks: r.breaks }));
  }

  async appendPaperVenueRecords(venue: VenueId, records: readonly StoredPaperVenueRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.driver.query(APPEND_PAPER_VENUE_RECORDS, [venue, jsonOf(records)]);
  }

  async loadPaperVenueRecords(venue: VenueId): Promise<StoredPaperVenueRecord[]> {
    const { rows } = await this.driver.query<{
      seq: unknown;
      event: VenueEvent;
      request: OrderRequest | null;
    }>('SELECT seq, event, request FROM paper_venue_journal WHERE venue = $1 ORDER BY seq', [venue]);
    return rows.map((r) =>
      r.request === null
        ? { seq: toNumber(r.seq), event: r.event }
        : { seq: toNumber(r.seq), event: r.event, request: r.request },
    );
  }

  // ---- access: users, tokens, control audit ----

  async addUser(user: UserRecord): Promise<boolean> {
    const { rows } = await this.driver.query(
      `INSERT INTO users (name, role, created_ms, disabled_ms) VALUES ($1, $2, $3, $4)
       ON CONFLICT (name) DO NOTHING RETURNING name`,
      [
        user.name,
        user.role,
        Math.round(user.createdMs),
        user.disabledMs === null ? null : Math.round(user.disabledMs),
      ],
    );
    return rows.length === 1;
  }

  async updateUser(
    name: string,
    change: { readonly role?: AccessRole; readonly disabledMs?: number | null },
  ): Promise<boolean> {
    const { rows } = await this.driver.query(
      `UPDATE users SET role = COALESCE($2, role),
         disabled_ms = CASE WHEN $3::boolean THEN $4::bigint ELSE disabled_ms END
       WHERE name = $1 RETURNING name`,
      [
        name,
        change.role ?? null,
        change.disabledMs !== undefined,
        change.disabledMs === undefined || change.disabledMs === null ? null : Math.round(change.disabledMs),
      ],
    );
    return rows.length === 1;
  }

  async loadUsers(): Promise<UserRecord[]> {
    const { rows } = await this.driver.query<UserRow>(
      'SELECT name, role, created_ms, disabled_ms FROM users ORDER BY name',
    );
    return rows.map(userOf);
  }

  async addToken(token: TokenRecord): Promise<void> {
    await this.driver.query(
      `INSERT INTO api_tokens (${TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        token.id,
        token.user,
        token.kind,
        token.label,
        token.hash,
        token.parentId,
        Math.round(token.createdMs),
        token.expiresMs === null ? null : Math.round(token.expiresMs),
        token.revokedMs === null ? null : Math.round(token.revokedMs),
      ],
    );
  }

  async findActiveToken(hash: string, nowMs: number): Promise<ActiveToken | undefined> {
    const { rows } = await this.driver.query<ActiveTokenRow>(
      `SELECT ${ACTIVE_TOKEN_COLUMNS}
       FROM api_tokens t JOIN users u ON u.name = t.user_name
       WHERE t.token_hash = $1 AND t.revoked_ms IS NULL AND (t.expires_ms IS NULL OR t.expires_ms > $2)
         AND u.disabled_ms IS NULL`,
      [hash, Math.round(nowMs)],
    );
    const row = rows[0];
    return row ? activeTokenOf(row) : undefined;
  }

  async consumeToken(
    hash: string,
    kind: TokenRecord['kind'],
    nowMs: number,
  ): Promise<ActiveToken | undefined> {
    const { rows } = await this.driver.query<ActiveTokenRow>(
      `WITH used AS (
         UPDATE api_tokens t SET revoked_ms = $3
         FROM users u
         WHERE t.token_hash = $1 AND t.kind = $2 AND t.revoked_ms IS NULL AND t.expires_ms > $3
           AND u.name = t.user_name AND u.disabled_ms IS NULL
         RETURNING t.*
       )
       SELECT ${ACTIVE_TOKEN_COLUMNS} FROM used t JOIN users u ON u.name = t.user_name`,
      [hash, kind, Math.round(nowMs)],
    );
    const row = rows[0];
    return row ? activeTokenOf(row) : undefined;
  }

  async revokeToken(id: string, nowMs: number): Promise<string[]> {
    const { rows } = await this.driver.query<{ id: string }>(
      `WITH RECURSIVE tree AS (
         SELECT id FROM api_tokens WHERE id = $1
         UNION
         SELECT t.id FROM api_tokens t JOIN tree ON t.parent_id = tree.id
       )
       UPDATE api_tokens SET revoked_ms = $2
       WHERE id IN (SELECT id FROM tree) AND revoked_ms IS NULL
       RETURNING id`,
      [id, Math.round(nowMs)],
    );
    return rows.map((r) => r.id);
  }

  async loadTokens(user?: string): Promise<TokenRecord[]> {
    const { rows } = await this.driver.query<TokenRow>(
      `SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE $1::text IS NULL OR user_name = $1
       ORDER BY created_ms DESC, id`,
      [user ?? null],
    );
    return rows.map(tokenOf);
  }

  async pruneTokens(beforeMs: number): Promise<number> {
    const { rows } = await this.driver.query(
      `DELETE FROM api_tokens WHERE kind <> 'api' AND expires_ms < $1 RETURNING id`,
      [Math.round(beforeMs)],
    );
    return rows.length;
  }

  async appendControlAudit(entry: ControlAuditEntry): Promise<void> {
    await this.driver.query(
      `INSERT INTO control_audit (ts_ms, actor, role, via, action, target_key, target_field, old_value, new_value,
         reason, outcome, detail, remote)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        Math.round(entry.tsMs),
        entry.actor,
        entry.role,
        entry.via,
        entry.action,
        entry.key,
        entry.field,
        entry.oldValue,
        entry.newValue,
        entry.reason,
        entry.outcome,
        entry.detail,
        entry.remote,
      ],
    );
  }

  async appendPolicyVersion(record: PolicyVersionRecord): Promise<boolean> {
    const { rows } = await this.driver.query(
      `INSERT INTO policy_versions (version, file, content, cause, actor, replaces, ts_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (version) DO NOTHING RETURNING version`,
      [
        record.version,
        record.file,
        record.content,
        record.cause,
        record.actor,
        record.replaces,
        Math.round(record.tsMs),
      ],
    );
    return rows.length === 1;
  }

  async loadPolicyVersions(after = 0): Promise<PolicyVersionRecord[]> {
    const { rows } = await this.driver.query<{
      version: unknown;
      file: PolicyVersionRecord['file'];
      content: string;
      cause: PolicyVersionRecord['cause'];
      actor: string;
      replaces: unknown;
      ts_ms: unknown;
    }>(
      `SELECT version, file, content, cause, actor, replaces, ts_ms FROM policy_versions WHERE version > $1
       ORDER BY version`,
      [after],
    );
    return rows.map((r) => ({
      version: toNumber(r.version),
      file: r.file,
      content: r.content,
      cause: r.cause,
      actor: r.actor,
      replaces: r.replaces === null ? null : toNumber(r.replaces),
      tsMs: toNumber(r.ts_ms),
    }));
  }

  async latestPolicyVersion(): Promise<number> {
    const { rows } = await this.driver.query<{ v: unknown }>(
      'SELECT COALESCE(MAX(version), 0) AS v FROM policy_versions',
    );
    return toNumber(rows[0]?.v ?? 0);
  }

  async loadControlAudit(limit = 100): Promise<ControlAuditRecord[]> {
    const { rows } = await this.driver.query<AuditRow>(
      `SELECT id, ts_ms, actor, role, via, action, target_key, target_field, old_value, new_value, reason, outcome,
         detail, remote
       FROM control_audit ORDER BY id DESC LIMIT $1`,
      [Math.max(0, Math.floor(limit))],
    );
    return rows.map((r) => ({
      id: toNumber(r.id),
      tsMs: toNumber(r.ts_ms),
      actor: r.actor,
      role: r.role,
      via: r.via,
      action: r.action,
      key: r.target_key,
      field: r.target_field,
      oldValue: r.old_value,
      newValue: r.new_value,
      reason: r.reason,
      outcome: r.outcome as ControlAuditEntry['outcome'],
      detail: r.detail,
      remote: r.remote,
    }));
  }

  async close(): Promise<void> {
    await this.driver.close();
  }
}
