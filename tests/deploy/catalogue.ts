// Test support: every metric name the code exports, read from registries that createMetrics builds over a real
// kernel (every component), a feed hub, the gateway, bus and stream-length sources, plus Node process metrics.
// Dashboards and alert rules are checked against this set.

import { join } from 'node:path';
import { LiveClock } from '../../src/common/clock.ts';
import { Kernel } from '../../src/kernel/kernel.ts';
import { FeedHub } from '../../src/kernel/feeds.ts';
import { createMetrics } from '../../src/services/metrics.ts';
import type { RedisBusStats } from '../../src/bus/redis.ts';
import { startWsGateway } from '../../src/services/ws-gateway.ts';
import { silentLogger } from '../../src/common/logging.ts';
import { ROOT } from '../helpers.ts';

/** The names Prometheus itself adds to every target. */
export const PROMETHEUS_BUILTIN = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);

const busStats = (): RedisBusStats => ({
  published: 0,
  written: 0,
  writeFailed: 0,
  dropped: 0,
  delivered: 0,
  acked: 0,
  retried: 0,
  claimed: 0,
  deadLettered: 0,
  malformed: 0,
  handlerErrors: 0,
  bufferSize: 0,
  backpressure: false,
  connected: true,
  controlSource: 'polling',
  subscriptions: [],
});

/** Metric family names (histograms by their base name) of a registry built with every source. */
export async function exportedMetricNames(): Promise<{ names: Set<string>; histograms: Set<string> }> {
  const clock = new LiveClock();
  const kernel = await Kernel.create({ mode: 'paper', configDir: join(ROOT, 'configs'), clock, seed: 1 });
  const feeds = new FeedHub({
    registry: kernel.registry,
    bus: kernel.bus,
    clock,
    seed: 1,
    rate: 10,
    configDir: join(ROOT, 'configs'),
  });
  // A real gateway (loopback, any port), for its stats' shape.
  const gateway = await startWsGateway(kernel.bus, { port: 0, instruments: [] }, silentLogger);
  const registry = createMetrics({
    kernel,
    orderFlow: true,
    ledger: true,
    feeds,
    wsStats: () => gateway.stats(),
    busStats,
    streamLengths: { lengths: () => Promise.resolve(new Map([['ticks.live', 0]])) },
    components: { worker: () => ({ handled: 0 }) },
  });
  const names = new Set<string>();
  const histograms = new Set<string>();
  for (const metric of await registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if ((metric.type as unknown) === 'histogram') histograms.add(metric.name);
  }
  registry.stop();
  await gateway.close();
  return { names, histograms };
}

/** Whether a name in an expression is exported: itself, a histogram's series, or a recording rule's. */
export function isKnownName(
  name: string,
  exported: { names: Set<string>; histograms: Set<string> },
  recorded: ReadonlySet<string>,
): boolean {
  if (exported.names.has(name) || recorded.has(name) || PROMETHEUS_BUILTIN.has(name)) return true;
  const match = /^(.*)_(bucket|sum|count)$/.exec(name);
  return match !== null && exported.histograms.has(match[1] as string);
}
