// The side workers as their own services, as the runbook deploys them: `hf service sentiment` reads news.raw from
// Redis and publishes a score per tagged instrument on `sentiment`.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnHf, waitFor } from '../helpers.ts';
import { redisForTests, redisUnavailableReason, type TestRedis } from '../support/redis-server.ts';

const skip = redisUnavailableReason();

describe.skipIf(skip !== undefined)('worker services', () => {
  let redis: TestRedis;
  let client: Redis;
  const prefix = `workers-${randomBytes(4).toString('hex')}:`;

  beforeAll(async () => {
    redis = await redisForTests();
    client = new Redis(redis.url);
  });

  afterAll(async () => {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
    await redis.stop();
  });

  it('hf service sentiment scores news.raw items into the sentiment stream', async () => {
    const service = spawnHf(['service', 'sentiment', '--port', '0'], {
      REDIS_URL: redis.url,
      HF_REDIS_PREFIX: prefix,
      HF_LOG_LEVEL: 'warn',
    });
    try {
      // Wait until its consumer group exists on news.raw, then publish two items the way the news service does.
      await waitFor(
        async () => {
          const groups = (await client
            .call('XINFO', 'GROUPS', `${prefix}news.raw`)
            .catch(() => [])) as unknown[];
          return groups.length > 0 ? true : undefined;
        },
        'the sentiment group on news.raw',
        30_000,
      );
      const item = (id: string, title: string, instruments: string[]) =>
        JSON.stringify({
          type: 'news',
          id,
          source: 'test',
          title,
          summary: '',
          url: `https://example.com/${id}`,
          instruments,
          publishedAt: Date.now() * 1000,
          tsInit: Date.now() * 1000,
        });
      await client.xadd(
        `${prefix}news.raw`,
        '*',
        'data',
        item('n1', 'Apple beats estimates and raises guidance', ['AAPL.SIM-A']),
      );
      await client.xadd(
        `${prefix}news.raw`,
        '*',
        'data',
        item('n2', 'Exxon misses estimates; shares plunge on weak outlook', ['XOM.SIM-A']),
      );
      const updates = await waitFor(
        async () => {
          const list = await client.xrange(`${prefix}sentiment`, '-', '+');
          return list.length >= 2 ? list : undefined;
        },
        'two sentiment updates',
        30_000,
      );
      const byInstrument = new Map(
        updates.map(([, fields]) => {
          const u = JSON.parse(fields[fields.indexOf('data') + 1]!) as {
            instrumentId: string;
            itemScore: number;
          };
          return [u.instrumentId, u.itemScore] as const;
        }),
      );
      expect(byInstrument.get('AAPL.SIM-A')).toBeGreaterThan(0);
      expect(byInstrument.get('XOM.SIM-A')).toBeLessThan(0);
    } finally {
      service.child.kill('SIGTERM');
      expect(await service.exited).toBe(0);
    }
  });
});
