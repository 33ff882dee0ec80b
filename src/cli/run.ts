// `hf run`: the whole stack in one process on the embedded deployment: synthetic market → strategies →
// risk → OMS → paper venues → ledger (PGlite), with the API on :8000, the local control channel, and a
// live summary in the terminal.

import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createWriteStream } from 'node:fs';
import { ConfigError } from '../common/errors.ts';
import { retentionFromEnv } from '../common/retention.ts';
import { createLogger } from '../common/logging.ts';
import { LiveClock } from '../common/clock.ts';
import { Kernel } from '../kernel/kernel.ts';
import { readControlFile, writeControlFile } from '../kernel/control-file.ts';
import { summarize } from '../kernel/summary.ts';
import { loadRegistry } from '../common/registry.ts';
import { CONTROL_KEYS, Streams } from '../common/topics.ts';
import { FeedHub } from '../kernel/feeds.ts';
import { loadNewsFeedsConfig, NewsFeeds } from '../feeds/news/index.ts';
import { GreeksEngine, loadGreeksConfig } from '../pricing/index.ts';
import { startWsGateway, type WsGateway } from '../services/ws-gateway.ts';
import { buildApi } from '../services/api.ts';
import { createMetrics, registerMetricsRoute } from '../services/metrics.ts';
import { startWorkers, validateWorkersConfig } from '../services/workers/start.ts';
import type { ApiWorkers } from '../services/workers/routes.ts';
import { AccessControl, wsAuthenticator } from '../services/auth.ts';
import { assertProductionSecrets } from '../services/auth-hardening.ts';
import { dashboardOrigins, securitySettingsFromEnv } from '../services/auth-routes.ts';
import { callChannel, ChannelUnavailable } from '../services/control-channel.ts';
import { PgliteStore } from '../store/pglite.ts';
import { PostgresStore } from '../store/postgres.ts';
import type { Store } from '../store/store.ts';
import { RedisBus } from '../bus/redis.ts';
import { hostname } from 'node:os';
import type { CliIo, CliPaths } from './context.ts';
import { renderLine, renderScreen } from './screen.ts';

export interface RunOptions {
  readonly duration: number;
  readonly seed: number;
  readonly port: number;
  readonly api: boolean;
  readonly rate: number;
  /** Serve the WebSocket gateway on wsPort. */
  readonly ws: boolean;
  readonly wsPort: number;
  /** Poll the news sources of configs/news.yaml into news.raw. */
  readonly news?: boolean;
  /** Live mode: broker venues of registry.yaml (ibkr, zerodha) trade for real; paper venues stay paper. */
  readonly live?: boolean;
  readonly quiet?: boolean;
  readonly json?: boolean;
}

function sessionName(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}

export async function runCommand(paths: CliPaths, io: CliIo, options: RunOptions): Promise<number> {
  assertProductionSecrets();
  const reconcileEvery = reconcileSeconds();
  retentionFromEnv(); // a bad HF_RETAIN_* stops here, naming the variable, before anything starts
  mkdirSync(paths.home, { recursive: true });
  // One `hf run` per home: a live control socket means another is running.
  if (existsSync(paths.socket)) {
    try {
      await callChannel(paths.socket, 'GET', '/health');
      io.err(`hf run: another hf run is already running with home ${paths.home}`);
      return 2;
    } catch (error) {
      if (!(error instanceof ChannelUnavailable)) throw error;
      rmSync(paths.socket, { force: true });
    }
  }
  // Every config file is validated before anything is opened: a bad one fails fast, naming file and key.
  await Kernel.validateConfig(paths.configDir);
  validateWorkersConfig(paths.configDir, loadRegistry(join(paths.configDir, 'registry.yaml')));
  const session = join(paths.home, 'sessions', sessionName());
  mkdirSync(session, { recursive: true });
  const logStream = createWriteStream(join(session, 'hf.log'), { flags: 'a' });
  const logger = createLogger('hf', undefined, { write: (line) => void logStream.write(line) });
  const clock = new LiveClock();
  // REDIS_URL / DATABASE_URL set: the same components, all in this process, over Redis and PostgreSQL (the
  // distributed deployment's bus, store and control plane); otherwise the embedded default.
  const redisUrl = process.env.REDIS_URL;
  const databaseUrl = process.env.DATABASE_URL;
  const store: Store = databaseUrl
    ? await PostgresStore.open(databaseUrl, { logger: logger.child('store') })
    : await PgliteStore.open(join(session, 'pgdata'));
  const bus = redisUrl
    ? await RedisBus.connect({
        url: redisUrl,
        consumer: process.env.HF_CONSUMER ?? `run-${hostname()}`,
        keyPrefix: process.env.HF_REDIS_PREFIX ?? '',
        logger: logger.child('bus'),
      })
    : undefined;
  // Users, tokens and the control audit outlive a session: PostgreSQL when set, else a PGlite in the home
  // (opened while the kernel is built).
  const accessOpening = databaseUrl ? Promise.resolve(store) : PgliteStore.open(join(paths.home, 'access'));
  accessOpening.catch(() => undefined); // awaited below; not unhandled if the kernel fails first
  const control = bus ? undefined : readControlFile(paths.controlFile);
  const candleTimeframes = loadRegistry(join(paths.configDir, 'registry.yaml')).feeds?.candles ?? ['1m'];
  const kernel = await Kernel.create({
    candleTimeframes,
    mode: options.live ? 'live' : 'paper',
    configDir: paths.configDir,
    clock,
    seed: options.seed,
    store,
    logger,
    ...(bus ? { bus } : {}),
    ...(control ? { control } : {}),
    processName: `run-${hostname()}`,
    recordDir: join(paths.home, 'recordings'),
    watchPolicy: true,
    policyStore: accessOpening,
  });
  const accessStore: Store = await accessOpening;
  const access = new AccessControl(accessStore);
  if (!bus)
    kernel.bus.control.onChange(() => {
      const state: Record<string, Record<string, string>> = {};
      for (const key of CONTROL_KEYS) state[key] = { ...kernel.bus.control.getAll(key) };
      writeControlFile(paths.controlFile, state);
      logger.info('control change', state);
    });

  // Market data: the registry's sources through the ingest pipeline (failover, quality gate, books, candles).
  // Quotes, trades and books go to the kernel (the paper venues see them first); candles only to the bus.
  const feeds = new FeedHub({
    registry: kernel.registry,
    bus: kernel.bus,
    clock,
    seed: options.seed,
    rate: options.rate,
    configDir: paths.configDir,
    logger: logger.child('feeds'),
    sink: (m) => {
      if (m.type === 'bar') kernel.bus.publish(Streams.candles(m.timeframe), m);
      else kernel.publishMarketData(m);
    },
  });
  const feedStatus = () => feeds.status();
  // The side workers (sentiment, scenarios, insights, the risk-breach runbook) run in this process; the API
  // serves them once started.
  const workers: ApiWorkers = {};
  const channel = buildApi(kernel, {
    allowControl: true,
    feeds: feedStatus,
    workers,
    access: { mode: 'trusted', control: access },
  });
  await channel.listen({ path: paths.socket });
  // The TCP API: every route but /health, /metrics, /openapi.json and the dashboard's files needs a token or a
  // session; control by role (docs/security.md).
  const api = options.api
    ? buildApi(kernel, {
        allowControl: true,
        feeds: feedStatus,
        workers,
        access: {
          mode: 'required',
          control: access,
          settings: securitySettingsFromEnv(process.env, {
            wsPort: options.wsPort,
            allowedOrigins: dashboardOrigins(options.port),
          }),
        },
      })
    : undefined;
  let ws: WsGateway | undefined;
  // Prometheus metrics on the API port (GET /metrics), read from the kernel, feeds and gateway at scrape time.
  const metrics = createMetrics({
    kernel,
    feeds,
    orderFlow: true,
    wsStats: () => ws?.stats(),
    service: 'run',
  });
  if (api) registerMetricsRoute(api, metrics);
  if (api) {
    try {
      await api.listen({ port: options.port, host: '0.0.0.0' });
    } catch (error) {
      io.err(`hf run: API not started on :${options.port}: ${(error as Error).message}`);
    }
  }

  const startup = await kernel.start();
  const sideWorkers = startWorkers(['sentiment', 'scenario', 'insights', 'breach'], {
    bus: kernel.bus,
    clock,
    logger: logger.child('workers'),
    configDir: paths.configDir,
    home: paths.home,
    kernel,
    candleTimeframes,
  });
  Object.assign(workers, sideWorkers.workers);
  if (api && !options.json && (await accessStore.loadUsers()).length === 0)
    io.out(
      'no users yet: create the first admin with `hf user add admin --role admin` (prints its token once)',
    );
  io.out(
    `session ${session}\nstartup reconciliation: ${startup.breaks.length === 0 ? 'clean' : `${startup.breaks.length} break(s), trading halted`}${api ? `; API http://localhost:${options.port}` : ''}`,
  );

  // Option greeks on greeks.live as underlyings move, for the options in configs/greeks.yaml.
  const greeksFile = join(paths.configDir, 'greeks.yaml');
  const greeks = existsSync(greeksFile)
    ? new GreeksEngine({
        bus: kernel.bus,
        clock,
        config: loadGreeksConfig(greeksFile),
        logger: logger.child('greeks'),
      })
    : undefined;
  greeks?.start();
  const newsFile = join(paths.configDir, 'news.yaml');
  const news = options.news
    ? new NewsFeeds(loadNewsFeedsConfig(newsFile), {
        bus: kernel.bus,
        clock,
        registry: kernel.registry,
        logger: logger.child('news'),
        file: newsFile,
      })
    : undefined;
  news?.start();
  if (options.ws)
    try {
      ws = await startWsGateway(
        kernel.bus,
        {
          port: options.wsPort,
          instanceId: `run-${hostname()}`,
          instruments: [
            ...kernel.registry.instruments.keys(),
            ...(greeks?.config.options.map((o) => o.instrumentId) ?? []),
          ],
          timeframes: [...candleTimeframes],
          allowedOrigins: dashboardOrigins(options.api ? options.port : 0),
        },
        logger.child('ws'),
        { authenticate: wsAuthenticator(access) },
      );
    } catch (error) {
      io.err(`hf run: WebSocket gateway not started on :${options.wsPort}: ${(error as Error).message}`);
    }
  const started = Date.now();
  feeds.start();
  const persist = setInterval(
    () => void kernel.persist().catch((e: unknown) => logger.error('persist failed', { error: String(e) })),
    500,
  );
  // Reconciled on a schedule too (the distributed reconciler service's default): every order is compared in
  // detail while the OMS still holds it (closed orders leave memory after HF_RETAIN_CLOSED_SECONDS).
  const reconciling =
    reconcileEvery > 0
      ? setInterval(
          () =>
            void kernel
              .reconcile()
              .then((report) => {
                if (report.breaks.length > 0)
                  logger.error(`reconciliation: ${report.breaks.length} break(s)`, { breaks: report.breaks });
              })
              .catch((e: unknown) => logger.error('reconciliation failed', { error: String(e) })),
          reconcileEvery * 1000,
        )
      : undefined;

  const tty = process.stdout.isTTY && !options.quiet && !options.json;
  const screen = setInterval(() => {
    const elapsed = (Date.now() - started) / 1000;
    const s = summarize(kernel);
    if (tty) io.out(`\x1b[2J\x1b[H${renderScreen(s, elapsed)}`);
    else if (!options.quiet && !options.json) io.out(renderLine(s, elapsed));
  }, 1000);

  await new Promise<void>((resolve) => {
    const finish = (): void => resolve();
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
    if (options.duration > 0) setTimeout(finish, options.duration * 1000).unref();
  });
  feeds.stop();
  metrics.stop();
  greeks?.stop();
  await news?.stop();
  await ws?.close();
  clearInterval(screen);
  clearInterval(persist);
  clearInterval(reconciling);
  const final = await kernel.reconcile();
  sideWorkers.stop();
  await kernel.stop();
  const summary = summarize(kernel);
  if (options.json) io.out(JSON.stringify({ ...summary, reconciliation: final }));
  else
    io.out(
      `${renderScreen(summary, (Date.now() - started) / 1000)}\n\nfinal reconciliation: ${final.breaks.length === 0 ? 'clean' : `${final.breaks.length} break(s)`}`,
    );
  await channel.close();
  if (api) await api.close();
  rmSync(paths.socket, { force: true });
  if (bus) await bus.close();
  if (accessStore !== store) await accessStore.close();
  await store.close();
  await new Promise<void>((r) => logStream.end(r));
  return final.breaks.length === 0 ? 0 : 1;
}

/** HF_RECONCILE_SECONDS (60; 0: only at the start and the end), a ConfigError naming it when not a number. */
function reconcileSeconds(): number {
  const text = process.env.HF_RECONCILE_SECONDS;
  if (text === undefined || text.trim() === '') return 60;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0)
    throw new ConfigError(
      'environment',
      'HF_RECONCILE_SECONDS',
      `expected seconds ≥ 0, got ${JSON.stringify(text)}`,
    );
  return value;
}
