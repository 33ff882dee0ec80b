// The strategy runner: hosts Strategy instances, feeds them market data and their own order events, and
// turns their intents into commands on `orders.incoming`. A strategy that throws is stopped and reported;
// the others go on. `strategy:enabled` in the control plane toggles a strategy live.

import type { Bus, Subscription } from '../common/bus.ts';
import type { Clock } from '../common/clock.ts';
import type { Logger } from '../common/logging.ts';
import { silentLogger } from '../common/logging.ts';
import { PriceBoard } from '../common/price-board.ts';
import { RetentionQueue, type RetentionSettings } from '../common/retention.ts';
import type { Registry } from '../common/registry.ts';
import { ControlKeys, Streams } from '../common/topics.ts';
import {
  isTerminal,
  makeClientOrderId,
  quantize,
  referencePrice,
  strategyId as toStrategyId,
  type Bar,
  type BookSnapshot,
  type ClientOrderId,
  type Instrument,
  type InstrumentId,
  type MarketData,
  type OrderDenied,
  type OrderEvent,
  type OrderFilled,
  type OrderRequest,
  type OrderStatus,
  type StrategyId,
  type Tick,
} from '../model/index.ts';
import type { OrderIntent, Strategy, StrategyContext, StrategyOrder } from './strategy.ts';

interface MutableStrategyOrder {
  clientOrderId: ClientOrderId;
  instrumentId: InstrumentId;
  side: OrderRequest['side'];
  type: OrderRequest['type'];
  quantity: number;
  price: number | undefined;
  status: OrderStatus;
  filledQuantity: number;
}

export interface StrategyStatus {
  readonly id: StrategyId;
  readonly enabled: boolean;
  readonly running: boolean;
  readonly lastError: string | undefined;
  readonly submitted: number;
  readonly fills: number;
  readonly openOrders: number;
  readonly positions: Readonly<Record<string, number>>;
}

class Slot {
  readonly orders = new Map<ClientOrderId, MutableStrategyOrder>();
  /**
   * The orders not yet in a terminal state (what openOrders and cancelAll walk): every status change goes
   * through `settle`, which takes a closed order out.
   */
  readonly open = new Map<ClientOrderId, MutableStrategyOrder>();
  /** Closed orders in the order they closed, when closed orders leave memory (retention). */
  closed: RetentionQueue<ClientOrderId> | undefined;
  readonly positions = new Map<InstrumentId, number>();
  readonly cashFlows = new Map<string, number>();
  readonly filter: ReadonlySet<InstrumentId> | undefined;
  sequence = 0;
  submitted = 0;
  fills = 0;
  enabled = true;
  running = false;
  lastError: string | undefined;
  context!: StrategyContext;

  constructor(
    readonly id: StrategyId,
    readonly strategy: Strategy,
  ) {
    this.filter = strategy.instruments.length > 0 ? new Set(strategy.instruments) : undefined;
  }

  wants(instrumentId: InstrumentId): boolean {
    return this.running && this.enabled && (this.filter === undefined || this.filter.has(instrumentId));
  }
}

export interface StrategyEngineOptions {
  readonly bus: Bus;
  readonly clock: Clock;
  readonly registry: Registry;
  readonly logger?: Logger;
  /** Candle streams to subscribe (`candles.<tf>`). */
  readonly candleTimeframes?: readonly string[];
  /**
   * Bus group of the engine's order events, denials and fills (default `strategy`). Instances that run different
   * strategies need groups of their own: in one group they would share, not each receive, their orders' events.
   */
  readonly group?: string;
  /**
   * Closed orders leave the strategies' view once past the horizon (or beyond the count), and trade ids seen
   * are forgotten after `idsMicros`: a long-running process keeps bounded memory. Undefined: all kept.
   */
  readonly retention?: RetentionSettings;
}

export class StrategyEngine {
  private readonly bus: Bus;
  private readonly clock: Clock;
  private readonly registry: Registry;
  private readonly log: Logger;
  private readonly timeframes: readonly string[];
  private readonly slots = new Map<StrategyId, Slot>();
  private readonly slotList: Slot[] = [];
  private readonly lastPrices = new PriceBoard<InstrumentId>();
  /** Trade ids seen per venue (nested, so no key string is built per fill). */
  private readonly seenTrades = new Map<string, Set<string>>();
  /** With retention: the trade ids in the order they were seen, forgotten after the ids' horizon. */
  private readonly seenQueue: RetentionQueue<readonly [string, string]> | undefined;
  private readonly retention: RetentionSettings | undefined;
  private readonly instrumentList: readonly Instrument[];
  private subscriptions: Subscription[] = [];
  /** tsInit of the market-data message being dispatched (0 outside a dispatch). */
  private originTs = 0;
  private readonly group: string;

  constructor(options: StrategyEngineOptions) {
    this.group = options.group ?? 'strategy';
    this.retention = options.retention;
    if (this.retention) this.seenQueue = new RetentionQueue(this.retention.idsMicros);
    this.bus = options.bus;
    this.clock = options.clock;
    this.registry = options.registry;
    this.log = options.logger ?? silentLogger;
    this.timeframes = options.candleTimeframes ?? [];
    this.instrumentList = [...this.registry.instruments.values()];
  }

  /** Adds a strategy under a unique id (its name in `strategy:enabled`). */
  add(id: string, strategy: Strategy): void {
    const sid = toStrategyId(id);
    if (this.slots.has(sid)) throw new Error(`strategy id "${id}" is already in use`);
    const slot = new Slot(sid, strategy);
    if (this.retention)
      slot.closed = new RetentionQueue(this.retention.closedOrdersMicros, this.retention.maxClosedOrders);
    slot.enabled = this.bus.control.get(ControlKeys.strategyEnabled, id) !== 'false';
    slot.context = this.makeContext(slot);
    strategy.attach(slot.context);
    this.slots.set(sid, slot);
    this.slotList.push(slot);
  }

  start(): void {
    const bus = this.bus;
    this.subscriptions.push(
      bus.subscribe(Streams.ticks, this.group, (m) => this.onTick(m)),
      bus.subscribe(Streams.books, this.group, (m) => this.onBook(m)),
      bus.subscribe(Streams.ordersRejected, this.group, (m) => this.onDenied(m)),
      bus.subscribe(Streams.ordersEvents, this.group, (m) => this.onOrderEvent(m)),
      bus.subscribe(Streams.fills, this.group, (m) => this.onFill(m)),
      bus.control.onChange((key, field, value) => {
        if (key !== ControlKeys.strategyEnabled) return;
        const slot = this.slots.get(field as StrategyId);
        if (slot) {
          slot.enabled = value !== 'false';
          this.log.info(`strategy ${field} ${slot.enabled ? 'enabled' : 'disabled'}`, { strategy: field });
        }
      }),
    );
    for (const tf of this.timeframes)
      this.subscriptions.push(bus.subscribe(Streams.candles(tf), this.group, (m) => this.onBar(m)));
    for (const slot of this.slotList) {
      slot.running = true;
      this.invoke(slot, 'onStart', undefined);
    }
  }

  stop(): void {
    for (const slot of this.slotList) {
      if (!slot.running) continue;
      // Stopped first: events caused by onStop (e.g. its cancels) are not fed back into the strategy.
      slot.running = false;
      this.invoke(slot, 'onStop', undefined);
    }
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions = [];
  }

  /** What the runner holds in memory: its strategies' orders (open and recently closed) and trade ids seen. */
  retained(): { orders: number; tradeIds: number } {
    let orders = 0;
    let tradeIds = 0;
    for (const slot of this.slotList) orders += slot.orders.size;
    for (const seen of this.seenTrades.values()) tradeIds += seen.size;
    return { orders, tradeIds };
  }

  status(): StrategyStatus[] {
    return this.slotList.map((slot) => {
      const open = slot.open.size;
      return {
        id: slot.id,
        enabled: slot.enabled,
        running: slot.running,
        lastError: slot.lastError,
        submitted: slot.submitted,
        fills: slot.fills,
        openOrders: open,
        positions: Object.fromEntries(slot.positions),
      };
    });
  }

  strategy(id: string): Strategy | undefined {
    return this.slots.get(id as StrategyId)?.strategy;
  }

  // ---- market data ----

  private onTick(tick: Tick): void {
    this.remember(tick);
    this.originTs = tick.tsInit;
    const list = this.slotList;
    for (let i = 0; i < list.length; i++) {
      const slot = list[i] as Slot;
      if (slot.wants(tick.instrumentId)) this.invoke(slot, 'onTick', tick);
    }
    this.originTs = 0;
  }

  private onBar(bar: Bar): void {
    this.lastPrices.set(bar.instrumentId, bar.close);
    this.originTs = bar.tsInit;
    const list = this.slotList;
    for (let i = 0; i < list.length; i++) {
      const slot = list[i] as Slot;
      if (slot.wants(bar.instrumentId)) this.invoke(slot, 'onBar', bar);
    }
    this.originTs = 0;
  }

  private onBook(book: BookSnapshot): void {
    this.remember(book);
    this.originTs = book.tsInit;
    const list = this.slotList;
    for (let i = 0; i < list.length; i++) {
      const slot = list[i] as Slot;
      if (slot.wants(book.instrumentId)) this.invoke(slot, 'onBook', book);
    }
    this.originTs = 0;
  }

  private remember(m: MarketData): void {
    const price = referencePrice(m);
    if (price !== undefined && Number.isFinite(price)) this.lastPrices.set(m.instrumentId, price);
  }

  // ---- order events ----

  private onDenied(event: OrderDenied): void {
    const slot = this.slots.get(event.strategyId);
    if (!slot) return;
    const order = slot.orders.get(event.clientOrderId);
    if (order && event.command === 'submit_order') {
      order.status = 'DENIED';
      this.settle(slot, order);
    }
    if (slot.running) this.invoke(slot, 'onOrderEvent', event);
  }

  private onOrderEvent(event: OrderEvent): void {
    const slot = this.slots.get(event.strategyId);
    if (!slot) return;
    const order = slot.orders.get(event.clientOrderId);
    if (order) {
      applyStatus(order, event);
      this.settle(slot, order);
    }
    if (slot.running) this.invoke(slot, 'onOrderEvent', event);
  }

  private onFill(fill: OrderFilled): void {
    let seen = this.seenTrades.get(fill.venue);
    if (seen === undefined) {
      seen = new Set<string>();
      this.seenTrades.set(fill.venue, seen);
    }
    if (seen.has(fill.tradeId)) return;
    seen.add(fill.tradeId);
    if (this.seenQueue) {
      const now = this.clock.now();
      this.seenQueue.push([fill.venue, fill.tradeId], now);
      if (this.seenQueue.due(now))
        this.seenQueue.drain(now, ([venue, tradeId]) => {
          this.seenTrades.get(venue)?.delete(tradeId);
          return true;
        });
    }
    const slot = this.slots.get(fill.strategyId);
    if (!slot) return;
    const order = slot.orders.get(fill.clientOrderId);
    // A rerouted order fills on another venue's instrument; the strategy keeps seeing the one it asked for.
    const positionKey = order?.instrumentId ?? fill.instrumentId;
    const instrument = this.registry.instruments.get(fill.instrumentId);
    const decimals = instrument?.quantityDecimals ?? 8;
    const signed = fill.side === 'buy' ? fill.lastQuantity : -fill.lastQuantity;
    slot.positions.set(positionKey, quantize((slot.positions.get(positionKey) ?? 0) + signed, decimals));
    const currency = instrument?.currency ?? fill.feeCurrency;
    const flow = -signed * fill.lastPrice * (instrument?.multiplier ?? 1) - fill.fee;
    slot.cashFlows.set(currency, (slot.cashFlows.get(currency) ?? 0) + flow);
    slot.fills++;
    if (order) {
      order.filledQuantity = quantize(order.filledQuantity + fill.lastQuantity, decimals);
      order.status = fill.leavesQuantity > 0 ? 'PARTIALLY_FILLED' : 'FILLED';
      this.settle(slot, order);
    }
    if (slot.running) this.invoke(slot, 'onFill', fill);
  }

  // ---- strategy calls ----

  private invoke(slot: Slot, hook: 'onStart' | 'onStop', arg: undefined): void;
  private invoke(slot: Slot, hook: 'onTick', arg: Tick): void;
  private invoke(slot: Slot, hook: 'onBar', arg: Bar): void;
  private invoke(slot: Slot, hook: 'onBook', arg: BookSnapshot): void;
  private invoke(slot: Slot, hook: 'onFill', arg: OrderFilled): void;
  private invoke(slot: Slot, hook: 'onOrderEvent', arg: OrderEvent): void;
  private invoke(
    slot: Slot,
    hook: 'onStart' | 'onStop' | 'onTick' | 'onBar' | 'onBook' | 'onFill' | 'onOrderEvent',
    arg: unknown,
  ): void {
    try {
      switch (hook) {
        case 'onStart':
          slot.strategy.onStart();
          break;
        case 'onStop':
          slot.strategy.onStop();
          break;
        case 'onTick':
          slot.strategy.onTick(arg as Tick);
          break;
        case 'onBar':
          slot.strategy.onBar(arg as Bar);
          break;
        case 'onBook':
          slot.strategy.onBook(arg as BookSnapshot);
          break;
        case 'onFill':
          slot.strategy.onFill(arg as OrderFilled);
          break;
        case 'onOrderEvent':
          slot.strategy.onOrderEvent(arg as OrderEvent);
          break;
      }
    } catch (error) {
      this.fail(slot, hook, error);
    }
  }

  private fail(slot: Slot, hook: string, error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    slot.running = false;
    slot.lastError = `${hook}: ${err.message}`;
    this.log.error(`strategy ${slot.id} threw in ${hook} and was stopped`, {
      strategy: slot.id,
      code: 'OPS_STRATEGY_ERROR',
      stack: err.stack,
    });
    this.bus.publish(Streams.alerts, {
      type: 'alert',
      severity: 'critical',
      code: 'OPS_STRATEGY_ERROR',
      source: `strategy:${slot.id}`,
      message: `strategy ${slot.id} threw in ${hook} and was stopped: ${err.message}`,
      tsEvent: this.clock.now(),
    });
    // Its open orders are withdrawn: a stopped strategy must not leave orders working unattended.
    for (const order of slot.open.values()) this.cancelOrder(slot, order.clientOrderId);
  }

  private makeContext(slot: Slot): StrategyContext {
    return {
      id: slot.id,
      clock: this.clock,
      log: this.log.child(slot.id),
      instrument: (id) => this.registry.instruments.get(id),
      instruments: () => this.instrumentList,
      submit: (intent) => this.submitOrder(slot, intent),
      cancel: (id) => this.cancelOrder(slot, id),
      modify: (id, change) => this.modifyOrder(slot, id, change),
      cancelAll: (instrumentId) => {
        for (const order of slot.open.values())
          if (instrumentId === undefined || order.instrumentId === instrumentId)
            this.cancelOrder(slot, order.clientOrderId);
      },
      position: (id) => slot.positions.get(id) ?? 0,
      openOrders: (instrumentId) => {
        const out: StrategyOrder[] = [];
        for (const order of slot.open.values())
          if (instrumentId === undefined || order.instrumentId === instrumentId) out.push(order);
        return out;
      },
      order: (id) => slot.orders.get(id),
      lastPrice: (id) => this.lastPrices.get(id),
      cashFlow: (currency) => slot.cashFlows.get(currency) ?? 0,
      setTimer: (name, at, callback) =>
        this.clock.setTimer(`${slot.id}:${name}`, at, () => {
          if (slot.running) {
            try {
              callback();
            } catch (error) {
              this.fail(slot, `timer ${name}`, error);
            }
          }
        }),
      cancelTimer: (name) => this.clock.cancelTimer(`${slot.id}:${name}`),
    };
  }

  private submitOrder(slot: Slot, intent: OrderIntent): ClientOrderId {
    const now = this.clock.now();
    const id = makeClientOrderId(slot.id, now, ++slot.sequence);
    const type = intent.type ?? (intent.price === undefined ? 'market' : 'limit');
    const request: { -readonly [K in keyof OrderRequest]: OrderRequest[K] } = {
      clientOrderId: id,
      strategyId: slot.id,
      instrumentId: intent.instrumentId,
      side: intent.side,
      type,
      quantity: intent.quantity,
      timeInForce: intent.timeInForce ?? 'GTC',
      reduceOnly: intent.reduceOnly ?? false,
      tsInit: now,
    };
    if (intent.price !== undefined) request.price = intent.price;
    if (intent.triggerPrice !== undefined) request.triggerPrice = intent.triggerPrice;
    if (intent.smartRoute) request.smartRoute = true;
    if (this.originTs > 0) request.tsOrigin = this.originTs;
    const order: MutableStrategyOrder = {
      clientOrderId: id,
      instrumentId: intent.instrumentId,
      side: intent.side,
      type,
      quantity: intent.quantity,
      price: intent.price,
      status: 'INITIALIZED',
      filledQuantity: 0,
    };
    slot.orders.set(id, order);
    slot.open.set(id, order);
    if (slot.closed?.due(now))
      slot.closed.drain(now, (closedId) => {
        const closed = slot.orders.get(closedId);
        if (closed && isTerminal(closed.status)) slot.orders.delete(closedId);
        return true;
      });
    slot.submitted++;
    this.bus.publish(Streams.ordersIncoming, { type: 'submit_order', order: request, tsInit: now });
    return id;
  }

  /** After a status change: a closed order leaves the open ones (and, with retention, memory later). */
  private settle(slot: Slot, order: MutableStrategyOrder): void {
    if (!isTerminal(order.status) || !slot.open.delete(order.clientOrderId)) return;
    slot.closed?.push(order.clientOrderId, this.clock.now());
  }

  private cancelOrder(slot: Slot, id: ClientOrderId): void {
    const order = slot.orders.get(id);
    if (!order || isTerminal(order.status)) return;
    this.bus.publish(Streams.ordersIncoming, {
      type: 'cancel_order',
      clientOrderId: id,
      strategyId: slot.id,
      instrumentId: order.instrumentId,
      tsInit: this.clock.now(),
    });
  }

  private modifyOrder(
    slot: Slot,
    id: ClientOrderId,
    change: { quantity?: number; price?: number; triggerPrice?: number },
  ): void {
    const order = slot.orders.get(id);
    if (!order || isTerminal(order.status)) return;
    this.bus.publish(Streams.ordersIncoming, {
      type: 'modify_order',
      clientOrderId: id,
      strategyId: slot.id,
      instrumentId: order.instrumentId,
      ...change,
      tsInit: this.clock.now(),
    });
  }
}

/** Mirrors the OMS's status in the strategy's own view of its order. */
function applyStatus(order: MutableStrategyOrder, event: OrderEvent): void {
  switch (event.type) {
    case 'order_denied':
      if (event.command === 'submit_order') order.status = 'DENIED';
      return;
    case 'order_submitted':
      order.status = 'SUBMITTED';
      return;
    case 'order_accepted':
      if (order.status === 'SUBMITTED' || order.status === 'INITIALIZED') order.status = 'ACCEPTED';
      return;
    case 'order_rejected':
      order.status = 'REJECTED';
      return;
    case 'order_triggered':
      order.status = 'TRIGGERED';
      return;
    case 'order_pending_cancel':
      order.status = 'PENDING_CANCEL';
      return;
    case 'order_pending_update':
      order.status = 'PENDING_UPDATE';
      return;
    case 'order_modified':
      order.quantity = event.quantity;
      order.price = event.price;
      order.status = order.filledQuantity > 0 ? 'PARTIALLY_FILLED' : 'ACCEPTED';
      return;
    case 'order_modify_rejected':
    case 'order_cancel_rejected':
      if (order.status === 'PENDING_CANCEL' || order.status === 'PENDING_UPDATE')
        order.status = order.filledQuantity > 0 ? 'PARTIALLY_FILLED' : 'ACCEPTED';
      return;
    case 'order_canceled':
      order.status = 'CANCELED';
      return;
    case 'order_expired':
      order.status = 'EXPIRED';
      return;
    case 'order_filled':
      // Fills arrive on the fills stream; the orders.events copy only confirms the status.
      return;
  }
}
