-- Initial schema: the ledger (append-only, balanced journals), orders, the bus event log, the control
-- plane and reconciliation runs. Plain PostgreSQL: runs unchanged on PGlite and on PostgreSQL 14+.
-- Money is NUMERIC(38,0) minor units; prices and quantities NUMERIC (exact decimals); times BIGINT unix µs.

-- ---- ledger ----

-- One row per booked entry, in booking order (seq = the ledger's journal sequence).
CREATE TABLE ledger_entries (
  seq         BIGINT PRIMARY KEY CHECK (seq > 0),
  -- idempotency key: 'fill|<venue>|<tradeId>' or 'deposit|<ref>'
  entry_key   TEXT NOT NULL UNIQUE,
  kind        TEXT NOT NULL CHECK (kind IN ('deposit', 'fill')),
  ts_event    BIGINT NOT NULL,
  recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE deposits (
  seq          BIGINT PRIMARY KEY REFERENCES ledger_entries (seq),
  ref          TEXT NOT NULL UNIQUE,
  currency     TEXT NOT NULL CHECK (currency <> ''),
  amount_minor NUMERIC(38, 0) NOT NULL
);

CREATE TABLE fills (
  seq             BIGINT PRIMARY KEY REFERENCES ledger_entries (seq),
  venue           TEXT NOT NULL,
  trade_id        TEXT NOT NULL,
  client_order_id TEXT NOT NULL,
  venue_order_id  TEXT NOT NULL,
  strategy_id     TEXT NOT NULL,
  instrument_id   TEXT NOT NULL,
  side            TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
  quantity        NUMERIC NOT NULL CHECK (quantity > 0),
  price           NUMERIC NOT NULL CHECK (price > 0),
  fee             NUMERIC NOT NULL,
  fee_currency    TEXT NOT NULL,
  liquidity       TEXT NOT NULL CHECK (liquidity IN ('maker', 'taker')),
  leaves_quantity NUMERIC NOT NULL CHECK (leaves_quantity >= 0),
  ts_event        BIGINT NOT NULL,
  ts_init         BIGINT NOT NULL,
  UNIQUE (venue, trade_id)
);
CREATE INDEX fills_instrument_idx ON fills (instrument_id, seq);
CREATE INDEX fills_strategy_idx ON fills (strategy_id, seq);

-- Debit positive, credit negative.
CREATE TABLE journal_lines (
  seq          BIGINT NOT NULL REFERENCES ledger_entries (seq),
  line_no      INTEGER NOT NULL CHECK (line_no >= 0),
  account      TEXT NOT NULL CHECK (account <> ''),
  currency     TEXT NOT NULL CHECK (currency <> ''),
  amount_minor NUMERIC(38, 0) NOT NULL,
  PRIMARY KEY (seq, line_no)
);
CREATE INDEX journal_lines_account_idx ON journal_lines (account, seq);

-- Every journal sums to zero per currency. Checked once per statement over the journals it touched, so a
-- journal's lines must be inserted in one statement (the stores do); an unbalanced journal aborts it.
CREATE FUNCTION ledger_check_journals_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  unbalanced BIGINT;
BEGIN
  SELECT j.seq INTO unbalanced
  FROM journal_lines j
  WHERE j.seq IN (SELECT DISTINCT seq FROM new_lines)
  GROUP BY j.seq, j.currency
  HAVING sum(j.amount_minor) <> 0
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'journal % does not balance per currency', unbalanced USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER journal_lines_balanced AFTER INSERT ON journal_lines
  REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_journals_balanced();

-- The ledger is append-only: corrections are new journals, never edits.
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger table % is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER deposits_append_only BEFORE UPDATE OR DELETE ON deposits
  FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER fills_append_only BEFORE UPDATE OR DELETE ON fills
  FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER journal_lines_append_only BEFORE UPDATE OR DELETE ON journal_lines
  FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

-- ---- orders (the OMS's latest view of each order) ----

CREATE TABLE orders (
  client_order_id    TEXT PRIMARY KEY,
  strategy_id        TEXT NOT NULL,
  instrument_id      TEXT NOT NULL,
  venue              TEXT,
  venue_order_id     TEXT,
  side               TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
  type               TEXT NOT NULL CHECK (type IN ('market', 'limit', 'stop', 'stop_limit')),
  time_in_force      TEXT NOT NULL CHECK (time_in_force IN ('DAY', 'GTC', 'IOC', 'FOK')),
  quantity           NUMERIC NOT NULL CHECK (quantity >= 0),
  price              NUMERIC,
  trigger_price      NUMERIC,
  status             TEXT NOT NULL CHECK (status IN (
    'INITIALIZED', 'DENIED', 'SUBMITTED', 'ACCEPTED', 'REJECTED', 'TRIGGERED', 'PENDING_UPDATE',
    'PENDING_CANCEL', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'EXPIRED')),
  filled_quantity    NUMERIC NOT NULL CHECK (filled_quantity >= 0),
  average_fill_price NUMERIC NOT NULL,
  last_reason        TEXT,
  ts_init            BIGINT NOT NULL,
  ts_last            BIGINT NOT NULL,
  updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX orders_open_idx ON orders (status) WHERE status NOT IN ('FILLED', 'CANCELED', 'EXPIRED', 'REJECTED', 'DENIED');

-- ---- event log of bus messages ----

CREATE TABLE event_log (
  seq         BIGSERIAL PRIMARY KEY,
  stream      TEXT NOT NULL,
  -- the message's tsEvent (tsInit for commands), unix µs
  ts          BIGINT NOT NULL,
  message     JSONB NOT NULL,
  recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX event_log_stream_idx ON event_log (stream, ts, seq);

-- ---- control plane (the same keys and fields as the Redis hashes) ----

CREATE TABLE control (
  key        TEXT NOT NULL,
  field      TEXT NOT NULL,
  value      TEXT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (key, field)
);

-- ---- reconciliation runs ----

CREATE TABLE reconciliation_runs (
  id          BIGSERIAL PRIMARY KEY,
  ts          BIGINT NOT NULL,
  break_count INTEGER NOT NULL,
  breaks      JSONB NOT NULL,
  recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX reconciliation_runs_ts_idx ON reconciliation_runs (ts);
