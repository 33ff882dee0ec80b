// The access tables (migration 0003): users, tokens with their hash only, revocation down the tree of
// sessions and tickets, one-time consumption, pruning, and the control audit, on PGlite and on PostgreSQL.
import { afterAll, describe, expect, it } from 'vitest';
import {
  postgresForTests,
  postgresSkipReason,
  type TestPostgres,
} from '../../tests/support/postgres-server.ts';
import { PgliteStore } from './pglite.ts';
import { PostgresStore } from './postgres.ts';
import type { ControlAuditEntry, Store, TokenRecord } from './store.ts';

const HASH = (n: number): string => n.toString(16).padStart(64, '0');

function token(id: string, over: Partial<TokenRecord> = {}): TokenRecord {
  return {
    id,
    user: 'ann',
    kind: 'api',
    label: '',
    hash: HASH(Number.parseInt(id.slice(4), 16)),
    parentId: null,
    createdMs: 1000,
    expiresMs: null,
    revokedMs: null,
    ...over,
  };
}

const ENTRY: ControlAuditEntry = {
  tsMs: 5000,
  actor: 'ann',
  role: 'risk-officer',
  via: 'session',
  action: 'control.set',
  key: 'policy:kill_switch',
  field: 'enabled',
  oldValue: null,
  newValue: 'true',
  reason: 'drill',
  outcome: 'applied',
  detail: null,
  remote: '127.0.0.1',
};

function accessContract(name: string, open: () => Promise<Store>, skip?: string): void {
  describe.skipIf(skip !== undefined)(`access store on ${name}`, () => {
    let store: Store;
    afterAll(async () => store?.close());

    it('keeps users, changes roles, refuses a taken name', async () => {
      store = await open();
      expect(
        await store.addUser({ name: 'ann', role: 'risk-officer', createdMs: 1000, disabledMs: null }),
      ).toBe(true);
      expect(await store.addUser({ name: 'ann', role: 'admin', createdMs: 2000, disabledMs: null })).toBe(
        false,
      );
      expect(await store.addUser({ name: 'bob', role: 'viewer', createdMs: 1500, disabledMs: null })).toBe(
        true,
      );
      expect(await store.updateUser('bob', { role: 'trader' })).toBe(true);
      expect(await store.updateUser('nobody', { role: 'trader' })).toBe(false);
      expect(await store.loadUsers()).toEqual([
        { name: 'ann', role: 'risk-officer', createdMs: 1000, disabledMs: null },
        { name: 'bob', role: 'trader', createdMs: 1500, disabledMs: null },
      ]);
      await expect(
        store.addUser({ name: 'x', role: 'root' as never, createdMs: 1, disabledMs: null }),
      ).rejects.toThrow();
    });

    it('finds a token by hash only while it is live and its user enabled', async () => {
      await store.addToken(token('tok_0000000000000001'));
      await store.addToken(token('tok_0000000000000002', { expiresMs: 3000 }));
      expect((await store.findActiveToken(HASH(1), 2000))?.user).toMatchObject({
        name: 'ann',
        role: 'risk-officer',
      });
      expect(await store.findActiveToken(HASH(2), 2999)).toBeDefined();
      expect(await store.findActiveToken(HASH(2), 3000)).toBeUndefined();
      expect(await store.findActiveToken(HASH(99), 2000)).toBeUndefined();
      await store.updateUser('ann', { disabledMs: 2500 });
      expect(await store.findActiveToken(HASH(1), 2600)).toBeUndefined();
      await store.updateUser('ann', { disabledMs: null });
      expect(await store.findActiveToken(HASH(1), 2600)).toBeDefined();
      await expect(store.addToken(token('tok_0000000000000003', { hash: 'not-hex' }))).rejects.toThrow();
    });

    it('revokes a token with every session and ticket under it, and consumes a ticket once', async () => {
      await store.addToken(
        token('ses_0000000000000011', { kind: 'session', parentId: 'tok_0000000000000001', expiresMs: 9000 }),
      );
      await store.addToken(
        token('wst_0000000000000012', { kind: 'ws', parentId: 'ses_0000000000000011', expiresMs: 9000 }),
      );
      await store.addToken(
        token('wst_0000000000000013', { kind: 'ws', parentId: 'tok_0000000000000002', expiresMs: 9000 }),
      );
      expect((await store.consumeToken(HASH(0x13), 'ws', 4000))?.token.id).toBe('wst_0000000000000013');
      expect(await store.consumeToken(HASH(0x13), 'ws', 4000)).toBeUndefined();
      expect(await store.consumeToken(HASH(0x11), 'ws', 4000)).toBeUndefined(); // a session is not a ticket
      expect((await store.revokeToken('tok_0000000000000001', 4100)).sort()).toEqual([
        'ses_0000000000000011',
        'tok_0000000000000001',
        'wst_0000000000000012',
      ]);
      expect(await store.revokeToken('tok_0000000000000001', 4200)).toEqual([]);
      expect(await store.findActiveToken(HASH(0x11), 4300)).toBeUndefined();
      const listed = await store.loadTokens('ann');
      expect(listed.find((t) => t.id === 'tok_0000000000000001')?.revokedMs).toBe(4100);
    });

    it('prunes expired sessions and tickets, never API tokens', async () => {
      expect(await store.pruneTokens(9001)).toBe(3); // ses_…11, wst_…12 and wst_…13 expired at 9000
      const ids = (await store.loadTokens()).map((t) => t.id).sort();
      expect(ids).toEqual(['tok_0000000000000001', 'tok_0000000000000002']);
    });

    it('appends audit entries and reads the latest first', async () => {
      await store.appendControlAudit(ENTRY);
      await store.appendControlAudit({
        ...ENTRY,
        tsMs: 6000,
        actor: 'bob',
        outcome: 'denied',
        detail: 'role trader',
      });
      const [latest, first] = await store.loadControlAudit(10);
      expect(latest).toMatchObject({ actor: 'bob', outcome: 'denied', detail: 'role trader', tsMs: 6000 });
      expect(first).toMatchObject({ ...ENTRY });
      expect(await store.loadControlAudit(1)).toHaveLength(1);
      await expect(store.appendControlAudit({ ...ENTRY, outcome: 'maybe' as never })).rejects.toThrow();
    });
  });
}

accessContract('PGlite', () => PgliteStore.open());

let pg: TestPostgres | undefined;
afterAll(async () => pg?.stop());
accessContract(
  'PostgreSQL',
  async () => {
    pg = await postgresForTests();
    return PostgresStore.open(pg.url);
  },
  postgresSkipReason(),
);
