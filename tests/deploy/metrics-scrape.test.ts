// GET /metrics of a running stack, as Prometheus sees it: the embedded kernel (paper mode, wall clock) fed by the
// synthetic market through the feed hub as `hf run` does, the API on a real port with the metrics route, scraped
// over HTTP until the stage latency histograms have counts. (The same wiring `hf run` gets: see
// docs/runbook-parity.md.)
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveClock } from '../../src/common/clock.ts';
import { Streams } from '../../src/common/topics.ts';
import { FeedHub } from '../../src/kernel/feeds.ts';
import { Kernel } from '../../src/kernel/kernel.ts';
import { buildApi } from '../../src/services/api.ts';
import { createMetrics, registerMetricsRoute, type MetricsRegistry } from '../../src/services/metrics.ts';
import { ROOT, waitFor } from '../helpers.ts';
import { parseExposition, samples, total, type Sample } from './prometheus-text.ts';

let kernel: Kernel;
let feeds: FeedHub;
let metrics: MetricsRegistry;
let api: ReturnType<typeof buildApi>;
let url: string;

async function scrape(): Promise<{ status: number; type: string | null; samples: Sample[] }> {
  const response = await fetch(url);
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    samples: parseExposition(await response.text()),
  };
}

beforeAll(async () => {
  const clock = new LiveClock();
  kernel = await Kernel.create({ mode: 'paper', configDir: join(ROOT, 'configs'), clock, seed: 42 });
  feeds = new FeedHub({
    registry: kernel.registry,
    bus: kernel.bus,
    clock,
    seed: 42,
    rate: 2000,
    configDir: join(ROOT, 'configs'),
    sink: (m) => {
      if (m.type === 'bar') kernel.bus.publish(Streams.candles(m.timeframe), m);
      else kernel.publishMarketData(m);
    },
  });
  api = buildApi(kernel, { allowControl: false, feeds: () => feeds.status() });
  metrics = createMetrics({ kernel, feeds, orderFlow: true, service: 'run' });
  registerMetricsRoute(api, metrics);
  await api.listen({ port: 0, host: '127.0.0.1' });
  const address = api.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  url = `http://127.0.0.1:${address.port}/metrics`;
  await kernel.start();
  feeds.start();
});

afterAll(async () => {
  feeds.stop();
  metrics.stop();
  await kernel.stop();
  await api.close();
});

describe('GET /metrics of a running embedded stack', () => {
  it('serves the text format with stage latency histograms that have counts', async () => {
    // Wait (bounded) until an order has gone the whole way: market data → decision → risk → venue ack.
    const first = await waitFor(
      async () => {
        const s = await scrape();
        return total(s.samples, 'hf_order_stage_latency_seconds_count', { stage: 'ingest_to_ack' }) > 0
          ? s
          : undefined;
      },
      'an order acknowledged end to end',
      20_000,
    );
    expect(first.status).toBe(200);
    expect(first.type).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const stage of [
      'ingest_to_signal',
      'signal_to_risk',
      'signal_to_route',
      'route_to_ack',
      'ingest_to_ack',
    ]) {
      const count = total(first.samples, 'hf_order_stage_latency_seconds_count', { stage });
      expect(count, stage).toBeGreaterThan(0);
      // The +Inf bucket holds every observation; the buckets never decrease.
      const buckets = samples(first.samples, 'hf_order_stage_latency_seconds_bucket', { stage });
      expect(buckets.at(-1)?.labels.le).toBe('+Inf');
      expect(buckets.at(-1)?.value, stage).toBe(count);
      for (let i = 1; i < buckets.length; i++)
        expect((buckets[i] as Sample).value).toBeGreaterThanOrEqual((buckets[i - 1] as Sample).value);
    }
    expect(samples(first.samples, 'hf_order_stage_latency_seconds_count')[0]?.labels.service).toBe('run');

    // The order flow, the market data and the process are all there.
    expect(total(first.samples, 'hf_order_submits_total')).toBeGreaterThan(0);
    expect(total(first.samples, 'hf_feed_messages_total', { source: 'synthetic' })).toBeGreaterThan(0);
    expect(total(first.samples, 'hf_venue_connected')).toBe(kernel.venues.size);
    expect(samples(first.samples, 'hf_nodejs_eventloop_lag_p99_seconds').length).toBe(1);

    // Counters only grow between scrapes.
    const second = await waitFor(async () => {
      const s = await scrape();
      return total(s.samples, 'hf_feed_messages_total') > total(first.samples, 'hf_feed_messages_total')
        ? s
        : undefined;
    }, 'more market data');
    expect(total(second.samples, 'hf_order_submits_total')).toBeGreaterThanOrEqual(
      total(first.samples, 'hf_order_submits_total'),
    );
  }, 40_000);
});
