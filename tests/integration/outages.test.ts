// Infrastructure outages under load, with the whole distributed stack running (ingest, strategy, risk, router,
// ledger as separate processes): Redis stops for a few seconds and comes back (with its append-only file, as
// production Redis must run), then PostgreSQL stops (immediate shutdown) and comes back. Every process rides
// it out without a restart; afterwards no fill is booked twice, the ledger holds every fill the OMS published,
// the venues agree with the OMS (no reconciliation break) and the ledger balances.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRegistry } from '../../src/common/registry.ts';
import { Ledger } from '../../src/ledger/index.ts';
import { PostgresStore } from '../../src/store/postgres.ts';
import {
  postgresSkipReason,
  startPrivatePostgres,
  type PrivatePostgres,
} from '../support/postgres-server.ts';
import { floodConfig } from '../support/flood.ts';
import { redisUnavailableReason, startPrivateRedis, type PrivateRedis } from '../support/redis-server.ts';
import { freePort, runHf, spawnHf, waitFor, type Spawned } from '../helpers.ts';

const skip = redisUnavailableReason() ?? postgresSkipReason({ private: true });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skip !== undefined)('outages: Redis and PostgreSQL go away under load', () => {
  let redis: PrivateRedis;
  let pg: PrivatePostgres;
  let store: PostgresStore | undefined;
  const prefix = `outage-${randomBytes(4).toString('hex')}:`;
  const all: Spawned[] = [];
  let env: NodeJS.ProcessEnv;
  let config: string;

  beforeAll(async () => {
    // appendfsync always: what Redis acknowledged survives its restart (the platform's at-least-once rests on it).
    redis = await startPrivateRedis({ extraArguments: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    pg = await startPrivatePostgres();
    config = floodConfig(['AAPL.SIM-A', 'MSFT.SIM-A'], 4);
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
    await store?.close();
    await pg?.stop();
    await redis?.stop();
  });

  it('every process rides out a Redis restart and a PostgreSQL outage: each effect once, balanced, no break', async () => {
    expect((await runHf(['migrate'], env)).code).toBe(0);
    const routerPort = await freePort();
    const start = (name: string, ...args: string[]): Spawned => {
      const s = spawnHf(
        ['service', name, '--port', name === 'router' ? String(routerPort) : '0', ...args],
        env,
      );
      all.push(s);
      return s;
    };
    start('ledger');
    start('router');
    start('risk');
    start('strategy');
    const ingest = start('ingest', '--rate', '2000', '--seed', '4');
    const diagnose = (): string =>
      all.map((s) => `${s.child.spawnargs.slice(2).join(' ')}: ${s.stderr.slice(-600)}`).join('\n');
    const open = async (): Promise<PostgresStore> => (store ??= await PostgresStore.open(pg.url));
    const fills = async (): Promise<number> =>
      Number(
        (await (await open()).db.query<{ n: string }>('SELECT count(*) AS n FROM fills')).rows[0]?.n ?? 0,
      );
    const atLeast = (n: number, what: string) =>
      waitFor(async () => ((await fills()) >= n ? true : undefined), what, 150_000).catch((e: Error) => {
        throw new Error(`${e.message}\n${diagnose()}`);
      });

    await atLeast(200, '200 fills before the Redis outage');
    await redis.stopServer();
    await sleep(3000);
    await redis.start();
    const afterRedis = await fills();
    await atLeast(afterRedis + 300, '300 more fills after Redis came back');

    // PostgreSQL goes away: the router holds acknowledgements (its venue journal cannot become durable), the
    // ledger holds its acks, nothing is lost; everything continues when it is back.
    await store?.close();
    store = undefined;
    await pg.halt();
    await sleep(3000);
    await pg.restart();
    const afterPostgres = await fills();
    await atLeast(afterPostgres + 300, '300 more fills after PostgreSQL came back');

    ingest.child.kill('SIGTERM');
    await ingest.exited;
    let last = -1;
    await waitFor(
      async () => {
        const n = await fills();
        const settled = n === last;
        last = n;
        await sleep(1500);
        return settled ? true : undefined;
      },
      'the stream to drain',
      120_000,
    );
    // No process died on the way (the ingest service was stopped on purpose).
    for (const s of all)
      if (s !== ingest)
        expect(
          s.child.exitCode,
          `${s.child.spawnargs.slice(2).join(' ')} exited: ${s.stderr.slice(-400)}`,
        ).toBeNull();

    const summary = (await (await fetch(`http://127.0.0.1:${routerPort}/api/summary`)).json()) as {
      fills: number;
    };
    const booked = (await (await open()).loadLedgerEntries()).filter((e) => e.kind === 'fill');
    const tradeIds = booked.map((e) => (e.kind === 'fill' ? `${e.fill.venue}|${e.fill.tradeId}` : ''));
    expect(new Set(tradeIds).size).toBe(tradeIds.length);
    expect(booked.length).toBe(summary.fills);
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
