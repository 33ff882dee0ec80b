// PgliteStore: the store contract against an in-memory PGlite, and what only PGlite has (a data directory
// surviving a close and reopen).

import { chmodSync, chownSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../ledger/index.ts';
import { instrumentOf, makeFill, testRegistry } from '../ledger/test-fixtures.ts';
import { loadMigrations } from './migrate.ts';
import { PgliteStore, trustedDirectory } from './pglite.ts';
import { storeContract } from './store.contract.ts';

storeContract('PGlite in memory', () => PgliteStore.open());

describe('PgliteStore data directory', () => {
  it('keeps its data across a close and reopen, without re-running migrations', async () => {
    const registry = testRegistry();
    const aapl = instrumentOf(registry, 'AAPL.SIM-A');
    const dir = mkdtempSync(join(tmpdir(), 'hf-pglite-'));
    try {
      const first = await PgliteStore.open(dir);
      const fill = makeFill({ instrument: aapl, side: 'buy', quantity: 5, price: 10, trade: 'DISK' });
      const journal = new Ledger().book(fill, aapl)!;
      await first.appendFills([{ fill, journal }]);
      await first.setControl('policy:kill_switch', 'enabled', 'true');
      await first.close();
      const second = await PgliteStore.open(dir);
      expect(await second.loadLedgerEntries()).toEqual([{ kind: 'fill', sequence: 1, fill }]);
      expect(await second.loadControl()).toEqual({ 'policy:kill_switch': { enabled: 'true' } });
      expect((await second.db.query('SELECT version FROM schema_migrations')).rows).toHaveLength(
        loadMigrations().length,
      );
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('PgliteStore template cache', () => {
  it('trusts only a directory of this user that no one else may write to', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hf-pglite-trust-'));
    try {
      chmodSync(dir, 0o700);
      expect(trustedDirectory(dir)).toBe(true);
      chmodSync(dir, 0o777);
      expect(trustedDirectory(dir)).toBe(false);
      chmodSync(dir, 0o755);
      expect(trustedDirectory(dir)).toBe(true);
      const link = `${dir}-link`;
      symlinkSync(dir, link);
      expect(trustedDirectory(link)).toBe(false);
      rmSync(link);
      // Another user's folder (only root can make one here).
      if (process.getuid?.() === 0) {
        chownSync(dir, 4242, 4242);
        expect(trustedDirectory(dir)).toBe(false);
      }
      expect(trustedDirectory(join(dir, 'missing'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
