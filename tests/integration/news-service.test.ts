// `hf service news` as the runbook runs it: polls the sources of configs/news.yaml (here a loopback server
// serving a recorded Yahoo Finance feed) and publishes tagged items on news.raw in Redis.
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, spawnHf, waitFor } from '../helpers.ts';
import { redisForTests, redisUnavailableReason, type TestRedis } from '../support/redis-server.ts';

const skip = redisUnavailableReason();

describe.skipIf(skip !== undefined)('hf service news', () => {
  let redis: TestRedis;
  let client: Redis;
  let server: Server;
  let requests = 0;
  const prefix = `news-${randomBytes(4).toString('hex')}:`;

  beforeAll(async () => {
    redis = await redisForTests();
    client = new Redis(redis.url);
    const document = readFileSync(join(ROOT, 'tests', 'fixtures', 'news', 'yahoo-finance-aapl.xml'));
    server = createServer((_request, response) => {
      requests++;
      response.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8' });
      response.end(document);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });

  afterAll(async () => {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
    server.close();
    await redis.stop();
  });

  it('publishes the feed items on news.raw, tagged with instruments', async () => {
    const address = server.address() as { port: number };
    const config = mkdtempSync(join(tmpdir(), 'hf-news-config-'));
    cpSync(join(ROOT, 'configs'), config, { recursive: true });
    writeFileSync(
      join(config, 'news.yaml'),
      `sources:\n  - { name: yahoo-aapl, url: "http://127.0.0.1:${address.port}/rss", kind: rss, intervalSeconds: 60 }\n` +
        'aliases: { AAPL: [Apple], MSFT: [Microsoft] }\n',
    );
    const service = spawnHf(['--config', config, 'service', 'news', '--port', '0'], {
      REDIS_URL: redis.url,
      HF_REDIS_PREFIX: prefix,
      HF_LOG_LEVEL: 'warn',
    });
    try {
      const entries = await waitFor(
        async () => {
          const list = await client.xrange(`${prefix}news.raw`, '-', '+');
          return list.length >= 3 ? list : undefined;
        },
        'items on news.raw',
        30_000,
      );
      expect(requests).toBeGreaterThanOrEqual(1);
      const items = entries.map(([, fields]) => {
        const i = fields.indexOf('data');
        return JSON.parse(fields[i + 1]!) as { title: string; instruments: string[]; source: string };
      });
      const downgrade = items.find((x) => x.title.startsWith('Apple shares slip'));
      expect(downgrade).toMatchObject({ source: 'yahoo-aapl' });
      expect(downgrade!.instruments).toEqual(expect.arrayContaining(['AAPL.SIM-A', 'AAPL.SIM-B']));
      const seven = items.find((x) => x.title.includes('AAPL, MSFT and NVDA'));
      expect(seven!.instruments).toEqual(expect.arrayContaining(['AAPL.SIM-A', 'MSFT.SIM-A']));
    } finally {
      service.child.kill('SIGTERM');
      expect(await service.exited).toBe(0);
    }
  });
});
