// PostgresStore: the store contract on a real PostgreSQL, and what only a server brings: unreachable and
// dropped connections, processes migrating at once, exact numerics whatever the process-wide pg parsers, and
// the ledger engine riding out an outage (stops acknowledging, loses nothing, catches up exactly once).

import { createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  postgresForTests,
  postgresSkipReason,
  startPrivatePostgres,
  type PrivatePostgres,
  type TestPostgres,
} from '../../tests/support/postgres-server.ts';
import { MemoryBus } from '../bus/memory.ts';
import { ConfigError } from '../common/errors.ts';
import { createLogger } from '../common/logging.ts';
import { Streams } from '../common/topics.ts';
import { LedgerEngine } from '../ledger/index.ts';
import { instrumentOf, makeFill, testRegistry } from '../ledger/test-fixtures.ts';
import type { Alert } from '../model/index.ts';
import { loadMigrations } from './migrate.ts';
import { PostgresStore, StoreUnavailableError } from './postgres.ts';
import { storeContract } from './store.contract.ts';

const skipReason = postgresSkipReason();
// The outage test stops its server: it needs one of its own even when DATABASE_URL names a shared one.
const privateSkipReason = process.env.DATABASE_URL ? postgresSkipReason({ private: true }) : skipReason;

const registry = testRegistry();
const aapl = instrumentOf(registry, 'AAPL.SIM-A');

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A logger writing JSON lines into an array (the real logger, a test sink). */
function capturingLogger(): {
  logger: ReturnType<typeof createLogger>;
  records: () => Record<string, unknown>[];
} {
  const lines: string[] = [];
  const logger = createLogger('test', 'debug', { write: (line) => void lines.push(line) });
  return { logger, records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

async function until(predicate: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('PostgresStore.open without a database', () => {
  it('names an unreachable database with its password masked, after retrying with backoff', async () => {
    const probe = createServer();
    const port = await listen(probe);
    await close(probe); // nothing listens there now
    const { logger, records } = capturingLogger();
    const url = `postgres://hf:s3cret-pw@127.0.0.1:${port}/ledger`;
    const retry = { attempts: 3, initialDelayMs: 5, maxDelayMs: 8 };
    const error: unknown = await PostgresStore.open(url, { logger, retry }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    const message = (error as Error).message;
    expect(message).toContain(`postgres://hf:****@127.0.0.1:${port}/ledger`);
    expect(message).toContain(`after ${retry.attempts} attempts`);
    expect(message).toMatch(/STORE_UNAVAILABLE.*ECONNREFUSED/);
    const retries = records().filter((r) => String(r.msg).includes('retrying'));
    expect(retries.map((r) => [r.attempt, r.delayMs])).toEqual(
      [1, 2].map((n) => [n, Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** (n - 1))]),
    );
    expect(JSON.stringify(records()) + message).not.toContain('s3cret');
  });

  it('gives up on a server that never answers after connectTimeoutMs', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    const port = await listen(silent);
    try {
      const started = performance.now();
      const error: unknown = await PostgresStore.open(`postgres://hf:pw@127.0.0.1:${port}/db`, {
        connectTimeoutMs: 200,
      }).catch((e: unknown) => e);
      const elapsedMs = performance.now() - started;
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toMatch(/timeout/);
      expect(sockets.length).toBeGreaterThan(0);
      expect(elapsedMs).toBeGreaterThanOrEqual(190);
      expect(elapsedMs).toBeLessThan(4_000); // the default timeout is 5 s
    } finally {
      for (const socket of sockets) socket.destroy();
      await close(silent);
    }
  });

  it('refuses a URL that is not PostgreSQL, and bad retry options, with a ConfigError naming the key', async () => {
    for (const url of ['mysql://u:pw@host/db', 'not a url', 'postgres://u:pa:ss@host:99999/db']) {
      const error: unknown = await PostgresStore.open(url).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/^DATABASE_URL: /);
      expect((error as Error).message).not.toMatch(/pw|pa:ss/);
    }
    const retry = { attempts: 0, initialDelayMs: 1, maxDelayMs: 1 };
    await expect(PostgresStore.open('postgres://u@127.0.0.1:1/db', { retry })).rejects.toThrowError(
      /retry\.attempts/,
    );
  });
});

describe.skipIf(skipReason !== undefined)('PostgresStore on PostgreSQL', () => {
  let server: TestPostgres;
  const opened: PostgresStore[] = [];

  async function open(url?: string): Promise<PostgresStore> {
    const store = await PostgresStore.open(url ?? (await server.createDatabase()));
    opened.push(store);
    return store;
  }

  beforeAll(async () => {
    server = await postgresForTests();
  });

  afterAll(async () => {
    for (const store of opened) await store.close();
    await server?.stop();
  });

  storeContract('PostgreSQL', () => PostgresStore.open(server.url));

  it('lets services that start together on a fresh database all migrate (a connection each), each migration once', async () => {
    for (let round = 0; round < 4; round++) {
      const url = await server.createDatabase();
      const stores = await Promise.all([open(url), open(url), open(url), open(url)]);
      const { rows } = await stores[0].db.query<{ version: string }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      expect(rows.map((r) => r.version)).toEqual(loadMigrations().map((m) => m.version));
      await stores[0].setControl('policy:kill_switch', 'enabled', 'true');
      expect(await stores[2].loadControl()).toEqual({ 'policy:kill_switch': { enabled: 'true' } });
    }
  });

  it('keeps INT8 and NUMERIC exact even when a process-wide pg type parser is lossy', async () => {
    const store = await open();
    const sql = 'SELECT 9007199254740993::int8 AS big, 0.30000000000000000000000000001::numeric AS fine';
    const parserOf = pg.types.getTypeParser as (oid: number, format: 'text') => (value: string) => unknown;
    const int8Before = parserOf(20, 'text');
    const numericBefore = parserOf(1700, 'text');
    pg.types.setTypeParser(20, 'text', Number);
    pg.types.setTypeParser(1700, 'text', Number);
    const plain = new pg.Client({ connectionString: server.url });
    try {
      await plain.connect();
      // a client left to the process-wide parsers loses digits ...
      expect((await plain.query(sql)).rows[0]).toEqual({ big: 9007199254740992, fine: 0.3 });
      // ... the store's does not
      expect((await store.db.query(sql)).rows[0]).toEqual({
        big: '9007199254740993',
        fine: '0.30000000000000000000000000001',
      });
    } finally {
      pg.types.setTypeParser(20, 'text', int8Before);
      pg.types.setTypeParser(1700, 'text', numericBefore);
      await plain.end();
    }
  });

  it('fails the call a dropped connection was carrying, and reconnects on the next call', async () => {
    const { logger, records } = capturingLogger();
    const store = await PostgresStore.open(await server.createDatabase(), { logger });
    opened.push(store);
    const admin = await open(server.url);
    const pidOf = async (): Promise<number> =>
      (await store.db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

    // dropped during a call: that call fails with STORE_UNAVAILABLE (it may or may not have run)
    const first = await pidOf();
    const sleeping = store.db.query('SELECT pg_sleep(30)');
    await until(
      async () =>
        (
          await admin.db.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND query LIKE '%pg_sleep%'", [
            first,
          ])
        ).rows.length === 1,
      'the call to reach the server',
    );
    await admin.db.query('SELECT pg_terminate_backend($1)', [first]);
    const error: unknown = await sleeping.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', url: store.maskedUrl });
    const second = await pidOf();
    expect(second).not.toBe(first);

    // dropped while idle: noticed, and the next call runs on a new connection
    const lostBefore = records().filter((r) => String(r.msg).includes('lost')).length;
    await admin.db.query('SELECT pg_terminate_backend($1)', [second]);
    await until(
      () => records().filter((r) => String(r.msg).includes('lost')).length > lostBefore,
      'the drop to be noticed',
    );
    await store.setControl('strategy:enabled', 'alpha', 'false');
    expect(await store.loadControl()).toEqual({ 'strategy:enabled': { alpha: 'false' } });
    expect(await pidOf()).not.toBe(second);
  });

  describe.skipIf(privateSkipReason !== undefined)('LedgerEngine through a PostgreSQL outage', () => {
    let privateServer: PrivatePostgres;
    let ownServer = false;

    beforeAll(async () => {
      if ('halt' in server) privateServer = server as PrivatePostgres;
      else {
        privateServer = await startPrivatePostgres();
        ownServer = true;
      }
    });

    afterAll(async () => {
      if (ownServer) await privateServer?.stop();
    });

    it('with retry attempts Infinity, open waits for a database that is down and then opens it', async () => {
      const url = await privateServer.createDatabase();
      await privateServer.halt();
      const { logger, records } = capturingLogger();
      const retries = (): Record<string, unknown>[] =>
        records().filter((r) => String(r.msg).includes('retrying'));
      const opening = PostgresStore.open(url, {
        logger,
        retry: { attempts: Number.POSITIVE_INFINITY, initialDelayMs: 10, maxDelayMs: 50 },
      });
      try {
        await until(() => retries().length >= 3, 'three failed attempts');
      } finally {
        await privateServer.restart();
      }
      const store = await opening;
      opened.push(store);
      expect(await store.loadControl()).toEqual({});
      expect(new Set(retries().map((r) => r.of))).toEqual(new Set(['unlimited']));
    });

    it('stops acknowledging while the database is down, loses nothing, and catches up exactly once', async () => {
      const url = await privateServer.createDatabase();
      const store = await open(url);
      const count = async (table: string): Promise<number> =>
        (await store.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
      const bus = new MemoryBus();
      const alerts: Alert[] = [];
      const errors: unknown[] = [];
      bus.subscribe(Streams.alerts, 'test', (alert) => void alerts.push(alert));
      bus.onError((error) => void errors.push(error));
      const engine = new LedgerEngine({ bus, registry, store });
      await engine.start();
      await engine.deposit('USD', 1_000_000_00n, 'capital:SIM-A');
      const fill = (i: number): ReturnType<typeof makeFill> =>
        makeFill({
          instrument: aapl,
          side: i % 3 === 2 ? 'sell' : 'buy',
          quantity: 1 + i,
          price: 10 + i / 100,
          fee: 0.01,
          trade: `OUT${i}`,
          tsEvent: 1_700_000_000_000_000 + i,
        });
      for (let i = 0; i < 3; i++) bus.publish(Streams.fills, fill(i));
      await bus.flush();
      expect(errors).toEqual([]);
      expect(await count('fills')).toBe(3);

      await privateServer.halt();
      for (let i = 3; i < 6; i++) bus.publish(Streams.fills, fill(i));
      bus.publish(Streams.fills, fill(1)); // a redelivery is not acknowledged while others are unsaved
      await bus.flush();
      // every handler promise rejected (a Redis consumer would not ack), each with the store's clear error
      expect(errors).toHaveLength(4);
      for (const error of errors) expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(engine.stats()).toMatchObject({ booked: 6, duplicates: 1, unsaved: 3 });
      expect(engine.stats().storeFailures).toBeGreaterThanOrEqual(1);
      expect(alerts.length).toBe(engine.stats().storeFailures);
      expect(new Set(alerts.map((a) => a.code))).toEqual(new Set(['LEDGER_STORE_FAILED']));
      // still down: a retry fails again and keeps everything
      await expect(engine.flush()).rejects.toThrowError(StoreUnavailableError);
      expect(engine.stats().unsaved).toBe(3);

      await privateServer.restart();
      await engine.flush();
      expect(engine.stats().unsaved).toBe(0);
      expect([await count('ledger_entries'), await count('fills'), await count('deposits')]).toEqual([
        7, 6, 1,
      ]);
      const { rows } = await store.db.query<{ trade_id: string }>('SELECT trade_id FROM fills ORDER BY seq');
      expect(rows.map((r) => r.trade_id)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `OUT${i}`));
      expect((await LedgerEngine.restore(store, registry)).snapshot()).toEqual(engine.ledger.snapshot());
      // another process opening the database sees the same ledger
      const other = await open(url);
      expect((await LedgerEngine.restore(other, registry)).snapshot()).toEqual(engine.ledger.snapshot());
      await engine.stop();
    });
  });
});
