-- The paper venues' journals: every decision of a simulated venue (the VenueEvent, with the order request on an
-- acceptance or a submit's rejection), numbered per venue in decision order, so a restarted router's venue
-- continues with its orders, fills, positions, cash and id counters (src/venues/paper/journal.ts).
-- Plain PostgreSQL: runs unchanged on PGlite and on PostgreSQL 14+.

CREATE TABLE paper_venue_journal (
  venue           TEXT NOT NULL CHECK (venue <> ''),
  seq             BIGINT NOT NULL CHECK (seq > 0),
  kind            TEXT NOT NULL CHECK (kind IN ('accepted', 'rejected', 'triggered', 'modified', 'modify_rejected',
    'canceled', 'cancel_rejected', 'expired', 'fill')),
  client_order_id TEXT NOT NULL,
  -- fills only: a venue never issues a trade id twice
  trade_id        TEXT,
  event           JSONB NOT NULL,
  request         JSONB,
  recorded_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (venue, seq),
  CHECK ((kind = 'fill') = (trade_id IS NOT NULL))
);
CREATE UNIQUE INDEX paper_venue_journal_trade_idx ON paper_venue_journal (venue, trade_id) WHERE trade_id IS NOT NULL;
