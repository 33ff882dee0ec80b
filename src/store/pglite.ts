// The embedded store: PGlite (PostgreSQL compiled to WASM) with a data directory on disk, or in memory.

import { PGlite } from '@electric-sql/pglite';
import { SqlStore, type SqlDriver } from './sql-store.ts';

function pgliteDriver(db: PGlite): SqlDriver {
  return {
    exec: (sql) => db.exec(sql),
    query: <Row>(sql: string, params?: readonly unknown[]) =>
      db.query<Row>(sql, params ? [...params] : undefined),
    close: () => db.close(),
  };
}

export class PgliteStore extends SqlStore {
  private constructor(
    readonly db: PGlite,
    readonly dataDir: string | undefined,
  ) {
    super(pgliteDriver(db));
  }

  /** Opens (creating if needed) the database in `dataDir`, in memory when undefined, and migrates it. */
  static async open(dataDir?: string): Promise<PgliteStore> {
    const db = await PGlite.create(dataDir);
    const store = new PgliteStore(db, dataDir);
    try {
      await store.migrate();
    } catch (error) {
      await db.close();
      throw error;
    }
    return store;
  }
}
