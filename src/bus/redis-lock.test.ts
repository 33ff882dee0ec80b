// The single-active lock of risk, router, ledger and reconciler on a real redis-server: a standby waits, takes over
// at once after a clean stop and within the TTL after a holder dies, a second process under the same name is a
// standby too, and a holder that finds its lock taken stops.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../common/logging.ts';
import { redisForTests, redisUnavailableReason, type TestRedis } from '../../tests/support/redis-server.ts';
import { ServiceLock } from './redis-lock.ts';

const skip = redisUnavailableReason();

function capturing(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger('test', 'info', { write: (l: string) => void lines.push(l) }), lines };
}

describe.skipIf(skip !== undefined)('ServiceLock', () => {
  let server: TestRedis;
  let raw: Redis;
  const locks: ServiceLock[] = [];
  const prefix = `lock-${randomBytes(4).toString('hex')}:`;

  beforeAll(async () => {
    server = await redisForTests();
    raw = new Redis(server.url);
  });
  afterAll(async () => {
    for (const l of locks) await l.release();
    await raw.del(`${prefix}lock:service:risk`);
    raw.disconnect();
    await server.stop();
  });

  const lock = (holder: string, onLost: (h: string | null) => void = () => undefined, logger?: Logger) => {
    const created = new ServiceLock({
      url: server.url,
      keyPrefix: prefix,
      service: 'risk',
      holder,
      logger: logger ?? capturing().logger,
      ttlMs: 300,
      onLost,
    });
    locks.push(created);
    return created;
  };

  it('keeps one active instance: a standby waits, and takes over after a clean stop or a death', async () => {
    const first = lock('risk-1');
    expect(await first.acquire()).toBe(true);
    const { logger, lines } = capturing();
    const second = lock('risk-2', undefined, logger);
    let secondActive = false;
    const waiting = second.acquire().then((ok) => (secondActive = ok));
    await new Promise((r) => setTimeout(r, 700)); // more than two TTLs: the holder renews, the standby waits
    expect(secondActive).toBe(false);
    expect(lines.join('\n')).toMatch(/risk is active in risk-1: waiting as a standby/);

    // A clean stop releases at once.
    const released = Date.now();
    await first.release();
    await waiting;
    expect(secondActive).toBe(true);
    expect(Date.now() - released).toBeLessThan(300);

    expect(await raw.get(`${prefix}lock:service:risk`)).toBe(second.token);
    expect(ServiceLock.holderName(second.token)).toBe('risk-2');

    // A second process under the same name (no HF_CONSUMER on one host, or a restart beside a hung
    // predecessor) is a standby too: the name does not make it the holder.
    const sameName = lock('risk-2');
    let sameNameActive = false;
    void sameName.acquire().then((ok) => (sameNameActive = ok));
    await new Promise((r) => setTimeout(r, 400));
    expect(sameNameActive).toBe(false);
    await sameName.release();

    // A holder that dies (stops renewing, no release): a standby takes over within the TTL and a bit.
    const third = lock('risk-3');
    const standby = third.acquire();
    // The holder stops renewing without giving the key up, as a killed process would.
    (second as unknown as { renewTimer: NodeJS.Timeout | undefined }).renewTimer?.close();
    const died = Date.now();
    expect(await standby).toBe(true);
    expect(Date.now() - died).toBeLessThan(1_000);
  });

  it('stops a holder whose lock another instance took (paused past the TTL)', async () => {
    const lost: (string | null)[] = [];
    await raw.del(`${prefix}lock:service:risk`);
    const holder = lock('risk-a', (h) => void lost.push(h));
    expect(await holder.acquire()).toBe(true);
    await raw.set(`${prefix}lock:service:risk`, 'risk-b', 'PX', 5_000);
    await new Promise((r) => setTimeout(r, 400));
    expect(lost).toEqual(['risk-b']);
  });
});
