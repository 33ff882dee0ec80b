// The composition root: the only place that builds engines and adapters from configuration. The same
// kernel runs backtest (simulated clock), paper and live; strategies, risk, OMS and ledger never know which.

import { join } from 'node:path';
import type { Bus, Subscription } from '../common/bus.ts';
import { LiveClock, SimulatedClock, type Clock } from '../common/clock.ts';
import { loadConfigFile } from '../common/config.ts';
import { ConfigError } from '../common/errors.ts';
import { GroupCommit } from '../common/group-commit.ts';
import { PriceBoard } from '../common/price-board.ts';
import { createLogger, type Logger } from '../common/logging.ts';
import { loadRegistry, type Registry } from '../common/registry.ts';
import { ControlKeys, Streams, VIEW_GROUP } from '../common/topics.ts';
import { MemoryBus, MemoryControlPlane } from '../bus/memory.ts';
import { LedgerEngine } from '../ledger/index.ts';
import {
  currencyDecimals,
  isTerminal,
  referencePrice,
  type OrderFilled,
  type Alert,
  type OrderDenied,
  type OrderEvent,
  type TradingCommand,
  toMinor,
  type ClientOrderId,
  type InstrumentId,
  type MarketData,
  type VenueId,
} from '../model/index.ts';
import { OmsEngine, type RestoredOrder, type VenueAdapter } from '../oms/index.ts';
import { reconcilableOrders, Reconciler, type ReconciliationReport } from '../reconciler/index.ts';
import { retentionFromEnv, type RetentionSettings } from '../common/retention.ts';
import {
  loadPolicyConfig,
  loadRiskConfig,
  RiskEngine,
  type PolicyConfig,
  type RiskConfig,
} from '../risk/index.ts';
import { MarketRecorder } from '../store/recording.ts';
import { PolicyWatcher } from './policy-watch.ts';
import type { PolicyVersionStore, Store } from '../store/store.ts';
import {
  StrategiesConfigSchema,
  StrategyEngine,
  type StrategiesConfig,
  type StrategyClass,
} from '../strategy/index.ts';
import { createIbkrVenue } from '../venues/ibkr/index.ts';
import { createZerodhaVenue, ZerodhaVenueAdapter, type ZerodhaFeed } from '../venues/zerodha/index.ts';
import { PaperVenueAdapter } from '../venues/paper/index.ts';
import { instantiateStrategy } from './strategy-loader.ts';

export type KernelMode = 'backtest' | 'paper' | 'live';

/** Journals a ledger with a store keeps in memory (retention): the latest, for views; the store has them all. */
const LEDGER_JOURNALS_HELD = 10_000;

/**
 * What a process runs. The embedded deployment runs them all in one process; the distributed one runs one
 * (or a few) per process, over the Redis bus: `strategy` (the runner), `risk`, `router` (OMS, venues,
 * reconciliation), `ledger` (the booking ledger, with the store).
 */
export type KernelComponent = 'strategy' | 'risk' | 'router' | 'ledger';
export const KERNEL_COMPONENTS: readonly KernelComponent[] = ['strategy', 'risk', 'router', 'ledger'];

export interface KernelOptions {
  readonly mode: KernelMode;
  /** Folder with registry.yaml, risk.yaml, policy.yaml, strategies.yaml. */
  readonly configDir: string;
  readonly clock?: Clock;
  readonly bus?: Bus;
  readonly seed?: number;
  readonly store?: Store;
  readonly logger?: Logger;
  /** Initial control-plane state (embedded: from the control file). */
  readonly control?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly candleTimeframes?: readonly string[];
  /** Overrides strategies.yaml (e.g. a backtest of one strategy). */
  readonly strategies?: StrategiesConfig;
  /**
   * Runs only these strategies of strategies.yaml (by id), in a bus group of their own (`strategy:<ids>`): how the
   * strategy tier scales out, one process per set of strategies. An id the file lacks is a ConfigError.
   */
  readonly strategySelection?: readonly string[];
  /** Base folder for relative strategy file paths (defaults to configDir). */
  readonly strategiesBaseDir?: string;
  /**
   * Strategy classes given in code, by the name a `strategies` entry's `strategy` field uses (looked up before
   * the built-ins and files): a class defined in a notebook cell or a test, with no file to load.
   */
  readonly strategyClasses?: Readonly<Record<string, StrategyClass>>;
  /** The components this process starts (default: all). Every engine is built; only these start. */
  readonly components?: readonly KernelComponent[];
  /**
   * How paper venues get market data: `direct` (publishMarketData feeds the venue before the bus, so fills on a
   * bar are booked before strategies see it) or `bus` (the router subscribes to the market-data streams: the
   * distributed deployment, where the feed is another process). Default: direct on the in-process bus.
   */
  readonly venueFeed?: 'direct' | 'bus';
  /** Consumer name of this process in bus groups that must be per-process (a ledger follower). */
  readonly processName?: string;
  /** Overrides registry.yaml, risk.yaml, policy.yaml (a backtest builds its own instruments and limits). */
  readonly registry?: Registry;
  readonly riskConfig?: RiskConfig;
  readonly policyConfig?: PolicyConfig;
  /** Record the market data this process sees (ticks, books, candles) under this folder, a file per day. */
  readonly recordDir?: string;
  /** Watch risk.yaml and policy.yaml and apply valid edits to the running risk engine (src/kernel/policy-watch.ts). */
  readonly watchPolicy?: boolean;
  /** Where policy versions are numbered, kept and audited (the access store); may still be opening. */
  readonly policyStore?: PolicyVersionStore | Promise<PolicyVersionStore | undefined>;
  /**
   * How long closed orders and seen ids stay in memory (OMS, strategies, risk). Default: from the environment
   * (retentionFromEnv) for a paper or live kernel, none (everything kept) for a backtest; `null`: none. The OMS
   * releases orders only with a store (it has them).
   */
  readonly retention?: RetentionSettings | null;
}

export interface ComponentHealth {
  readonly status: 'ok' | 'degraded' | 'down';
  readonly detail?: string;
}

export class Kernel {
  readonly mode: KernelMode;
  readonly clock: Clock;
  readonly bus: Bus;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly risk: RiskEngine;
  readonly oms: OmsEngine;
  readonly ledger: LedgerEngine;
  readonly strategies: StrategyEngine;
  readonly reconciler: Reconciler;
  readonly venues: ReadonlyMap<VenueId, VenueAdapter>;
  readonly paperVenues: readonly PaperVenueAdapter[];
  readonly store: Store | undefined;
  lastReconciliation: ReconciliationReport | undefined;
  /** Last reference price per instrument, kept here only when this process runs no risk engine. */
  private readonly marks = new PriceBoard<InstrumentId>();
  /** Denials by reason code, counted from orders.rejected. */
  readonly denials = new Map<string, number>();
  /** Venue rejections by reason code, counted from orders.events. */
  readonly venueRejects = new Map<string, number>();
  readonly candleTimeframes: readonly string[];
  readonly components: ReadonlySet<KernelComponent>;
  readonly venueFeed: 'direct' | 'bus';
  private readonly subscriptions: Subscription[] = [];
  private readonly candleStreams = new Map<string, `candles.${string}`>();
  private readonly venueOfInstrument = new Map<InstrumentId, PaperVenueAdapter>();
  private started = false;
  /** Market-data feeds of broker venues (KiteTicker), started after the venues connect. */
  readonly brokerFeeds: ZerodhaFeed[] = [];
  /** The policy watcher, when the kernel was asked to watch its policy files and runs the risk engine. */
  policy: PolicyWatcher | undefined;
  readonly configDir: string;
  private readonly watchPolicy: boolean;
  private readonly policyStore: KernelOptions['policyStore'];
  /** Market-data recording, when the kernel was given a recordDir. */
  readonly recorder: MarketRecorder | undefined;

  private constructor(
    options: KernelOptions,
    parts: {
      clock: Clock;
      bus: Bus;
      registry: Registry;
      logger: Logger;
      risk: RiskEngine;
      oms: OmsEngine;
      ledger: LedgerEngine;
      strategies: StrategyEngine;
      venues: Map<VenueId, VenueAdapter>;
      paperVenues: PaperVenueAdapter[];
    },
  ) {
    this.mode = options.mode;
    this.clock = parts.clock;
    this.bus = parts.bus;
    this.registry = parts.registry;
    this.logger = parts.logger;
    this.risk = parts.risk;
    this.oms = parts.oms;
    this.ledger = parts.ledger;
    this.strategies = parts.strategies;
    this.venues = parts.venues;
    this.paperVenues = parts.paperVenues;
    this.store = options.store;
    this.components = new Set(options.components ?? KERNEL_COMPONENTS);
    this.configDir = options.configDir;
    this.watchPolicy = options.watchPolicy ?? false;
    this.policyStore = options.policyStore;
    this.recorder = options.recordDir
      ? new MarketRecorder({
          dir: options.recordDir,
          bus: parts.bus,
          candleTimeframes: options.candleTimeframes ?? [],
          logger: parts.logger.child('recorder'),
        })
      : undefined;
    this.venueFeed = options.venueFeed ?? (parts.bus instanceof MemoryBus ? 'direct' : 'bus');
    for (const adapter of parts.paperVenues)
      for (const instrument of parts.registry.instruments.values())
        if (instrument.venue === adapter.venue) this.venueOfInstrument.set(instrument.id, adapter);
    this.candleTimeframes = options.candleTimeframes ?? [];
    this.reconciler = new Reconciler({ clock: parts.clock, bus: parts.bus });
  }

  /** Loads and validates every config file and resolves every strategy, building nothing that lasts. */
  static async validateConfig(configDir: string): Promise<void> {
    loadRegistry(join(configDir, 'registry.yaml'));
    loadRiskConfig(join(configDir, 'risk.yaml'));
    loadPolicyConfig(join(configDir, 'policy.yaml'));
    const file = join(configDir, 'strategies.yaml');
    const strategies = loadConfigFile(StrategiesConfigSchema, file);
    for (const [index, entry] of strategies.strategies.entries())
      await instantiateStrategy(entry, configDir, file, index);
  }

  /** Loads and validates every config file (a bad one throws a ConfigError naming file and key) and builds. */
  static async create(options: KernelOptions): Promise<Kernel> {
    const logger = options.logger ?? createLogger('kernel');
    const dir = options.configDir;
    const registry = options.registry ?? loadRegistry(join(dir, 'registry.yaml'));
    const riskConfig = options.riskConfig ?? loadRiskConfig(join(dir, 'risk.yaml'));
    const policyConfig = options.policyConfig ?? loadPolicyConfig(join(dir, 'policy.yaml'));
    const strategiesFile = join(dir, 'strategies.yaml');
    const strategiesConfig = options.strategies ?? loadConfigFile(StrategiesConfigSchema, strategiesFile);
    const clock = options.clock ?? (options.mode === 'backtest' ? new SimulatedClock() : new LiveClock());
    const bus = options.bus ?? new MemoryBus(new MemoryControlPlane(options.control));
    const seed = options.seed ?? 1;
    const candleTimeframes = options.candleTimeframes ?? [];
    // With a store the paper venues keep a journal. Distributed (the feed over the bus, the router its own
    // process): write-ahead, and the OMS acknowledges a command once the venues' journals are durable. Embedded:
    // write-behind, so the in-process flow stays synchronous (see src/venues/paper/journal.ts).
    const venueFeed = options.venueFeed ?? (bus instanceof MemoryBus ? 'direct' : 'bus');
    const writeAhead = options.store !== undefined && venueFeed === 'bus';

    const venues = new Map<VenueId, VenueAdapter>();
    const paperVenues: PaperVenueAdapter[] = [];
    let venueIndex = 0;
    // A broker's own market-data feed (KiteTicker) publishes through the kernel once it exists.
    let publishToKernel: (m: MarketData) => void = () => undefined;
    const brokerFeeds: ZerodhaFeed[] = [];
    // Bounded memory for a long-running process; a backtest keeps everything for its report.
    const retention =
      options.retention === null
        ? undefined
        : (options.retention ?? (options.mode !== 'backtest' ? retentionFromEnv() : undefined));
    for (const [venue, config] of registry.venues) {
      venueIndex++;
      if (!config.enabled) continue;
      if (config.adapter === 'ibkr') {
        // A real broker: live mode only (a backtest or paper run never sends orders out).
        if (options.mode !== 'live') {
          logger.warn(`venue ${venue}: ibkr runs in live mode only; skipped`, { venue });
          continue;
        }
        venues.set(
          venue,
          createIbkrVenue({
            venue,
            config,
            clock,
            logger: logger.child(`venue:${venue}`),
            instruments: [...registry.instruments.values()],
            configDir: dir,
          }),
        );
        continue;
      }
      if (config.adapter === 'zerodha') {
        if (options.mode !== 'live') {
          logger.warn(`venue ${venue}: zerodha runs in live mode only; skipped`, { venue });
          continue;
        }
        const z = createZerodhaVenue({
          venue,
          config,
          clock,
          logger: logger.child(`venue:${venue}`),
          instruments: [...registry.instruments.values()],
          configDir: dir,
          onAlert: (a) => void bus.publish(Streams.alerts, a),
          sink: (m) => publishToKernel(m),
        });
        venues.set(venue, z.adapter);
        if (z.feed) brokerFeeds.push(z.feed);
        continue;
      }
      const adapter = new PaperVenueAdapter({
        venue,
        config,
        clock,
        seed: seed * 1009 + venueIndex,
        instruments: [...registry.instruments.values()].filter((i) => i.venue === venue),
        log: logger.child(`venue:${venue}`),
        ...(options.store
          ? { journal: options.store, durability: writeAhead ? 'write-ahead' : 'write-behind' }
          : {}),
        // The OMS releases closed orders only with a store; the venue forgets them (a session) only then too.
        ...(retention && options.store ? { retainMicros: retention.idsMicros } : {}),
      });
      venues.set(venue, adapter);
      paperVenues.push(adapter);
    }

    const risk = new RiskEngine({
      bus,
      clock,
      registry,
      risk: riskConfig,
      policy: policyConfig,
      candleTimeframes,
      logger: logger.child('risk'),
      ...(retention ? { retention } : {}),
    });
    const oms = new OmsEngine({
      bus,
      clock,
      registry,
      venues,
      logger: logger.child('oms'),
      ...(writeAhead ? { durable: () => flushVenues(paperVenues) } : {}),
      // Closed orders leave memory once persisted and past the horizon: only where a store keeps them.
      ...(retention && options.store ? { retention } : {}),
    });
    // With a store, the ledger continues from what it holds (journal numbering, positions, cash). A process
    // without the ledger component keeps a follower: rebuilt from the store, fed by fills in a group of its
    // own, writing nothing.
    const books = (options.components ?? KERNEL_COMPONENTS).includes('ledger');
    const restored = options.store ? await LedgerEngine.restore(options.store, registry) : undefined;
    const ledger = new LedgerEngine({
      bus,
      registry,
      clock,
      ...(options.store && books ? { store: options.store } : {}),
      ...(restored ? { ledger: restored } : {}),
      ...(books ? {} : { group: `ledger-follower:${options.processName ?? 'local'}` }),
      // The store keeps every journal: memory keeps the last ones and the ids within the horizon.
      ...(retention && options.store
        ? { retention: { maxJournals: LEDGER_JOURNALS_HELD, idsMicros: retention.idsMicros } }
        : {}),
      logger: logger.child('ledger'),
    });
    const selection = options.strategySelection;
    if (selection)
      for (const id of selection)
        if (!strategiesConfig.strategies.some((s) => s.id === id))
          throw new ConfigError(
            strategiesFile,
            'strategies',
            `no strategy with id "${id}" (have ${strategiesConfig.strategies.map((s) => s.id).join(', ')})`,
          );
    const strategies = new StrategyEngine({
      bus,
      clock,
      registry,
      logger: logger.child('strategy'),
      candleTimeframes,
      ...(selection ? { group: `strategy:${[...selection].sort().join(',')}` } : {}),
      ...(retention ? { retention } : {}),
    });
    const baseDir = options.strategiesBaseDir ?? dir;
    for (const [index, entry] of strategiesConfig.strategies.entries()) {
      if (selection && !selection.includes(entry.id)) continue;
      const strategy = await instantiateStrategy(
        entry,
        baseDir,
        strategiesFile,
        index,
        options.strategyClasses,
      );
      if (!entry.enabled && bus.control.get('strategy:enabled', entry.id) === undefined)
        await bus.control.set('strategy:enabled', entry.id, 'false');
      strategies.add(entry.id, strategy);
    }
    const kernel = new Kernel(options, {
      clock,
      bus,
      registry,
      logger,
      risk,
      oms,
      ledger,
      strategies,
      venues,
      paperVenues,
    });
    publishToKernel = (m) => kernel.publishMarketData(m);
    kernel.brokerFeeds.push(...brokerFeeds);
    return kernel;
  }

  /**
   * Connects venues, reconciles with each before trading (a break halts trading with an alert), then
   * starts the engines in dependency order: ledger, risk, OMS, venue feeds, strategies.
   */
  async start(): Promise<ReconciliationReport> {
    if (this.started) throw new Error('kernel already started');
    this.started = true;
    const run = this.components;
    if (run.has('router')) for (const adapter of this.venues.values()) await adapter.connect();
    if (run.has('router')) for (const feed of this.brokerFeeds) feed.start();
    // Opening capital: each paper venue's configured cash is deposited in the ledger once (idempotent by ref).
    if (run.has('ledger'))
      for (const [venue, config] of this.registry.venues) {
        if (!this.venues.has(venue)) continue;
        for (const [currency, amount] of Object.entries(config.cash))
          await this.ledger.deposit(
            currency,
            toMinor(amount, currencyDecimals(currency)),
            `capital:${venue}:${currency}`,
          );
      }
    // A strategy or risk process has no use for the book of record (its engines keep their own positions from
    // fills): no follower there, one reader less on fills and no double-entry booking of every fill.
    const follows =
      run.has('ledger') || run.size === 0 || run.has('router') || run.size === KERNEL_COMPONENTS.length;
    if (follows) await this.ledger.start();
    this.watch();
    this.recorder?.start();
    if (this.store && run.has('ledger')) this.audit(this.store);
    if (run.has('risk')) this.risk.start();
    if (run.has('risk') && this.watchPolicy) {
      this.policy = new PolicyWatcher({
        configDir: this.configDir,
        risk: this.risk,
        bus: this.bus,
        clock: this.clock,
        logger: this.logger.child('policy'),
        store: this.policyStore,
      });
      this.policy.start();
    }
    let report: ReconciliationReport = {
      ts: this.clock.now(),
      venues: [],
      ordersChecked: 0,
      fillsChecked: 0,
      positionsChecked: 0,
      beyondRetention: 0,
      breaks: [],
    };
    if (run.has('router')) {
      if (this.store) {
        // The order book of record continues from the store: ids already seen stay seen after a restart.
        const fills: OrderFilled[] = [];
        for (const entry of await this.store.loadLedgerEntries())
          if (entry.kind === 'fill') fills.push(entry.fill);
        const records: RestoredOrder[] = await this.store.loadOrders();
        this.oms.restore([...records, ...this.ordersOnlyVenuesKnow(records)], fills);
        // A broker venue learns the platform's order ids, so fills made while it was down are reported.
        for (const adapter of this.venues.values())
          if (adapter instanceof ZerodhaVenueAdapter)
            adapter.knowClientOrderIds(
              records.filter((r) => r.venue === adapter.venue).map((r) => r.clientOrderId),
            );
        await this.catchUpWithVenues();
      }
      if (this.venueFeed === 'bus') this.feedVenuesFromBus();
      this.oms.start();
      report = await this.reconcile();
      if (report.breaks.length > 0) {
        // Every process obeys the kill switch; it stays on until an operator has looked and releases it.
        await this.bus.control.set(ControlKeys.killSwitch, 'enabled', 'true');
        this.logger.error('startup reconciliation found breaks: kill switch engaged, trading halted', {
          breaks: report.breaks.length,
        });
      }
    }
    if (run.has('strategy')) this.strategies.start();
    return report;
  }

  /**
   * Orders a paper venue journaled whose OMS record was never saved (the router died between the two writes):
   * adopted from the venue's copy of the request, as SUBMITTED; the venue's replay then moves them on.
   */
  private ordersOnlyVenuesKnow(records: readonly RestoredOrder[]): RestoredOrder[] {
    const known = new Set<string>();
    for (const record of records) known.add(record.clientOrderId);
    const out: RestoredOrder[] = [];
    for (const adapter of this.paperVenues)
      for (const { event, request } of adapter.restoredRecords()) {
        if (!request || known.has(request.clientOrderId)) continue;
        if (event.kind !== 'accepted' && event.kind !== 'rejected') continue;
        known.add(request.clientOrderId);
        out.push({
          clientOrderId: request.clientOrderId,
          strategyId: request.strategyId,
          instrumentId: request.instrumentId,
          venue: adapter.venue,
          venueOrderId: null,
          side: request.side,
          type: request.type,
          timeInForce: request.timeInForce,
          quantity: request.quantity,
          price: request.price ?? null,
          triggerPrice: request.triggerPrice ?? null,
          status: 'SUBMITTED',
          filledQuantity: 0,
          averageFillPrice: 0,
          lastReason: null,
          tsInit: request.tsInit,
          tsLast: event.tsEvent,
        });
      }
    if (out.length > 0)
      this.logger.warn('orders known only to the venues adopted from their journals', { orders: out.length });
    return out;
  }

  /**
   * After a restart: each paper venue tells the OMS again what its journal says about the orders the OMS does
   * not already agree with (open, or a different filled quantity or finality), so fills it published but the
   * ledger never booked are published again (booked once: the ledger is idempotent on trade ids). Then waits
   * (bounded) until this process's ledger view has every OMS fill, so the startup reconciliation compares like
   * with like.
   */
  private async catchUpWithVenues(): Promise<void> {
    for (const adapter of this.paperVenues) {
      const reports = new Map<string, { filled: number; terminal: boolean }>();
      for (const r of await adapter.orders())
        reports.set(r.clientOrderId, { filled: r.filledQuantity, terminal: isTerminal(r.status) });
      const include = (id: ClientOrderId): boolean => {
        // Closed and released (retention): reconciled while it was held, in the store.
        if (this.oms.isReleased(id)) return false;
        const order = this.oms.order(id);
        if (!order || !isTerminal(order.status)) return true;
        const report = reports.get(id);
        if (!report) return false;
        return !report.terminal || Math.abs(report.filled - order.filledQuantity) > 1e-9;
      };
      const told = adapter.replayRestored(include);
      if (told > 0)
        this.logger.info('venue journal replayed to the OMS', { venue: adapter.venue, events: told });
    }
    const deadline = Date.now() + LEDGER_CATCH_UP_MS;
    for (;;) {
      let missing = 0;
      for (const order of this.oms.allOrders())
        for (const fill of order.fills) if (!this.ledger.ledger.isBooked(fill.venue, fill.tradeId)) missing++;
      if (missing === 0) return;
      if (Date.now() > deadline) {
        this.logger.warn('the ledger view has not caught up with the OMS fills', { missing });
        return;
      }
      // Wall time on purpose: this waits for another process (the bus), not for the trading clock.
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The distributed deployment: the router's paper venues follow the market-data streams. */
  private feedVenuesFromBus(): void {
    const feed = (m: MarketData): void => {
      this.venueOfInstrument.get(m.instrumentId)?.onMarketData(m);
    };
    const group = 'venue-feed';
    this.subscriptions.push(
      this.bus.subscribe(Streams.ticks, group, feed),
      this.bus.subscribe(Streams.books, group, feed),
    );
    for (const tf of this.candleTimeframes)
      this.subscriptions.push(this.bus.subscribe(Streams.candles(tf), group, feed));
  }

  /**
   * The audit trail in the store (one process does it: the one that books the ledger): every alert (kill
   * switch on/off, strategy failures, reconciliation breaks, dead letters, …) and every risk denial go to the
   * event log, and the control-plane state is mirrored, so what happened and why can be read back by date.
   */
  private audit(store: Store): void {
    // Group commit: a burst of denials (a kill switch under a quoting strategy) is one insert, not hundreds.
    // The order flow is logged too (commands as decided, venue events): TCA, the daily report and the day's
    // replay read it back.
    let alerts: Alert[] = [];
    let denials: OrderDenied[] = [];
    let commands: TradingCommand[] = [];
    let events: OrderEvent[] = [];
    const commits = new GroupCommit(async () => {
      const a = alerts;
      const d = denials;
      const c = commands;
      const e = events;
      alerts = [];
      denials = [];
      commands = [];
      events = [];
      if (a.length > 0) await store.appendEvents(Streams.alerts, a);
      if (d.length > 0) await store.appendEvents(Streams.ordersRejected, d);
      if (c.length > 0) await store.appendEvents(Streams.ordersIncoming, c);
      if (e.length > 0) await store.appendEvents(Streams.ordersEvents, e);
    });
    this.subscriptions.push(
      this.bus.subscribe(Streams.ordersIncoming, 'audit', (command) => {
        commands.push(command);
        return commits.join();
      }),
      this.bus.subscribe(Streams.ordersEvents, 'audit', (event) => {
        if (event.type === 'order_filled') return undefined; // fills are in the ledger entries
        events.push(event);
        return commits.join();
      }),
      this.bus.subscribe(Streams.alerts, 'audit', (alert) => {
        alerts.push(alert);
        return commits.join();
      }),
      this.bus.subscribe(Streams.ordersRejected, 'audit', (denial) => {
        denials.push(denial);
        return commits.join();
      }),
      this.bus.control.onChange((key, field, value) => {
        store
          .setControl(key, field, value)
          .catch((error: unknown) =>
            this.logger.error('audit: control state not saved', { key, field, error: String(error) }),
          );
      }),
    );
  }

  /** The mark for PnL and the API: the risk engine's reference price when it runs here, else our own. */
  markPrice(instrumentId: InstrumentId): number | undefined {
    return this.components.has('risk')
      ? this.risk.referencePrice(instrumentId)
      : this.marks.get(instrumentId);
  }

  private watch(): void {
    // The outcome counters of the summary: where every component runs, or in a process that runs none (the api
    // service, the workers). Each such process counts every outcome (VIEW_GROUP: no shared consumer group, so
    // two api replicas agree); a single-component service has no summary to show and skips two readers.
    const whole = this.components.size === 0 || this.components.size === KERNEL_COMPONENTS.length;
    if (whole)
      this.subscriptions.push(
        this.bus.subscribe(Streams.ordersRejected, VIEW_GROUP, (d) => {
          this.denials.set(d.reason, (this.denials.get(d.reason) ?? 0) + 1);
        }),
        this.bus.subscribe(Streams.ordersEvents, VIEW_GROUP, (e) => {
          if (e.type === 'order_rejected')
            this.venueRejects.set(e.reason, (this.venueRejects.get(e.reason) ?? 0) + 1);
        }),
      );
    if (this.components.has('risk')) return; // the risk engine already follows every price
    const mark = (m: MarketData): void => {
      const price = referencePrice(m);
      if (price !== undefined && price > 0) this.marks.set(m.instrumentId, price);
    };
    this.subscriptions.push(
      this.bus.subscribe(Streams.ticks, VIEW_GROUP, mark),
      this.bus.subscribe(Streams.books, VIEW_GROUP, mark),
    );
    for (const tf of this.candleTimeframes)
      this.subscriptions.push(this.bus.subscribe(Streams.candles(tf), VIEW_GROUP, mark));
  }

  /**
   * Feeds a market-data message to the paper venue that lists the instrument, then publishes it on its stream.
   * The venue goes first, so whatever it fills on this message (a market order decided on the previous bar's
   * close filling at this bar's open, a resting limit the quote crossed) is booked and seen by the strategy
   * before the strategy sees the message itself: no look-ahead, no acting on a stale position.
   */
  publishMarketData(m: MarketData): void {
    if (this.venueFeed === 'direct') this.venueOfInstrument.get(m.instrumentId)?.onMarketData(m);
    switch (m.type) {
      case 'quote':
      case 'trade':
        this.bus.publish(Streams.ticks, m);
        return;
      case 'book':
        this.bus.publish(Streams.books, m);
        return;
      case 'bar': {
        let stream = this.candleStreams.get(m.timeframe);
        if (stream === undefined) {
          stream = Streams.candles(m.timeframe);
          this.candleStreams.set(m.timeframe, stream);
        }
        this.bus.publish(stream, m);
        return;
      }
    }
  }

  /** Compares OMS and ledger with every venue; breaks are alerted and returned, never booked. */
  async reconcile(): Promise<ReconciliationReport> {
    const positions = new Map<InstrumentId, number>();
    for (const p of this.ledger.ledger.positions()) positions.set(p.instrumentId, p.quantity);
    const report = await this.reconciler.reconcile(
      {
        orders: reconcilableOrders(this.oms.allOrders()),
        positions,
        released: (id) => this.oms.isReleased(id),
        seenFill: (venue, tradeId) => this.oms.hasSeenFill(venue, tradeId),
      },
      [...this.venues.values()],
    );
    this.lastReconciliation = report;
    if (this.store) await this.store.saveReconciliation({ ts: report.ts, breaks: [...report.breaks] });
    return report;
  }

  health(): Record<string, ComponentHealth> {
    const out: Record<string, ComponentHealth> = {
      bus: { status: 'ok' },
      risk: { status: this.risk.state() === 'ACTIVE' ? 'ok' : 'degraded', detail: this.risk.state() },
      oms: { status: 'ok', detail: `${this.oms.openOrders().length} open orders` },
      ledger: { status: 'ok' },
      store: {
        status: this.store ? 'ok' : 'degraded',
        detail: this.store ? 'pglite' : 'none (in memory only)',
      },
    };
    for (const [venue, adapter] of this.venues)
      out[`venue:${venue}`] = {
        status: adapter.state === 'connected' ? 'ok' : 'down',
        detail: adapter.state,
      };
    for (const s of this.strategies.status())
      out[`strategy:${s.id}`] = {
        status: s.lastError ? 'down' : s.enabled ? 'ok' : 'degraded',
        detail: s.lastError ?? (s.enabled ? 'running' : 'disabled'),
      };
    return out;
  }

  /**
   * Persists orders changed since the last call. The records are taken first and written only once the
   * venues' journals hold everything decided before: a saved OMS order is never unknown to a restored venue.
   */
  async persist(): Promise<void> {
    if (!this.store) return;
    const dirty = this.oms.takeDirty();
    const records = dirty.map(toOrderRecord);
    let ok = false;
    try {
      await flushVenues(this.paperVenues);
      if (records.length > 0) await this.store.upsertOrders(records);
      ok = true;
    } finally {
      // A failed write leaves the orders to the next one (and in memory until then).
      this.oms.persisted(dirty, ok);
    }
  }

  async stop(): Promise<void> {
    this.strategies.stop();
    this.policy?.stop();
    for (const feed of this.brokerFeeds) feed.stop();
    this.recorder?.stop();
    for (const s of this.subscriptions) s.unsubscribe();
    this.oms.stop();
    this.risk.stop();
    await this.bus.flush();
    await this.persist();
    await this.ledger.stop();
    for (const adapter of this.venues.values()) await adapter.disconnect();
  }
}

import type { OmsOrder } from '../oms/index.ts';
import type { OrderRecord } from '../store/store.ts';

/** How long a restarted router waits for its ledger view to hold every fill its OMS knows. */
const LEDGER_CATCH_UP_MS = 15_000;

/** Resolves when every paper venue's journal holds everything decided so far. */
function flushVenues(venues: readonly PaperVenueAdapter[]): Promise<void> {
  if (venues.length === 1) return (venues[0] as PaperVenueAdapter).flush();
  return Promise.all(venues.map((v) => v.flush())).then(() => undefined);
}

export function toOrderRecord(o: OmsOrder): OrderRecord {
  const r = o.request;
  return {
    clientOrderId: r.clientOrderId,
    strategyId: r.strategyId,
    instrumentId: o.executionInstrumentId,
    venue: o.venue ?? null,
    venueOrderId: o.venueOrderId ?? null,
    side: r.side,
    type: r.type,
    timeInForce: r.timeInForce,
    quantity: o.quantity,
    price: o.price ?? null,
    triggerPrice: o.triggerPrice ?? null,
    status: o.status,
    filledQuantity: o.filledQuantity,
    averageFillPrice: o.averageFillPrice,
    lastReason: o.lastReason ?? null,
    tsInit: r.tsInit,
    tsLast: o.tsLast,
  };
}
