-- Every version of risk.yaml and policy.yaml the fleet applied without a restart (src/kernel/policy-watch.ts):
-- one global number per version across both files, the content in full (so `hf policy rollback <n>` can write it
-- back), who made it and why. The number is the primary key: two processes publishing at once cannot both take it.
-- Plain PostgreSQL: runs unchanged on PGlite and on PostgreSQL 14+.

CREATE TABLE policy_versions (
  version    BIGINT PRIMARY KEY CHECK (version > 0),
  file       TEXT NOT NULL CHECK (file IN ('risk.yaml', 'policy.yaml')),
  content    TEXT NOT NULL,
  -- start (the file a process started with), edit (the file changed on disk), set (hf policy set / the API),
  -- rollback (hf policy rollback)
  cause      TEXT NOT NULL CHECK (cause IN ('start', 'edit', 'set', 'rollback')),
  -- a user name, local:<os user>, or file:<host> for an edit seen on disk
  actor      TEXT NOT NULL,
  -- the version this one replaced (null for the first of its file)
  replaces   BIGINT,
  ts_ms      BIGINT NOT NULL
);
CREATE INDEX policy_versions_file_idx ON policy_versions (file, version);
