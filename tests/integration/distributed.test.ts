// The distributed deployment for real: `hf migrate`, then ledger, router, risk, strategy and ingest as
// separate processes over Redis Streams and PostgreSQL. Fills are booked in PostgreSQL and balance; the
// runbook's redis-cli view of the streams works; a plain HSET of the kill switch halts every process.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/index.ts';
import { loadRegistry } from '../../src/common/registry.ts';
import { AccessControl } from '../../src/services/auth.ts';
import { PostgresStore } from '../../src/store/postgres.ts';
import { postgresForTests, postgresSkipReason, type TestPostgres } from '../support/postgres-server.ts';
import { redisForTests, redisUnavailableReason, type TestRedis } from '../support/redis-server.ts';
import { freePort, ROOT, runHf, spawnHf, waitFor, type Spawned } from '../helpers.ts';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const skip = redisUnavailableReason() ?? postgresSkipReason();

describe.skipIf(skip !== undefined)('distributed deployment: one process per service', () => {
  let redis: TestRedis;
  let pg: TestPostgres;
  let client: Redis;
  let store: PostgresStore;
  const prefix = `it-${randomBytes(4).toString('hex')}:`;
  const services: Spawned[] = [];
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    redis = await redisForTests();
    pg = await postgresForTests();
    client = new Redis(redis.url);
    env = { REDIS_URL: redis.url, DATABASE_URL: pg.url, HF_REDIS_PREFIX: prefix, HF_LOG_LEVEL: 'warn' };
  });

  afterAll(async () => {
    for (const s of services) if (s.child.exitCode === null) s.child.kill('SIGKILL');
    await Promise.all(services.map((s) => s.exited));
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
    await store?.close();
    await pg?.stop();
    await redis?.stop();
  });

  it('trades across processes, books in PostgreSQL, and halts on a redis-cli kill switch', async () => {
    const migrate = await runHf(['migrate'], env);
    expect(migrate.code, migrate.stderr).toBe(0);
    store = await PostgresStore.open(pg.url);
    // The api service authenticates every caller against the users in PostgreSQL: a viewer's token reads.
    const access = new AccessControl(store);
    await access.addUser('reader', 'viewer');
    const headers = { authorization: `Bearer ${(await access.createToken('reader')).token}` };

    for (const name of ['ledger', 'router', 'risk'])
      services.push(spawnHf(['service', name, '--port', '0'], env));
    // The strategy tier scaled out: two processes, each with its own set of strategies.
    services.push(
      spawnHf(['service', 'strategy', '--port', '0', '--strategies', 'sma-cross,arb-aapl'], {
        ...env,
        HF_CONSUMER: 'strategy-a',
      }),
      spawnHf(['service', 'strategy', '--port', '0', '--strategies', 'mm-msft'], {
        ...env,
        HF_CONSUMER: 'strategy-b',
      }),
    );
    const ingestPort = await freePort();
    services.push(
      spawnHf(['service', 'ingest', '--port', String(ingestPort), '--rate', '5000', '--seed', '5'], env),
    );
    const apiPort = await freePort();
    services.push(spawnHf(['service', 'api', '--port', String(apiPort)], env));

    const fillsIn = async (): Promise<number> =>
      (await store.loadLedgerEntries()).filter((e) => e.kind === 'fill').length;
    await waitFor(
      async () => ((await fillsIn()) > 5 ? true : undefined),
      'fills booked in PostgreSQL',
      60_000,
    );

    // The api service (no router in its process) serves orders and fills from PostgreSQL.
    const apiFills = await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${apiPort}/api/fills?limit=10000`, { headers });
        const list = res.ok ? ((await res.json()) as unknown[]) : [];
        return list.length > 0 ? list : undefined;
      },
      'fills from the api service',
      30_000,
    );
    expect(apiFills.length).toBeGreaterThan(0);
    const apiOrders = (await (
      await fetch(`http://127.0.0.1:${apiPort}/api/orders?status=all&limit=10000`, { headers })
    ).json()) as unknown[];
    expect((await fetch(`http://127.0.0.1:${apiPort}/api/orders`)).status).toBe(401);
    expect(apiOrders.length).toBeGreaterThan(0);
    expect((await fetch(`http://127.0.0.1:${apiPort}/health`)).status).toBe(200);
    const ingestHealth = await fetch(`http://127.0.0.1:${ingestPort}/health`);
    expect(ingestHealth.status).toBe(200);
    expect(
      ((await ingestHealth.json()) as { components: { feed: { detail: string } } }).components.feed.detail,
    ).toMatch(/^[1-9]\d* messages published$/);

    // The runbook's view of the streams.
    expect(await client.xlen(`${prefix}orders.incoming`)).toBeGreaterThan(0);
    expect(await client.xlen(`${prefix}ticks.live`)).toBeGreaterThan(100);
    const groups = (await client.xinfo('GROUPS', `${prefix}fills`)) as unknown[][];
    expect(groups.map((g) => g[1])).toContain('ledger');
    // Each strategy process reads its own orders' events in a group of its own; both sets trade.
    const eventGroups = ((await client.xinfo('GROUPS', `${prefix}orders.events`)) as unknown[][]).map(
      (g) => g[1],
    );
    expect(eventGroups).toEqual(expect.arrayContaining(['strategy:arb-aapl,sma-cross', 'strategy:mm-msft']));
    await waitFor(
      async () => {
        const ids = new Set(
          (await client.xrange(`${prefix}orders.incoming`, '-', '+')).map(
            ([, f]) =>
              (JSON.parse(f[f.indexOf('data') + 1] ?? '{}') as { order?: { strategyId?: string } }).order
                ?.strategyId,
          ),
        );
        return ids.has('mm-msft') && (ids.has('sma-cross') || ids.has('arb-aapl')) ? true : undefined;
      },
      'orders from both strategy processes',
      60_000,
    );
    // A second runner of the same set waits as a standby instead of submitting the same orders again.
    const second = spawnHf(['service', 'strategy', '--port', '0', '--strategies', 'mm-msft'], {
      ...env,
      HF_CONSUMER: 'strategy-b2',
    });
    await waitFor(
      async () =>
        second.stderr.includes('strategy:mm-msft is active in strategy-b: waiting as a standby')
          ? true
          : undefined,
      'the second mm-msft runner to wait as a standby',
      30_000,
    );
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const unknown = await runHf(['service', 'strategy', '--port', '0', '--strategies', 'nope'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/strategies\.yaml.*no strategy with id "nope"/);

    // A plain HSET (as redis-cli would) halts every process: new orders are denied with the kill-switch reason.
    await client.hset(`${prefix}policy:kill_switch`, 'enabled', 'true');
    const denied = await waitFor(
      async () => {
        const entries = await client.xrevrange(`${prefix}orders.rejected`, '+', '-', 'COUNT', 200);
        const reasons = entries.map(
          ([, fields]) =>
            (JSON.parse(fields[fields.indexOf('data') + 1] ?? '{}') as { reason?: string }).reason,
        );
        return reasons.includes('RISK_KILL_SWITCH') ? reasons : undefined;
      },
      'a RISK_KILL_SWITCH denial on orders.rejected',
      20_000,
    );
    expect(denied).toContain('RISK_KILL_SWITCH');

    // Graceful shutdown on SIGTERM: every service exits 0.
    for (const s of services) s.child.kill('SIGTERM');
    const codes = await Promise.all(services.map((s) => s.exited));
    expect(codes, services.map((s) => s.stderr.slice(-500)).join('\n---\n')).toEqual([0, 0, 0, 0, 0, 0, 0]);

    // Everything the ledger booked balances, and replaying PostgreSQL's entries rebuilds it.
    const registry = loadRegistry(join(ROOT, 'configs', 'registry.yaml'));
    const ledger = Ledger.replay(await store.loadLedgerEntries(), registry);
    for (const [currency, sum] of Object.entries(ledger.trialBalance())) expect(sum, currency).toBe(0n);
    expect(ledger.journals().length).toBeGreaterThan(5);
  }, 180_000);

  it('hf run with REDIS_URL and DATABASE_URL runs every component in one process over Redis and PostgreSQL', async () => {
    const url = await pg.createDatabase();
    const runPrefix = `${prefix}run:`;
    const run = await runHf(
      [
        '--home',
        mkdtempSync(join(tmpdir(), 'hf-run-')),
        'run',
        '--duration',
        '6',
        '--no-api',
        '--no-ws',
        '--json',
        '--rate',
        '5000',
      ],
      {
        ...env,
        DATABASE_URL: url,
        HF_REDIS_PREFIX: runPrefix,
      },
    );
    expect(run.code, run.stderr.slice(-800)).toBe(0);
    const summary = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
      fills: number;
      reconciliation: { breaks: unknown[] };
    };
    expect(summary.fills).toBeGreaterThan(0);
    expect(summary.reconciliation.breaks).toEqual([]);
    const runStore = await PostgresStore.open(url);
    const booked = (await runStore.loadLedgerEntries()).filter((e) => e.kind === 'fill').length;
    await runStore.close();
    expect(booked).toBe(summary.fills);
    expect(await client.xlen(`${runPrefix}orders.incoming`)).toBeGreaterThan(0);
  });
});
