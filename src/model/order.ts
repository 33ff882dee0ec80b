// Orders: types, time in force, and the state machine every component agrees on.

import type { ClientOrderId, InstrumentId, StrategyId, VenueId, VenueOrderId } from './identifiers.ts';

export type OrderSide = 'buy' | 'sell';
export type OrderType = 'market' | 'limit' | 'stop' | 'stop_limit';
export type TimeInForce = 'DAY' | 'GTC' | 'IOC' | 'FOK';

/**
 * INITIALIZED: built by a strategy, not yet judged by risk.
 * DENIED: refused by pre-trade risk (never left the platform).
 * SUBMITTED: sent to the venue, outcome unknown (in flight). Only the venue's word moves it on.
 * ACCEPTED: resting at the venue.
 * TRIGGERED: a stop / stop-limit whose trigger price was reached.
 * PENDING_UPDATE / PENDING_CANCEL: a modify / cancel is in flight.
 * PARTIALLY_FILLED, FILLED, CANCELED, EXPIRED, REJECTED (by the venue).
 */
export type OrderStatus =
  | 'INITIALIZED'
  | 'DENIED'
  | 'SUBMITTED'
  | 'ACCEPTED'
  | 'REJECTED'
  | 'TRIGGERED'
  | 'PENDING_UPDATE'
  | 'PENDING_CANCEL'
  | 'PARTIALLY_FILLED'
  | 'FILLED'
  | 'CANCELED'
  | 'EXPIRED';

/** What happens to an order: the inputs of the state machine. */
export type OrderTransition =
  | 'deny'
  | 'submit'
  | 'accept'
  | 'reject'
  | 'trigger'
  | 'request_modify'
  | 'modified'
  | 'modify_rejected'
  | 'request_cancel'
  | 'cancel_rejected'
  | 'cancel'
  | 'expire'
  | 'partial_fill'
  | 'fill';

const OPEN_AT_VENUE = ['ACCEPTED', 'TRIGGERED', 'PARTIALLY_FILLED'] as const;

/**
 * The legal transitions. Anything not listed is illegal and leaves the order unchanged.
 * A fill may arrive while a cancel or modify is in flight (the venue filled first): the order stays pending
 * and the caller moves the state to return to (`previous`) forward. A cancel or fill may settle an order still
 * SUBMITTED (the acknowledgement was lost).
 * PENDING_UPDATE/PENDING_CANCEL with `modify_rejected`/`cancel_rejected`/`modified` return to the state before
 * the request, which the caller passes as `previous`.
 */
const TABLE: Readonly<Record<OrderStatus, Partial<Record<OrderTransition, OrderStatus | 'previous'>>>> = {
  INITIALIZED: { deny: 'DENIED', submit: 'SUBMITTED' },
  DENIED: {},
  SUBMITTED: {
    accept: 'ACCEPTED',
    reject: 'REJECTED',
    cancel: 'CANCELED',
    expire: 'EXPIRED',
    trigger: 'TRIGGERED',
    partial_fill: 'PARTIALLY_FILLED',
    fill: 'FILLED',
    request_cancel: 'PENDING_CANCEL',
  },
  ACCEPTED: {
    trigger: 'TRIGGERED',
    request_modify: 'PENDING_UPDATE',
    request_cancel: 'PENDING_CANCEL',
    cancel: 'CANCELED',
    expire: 'EXPIRED',
    partial_fill: 'PARTIALLY_FILLED',
    fill: 'FILLED',
  },
  TRIGGERED: {
    request_modify: 'PENDING_UPDATE',
    request_cancel: 'PENDING_CANCEL',
    cancel: 'CANCELED',
    expire: 'EXPIRED',
    partial_fill: 'PARTIALLY_FILLED',
    fill: 'FILLED',
  },
  PENDING_UPDATE: {
    modified: 'previous',
    modify_rejected: 'previous',
    request_cancel: 'PENDING_CANCEL',
    cancel: 'CANCELED',
    expire: 'EXPIRED',
    trigger: 'PENDING_UPDATE',
    partial_fill: 'PENDING_UPDATE',
    fill: 'FILLED',
  },
  PENDING_CANCEL: {
    cancel_rejected: 'previous',
    cancel: 'CANCELED',
    expire: 'EXPIRED',
    partial_fill: 'PENDING_CANCEL',
    fill: 'FILLED',
  },
  PARTIALLY_FILLED: {
    request_modify: 'PENDING_UPDATE',
    request_cancel: 'PENDING_CANCEL',
    cancel: 'CANCELED',
    expire: 'EXPIRED',
    partial_fill: 'PARTIALLY_FILLED',
    fill: 'FILLED',
  },
  REJECTED: {},
  FILLED: {},
  CANCELED: {},
  EXPIRED: {},
};

export const ORDER_STATUSES = Object.keys(TABLE) as readonly OrderStatus[];
export const ORDER_TRANSITIONS: readonly OrderTransition[] = [
  'deny',
  'submit',
  'accept',
  'reject',
  'trigger',
  'request_modify',
  'modified',
  'modify_rejected',
  'request_cancel',
  'cancel_rejected',
  'cancel',
  'expire',
  'partial_fill',
  'fill',
];

/**
 * Next status after `transition`, or undefined if illegal. `previous` is the status before a pending
 * request; it is required to leave PENDING_UPDATE / PENDING_CANCEL by `modified`/`*_rejected`.
 */
export function nextStatus(
  status: OrderStatus,
  transition: OrderTransition,
  previous?: OrderStatus,
): OrderStatus | undefined {
  const target = TABLE[status][transition];
  if (target === undefined) return undefined;
  if (target === 'previous') return previous ?? 'ACCEPTED';
  return target;
}

export function isTerminal(status: OrderStatus): boolean {
  return (
    status === 'FILLED' ||
    status === 'CANCELED' ||
    status === 'EXPIRED' ||
    status === 'REJECTED' ||
    status === 'DENIED'
  );
}

/** Open: may still fill. In-flight orders count as open (unknown is not rejected). */
export function isOpen(status: OrderStatus): boolean {
  return !isTerminal(status) && status !== 'INITIALIZED';
}

export function isOpenAtVenue(status: OrderStatus): boolean {
  return (OPEN_AT_VENUE as readonly OrderStatus[]).includes(status);
}

/** What a strategy asks for. Immutable once built. */
export interface OrderRequest {
  readonly clientOrderId: ClientOrderId;
  readonly strategyId: StrategyId;
  readonly instrumentId: InstrumentId;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly quantity: number;
  /** Limit price (limit, stop_limit). */
  readonly price?: number;
  /** Trigger price (stop, stop_limit). */
  readonly triggerPrice?: number;
  readonly timeInForce: TimeInForce;
  /** Only orders that shrink the position. */
  readonly reduceOnly: boolean;
  /** Let the router pick the venue (among the symbol's instruments) by expected cost. */
  readonly smartRoute?: boolean;
  /** tsInit of the market-data message that led to the decision (for tick → ack latency). */
  readonly tsOrigin?: number;
  readonly tsInit: number;
}

/** The OMS's record of an order: the request plus what the venue said. */
export interface Order {
  readonly request: OrderRequest;
  status: OrderStatus;
  /** Status before a pending cancel/modify, to return to when the venue refuses it. */
  statusBeforePending: OrderStatus | undefined;
  venue: VenueId | undefined;
  venueOrderId: VenueOrderId | undefined;
  quantity: number;
  price: number | undefined;
  triggerPrice: number | undefined;
  filledQuantity: number;
  averageFillPrice: number;
  lastReason: string | undefined;
  tsLast: number;
}

export function sideSign(side: OrderSide): 1 | -1 {
  return side === 'buy' ? 1 : -1;
}

export function oppositeSide(side: OrderSide): OrderSide {
  return side === 'buy' ? 'sell' : 'buy';
}
