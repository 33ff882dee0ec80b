// Translation between the platform and IB's API: contracts, order types, times in force, sides, order
// statuses, IB error codes → reason codes, IB time strings, and scrubbing account codes out of log lines.

import type { Contract } from '@stoqey/ib';
import type { Logger } from '../../common/logging.ts';
import type { ReasonCode } from '../../common/errors.ts';
import {
  clientOrderId,
  type ClientOrderId,
  type Instrument,
  type OrderSide,
  type OrderStatus,
  type OrderType,
  type TimeInForce,
} from '../../model/index.ts';
import type { IbkrSettings } from './config.ts';

// ---- contracts ----

/**
 * The IB contract of an instrument: the `contracts` entry of its symbol over the defaults — equities STK on
 * the settings' exchange, FX pairs CASH on IDEALPRO (symbol EUR.USD or EURUSD: base EUR, currency USD).
 * Other asset classes need an entry; without one there is no contract (undefined).
 */
export function contractFor(instrument: Instrument, settings: IbkrSettings): Contract | undefined {
  const entry = settings.contracts[instrument.symbol];
  const secType = entry?.secType ?? defaultSecurityType(instrument);
  if (secType === undefined) return undefined;
  const fxBase = instrument.symbol
    .replace(/[^A-Za-z]/g, '')
    .slice(0, 3)
    .toUpperCase();
  const contract: Contract = {
    symbol: entry?.symbol ?? (secType === 'CASH' && !entry?.symbol ? fxBase : instrument.symbol),
    secType: secType as NonNullable<Contract['secType']>,
    exchange: entry?.exchange ?? (secType === 'CASH' ? 'IDEALPRO' : settings.exchange),
    currency: entry?.currency ?? instrument.currency,
  };
  if (entry?.primaryExchange !== undefined) contract.primaryExch = entry.primaryExchange;
  if (entry?.conId !== undefined) contract.conId = entry.conId;
  if (entry?.localSymbol !== undefined) contract.localSymbol = entry.localSymbol;
  if (entry?.lastTradeDateOrContractMonth !== undefined)
    contract.lastTradeDateOrContractMonth = entry.lastTradeDateOrContractMonth;
  if (entry?.multiplier !== undefined) contract.multiplier = entry.multiplier;
  if (entry?.tradingClass !== undefined) contract.tradingClass = entry.tradingClass;
  return contract;
}

function defaultSecurityType(instrument: Instrument): string | undefined {
  if (instrument.assetClass === 'equity') return 'STK';
  if (instrument.assetClass === 'fx') return 'CASH';
  return undefined;
}

/** Key of a contract by what every IB message carries: security type, symbol and currency. */
export function contractKey(
  secType: string | undefined,
  symbol: string | undefined,
  currency: string | undefined,
): string {
  return `${secType ?? ''}:${symbol ?? ''}:${currency ?? ''}`;
}

// ---- orders ----

const IB_ORDER_TYPES: Readonly<Record<OrderType, string>> = {
  market: 'MKT',
  limit: 'LMT',
  stop: 'STP',
  stop_limit: 'STP LMT',
};

export function ibOrderType(type: OrderType): string {
  return IB_ORDER_TYPES[type];
}

/** The platform order type of an IB order type; undefined for types the platform has no word for (MOC, TRAIL…). */
export function platformOrderType(ibType: string | undefined): OrderType | undefined {
  switch (ibType ?? '') {
    case 'MKT':
      return 'market';
    case 'LMT':
      return 'limit';
    case 'STP':
      return 'stop';
    case 'STP LMT':
      return 'stop_limit';
    default:
      return undefined;
  }
}

const TIMES_IN_FORCE: ReadonlySet<string> = new Set(['DAY', 'GTC', 'IOC', 'FOK']);

export function isSupportedTimeInForce(value: unknown): value is TimeInForce {
  return typeof value === 'string' && TIMES_IN_FORCE.has(value);
}

/** IB's time in force as the platform's; GTD lives beyond the day (GTC), OPG and DTC end with it (DAY). */
export function platformTimeInForce(ibTif: string | undefined): TimeInForce | undefined {
  if (ibTif !== undefined && TIMES_IN_FORCE.has(ibTif)) return ibTif as TimeInForce;
  if (ibTif === 'GTD') return 'GTC';
  if (ibTif === 'OPG' || ibTif === 'DTC') return 'DAY';
  return undefined;
}

/** Side of an order action (BUY, SELL, SSHORT) or of an execution (BOT, SLD). */
export function platformSide(value: string | undefined): OrderSide | undefined {
  if (value === 'BUY' || value === 'BOT') return 'buy';
  if (value === 'SELL' || value === 'SLD' || value === 'SSHORT') return 'sell';
  return undefined;
}

/** Where an IB order status puts an order. */
export type IbStatusClass = 'pending' | 'working' | 'pending_cancel' | 'filled' | 'canceled' | 'inactive';

export function ibStatusClass(status: string | undefined): IbStatusClass | undefined {
  switch (status ?? '') {
    case 'ApiPending':
    case 'PendingSubmit':
      return 'pending';
    case 'PreSubmitted':
    case 'Submitted':
      return 'working';
    case 'PendingCancel':
      return 'pending_cancel';
    case 'Filled':
      return 'filled';
    case 'Cancelled':
    case 'ApiCancelled':
      return 'canceled';
    case 'Inactive':
      return 'inactive';
    default:
      return undefined;
  }
}

/** The platform status an order report carries for an IB status class. */
export function reportStatus(
  status: IbStatusClass,
  filled: number,
  quantity: number,
  accepted: boolean,
): OrderStatus {
  switch (status) {
    case 'pending':
      return 'SUBMITTED';
    case 'working':
      return filled > 0 ? 'PARTIALLY_FILLED' : 'ACCEPTED';
    case 'pending_cancel':
      return 'PENDING_CANCEL';
    case 'filled':
      return filled >= quantity ? 'FILLED' : 'PARTIALLY_FILLED';
    case 'canceled':
      return 'CANCELED';
    case 'inactive':
      return accepted ? 'CANCELED' : 'REJECTED';
  }
}

/** The client order id the platform reports an order of another client under (its IB permanent id). */
export function externalClientOrderId(permId: number): ClientOrderId {
  return clientOrderId(`IB-${permId}`);
}

// ---- IB errors ----

/**
 * What an IB error or notice means for the adapter:
 * order: about one order request (a rejection, a refused cancel or modify — the adapter decides which);
 * canceled: the order is canceled (202); pacing: error 100; client_id_in_use: 326;
 * connectivity_lost / connectivity_restored: TWS ↔ IB (1100, 2110 / 1101, 1102);
 * malformed: the library could not decode a message; connection: socket trouble;
 * market_data: a subscription problem; notice: information only.
 */
export type IbErrorKind =
  | 'order'
  | 'canceled'
  | 'pacing'
  | 'client_id_in_use'
  | 'connectivity_lost'
  | 'connectivity_restored'
  | 'malformed'
  | 'connection'
  | 'market_data'
  | 'notice';

export interface IbErrorClass {
  readonly kind: IbErrorKind;
  readonly reason: ReasonCode;
}

const ORDER_REASONS: ReadonlyMap<number, ReasonCode> = new Map<number, ReasonCode>([
  [103, 'VENUE_IB_DUPLICATE_ORDER_ID'],
  [104, 'VENUE_ORDER_CLOSED'], // can't modify a filled order
  [105, 'VENUE_INVALID_ORDER'], // modification does not match the original order
  [106, 'VENUE_INVALID_ORDER'],
  [107, 'VENUE_INVALID_ORDER'],
  [109, 'VENUE_INVALID_ORDER'], // price outside the percentage band of the order defaults
  [110, 'VENUE_INVALID_ORDER'], // price does not conform to the minimum price variation
  [111, 'VENUE_UNSUPPORTED_ORDER'], // time in force and order type incompatible
  [135, 'VENUE_UNKNOWN_ORDER'], // can't find order with id
  [161, 'VENUE_ORDER_CLOSED'], // cancel attempted when the order is not cancellable
  [200, 'VENUE_IB_UNKNOWN_CONTRACT'],
  [201, 'VENUE_IB_ORDER_REJECTED'],
  [203, 'VENUE_IB_NO_PERMISSION'],
  [321, 'VENUE_INVALID_ORDER'], // error validating request
  [10147, 'VENUE_UNKNOWN_ORDER'], // order to cancel not found
  [10148, 'VENUE_ORDER_CLOSED'], // order to cancel cannot be cancelled in its state
  [10149, 'VENUE_INVALID_ORDER'], // invalid order id
]);

const MALFORMED: ReadonlySet<number> = new Set([505, 507, 508, 586]);
const MARKET_DATA: ReadonlySet<number> = new Set([101, 102, 300, 354, 10090, 10167, 10168, 10197]);
const CONNECTION: ReadonlySet<number> = new Set([502, 503, 504, 509, 1300]);

export function classifyIbError(code: number): IbErrorClass {
  const orderReason = ORDER_REASONS.get(code);
  if (orderReason) return { kind: 'order', reason: orderReason };
  if (code === 100) return { kind: 'pacing', reason: 'VENUE_IB_PACING' };
  if (code === 202) return { kind: 'canceled', reason: 'VENUE_CANCELED_BY_VENUE' };
  if (code === 326) return { kind: 'client_id_in_use', reason: 'VENUE_IB_CLIENT_ID_IN_USE' };
  if (code === 1100 || code === 2110)
    return { kind: 'connectivity_lost', reason: 'VENUE_IB_CONNECTIVITY_LOST' };
  if (code === 1101 || code === 1102)
    return { kind: 'connectivity_restored', reason: 'VENUE_IB_CONNECTIVITY_LOST' };
  if (MALFORMED.has(code)) return { kind: 'malformed', reason: 'VENUE_MALFORMED_MESSAGE' };
  if (MARKET_DATA.has(code)) return { kind: 'market_data', reason: 'VENUE_REJECTED' };
  if (CONNECTION.has(code)) return { kind: 'connection', reason: 'VENUE_IB_DISCONNECTED' };
  // 399 (order message), 2100–2199 (farm status, order warnings), 10000s not listed: notices.
  if (code === 399 || (code >= 2100 && code < 2200)) return { kind: 'notice', reason: 'VENUE_REJECTED' };
  return { kind: 'order', reason: 'VENUE_REJECTED' };
}

// ---- times ----

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat | undefined {
  let formatter = formatters.get(zone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      return undefined;
    }
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** Offset of `zone` from UTC at the instant `ms`, in ms (positive east of Greenwich). */
function zoneOffsetMs(ms: number, zone: string): number | undefined {
  const formatter = formatterFor(zone);
  if (!formatter) return undefined;
  const parts = formatter.formatToParts(new Date(ms));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(ms / 1000) * 1000;
}

const IB_TIME = /^(\d{4})(\d{2})(\d{2})(-|\s+)(\d{2}):(\d{2}):(\d{2})(?:\s+(\S+))?$/;

/**
 * An IB time as unix µs: `yyyymmdd hh:mm:ss <zone>` (TWS 10), `yyyymmdd  hh:mm:ss` (in `defaultZone`, TWS's
 * login zone), `yyyymmdd-hh:mm:ss` (UTC) or unix seconds. Undefined when unreadable.
 */
export function parseIbTime(text: string | undefined, defaultZone: string): number | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (/^\d{9,10}$/.test(trimmed)) return Number(trimmed) * 1_000_000;
  const m = IB_TIME.exec(trimmed);
  if (!m) return undefined;
  const wall = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[5]),
    Number(m[6]),
    Number(m[7]),
  );
  if (Number.isNaN(wall)) return undefined;
  const zone = m[8] ?? (m[4] === '-' ? 'UTC' : defaultZone);
  // The offset at the wall time read as UTC is right except within hours of a DST change: check once more.
  const first = zoneOffsetMs(wall, zone);
  if (first === undefined) return undefined;
  const second = zoneOffsetMs(wall - first, zone) ?? first;
  return (wall - second) * 1000;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** `yyyymmdd-hh:mm:ss` in UTC: the execution filter's time format. */
export function formatExecutionFilterTime(micros: number): string {
  const d = new Date(Math.floor(micros / 1000));
  return `${d.getUTCFullYear()}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}-${pad2(d.getUTCHours())}:${pad2(
    d.getUTCMinutes(),
  )}:${pad2(d.getUTCSeconds())}`;
}

// ---- redaction ----

/** IB account codes: individual (U…), paper (DU…), advisor and friends-and-family (F…, DF…, I…, DI…). */
const ACCOUNT_PATTERN = /\b(?:DU|DF|DI|U|F|I)\d{5,9}\b/g;

/** Replaces account codes (the configured one, those TWS names, anything shaped like one) with `***`. */
export class AccountRedactor {
  private readonly known = new Set<string>();

  add(account: string | undefined): void {
    if (account) this.known.add(account);
  }

  redact(text: string): string {
    let out = text.replace(ACCOUNT_PATTERN, '***');
    for (const account of this.known) if (out.includes(account)) out = out.split(account).join('***');
    return out;
  }
}

function scrubValue(redactor: AccountRedactor, value: unknown): unknown {
  if (typeof value === 'string') return redactor.redact(value);
  if (value instanceof Error) return redactor.redact(`${value.name}: ${value.message}`);
  if (Array.isArray(value)) return value.map((v) => scrubValue(redactor, v));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = scrubValue(redactor, inner);
    return out;
  }
  return value;
}

/** A Logger that scrubs account codes out of every message and field before the real logger sees them. */
export function redactingLogger(inner: Logger, redactor: AccountRedactor): Logger {
  const scrub = (fields: Record<string, unknown> | undefined): Record<string, unknown> | undefined =>
    fields === undefined ? undefined : (scrubValue(redactor, fields) as Record<string, unknown>);
  return {
    debug: (msg, fields) => inner.debug(redactor.redact(msg), scrub(fields)),
    info: (msg, fields) => inner.info(redactor.redact(msg), scrub(fields)),
    warn: (msg, fields) => inner.warn(redactor.redact(msg), scrub(fields)),
    error: (msg, fields) => inner.error(redactor.redact(msg), scrub(fields)),
    child: (component) => redactingLogger(inner.child(component), redactor),
  };
}

/** The first `limit` characters of a raw message, fields joined by `|`, accounts redacted: for logs. */
export function rawExcerpt(
  fields: readonly string[] | undefined,
  redactor: AccountRedactor,
  limit = 200,
): string {
  if (!fields) return '';
  // Redact before cutting: a cut could leave part of an account code the pattern no longer recognises.
  const joined = redactor.redact(fields.join('|'));
  return joined.length > limit ? `${joined.slice(0, limit)}…` : joined;
}
