// `hf service <name>`: one component of the distributed deployment as its own process, on the Redis bus
// (REDIS_URL) and the PostgreSQL store (DATABASE_URL). `hf migrate` applies the SQL migrations.

import { hostname } from 'node:os';
import Fastify from 'fastify';
import { LiveClock } from '../common/clock.ts';
import { createLogger } from '../common/logging.ts';
import { maskUrl } from '../common/url.ts';
import { RedisBus } from '../bus/redis.ts';
import { Kernel, type KernelComponent } from '../kernel/kernel.ts';
import { loadRegistry } from '../common/registry.ts';
import { existsSync } from 'node:fs';
import { FeedHub } from '../kernel/feeds.ts';
import { loadNewsFeedsConfig, NewsFeeds } from '../feeds/news/index.ts';
import { GreeksEngine, loadGreeksConfig } from '../pricing/index.ts';
import { startWsGateway, type WsGateway } from '../services/ws-gateway.ts';
import { buildApi } from '../services/api.ts';
import { createMetrics, createStreamLengthProbe, registerMetricsRoute } from '../services/metrics.ts';
import { registerWorkerRoutes } from '../services/workers/routes.ts';
import { startWorkers, type StartedWorkers } from '../services/workers/start.ts';
import { AccessControl, wsAuthenticator } from '../services/auth.ts';
import { assertProductionSecrets } from '../services/auth-hardening.ts';
import { dashboardOrigins } from '../services/auth-routes.ts';
import { PostgresStore } from '../store/postgres.ts';
import { ServiceLock } from '../bus/redis-lock.ts';
import type { Store } from '../store/store.ts';
import type { CliIo, CliPaths } from './context.ts';
import { join } from 'node:path';
import { Streams } from '../common/topics.ts';

export const SERVICES = [
  'ingest',
  'strategy',
  'risk',
  'router',
  'ledger',
  'reconciler',
  'api',
  'ws',
  'news',
  'sentiment',
  'scenario',
  'insights',
  'breach',
] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Default health / API port per service (each process answers GET /health). */
export const SERVICE_PORTS: Readonly<Record<ServiceName, number>> = {
  api: 8000,
  ingest: 9101,
  strategy: 9102,
  risk: 9103,
  router: 9104,
  ledger: 9105,
  reconciler: 9106,
  ws: 8765,
  news: 9107,
  sentiment: 9108,
  scenario: 9109,
  insights: 9110,
  breach: 9111,
};

/** The ws service's /health and /metrics port (the gateway's own port serves /health too). */
export const WS_METRICS_PORT = 9120;

/**
 * Services that keep one view of the book (positions and open orders for limits, venue sessions, the journal
 * numbering): one active instance, the others hot standbys behind a Redis lock (src/bus/redis-lock.ts). The
 * strategy tier scales out by sets of strategies (--strategies); ingest and the workers by their own inputs.
 */
const SINGLE_ACTIVE: ReadonlySet<ServiceName> = new Set<ServiceName>([
  'risk',
  'router',
  'ledger',
  'reconciler',
]);

const NEEDS_DATABASE: ReadonlySet<ServiceName> = new Set<ServiceName>([
  'router',
  'ledger',
  'reconciler',
  'api',
  // the WebSocket gateway checks tickets and tokens against the users there
  'ws',
  // workers that read the book keep a ledger follower restored from the store
  'scenario',
  'insights',
  'breach',
]);

export interface ServiceOptions {
  readonly port?: number;
  readonly seed: number;
  readonly rate: number;
  /** Reconciler: seconds between runs. */
  readonly interval: number;
  /** strategy: run only these strategy ids (a comma list; HF_STRATEGIES), in a bus group of their own. */
  readonly strategies?: string;
}

export async function serviceCommand(
  paths: CliPaths,
  io: CliIo,
  name: string,
  options: ServiceOptions,
): Promise<number> {
  if (!(SERVICES as readonly string[]).includes(name)) {
    io.err(`hf service: unknown service "${name}" (one of ${SERVICES.join(', ')})`);
    return 2;
  }
  const service = name as ServiceName;
  assertProductionSecrets();
  const redisUrl = process.env.REDIS_URL;
  const databaseUrl = process.env.DATABASE_URL;
  if (!redisUrl) {
    io.err(
      'hf service: REDIS_URL is not set (the distributed deployment runs over Redis; for one process use hf run)',
    );
    return 2;
  }
  if (NEEDS_DATABASE.has(service) && !databaseUrl) {
    io.err(`hf service ${service}: DATABASE_URL is not set (${service} keeps its state in PostgreSQL)`);
    return 2;
  }
  await Kernel.validateConfig(paths.configDir);
  // The strategy tier scales out by sets of strategies: each instance runs its own (`--strategies a,b`).
  const selectionText = options.strategies ?? process.env.HF_STRATEGIES;
  const selection = selectionText
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (selectionText !== undefined && service !== 'strategy') {
    io.err(`hf service ${service}: --strategies is for the strategy service`);
    return 2;
  }
  if (selectionText !== undefined && (selection?.length ?? 0) === 0) {
    io.err('hf service strategy: --strategies needs at least one strategy id (a comma list)');
    return 2;
  }
  // A stable consumer name: a restarted process drains its own pending entries first (id 0). Several instances
  // of one service on one host set HF_CONSUMER apart; a dead consumer's entries are claimed by the others.
  const processName = process.env.HF_CONSUMER ?? `${service}-${hostname()}`;
  const claimIdle = process.env.HF_BUS_CLAIM_IDLE_MS;
  const inflight = process.env.HF_BUS_INFLIGHT_BATCHES;
  const logger = createLogger(`hf.${service}`);
  const clock = new LiveClock();
  // One active instance of a service that keeps a single view of the book, and of each set of strategies (two
  // runners of one set would share its events in one group and submit its orders twice); others wait as hot
  // standbys.
  let lock: ServiceLock | undefined;
  if (SINGLE_ACTIVE.has(service) || service === 'strategy') {
    lock = new ServiceLock({
      url: redisUrl,
      keyPrefix: process.env.HF_REDIS_PREFIX ?? '',
      service:
        service === 'strategy' ? `strategy:${selection ? [...selection].sort().join(',') : 'all'}` : service,
      holder: processName,
      logger,
      ...(process.env.HF_LOCK_TTL_MS ? { ttlMs: Number(process.env.HF_LOCK_TTL_MS) } : {}),
      // Lost (taken by another after this process stalled past the TTL): stop at once, acking nothing more.
      onLost: () => process.exit(3),
    });
    const waiting = lock;
    let gaveUp = false;
    const giveUp = (): void => {
      gaveUp = true;
      void waiting.release();
    };
    process.once('SIGINT', giveUp);
    process.once('SIGTERM', giveUp);
    // A standby is alive: /health answers 200 with its state (a liveness probe must not restart it).
    const standbyPort = options.port ?? SERVICE_PORTS[service];
    const standbyHealth = Fastify({ logger: false });
    standbyHealth.get('/health', async () => ({
      status: 'standby',
      service,
      consumer: processName,
      active: await Promise.race([
        waiting.holderNow().catch(() => null),
        new Promise<null>((r) => setTimeout(() => r(null), 500)),
      ]),
    }));
    if (standbyPort > 0) await standbyHealth.listen({ port: standbyPort, host: '0.0.0.0' });
    const acquired = await lock.acquire();
    // The signal listeners go before anything else is awaited: a signal from here on stops the active instance.
    process.off('SIGINT', giveUp);
    process.off('SIGTERM', giveUp);
    if (acquired && gaveUp) await lock.release();
    await standbyHealth.close();
    if (!acquired || gaveUp) {
      io.out(`hf service ${service} (${processName}): stopped while a standby`);
      return 0;
    }
  }
  logger.info(`connecting to ${maskUrl(redisUrl)}`);
  const bus = await RedisBus.connect({
    url: redisUrl,
    consumer: processName,
    keyPrefix: process.env.HF_REDIS_PREFIX ?? '',
    ...(claimIdle ? { claimIdleMs: Number(claimIdle) } : {}),
    ...(inflight ? { maxInflightBatches: Number(inflight) } : {}),
    logger: logger.child('bus'),
    retryForever: true,
  });
  let store: Store | undefined;
  // risk runs without PostgreSQL; given DATABASE_URL it numbers, keeps and audits policy versions there.
  if (databaseUrl && (NEEDS_DATABASE.has(service) || service === 'risk')) {
    logger.info(`opening ${maskUrl(databaseUrl)}`);
    store = await PostgresStore.open(databaseUrl, {
      logger: logger.child('store'),
      retry: { attempts: Number.POSITIVE_INFINITY, initialDelayMs: 200, maxDelayMs: 5000 },
    });
  }

  const stops: (() => Promise<void> | void)[] = [];
  let kernel: Kernel | undefined;
  let feeds: FeedHub | undefined;
  let gateway: WsGateway | undefined;
  let news: NewsFeeds | undefined;
  let sideWorkers: StartedWorkers | undefined;
  if (service === 'ingest') {
    // The registry's market-data sources through the ingest pipeline (failover, quality gate, books, candles)
    // into ticks.live, books.live and candles.<tf>; greeks of configs/greeks.yaml on greeks.live.
    const registry = loadRegistry(join(paths.configDir, 'registry.yaml'));
    const hub = new FeedHub({
      registry,
      bus,
      clock,
      seed: options.seed,
      rate: options.rate,
      configDir: paths.configDir,
      logger: logger.child('feeds'),
    });
    hub.start();
    feeds = hub;
    stops.push(() => hub.stop());
    const greeksFile = join(paths.configDir, 'greeks.yaml');
    if (existsSync(greeksFile)) {
      const greeks = new GreeksEngine({
        bus,
        clock,
        config: loadGreeksConfig(greeksFile),
        logger: logger.child('greeks'),
      });
      greeks.start();
      stops.push(() => greeks.stop());
    }
    logger.info(
      `ingest: sources ${Object.keys(hub.config.sources).join(', ')} into ${Streams.ticks}, ${Streams.books}, candles ${hub.candleTimeframes.join(', ')}`,
    );
  } else if (service === 'news') {
    // News sources of configs/news.yaml, polled into news.raw with instrument tags.
    const file = join(paths.configDir, 'news.yaml');
    const registry = loadRegistry(join(paths.configDir, 'registry.yaml'));
    const feedsOfNews = new NewsFeeds(loadNewsFeedsConfig(file), {
      bus,
      clock,
      registry,
      logger: logger.child('news'),
      file,
    });
    feedsOfNews.start();
    news = feedsOfNews;
    stops.push(() => feedsOfNews.stop());
    logger.info(`news: ${feedsOfNews.pollers.length} source(s) into ${Streams.newsRaw}`);
  } else if (service === 'sentiment') {
    // Sentiment needs no book: news.raw in, a rolling score per instrument out.
    const started = startWorkers(['sentiment'], {
      bus,
      clock,
      logger,
      configDir: paths.configDir,
      home: paths.home,
    });
    sideWorkers = started;
    stops.push(() => started.stop());
  } else if (service === 'ws') {
    // The WebSocket gateway: its own group on every stream it serves (fan-out), /health on the same port.
    const registry = loadRegistry(join(paths.configDir, 'registry.yaml'));
    const greeksFile = join(paths.configDir, 'greeks.yaml');
    const options_ = existsSync(greeksFile) ? loadGreeksConfig(greeksFile).options : [];
    gateway = await startWsGateway(
      bus,
      {
        port: options.port ?? SERVICE_PORTS.ws,
        instanceId: processName,
        instruments: [...registry.instruments.keys(), ...options_.map((o) => o.instrumentId)],
        timeframes: registry.feeds?.candles ?? ['1m'],
        allowedOrigins: dashboardOrigins(SERVICE_PORTS.api),
      },
      logger.child('ws'),
      store ? { authenticate: wsAuthenticator(new AccessControl(store)) } : {},
    );
    const g = gateway;
    stops.push(() => g.close());
    logger.info(`ws: gateway on :${g.port}`);
  } else {
    const components: KernelComponent[] =
      service === 'strategy' || service === 'risk' || service === 'router' || service === 'ledger'
        ? [service]
        : [];
    kernel = await Kernel.create({
      mode: process.env.HF_MODE === 'live' ? 'live' : 'paper',
      configDir: paths.configDir,
      clock,
      bus,
      ...(store && service !== 'risk' ? { store } : {}),
      ...(store ? { policyStore: store } : {}),
      seed: options.seed,
      logger,
      components,
      ...(service === 'strategy' && selection ? { strategySelection: selection } : {}),
      venueFeed: 'bus',
      processName,
      watchPolicy: true,
    });
    const report = await kernel.start();
    if (service === 'scenario' || service === 'insights' || service === 'breach') {
      const started = startWorkers([service], {
        bus,
        clock,
        logger,
        configDir: paths.configDir,
        home: paths.home,
        kernel,
      });
      sideWorkers = started;
      stops.push(() => started.stop());
    }
    if (service === 'router') {
      logger.info(
        `startup reconciliation: ${report.breaks.length === 0 ? 'clean' : `${report.breaks.length} break(s)`}`,
      );
      const k = kernel;
      const persist = setInterval(
        () => void k.persist().catch((e: unknown) => logger.error('persist failed', { error: String(e) })),
        250,
      );
      stops.push(() => clearInterval(persist));
    }
    if (service === 'reconciler') {
      // The venues live in the router process: the reconciler asks it to reconcile, on a schedule.
      const router = process.env.HF_ROUTER_URL ?? `http://localhost:${SERVICE_PORTS.router}`;
      const tick = async (): Promise<void> => {
        try {
          const res = await fetch(`${router}/reconcile`, { method: 'POST' });
          const report = (await res.json()) as { breaks: unknown[] };
          if (report.breaks.length > 0)
            logger.error(`reconciliation: ${report.breaks.length} break(s)`, { breaks: report.breaks });
          else logger.info('reconciliation: clean');
        } catch (error) {
          logger.error(`reconciliation: router at ${router} unreachable`, { error: String(error) });
        }
      };
      const timer = setInterval(() => void tick(), options.interval * 1000);
      stops.push(() => clearInterval(timer));
    }
  }

  // The ws gateway answers /health on its own port; its metrics are on WS_METRICS_PORT.
  const port = service === 'ws' ? WS_METRICS_PORT : (options.port ?? SERVICE_PORTS[service]);
  const health = kernel
    ? buildApi(kernel, {
        // The api service authenticates every caller (users in PostgreSQL) and so may take control requests;
        // the other services' ports are internal (cluster network only).
        allowControl: service === 'api',
        allowReconcile: service === 'router',
        ...(service === 'api' ? {} : { access: { mode: 'internal' } as const }),
      })
    : Fastify({ logger: false });
  if (!kernel) {
    // The ingest service has no kernel: its health is the feeds' and the bus's.
    const ingest = feeds;
    health.get('/health', async (_request, reply) => {
      const stats = bus.stats();
      const ok = stats.connected;
      const published = ingest ? Object.values(ingest.published()).reduce((a, b) => a + b, 0) : 0;
      return reply.code(ok ? 200 : 503).send({
        status: ok ? 'ok' : 'down',
        components: {
          bus: { status: ok ? 'ok' : 'down', detail: `buffered ${stats.bufferSize}` },
          feed: { status: 'ok', detail: `${published} messages published` },
        },
      });
    });
    if (ingest) health.get('/api/feeds', async () => ingest.status());
    const polled = news;
    if (polled) health.get('/api/news', async () => polled.stats());
  }
  if (sideWorkers)
    registerWorkerRoutes(health, sideWorkers.workers, {
      allowControl: service === 'breach' || service === 'scenario',
      now: () => clock.now(),
    });
  // Prometheus metrics on every service's port: stream lengths and order flow once, from the api service.
  const probe =
    service === 'api'
      ? createStreamLengthProbe({
          url: redisUrl,
          keyPrefix: process.env.HF_REDIS_PREFIX ?? '',
          candleTimeframes: kernel?.registry.feeds?.candles ?? ['1m'],
        })
      : undefined;
  const polledNews = news;
  const workerStats = sideWorkers?.workers;
  const metrics = createMetrics({
    service,
    bus,
    clock,
    ...(kernel ? { kernel } : {}),
    ...(feeds ? { feeds } : {}),
    ...(gateway ? { wsStats: () => gateway?.stats() } : {}),
    ...(polledNews || workerStats
      ? {
          components: {
            ...(polledNews ? { news: () => polledNews.stats() } : {}),
            ...(workerStats
              ? Object.fromEntries(
                  Object.entries(workerStats).map(([name, worker]) => [
                    name,
                    () => (worker as { stats(): unknown }).stats(),
                  ]),
                )
              : {}),
          },
        }
      : {}),
    ...(probe ? { streamLengths: probe, orderFlow: true } : {}),
  });
  registerMetricsRoute(health, metrics);
  stops.push(() => metrics.stop());
  if (probe) stops.push(() => probe.close());
  if (port > 0) {
    await health.listen({ port, host: '0.0.0.0' });
    logger.info(`${service}: health on :${port}`);
  }
  io.out(`hf service ${service} running (${processName}); Ctrl-C or SIGTERM stops it`);

  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  logger.info(`${service}: stopping (finishing in-flight work)`);
  for (const stop of stops) await stop();
  if (kernel) await kernel.stop();
  await health.close();
  await bus.close();
  if (store) await store.close();
  // Last: a standby takes over once this instance's work is acked and closed.
  await lock?.release();
  return 0;
}

export async function migrateCommand(io: CliIo): Promise<number> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    io.err('hf migrate: DATABASE_URL is not set');
    return 2;
  }
  const store = await PostgresStore.open(url);
  await store.close();
  io.out(`migrations applied to ${maskUrl(url)}`);
  return 0;
}
