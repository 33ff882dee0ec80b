// Kite orders and trades as the adapter reads them: each entry of GET /orders and GET /trades validated into
// a typed view (a malformed entry yields the problem instead), Kite's order statuses classified, and Kite's
// IST wall-clock timestamps turned into unix microseconds.

import type { OrderSide, OrderStatus, OrderType, TimeInForce } from '../../model/index.ts';

/** India Standard Time is UTC+05:30 all year (no daylight saving). */
const IST_OFFSET_MICROS = 5.5 * 3_600_000_000;

/**
 * Unix µs of a Kite timestamp: `YYYY-MM-DD HH:MM:SS` in IST, or the Date the official client builds from that
 * string (which it parses as local time, so its local fields are the IST fields). Undefined if unreadable.
 */
export function kiteTimeToMicros(value: unknown): number | undefined {
  let utcMillis: number;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return undefined;
    utcMillis = Date.UTC(
      value.getFullYear(),
      value.getMonth(),
      value.getDate(),
      value.getHours(),
      value.getMinutes(),
      value.getSeconds(),
    );
  } else if (typeof value === 'string') {
    const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(value);
    if (!m) return undefined;
    utcMillis = Date.UTC(
      Number(m[1]),
      Number(m[2]) - 1,
      Number(m[3]),
      Number(m[4]),
      Number(m[5]),
      Number(m[6]),
    );
  } else return undefined;
  return utcMillis * 1000 - IST_OFFSET_MICROS;
}

/** `YYYY-MM-DD HH:MM:SS` in IST for unix µs (what Kite sends). */
export function microsToKiteTime(micros: number): string {
  const d = new Date(Math.floor((micros + IST_OFFSET_MICROS) / 1000));
  const p = (n: number): string => String(n).padStart(2, '0');
  return (
    `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`
  );
}

/** Statuses before the order is working: the OMS still has it in flight. */
const INTAKE: ReadonlySet<string> = new Set(['PUT ORDER REQ RECEIVED', 'VALIDATION PENDING', 'OPEN PENDING']);
const FINAL: ReadonlySet<string> = new Set(['COMPLETE', 'CANCELLED', 'REJECTED']);

export function isIntakeStatus(status: string): boolean {
  return INTAKE.has(status);
}

export function isFinalStatus(status: string): boolean {
  return FINAL.has(status);
}

export interface KiteOrder {
  readonly orderId: string;
  readonly parentOrderId: string | undefined;
  readonly status: string;
  readonly statusMessage: string;
  readonly tag: string | undefined;
  readonly variety: string;
  readonly exchange: string;
  readonly tradingsymbol: string;
  readonly side: OrderSide;
  readonly orderType: string;
  readonly validity: string;
  readonly product: string;
  readonly quantity: number;
  readonly filledQuantity: number;
  readonly price: number;
  readonly triggerPrice: number;
  readonly averagePrice: number;
  /** Unix µs, or undefined when Kite did not say. */
  readonly orderTimestamp: number | undefined;
}

export interface KiteTrade {
  readonly tradeId: string;
  readonly orderId: string;
  readonly exchange: string;
  readonly tradingsymbol: string;
  readonly side: OrderSide;
  readonly product: string;
  readonly quantity: number;
  readonly price: number;
  readonly fillTimestamp: number | undefined;
}

type Raw = Readonly<Record<string, unknown>>;

function text(raw: Raw, key: string): string | undefined {
  const v = raw[key];
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function amount(raw: Raw, key: string): number | undefined {
  const v = raw[key];
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

function side(raw: Raw): OrderSide | undefined {
  const v = raw.transaction_type;
  return v === 'BUY' ? 'buy' : v === 'SELL' ? 'sell' : undefined;
}

/** The order, or the first problem with it. */
export function parseKiteOrder(value: unknown): KiteOrder | string {
  if (typeof value !== 'object' || value === null) return 'order entry is not an object';
  const raw = value as Raw;
  const orderId = text(raw, 'order_id');
  if (!orderId) return 'order_id missing';
  const status = text(raw, 'status');
  if (!status) return `order ${orderId}: status missing`;
  const exchange = text(raw, 'exchange');
  const tradingsymbol = text(raw, 'tradingsymbol');
  if (!exchange || !tradingsymbol) return `order ${orderId}: exchange or tradingsymbol missing`;
  const s = side(raw);
  if (!s) return `order ${orderId}: transaction_type is not BUY or SELL`;
  const quantity = amount(raw, 'quantity');
  if (quantity === undefined || quantity < 0) return `order ${orderId}: quantity missing or negative`;
  const filledQuantity = amount(raw, 'filled_quantity') ?? 0;
  if (filledQuantity < 0) return `order ${orderId}: filled_quantity negative`;
  return {
    orderId,
    parentOrderId: text(raw, 'parent_order_id'),
    status,
    statusMessage: text(raw, 'status_message') ?? '',
    tag: text(raw, 'tag'),
    variety: text(raw, 'variety') ?? 'regular',
    exchange,
    tradingsymbol,
    side: s,
    orderType: text(raw, 'order_type') ?? 'MARKET',
    validity: text(raw, 'validity') ?? 'DAY',
    product: text(raw, 'product') ?? '',
    quantity,
    filledQuantity,
    price: amount(raw, 'price') ?? 0,
    triggerPrice: amount(raw, 'trigger_price') ?? 0,
    averagePrice: amount(raw, 'average_price') ?? 0,
    orderTimestamp: kiteTimeToMicros(raw.order_timestamp),
  };
}

/** The trade, or the first problem with it. */
export function parseKiteTrade(value: unknown): KiteTrade | string {
  if (typeof value !== 'object' || value === null) return 'trade entry is not an object';
  const raw = value as Raw;
  const tradeId = text(raw, 'trade_id');
  if (!tradeId) return 'trade_id missing';
  const orderId = text(raw, 'order_id');
  if (!orderId) return `trade ${tradeId}: order_id missing`;
  const exchange = text(raw, 'exchange');
  const tradingsymbol = text(raw, 'tradingsymbol');
  if (!exchange || !tradingsymbol) return `trade ${tradeId}: exchange or tradingsymbol missing`;
  const s = side(raw);
  if (!s) return `trade ${tradeId}: transaction_type is not BUY or SELL`;
  const quantity = amount(raw, 'quantity') ?? amount(raw, 'filled');
  if (quantity === undefined || quantity <= 0) return `trade ${tradeId}: quantity missing or not positive`;
  const price = amount(raw, 'average_price');
  if (price === undefined || price <= 0) return `trade ${tradeId}: average_price missing or not positive`;
  return {
    tradeId,
    orderId,
    exchange,
    tradingsymbol,
    side: s,
    product: text(raw, 'product') ?? '',
    quantity,
    price,
    fillTimestamp:
      kiteTimeToMicros(raw.fill_timestamp) ??
      kiteTimeToMicros(raw.exchange_timestamp) ??
      kiteTimeToMicros(raw.order_timestamp),
  };
}

export function orderTypeFromKite(orderType: string): OrderType {
  switch (orderType) {
    case 'LIMIT':
      return 'limit';
    case 'SL':
      return 'stop_limit';
    case 'SL-M':
      return 'stop';
    default:
      return 'market';
  }
}

export function timeInForceFromKite(validity: string): TimeInForce {
  return validity === 'IOC' ? 'IOC' : 'DAY';
}

/** The platform's status for a Kite order, for reconciliation reports. */
export function statusFromKite(order: KiteOrder): OrderStatus {
  switch (order.status) {
    case 'COMPLETE':
      return 'FILLED';
    case 'CANCELLED':
      return 'CANCELED';
    case 'REJECTED':
      return 'REJECTED';
    default:
      if (isIntakeStatus(order.status)) return 'SUBMITTED';
      return order.filledQuantity > 0 ? 'PARTIALLY_FILLED' : 'ACCEPTED';
  }
}
