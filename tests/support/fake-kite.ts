// A fake Zerodha Kite Connect on loopback, speaking the wire protocol the official `kiteconnect` client uses:
// REST (form-encoded requests, `Authorization: token api_key:access_token`, the `{status, data}` and
// `{status:"error", message, error_type}` envelopes) and the ticker WebSocket (JSON subscribe/mode messages in,
// big-endian binary ltp/quote/full frames and 1-byte heartbeats out, order updates as text). A TS control API
// scripts fills, rejections, token expiry, 429s, outages, ticks and dropped ticker sessions.

import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

export type FakeErrorType =
  | 'TokenException'
  | 'InputException'
  | 'OrderException'
  | 'MarginException'
  | 'HoldingException'
  | 'NetworkException'
  | 'GeneralException'
  | 'UserException'
  | 'DataException';

export interface FakeInstrument {
  readonly exchange: string;
  readonly tradingsymbol: string;
  readonly token: number;
  /** Last traded price: market orders fill here; limits and stops are matched against it. */
  lastPrice: number;
}

export interface FakeKiteOptions {
  readonly apiKey?: string;
  readonly apiSecret?: string;
  readonly userId?: string;
  readonly instruments?: readonly FakeInstrument[];
  /** Ticker heartbeat period (Kite sends one a second). 0: none. */
  readonly heartbeatMs?: number;
  /** Orders placed per second before 429 (Kite: 10). 0: unlimited. */
  readonly ordersPerSecond?: number;
  /** Other requests per second before 429 (Kite: 10). 0: unlimited. */
  readonly requestsPerSecond?: number;
  /** Match market orders, marketable limits and stops against the last price (default true). */
  readonly autoFill?: boolean;
}

type Route =
  | 'session'
  | 'place'
  | 'modify'
  | 'cancel'
  | 'orders'
  | 'order'
  | 'trades'
  | 'positions'
  | 'holdings'
  | 'margins'
  | 'profile';

export interface ScriptedFailure {
  readonly status: number;
  readonly errorType: FakeErrorType;
  readonly message: string;
}

export interface FakeOrder {
  order_id: string;
  parent_order_id: string | null;
  exchange_order_id: string | null;
  placed_by: string;
  variety: string;
  status: string;
  status_message: string | null;
  status_message_raw: string | null;
  tradingsymbol: string;
  exchange: string;
  instrument_token: number;
  transaction_type: 'BUY' | 'SELL';
  order_type: string;
  product: string;
  validity: string;
  price: number;
  quantity: number;
  trigger_price: number;
  average_price: number;
  pending_quantity: number;
  filled_quantity: number;
  disclosed_quantity: number;
  cancelled_quantity: number;
  order_timestamp: string;
  exchange_timestamp: string | null;
  exchange_update_timestamp: string | null;
  market_protection: number;
  meta: Record<string, unknown>;
  tag: string | null;
  tags: string[];
  guid: string;
}

export interface FakeTrade {
  trade_id: string;
  order_id: string;
  exchange_order_id: string | null;
  tradingsymbol: string;
  exchange: string;
  instrument_token: number;
  transaction_type: 'BUY' | 'SELL';
  product: string;
  average_price: number;
  quantity: number;
  filled: number;
  fill_timestamp: string;
  order_timestamp: string;
  exchange_timestamp: string;
}

export interface TickInput {
  readonly lastPrice: number;
  readonly lastQuantity?: number;
  readonly averagePrice?: number;
  readonly volume?: number;
  readonly buyQuantity?: number;
  readonly sellQuantity?: number;
  readonly open?: number;
  readonly high?: number;
  readonly low?: number;
  readonly close?: number;
  /** Unix seconds. */
  readonly lastTradeTime?: number;
  readonly exchangeTime?: number;
  readonly oi?: number;
  /** Best first: [price, quantity, orders]. */
  readonly bids?: readonly (readonly [number, number, number?])[];
  readonly asks?: readonly (readonly [number, number, number?])[];
}

type TickerMode = 'ltp' | 'quote' | 'full';

interface TickerClient {
  readonly socket: WebSocket;
  readonly modes: Map<number, TickerMode>;
  readonly received: unknown[];
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly route: Route | undefined;
  readonly body: Readonly<Record<string, string>>;
  readonly status: number;
}

// ---- binary packets (the layout KiteTicker's parseBinary reads) ----

function int32(view: DataView, at: number, value: number): void {
  view.setInt32(at, Math.round(value));
}

function paise(price: number, divisor = 100): number {
  return Math.round(price * divisor);
}

export function encodeLtpPacket(token: number, lastPrice: number): Uint8Array {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, token);
  int32(view, 4, paise(lastPrice));
  return bytes;
}

export function encodeQuotePacket(token: number, t: TickInput): Uint8Array {
  return encodeMarketPacket(token, t, false);
}

export function encodeFullPacket(token: number, t: TickInput): Uint8Array {
  return encodeMarketPacket(token, t, true);
}

function encodeMarketPacket(token: number, t: TickInput, full: boolean): Uint8Array {
  const bytes = new Uint8Array(full ? 184 : 44);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, token);
  int32(view, 4, paise(t.lastPrice));
  view.setUint32(8, t.lastQuantity ?? 0);
  int32(view, 12, paise(t.averagePrice ?? t.lastPrice));
  view.setUint32(16, t.volume ?? 0);
  view.setUint32(20, t.buyQuantity ?? 0);
  view.setUint32(24, t.sellQuantity ?? 0);
  int32(view, 28, paise(t.open ?? t.lastPrice));
  int32(view, 32, paise(t.high ?? t.lastPrice));
  int32(view, 36, paise(t.low ?? t.lastPrice));
  int32(view, 40, paise(t.close ?? t.lastPrice));
  if (!full) return bytes;
  view.setUint32(44, t.lastTradeTime ?? 0);
  view.setUint32(48, t.oi ?? 0);
  view.setUint32(52, t.oi ?? 0);
  view.setUint32(56, t.oi ?? 0);
  view.setUint32(60, t.exchangeTime ?? 0);
  const levels = [...(t.bids ?? []).slice(0, 5)];
  while (levels.length < 5) levels.push([0, 0, 0]);
  const asks = [...(t.asks ?? []).slice(0, 5)];
  while (asks.length < 5) asks.push([0, 0, 0]);
  levels.push(...asks);
  levels.forEach(([price, quantity, orders], i) => {
    const at = 64 + i * 12;
    view.setUint32(at, quantity);
    int32(view, at + 4, paise(price));
    view.setUint16(at + 8, orders ?? 0);
  });
  return bytes;
}

/** A ticker frame: uint16 packet count, then (uint16 length, packet) per packet. */
export function encodeFrame(packets: readonly Uint8Array[]): Uint8Array {
  let size = 2;
  for (const p of packets) size += 2 + p.length;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, packets.length);
  let at = 2;
  for (const p of packets) {
    view.setUint16(at, p.length);
    bytes.set(p, at + 2);
    at += 2 + p.length;
  }
  return bytes;
}

/** `YYYY-MM-DD HH:MM:SS` in IST (UTC+05:30), as Kite writes timestamps. */
export function istTimestamp(millis = Date.now()): string {
  const d = new Date(millis + 5.5 * 3_600_000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return (
    `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`
  );
}

const WORKING = new Set(['OPEN', 'TRIGGER PENDING', 'AMO REQ RECEIVED', 'OPEN PENDING']);

export class FakeKite {
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly userId: string;
  autoFill: boolean;
  readonly requests: RecordedRequest[] = [];
  /** 429 responses served. */
  throttled = 0;
  /** Requests refused for a dead or unknown token. */
  tokenRejections = 0;
  /** Ticker upgrades refused (dead token, outage, refusal switched on). */
  tickerRefusals = 0;
  /** Ticker sessions opened so far. */
  tickerConnections = 0;
  /** Raw entries appended to GET /orders and GET /trades answers (malformed payload tests). */
  readonly extraOrderEntries: unknown[] = [];
  readonly extraTradeEntries: unknown[] = [];
  private server: Server | undefined;
  private readonly wss = new WebSocketServer({ noServer: true });
  private port = 0;
  private readonly instruments = new Map<string, FakeInstrument>();
  private readonly orders: FakeOrder[] = [];
  private readonly ordersById = new Map<string, FakeOrder>();
  private readonly history = new Map<string, FakeOrder[]>();
  private readonly trades: FakeTrade[] = [];
  private readonly requestTokens = new Set<string>();
  private readonly accessTokens = new Set<string>();
  private readonly failures = new Map<Route | 'any', ScriptedFailure[]>();
  private readonly hangs = new Map<Route, number>();
  private readonly rmsRejections: string[] = [];
  private readonly clients = new Set<TickerClient>();
  private readonly orderTimes: number[] = [];
  private readonly requestTimes: number[] = [];
  private readonly ordersPerSecond: number;
  private readonly requestsPerSecond: number;
  private heartbeat: NodeJS.Timeout | undefined;
  private nextOrder = 250_101_000_000_001;
  private nextTrade = 50_000_001;
  private down = false;
  private refuseTicker = false;
  private postbackUrl: string | undefined;
  private holdings: unknown[] = [];
  private margins: Record<string, unknown> = {
    equity: {
      enabled: true,
      net: 250_000,
      available: {
        adhoc_margin: 0,
        cash: 250_000,
        opening_balance: 250_000,
        live_balance: 250_000,
        collateral: 0,
        intraday_payin: 0,
      },
      utilised: {
        debits: 0,
        exposure: 0,
        m2m_realised: 0,
        m2m_unrealised: 0,
        option_premium: 0,
        payout: 0,
        span: 0,
        holding_sales: 0,
        turnover: 0,
        liquid_collateral: 0,
        stock_collateral: 0,
        delivery: 0,
      },
    },
    commodity: { enabled: false, net: 0, available: { cash: 0 }, utilised: { debits: 0 } },
  };

  constructor(options: FakeKiteOptions = {}) {
    this.apiKey = options.apiKey ?? 'fakekey' + randomBytes(6).toString('hex');
    this.apiSecret = options.apiSecret ?? 'fakesecret' + randomBytes(12).toString('hex');
    this.userId = options.userId ?? 'ZX1234';
    this.autoFill = options.autoFill ?? true;
    this.ordersPerSecond = options.ordersPerSecond ?? 10;
    this.requestsPerSecond = options.requestsPerSecond ?? 10;
    for (const i of options.instruments ?? [
      { exchange: 'NSE', tradingsymbol: 'INFY', token: 408065, lastPrice: 1500 },
    ])
      this.instruments.set(`${i.exchange}:${i.tradingsymbol}`, { ...i });
    const heartbeatMs = options.heartbeatMs ?? 1000;
    if (heartbeatMs > 0) {
      this.heartbeat = setInterval(() => this.broadcast(Buffer.alloc(1)), heartbeatMs);
      this.heartbeat.unref();
    }
  }

  /** Starts listening on a free loopback port. */
  async start(): Promise<this> {
    const server = createServer((request, response) => void this.handle(request, response));
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.upgrade(request, socket, head),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  get restRoot(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get tickerRoot(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const client of this.clients) client.socket.terminate();
    this.clients.clear();
    this.wss.close();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---- sessions ----

  /** A request token, as the login redirect would carry (single use). */
  issueRequestToken(): string {
    const token = 'rt' + randomBytes(12).toString('hex');
    this.requestTokens.add(token);
    return token;
  }

  /** A valid access token without going through the login. */
  issueAccessToken(): string {
    const token = 'at' + randomBytes(16).toString('hex');
    this.accessTokens.add(token);
    return token;
  }

  /** Every access token dies (Kite's daily expiry): 403 TokenException from now on; ticker sessions closed. */
  expireTokens(options: { readonly closeTicker?: boolean } = {}): void {
    this.accessTokens.clear();
    if (options.closeTicker ?? true)
      for (const client of this.clients) client.socket.close(1000, 'token expired');
  }

  // ---- scripting ----

  /** The next request of `route` fails with this error (queued: call again for more). */
  failNext(route: Route | 'any', failure: ScriptedFailure): void {
    const list = this.failures.get(route) ?? [];
    list.push(failure);
    this.failures.set(route, list);
  }

  /** The next `count` requests of `route` (any route when omitted) get 429 Too many requests. */
  throttleNext(count = 1, route: Route | 'any' = 'any'): void {
    for (let i = 0; i < count; i++)
      this.failNext(route, { status: 429, errorType: 'NetworkException', message: 'Too many requests' });
  }

  /** The next `count` requests of `route` are acted on but never answered (the connection is cut). */
  dropResponses(route: Route, count = 1): void {
    this.hangs.set(route, (this.hangs.get(route) ?? 0) + count);
  }

  /** The next order placed gets an order id, then is REJECTED by the RMS with this message. */
  rmsRejectNext(message: string): void {
    this.rmsRejections.push(message);
  }

  /** An outage: every request's connection is cut, ticker sessions drop and new ones are refused. */
  goDown(): void {
    this.down = true;
    for (const client of this.clients) client.socket.terminate();
  }

  goUp(): void {
    this.down = false;
  }

  setPostbackUrl(url: string | undefined): void {
    this.postbackUrl = url;
  }

  setHoldings(holdings: unknown[]): void {
    this.holdings = holdings;
  }

  setMargins(margins: Record<string, unknown>): void {
    this.margins = margins;
  }

  // ---- the market ----

  instrument(exchange: string, tradingsymbol: string): FakeInstrument | undefined {
    return this.instruments.get(`${exchange}:${tradingsymbol}`);
  }

  /** Moves the last price and matches resting orders against it (when autoFill is on). */
  setPrice(exchange: string, tradingsymbol: string, price: number): void {
    const i = this.instrument(exchange, tradingsymbol);
    if (!i) throw new Error(`fake kite: no instrument ${exchange}:${tradingsymbol}`);
    i.lastPrice = price;
    if (this.autoFill)
      for (const o of [...this.orders])
        if (o.exchange === exchange && o.tradingsymbol === tradingsymbol) this.match(o);
  }

  /** Executes `quantity` of an order at `price` (default: the last price): a trade, a partial or complete fill. */
  fill(orderId: string, quantity: number, price?: number): FakeTrade {
    const o = this.ordersById.get(orderId);
    if (!o) throw new Error(`fake kite: no order ${orderId}`);
    if (!WORKING.has(o.status)) throw new Error(`fake kite: order ${orderId} is ${o.status}`);
    if (quantity <= 0 || quantity > o.pending_quantity)
      throw new Error(`fake kite: cannot fill ${quantity} of ${o.pending_quantity}`);
    const at = price ?? this.instrument(o.exchange, o.tradingsymbol)?.lastPrice ?? o.price;
    return this.execute(o, quantity, at);
  }

  /** The exchange cancels an order (end of day, IOC remainder, RMS square-off). */
  cancelByExchange(orderId: string, message = 'Order cancelled by the exchange'): void {
    const o = this.ordersById.get(orderId);
    if (!o || !WORKING.has(o.status)) throw new Error(`fake kite: order ${orderId} cannot be cancelled`);
    this.cancelOrder(o, message);
  }

  /** An order placed outside the platform (Kite web, a human): no tag. Returns its order id. */
  placeExternal(order: {
    readonly exchange: string;
    readonly tradingsymbol: string;
    readonly side: 'BUY' | 'SELL';
    readonly quantity: number;
    readonly orderType?: string;
    readonly price?: number;
    readonly product?: string;
  }): string {
    const o = this.createOrder({
      variety: 'regular',
      exchange: order.exchange,
      tradingsymbol: order.tradingsymbol,
      transaction_type: order.side,
      quantity: String(order.quantity),
      order_type: order.orderType ?? (order.price === undefined ? 'MARKET' : 'LIMIT'),
      price: order.price === undefined ? '0' : String(order.price),
      product: order.product ?? 'CNC',
      validity: 'DAY',
    });
    return o.order_id;
  }

  allOrders(): readonly FakeOrder[] {
    return this.orders;
  }

  allTrades(): readonly FakeTrade[] {
    return this.trades;
  }

  ordersTagged(tag: string): FakeOrder[] {
    return this.orders.filter((o) => o.tag === tag && o.parent_order_id === null);
  }

  order(orderId: string): FakeOrder | undefined {
    return this.ordersById.get(orderId);
  }

  requestsTo(route: Route): RecordedRequest[] {
    return this.requests.filter((r) => r.route === route);
  }

  // ---- the ticker ----

  /** Sends a tick for `token` to every session subscribed to it, encoded in that session's mode. */
  tick(token: number, input: TickInput): void {
    for (const client of this.clients) {
      const mode = client.modes.get(token);
      if (!mode) continue;
      const packet =
        mode === 'ltp'
          ? encodeLtpPacket(token, input.lastPrice)
          : mode === 'quote'
            ? encodeQuotePacket(token, input)
            : encodeFullPacket(token, input);
      client.socket.send(encodeFrame([packet]));
    }
  }

  /** Sends raw bytes or text to every ticker session (malformed frames, odd messages). */
  sendTickerRaw(data: Uint8Array | string): void {
    this.broadcast(data);
  }

  /** Cuts every ticker session at once (no close handshake). */
  dropTicker(): void {
    for (const client of this.clients) client.socket.terminate();
  }

  /** Refuses new ticker sessions (HTTP 503 on upgrade) while on. */
  setTickerRefused(refused: boolean): void {
    this.refuseTicker = refused;
  }

  get tickerSessions(): number {
    return this.clients.size;
  }

  /** The mode each token is subscribed in, across sessions. */
  subscriptions(): Map<number, TickerMode> {
    const out = new Map<number, TickerMode>();
    for (const client of this.clients) for (const [token, mode] of client.modes) out.set(token, mode);
    return out;
  }

  /** Messages the ticker sessions sent, parsed. */
  tickerMessages(): unknown[] {
    const out: unknown[] = [];
    for (const client of this.clients) out.push(...client.received);
    return out;
  }

  // ---- internals: HTTP ----

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (this.down) {
      request.socket.destroy();
      return;
    }
    const url = new URL(request.url ?? '/', 'http://fake');
    const method = request.method ?? 'GET';
    const body = method === 'GET' || method === 'DELETE' ? {} : await readForm(request);
    const route = routeOf(method, url.pathname);
    const record = (status: number): void => {
      this.requests.push({ method, path: url.pathname, route, body, status });
    };
    const send = (status: number, payload: unknown): void => {
      record(status);
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(payload));
    };
    const fail = (status: number, errorType: FakeErrorType, message: string): void =>
      send(status, { status: 'error', message, error_type: errorType, data: null });
    if (!route) return fail(404, 'GeneralException', 'Route not found');
    if (request.headers['x-kite-version'] !== '3')
      return fail(400, 'InputException', 'Missing or invalid X-Kite-Version header');
    // Rate limits as Kite applies them: order placement and everything else, per second.
    const now = Date.now();
    const times = route === 'place' ? this.orderTimes : this.requestTimes;
    const limit = route === 'place' ? this.ordersPerSecond : this.requestsPerSecond;
    if (limit > 0) {
      while (times.length > 0 && (times[0] as number) <= now - 1000) times.shift();
      if (times.length >= limit) {
        this.throttled++;
        return fail(429, 'NetworkException', 'Too many requests');
      }
      times.push(now);
    }
    const scripted = this.failures.get(route)?.shift() ?? this.failures.get('any')?.shift();
    if (scripted) {
      if (scripted.status === 429) this.throttled++;
      return fail(scripted.status, scripted.errorType, scripted.message);
    }
    if (route === 'session') return this.session(method, body, url, send, fail);
    const auth = request.headers.authorization ?? '';
    const match = /^token ([^:]+):(.+)$/.exec(auth);
    if (!match || match[1] !== this.apiKey || !this.accessTokens.has(match[2] as string)) {
      this.tokenRejections++;
      return fail(403, 'TokenException', 'Incorrect `api_key` or `access_token`.');
    }
    const hang = this.hangs.get(route) ?? 0;
    const answer = (status: number, payload: unknown): void => {
      if (hang > 0) {
        this.hangs.set(route, hang - 1);
        record(0);
        request.socket.destroy();
        return;
      }
      send(status, payload);
    };
    const ok = (data: unknown): void => answer(200, { status: 'success', data });
    const refuse = (status: number, errorType: FakeErrorType, message: string): void =>
      answer(status, { status: 'error', message, error_type: errorType, data: null });
    const segments = url.pathname.split('/').filter((s) => s !== '');
    switch (route) {
      case 'profile':
        return ok({
          user_id: this.userId,
          user_name: 'Fake Trader',
          user_shortname: 'Fake',
          email: 'fake@example.com',
          user_type: 'individual',
          broker: 'ZERODHA',
          exchanges: ['NSE', 'BSE', 'NFO'],
          products: ['CNC', 'MIS', 'NRML'],
          order_types: ['MARKET', 'LIMIT', 'SL', 'SL-M'],
        });
      case 'margins':
        return ok(segments[2] ? this.margins[segments[2]] : this.margins);
      case 'place': {
        const problem = this.validatePlacement(segments[1] ?? '', body);
        if (problem) return refuse(400, 'InputException', problem);
        const o = this.createOrder({ ...body, variety: segments[1] ?? 'regular' });
        return ok({ order_id: o.order_id });
      }
      case 'modify': {
        const o = this.ordersById.get(segments[2] ?? '');
        if (!o) return refuse(400, 'InputException', 'Invalid `order_id`.');
        if (!WORKING.has(o.status))
          return refuse(
            400,
            'InputException',
            `Order cannot be modified as it is already ${o.status === 'COMPLETE' ? 'completed' : o.status.toLowerCase()}.`,
          );
        const quantity = body.quantity === undefined ? o.quantity : Number(body.quantity);
        if (!Number.isInteger(quantity) || quantity < o.filled_quantity || quantity <= 0)
          return refuse(400, 'InputException', 'Invalid `quantity`.');
        o.quantity = quantity;
        o.pending_quantity = quantity - o.filled_quantity;
        if (body.price !== undefined) o.price = Number(body.price);
        if (body.trigger_price !== undefined) o.trigger_price = Number(body.trigger_price);
        if (body.order_type) o.order_type = body.order_type;
        this.changed(o);
        if (this.autoFill) this.match(o);
        return ok({ order_id: o.order_id });
      }
      case 'cancel': {
        const o = this.ordersById.get(segments[2] ?? '');
        if (!o) return refuse(400, 'InputException', 'Invalid `order_id`.');
        if (!WORKING.has(o.status))
          return refuse(
            400,
            'InputException',
            `Order cannot be cancelled as it is already ${o.status === 'COMPLETE' ? 'completed' : o.status.toLowerCase()}.`,
          );
        this.cancelOrder(o, null);
        return ok({ order_id: o.order_id });
      }
      case 'orders':
        return ok([...this.orders, ...this.extraOrderEntries]);
      case 'order': {
        const id = segments[1] ?? '';
        if (segments[2] === 'trades') return ok(this.trades.filter((t) => t.order_id === id));
        const h = this.history.get(id);
        return h ? ok(h) : refuse(400, 'InputException', 'Invalid `order_id`.');
      }
      case 'trades':
        return ok([...this.trades, ...this.extraTradeEntries]);
      case 'positions':
        return ok(this.positions());
      case 'holdings':
        return ok(this.holdings);
    }
  }

  private session(
    method: string,
    body: Readonly<Record<string, string>>,
    url: URL,
    send: (status: number, payload: unknown) => void,
    fail: (status: number, errorType: FakeErrorType, message: string) => void,
  ): void {
    if (method === 'DELETE') {
      const token = url.searchParams.get('access_token') ?? '';
      this.accessTokens.delete(token);
      return send(200, { status: 'success', data: true });
    }
    if (body.api_key !== this.apiKey) return fail(403, 'TokenException', 'Invalid `api_key`.');
    const requestToken = body.request_token ?? '';
    if (!this.requestTokens.has(requestToken))
      return fail(403, 'TokenException', 'Token is invalid or has expired.');
    const expected = createHash('sha256')
      .update(this.apiKey + requestToken + this.apiSecret)
      .digest('hex');
    if (body.checksum !== expected) return fail(403, 'TokenException', 'Invalid `checksum`.');
    this.requestTokens.delete(requestToken);
    const accessToken = this.issueAccessToken();
    send(200, {
      status: 'success',
      data: {
        user_type: 'individual',
        email: 'fake@example.com',
        user_name: 'Fake Trader',
        user_shortname: 'Fake',
        broker: 'ZERODHA',
        exchanges: ['NSE', 'BSE', 'NFO'],
        products: ['CNC', 'MIS', 'NRML'],
        order_types: ['MARKET', 'LIMIT', 'SL', 'SL-M'],
        avatar_url: null,
        user_id: this.userId,
        api_key: this.apiKey,
        access_token: accessToken,
        public_token: 'pt' + randomBytes(8).toString('hex'),
        refresh_token: '',
        enctoken: '',
        login_time: istTimestamp(),
        meta: { demat_consent: 'physical' },
      },
    });
  }

  private validatePlacement(variety: string, b: Readonly<Record<string, string>>): string | undefined {
    if (!['regular', 'amo', 'co', 'iceberg', 'auction'].includes(variety)) return 'Invalid `variety`.';
    if (!b.exchange || !b.tradingsymbol || !this.instrument(b.exchange, b.tradingsymbol))
      return 'Invalid `tradingsymbol`.';
    if (b.transaction_type !== 'BUY' && b.transaction_type !== 'SELL') return 'Invalid `transaction_type`.';
    if (!['MARKET', 'LIMIT', 'SL', 'SL-M'].includes(b.order_type ?? '')) return 'Invalid `order_type`.';
    if (!['CNC', 'MIS', 'NRML', 'MTF'].includes(b.product ?? '')) return 'Invalid `product`.';
    const quantity = Number(b.quantity);
    if (!Number.isInteger(quantity) || quantity <= 0) return 'Invalid `quantity`.';
    if (b.validity !== undefined && !['DAY', 'IOC', 'TTL'].includes(b.validity)) return 'Invalid `validity`.';
    if ((b.order_type === 'LIMIT' || b.order_type === 'SL') && !(Number(b.price) > 0))
      return 'Invalid `price`.';
    if (
      (b.order_type === 'SL' || b.order_type === 'SL-M' || variety === 'co') &&
      !(Number(b.trigger_price) > 0)
    )
      return 'Invalid `trigger_price`.';
    if (b.tag !== undefined && !/^[A-Za-z0-9]{1,20}$/.test(b.tag))
      return 'Invalid `tag`: alphanumeric, max 20 characters.';
    if (variety === 'iceberg') {
      const legs = Number(b.iceberg_legs);
      const each = Number(b.iceberg_quantity);
      if (!(legs >= 2 && legs <= 10)) return 'Invalid `iceberg_legs`: 2 to 10.';
      if (!(each > 0) || each * legs < quantity) return 'Invalid `iceberg_quantity`.';
    }
    if (variety === 'co' && b.product !== 'MIS') return 'Cover orders are MIS only.';
    return undefined;
  }

  private createOrder(b: Readonly<Record<string, string>>): FakeOrder {
    const instrument = this.instrument(b.exchange ?? '', b.tradingsymbol ?? '');
    const quantity = Number(b.quantity);
    const id = String(this.nextOrder++);
    const stamp = istTimestamp();
    const o: FakeOrder = {
      order_id: id,
      parent_order_id: null,
      exchange_order_id: null,
      placed_by: this.userId,
      variety: b.variety ?? 'regular',
      status: 'PUT ORDER REQ RECEIVED',
      status_message: null,
      status_message_raw: null,
      tradingsymbol: b.tradingsymbol ?? '',
      exchange: b.exchange ?? '',
      instrument_token: instrument?.token ?? 0,
      transaction_type: b.transaction_type === 'SELL' ? 'SELL' : 'BUY',
      order_type: b.order_type ?? 'MARKET',
      product: b.product ?? 'CNC',
      validity: b.validity ?? 'DAY',
      price: Number(b.price ?? 0) || 0,
      quantity,
      trigger_price: Number(b.trigger_price ?? 0) || 0,
      average_price: 0,
      pending_quantity: quantity,
      filled_quantity: 0,
      disclosed_quantity: Number(b.disclosed_quantity ?? 0) || 0,
      cancelled_quantity: 0,
      order_timestamp: stamp,
      exchange_timestamp: null,
      exchange_update_timestamp: null,
      market_protection: 0,
      meta: {},
      tag: b.tag ?? null,
      tags: b.tag ? [b.tag] : [],
      guid: randomBytes(8).toString('hex'),
    };
    this.orders.push(o);
    this.ordersById.set(id, o);
    this.changed(o);
    const rms = this.rmsRejections.shift();
    if (rms !== undefined) {
      o.status = 'REJECTED';
      o.status_message = rms;
      o.status_message_raw = rms;
      this.changed(o);
      return o;
    }
    o.status = 'VALIDATION PENDING';
    this.changed(o);
    o.status = 'OPEN PENDING';
    this.changed(o);
    o.exchange_order_id = String(1_100_000_000_000_000 + (Number(id) % 1_000_000_000));
    o.exchange_timestamp = stamp;
    if (o.variety === 'amo') o.status = 'AMO REQ RECEIVED';
    else o.status = o.order_type === 'SL' || o.order_type === 'SL-M' ? 'TRIGGER PENDING' : 'OPEN';
    this.changed(o);
    if (o.variety === 'co') {
      // The stop-loss leg of a cover order: an SL-M order on the other side, a child of the first.
      const leg: FakeOrder = {
        ...o,
        order_id: String(this.nextOrder++),
        parent_order_id: o.order_id,
        transaction_type: o.transaction_type === 'BUY' ? 'SELL' : 'BUY',
        order_type: 'SL-M',
        price: 0,
        status: 'TRIGGER PENDING',
        guid: randomBytes(8).toString('hex'),
      };
      this.orders.push(leg);
      this.ordersById.set(leg.order_id, leg);
      this.changed(leg);
    }
    if (this.autoFill) this.match(o);
    else if (o.validity === 'IOC' && o.status === 'OPEN')
      this.cancelOrder(o, 'IOC order cancelled: no match');
    return o;
  }

  /** Fills what the last price allows; an IOC remainder is cancelled. */
  private match(o: FakeOrder): void {
    if (!WORKING.has(o.status) || o.status === 'AMO REQ RECEIVED' || o.status === 'OPEN PENDING') return;
    const last = this.instrument(o.exchange, o.tradingsymbol)?.lastPrice;
    if (last === undefined) return;
    const buy = o.transaction_type === 'BUY';
    if (o.status === 'TRIGGER PENDING') {
      const triggered = buy ? last >= o.trigger_price : last <= o.trigger_price;
      if (!triggered) return;
      if (o.order_type === 'SL-M') {
        this.execute(o, o.pending_quantity, last);
        return;
      }
      o.status = 'OPEN';
      this.changed(o);
    }
    const marketable =
      o.order_type === 'MARKET' || o.order_type === 'SL-M' || (buy ? o.price >= last : o.price <= last);
    if (marketable) this.execute(o, o.pending_quantity, last);
    else if (o.validity === 'IOC') this.cancelOrder(o, 'IOC order cancelled: no match');
  }

  private execute(o: FakeOrder, quantity: number, price: number): FakeTrade {
    const stamp = istTimestamp();
    const trade: FakeTrade = {
      trade_id: String(this.nextTrade++),
      order_id: o.order_id,
      exchange_order_id: o.exchange_order_id,
      tradingsymbol: o.tradingsymbol,
      exchange: o.exchange,
      instrument_token: o.instrument_token,
      transaction_type: o.transaction_type,
      product: o.product,
      average_price: price,
      quantity,
      filled: quantity,
      fill_timestamp: stamp,
      order_timestamp: stamp,
      exchange_timestamp: stamp,
    };
    this.trades.push(trade);
    const filled = o.filled_quantity + quantity;
    o.average_price = (o.average_price * o.filled_quantity + price * quantity) / filled;
    o.filled_quantity = filled;
    o.pending_quantity = o.quantity - filled;
    o.exchange_update_timestamp = stamp;
    if (o.pending_quantity === 0) o.status = 'COMPLETE';
    else if (o.status === 'TRIGGER PENDING') o.status = 'OPEN';
    this.changed(o);
    return trade;
  }

  private cancelOrder(o: FakeOrder, message: string | null): void {
    o.cancelled_quantity = o.pending_quantity;
    o.pending_quantity = 0;
    o.status = 'CANCELLED';
    o.status_message = message;
    o.status_message_raw = message;
    o.exchange_update_timestamp = istTimestamp();
    this.changed(o);
  }

  /** Records the order's state in its history and tells postbacks and ticker sessions. */
  private changed(o: FakeOrder): void {
    const snapshot = { ...o, meta: { ...o.meta }, tags: [...o.tags] };
    const h = this.history.get(o.order_id) ?? [];
    h.push(snapshot);
    this.history.set(o.order_id, h);
    const update = {
      ...snapshot,
      user_id: this.userId,
      app_id: 1,
      unfilled_quantity: o.pending_quantity,
      checksum: createHash('sha256')
        .update(o.order_id + o.order_timestamp + this.apiSecret)
        .digest('hex'),
    };
    const text = JSON.stringify({ type: 'order', id: '', data: update });
    for (const client of this.clients) client.socket.send(text);
    const url = this.postbackUrl;
    if (url)
      void fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(update),
      }).catch(() => undefined);
  }

  private positions(): { net: unknown[]; day: unknown[] } {
    const byKey = new Map<
      string,
      {
        exchange: string;
        tradingsymbol: string;
        token: number;
        product: string;
        bought: number;
        sold: number;
        buyValue: number;
        sellValue: number;
      }
    >();
    for (const t of this.trades) {
      const key = `${t.exchange}:${t.tradingsymbol}:${t.product}`;
      const p = byKey.get(key) ?? {
        exchange: t.exchange,
        tradingsymbol: t.tradingsymbol,
        token: t.instrument_token,
        product: t.product,
        bought: 0,
        sold: 0,
        buyValue: 0,
        sellValue: 0,
      };
      if (t.transaction_type === 'BUY') {
        p.bought += t.quantity;
        p.buyValue += t.quantity * t.average_price;
      } else {
        p.sold += t.quantity;
        p.sellValue += t.quantity * t.average_price;
      }
      byKey.set(key, p);
    }
    const list = [...byKey.values()].map((p) => {
      const last = this.instrument(p.exchange, p.tradingsymbol)?.lastPrice ?? 0;
      const quantity = p.bought - p.sold;
      return {
        tradingsymbol: p.tradingsymbol,
        exchange: p.exchange,
        instrument_token: p.token,
        product: p.product,
        quantity,
        overnight_quantity: 0,
        multiplier: 1,
        average_price: quantity === 0 ? 0 : quantity > 0 ? p.buyValue / p.bought : p.sellValue / p.sold,
        close_price: last,
        last_price: last,
        value: p.sellValue - p.buyValue,
        pnl: p.sellValue - p.buyValue + quantity * last,
        m2m: 0,
        unrealised: 0,
        realised: 0,
        buy_quantity: p.bought,
        buy_price: p.bought ? p.buyValue / p.bought : 0,
        buy_value: p.buyValue,
        sell_quantity: p.sold,
        sell_price: p.sold ? p.sellValue / p.sold : 0,
        sell_value: p.sellValue,
        day_buy_quantity: p.bought,
        day_sell_quantity: p.sold,
      };
    });
    return { net: list, day: list };
  }

  // ---- internals: ticker ----

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://fake');
    const reject = (status: number, text: string): void => {
      this.tickerRefusals++;
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (this.down) {
      this.tickerRefusals++;
      socket.destroy();
      return;
    }
    if (url.pathname !== '/ws') return reject(404, 'Not Found');
    if (this.refuseTicker) return reject(503, 'Service Unavailable');
    if (
      url.searchParams.get('api_key') !== this.apiKey ||
      !this.accessTokens.has(url.searchParams.get('access_token') ?? '')
    )
      return reject(403, 'Forbidden');
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      this.tickerConnections++;
      const client: TickerClient = { socket: ws, modes: new Map(), received: [] };
      this.clients.add(client);
      ws.on('message', (data, isBinary) => this.onTickerMessage(client, data as Buffer, isBinary));
      ws.on('close', () => this.clients.delete(client));
      ws.on('error', () => this.clients.delete(client));
    });
  }

  private onTickerMessage(client: TickerClient, data: Buffer, isBinary: boolean): void {
    if (isBinary) return;
    let message: unknown;
    try {
      message = JSON.parse(data.toString('utf8'));
    } catch {
      client.socket.send(JSON.stringify({ type: 'error', data: 'Invalid message' }));
      return;
    }
    client.received.push(message);
    const m = message as { a?: unknown; v?: unknown };
    const tokens = (list: unknown): number[] =>
      Array.isArray(list) ? list.filter((t): t is number => typeof t === 'number') : [];
    if (m.a === 'subscribe')
      for (const t of tokens(m.v)) if (!client.modes.has(t)) client.modes.set(t, 'quote');
    if (m.a === 'unsubscribe') for (const t of tokens(m.v)) client.modes.delete(t);
    if (m.a === 'mode' && Array.isArray(m.v)) {
      const values = m.v as readonly unknown[];
      const mode = values[0];
      if (mode === 'ltp' || mode === 'quote' || mode === 'full')
        for (const t of tokens(values[1])) client.modes.set(t, mode);
    }
  }

  private broadcast(data: Uint8Array | string): void {
    for (const client of this.clients) client.socket.send(data);
  }
}

function routeOf(method: string, path: string): Route | undefined {
  const s = path.split('/').filter((x) => x !== '');
  if (s[0] === 'session' && s[1] === 'token') return 'session';
  if (s[0] === 'user' && s[1] === 'profile' && method === 'GET') return 'profile';
  if (s[0] === 'user' && s[1] === 'margins' && method === 'GET') return 'margins';
  if (s[0] === 'trades' && method === 'GET') return 'trades';
  if (s[0] === 'portfolio' && s[1] === 'positions' && method === 'GET') return 'positions';
  if (s[0] === 'portfolio' && s[1] === 'holdings' && method === 'GET') return 'holdings';
  if (s[0] !== 'orders') return undefined;
  if (s.length === 1 && method === 'GET') return 'orders';
  if (method === 'GET' && (s.length === 2 || (s.length === 3 && s[2] === 'trades'))) return 'order';
  if (method === 'POST' && s.length === 2) return 'place';
  if (method === 'PUT' && s.length === 3) return 'modify';
  if (method === 'DELETE' && s.length === 3) return 'cancel';
  return undefined;
}

async function readForm(request: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const out: Record<string, string> = {};
  if ((request.headers['content-type'] ?? '').includes('application/json')) {
    try {
      const parsed = JSON.parse(text) as Record<string, unknown>;
      for (const [k, v] of Object.entries(parsed)) out[k] = String(v);
    } catch {
      // an unreadable body is treated as empty: validation names the missing fields
    }
    return out;
  }
  for (const [k, v] of new URLSearchParams(text)) out[k] = v;
  return out;
}

/** A started fake. */
export async function startFakeKite(options: FakeKiteOptions = {}): Promise<FakeKite> {
  return new FakeKite(options).start();
}
