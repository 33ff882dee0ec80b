// Runbook 4.2 in the distributed deployment: `hf policy set` from an operator's machine (REDIS_URL and
// DATABASE_URL set, no local process) publishes the change to the fleet's control plane; the risk process —
// which reads its own copy of the config folder, untouched — applies it on the notification, and no order is
// validated by the old rule more than a second after the command returns. The version is numbered and audited
// in PostgreSQL (who, what, old → new), `hf policy history` lists it, a standby risk process that takes over
// adopts the fleet's policy rather than its stale file, and `hf policy rollback` restores the start.
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/store/postgres.ts';
import { postgresForTests, postgresSkipReason, type TestPostgres } from '../support/postgres-server.ts';
import { redisForTests, redisUnavailableReason, type TestRedis } from '../support/redis-server.ts';
import { freePort, ROOT, runHf, spawnHf, tempHome, waitFor, type Spawned } from '../helpers.ts';

const skip = redisUnavailableReason() ?? postgresSkipReason();

interface Entry {
  readonly ms: number;
  readonly data: Record<string, unknown>;
}

describe.skipIf(skip !== undefined)('policy changes across processes', () => {
  let redis: TestRedis;
  let pg: TestPostgres;
  let client: Redis;
  const prefix = `pol-${randomBytes(4).toString('hex')}:`;
  const services: Spawned[] = [];
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    redis = await redisForTests();
    pg = await postgresForTests();
    client = new Redis(redis.url);
  });

  afterAll(async () => {
    for (const s of services) if (s.child.exitCode === null) s.child.kill('SIGKILL');
    await Promise.all(services.map((s) => s.exited));
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
    await pg?.stop();
    await redis?.stop();
  });

  const entries = async (stream: string): Promise<Entry[]> =>
    (await client.xrange(`${prefix}${stream}`, '-', '+')).map(([id, fields]) => ({
      ms: Number(id.split('-')[0]),
      data: JSON.parse(fields[fields.indexOf('data') + 1] ?? '{}') as Record<string, unknown>,
    }));
  const instrumentOf = (e: Entry): string | undefined =>
    (e.data.order as { instrumentId?: string } | undefined)?.instrumentId;
  const isMsft = (e: Entry): boolean => instrumentOf(e)?.startsWith('MSFT.') === true;

  it('applies hf policy set across processes within a second, versioned and audited in PostgreSQL; a standby adopts it', async () => {
    // The fleet's config folder, and the operator's own checkout: two copies, as on two machines.
    const fleetConfig = mkdtempSync(join(tmpdir(), 'hf-fleet-config-'));
    cpSync(join(ROOT, 'configs'), fleetConfig, { recursive: true });
    const operatorConfig = mkdtempSync(join(tmpdir(), 'hf-operator-config-'));
    cpSync(join(ROOT, 'configs'), operatorConfig, { recursive: true });
    env = {
      REDIS_URL: redis.url,
      DATABASE_URL: pg.url,
      HF_REDIS_PREFIX: prefix,
      HF_LOG_LEVEL: 'warn',
      HF_CONFIG_DIR: fleetConfig,
    };
    const operator = ['--home', tempHome('hf-operator-'), '--config', operatorConfig];
    const migrate = await runHf(['migrate'], env);
    expect(migrate.code, migrate.stderr).toBe(0);

    for (const [name, consumer] of [
      ['ledger', 'ledger-1'],
      ['router', 'router-1'],
      ['risk', 'risk-1'],
      ['strategy', 'strategy-1'],
    ] as const)
      services.push(spawnHf(['service', name, '--port', '0'], { ...env, HF_CONSUMER: consumer }));
    services.push(
      spawnHf(
        ['service', 'ingest', '--port', String(await freePort()), '--rate', '5000', '--seed', '9'],
        env,
      ),
    );

    // Trading MSFT under the starting policy (the risk process announced the files it started with).
    await waitFor(
      async () => ((await entries('orders.validated')).some(isMsft) ? true : undefined),
      'MSFT orders validated',
      60_000,
    );
    const start = JSON.parse((await client.hget(`${prefix}policy:documents`, 'policy.yaml')) ?? '{}') as {
      version: number;
    };
    expect(start.version).toBeGreaterThan(0);

    const set = await runHf([...operator, 'policy', 'set', 'policy.restrictedInstruments', '[MSFT]'], env);
    const returned = Date.now();
    expect(set.code, set.stderr).toBe(0);
    const version = Number(/published to the fleet as version (\d+)/.exec(set.stdout)?.[1]);
    expect(version).toBeGreaterThan(start.version);
    expect(readFileSync(join(operatorConfig, 'policy.yaml'), 'utf8')).toMatch(
      /restrictedInstruments:.*\n?.*MSFT/,
    );
    expect(readFileSync(join(fleetConfig, 'policy.yaml'), 'utf8')).toBe(
      readFileSync(join(ROOT, 'configs', 'policy.yaml'), 'utf8'),
    );

    // Denials by the new rule, and from a second after the command returned, no MSFT order validated.
    await waitFor(
      async () =>
        (await entries('orders.rejected')).some((e) => e.data.reason === 'RISK_RESTRICTED_INSTRUMENT')
          ? true
          : undefined,
      'RISK_RESTRICTED_INSTRUMENT denials',
      30_000,
    );
    await new Promise((r) => setTimeout(r, 3000));
    const validatedAfter = (await entries('orders.validated')).filter(
      (e) => isMsft(e) && e.data.type === 'submit_order' && e.ms > returned + 1000,
    );
    expect(validatedAfter).toEqual([]);
    // The risk process said it applied that version…
    const applied = (await entries('alerts')).filter(
      (e) => e.data.code === 'OPS_POLICY_APPLIED' && String(e.data.message).includes(`version ${version} `),
    );
    expect(applied).toHaveLength(1);
    // …within a second of the command (the alert is published as the engine takes the new policy).
    for (const a of applied) expect(a.ms - returned).toBeLessThan(1000);
    expect(String(applied[0]?.data.message)).toContain('restrictedInstruments: [] → ["MSFT"]');

    // Numbered and audited in PostgreSQL: who, what, old → new.
    const store = await PostgresStore.open(pg.url);
    try {
      const audit = (await store.loadControlAudit(50)).find((a) => a.reason === `version ${version}`);
      expect(audit).toMatchObject({
        action: 'policy.set',
        field: 'policy.yaml',
        via: 'cli',
        outcome: 'applied',
      });
      expect(audit?.actor).toMatch(/^local:/);
      expect(audit?.oldValue).toContain('restrictedInstruments: []\n');
      expect(audit?.newValue).not.toContain('restrictedInstruments: []\n');
      expect(audit?.detail).toBe('restrictedInstruments: [] → ["MSFT"]');
    } finally {
      await store.close();
    }
    const history = await runHf([...operator, 'policy', 'history'], env);
    expect(history.code, history.stderr).toBe(0);
    const lines = history.stdout.trim().split('\n');
    expect(lines.at(-1)).toMatch(
      new RegExp(
        `^${version}  policy\\.yaml  \\S+  local:\\S+  restrictedInstruments: \\[\\] → \\["MSFT"\\]  set$`,
      ),
    );

    // A standby risk process (one is active at a time) reads the stale file; when the active one stops it takes
    // over and adopts the fleet's version before it judges an order.
    const standbyPort = await freePort();
    const standby = spawnHf(['service', 'risk', '--port', String(standbyPort)], {
      ...env,
      HF_CONSUMER: 'risk-2',
    });
    services.push(standby);
    await waitFor(
      async () => (standby.stderr.includes('waiting as a standby') ? true : undefined),
      'the second risk process to wait as a standby',
      60_000,
    );
    // Alive for a liveness probe, and saying who is active.
    const standing = await waitFor(
      async () => (await fetch(`http://127.0.0.1:${standbyPort}/health`)).json(),
      'the standby health',
      10_000,
    );
    expect(standing).toEqual({ status: 'standby', service: 'risk', consumer: 'risk-2', active: 'risk-1' });
    const active = services[2]!;
    active.child.kill('SIGTERM');
    expect(await active.exited).toBe(0);
    const adopted = await waitFor(
      async () => {
        const list = (await entries('alerts')).filter(
          (e) =>
            e.data.code === 'OPS_POLICY_APPLIED' && String(e.data.message).includes(`version ${version} `),
        );
        return list.length === 2 ? list : undefined;
      },
      'the standby to take over and adopt the fleet version',
      60_000,
    );
    expect(String(adopted[1]?.data.message)).toContain('restrictedInstruments: [] → ["MSFT"]');

    // Roll back to the start: the risk process now active applies it within a second.
    const rollback = await runHf([...operator, 'policy', 'rollback', String(start.version)], env);
    const rolledBackAt = Date.now();
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(rollback.stdout).toMatch(
      new RegExp(`policy\\.yaml version ${start.version} written back and applied as version ${version + 1}`),
    );
    const rolledBack = await waitFor(
      async () => {
        const list = (await entries('alerts')).filter(
          (e) =>
            e.data.code === 'OPS_POLICY_APPLIED' &&
            String(e.data.message).includes(`version ${version + 1} `),
        );
        return list.length > 0 ? list : undefined;
      },
      'the active risk process to apply the rollback',
      10_000,
    );
    expect(rolledBack).toHaveLength(1);
    expect(rolledBack[0]!.ms - rolledBackAt).toBeLessThan(1000);

    for (const s of services) s.child.kill('SIGTERM');
    const codes = await Promise.all(services.map((s) => s.exited));
    expect(codes, services.map((s) => s.stderr.slice(-800)).join('\n---\n')).toEqual(codes.map(() => 0));
  }, 240_000);
});
