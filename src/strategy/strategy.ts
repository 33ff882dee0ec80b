// The Strategy SDK: what a user subclasses. The same class runs in backtest, paper and live: it sees
// market data and its own order events, and acts only through its context (given by the runner).

import type { Clock } from '../common/clock.ts';
import type { Logger } from '../common/logging.ts';
import type {
  Bar,
  BookSnapshot,
  ClientOrderId,
  Instrument,
  InstrumentId,
  OrderEvent,
  OrderFilled,
  OrderSide,
  OrderStatus,
  OrderType,
  StrategyId,
  Tick,
  TimeInForce,
} from '../model/index.ts';

/** What a strategy passes to `submit`; the runner fills in ids and times. */
export interface OrderIntent {
  readonly instrumentId: InstrumentId;
  readonly side: OrderSide;
  readonly quantity: number;
  readonly type?: OrderType;
  readonly price?: number;
  readonly triggerPrice?: number;
  readonly timeInForce?: TimeInForce;
  readonly reduceOnly?: boolean;
  /** Let the router choose the venue by expected cost among the venues listing the symbol. */
  readonly smartRoute?: boolean;
}

/** A strategy's view of one of its orders. */
export interface StrategyOrder {
  readonly clientOrderId: ClientOrderId;
  readonly instrumentId: InstrumentId;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly quantity: number;
  readonly price: number | undefined;
  readonly status: OrderStatus;
  readonly filledQuantity: number;
}

export interface StrategyContext {
  readonly id: StrategyId;
  readonly clock: Clock;
  readonly log: Logger;
  instrument(id: InstrumentId): Instrument | undefined;
  /** Every instrument in the registry. */
  instruments(): readonly Instrument[];
  submit(intent: OrderIntent): ClientOrderId;
  cancel(clientOrderId: ClientOrderId): void;
  modify(
    clientOrderId: ClientOrderId,
    change: { quantity?: number; price?: number; triggerPrice?: number },
  ): void;
  /** Cancels every open order of this strategy (optionally for one instrument). */
  cancelAll(instrumentId?: InstrumentId): void;
  /** Net position of this strategy in the instrument (positive long, negative short). */
  position(instrumentId: InstrumentId): number;
  /** This strategy's orders that may still fill. */
  openOrders(instrumentId?: InstrumentId): readonly StrategyOrder[];
  order(clientOrderId: ClientOrderId): StrategyOrder | undefined;
  /** Last reference price seen for the instrument (mid, trade or close). */
  lastPrice(instrumentId: InstrumentId): number | undefined;
  /** This strategy's realized PnL plus cash flows, in the currency (from its own fills). */
  cashFlow(currency: string): number;
  setTimer(name: string, at: number, callback: () => void): void;
  cancelTimer(name: string): void;
}

export type StrategyParameters = Readonly<Record<string, unknown>>;

/**
 * Subclass this. Override the hooks you need; call `this.submit(...)`, `this.cancel(...)` and the queries.
 * `instruments` (optional): the instruments whose data this strategy receives; empty = all.
 */
export abstract class Strategy<P extends StrategyParameters = StrategyParameters> {
  private context: StrategyContext | undefined;

  constructor(
    readonly params: P,
    readonly instruments: readonly InstrumentId[] = [],
  ) {}

  /** Called by the runner before onStart. */
  attach(context: StrategyContext): void {
    this.context = context;
  }

  protected get ctx(): StrategyContext {
    if (!this.context) throw new Error('strategy used before the runner attached it');
    return this.context;
  }

  get id(): StrategyId {
    return this.ctx.id;
  }

  onStart(): void {}
  onTick(_tick: Tick): void {}
  onBar(_bar: Bar): void {}
  onBook(_book: BookSnapshot): void {}
  onFill(_fill: OrderFilled): void {}
  onOrderEvent(_event: OrderEvent): void {}
  onStop(): void {}

  protected submit(intent: OrderIntent): ClientOrderId {
    return this.ctx.submit(intent);
  }
  protected buy(instrumentId: InstrumentId, quantity: number, price?: number): ClientOrderId {
    return this.ctx.submit(
      price === undefined
        ? { instrumentId, side: 'buy', quantity }
        : { instrumentId, side: 'buy', quantity, type: 'limit', price },
    );
  }
  protected sell(instrumentId: InstrumentId, quantity: number, price?: number): ClientOrderId {
    return this.ctx.submit(
      price === undefined
        ? { instrumentId, side: 'sell', quantity }
        : { instrumentId, side: 'sell', quantity, type: 'limit', price },
    );
  }
  protected cancel(clientOrderId: ClientOrderId): void {
    this.ctx.cancel(clientOrderId);
  }
  protected modify(
    clientOrderId: ClientOrderId,
    change: { quantity?: number; price?: number; triggerPrice?: number },
  ): void {
    this.ctx.modify(clientOrderId, change);
  }
  protected position(instrumentId: InstrumentId): number {
    return this.ctx.position(instrumentId);
  }
  protected now(): number {
    return this.ctx.clock.now();
  }
}

/** A strategy module (built-in or user file) exports a class like this, as default or named export. */
export type StrategyClass = new (
  params: StrategyParameters,
  instruments?: readonly InstrumentId[],
) => Strategy;
