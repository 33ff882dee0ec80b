// Crash faults in the distributed deployment: `kill -9` of the risk process, of the ledger process and of the
// router (OMS and paper venues, whose state is journaled in PostgreSQL) in the middle of a stream of thousands
// of orders, each restarted. Every order's effect happens exactly once: no
// order lost or sent twice (the OMS's count of commands equals the venue's), no fill booked twice, the ledger
// balances, and the reconciler finds no break.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRegistry } from '../../src/common/registry.ts';
import { Ledger } from '../../src/ledger/index.ts';
import { PostgresStore } from '../../src/store/postgres.ts';
import { postgresForTests, postgresSkipReason, type TestPostgres } from '../support/postgres-server.ts';
import { floodConfig } from '../support/flood.ts';
import { redisForTests, redisUnavailableReason, type TestRedis } from '../support/redis-server.ts';
import { freePort, runHf, spawnHf, waitFor, type Spawned } from '../helpers.ts';

const skip = redisUnavailableReason() ?? postgresSkipReason();

describe.skipIf(skip !== undefined)('faults: kill -9 and restart under load', () => {
  let redis: TestRedis;
  let pg: TestPostgres;
  let client: Redis;
  let store: PostgresStore;
  const prefix = `fault-${randomBytes(4).toString('hex')}:`;
  const all: Spawned[] = [];
  let env: NodeJS.ProcessEnv;
  let config: string;

  beforeAll(async () => {
    redis = await redisForTests();
    pg = await postgresForTests();
    client = new Redis(redis.url);
    config = floodConfig(['AAPL.SIM-A', 'MSFT.SIM-A', 'JPM.SIM-B'], 3);
    env = {
      REDIS_URL: redis.url,
      DATABASE_URL: pg.url,
      HF_REDIS_PREFIX: prefix,
      HF_CONFIG_DIR: config,
      HF_LOG_LEVEL: 'warn',
    };
  });

  afterAll(async () => {
    for (const s of all) if (s.child.exitCode === null) s.child.kill('SIGKILL');
    await Promise.all(all.map((s) => s.exited));
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
    await store?.close();
    await pg?.stop();
    await redis?.stop();
  });

  it('kill -9 of risk, of the ledger and of the router mid-stream: every effect exactly once, balanced, no break', async () => {
    expect((await runHf(['migrate'], env)).code).toBe(0);
    store = await PostgresStore.open(pg.url);
    const routerPort = await freePort();
    const start = (name: string, ...args: string[]): Spawned => {
      const s = spawnHf(['service', name, '--port', '0', ...args], env);
      all.push(s);
      return s;
    };
    start('ledger');
    let router = spawnHf(['service', 'router', '--port', String(routerPort)], env);
    all.push(router);
    let risk = start('risk');
    start('strategy');
    const ingest = start('ingest', '--rate', '3000', '--seed', '9');
    // A cheap count (polled often, while the machine is busy with five services).
    const fills = async (): Promise<number> =>
      Number((await store.db.query<{ n: string }>('SELECT count(*) AS n FROM fills')).rows[0]?.n ?? 0);

    const diagnose = (): string =>
      all.map((s) => `${s.child.spawnargs.slice(2).join(' ')}: ${s.stderr.slice(-400)}`).join('\n');
    await waitFor(async () => ((await fills()) > 300 ? true : undefined), '300 fills booked', 120_000).catch(
      (e: Error) => {
        throw new Error(`${e.message}\n${diagnose()}`);
      },
    );
    risk.child.kill('SIGKILL');
    await risk.exited;
    risk = start('risk');
    await waitFor(async () => ((await fills()) > 900 ? true : undefined), '900 fills booked', 120_000);
    const ledgerProcess = all.find((s) => s.child.spawnargs.includes('ledger'))!;
    ledgerProcess.child.kill('SIGKILL');
    await ledgerProcess.exited;
    start('ledger');
    await waitFor(async () => ((await fills()) > 1500 ? true : undefined), '1500 fills booked', 150_000);

    // The router dies with orders in flight; restarted on the same port, its venues restore from their
    // journals, its OMS from its records, and the startup reconciliation is clean (no kill switch).
    router.child.kill('SIGKILL');
    await router.exited;
    const atRouterDeath = await fills();
    router = spawnHf(['service', 'router', '--port', String(routerPort)], env);
    all.push(router);
    await waitFor(
      async () => ((await fills()) > atRouterDeath + 600 ? true : undefined),
      '600 more fills booked after the router restart',
      150_000,
    ).catch(async (e: Error) => {
      const runs = await store.loadReconciliations(1);
      throw new Error(`${e.message}\n${JSON.stringify(runs[0]?.breaks.slice(0, 6))}\n${diagnose()}`);
    });
    // Its port answers once it has started (it waited out the dead instance's lock as a standby first).
    const afterRestart = await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${routerPort}/api/summary`);
        return res.ok ? ((await res.json()) as { killSwitch: boolean }) : undefined;
      },
      'the restarted router to answer',
      30_000,
    );
    expect(afterRestart.killSwitch).toBe(false);

    // Stop the market, let the stream drain, then compare.
    ingest.child.kill('SIGTERM');
    await ingest.exited;
    let last = -1;
    await waitFor(
      async () => {
        const n = await fills();
        const settled = n === last;
        last = n;
        await new Promise((r) => setTimeout(r, 1500));
        return settled ? true : undefined;
      },
      'the stream to drain',
      120_000,
    );

    const summary = (await (await fetch(`http://127.0.0.1:${routerPort}/api/summary`)).json()) as {
      fills: number;
      orders: { submitted: number };
    };
    const booked = (await store.loadLedgerEntries()).filter((e) => e.kind === 'fill');
    // No fill booked twice, and every fill the router's OMS published is booked.
    const tradeIds = booked.map((e) => (e.kind === 'fill' ? `${e.fill.venue}|${e.fill.tradeId}` : ''));
    expect(new Set(tradeIds).size).toBe(tradeIds.length);
    expect(booked.length).toBe(summary.fills);
    expect(summary.orders.submitted).toBeGreaterThan(1000);

    // The venues agree with the OMS and the ledger: no missing or extra order or fill, no position break.
    const recon = (await (
      await fetch(`http://127.0.0.1:${routerPort}/reconcile`, { method: 'POST' })
    ).json()) as {
      breaks: unknown[];
      fillsChecked: number;
    };
    expect(recon.breaks).toEqual([]);
    expect(recon.fillsChecked).toBe(booked.length);

    const ledger = Ledger.replay(booked, loadRegistry(join(config, 'registry.yaml')));
    for (const [currency, sum] of Object.entries(ledger.trialBalance())) expect(sum, currency).toBe(0n);
  }, 720_000);
});
