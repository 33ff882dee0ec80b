// SQL migration runner: applies `migrations/NNNN_name.sql` in order, each in its own transaction, and
// records them (with a checksum) in `schema_migrations`. Driver-agnostic: PGlite now, `pg` later.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The two calls the runner and the stores need from a driver. With `pg`, pass one checked-out client
 * (not the pool): BEGIN and COMMIT must run on the same connection.
 */
export interface SqlExecutor {
  /** Runs one or more statements without parameters. */
  exec(sql: string): Promise<unknown>;
  query<Row = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<{ readonly rows: readonly Row[] }>;
}

export interface Migration {
  /** The file name without `.sql`, e.g. `0001_init`; applied in ascending order. */
  readonly version: string;
  readonly sql: string;
  readonly checksum: string;
}

export const MIGRATIONS_DIR: string = fileURLToPath(new URL('./migrations/', import.meta.url));

const MIGRATION_FILE = /^(\d{4}_[a-z0-9_]+)\.sql$/;
/** Serializes concurrent runners (several services starting against one PostgreSQL). */
const ADVISORY_LOCK_KEY = 7_245_517_001;

export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql).digest('hex');
}

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((name) => MIGRATION_FILE.test(name))
    .sort()
    .map((name) => {
      const sql = readFileSync(`${dir}/${name}`, 'utf8');
      return { version: name.slice(0, -'.sql'.length), sql, checksum: checksumOf(sql) };
    });
}

export class MigrationError extends Error {
  constructor(
    readonly version: string,
    message: string,
  ) {
    super(`migration ${version}: ${message}`);
    this.name = 'MigrationError';
  }
}

/**
 * Applies the migrations not yet recorded; returns the versions applied. A recorded migration whose file
 * changed since is an error (migrations are append-only: add a new one instead).
 */
export async function runMigrations(
  executor: SqlExecutor,
  migrations: readonly Migration[] = loadMigrations(),
): Promise<string[]> {
  await executor.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    TEXT PRIMARY KEY,
    checksum   TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
  )`);
  const applied: string[] = [];
  for (const migration of migrations) {
    let changed = false;
    await executor.exec('BEGIN');
    try {
      await executor.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCK_KEY]);
      const { rows } = await executor.query<{ checksum: string }>(
        'SELECT checksum FROM schema_migrations WHERE version = $1',
        [migration.version],
      );
      const recorded = rows[0];
      if (recorded) {
        changed = recorded.checksum !== migration.checksum;
      } else {
        await executor.exec(migration.sql);
        await executor.query('INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)', [
          migration.version,
          migration.checksum,
        ]);
        applied.push(migration.version);
      }
      await executor.exec('COMMIT');
    } catch (error) {
      await executor.exec('ROLLBACK').catch(() => undefined);
      throw new MigrationError(migration.version, error instanceof Error ? error.message : String(error));
    }
    if (changed)
      throw new MigrationError(
        migration.version,
        'the file changed after it was applied; add a new migration instead',
      );
  }
  return applied;
}
