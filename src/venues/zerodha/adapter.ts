// The Zerodha venue adapter: the VenueAdapter contract over Kite Connect (the official `kiteconnect` client).
//
// Order state is polled: GET /orders after every order request and every `pollIntervalMs`, GET /trades when an
// order's filled quantity runs ahead of the trades seen. Kite's placement answer (an order id) is not an
// acceptance: the order stays in flight until a poll shows it working (accepted) or REJECTED. Postbacks and
// ticker order updates only trigger an immediate poll, so one code path decides every event. Fills come from
// /trades, with Zerodha's charges computed by the fee model.
//
// The daily access token: a TokenException anywhere stops the venue at once (state disconnected, an alert,
// queued requests rejected locally, nothing retried with the dead token) until `renewSession()` after the
// daily login. Requests pass a client-side rate limiter; a 429 pauses everything for a back-off.

import { createHash } from 'node:crypto';
import { KiteConnect, type Connect } from 'kiteconnect';
import type { Clock } from '../../common/clock.ts';
import type { ReasonCode } from '../../common/errors.ts';
import { silentLogger, type Logger } from '../../common/logging.ts';
import {
  clientOrderId as toClientOrderId,
  instrumentId as toInstrumentId,
  isMultipleOf,
  tradeId as toTradeId,
  venueOrderId as toVenueOrderId,
  type Alert,
  type ClientOrderId,
  type Instrument,
  type InstrumentId,
  type OrderRequest,
  type VenueBalanceReport,
  type VenueEvent,
  type VenueFillReport,
  type VenueId,
  type VenueOrderReport,
  type VenuePositionReport,
} from '../../model/index.ts';
import type { VenueAdapter, VenueConnectionState, VenueModify } from '../../oms/venue.ts';
import {
  resolveCredentials,
  type Environment,
  type KiteExchange,
  type KiteProduct,
  type KiteVariety,
  type ZerodhaConfig,
} from './config.ts';
import { segmentOf, ZerodhaFeeModel, type ZerodhaSegment } from './fee-model.ts';
import {
  isFinalStatus,
  isIntakeStatus,
  orderTypeFromKite,
  parseKiteOrder,
  parseKiteTrade,
  statusFromKite,
  timeInForceFromKite,
  type KiteOrder,
  type KiteTrade,
} from './kite-orders.ts';
import { classifyKiteError, ZerodhaVenueError, type KiteFailure } from './kite-errors.ts';
import { RateLimiter } from './rate-limiter.ts';
import { redactingLogger } from './redacting-logger.ts';
import { Redactor, type Secret } from './secrets.ts';

export const FEE_CURRENCY = 'INR';

/** The Kite order tag for a client order id: 20 alphanumeric characters (Kite's limit), stable across runs. */
export function tagFor(id: string): string {
  return 'hf' + createHash('sha256').update(id).digest('hex').slice(0, 18);
}

/** The client order id reported for an order placed outside the platform (no tag of ours). */
export function externalClientOrderId(orderId: string): ClientOrderId {
  return toClientOrderId(`kite-${orderId}`);
}

/** How an instrument is named and traded at Kite. */
export interface KiteRoute {
  readonly instrument: Instrument;
  readonly exchange: KiteExchange;
  readonly tradingsymbol: string;
  readonly product: KiteProduct;
  readonly segment: ZerodhaSegment | undefined;
  readonly token: number | undefined;
}

export interface ZerodhaVenueAdapterOptions {
  readonly venue: VenueId;
  readonly config: ZerodhaConfig;
  readonly clock: Clock;
  readonly instruments: readonly Instrument[];
  readonly logger?: Logger;
  /** Where credentials are read from (default: process.env, then the configured secrets file). */
  readonly env?: Environment;
}

export interface ZerodhaCounters {
  submitted: number;
  placed: number;
  rejectedLocally: number;
  rejectedByVenue: number;
  rateLimited: number;
  tokenExpiries: number;
  polls: number;
  pollFailures: number;
  malformed: number;
  postbacksAccepted: number;
  postbacksRejected: number;
  handlerErrors: number;
}

type PlaceParams = Parameters<Connect['placeOrder']>[1];
type Placement = 'queued' | 'sending' | 'placed' | 'unknown' | 'closed';

interface TrackedOrder {
  readonly clientOrderId: ClientOrderId;
  readonly tag: string;
  readonly request: OrderRequest | undefined;
  route: KiteRoute | undefined;
  variety: KiteVariety;
  orderId: string | undefined;
  placement: Placement;
  unknownSince: number;
  accepted: boolean;
  sawTriggerPending: boolean;
  triggered: boolean;
  /** Terminal event told (or the order was refused): nothing more is said about it. */
  done: boolean;
  filledTold: number;
  quantity: number;
  price: number | undefined;
  triggerPrice: number | undefined;
  kiteOrderType: string;
  validity: string;
  cancelRequested: boolean;
  /** Cancel asked for before the placement was answered: sent once the order id is known. */
  cancelWanted: boolean;
  cancelUnknown: boolean;
  modifyUnknown:
    { quantity: number; price: number | undefined; triggerPrice: number | undefined } | undefined;
  seenWorking: boolean;
}

const KITE_ORDER_TYPE = { market: 'MARKET', limit: 'LIMIT', stop: 'SL-M', stop_limit: 'SL' } as const;
const MARGIN_TEXT = /margin|funds/i;
const HOLDING_TEXT = /holding/i;

/** A rejection reason for a status message of an order Kite rejected after taking it. */
function reasonOfStatusMessage(message: string): ReasonCode {
  if (MARGIN_TEXT.test(message)) return 'VENUE_INSUFFICIENT_MARGIN';
  if (HOLDING_TEXT.test(message)) return 'VENUE_INSUFFICIENT_HOLDINGS';
  return 'VENUE_REJECTED';
}

function show(value: unknown): string {
  return typeof value === 'number' || typeof value === 'string' ? String(value) : typeof value;
}

function positiveFinite(value: unknown): value is number {
  return typeof value === 'number' && value > 0 && Number.isFinite(value);
}

export class ZerodhaVenueAdapter implements VenueAdapter {
  readonly venue: VenueId;
  readonly config: ZerodhaConfig;
  readonly feeModel: ZerodhaFeeModel;
  readonly counters: ZerodhaCounters = {
    submitted: 0,
    placed: 0,
    rejectedLocally: 0,
    rejectedByVenue: 0,
    rateLimited: 0,
    tokenExpiries: 0,
    polls: 0,
    pollFailures: 0,
    malformed: 0,
    postbacksAccepted: 0,
    postbacksRejected: 0,
    handlerErrors: 0,
  };
  private connectionState: VenueConnectionState = 'disconnected';
  private readonly clock: Clock;
  private readonly log: Logger;
  private env: Environment | undefined;
  private readonly redactor = new Redactor();
  private kite: Connect | undefined;
  private apiSecret: Secret | undefined;
  /** connect() called and disconnect() not since. */
  private running = false;
  private tokenExpired = false;
  private eventHandler: ((event: VenueEvent) => void) | undefined;
  private readonly statusHandlers: ((state: VenueConnectionState) => void)[] = [];
  private readonly alertHandlers: ((alert: Alert) => void)[] = [];
  private readonly routes = new Map<InstrumentId, KiteRoute>();
  private readonly routesBySymbol = new Map<string, KiteRoute>();
  private readonly tracked = new Map<ClientOrderId, TrackedOrder>();
  private readonly byOrderId = new Map<string, TrackedOrder>();
  private readonly byTag = new Map<string, ClientOrderId>();
  private readonly open = new Set<TrackedOrder>();
  private readonly seenTrades = new Set<string>();
  private readonly tradedQuantity = new Map<string, number>();
  private readonly tradedTurnover = new Map<string, number>();
  private readonly heldTrades = new Map<string, { readonly trade: KiteTrade; readonly fee: number }[]>();
  private baselineTaken = false;
  private readonly orderLimiter: RateLimiter;
  private readonly requestLimiter: RateLimiter;
  private readonly inflight = new Set<Promise<void>>();
  private polling = false;
  private pollWanted = false;
  private tradesWanted = false;
  private pollWaiters: (() => void)[] = [];
  private readonly pollTimer: string;
  private readonly onPollTimer = (): void => {
    void this.requestPoll(false);
  };
  private lastMalformedLog = 0;
  private suppressedMalformed = 0;

  constructor(options: ZerodhaVenueAdapterOptions) {
    this.venue = options.venue;
    this.config = options.config;
    this.clock = options.clock;
    this.env = options.env;
    this.log = redactingLogger(options.logger ?? silentLogger, this.redactor);
    this.feeModel = new ZerodhaFeeModel(options.config.charges);
    this.pollTimer = `zerodha:${options.venue}:poll`;
    const limits = options.config.rateLimit;
    const margin = limits.marginMs * 1000;
    this.orderLimiter = new RateLimiter(options.clock, `zerodha:${options.venue}:orders`, [
      { limit: limits.ordersPerSecond, windowMicros: 1_000_000 + margin },
      { limit: limits.ordersPerMinute, windowMicros: 60_000_000 + margin },
    ]);
    this.requestLimiter = new RateLimiter(options.clock, `zerodha:${options.venue}:requests`, [
      { limit: limits.requestsPerSecond, windowMicros: 1_000_000 + margin },
    ]);
    for (const instrument of options.instruments)
      if (instrument.venue === this.venue) this.addRoute(instrument);
  }

  get state(): VenueConnectionState {
    return this.connectionState;
  }

  /** True after a TokenException, until renewSession(). */
  get sessionExpired(): boolean {
    return this.tokenExpired;
  }

  /** How each registry instrument is traded at Kite (the feed subscribes by their tokens). */
  get kiteRoutes(): ReadonlyMap<InstrumentId, KiteRoute> {
    return this.routes;
  }

  onEvent(handler: (event: VenueEvent) => void): void {
    this.eventHandler = handler;
  }

  onStatus(handler: (state: VenueConnectionState) => void): void {
    this.statusHandlers.push(handler);
  }

  /** Operational alerts (a dead token, 429s); the kernel publishes them on `alerts`. */
  onAlert(handler: (alert: Alert) => void): void {
    this.alertHandlers.push(handler);
  }

  /**
   * Reads the credentials (environment, then secrets file), checks the session with GET /user/profile, takes
   * the day's orders and trades as the starting point (trades already there are not told as events unless
   * they belong to orders of ours) and starts polling. A missing API key throws; a missing or dead access token
   * leaves the venue disconnected with an alert.
   */
  async connect(): Promise<void> {
    if (this.running && this.connectionState === 'connected') return;
    const credentials = resolveCredentials(this.config, this.env);
    if (credentials.warning) this.log.warn(credentials.warning, { venue: this.venue });
    if (!credentials.apiKey)
      throw new ZerodhaVenueError(
        'CONFIG_INVALID',
        `venue ${this.venue}: no Kite API key: set ${credentials.sources.apiKey}`,
      );
    this.redactor.add(credentials.apiKey);
    this.redactor.add(credentials.apiSecret);
    this.redactor.add(credentials.accessToken);
    this.apiSecret = credentials.apiSecret;
    this.running = true;
    if (!credentials.accessToken) {
      this.expire(`no access token (${credentials.sources.accessToken}): run the daily login`);
      return;
    }
    this.tokenExpired = false;
    const kite = new KiteConnect({
      api_key: credentials.apiKey.reveal(),
      access_token: credentials.accessToken.reveal(),
      root: this.config.restRoot,
      timeout: this.config.requestTimeoutMs,
    });
    kite.setSessionExpiryHook(() => this.expire('TokenException'));
    this.kite = kite;
    this.setState('connecting');
    try {
      await this.requestLimiter.acquire(true);
      await kite.getProfile();
    } catch (error) {
      const failure = classifyKiteError(error, this.redactor);
      if (failure.kind === 'token') {
        this.expire(failure.message);
        return;
      }
      this.log.warn('Kite session check failed: the venue stays disconnected and keeps trying', {
        venue: this.venue,
        errorType: failure.errorType,
        message: failure.message,
      });
      this.setState('disconnected');
      this.armPollTimer();
      return;
    }
    await this.requestPoll(true);
  }

  /** Stops polling; nothing more is sent. Orders at Kite stay as they are. */
  async disconnect(): Promise<void> {
    this.running = false;
    this.clock.cancelTimer(this.pollTimer);
    this.setState('disconnected');
    await Promise.allSettled([...this.inflight]);
    this.releasePollWaiters();
  }

  /**
   * After the daily login: reads the credentials again (or takes `accessToken`), and reconnects. Orders that
   * stayed at the venue meanwhile are picked up by the first poll.
   */
  async renewSession(accessToken?: string): Promise<void> {
    this.tokenExpired = false;
    this.running = false;
    if (accessToken !== undefined) {
      this.redactor.add(accessToken);
      const variable = this.config.credentials.accessTokenVariable;
      const base = this.env ?? process.env;
      this.env = { ...base, [variable]: accessToken };
    }
    await this.connect();
  }

  /** Registers client order ids the OMS already knows (after a restart) so their orders and fills map back. */
  knowClientOrderIds(ids: Iterable<ClientOrderId>): void {
    for (const id of ids) {
      if (this.tracked.has(id)) continue;
      const record = this.track(id, undefined, undefined, this.config.variety);
      record.placement = 'placed';
    }
  }

  /**
   * A Kite postback (the JSON body Kite POSTs to the registered postback URL). Verified with
   * sha256(order_id + order_timestamp + api_secret); a valid one triggers an immediate poll. Returns validity.
   */
  handlePostback(body: unknown): boolean {
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const orderId = b.order_id;
    const stamp = b.order_timestamp;
    const checksum = b.checksum;
    const secret = this.apiSecret?.reveal();
    const valid =
      typeof orderId === 'string' &&
      typeof stamp === 'string' &&
      typeof checksum === 'string' &&
      secret !== undefined &&
      createHash('sha256')
        .update(orderId + stamp + secret)
        .digest('hex') === checksum;
    if (!valid) {
      this.counters.postbacksRejected++;
      this.log.warn('postback refused: missing fields or checksum mismatch', {
        venue: this.venue,
        order: typeof orderId === 'string' ? orderId : show(orderId),
      });
      return false;
    }
    this.counters.postbacksAccepted++;
    if (this.running && !this.tokenExpired) void this.requestPoll(false);
    return true;
  }

  /** An order update from the ticker (`order_update`): triggers an immediate poll. */
  notifyOrderUpdate(): void {
    if (this.running && !this.tokenExpired) void this.requestPoll(false);
  }

  /** Resolves once every request sent so far is answered and a full poll after them is done. */
  async sync(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    await this.requestPoll(true);
  }

  // ---- requests ----

  submit(order: OrderRequest, instrument: Instrument): void {
    const id = (order as Partial<OrderRequest> | undefined)?.clientOrderId;
    if (typeof id !== 'string' || this.tracked.has(id)) return;
    this.counters.submitted++;
    const record = this.track(id, order, this.routeFor(order, instrument), this.config.variety);
    if (this.tokenExpired) {
      this.refuse(record, 'VENUE_KITE_TOKEN_EXPIRED', 'the Kite session has expired: run the daily login');
      return;
    }
    if (this.connectionState !== 'connected') {
      this.refuse(record, 'OMS_VENUE_DISCONNECTED', `venue ${this.venue} is ${this.connectionState}`);
      return;
    }
    const plan = this.plan(order, record.route);
    if (typeof plan === 'string' || Array.isArray(plan)) {
      const [reason, message] = Array.isArray(plan) ? plan : (['VENUE_UNSUPPORTED_ORDER', plan] as const);
      this.refuse(record, reason, message);
      return;
    }
    record.kiteOrderType = plan.order_type;
    record.validity = plan.validity ?? 'DAY';
    this.watch(this.place(record, plan));
  }

  cancel(clientOrderId: ClientOrderId): void {
    const record = this.tracked.get(clientOrderId);
    if (!record) {
      this.emitCancelRejected(clientOrderId, 'VENUE_UNKNOWN_ORDER', 'no such order at this venue');
      return;
    }
    if (record.done) {
      this.emitCancelRejected(
        clientOrderId,
        'VENUE_ORDER_CLOSED',
        `order is already ${record.placement === 'closed' ? 'closed' : 'final'}`,
      );
      return;
    }
    if (this.tokenExpired) {
      this.emitCancelRejected(clientOrderId, 'VENUE_KITE_TOKEN_EXPIRED', 'the Kite session has expired');
      return;
    }
    if (record.cancelRequested || record.cancelWanted) return;
    if (record.orderId === undefined) {
      record.cancelWanted = true;
      return;
    }
    this.watch(this.sendCancel(record));
  }

  modify(clientOrderId: ClientOrderId, change: VenueModify): void {
    const record = this.tracked.get(clientOrderId);
    if (!record || record.orderId === undefined) {
      this.emit({
        kind: 'modify_rejected',
        venue: this.venue,
        clientOrderId,
        tsEvent: this.clock.now(),
        reason: 'VENUE_UNKNOWN_ORDER',
        message: record ? 'the order has no Kite order id yet' : 'no such order at this venue',
      });
      return;
    }
    const refuse = (reason: ReasonCode, message: string): void =>
      this.emit({
        kind: 'modify_rejected',
        venue: this.venue,
        clientOrderId,
        tsEvent: this.clock.now(),
        reason,
        message,
      });
    if (record.done) return refuse('VENUE_ORDER_CLOSED', 'order is already final');
    if (this.tokenExpired) return refuse('VENUE_KITE_TOKEN_EXPIRED', 'the Kite session has expired');
    const problem = this.checkChange(change, record.route?.instrument);
    if (problem) return refuse('VENUE_INVALID_ORDER', problem);
    const next = {
      quantity: change.quantity ?? record.quantity,
      price: change.price ?? record.price,
      triggerPrice: change.triggerPrice ?? record.triggerPrice,
    };
    this.watch(this.sendModify(record, next));
  }

  // ---- reconciliation ----

  async openOrders(): Promise<readonly VenueOrderReport[]> {
    const reports = await this.orderReports();
    return reports.filter((r) => r.status !== 'FILLED' && r.status !== 'CANCELED' && r.status !== 'REJECTED');
  }

  orders(): Promise<readonly VenueOrderReport[]> {
    return this.orderReports();
  }

  async fills(since: number): Promise<readonly VenueFillReport[]> {
    const raw = await this.query('trades', (kite) => kite.getTrades());
    const out: VenueFillReport[] = [];
    const turnover = new Map<string, number>();
    for (const entry of Array.isArray(raw) ? raw : []) {
      const trade = parseKiteTrade(entry);
      if (typeof trade === 'string') {
        this.malformed(trade, entry);
        continue;
      }
      const route = this.routesBySymbol.get(`${trade.exchange}:${trade.tradingsymbol}`);
      const before = turnover.get(trade.orderId) ?? 0;
      const fee = this.feeOf(route, trade, before);
      turnover.set(
        trade.orderId,
        before + trade.price * trade.quantity * (route?.instrument.multiplier ?? 1),
      );
      const tsEvent = trade.fillTimestamp ?? 0;
      if (tsEvent < since) continue;
      out.push({
        venue: this.venue,
        clientOrderId: this.clientIdOfOrder(trade.orderId),
        venueOrderId: toVenueOrderId(trade.orderId),
        tradeId: toTradeId(trade.tradeId),
        instrumentId: route?.instrument.id ?? toInstrumentId(trade.tradingsymbol, this.venue),
        side: trade.side,
        quantity: trade.quantity,
        price: trade.price,
        fee,
        feeCurrency: FEE_CURRENCY,
        tsEvent,
      });
    }
    return out;
  }

  async positions(): Promise<readonly VenuePositionReport[]> {
    const raw = await this.query('positions', (kite) => kite.getPositions());
    const net = (raw as { net?: unknown } | undefined)?.net;
    const quantities = new Map<InstrumentId, number>();
    const add = (entry: unknown, fields: readonly string[]): void => {
      if (typeof entry !== 'object' || entry === null)
        return this.malformed('position entry is not an object', entry);
      const e = entry as Record<string, unknown>;
      const exchange = e.exchange;
      const symbol = e.tradingsymbol;
      let quantity = 0;
      for (const f of fields) {
        const v = e[f];
        if (typeof v === 'number' && Number.isFinite(v)) quantity += v;
      }
      if (typeof exchange !== 'string' || typeof symbol !== 'string')
        return this.malformed('position entry lacks exchange or tradingsymbol', entry);
      const id =
        this.routesBySymbol.get(`${exchange}:${symbol}`)?.instrument.id ?? toInstrumentId(symbol, this.venue);
      quantities.set(id, (quantities.get(id) ?? 0) + quantity);
    };
    if (Array.isArray(net)) for (const entry of net) add(entry, ['quantity']);
    else this.malformed('positions response has no net list', raw);
    if (this.config.positions === 'net+holdings') {
      const holdings = await this.query('holdings', (kite) => kite.getHoldings());
      if (Array.isArray(holdings)) for (const entry of holdings) add(entry, ['quantity', 't1_quantity']);
      else this.malformed('holdings response is not a list', holdings);
    }
    const out: VenuePositionReport[] = [];
    for (const [instrumentId, quantity] of quantities)
      out.push({ venue: this.venue, instrumentId, quantity });
    return out;
  }

  async balances(): Promise<readonly VenueBalanceReport[]> {
    const raw = await this.query('margins', (kite) => kite.getMargins());
    let total = 0;
    let found = false;
    for (const segment of ['equity', 'commodity']) {
      const net = (raw as Record<string, { net?: unknown } | undefined> | undefined)?.[segment]?.net;
      if (typeof net === 'number' && Number.isFinite(net)) {
        total += net;
        found = true;
      }
    }
    if (!found) {
      this.malformed('margins response has no equity or commodity net', raw);
      return [];
    }
    return [{ venue: this.venue, currency: FEE_CURRENCY, total }];
  }

  // ---- internals: orders ----

  private track(
    id: ClientOrderId,
    request: OrderRequest | undefined,
    route: KiteRoute | undefined,
    variety: KiteVariety,
  ): TrackedOrder {
    const record: TrackedOrder = {
      clientOrderId: id,
      tag: tagFor(id),
      request,
      route,
      variety,
      orderId: undefined,
      placement: 'queued',
      unknownSince: 0,
      accepted: false,
      sawTriggerPending: false,
      triggered: false,
      done: false,
      filledTold: 0,
      quantity: request?.quantity ?? 0,
      price: request?.price,
      triggerPrice: request?.triggerPrice,
      kiteOrderType: 'MARKET',
      validity: 'DAY',
      cancelRequested: false,
      cancelWanted: false,
      cancelUnknown: false,
      modifyUnknown: undefined,
      seenWorking: false,
    };
    this.tracked.set(id, record);
    this.byTag.set(record.tag, id);
    this.open.add(record);
    return record;
  }

  /** The Kite request for an order, or why Kite cannot take it (a message, or a reason and a message). */
  private plan(
    order: OrderRequest,
    route: KiteRoute | undefined,
  ): (PlaceParams & { order_type: string }) | string | [ReasonCode, string] {
    const o = order as Partial<Record<keyof OrderRequest, unknown>>;
    if (!route)
      return ['VENUE_REJECTED', `instrument ${show(o.instrumentId)} is not traded on ${this.venue}`];
    const instrument = route.instrument;
    if (!route.segment) return `asset class ${instrument.assetClass} is not traded through this adapter`;
    if (typeof o.type !== 'string' || !(o.type in KITE_ORDER_TYPE))
      return `order type ${show(o.type)} is not supported by Kite`;
    const type = o.type as keyof typeof KITE_ORDER_TYPE;
    let validity: 'DAY' | 'IOC';
    if (o.timeInForce === 'DAY' || (o.timeInForce === 'GTC' && this.config.goodTillCanceled === 'day'))
      validity = 'DAY';
    else if (o.timeInForce === 'IOC') validity = 'IOC';
    else return `time in force ${show(o.timeInForce)} is not offered by Kite (orders live for the day)`;
    if (o.side !== 'buy' && o.side !== 'sell')
      return ['VENUE_INVALID_ORDER', `side ${show(o.side)} is not buy or sell`];
    if (!positiveFinite(o.quantity) || !Number.isInteger(o.quantity))
      return ['VENUE_INVALID_ORDER', `quantity ${show(o.quantity)} is not a positive whole number`];
    if (!isMultipleOf(o.quantity, instrument.lotSize))
      return [
        'VENUE_INVALID_ORDER',
        `quantity ${o.quantity} is not a multiple of the lot size ${instrument.lotSize}`,
      ];
    const params: PlaceParams & { order_type: string } = {
      exchange: route.exchange,
      tradingsymbol: route.tradingsymbol,
      transaction_type: o.side === 'buy' ? 'BUY' : 'SELL',
      quantity: o.quantity,
      product: route.product as PlaceParams['product'],
      order_type: KITE_ORDER_TYPE[type],
      validity,
      tag: tagFor(order.clientOrderId),
    };
    if (type === 'limit' || type === 'stop_limit') {
      if (!positiveFinite(o.price))
        return ['VENUE_INVALID_ORDER', `limit price ${show(o.price)} is not positive`];
      if (!isMultipleOf(o.price, instrument.tickSize))
        return [
          'VENUE_INVALID_ORDER',
          `limit price ${o.price} is not a multiple of the tick size ${instrument.tickSize}`,
        ];
      params.price = o.price;
    }
    const needsTrigger = type === 'stop' || type === 'stop_limit' || this.config.variety === 'co';
    if (needsTrigger) {
      if (!positiveFinite(o.triggerPrice))
        return ['VENUE_INVALID_ORDER', `trigger price ${show(o.triggerPrice)} is not positive`];
      if (!isMultipleOf(o.triggerPrice, instrument.tickSize))
        return [
          'VENUE_INVALID_ORDER',
          `trigger price ${o.triggerPrice} is not a multiple of the tick size ${instrument.tickSize}`,
        ];
      params.trigger_price = o.triggerPrice;
    }
    switch (this.config.variety) {
      case 'co':
        if (type !== 'market' && type !== 'limit')
          return 'a cover order is a market or limit order with a stop-loss trigger price';
        params.product = 'MIS';
        break;
      case 'iceberg': {
        const legs = this.config.icebergLegs;
        const lot = instrument.lotSize;
        const perLeg = Math.ceil(o.quantity / legs / lot) * lot;
        if (o.quantity < legs * lot) return `an iceberg order needs at least ${legs} lots`;
        params.iceberg_legs = legs;
        params.iceberg_quantity = perLeg;
        break;
      }
      case 'regular':
      case 'amo':
        break;
    }
    return params;
  }

  private async place(record: TrackedOrder, params: PlaceParams): Promise<void> {
    try {
      await this.orderLimiter.acquire();
    } catch {
      this.refuse(
        record,
        'VENUE_KITE_TOKEN_EXPIRED',
        'the Kite session expired before the order could be sent',
      );
      return;
    }
    const kite = this.kite;
    if (this.tokenExpired || !this.running || !kite) {
      this.refuse(
        record,
        this.tokenExpired ? 'VENUE_KITE_TOKEN_EXPIRED' : 'OMS_VENUE_DISCONNECTED',
        this.tokenExpired ? 'the Kite session has expired' : `venue ${this.venue} was disconnected`,
      );
      return;
    }
    record.placement = 'sending';
    try {
      const response = await kite.placeOrder(record.variety, params);
      const orderId = (response as { order_id?: unknown } | undefined)?.order_id;
      if (typeof orderId !== 'string' && typeof orderId !== 'number') {
        this.malformed('placement answer has no order_id', response);
        this.markUnknown(record);
        return;
      }
      this.counters.placed++;
      if (!record.done) this.link(record, String(orderId));
      if (record.cancelWanted && !record.done) await this.sendCancel(record);
      void this.requestPoll(false);
    } catch (error) {
      const failure = classifyKiteError(error, this.redactor);
      switch (failure.kind) {
        case 'token':
          this.refuse(record, failure.reason, failure.message, true);
          this.expire(failure.message);
          return;
        case 'rate_limited':
          this.onRateLimited(failure);
          this.refuse(record, failure.reason, failure.message, true);
          return;
        case 'refused':
          this.refuse(record, failure.reason, `${failure.errorType}: ${failure.message}`, true);
          return;
        case 'unknown':
          this.log.warn('order placement got no answer: the order stays in flight until a poll settles it', {
            venue: this.venue,
            order: record.clientOrderId,
            errorType: failure.errorType,
            message: failure.message,
          });
          this.markUnknown(record);
          void this.requestPoll(false);
          return;
      }
    }
  }

  private async sendCancel(record: TrackedOrder): Promise<void> {
    const orderId = record.orderId;
    if (orderId === undefined) return;
    record.cancelRequested = true;
    record.cancelWanted = false;
    try {
      await this.requestLimiter.acquire(true);
    } catch {
      record.cancelRequested = false;
      this.emitCancelRejected(
        record.clientOrderId,
        'VENUE_KITE_TOKEN_EXPIRED',
        'the Kite session has expired',
      );
      return;
    }
    const kite = this.kite;
    if (this.tokenExpired || !kite) {
      record.cancelRequested = false;
      this.emitCancelRejected(
        record.clientOrderId,
        'VENUE_KITE_TOKEN_EXPIRED',
        'the Kite session has expired',
      );
      return;
    }
    try {
      await kite.cancelOrder(record.variety, orderId);
      void this.requestPoll(false);
    } catch (error) {
      const failure = classifyKiteError(error, this.redactor);
      if (failure.kind === 'unknown') {
        record.cancelUnknown = true;
        void this.requestPoll(false);
        return;
      }
      record.cancelRequested = false;
      if (failure.kind === 'rate_limited') this.onRateLimited(failure);
      this.emitCancelRejected(
        record.clientOrderId,
        failure.reason,
        `${failure.errorType}: ${failure.message}`,
      );
      if (failure.kind === 'token') this.expire(failure.message);
      else void this.requestPoll(false);
    }
  }

  private async sendModify(
    record: TrackedOrder,
    next: { quantity: number; price: number | undefined; triggerPrice: number | undefined },
  ): Promise<void> {
    const orderId = record.orderId as string;
    const refuse = (reason: ReasonCode, message: string): void =>
      this.emit({
        kind: 'modify_rejected',
        venue: this.venue,
        clientOrderId: record.clientOrderId,
        tsEvent: this.clock.now(),
        reason,
        message,
      });
    try {
      await this.requestLimiter.acquire(true);
    } catch {
      return refuse('VENUE_KITE_TOKEN_EXPIRED', 'the Kite session has expired');
    }
    const kite = this.kite;
    if (this.tokenExpired || !kite) return refuse('VENUE_KITE_TOKEN_EXPIRED', 'the Kite session has expired');
    const params: Parameters<Connect['modifyOrder']>[2] = {
      quantity: next.quantity,
      order_type: record.kiteOrderType as 'LIMIT',
      validity: record.validity as 'DAY',
    };
    if (next.price !== undefined) params.price = next.price;
    if (next.triggerPrice !== undefined) params.trigger_price = next.triggerPrice;
    try {
      await kite.modifyOrder(record.variety, orderId, params);
      record.quantity = next.quantity;
      record.price = next.price;
      record.triggerPrice = next.triggerPrice;
      this.emit({
        kind: 'modified',
        venue: this.venue,
        clientOrderId: record.clientOrderId,
        tsEvent: this.clock.now(),
        quantity: next.quantity,
        price: next.price,
        triggerPrice: next.triggerPrice,
      });
      void this.requestPoll(false);
    } catch (error) {
      const failure = classifyKiteError(error, this.redactor);
      if (failure.kind === 'unknown') {
        record.modifyUnknown = next;
        void this.requestPoll(false);
        return;
      }
      if (failure.kind === 'rate_limited') this.onRateLimited(failure);
      refuse(failure.reason, `${failure.errorType}: ${failure.message}`);
      if (failure.kind === 'token') this.expire(failure.message);
    }
  }

  private link(record: TrackedOrder, orderId: string): void {
    record.orderId = orderId;
    record.placement = 'placed';
    this.byOrderId.set(orderId, record);
  }

  private markUnknown(record: TrackedOrder): void {
    record.placement = 'unknown';
    record.unknownSince = this.clock.now();
  }

  /** The order never reached Kite, or Kite refused it: `rejected`, and the record closes. */
  private refuse(record: TrackedOrder, reason: ReasonCode, message: string, byVenue = false): void {
    if (record.done) return;
    if (byVenue) this.counters.rejectedByVenue++;
    else this.counters.rejectedLocally++;
    if (record.cancelWanted) {
      record.cancelWanted = false;
      this.emitCancelRejected(record.clientOrderId, reason, message);
    }
    this.close(record, 'closed');
    this.emit({
      kind: 'rejected',
      venue: this.venue,
      clientOrderId: record.clientOrderId,
      tsEvent: this.clock.now(),
      reason,
      message,
    });
  }

  private close(record: TrackedOrder, placement?: Placement): void {
    record.done = true;
    if (placement) record.placement = placement;
    this.open.delete(record);
  }

  private emitCancelRejected(clientOrderId: ClientOrderId, reason: ReasonCode, message: string): void {
    this.emit({
      kind: 'cancel_rejected',
      venue: this.venue,
      clientOrderId,
      tsEvent: this.clock.now(),
      reason,
      message,
    });
  }

  // ---- internals: polling ----

  private get live(): boolean {
    return this.running && !this.tokenExpired && this.kite !== undefined;
  }

  /**
   * Asks for a poll (`withTrades`: fetch /trades whatever the orders say); resolves when a poll started after
   * the ask has ended.
   */
  private requestPoll(withTrades: boolean): Promise<void> {
    if (!this.live) return Promise.resolve();
    this.pollWanted = true;
    if (withTrades) this.tradesWanted = true;
    const done = new Promise<void>((resolve) => this.pollWaiters.push(resolve));
    void this.runPolls();
    return done;
  }

  private async runPolls(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      while (this.pollWanted && this.live) {
        this.pollWanted = false;
        const withTrades = this.tradesWanted;
        this.tradesWanted = false;
        const waiters = this.pollWaiters;
        this.pollWaiters = [];
        try {
          await this.pollOnce(withTrades);
        } catch (error) {
          this.log.error('poll failed unexpectedly', { venue: this.venue, error: error as Error });
        } finally {
          for (const resolve of waiters) resolve();
        }
      }
    } finally {
      this.polling = false;
      if (!this.live) this.releasePollWaiters();
      else this.armPollTimer();
    }
  }

  private releasePollWaiters(): void {
    const waiters = this.pollWaiters;
    this.pollWaiters = [];
    this.pollWanted = false;
    for (const resolve of waiters) resolve();
  }

  private armPollTimer(): void {
    if (!this.running || this.tokenExpired) return;
    this.clock.setTimer(
      this.pollTimer,
      this.clock.now() + this.config.pollIntervalMs * 1000,
      this.onPollTimer,
    );
  }

  private async pollOnce(withTrades: boolean): Promise<void> {
    const kite = this.kite;
    if (!kite) return;
    this.counters.polls++;
    let rawOrders: unknown;
    try {
      await this.requestLimiter.acquire();
      if (!this.live) return;
      rawOrders = await kite.getOrders();
    } catch (error) {
      if (this.live) this.onPollFailure(error);
      return;
    }
    if (!this.live) return;
    if (!Array.isArray(rawOrders)) {
      this.malformed('orders response is not a list', rawOrders);
      return;
    }
    const views: KiteOrder[] = [];
    for (const entry of rawOrders) {
      const view = parseKiteOrder(entry);
      if (typeof view === 'string') this.malformed(view, entry);
      else views.push(view);
    }
    this.setState('connected');
    const present = new Set<string>();
    let needTrades = withTrades || !this.baselineTaken;
    for (const view of views) {
      present.add(view.orderId);
      const record = this.recordOf(view);
      if (view.filledQuantity > (this.tradedQuantity.get(view.orderId) ?? 0)) needTrades = true;
      if (record) this.applyStatus(record, view);
    }
    this.releaseHeldTrades();
    if (needTrades) {
      let rawTrades: unknown;
      try {
        await this.requestLimiter.acquire();
        if (!this.live) return;
        rawTrades = await kite.getTrades();
      } catch (error) {
        if (this.live) this.onPollFailure(error);
        return;
      }
      if (!this.live) return;
      if (Array.isArray(rawTrades)) this.applyTrades(rawTrades, present);
      else this.malformed('trades response is not a list', rawTrades);
      this.baselineTaken = true;
    }
    for (const view of views) {
      const record = this.byOrderId.get(view.orderId);
      if (record) this.finish(record, view);
    }
    this.checkLost();
  }

  /** The tracked order a Kite order belongs to (linking it by tag when the placement answer was lost). */
  private recordOf(view: KiteOrder): TrackedOrder | undefined {
    const known = this.byOrderId.get(view.orderId);
    if (known) return known;
    if (view.tag === undefined || view.parentOrderId !== undefined) return undefined;
    const id = this.byTag.get(view.tag);
    const record = id === undefined ? undefined : this.tracked.get(id);
    if (!record || record.orderId !== undefined) return undefined;
    this.link(record, view.orderId);
    if (!record.route) record.route = this.routesBySymbol.get(`${view.exchange}:${view.tradingsymbol}`);
    if (record.request === undefined) {
      record.quantity = view.quantity;
      record.kiteOrderType = view.orderType;
      record.validity = view.validity;
      record.variety = view.variety as KiteVariety;
    }
    if (record.done) {
      // Refused locally as lost, yet it is there after all: tell the OMS nothing new, but say so loudly.
      this.log.error('an order given up as lost was found at Kite: reconcile', {
        venue: this.venue,
        order: record.clientOrderId,
        kiteOrder: view.orderId,
      });
    }
    return record;
  }

  private applyStatus(record: TrackedOrder, view: KiteOrder): void {
    if (record.done) return;
    const status = view.status;
    if (!record.accepted) {
      if (status === 'REJECTED') {
        const message = view.statusMessage || 'rejected by Kite';
        this.counters.rejectedByVenue++;
        this.close(record);
        this.emit({
          kind: 'rejected',
          venue: this.venue,
          clientOrderId: record.clientOrderId,
          tsEvent: this.clock.now(),
          reason: reasonOfStatusMessage(message),
          message: this.redactor.redact(message),
        });
        return;
      }
      if (isIntakeStatus(status)) return;
      record.accepted = true;
      this.emit({
        kind: 'accepted',
        venue: this.venue,
        clientOrderId: record.clientOrderId,
        tsEvent: this.clock.now(),
        venueOrderId: toVenueOrderId(view.orderId),
      });
    }
    if (!isFinalStatus(status)) record.seenWorking = true;
    if (status === 'TRIGGER PENDING') record.sawTriggerPending = true;
    else if (record.sawTriggerPending && !record.triggered && status === 'OPEN') {
      record.triggered = true;
      this.emit({
        kind: 'triggered',
        venue: this.venue,
        clientOrderId: record.clientOrderId,
        tsEvent: this.clock.now(),
      });
    }
    const pendingModify = record.modifyUnknown;
    if (pendingModify && !status.startsWith('MODIFY')) {
      record.modifyUnknown = undefined;
      const matches =
        view.quantity === pendingModify.quantity &&
        (pendingModify.price === undefined || view.price === pendingModify.price) &&
        (pendingModify.triggerPrice === undefined || view.triggerPrice === pendingModify.triggerPrice);
      if (matches) {
        record.quantity = pendingModify.quantity;
        record.price = pendingModify.price;
        record.triggerPrice = pendingModify.triggerPrice;
        this.emit({
          kind: 'modified',
          venue: this.venue,
          clientOrderId: record.clientOrderId,
          tsEvent: this.clock.now(),
          quantity: pendingModify.quantity,
          price: pendingModify.price,
          triggerPrice: pendingModify.triggerPrice,
        });
      } else if (!isFinalStatus(status)) {
        this.emit({
          kind: 'modify_rejected',
          venue: this.venue,
          clientOrderId: record.clientOrderId,
          tsEvent: this.clock.now(),
          reason: 'VENUE_UNREACHABLE',
          message: 'the modification got no answer and the order at Kite is unchanged',
        });
      }
    }
    if (record.cancelUnknown && !isFinalStatus(status) && status !== 'CANCEL PENDING') {
      record.cancelUnknown = false;
      record.cancelRequested = false;
      this.emitCancelRejected(
        record.clientOrderId,
        'VENUE_UNREACHABLE',
        'the cancel got no answer and the order is still working at Kite',
      );
    }
  }

  private applyTrades(rawTrades: readonly unknown[], present: ReadonlySet<string>): void {
    const firstLook = !this.baselineTaken;
    for (const entry of rawTrades) {
      const trade = parseKiteTrade(entry);
      if (typeof trade === 'string') {
        this.malformed(trade, entry);
        continue;
      }
      if (this.seenTrades.has(trade.tradeId)) continue;
      // A trade of an order this poll did not list (placed in between): taken next time, once its order is known.
      if (!present.has(trade.orderId)) continue;
      this.seenTrades.add(trade.tradeId);
      this.tradedQuantity.set(trade.orderId, (this.tradedQuantity.get(trade.orderId) ?? 0) + trade.quantity);
      const record = this.byOrderId.get(trade.orderId);
      const route = record?.route ?? this.routesBySymbol.get(`${trade.exchange}:${trade.tradingsymbol}`);
      const before = this.tradedTurnover.get(trade.orderId) ?? 0;
      const fee = this.feeOf(route, trade, before);
      this.tradedTurnover.set(
        trade.orderId,
        before + trade.price * trade.quantity * (route?.instrument.multiplier ?? 1),
      );
      // The day's trades already there at the first look belong to earlier sessions: reconciliation, not events
      // (held, in case the order turns out to be one of ours: see knowClientOrderIds).
      if (firstLook && !record) {
        const held = this.heldTrades.get(trade.orderId) ?? [];
        held.push({ trade, fee });
        this.heldTrades.set(trade.orderId, held);
        continue;
      }
      this.emitFill(record, trade, route, fee);
    }
  }

  /** Tells the fills held at the first look for orders since known to be ours (after a restart). */
  private releaseHeldTrades(): void {
    if (this.heldTrades.size === 0) return;
    for (const [orderId, held] of this.heldTrades) {
      const record = this.byOrderId.get(orderId);
      if (!record) continue;
      this.heldTrades.delete(orderId);
      for (const { trade, fee } of held) this.emitFill(record, trade, record.route, fee);
    }
  }

  private emitFill(
    record: TrackedOrder | undefined,
    trade: KiteTrade,
    route: KiteRoute | undefined,
    fee: number,
  ): void {
    if (record) {
      if (record.done && record.placement === 'closed') return;
      record.filledTold += trade.quantity;
    }
    this.emit({
      kind: 'fill',
      venue: this.venue,
      clientOrderId: record?.clientOrderId ?? externalClientOrderId(trade.orderId),
      tsEvent: trade.fillTimestamp ?? this.clock.now(),
      venueOrderId: toVenueOrderId(trade.orderId),
      tradeId: toTradeId(trade.tradeId),
      instrumentId: route?.instrument.id ?? toInstrumentId(trade.tradingsymbol, this.venue),
      side: trade.side,
      quantity: trade.quantity,
      price: trade.price,
      fee,
      feeCurrency: FEE_CURRENCY,
      liquidity: record?.kiteOrderType === 'LIMIT' && record.seenWorking ? 'maker' : 'taker',
    });
  }

  /** Final statuses are told once every fill of the order has been told. */
  private finish(record: TrackedOrder, view: KiteOrder): void {
    if (record.done || !isFinalStatus(view.status)) return;
    if (record.filledTold + 1e-9 < view.filledQuantity) return;
    const status = view.status;
    this.close(record);
    if (status === 'COMPLETE') return;
    let reason: ReasonCode;
    if (status === 'REJECTED') {
      reason = reasonOfStatusMessage(view.statusMessage);
      this.log.warn('Kite rejected a working order', {
        venue: this.venue,
        order: record.clientOrderId,
        message: view.statusMessage,
      });
    } else if (record.cancelRequested) reason = 'VENUE_USER_CANCELED';
    else if (view.validity === 'IOC') reason = 'VENUE_IOC_REMAINDER';
    else reason = 'VENUE_CANCELED_BY_VENUE';
    this.emit({
      kind: 'canceled',
      venue: this.venue,
      clientOrderId: record.clientOrderId,
      tsEvent: this.clock.now(),
      reason,
    });
  }

  /** Orders whose placement got no answer and that Kite has not listed for `lostOrderAfterMs` never arrived. */
  private checkLost(): void {
    const now = this.clock.now();
    for (const record of this.open) {
      if (record.placement !== 'unknown' || record.orderId !== undefined) continue;
      if (now - record.unknownSince < this.config.lostOrderAfterMs * 1000) continue;
      this.refuse(
        record,
        'VENUE_UNKNOWN_ORDER',
        `the placement got no answer and Kite has not listed the order for ${this.config.lostOrderAfterMs} ms`,
        true,
      );
    }
  }

  private onPollFailure(error: unknown): void {
    const failure = classifyKiteError(error, this.redactor);
    this.counters.pollFailures++;
    if (failure.kind === 'token') {
      this.expire(failure.message);
      return;
    }
    if (failure.kind === 'rate_limited') {
      this.onRateLimited(failure);
      return;
    }
    if (this.connectionState === 'connected')
      this.log.warn('Kite did not answer a poll: venue disconnected until it does', {
        venue: this.venue,
        errorType: failure.errorType,
        message: failure.message,
      });
    this.setState('disconnected');
  }

  private onRateLimited(failure: KiteFailure): void {
    this.counters.rateLimited++;
    const until = this.clock.now() + this.config.rateLimit.backoffMs * 1000;
    this.orderLimiter.pause(until);
    this.requestLimiter.pause(until);
    this.log.warn('Kite answered 429 (too many requests): pausing requests', {
      venue: this.venue,
      backoffMs: this.config.rateLimit.backoffMs,
      message: failure.message,
    });
    this.alert(
      'warning',
      'VENUE_RATE_LIMITED',
      `Kite rate limit hit on ${this.venue}: requests paused for ${this.config.rateLimit.backoffMs} ms`,
    );
  }

  /** The access token is dead: stop everything that would use it, tell the OMS and the operator. */
  private expire(detail: string): void {
    if (this.tokenExpired) return;
    this.tokenExpired = true;
    this.counters.tokenExpiries++;
    this.clock.cancelTimer(this.pollTimer);
    const stopped = new ZerodhaVenueError('VENUE_KITE_TOKEN_EXPIRED', 'the Kite session has expired');
    this.orderLimiter.clear(stopped);
    this.requestLimiter.clear(stopped);
    this.releasePollWaiters();
    const message =
      `Kite session on ${this.venue} is not valid (${this.redactor.redact(detail)}): trading on this venue ` +
      'has stopped; open orders stay at Zerodha. Do the daily login (docs/brokers/zerodha.md) and reconnect.';
    this.log.error(message, { venue: this.venue, code: 'VENUE_KITE_TOKEN_EXPIRED', open: this.open.size });
    this.alert('critical', 'VENUE_KITE_TOKEN_EXPIRED', message);
    this.setState('disconnected');
  }

  // ---- internals: plumbing ----

  private watch(promise: Promise<void>): void {
    const tracked = promise.catch((error: unknown) =>
      this.log.error('order request failed unexpectedly', { venue: this.venue, error: error as Error }),
    );
    this.inflight.add(tracked);
    void tracked.finally(() => this.inflight.delete(tracked));
  }

  private async query<T>(what: string, call: (kite: Connect) => Promise<T>): Promise<T> {
    if (this.tokenExpired)
      throw new ZerodhaVenueError(
        'VENUE_KITE_TOKEN_EXPIRED',
        `venue ${this.venue}: the Kite session has expired`,
      );
    const kite = this.kite;
    if (!kite)
      throw new ZerodhaVenueError('OMS_VENUE_DISCONNECTED', `venue ${this.venue} was never connected`);
    try {
      await this.requestLimiter.acquire();
      return await call(kite);
    } catch (error) {
      if (error instanceof ZerodhaVenueError) throw error;
      const failure = classifyKiteError(error, this.redactor);
      if (failure.kind === 'token') this.expire(failure.message);
      if (failure.kind === 'rate_limited') this.onRateLimited(failure);
      throw new ZerodhaVenueError(
        failure.reason,
        `venue ${this.venue}: Kite ${what} query failed: ${failure.errorType}: ${failure.message}`,
      );
    }
  }

  private async orderReports(): Promise<VenueOrderReport[]> {
    const raw = await this.query('orders', (kite) => kite.getOrders());
    const out: VenueOrderReport[] = [];
    for (const entry of Array.isArray(raw) ? raw : []) {
      const view = parseKiteOrder(entry);
      if (typeof view === 'string') {
        this.malformed(view, entry);
        continue;
      }
      const record = this.byOrderId.get(view.orderId) ?? this.recordOf(view);
      const route = record?.route ?? this.routesBySymbol.get(`${view.exchange}:${view.tradingsymbol}`);
      const type = orderTypeFromKite(view.orderType);
      out.push({
        venue: this.venue,
        clientOrderId: record?.clientOrderId ?? externalClientOrderId(view.orderId),
        venueOrderId: toVenueOrderId(view.orderId),
        instrumentId: route?.instrument.id ?? toInstrumentId(view.tradingsymbol, this.venue),
        side: view.side,
        type,
        timeInForce: record?.request?.timeInForce ?? timeInForceFromKite(view.validity),
        quantity: view.quantity,
        filledQuantity: view.filledQuantity,
        price: type === 'limit' || type === 'stop_limit' ? view.price : undefined,
        status: statusFromKite(view),
      });
    }
    return out;
  }

  private clientIdOfOrder(orderId: string): ClientOrderId {
    return this.byOrderId.get(orderId)?.clientOrderId ?? externalClientOrderId(orderId);
  }

  private feeOf(route: KiteRoute | undefined, trade: KiteTrade, previousOrderTurnover: number): number {
    const segment = route?.segment;
    if (!route || !segment) return 0;
    return this.feeModel.charges({
      segment,
      exchange: trade.exchange,
      side: trade.side,
      price: trade.price,
      quantity: trade.quantity,
      multiplier: route.instrument.multiplier,
      previousOrderTurnover,
    }).total;
  }

  private routeFor(order: OrderRequest, instrument: Instrument | undefined): KiteRoute | undefined {
    const known = this.routes.get((order as Partial<OrderRequest>).instrumentId as InstrumentId);
    if (known) return known;
    if (instrument && instrument.venue === this.venue && instrument.id === order.instrumentId)
      return this.addRoute(instrument);
    return undefined;
  }

  private addRoute(instrument: Instrument): KiteRoute {
    const spec = this.config.instruments[instrument.symbol] ?? {};
    const derivative = instrument.assetClass === 'future' || instrument.assetClass === 'option';
    const product = spec.product ?? (derivative ? this.config.derivativesProduct : this.config.product);
    const route: KiteRoute = {
      instrument,
      exchange: spec.exchange ?? (derivative ? this.config.derivativesExchange : this.config.exchange),
      tradingsymbol: spec.tradingsymbol ?? instrument.symbol,
      product,
      segment: segmentOf(instrument, product),
      token: spec.token,
    };
    this.routes.set(instrument.id, route);
    this.routesBySymbol.set(`${route.exchange}:${route.tradingsymbol}`, route);
    return route;
  }

  private checkChange(change: VenueModify, instrument: Instrument | undefined): string | undefined {
    const c = (change ?? {}) as Partial<Record<keyof VenueModify, unknown>>;
    if (c.quantity === undefined && c.price === undefined && c.triggerPrice === undefined)
      return 'nothing to change';
    if (c.quantity !== undefined) {
      if (!positiveFinite(c.quantity) || !Number.isInteger(c.quantity))
        return `quantity ${show(c.quantity)} is not a positive whole number`;
      if (instrument && !isMultipleOf(c.quantity, instrument.lotSize))
        return `quantity ${c.quantity} is not a multiple of the lot size ${instrument.lotSize}`;
    }
    for (const key of ['price', 'triggerPrice'] as const) {
      const v = c[key];
      if (v === undefined) continue;
      if (!positiveFinite(v)) return `${key} ${show(v)} is not positive`;
      if (instrument && !isMultipleOf(v, instrument.tickSize))
        return `${key} ${v} is not a multiple of the tick size ${instrument.tickSize}`;
    }
    return undefined;
  }

  private malformed(problem: string, raw: unknown): void {
    this.counters.malformed++;
    const now = this.clock.now();
    // At most one log line a second; the count says how many were folded in.
    if (now - this.lastMalformedLog < 1_000_000) {
      this.suppressedMalformed++;
      return;
    }
    this.lastMalformedLog = now;
    let text: string;
    try {
      text = JSON.stringify(raw) ?? String(raw);
    } catch {
      text = String(raw);
    }
    this.log.warn(`malformed Kite payload: ${problem}`, {
      venue: this.venue,
      code: 'VENUE_MALFORMED_MESSAGE',
      excerpt: this.redactor.excerpt(text),
      malformed: this.counters.malformed,
      suppressed: this.suppressedMalformed,
    });
    this.suppressedMalformed = 0;
  }

  private alert(severity: Alert['severity'], code: ReasonCode, message: string): void {
    const alert: Alert = {
      type: 'alert',
      severity,
      code,
      source: `venue:${this.venue}`,
      message: this.redactor.redact(message),
      tsEvent: this.clock.now(),
    };
    for (const handler of this.alertHandlers) {
      try {
        handler(alert);
      } catch (error) {
        this.log.error('alert handler threw', { venue: this.venue, error: error as Error });
      }
    }
  }

  private emit(event: VenueEvent): void {
    const handler = this.eventHandler;
    if (!handler) return;
    try {
      handler(event);
    } catch (error) {
      this.counters.handlerErrors++;
      this.log.error('venue event handler threw', {
        venue: this.venue,
        kind: event.kind,
        error: error as Error,
      });
    }
  }

  private setState(next: VenueConnectionState): void {
    if (next === this.connectionState) return;
    this.connectionState = next;
    for (const handler of this.statusHandlers) {
      try {
        handler(next);
      } catch (error) {
        this.log.error('status handler threw', { venue: this.venue, error: error as Error });
      }
    }
  }
}
