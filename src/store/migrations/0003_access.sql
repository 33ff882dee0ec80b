-- Access control: the API's users and their roles, their tokens (API tokens for scripts, dashboard sessions and
-- one-time WebSocket tickets, each stored only as the SHA-256 of the secret), and the audit trail of control
-- actions (who, when, what, old -> new value, reason; denied attempts too). Times are unix milliseconds from the
-- application's clock, so expiry is decided by the process that checks it (src/services/auth.ts).
-- Plain PostgreSQL: runs unchanged on PGlite and on PostgreSQL 14+.

CREATE TABLE users (
  name        TEXT PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
  role        TEXT NOT NULL CHECK (role IN ('viewer', 'trader', 'risk-officer', 'admin')),
  created_ms  BIGINT NOT NULL,
  disabled_ms BIGINT
);

CREATE TABLE api_tokens (
  -- public handle (listing, revocation); never enough to authenticate
  id          TEXT PRIMARY KEY CHECK (id ~ '^[a-z]{3}_[0-9a-f]{16}$'),
  user_name   TEXT NOT NULL REFERENCES users (name),
  kind        TEXT NOT NULL CHECK (kind IN ('api', 'session', 'ws')),
  label       TEXT NOT NULL DEFAULT '' CHECK (length(label) <= 100),
  -- sha256(secret), hex: the secret itself is shown once and never stored
  token_hash  TEXT NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  -- a session's API token, a ticket's session or token: revoking a parent revokes its descendants
  parent_id   TEXT REFERENCES api_tokens (id) ON DELETE CASCADE,
  created_ms  BIGINT NOT NULL,
  expires_ms  BIGINT,
  revoked_ms  BIGINT,
  CHECK (kind = 'api' OR expires_ms IS NOT NULL)
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_name);
CREATE INDEX api_tokens_parent_idx ON api_tokens (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE control_audit (
  id          BIGSERIAL PRIMARY KEY,
  ts_ms       BIGINT NOT NULL,
  -- a user name, `local:<os user>` for the control socket, or `anonymous`
  actor       TEXT NOT NULL,
  role        TEXT,
  -- token, session, socket, cli, env, none
  via         TEXT NOT NULL,
  -- control.set, control.delete, reconcile, user.add, user.update, token.create, token.revoke
  action      TEXT NOT NULL,
  target_key  TEXT,
  target_field TEXT,
  old_value   TEXT,
  new_value   TEXT,
  reason      TEXT,
  outcome     TEXT NOT NULL CHECK (outcome IN ('applied', 'denied', 'failed')),
  -- why it was denied or failed; the client address
  detail      TEXT,
  remote      TEXT
);
CREATE INDEX control_audit_ts_idx ON control_audit (ts_ms);
