// The hedger: flattening orders computed from the ledger's positions (all strategies or one), and delta hedges of
// options books, published as SubmitOrder commands on orders.incoming so they pass pre-trade risk like every order.
//
// Boundary (group 'hedger'): publishes orders.incoming (submits, cancels of the scope's open orders), alerts;
// subscribes orders.rejected, orders.events, fills (to follow its own orders), greeks.live (deltas). Reads the book.
//
// Orders: reduce-only, IOC, and by default a marketable limit priced `protectionBps` through the mark (sell at
// mark × (1 − bps), rounded down to the tick; buy at mark × (1 + bps), rounded up). A limit bounds the slippage a
// flatten accepts in a crash; what the book cannot take at that price is canceled by the venue and retried on the
// next pass against fresh quotes. `orderType: market` sends IOC market orders instead.
//
// Risk with the kill switch on passes only reduce-only orders that shrink the firm-wide position of the instrument
// (src/risk/engine.ts: `killSwitch && !(reduceOnly && reducing)` denies). So the plan allocates, per instrument,
// at most the firm position, to the strategies positioned on the same side as the firm (in strategy order); a
// strategy position offset by another strategy's opposite one is reported as netted, not traded: the firm is flat
// there, and closing one side alone would grow the firm position again.
//
// Passes: one order per strategy and instrument per pass (risk denies a second identical open order as a
// duplicate), sliced to the per-order quantity and notional limits of risk.yaml; each pass waits until its orders
// are filled, canceled, rejected or denied, then the next pass re-plans from the ledger. It stops when nothing is
// left to trade, after a pass that filled nothing, or after maxPasses.

import type { Bus, Subscription } from '../../common/bus.ts';
import type { Clock } from '../../common/clock.ts';
import type { Logger } from '../../common/logging.ts';
import type { Registry } from '../../common/registry.ts';
import { Streams } from '../../common/topics.ts';
import {
  quantize,
  type ClientOrderId,
  type Instrument,
  type InstrumentId,
  type OptionGreeks,
  type OrderDenied,
  type OrderEvent,
  type OrderFilled,
  type OrderSide,
  type StrategyId,
  type SubmitOrder,
} from '../../model/index.ts';
import type { RiskConfig } from '../../risk/index.ts';
import type { BookPosition, BookView } from './book.ts';
import type { HedgerConfig } from './config.ts';

export interface HedgeOrderPlan {
  readonly strategyId: string;
  readonly instrumentId: InstrumentId;
  readonly side: OrderSide;
  readonly quantity: number;
  readonly type: 'limit' | 'market';
  /** Limit price of a marketable limit. */
  readonly price?: number;
  readonly reduceOnly: boolean;
}

/** A position the plan does not trade, and why. */
export interface UntradedPosition {
  readonly strategyId: string;
  readonly instrumentId: InstrumentId;
  readonly quantity: number;
  readonly reason: string;
}

export interface HedgePlan {
  readonly orders: readonly HedgeOrderPlan[];
  /** Offset by other strategies' opposite positions: the firm is flat there (or flatter than this strategy). */
  readonly netted: readonly UntradedPosition[];
  /** Not tradable now: no mark for a limit price, not in the registry, options without greeks. */
  readonly skipped: readonly UntradedPosition[];
}

export type HedgeOrderStatus =
  'filled' | 'partially_filled' | 'canceled' | 'denied' | 'rejected' | 'expired' | 'working';

export interface HedgeOrderOutcome extends HedgeOrderPlan {
  readonly clientOrderId: ClientOrderId;
  readonly pass: number;
  readonly status: HedgeOrderStatus;
  readonly filledQuantity: number;
  /** Average fill price; undefined without fills. */
  readonly averagePrice: number | undefined;
  /** Reason code of a denial, rejection or cancel. */
  readonly reason: string | undefined;
}

export interface HedgeResult {
  readonly mode: 'flatten' | 'delta';
  /** `all`, or the strategy id. */
  readonly scope: string;
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly passes: number;
  /** Open orders of the scope canceled before trading. */
  readonly canceled: number;
  readonly orders: readonly HedgeOrderOutcome[];
  readonly netted: readonly UntradedPosition[];
  readonly skipped: readonly UntradedPosition[];
  /** The scope's non-zero strategy positions afterwards. */
  readonly residual: readonly {
    readonly strategyId: string;
    readonly instrumentId: InstrumentId;
    readonly quantity: number;
  }[];
  /** Flatten of all: every firm position touched is zero. Of one strategy: its positions are zero. Delta: all hedges filled. */
  readonly complete: boolean;
}

export interface HedgeRequest {
  /** One strategy; all when absent. */
  readonly strategy?: string;
}

export interface HedgerStats {
  readonly runs: number;
  readonly ordersSubmitted: number;
  readonly ordersFilled: number;
  readonly cancelsSent: number;
  /** Outcomes other than filled, by reason code. */
  readonly notFilled: Readonly<Record<string, number>>;
  readonly lastResult:
    { readonly scope: string; readonly complete: boolean; readonly finishedAt: number } | undefined;
}

export interface Hedger {
  stop(): void;
  stats(): HedgerStats;
  /** The orders a flatten would send now (one pass), without sending them. */
  plan(request?: HedgeRequest): HedgePlan;
  flatten(request?: HedgeRequest): Promise<HedgeResult>;
  /** One pass of delta hedges of the options books (per strategy and underlying). */
  deltaHedge(request?: HedgeRequest): Promise<HedgeResult>;
}

export interface HedgerOptions {
  readonly book: BookView;
  readonly registry: Registry;
  /** Largest quantity one order may carry at a price (see riskOrderLimit); unbounded when absent. */
  readonly maxOrderQuantity?: (instrument: Instrument, price: number) => number;
  readonly group?: string;
}

// ---- planning (pure) ----

interface PlanInput {
  readonly positions: readonly BookPosition[];
  readonly firmQuantity: (id: InstrumentId) => number;
  readonly instrument: (id: InstrumentId) => Instrument | undefined;
  readonly mark: (id: InstrumentId) => number | undefined;
  readonly config: Pick<HedgerConfig, 'orderType' | 'protectionBps'>;
  readonly maxOrderQuantity?: (instrument: Instrument, price: number) => number;
}

const BP = 10_000;

/** One pass of flattening orders for the positions given (already limited to the scope). */
export function planFlatten(input: PlanInput): HedgePlan {
  const orders: HedgeOrderPlan[] = [];
  const netted: UntradedPosition[] = [];
  const skipped: UntradedPosition[] = [];
  const byInstrument = new Map<InstrumentId, BookPosition[]>();
  for (const p of input.positions) {
    if (p.quantity === 0) continue;
    const list = byInstrument.get(p.instrumentId) ?? [];
    list.push(p);
    byInstrument.set(p.instrumentId, list);
  }
  for (const id of [...byInstrument.keys()].sort()) {
    const positions = (byInstrument.get(id) as BookPosition[]).sort((a, b) =>
      a.strategyId < b.strategyId ? -1 : 1,
    );
    const instrument = input.instrument(id);
    if (!instrument) {
      for (const p of positions) skipped.push(untraded(p, p.quantity, 'instrument not in the registry'));
      continue;
    }
    const tolerance = instrument.lotSize * 1e-6;
    const firm = input.firmQuantity(id);
    const sign = firm > tolerance ? 1 : firm < -tolerance ? -1 : 0;
    let price: number | undefined;
    if (sign !== 0) {
      const mark = input.mark(id);
      if (input.config.orderType === 'limit') {
        if (mark === undefined || !(mark > 0)) {
          for (const p of positions)
            skipped.push(untraded(p, p.quantity, 'no mark price for a marketable limit'));
          continue;
        }
        price = marketableLimit(instrument, sign > 0 ? 'sell' : 'buy', mark, input.config.protectionBps);
      } else if (mark !== undefined) price = mark;
    }
    let remaining = Math.abs(firm);
    for (const p of positions) {
      if (Math.sign(p.quantity) !== sign) {
        netted.push(
          untraded(p, p.quantity, sign === 0 ? 'firm position is flat' : 'opposite to the firm position'),
        );
        continue;
      }
      let quantity = floorToLot(Math.min(Math.abs(p.quantity), remaining), instrument);
      const left = Math.abs(p.quantity) - quantity;
      if (left > tolerance)
        netted.push(
          untraded(p, sign * left, 'beyond the firm position (other strategies hold the opposite side)'),
        );
      if (quantity <= tolerance) continue;
      remaining -= quantity;
      const limit =
        price !== undefined && input.maxOrderQuantity ? input.maxOrderQuantity(instrument, price) : Infinity;
      if (limit < quantity) quantity = floorToLot(limit, instrument);
      if (quantity <= tolerance) {
        skipped.push(untraded(p, p.quantity, 'the per-order risk limit is below one lot'));
        continue;
      }
      orders.push({
        strategyId: p.strategyId,
        instrumentId: id,
        side: sign > 0 ? 'sell' : 'buy',
        quantity,
        type: input.config.orderType,
        ...(input.config.orderType === 'limit' && price !== undefined ? { price } : {}),
        reduceOnly: true,
      });
    }
  }
  return { orders, netted, skipped };
}

/**
 * Delta hedges of the options books: per strategy and underlying on which it holds options, the net delta
 * (Σ option quantity × multiplier × delta, plus its position in the underlying) is offset in the underlying,
 * rounded to the lot. Reduce-only when the order shrinks the firm's underlying position.
 */
export function planDeltaHedge(
  input: PlanInput & { readonly greeks: (id: InstrumentId) => OptionGreeks | undefined },
): HedgePlan {
  const orders: HedgeOrderPlan[] = [];
  const skipped: UntradedPosition[] = [];
  const books = new Map<string, { strategyId: string; underlying: InstrumentId; delta: number }>();
  for (const p of input.positions) {
    if (p.quantity === 0) continue;
    const instrument = input.instrument(p.instrumentId);
    if (instrument?.assetClass !== 'option') continue;
    const g = input.greeks(p.instrumentId);
    if (!g) {
      skipped.push(untraded(p, p.quantity, 'no greeks for the option'));
      continue;
    }
    const key = `${p.strategyId}\u0000${g.underlyingId}`;
    const book = books.get(key) ?? { strategyId: p.strategyId, underlying: g.underlyingId, delta: 0 };
    book.delta += p.quantity * instrument.multiplier * g.delta;
    books.set(key, book);
  }
  for (const book of [...books.values()].sort((a, b) =>
    a.strategyId + a.underlying < b.strategyId + b.underlying ? -1 : 1,
  )) {
    const underlying = input.instrument(book.underlying);
    const held = input.positions.find(
      (p) => p.strategyId === book.strategyId && p.instrumentId === book.underlying,
    );
    const position: BookPosition = held ?? {
      strategyId: book.strategyId,
      instrumentId: book.underlying,
      currency: '',
      quantity: 0,
      averagePrice: 0,
      realized: 0,
      fees: 0,
      mark: undefined,
      unrealized: 0,
    };
    if (!underlying) {
      skipped.push(untraded(position, book.delta, 'underlying not in the registry'));
      continue;
    }
    const delta = book.delta + position.quantity * underlying.multiplier;
    const quantity = roundToLot(Math.abs(delta) / underlying.multiplier, underlying);
    if (quantity < underlying.lotSize * (1 - 1e-6)) continue;
    const side: OrderSide = delta > 0 ? 'sell' : 'buy';
    const mark = input.mark(book.underlying);
    if (input.config.orderType === 'limit' && (mark === undefined || !(mark > 0))) {
      skipped.push(untraded(position, delta, 'no mark price for a marketable limit'));
      continue;
    }
    const firm = input.firmQuantity(book.underlying);
    const reduces =
      side === 'sell' ? firm > 0 && quantity <= firm + 1e-9 : firm < 0 && quantity <= -firm + 1e-9;
    orders.push({
      strategyId: book.strategyId,
      instrumentId: book.underlying,
      side,
      quantity,
      type: input.config.orderType,
      ...(input.config.orderType === 'limit' && mark !== undefined
        ? { price: marketableLimit(underlying, side, mark, input.config.protectionBps) }
        : {}),
      reduceOnly: reduces,
    });
  }
  return { orders, netted: [], skipped };
}

/** A limit `bps` through the mark, on the tick grid, rounded away from the market (so it stays marketable). */
export function marketableLimit(instrument: Instrument, side: OrderSide, mark: number, bps: number): number {
  const tick = instrument.tickSize;
  const raw = side === 'sell' ? mark * (1 - bps / BP) : mark * (1 + bps / BP);
  const ticks = side === 'sell' ? Math.floor(raw / tick + 1e-9) : Math.ceil(raw / tick - 1e-9);
  return quantize(Math.max(ticks, 1) * tick, instrument.priceDecimals);
}

function floorToLot(quantity: number, instrument: Instrument): number {
  if (!Number.isFinite(quantity)) return quantity;
  return quantize(
    Math.floor(quantity / instrument.lotSize + 1e-9) * instrument.lotSize,
    instrument.quantityDecimals,
  );
}

function roundToLot(quantity: number, instrument: Instrument): number {
  return quantize(
    Math.round(quantity / instrument.lotSize) * instrument.lotSize,
    instrument.quantityDecimals,
  );
}

function untraded(p: BookPosition, quantity: number, reason: string): UntradedPosition {
  return { strategyId: p.strategyId, instrumentId: p.instrumentId, quantity, reason };
}

/**
 * The per-order cap of risk.yaml at a price: the instrument's maxOrderQuantity, and the quantity whose notional
 * (quantity × price × multiplier × FX rate to the base currency) stays within maxNotional.
 */
export function riskOrderLimit(risk: RiskConfig): (instrument: Instrument, price: number) => number {
  return (instrument, price) => {
    const byId = risk.instruments[instrument.id];
    const bySymbol = risk.instruments[instrument.symbol];
    const defaults = risk.instrumentDefaults;
    const maxQuantity = byId?.maxOrderQuantity ?? bySymbol?.maxOrderQuantity ?? defaults.maxOrderQuantity;
    const maxNotional = byId?.maxNotional ?? bySymbol?.maxNotional ?? defaults.maxNotional;
    const rate = instrument.currency === risk.baseCurrency ? 1 : (risk.fxRates[instrument.currency] ?? 1);
    const unitValue = price * instrument.multiplier * rate;
    return Math.min(maxQuantity, unitValue > 0 ? maxNotional / unitValue : Infinity);
  };
}

// ---- execution ----

interface Tracker {
  readonly plan: HedgeOrderPlan;
  readonly clientOrderId: ClientOrderId;
  readonly pass: number;
  status: HedgeOrderStatus;
  filled: number;
  notional: number;
  reason: string | undefined;
  readonly trades: Set<string>;
}

const TERMINAL: ReadonlySet<HedgeOrderStatus> = new Set([
  'filled',
  'canceled',
  'denied',
  'rejected',
  'expired',
]);

export function startHedger(
  bus: Bus,
  clock: Clock,
  config: HedgerConfig,
  logger: Logger,
  options: HedgerOptions,
): Hedger {
  const log = logger.child('hedger');
  const group = options.group ?? 'hedger';
  const book = options.book;
  const tracked = new Map<string, Tracker>();
  const greeks = new Map<InstrumentId, OptionGreeks>();
  const waiters = new Set<() => void>();
  const notFilled: Record<string, number> = {};
  let sequence = 0;
  let runs = 0;
  let ordersSubmitted = 0;
  let ordersFilled = 0;
  let cancelsSent = 0;
  let lastResult: HedgerStats['lastResult'];
  let queue: Promise<unknown> = Promise.resolve();

  const settle = (tracker: Tracker, status: HedgeOrderStatus, reason?: string): void => {
    if (TERMINAL.has(tracker.status)) return;
    tracker.status = status;
    if (reason !== undefined) tracker.reason = reason;
    if (TERMINAL.has(status)) for (const wake of waiters) wake();
  };

  const onDenied = (denial: OrderDenied): void => {
    if (tracked.size === 0) return;
    const tracker = tracked.get(denial.clientOrderId);
    if (tracker) settle(tracker, 'denied', denial.reason);
  };

  const onFill = (fill: OrderFilled): void => {
    if (tracked.size === 0) return;
    const tracker = tracked.get(fill.clientOrderId);
    if (!tracker) return;
    const key = `${fill.venue}:${fill.tradeId}`;
    if (tracker.trades.has(key)) return;
    tracker.trades.add(key);
    tracker.filled = quantize(tracker.filled + fill.lastQuantity, 9);
    tracker.notional += fill.lastQuantity * fill.lastPrice;
    if (fill.leavesQuantity <= 0) settle(tracker, 'filled');
    else if (tracker.status === 'working') tracker.status = 'partially_filled';
  };

  const onEvent = (event: OrderEvent): void => {
    if (tracked.size === 0) return;
    const tracker = tracked.get(event.clientOrderId);
    if (!tracker) return;
    switch (event.type) {
      case 'order_filled':
        onFill(event);
        return;
      case 'order_rejected':
        settle(tracker, 'rejected', event.reason);
        return;
      case 'order_canceled':
        settle(tracker, 'canceled', event.reason);
        return;
      case 'order_expired':
        settle(tracker, 'expired');
        return;
      case 'order_denied':
        settle(tracker, 'denied', event.reason);
        return;
      case 'order_submitted':
      case 'order_accepted':
      case 'order_triggered':
      case 'order_pending_cancel':
      case 'order_pending_update':
      case 'order_modified':
      case 'order_modify_rejected':
      case 'order_cancel_rejected':
        return;
    }
  };

  const subscriptions: Subscription[] = [
    bus.subscribe(Streams.ordersRejected, group, onDenied),
    bus.subscribe(Streams.ordersEvents, group, onEvent),
    bus.subscribe(Streams.fills, group, onFill),
    bus.subscribe(Streams.greeks, group, (g) => {
      if (typeof g === 'object' && g !== null && typeof g.instrumentId === 'string')
        greeks.set(g.instrumentId, g);
    }),
  ];

  /** Resolves when `done()` holds (checked on every settled order) or after `ms` of wall time. */
  const waitUntil = (done: () => boolean, ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (done()) {
        resolve();
        return;
      }
      const finish = (): void => {
        clearTimeout(timer);
        clearInterval(poll);
        waiters.delete(check);
        resolve();
      };
      const check = (): void => {
        if (done()) finish();
      };
      // Wall time on purpose: the orders travel through other components (and processes), not the trading clock.
      const timer = setTimeout(finish, ms);
      const poll = setInterval(check, 20);
      timer.unref();
      poll.unref();
      waiters.add(check);
    });

  const inScope = (request: HedgeRequest) => (strategyId: string) =>
    request.strategy === undefined || strategyId === request.strategy;

  const planInput = (request: HedgeRequest): PlanInput => ({
    positions: book.strategyPositions(request.strategy),
    firmQuantity: (id) => book.firmQuantity(id),
    instrument: (id) => options.registry.instruments.get(id),
    mark: (id) => book.mark(id),
    config,
    ...(options.maxOrderQuantity ? { maxOrderQuantity: options.maxOrderQuantity } : {}),
  });

  const submit = (plan: HedgeOrderPlan, pass: number): Tracker => {
    const now = clock.now();
    const clientOrderId =
      `${plan.strategyId}-hedge-${Math.floor(now).toString(36)}-${++sequence}` as ClientOrderId;
    const tracker: Tracker = {
      plan,
      clientOrderId,
      pass,
      status: 'working',
      filled: 0,
      notional: 0,
      reason: undefined,
      trades: new Set(),
    };
    tracked.set(clientOrderId, tracker);
    ordersSubmitted++;
    const command: SubmitOrder = {
      type: 'submit_order',
      order: {
        clientOrderId,
        strategyId: plan.strategyId as StrategyId,
        instrumentId: plan.instrumentId,
        side: plan.side,
        type: plan.type,
        quantity: plan.quantity,
        ...(plan.price !== undefined ? { price: plan.price } : {}),
        timeInForce: 'IOC',
        reduceOnly: plan.reduceOnly,
        tsInit: now,
      },
      tsInit: now,
    };
    log.info('hedge order', { clientOrderId, ...plan });
    bus.publish(Streams.ordersIncoming, command);
    return tracker;
  };

  const cancelOpen = async (request: HedgeRequest): Promise<number> => {
    const list = book.openOrders;
    if (!config.cancelOpenOrders || !list) return 0;
    const scope = inScope(request);
    const open = list().filter((o) => scope(o.strategyId));
    const now = clock.now();
    for (const o of open) {
      cancelsSent++;
      bus.publish(Streams.ordersIncoming, {
        type: 'cancel_order',
        clientOrderId: o.clientOrderId,
        strategyId: o.strategyId as StrategyId,
        instrumentId: o.instrumentId,
        tsInit: now,
      });
    }
    if (open.length > 0) {
      const ids = new Set<string>(open.map((o) => o.clientOrderId));
      await waitUntil(() => !list().some((o) => ids.has(o.clientOrderId)), config.settleMs);
    }
    return open.length;
  };

  const runPass = async (plan: HedgePlan, pass: number): Promise<Tracker[]> => {
    const trackers = plan.orders.map((o) => submit(o, pass));
    await waitUntil(() => trackers.every((t) => TERMINAL.has(t.status)), config.settleMs);
    return trackers;
  };

  const finish = (
    mode: HedgeResult['mode'],
    request: HedgeRequest,
    startedAt: number,
    passes: number,
    canceled: number,
    trackers: readonly Tracker[],
    last: HedgePlan,
  ): HedgeResult => {
    const scope = inScope(request);
    const residual = book
      .strategyPositions(request.strategy)
      .filter((p) => p.quantity !== 0 && scope(p.strategyId))
      .map((p) => ({ strategyId: p.strategyId, instrumentId: p.instrumentId, quantity: p.quantity }));
    const outcomes = trackers.map((t): HedgeOrderOutcome => {
      tracked.delete(t.clientOrderId);
      if (t.status === 'filled') ordersFilled++;
      else {
        const key = t.reason ?? t.status;
        notFilled[key] = (notFilled[key] ?? 0) + 1;
      }
      return {
        ...t.plan,
        clientOrderId: t.clientOrderId,
        pass: t.pass,
        // An IOC remainder canceled after some fills is a partial fill.
        status: t.status === 'canceled' && t.filled > 0 ? 'partially_filled' : t.status,
        filledQuantity: t.filled,
        averagePrice: t.filled > 0 ? t.notional / t.filled : undefined,
        reason: t.reason,
      };
    });
    let complete: boolean;
    if (mode === 'delta')
      complete = outcomes.every((o) => o.status === 'filled') && last.skipped.length === 0;
    else if (request.strategy !== undefined) complete = residual.length === 0;
    else {
      const touched = new Set<InstrumentId>(trackers.map((t) => t.plan.instrumentId));
      for (const p of residual) touched.add(p.instrumentId);
      complete = [...touched].every((id) => book.firmQuantity(id) === 0);
    }
    const result: HedgeResult = {
      mode,
      scope: request.strategy ?? 'all',
      startedAt,
      finishedAt: clock.now(),
      passes,
      canceled,
      orders: outcomes,
      netted: last.netted,
      skipped: last.skipped,
      residual,
      complete,
    };
    runs++;
    lastResult = { scope: result.scope, complete, finishedAt: result.finishedAt };
    if (!complete) {
      const message = `${mode} ${result.scope}: not complete after ${passes} pass(es); open: ${residual
        .map((p) => `${p.strategyId}/${p.instrumentId} ${p.quantity}`)
        .join(', ')}`;
      log.warn(message);
      bus.publish(Streams.alerts, {
        type: 'alert',
        severity: 'warning',
        code: 'HEDGE_NOT_FLAT',
        source: 'hedger',
        message,
        tsEvent: clock.now(),
      });
    }
    return result;
  };

  const runFlatten = async (request: HedgeRequest): Promise<HedgeResult> => {
    const startedAt = clock.now();
    const canceled = await cancelOpen(request);
    const trackers: Tracker[] = [];
    let passes = 0;
    while (passes < config.maxPasses) {
      const plan = planFlatten(planInput(request));
      if (plan.orders.length === 0) break;
      passes++;
      const done = await runPass(plan, passes);
      trackers.push(...done);
      if (!done.some((t) => t.filled > 0)) break;
      if (passes < config.maxPasses && config.passDelayMs > 0)
        await new Promise((resolve) => setTimeout(resolve, config.passDelayMs).unref());
    }
    // What is left untraded, as the book stands now.
    const left = planFlatten(planInput(request));
    return finish('flatten', request, startedAt, passes, canceled, trackers, left);
  };

  const runDelta = async (request: HedgeRequest): Promise<HedgeResult> => {
    const startedAt = clock.now();
    const plan = planDeltaHedge({ ...planInput(request), greeks: (id) => greeks.get(id) });
    const trackers = plan.orders.length > 0 ? await runPass(plan, 1) : [];
    return finish('delta', request, startedAt, plan.orders.length > 0 ? 1 : 0, 0, trackers, plan);
  };

  /** One hedge at a time: a second request starts when the first has finished. */
  const serialized = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };

  return {
    stop() {
      for (const s of subscriptions) s.unsubscribe();
      for (const wake of waiters) wake();
    },
    stats: () => ({
      runs,
      ordersSubmitted,
      ordersFilled,
      cancelsSent,
      notFilled: { ...notFilled },
      lastResult,
    }),
    plan: (request = {}) => planFlatten(planInput(request)),
    flatten: (request = {}) => serialized(() => runFlatten(request)),
    deltaHedge: (request = {}) => serialized(() => runDelta(request)),
  };
}
