// The embedded store: PGlite (PostgreSQL compiled to WASM) with a data directory on disk, or in memory.
//
// A new data directory starts as a copy of a template cluster (initdb and every migration already applied) kept
// under the OS temp folder, keyed by the PGlite version and the migrations' checksums: initdb in WASM measured
// ~2.2–2.9 s, a copy of the closed template and its open ~0.4 s. The first store of a key builds the template
// (then copies it like every later one); HF_PGLITE_TEMPLATE=0 turns the cache off. The cache is the user's own
// (`hf-pglite-templates-<uid>`, mode 0700, checked before use): a cluster another local user could have written
// — users, tokens, a ledger — is never copied into a store.

import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { checksumOf, loadMigrations } from './migrate.ts';
import { SqlStore, type SqlDriver } from './sql-store.ts';

function pgliteDriver(db: PGlite): SqlDriver {
  return {
    exec: (sql) => db.exec(sql),
    query: <Row>(sql: string, params?: readonly unknown[]) =>
      db.query<Row>(sql, params ? [...params] : undefined),
    close: () => db.close(),
  };
}

/** The installed PGlite's version (its package.json, found from the resolved entry point). */
function pgliteVersion(): string {
  try {
    let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
    for (let i = 0; i < 5; i++, dir = dirname(dir)) {
      const file = join(dir, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@electric-sql/pglite') return pkg.version ?? 'unknown';
    }
  } catch {
    // an unusual layout: the migrations still key the template
  }
  return 'unknown';
}

/**
 * Whether a folder may hold templates for this process: a real directory (not a link), owned by this user, that
 * no one else may write to.
 */
export function trustedDirectory(path: string): boolean {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return false;
  }
  const uid = process.getuid?.();
  return stat.isDirectory() && (uid === undefined || stat.uid === uid) && (stat.mode & 0o022) === 0;
}

/** A fresh cluster's folder: absent, or present and empty. */
function isFresh(dataDir: string): boolean {
  return !existsSync(dataDir) || readdirSync(dataDir).length === 0;
}

let templateBuilding: Promise<string | undefined> | undefined;

/** The template cluster for this PGlite and these migrations, built on first use; undefined when it cannot be. */
function templateCluster(): Promise<string | undefined> {
  templateBuilding ??= (async () => {
    const key = createHash('sha256')
      .update(pgliteVersion())
      .update(
        loadMigrations()
          .map((m) => `${m.version}:${checksumOf(m.sql)}`)
          .join('\n'),
      )
      .digest('hex')
      .slice(0, 16);
    const root = join(tmpdir(), `hf-pglite-templates-${process.getuid?.() ?? 'user'}`);
    mkdirSync(root, { recursive: true, mode: 0o700 });
    if (!trustedDirectory(root)) return undefined; // someone else's, or writable by others: no cache
    const template = join(root, key);
    if (existsSync(join(template, 'PG_VERSION'))) return trustedDirectory(template) ? template : undefined;
    const build = mkdtempSync(join(root, `build-${key}-`));
    try {
      const store = await PgliteStore.open(join(build, 'pgdata'), { fromTemplate: false });
      await store.close();
      try {
        renameSync(join(build, 'pgdata'), template);
      } catch (error) {
        // Another process built it first: theirs is as good.
        if (!existsSync(join(template, 'PG_VERSION'))) throw error;
      }
      return template;
    } finally {
      rmSync(build, { recursive: true, force: true });
    }
  })().catch(() => undefined);
  return templateBuilding;
}

export class PgliteStore extends SqlStore {
  private constructor(
    readonly db: PGlite,
    readonly dataDir: string | undefined,
  ) {
    super(pgliteDriver(db));
  }

  /**
   * Opens (creating if needed) the database in `dataDir`, in memory when undefined, and migrates it. A new
   * `dataDir` starts from the template cluster unless `fromTemplate` is false (or HF_PGLITE_TEMPLATE=0).
   */
  static async open(dataDir?: string, options: { fromTemplate?: boolean } = {}): Promise<PgliteStore> {
    const fromTemplate = options.fromTemplate ?? process.env.HF_PGLITE_TEMPLATE !== '0';
    if (dataDir !== undefined && fromTemplate && isFresh(dataDir)) {
      const template = await templateCluster();
      if (template) {
        // Copied beside, then renamed into place: an interrupted copy never passes for a cluster.
        const partial = `${dataDir}.partial-${process.pid}`;
        rmSync(partial, { recursive: true, force: true });
        cpSync(template, partial, { recursive: true });
        rmSync(dataDir, { recursive: true, force: true }); // absent or empty (isFresh)
        renameSync(partial, dataDir);
      }
    }
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
