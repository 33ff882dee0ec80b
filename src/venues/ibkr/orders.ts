// What the IBKR adapter keeps per IB order and execution, and the checks made before anything is sent.

import type { ReasonCode } from '../../common/errors.ts';
import type {
  ClientOrderId,
  Instrument,
  InstrumentId,
  OrderRequest,
  OrderSide,
  OrderType,
  TimeInForce,
  VenueFillReport,
  VenueOrderReport,
} from '../../model/index.ts';
import type { VenueModify } from '../../oms/venue.ts';
import { isSupportedTimeInForce, type IbStatusClass } from './parsing.ts';

/** What the adapter knows of one IB order: ours (submitted here) or another client's (seen in queries). */
export interface TrackedOrder {
  readonly clientOrderId: ClientOrderId;
  /** Submitted through this adapter in this process. */
  readonly ours: boolean;
  /** IB order id (ours and our client id's); 0 for orders of other clients and of TWS itself. */
  orderId: number;
  /** IB client id that placed it (0: TWS by hand). */
  clientId: number;
  /** IB permanent id, stable across sessions; 0 until IB tells it. */
  permId: number;
  instrumentId: InstrumentId;
  instrument: Instrument | undefined;
  side: OrderSide;
  type: OrderType;
  timeInForce: TimeInForce;
  quantity: number;
  price: number | undefined;
  triggerPrice: number | undefined;
  /** queued: waiting in the pacer; sent: left, IB silent so far; known: IB has it; lost: never reached IB. */
  stage: 'queued' | 'sent' | 'known' | 'lost';
  /** Session counter when it was sent. */
  session: number;
  ibStatus: IbStatusClass;
  /** Filled quantity as IB states it (order status, completed order). */
  venueFilled: number;
  /** Quantity and value (price × quantity × multiplier) of the executions seen, for the fee model. */
  executed: number;
  executedValue: number;
  /** Quantity in fill events told, and waiting in the commission queue. */
  told: number;
  queued: number;
  accepted: boolean;
  rejected: boolean;
  /** A terminal event (or the last fill) was told: nothing more is told about it. */
  closed: boolean;
  cancelRequested: boolean;
  pendingModify: VenueModify | undefined;
  /** A cancel reason waiting for the fills IB counted to be told first. */
  heldCancel: string | undefined;
  lastError: { readonly reason: ReasonCode; readonly message: string } | undefined;
}

export interface ExecutionRecord {
  readonly execId: string;
  readonly order: TrackedOrder;
  readonly report: VenueFillReport;
  readonly liquidity: 'maker' | 'taker';
  fee: number;
  feeCurrency: string;
  feeKnown: boolean;
  /** Told (or to be told) as a fill event: executions of our client id. */
  readonly tell: boolean;
  told: boolean;
  /** Unix ms after which the fill is told with the estimated fee. */
  readonly deadline: number;
}

export function isOpenStatus(status: VenueOrderReport['status']): boolean {
  return (
    status === 'SUBMITTED' ||
    status === 'ACCEPTED' ||
    status === 'TRIGGERED' ||
    status === 'PARTIALLY_FILLED' ||
    status === 'PENDING_CANCEL' ||
    status === 'PENDING_UPDATE'
  );
}

/** A value for a rejection message, whatever its type. */
function show(value: unknown): string {
  return typeof value === 'number' || typeof value === 'string' ? String(value) : typeof value;
}

function positiveFinite(value: unknown): value is number {
  return typeof value === 'number' && value > 0 && Number.isFinite(value);
}

const ORDER_TYPES: ReadonlySet<string> = new Set(['market', 'limit', 'stop', 'stop_limit']);

/** What IB would refuse anyway, refused before it leaves: the first problem is the rejection. */
export function validateOrder(order: OrderRequest): readonly [ReasonCode, string] | undefined {
  const o = order as Partial<Record<keyof OrderRequest, unknown>>;
  if (typeof o.type !== 'string' || !ORDER_TYPES.has(o.type))
    return ['VENUE_UNSUPPORTED_ORDER', `order type ${show(o.type)} is not supported`];
  if (!isSupportedTimeInForce(o.timeInForce))
    return ['VENUE_UNSUPPORTED_ORDER', `time in force ${show(o.timeInForce)} is not supported`];
  if (o.side !== 'buy' && o.side !== 'sell')
    return ['VENUE_INVALID_ORDER', `side ${show(o.side)} is not buy or sell`];
  if (!positiveFinite(o.quantity))
    return ['VENUE_INVALID_ORDER', `quantity ${show(o.quantity)} is not positive`];
  if ((o.type === 'limit' || o.type === 'stop_limit') && !positiveFinite(o.price))
    return ['VENUE_INVALID_ORDER', `limit price ${show(o.price)} is not positive`];
  if ((o.type === 'stop' || o.type === 'stop_limit') && !positiveFinite(o.triggerPrice))
    return ['VENUE_INVALID_ORDER', `trigger price ${show(o.triggerPrice)} is not positive`];
  return undefined;
}

export function validateChange(change: VenueModify, order: TrackedOrder): string | undefined {
  const c = (change ?? {}) as Partial<Record<keyof VenueModify, unknown>>;
  if (c.quantity === undefined && c.price === undefined && c.triggerPrice === undefined)
    return 'nothing to change';
  if (c.quantity !== undefined && !positiveFinite(c.quantity))
    return `quantity ${show(c.quantity)} is not positive`;
  if (typeof c.quantity === 'number' && c.quantity < order.told)
    return `quantity ${show(c.quantity)} is below the ${order.told} already filled`;
  if (
    c.price !== undefined &&
    !(positiveFinite(c.price) && (order.type === 'limit' || order.type === 'stop_limit'))
  )
    return `limit price ${show(c.price)} does not apply to this ${order.type} order`;
  if (
    c.triggerPrice !== undefined &&
    !(positiveFinite(c.triggerPrice) && (order.type === 'stop' || order.type === 'stop_limit'))
  )
    return `trigger price ${show(c.triggerPrice)} does not apply to this ${order.type} order`;
  return undefined;
}
