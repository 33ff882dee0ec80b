// Commands (imperative) and events (past tense) that travel on the bus. Every message is readonly and
// carries `tsInit` (when the platform created it) and events also `tsEvent` (when it happened).

import type {
  ClientOrderId,
  InstrumentId,
  StrategyId,
  TradeId,
  VenueId,
  VenueOrderId,
} from './identifiers.ts';
import type { OrderRequest, OrderSide } from './order.ts';

// ---- commands: orders.incoming (from strategies) and orders.validated (after risk) ----

export interface SubmitOrder {
  readonly type: 'submit_order';
  readonly order: OrderRequest;
  readonly tsInit: number;
}

export interface CancelOrder {
  readonly type: 'cancel_order';
  readonly clientOrderId: ClientOrderId;
  readonly strategyId: StrategyId;
  readonly instrumentId: InstrumentId;
  readonly tsInit: number;
}

export interface ModifyOrder {
  readonly type: 'modify_order';
  readonly clientOrderId: ClientOrderId;
  readonly strategyId: StrategyId;
  readonly instrumentId: InstrumentId;
  readonly quantity?: number;
  readonly price?: number;
  readonly triggerPrice?: number;
  readonly tsInit: number;
}

export type TradingCommand = SubmitOrder | CancelOrder | ModifyOrder;

// ---- events: orders.rejected, orders.events, fills ----

interface OrderEventBase {
  readonly clientOrderId: ClientOrderId;
  readonly strategyId: StrategyId;
  readonly instrumentId: InstrumentId;
  readonly tsEvent: number;
  readonly tsInit: number;
}

/** Refused by pre-trade risk: never left the platform. Published on `orders.rejected`. */
export interface OrderDenied extends OrderEventBase {
  readonly type: 'order_denied';
  /** The command that was denied (a submit, or a cancel/modify of an unknown order). */
  readonly command: TradingCommand['type'];
  readonly reason: string;
  readonly message: string;
}

export interface OrderSubmitted extends OrderEventBase {
  readonly type: 'order_submitted';
  readonly venue: VenueId;
}

export interface OrderAccepted extends OrderEventBase {
  readonly type: 'order_accepted';
  readonly venue: VenueId;
  readonly venueOrderId: VenueOrderId;
}

/** Refused by the venue. */
export interface OrderRejected extends OrderEventBase {
  readonly type: 'order_rejected';
  readonly venue: VenueId;
  readonly reason: string;
  readonly message: string;
}

export interface OrderTriggered extends OrderEventBase {
  readonly type: 'order_triggered';
}

export interface OrderPendingCancel extends OrderEventBase {
  readonly type: 'order_pending_cancel';
}

export interface OrderPendingUpdate extends OrderEventBase {
  readonly type: 'order_pending_update';
}

export interface OrderModified extends OrderEventBase {
  readonly type: 'order_modified';
  readonly quantity: number;
  readonly price: number | undefined;
  readonly triggerPrice: number | undefined;
}

export interface OrderModifyRejected extends OrderEventBase {
  readonly type: 'order_modify_rejected';
  readonly reason: string;
  readonly message: string;
}

export interface OrderCancelRejected extends OrderEventBase {
  readonly type: 'order_cancel_rejected';
  readonly reason: string;
  readonly message: string;
}

export interface OrderCanceled extends OrderEventBase {
  readonly type: 'order_canceled';
  readonly reason: string;
}

export interface OrderExpired extends OrderEventBase {
  readonly type: 'order_expired';
}

/** An execution. `tradeId` is unique per venue: the idempotency key for every consumer. */
export interface OrderFilled extends OrderEventBase {
  readonly type: 'order_filled';
  readonly venue: VenueId;
  readonly venueOrderId: VenueOrderId;
  readonly tradeId: TradeId;
  readonly side: OrderSide;
  readonly lastQuantity: number;
  readonly lastPrice: number;
  /** Fee charged for this execution, in `feeCurrency` (positive = paid). */
  readonly fee: number;
  readonly feeCurrency: string;
  readonly liquidity: 'maker' | 'taker';
  /** Remaining quantity after this fill (0 when complete). */
  readonly leavesQuantity: number;
}

export type OrderEvent =
  | OrderDenied
  | OrderSubmitted
  | OrderAccepted
  | OrderRejected
  | OrderTriggered
  | OrderPendingCancel
  | OrderPendingUpdate
  | OrderModified
  | OrderModifyRejected
  | OrderCancelRejected
  | OrderCanceled
  | OrderExpired
  | OrderFilled;

// ---- alerts ----

export type AlertSeverity = 'info' | 'warning' | 'critical';

export interface Alert {
  readonly type: 'alert';
  readonly severity: AlertSeverity;
  /** A reason code from the catalogue (common/errors.ts). */
  readonly code: string;
  readonly source: string;
  readonly message: string;
  readonly tsEvent: number;
}
