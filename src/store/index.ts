// Public surface of the store adapters.
export type { OrderRecord, ReconciliationRun, Store, StoredEvent, StoredPaperVenueRecord } from './store.ts';
export { PgliteStore } from './pglite.ts';
export { SqlStore } from './sql-store.ts';
export type { SqlDriver } from './sql-store.ts';
export { checksumOf, loadMigrations, MigrationError, MIGRATIONS_DIR, runMigrations } from './migrate.ts';
export type { Migration, SqlExecutor } from './migrate.ts';
export { PostgresStore, StoreUnavailableError, STORE_UNAVAILABLE } from './postgres.ts';
export type { PostgresRetryOptions, PostgresStoreOptions } from './postgres.ts';
