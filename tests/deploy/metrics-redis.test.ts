// The distributed deployment's bus figures on a real redis-server: stream lengths (XLEN through the probe),
// consumer-group lag and pending (XINFO GROUPS), bus counters, the connection gauge, and the alerts tally.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisBus } from '../../src/bus/redis.ts';
import { silentLogger } from '../../src/common/logging.ts';
import { Streams } from '../../src/common/topics.ts';
import { instrumentId, type QuoteTick } from '../../src/model/index.ts';
import { createMetrics, createStreamLengthProbe } from '../../src/services/metrics.ts';
import { redisForTests, redisUnavailableReason, type TestRedis } from '../support/redis-server.ts';
import { waitFor } from '../helpers.ts';
import { parseExposition, total } from './prometheus-text.ts';

const skip = redisUnavailableReason();
let server: TestRedis | undefined;

beforeAll(async () => {
  if (!skip) server = await redisForTests();
});
afterAll(async () => {
  await server?.stop();
});

const quote = (n: number): QuoteTick => ({
  type: 'quote',
  instrumentId: instrumentId('X', 'SIM'),
  bid: 100,
  ask: 101,
  bidSize: 1,
  askSize: 1,
  tsEvent: n,
  tsInit: n,
});

describe.skipIf(skip !== undefined)('metrics over the Redis bus', () => {
  it('reports stream lengths, group lag and pending, bus counters and the connection', async () => {
    const keyPrefix = `metrics:${randomBytes(4).toString('hex')}:`;
    const url = (server as TestRedis).url;
    const bus = await RedisBus.connect({ url, keyPrefix, logger: silentLogger, statsIntervalMs: 0 });
    const probe = createStreamLengthProbe({ url, keyPrefix, candleTimeframes: ['1m'] });
    const metrics = createMetrics({ bus, streamLengths: probe, processMetrics: false, service: 'api' });
    try {
      // A group that takes 10 entries, then stops: the rest of the 50 stay undelivered (its lag).
      let handled = 0;
      const subscription = bus.subscribe(Streams.ticks, 'slow-reader', () => {
        handled++;
        if (handled === 10) subscription.unsubscribe();
      });
      for (let i = 1; i <= 50; i++) bus.publish(Streams.ticks, quote(i));
      await bus.flush();
      await bus.drained();
      const all = await waitFor(async () => {
        const s = parseExposition(await metrics.metrics());
        return total(s, 'hf_stream_length_messages', { stream: 'ticks.live' }) === 50 ? s : undefined;
      }, 'XLEN ticks.live = 50');
      // Every stream of topics.ts is measured, absent ones as 0, under the deployment's key prefix.
      expect(total(all, 'hf_stream_length_messages', { stream: 'orders.incoming' })).toBe(0);
      expect(total(all, 'hf_stream_length_messages', { stream: 'deadletter' })).toBe(0);
      expect(total(all, 'hf_stream_length_messages', { stream: 'candles.1m' })).toBe(0);
      expect(total(all, 'hf_bus_connected')).toBe(1);
      expect(total(all, 'hf_bus_messages_total', { operation: 'published' })).toBe(50);
      expect(total(all, 'hf_bus_messages_total', { operation: 'written' })).toBe(50);
      expect(total(all, 'hf_bus_dead_lettered_total')).toBe(0);

      await bus.refreshLag();
      const afterRefresh = parseExposition(await metrics.metrics());
      const lag = total(afterRefresh, 'hf_stream_consumer_lag_messages', {
        stream: 'ticks.live',
        group: 'slow-reader',
      });
      const pending = total(afterRefresh, 'hf_stream_pending_messages', {
        stream: 'ticks.live',
        group: 'slow-reader',
      });
      // Delivered = read by the group (acked or not); lag = 50 − delivered. The reader reads in batches, so it
      // may have taken more than the 10 it handled before stopping: lag + delivered is what must hold.
      const delivered = 50 - lag;
      expect(delivered).toBeGreaterThanOrEqual(10);
      expect(lag).toBeGreaterThanOrEqual(0);
      expect(pending).toBeGreaterThanOrEqual(0);
      expect(pending).toBeLessThanOrEqual(delivered);
    } finally {
      metrics.stop();
      await probe.close();
      await bus.close();
    }
  });

  it('counts a collector error when Redis cannot be reached, and still answers the scrape', async () => {
    const probe = createStreamLengthProbe({ url: 'redis://127.0.0.1:1' });
    const metrics = createMetrics({ streamLengths: probe, processMetrics: false });
    try {
      await metrics.metrics();
      const all = parseExposition(await metrics.metrics());
      expect(
        total(all, 'hf_metrics_collect_errors_total', { collector: 'hf_stream_length_messages' }),
      ).toBeGreaterThan(0);
    } finally {
      await probe.close();
    }
  });
});
