// The router / OMS: the order book of record. Takes validated commands, chooses the venue (route
// overrides, smart routing by the cost model), sends to the venue adapter, turns venue events into
// order events and fills through the order state machine, and cancels everything on the kill switch.
// Idempotent: a command or venue event seen twice changes nothing the second time.

import type { Bus, Subscription } from '../common/bus.ts';
import type { Clock } from '../common/clock.ts';
import { Histogram } from '../common/histogram.ts';
import { ExpiringMap, RetentionQueue, type RetentionSettings } from '../common/retention.ts';
import type { Logger } from '../common/logging.ts';
import { silentLogger } from '../common/logging.ts';
import type { Registry } from '../common/registry.ts';
import { ControlKeys, Streams } from '../common/topics.ts';
import {
  isTerminal,
  nextStatus,
  quantize,
  strategyId as toStrategyId,
  type CancelOrder,
  type ClientOrderId,
  type Instrument,
  type InstrumentId,
  type ModifyOrder,
  type Order,
  type OrderEvent,
  type OrderFilled,
  type OrderRequest,
  type OrderTransition,
  type StrategyId,
  type SubmitOrder,
  type Tick,
  type BookSnapshot,
  type TradingCommand,
  type VenueEvent,
  type VenueId,
  type VenueOrderId,
} from '../model/index.ts';
import { score, type VenueQuote } from './cost-model.ts';
import { LatencyMonitor, type LatencyChange } from './latency-monitor.ts';
import type { VenueAdapter, VenueConnectionState } from './venue.ts';

/** The OMS's order: the model's Order plus where it really executes and its fills. */
export interface OmsOrder extends Order {
  /** The instrument actually sent to the venue (differs from the request after a route override). */
  executionInstrumentId: InstrumentId;
  readonly fills: OrderFilled[];
  /** Placed outside the platform and discovered through its fills or reconciliation. */
  readonly external: boolean;
}

/** A persisted order, as the store gives it back. */
export interface RestoredOrder {
  readonly clientOrderId: ClientOrderId;
  readonly strategyId: OrderRequest['strategyId'];
  /** The instrument sent to the venue. */
  readonly instrumentId: InstrumentId;
  /** The instrument the strategy asked for, when a route override changed it. */
  readonly requestedInstrumentId?: InstrumentId;
  readonly venue: VenueId | null;
  readonly venueOrderId: VenueOrderId | null;
  readonly side: OrderRequest['side'];
  readonly type: OrderRequest['type'];
  readonly timeInForce: OrderRequest['timeInForce'];
  readonly quantity: number;
  readonly price: number | null;
  readonly triggerPrice: number | null;
  readonly status: Order['status'];
  readonly filledQuantity: number;
  readonly averageFillPrice: number;
  readonly lastReason: string | null;
  readonly tsInit: number;
  readonly tsLast: number;
}

export interface OmsCounters {
  submitted: number;
  accepted: number;
  rejected: number;
  canceled: number;
  fills: number;
  duplicateCommands: number;
  duplicateFills: number;
  illegalTransitions: number;
  unknownOrderEvents: number;
  /** Closed orders whose full record left memory (retention); their ids stay known. */
  releasedOrders: number;
  /** Non-fill events for a released order (a venue repeating itself after the horizon): ignored. */
  lateEvents: number;
}

export interface OmsEngineOptions {
  readonly bus: Bus;
  readonly clock: Clock;
  readonly registry: Registry;
  readonly venues: ReadonlyMap<VenueId, VenueAdapter>;
  readonly logger?: Logger;
  /**
   * Called after each orders.validated command is handled; the command is acknowledged on the bus only once it
   * resolves (the distributed router: the venues' journals are durable). Without it commands resolve at once.
   */
  readonly durable?: () => Promise<void>;
  /**
   * Bounded memory for a long-running process: a closed order's full record leaves memory once persisted and
   * older than the horizon (or beyond the count); its id and its fills' trade ids stay for `idsMicros`, so a
   * repeated command or fill is still recognised and a late fill is still booked to its strategy. Undefined:
   * every order stays (a backtest, whose report reads them all, or a process without a store).
   */
  readonly retention?: RetentionSettings;
}

/** What stays of a closed order after its record left memory. */
interface ReleasedOrder {
  readonly strategyId: StrategyId;
  readonly venue: VenueId | undefined;
  readonly tradeIds: readonly string[];
}

const EXTERNAL_STRATEGY = toStrategyId('external');

export class OmsEngine {
  private readonly bus: Bus;
  private readonly clock: Clock;
  private readonly registry: Registry;
  private readonly venues: ReadonlyMap<VenueId, VenueAdapter>;
  private readonly log: Logger;
  private readonly durable: (() => Promise<void>) | undefined;
  private readonly orders = new Map<ClientOrderId, OmsOrder>();
  private readonly open = new Map<ClientOrderId, OmsOrder>();
  /** Trade ids seen per venue (nested, so no key string is built per fill). */
  private readonly seenFills = new Map<VenueId, Set<string>>();
  private readonly quotes = new Map<InstrumentId, VenueQuote>();
  private readonly dirty = new Set<ClientOrderId>();
  /** Orders taken for a store write not yet ended (a count: writes may overlap). */
  private readonly persisting = new Map<ClientOrderId, number>();
  /** Closed orders in the order they closed (retention), and the released ones (their ids, for a while). */
  private readonly closed: RetentionQueue<ClientOrderId> | undefined;
  private readonly released: ExpiringMap<ClientOrderId, ReleasedOrder> | undefined;
  private subscriptions: Subscription[] = [];
  readonly counters: OmsCounters = {
    submitted: 0,
    accepted: 0,
    rejected: 0,
    canceled: 0,
    fills: 0,
    duplicateCommands: 0,
    duplicateFills: 0,
    illegalTransitions: 0,
    unknownOrderEvents: 0,
    releasedOrders: 0,
    lateEvents: 0,
  };
  /** Stage latencies in µs: decision → route, route → venue ack, market data → venue ack. */
  readonly latency = {
    signalToRoute: new Histogram(),
    routeToAck: new Histogram(),
    tickToAck: new Histogram(),
  };
  private readonly routedAt = new Map<ClientOrderId, number>();
  /** Submit → ack latency per venue, and which venues are too slow to route to (latency-aware routing). */
  readonly latencyMonitor: LatencyMonitor;
  /** Why we asked for a cancel (e.g. the kill switch), reported when the venue confirms it. */
  private readonly cancelReasons = new Map<ClientOrderId, string>();

  constructor(options: OmsEngineOptions) {
    this.bus = options.bus;
    this.clock = options.clock;
    this.registry = options.registry;
    this.venues = options.venues;
    this.log = options.logger ?? silentLogger;
    this.durable = options.durable;
    const retention = options.retention;
    if (retention) {
      this.closed = new RetentionQueue(retention.closedOrdersMicros, retention.maxClosedOrders);
      this.released = new ExpiringMap(retention.idsMicros, (_id, gone) => {
        // The trade ids leave with the id: a venue repeats fills within its session, not a day later.
        const seen = gone.venue === undefined ? undefined : this.seenFills.get(gone.venue);
        if (seen) for (const tradeId of gone.tradeIds) seen.delete(tradeId);
      });
    }
    this.latencyMonitor = new LatencyMonitor(
      (venue) => {
        const r = this.registry.venues.get(venue as VenueId)?.routing;
        if (!r) return undefined;
        return {
          enabled: r.latencyAware,
          p95LimitMicros: r.p95LimitMs * 1000,
          recoverBelowMicros: r.recoverBelowMs * 1000,
          windowMicros: r.windowMs * 1000,
          minSamples: r.minSamples,
          costBpsPerMs: r.costBpsPerMs,
        };
      },
      (venue) => {
        const value = this.bus.control.get(ControlKeys.latencyRouting, venue);
        return value === 'on' ? true : value === 'off' ? false : undefined;
      },
    );
    for (const adapter of this.venues.values()) {
      adapter.onEvent((event) => this.applyVenueEvent(event));
      adapter.onStatus((state) => this.onVenueStatus(adapter.venue, state));
    }
  }

  start(): void {
    this.subscriptions.push(
      this.bus.subscribe(Streams.ordersValidated, 'oms', (command) => this.onCommand(command)),
      this.bus.subscribe(Streams.ticks, 'oms', (tick) => this.onTick(tick)),
      this.bus.subscribe(Streams.books, 'oms', (book) => this.onBook(book)),
      this.bus.control.onChange((key, field, value) => {
        if (key === ControlKeys.killSwitch && field === 'enabled') this.onKillSwitch(value === 'true');
      }),
    );
    if (this.killSwitchOn()) this.cancelAllOpen('VENUE_KILL_SWITCH');
  }

  stop(): void {
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions = [];
  }

  // ---- queries ----

  order(id: ClientOrderId): OmsOrder | undefined {
    return this.orders.get(id);
  }
  allOrders(): IterableIterator<OmsOrder> {
    return this.orders.values();
  }
  openOrders(): OmsOrder[] {
    return [...this.open.values()];
  }
  /** Whether `id` is a closed order whose record left memory (retention); the store still has it. */
  isReleased(id: ClientOrderId): boolean {
    return this.released?.has(id) ?? false;
  }
  /** Whether a fill with this trade id was seen on `venue` (its order may have been released). */
  hasSeenFill(venue: VenueId, tradeId: string): boolean {
    return this.seenFills.get(venue)?.has(tradeId) ?? false;
  }
  /** Orders held in full, and released ids still known. */
  retained(): { orders: number; open: number; released: number } {
    return { orders: this.orders.size, open: this.open.size, released: this.released?.size ?? 0 };
  }
  /**
   * Orders changed since the last call (for persistence). The caller reports the write with `persisted`: until
   * then they are not released from memory, and a failed write marks them changed again.
   */
  takeDirty(): OmsOrder[] {
    const out: OmsOrder[] = [];
    for (const id of this.dirty) {
      const o = this.orders.get(id);
      if (o) {
        out.push(o);
        this.persisting.set(id, (this.persisting.get(id) ?? 0) + 1);
      }
    }
    this.dirty.clear();
    return out;
  }

  /** The write of orders taken with `takeDirty` ended (`ok`: they are in the store). */
  persisted(orders: readonly OmsOrder[], ok: boolean): void {
    for (const order of orders) {
      const id = order.request.clientOrderId;
      const writes = (this.persisting.get(id) ?? 1) - 1;
      if (writes > 0) this.persisting.set(id, writes);
      else this.persisting.delete(id);
      if (!ok && this.orders.get(id) === order) this.dirty.add(id);
    }
  }

  /** Where an order for `instrument` would go now (route override applied), or undefined. */
  resolveRoute(request: OrderRequest): Instrument | undefined {
    const requested = this.registry.instruments.get(request.instrumentId);
    if (!requested) return undefined;
    if (request.smartRoute) {
      const best = this.smartRoute(requested, request.side);
      if (best) return best;
    }
    const routed = this.applyOverride(requested);
    if (!routed || !this.latencyMonitor.isSlow(routed.venue, this.clock.now())) {
      this.reportLatencyChanges();
      return routed;
    }
    this.reportLatencyChanges();
    // The venue is too slow: the same symbol on the fastest other connected venue that is not slow, if any.
    return this.fasterListing(routed) ?? routed;
  }

  private fasterListing(slow: Instrument): Instrument | undefined {
    const now = this.clock.now();
    let best: Instrument | undefined;
    let bestCost = Number.POSITIVE_INFINITY;
    for (const candidate of this.registry.bySymbol.get(slow.symbol) ?? []) {
      if (candidate.venue === slow.venue) continue;
      const adapter = this.venues.get(candidate.venue);
      if (!adapter || adapter.state !== 'connected' || this.latencyMonitor.isSlow(candidate.venue, now))
        continue;
      const cost = this.latencyMonitor.costBps(candidate.venue, now);
      if (cost < bestCost) {
        bestCost = cost;
        best = candidate;
      }
    }
    return best;
  }

  private reportLatencyChanges(): void {
    const pending = this.latencyMonitor.pending;
    while (pending.length > 0) this.reportLatencyChange(pending.shift()!);
  }

  private reportLatencyChange(change: LatencyChange): void {
    const p95 =
      change.p95Micros === null ? 'no recent acks' : `p95 ${(change.p95Micros / 1000).toFixed(1)} ms`;
    const message = change.slow
      ? `venue ${change.venue} is slow (${p95}): new orders go to another venue of the same symbol`
      : `venue ${change.venue} latency back within its band (${p95}): flow returns`;
    this.log.warn(message, { venue: change.venue });
    this.bus.publish(Streams.alerts, {
      type: 'alert',
      severity: 'warning',
      code: change.slow ? 'OMS_VENUE_LATENCY' : 'OMS_VENUE_LATENCY_RECOVERED',
      source: 'oms',
      message,
      tsEvent: this.clock.now(),
    });
  }

  // ---- commands ----

  private onCommand(command: TradingCommand): Promise<void> | undefined {
    switch (command.type) {
      case 'submit_order':
        this.submit(command);
        break;
      case 'cancel_order':
        this.cancel(command);
        break;
      case 'modify_order':
        this.modify(command);
        break;
    }
    if (this.closed) this.releaseClosed();
    // A redelivered command is acknowledged only once what the first delivery caused is durable, too.
    return this.durable?.();
  }

  /** Releases the closed orders past the horizon that are persisted (retention). */
  private releaseClosed(): void {
    const closed = this.closed as RetentionQueue<ClientOrderId>;
    const released = this.released as ExpiringMap<ClientOrderId, ReleasedOrder>;
    const now = this.clock.now();
    released.prune(now);
    if (!closed.due(now)) return;
    closed.drain(now, (id) => {
      const order = this.orders.get(id);
      if (!order || !isTerminal(order.status)) return true;
      // Not yet written to the store: it stays (and the orders closed after it wait behind it).
      if (this.dirty.has(id) || this.persisting.has(id)) return false;
      this.orders.delete(id);
      const tradeIds: string[] = [];
      for (const fill of order.fills) tradeIds.push(fill.tradeId);
      released.set(id, { strategyId: order.request.strategyId, venue: order.venue, tradeIds }, now);
      this.counters.releasedOrders++;
      return true;
    });
  }

  /** Notes that an order closed (retention counts its horizon from now). */
  private noteClosed(id: ClientOrderId, at: number): void {
    this.closed?.push(id, at);
  }

  private submit(command: SubmitOrder): void {
    const request = command.order;
    if (this.orders.has(request.clientOrderId) || this.released?.has(request.clientOrderId)) {
      this.counters.duplicateCommands++;
      return;
    }
    const now = this.clock.now();
    const order: OmsOrder = {
      request,
      status: 'INITIALIZED',
      statusBeforePending: undefined,
      venue: undefined,
      venueOrderId: undefined,
      quantity: request.quantity,
      price: request.price,
      triggerPrice: request.triggerPrice,
      filledQuantity: 0,
      averageFillPrice: 0,
      lastReason: undefined,
      tsLast: now,
      executionInstrumentId: request.instrumentId,
      fills: [],
      external: false,
    };
    this.orders.set(request.clientOrderId, order);
    this.dirty.add(request.clientOrderId);
    const target = this.resolveRoute(request);
    const adapter = target ? this.venues.get(target.venue) : undefined;
    order.status = 'SUBMITTED';
    this.counters.submitted++;
    if (!target || !adapter) {
      this.finishWithoutVenue(order, 'OMS_NO_VENUE', `no venue can take ${request.instrumentId}`);
      return;
    }
    order.venue = target.venue;
    order.executionInstrumentId = target.id;
    if (adapter.state !== 'connected') {
      // Never sent, so not in flight: safe to reject on our own word.
      this.finishWithoutVenue(order, 'OMS_VENUE_DISCONNECTED', `venue ${target.venue} is ${adapter.state}`);
      return;
    }
    this.open.set(request.clientOrderId, order);
    this.publishEvent({
      type: 'order_submitted',
      clientOrderId: request.clientOrderId,
      strategyId: request.strategyId,
      instrumentId: request.instrumentId,
      venue: target.venue,
      tsEvent: now,
      tsInit: now,
    });
    this.latency.signalToRoute.record(now - request.tsInit);
    this.routedAt.set(request.clientOrderId, now);
    const sent: OrderRequest =
      target.id === request.instrumentId ? request : { ...request, instrumentId: target.id };
    adapter.submit(sent, target);
  }

  private finishWithoutVenue(order: OmsOrder, reason: string, message: string): void {
    order.status = 'REJECTED';
    order.lastReason = reason;
    this.counters.rejected++;
    const r = order.request;
    const now = this.clock.now();
    this.noteClosed(r.clientOrderId, now);
    this.publishEvent({
      type: 'order_rejected',
      clientOrderId: r.clientOrderId,
      strategyId: r.strategyId,
      instrumentId: r.instrumentId,
      venue: order.venue ?? ('' as VenueId),
      reason,
      message,
      tsEvent: now,
      tsInit: now,
    });
  }

  private cancel(command: CancelOrder): void {
    const order = this.orders.get(command.clientOrderId);
    const now = this.clock.now();
    if (!order || isTerminal(order.status)) {
      const closed = order !== undefined || this.isReleased(command.clientOrderId);
      const reason = closed ? 'OMS_ORDER_CLOSED' : 'OMS_UNKNOWN_ORDER';
      this.publishEvent({
        type: 'order_cancel_rejected',
        clientOrderId: command.clientOrderId,
        strategyId: command.strategyId,
        instrumentId: command.instrumentId,
        reason,
        message: order ? `order is ${order.status}` : closed ? 'order is closed' : 'unknown client order id',
        tsEvent: now,
        tsInit: now,
      });
      return;
    }
    this.requestCancel(order);
  }

  private requestCancel(order: OmsOrder, killSwitch = false): void {
    if (order.status === 'PENDING_CANCEL') {
      this.counters.duplicateCommands++;
      return;
    }
    const before = order.status;
    if (!this.transition(order, 'request_cancel')) return;
    order.statusBeforePending = before;
    const r = order.request;
    const now = this.clock.now();
    this.publishEvent({
      type: 'order_pending_cancel',
      clientOrderId: r.clientOrderId,
      strategyId: r.strategyId,
      instrumentId: r.instrumentId,
      tsEvent: now,
      tsInit: now,
    });
    const adapter = order.venue ? this.venues.get(order.venue) : undefined;
    if (adapter) {
      if (killSwitch) {
        this.cancelReasons.set(r.clientOrderId, 'VENUE_KILL_SWITCH');
        this.log.info('kill switch: cancelling', { order: r.clientOrderId, venue: order.venue });
      }
      adapter.cancel(r.clientOrderId);
    }
  }

  private modify(command: ModifyOrder): void {
    const order = this.orders.get(command.clientOrderId);
    const now = this.clock.now();
    if (!order || isTerminal(order.status)) {
      const closed = order !== undefined || this.isReleased(command.clientOrderId);
      this.publishEvent({
        type: 'order_modify_rejected',
        clientOrderId: command.clientOrderId,
        strategyId: command.strategyId,
        instrumentId: command.instrumentId,
        reason: closed ? 'OMS_ORDER_CLOSED' : 'OMS_UNKNOWN_ORDER',
        message: order ? `order is ${order.status}` : closed ? 'order is closed' : 'unknown client order id',
        tsEvent: now,
        tsInit: now,
      });
      return;
    }
    const before = order.status;
    if (!this.transition(order, 'request_modify')) return;
    order.statusBeforePending = before;
    const r = order.request;
    this.publishEvent({
      type: 'order_pending_update',
      clientOrderId: r.clientOrderId,
      strategyId: r.strategyId,
      instrumentId: r.instrumentId,
      tsEvent: now,
      tsInit: now,
    });
    const adapter = order.venue ? this.venues.get(order.venue) : undefined;
    adapter?.modify(r.clientOrderId, {
      ...(command.quantity === undefined ? {} : { quantity: command.quantity }),
      ...(command.price === undefined ? {} : { price: command.price }),
      ...(command.triggerPrice === undefined ? {} : { triggerPrice: command.triggerPrice }),
    });
  }

  // ---- kill switch ----

  private killSwitchOn(): boolean {
    return this.bus.control.get(ControlKeys.killSwitch, 'enabled') === 'true';
  }

  private onKillSwitch(on: boolean): void {
    const now = this.clock.now();
    this.bus.publish(Streams.alerts, {
      type: 'alert',
      severity: on ? 'critical' : 'warning',
      code: on ? 'OPS_KILL_SWITCH_ON' : 'OPS_KILL_SWITCH_OFF',
      source: 'oms',
      message: on
        ? `kill switch engaged: cancelling ${this.open.size} open order(s) on every venue`
        : 'kill switch released',
      tsEvent: now,
    });
    if (on) this.cancelAllOpen('VENUE_KILL_SWITCH');
  }

  /** Requests cancellation of every open order on every venue. Returns how many were asked. */
  cancelAllOpen(_reason: string): number {
    let n = 0;
    for (const order of [...this.open.values()]) {
      if (order.status === 'PENDING_CANCEL') continue;
      this.requestCancel(order, true);
      n++;
    }
    return n;
  }

  // ---- venue events ----

  private onVenueStatus(venue: VenueId, state: VenueConnectionState): void {
    this.log.info(state === 'connected' ? `Connected to ${venue}` : `venue ${venue} ${state}`, {
      venue,
      state,
    });
  }

  /** Applies a venue event (adapters call this; a replayed event after a reconnect is a no-op). */
  applyVenueEvent(event: VenueEvent): void {
    const order = this.orders.get(event.clientOrderId);
    if (!order) {
      const released = this.released?.get(event.clientOrderId);
      if (released !== undefined) {
        if (event.kind === 'fill') {
          if (this.hasSeenFill(event.venue, event.tradeId)) this.counters.duplicateFills++;
          else this.onLateFill(event, released);
        } else this.counters.lateEvents++;
        return;
      }
      if (event.kind === 'fill') {
        this.onExternalFill(event);
        return;
      }
      this.counters.unknownOrderEvents++;
      this.log.warn('event for an unknown order', {
        venue: event.venue,
        order: event.clientOrderId,
        kind: event.kind,
      });
      return;
    }
    const r = order.request;
    const id = r.clientOrderId;
    const strategy = r.strategyId;
    const instrument = r.instrumentId;
    const ts = event.tsEvent;
    // One literal per event type (no shared base object spread): this runs for every venue event.
    switch (event.kind) {
      case 'accepted': {
        order.venueOrderId = event.venueOrderId;
        if (!this.transition(order, 'accept')) return;
        this.counters.accepted++;
        const now = this.clock.now();
        this.recordAck(order, now);
        this.publishEvent({
          type: 'order_accepted',
          clientOrderId: id,
          strategyId: strategy,
          instrumentId: instrument,
          venue: event.venue,
          venueOrderId: event.venueOrderId,
          tsEvent: ts,
          tsInit: now,
        });
        return;
      }
      case 'rejected':
        if (!this.transition(order, 'reject')) return;
        order.lastReason = event.reason;
        this.counters.rejected++;
        this.routedAt.delete(id);
        this.publishEvent({
          type: 'order_rejected',
          clientOrderId: id,
          strategyId: strategy,
          instrumentId: instrument,
          venue: event.venue,
          reason: event.reason,
          message: event.message,
          tsEvent: ts,
          tsInit: this.clock.now(),
        });
        return;
      case 'triggered':
        if (!this.transition(order, 'trigger')) return;
        this.publishEvent({
          type: 'order_triggered',
          clientOrderId: id,
          strategyId: strategy,
          instrumentId: instrument,
          tsEvent: ts,
          tsInit: this.clock.now(),
        });
        return;
      case 'modified':
        if (!this.transition(order, 'modified')) return;
        order.quantity = event.quantity;
        order.price = event.price;
        order.triggerPrice = event.triggerPrice;
        this.publishEvent({
          type: 'order_modified',
          clientOrderId: id,
          strategyId: strategy,
          instrumentId: instrument,
          quantity: event.quantity,
          price: event.price,
          triggerPrice: event.triggerPrice,
          tsEvent: ts,
          tsInit: this.clock.now(),
        });
        return;
      case 'modify_rejected':
        if (!this.transition(order, 'modify_rejected')) return;
        this.publishEvent({
          type: 'order_modify_rejected',
          clientOrderId: id,
          strategyId: strategy,
          instrumentId: instrument,
          reason: event.reason,
          message: event.message,
          tsEvent: ts,
          tsInit: this.clock.now(),
        });
        return;
      case 'canceled': {
        const reason = this.cancelReasons.get(id) ?? event.reason;
        if (!this.transition(order, 'cancel')) return;
        order.lastReason = reason;
        this.counters.canceled++;
        this.publishEvent({
          type: 'order_canceled',
          clientOrderId: id,
          strategyId: strategy,
          instrumentId: instrument,
          reason,
          tsEvent: ts,
          tsInit: this.clock.now(),
        });
        return;
      }
      case 'cancel_rejected':
        if (!this.transition(order, 'cancel_rejected')) return;
        this.cancelReasons.delete(id);
        this.publishEvent({
          type: 'order_cancel_rejected',
          clientOrderId: id,
          strategyId: strategy,
          instrumentId: instrument,
          reason: event.reason,
          message: event.message,
          tsEvent: ts,
          tsInit: this.clock.now(),
        });
        return;
      case 'expired':
        if (!this.transition(order, 'expire')) return;
        this.publishEvent({
          type: 'order_expired',
          clientOrderId: id,
          strategyId: strategy,
          instrumentId: instrument,
          tsEvent: ts,
          tsInit: this.clock.now(),
        });
        return;
      case 'fill':
        this.applyFill(order, event, this.clock.now());
        return;
    }
  }

  private applyFill(order: OmsOrder, event: Extract<VenueEvent, { kind: 'fill' }>, tsInit: number): void {
    let seen = this.seenFills.get(event.venue);
    if (seen === undefined) {
      seen = new Set<string>();
      this.seenFills.set(event.venue, seen);
    }
    if (seen.has(event.tradeId)) {
      this.counters.duplicateFills++;
      return;
    }
    seen.add(event.tradeId);
    const instrument = this.registry.instruments.get(event.instrumentId);
    const decimals = instrument?.quantityDecimals ?? 8;
    const filled = quantize(order.filledQuantity + event.quantity, decimals);
    const complete = filled >= order.quantity;
    const transition: OrderTransition = complete ? 'fill' : 'partial_fill';
    if (order.venueOrderId === undefined) order.venueOrderId = event.venueOrderId;
    // A fill is a fact: it is booked even when it does not fit the state (e.g. it raced a cancel).
    if (!this.transition(order, transition) && complete) this.setStatus(order, 'FILLED');
    order.averageFillPrice =
      (order.averageFillPrice * order.filledQuantity + event.price * event.quantity) / filled;
    order.filledQuantity = filled;
    if (this.routedAt.has(order.request.clientOrderId)) this.recordAck(order, tsInit);
    this.counters.fills++;
    const leaves = Math.max(0, quantize(order.quantity - filled, decimals));
    const fill = filledOf(event, order.request.strategyId, leaves, tsInit);
    order.fills.push(fill);
    this.bus.publish(Streams.fills, fill);
  }

  /**
   * A fill the venue reports for one of our orders after its record left memory (closed past the horizon): a
   * fact, booked to the order's strategy and alerted. The order's record in the store is left as it was (its
   * filled quantity no longer counts this fill; the ledger and the positions do).
   */
  private onLateFill(event: Extract<VenueEvent, { kind: 'fill' }>, released: ReleasedOrder): void {
    const now = this.clock.now();
    let seen = this.seenFills.get(event.venue);
    if (seen === undefined) {
      seen = new Set<string>();
      this.seenFills.set(event.venue, seen);
    }
    seen.add(event.tradeId);
    this.released?.set(
      event.clientOrderId,
      { ...released, tradeIds: [...released.tradeIds, event.tradeId] },
      now,
    );
    this.counters.fills++;
    this.bus.publish(Streams.alerts, {
      type: 'alert',
      severity: 'warning',
      code: 'RECON_UNKNOWN_ORDER',
      source: 'oms',
      message: `late fill ${event.tradeId} on ${event.venue} for closed order ${event.clientOrderId} (released from memory): booked to ${released.strategyId}`,
      tsEvent: now,
    });
    this.bus.publish(Streams.fills, filledOf(event, released.strategyId, 0, now));
  }

  /** A fill for an order we never placed: tracked as an external order, booked like any other. */
  private onExternalFill(event: Extract<VenueEvent, { kind: 'fill' }>): void {
    const now = this.clock.now();
    const request: OrderRequest = {
      clientOrderId: event.clientOrderId,
      strategyId: EXTERNAL_STRATEGY,
      instrumentId: event.instrumentId,
      side: event.side,
      type: 'market',
      quantity: event.quantity,
      timeInForce: 'DAY',
      reduceOnly: false,
      tsInit: now,
    };
    const order: OmsOrder = {
      request,
      status: 'ACCEPTED',
      statusBeforePending: undefined,
      venue: event.venue,
      venueOrderId: event.venueOrderId,
      quantity: event.quantity,
      price: undefined,
      triggerPrice: undefined,
      filledQuantity: 0,
      averageFillPrice: 0,
      lastReason: 'RECON_UNKNOWN_ORDER',
      tsLast: now,
      executionInstrumentId: event.instrumentId,
      fills: [],
      external: true,
    };
    this.orders.set(event.clientOrderId, order);
    this.bus.publish(Streams.alerts, {
      type: 'alert',
      severity: 'warning',
      code: 'RECON_UNKNOWN_ORDER',
      source: 'oms',
      message: `fill ${event.tradeId} on ${event.venue} for unknown order ${event.clientOrderId}: tracked as external`,
      tsEvent: now,
    });
    this.applyFill(order, event, now);
  }

  /**
   * Rebuilds the order book of record after a restart: the persisted orders (with their latest status) and
   * the fills booked for them. Restored ids count as seen, so a redelivered command or fill is a no-op.
   * An order's filled quantity and average price are those of its booked fills (the record, saved periodically,
   * may be older or newer than the ledger), and an open order's status moves forward to what they show; a
   * venue telling a fill again that was not booked adds it once.
   * The counters continue: restored orders count as submitted, their booked fills as fills.
   */
  restore(orders: readonly RestoredOrder[], fills: readonly OrderFilled[]): void {
    const restored: OmsOrder[] = [];
    for (const record of orders) {
      if (this.orders.has(record.clientOrderId)) continue;
      const request: OrderRequest = {
        clientOrderId: record.clientOrderId,
        strategyId: record.strategyId,
        instrumentId: record.requestedInstrumentId ?? record.instrumentId,
        side: record.side,
        type: record.type,
        quantity: record.quantity,
        ...(record.price === null ? {} : { price: record.price }),
        ...(record.triggerPrice === null ? {} : { triggerPrice: record.triggerPrice }),
        timeInForce: record.timeInForce,
        reduceOnly: false,
        tsInit: record.tsInit,
      };
      const order: OmsOrder = {
        request,
        status: record.status,
        statusBeforePending: undefined,
        venue: record.venue ?? undefined,
        venueOrderId: record.venueOrderId ?? undefined,
        quantity: record.quantity,
        price: record.price ?? undefined,
        triggerPrice: record.triggerPrice ?? undefined,
        filledQuantity: record.filledQuantity,
        averageFillPrice: record.averageFillPrice,
        lastReason: record.lastReason ?? undefined,
        tsLast: record.tsLast,
        executionInstrumentId: record.instrumentId,
        fills: [],
        external: record.strategyId === EXTERNAL_STRATEGY,
      };
      this.orders.set(record.clientOrderId, order);
      restored.push(order);
      if (!order.external) this.counters.submitted++;
      if (!isTerminal(order.status)) this.open.set(record.clientOrderId, order);
      else this.noteClosed(record.clientOrderId, record.tsLast);
    }
    for (const fill of fills) {
      let seen = this.seenFills.get(fill.venue);
      if (seen === undefined) {
        seen = new Set<string>();
        this.seenFills.set(fill.venue, seen);
      }
      if (seen.has(fill.tradeId)) continue;
      seen.add(fill.tradeId);
      const order = this.orders.get(fill.clientOrderId);
      if (!order) continue;
      order.fills.push(fill);
      this.counters.fills++;
    }
    for (const order of restored) {
      let filled = 0;
      let notional = 0;
      const decimals = this.registry.instruments.get(order.executionInstrumentId)?.quantityDecimals ?? 8;
      for (const fill of order.fills) {
        filled = quantize(filled + fill.lastQuantity, decimals);
        notional += fill.lastPrice * fill.lastQuantity;
      }
      const id = order.request.clientOrderId;
      // What the fills say differs from the record: the record is rewritten (and held until it is).
      if (filled !== order.filledQuantity) this.dirty.add(id);
      order.filledQuantity = filled;
      order.averageFillPrice = filled > 0 ? notional / filled : 0;
      // A record older than its fills (saved before they were heard) moves forward with them.
      if (filled <= 0 || isTerminal(order.status)) continue;
      this.dirty.add(id);
      if (filled >= order.quantity) {
        order.status = 'FILLED';
        this.open.delete(id);
        this.noteClosed(id, order.tsLast);
      } else if (order.status === 'SUBMITTED' || order.status === 'ACCEPTED' || order.status === 'TRIGGERED')
        order.status = 'PARTIALLY_FILLED';
    }
    // Nothing is released here: the venues' journals are replayed to the OMS and the startup reconciliation
    // compares every restored order first; the release follows with the first command.
  }

  /** Adds an order discovered at the venue (reconciliation) as external, so it is tracked, not ignored. */
  adoptExternal(report: {
    venue: VenueId;
    clientOrderId: ClientOrderId;
    venueOrderId: VenueOrderId;
    instrumentId: InstrumentId;
    side: OrderRequest['side'];
    quantity: number;
    filledQuantity: number;
    price: number | undefined;
    status: Order['status'];
  }): OmsOrder {
    const existing = this.orders.get(report.clientOrderId);
    if (existing) return existing;
    const now = this.clock.now();
    const order: OmsOrder = {
      request: {
        clientOrderId: report.clientOrderId,
        strategyId: EXTERNAL_STRATEGY,
        instrumentId: report.instrumentId,
        side: report.side,
        type: report.price === undefined ? 'market' : 'limit',
        quantity: report.quantity,
        ...(report.price === undefined ? {} : { price: report.price }),
        timeInForce: 'GTC',
        reduceOnly: false,
        tsInit: now,
      },
      status: report.status,
      statusBeforePending: undefined,
      venue: report.venue,
      venueOrderId: report.venueOrderId,
      quantity: report.quantity,
      price: report.price,
      triggerPrice: undefined,
      filledQuantity: report.filledQuantity,
      averageFillPrice: 0,
      lastReason: 'RECON_UNKNOWN_ORDER',
      tsLast: now,
      executionInstrumentId: report.instrumentId,
      fills: [],
      external: true,
    };
    this.orders.set(report.clientOrderId, order);
    if (!isTerminal(order.status)) this.open.set(report.clientOrderId, order);
    else this.noteClosed(report.clientOrderId, now);
    this.dirty.add(report.clientOrderId);
    return order;
  }

  // ---- state machine ----

  private transition(order: OmsOrder, transition: OrderTransition): boolean {
    const next = nextStatus(order.status, transition, order.statusBeforePending);
    if (next === undefined) {
      this.counters.illegalTransitions++;
      this.log.debug('illegal transition ignored', {
        order: order.request.clientOrderId,
        status: order.status,
        transition,
        code: 'OMS_ILLEGAL_TRANSITION',
      });
      return false;
    }
    if (order.status === 'PENDING_CANCEL' || order.status === 'PENDING_UPDATE') {
      if (next !== order.status && next !== 'PENDING_CANCEL') order.statusBeforePending = undefined;
    }
    // A partial fill or trigger during a pending request moves the state to return to forward.
    if (order.statusBeforePending !== undefined && next === order.status) {
      if (transition === 'partial_fill') order.statusBeforePending = 'PARTIALLY_FILLED';
      else if (transition === 'trigger' && order.statusBeforePending === 'ACCEPTED')
        order.statusBeforePending = 'TRIGGERED';
    }
    this.setStatus(order, next);
    return true;
  }

  private setStatus(order: OmsOrder, status: Order['status']): void {
    order.status = status;
    order.tsLast = this.clock.now();
    const id = order.request.clientOrderId;
    this.dirty.add(id);
    if (isTerminal(status)) {
      this.open.delete(id);
      this.routedAt.delete(id);
      this.cancelReasons.delete(id);
      this.noteClosed(id, order.tsLast);
    }
  }

  private recordAck(order: OmsOrder, now: number): void {
    const id = order.request.clientOrderId;
    const routed = this.routedAt.get(id);
    if (routed === undefined) return;
    this.routedAt.delete(id);
    this.latency.routeToAck.record(now - routed);
    if (order.venue !== undefined) {
      const change = this.latencyMonitor.record(order.venue, now, now - routed);
      if (change) this.reportLatencyChange(change);
    }
    const origin = order.request.tsOrigin;
    if (origin !== undefined) this.latency.tickToAck.record(now - origin);
  }

  private publishEvent(event: Exclude<OrderEvent, OrderFilled>): void {
    this.bus.publish(Streams.ordersEvents, event);
  }

  // ---- market data for the cost model ----

  private onTick(tick: Tick): void {
    if (tick.type !== 'quote') return;
    const q = this.quotes.get(tick.instrumentId);
    if (q) {
      q.bid = tick.bid;
      q.ask = tick.ask;
    } else this.quotes.set(tick.instrumentId, { bid: tick.bid, ask: tick.ask });
  }

  private onBook(book: BookSnapshot): void {
    const b = book.bids[0];
    const a = book.asks[0];
    if (!b || !a) return;
    const q = this.quotes.get(book.instrumentId);
    if (q) {
      q.bid = b.price;
      q.ask = a.price;
    } else this.quotes.set(book.instrumentId, { bid: b.price, ask: a.price });
  }

  private applyOverride(instrument: Instrument): Instrument | undefined {
    const target = this.bus.control.get(ControlKeys.routeOverride, instrument.venue);
    if (target === undefined || target === '' || target === instrument.venue) return instrument;
    return this.registry.instruments.get(`${instrument.symbol}.${target}` as InstrumentId);
  }

  private smartRoute(requested: Instrument, side: OrderRequest['side']): Instrument | undefined {
    const candidates = this.registry.bySymbol.get(requested.symbol) ?? [];
    let best: Instrument | undefined;
    let bestScore = Number.POSITIVE_INFINITY;
    for (const candidate of candidates) {
      const routed = this.applyOverride(candidate);
      if (!routed) continue;
      const adapter = this.venues.get(routed.venue);
      const venueConfig = this.registry.venues.get(routed.venue);
      const quote = this.quotes.get(routed.id);
      if (!adapter || adapter.state !== 'connected' || !venueConfig || !quote) continue;
      const now = this.clock.now();
      if (this.latencyMonitor.isSlow(routed.venue, now)) continue;
      // Latency as a cost: basis points of the mid per millisecond of the venue's median ack latency.
      const latencyBps = this.latencyMonitor.costBps(routed.venue, now);
      const s = score(side, quote, venueConfig) + (latencyBps * (quote.bid + quote.ask)) / 2 / 10_000;
      if (s < bestScore) {
        bestScore = s;
        best = routed;
      }
    }
    return best;
  }
}

/** The order_filled message of a venue's fill (one literal: this runs for every fill). */
function filledOf(
  event: Extract<VenueEvent, { kind: 'fill' }>,
  strategyId: StrategyId,
  leavesQuantity: number,
  tsInit: number,
): OrderFilled {
  return {
    type: 'order_filled',
    clientOrderId: event.clientOrderId,
    strategyId,
    instrumentId: event.instrumentId,
    venue: event.venue,
    venueOrderId: event.venueOrderId,
    tradeId: event.tradeId,
    side: event.side,
    lastQuantity: event.quantity,
    lastPrice: event.price,
    fee: event.fee,
    feeCurrency: event.feeCurrency,
    liquidity: event.liquidity,
    leavesQuantity,
    tsEvent: event.tsEvent,
    tsInit,
  };
}
