// A fake TWS / IB Gateway on loopback speaking the TWS API wire protocol (v100+ framing: a 4-byte big-endian
// length, then NUL-terminated fields) well enough for the IBKR venue adapter's tests and bench, with a control
// API to script the venue side: fills, rejections, venue cancels, external orders, disconnects, pacing.
//
// It answers as server version 193 (the newest @stoqey/ib 1.6 negotiates), so every message below is laid out
// the way that library's decoder reads it at that version (no per-message version field where the library
// skips it). What it speaks:
//   handshake "API\0" + "v<min>..<max>"   → server version and connection time
//   START_API                             → MANAGED_ACCTS, NEXT_VALID_ID, farm status notices (2104 / 2106)
//   PLACE_ORDER                           → OPEN_ORDER + ORDER_STATUS Submitted (or error 201 when told to
//                                           reject; 103 / 104 for reused ids; a known id is a modification)
//   CANCEL_ORDER                          → ORDER_STATUS Cancelled + error 202, or 10147 / 10148 when it cannot
//   REQ_OPEN_ORDERS / REQ_ALL_OPEN_ORDERS → OPEN_ORDER + ORDER_STATUS per open order, OPEN_ORDER_END
//   REQ_COMPLETED_ORDERS                  → COMPLETED_ORDER per closed order, COMPLETED_ORDERS_END
//   REQ_EXECUTIONS                        → EXECUTION_DATA + COMMISSION_REPORT per match, EXECUTION_DATA_END
//   REQ_POSITIONS                         → POSITION per account and contract, POSITION_END
//   REQ_ACCOUNT_SUMMARY ($LEDGER:ALL)     → ACCOUNT_SUMMARY TotalCashBalance per currency, ACCOUNT_SUMMARY_END
//   REQ_MKT_DATA / CANCEL_MKT_DATA        → TICK_PRICE / TICK_SIZE on `tick()`; error 200 for unknown symbols
//   REQ_IDS, REQ_MANAGED_ACCTS, REQ_CURRENT_TIME
// More than `messagesPerSecond` messages from one session within a second: error 100, and the message is
// dropped (an order's error carries its order id).

import { createServer, type Server, type Socket } from 'node:net';

export const FAKE_TWS_SERVER_VERSION = 193;

/** Client → server message ids (the library's OUT_MSG_ID). */
const Incoming = {
  REQ_MKT_DATA: 1,
  CANCEL_MKT_DATA: 2,
  PLACE_ORDER: 3,
  CANCEL_ORDER: 4,
  REQ_OPEN_ORDERS: 5,
  REQ_EXECUTIONS: 7,
  REQ_IDS: 8,
  REQ_AUTO_OPEN_ORDERS: 15,
  REQ_ALL_OPEN_ORDERS: 16,
  REQ_MANAGED_ACCTS: 17,
  REQ_CURRENT_TIME: 49,
  REQ_MARKET_DATA_TYPE: 59,
  REQ_POSITIONS: 61,
  REQ_ACCOUNT_SUMMARY: 62,
  CANCEL_ACCOUNT_SUMMARY: 63,
  CANCEL_POSITIONS: 64,
  START_API: 71,
  REQ_COMPLETED_ORDERS: 99,
} as const;

/** Server → client message ids (the library's IN_MSG_ID). */
const Outgoing = {
  TICK_PRICE: 1,
  TICK_SIZE: 2,
  ORDER_STATUS: 3,
  ERR_MSG: 4,
  OPEN_ORDER: 5,
  NEXT_VALID_ID: 9,
  EXECUTION_DATA: 11,
  MANAGED_ACCTS: 15,
  CURRENT_TIME: 49,
  OPEN_ORDER_END: 53,
  EXECUTION_DATA_END: 55,
  COMMISSION_REPORT: 59,
  POSITION: 61,
  POSITION_END: 62,
  ACCOUNT_SUMMARY: 63,
  ACCOUNT_SUMMARY_END: 64,
  COMPLETED_ORDER: 101,
  COMPLETED_ORDERS_END: 102,
} as const;

/** The largest double: what TWS sends for "no value" in a few numeric fields. */
const UNSET_DOUBLE = '1.7976931348623157E308';

type Field = string | number | boolean | undefined;

export type FakeOrderStatus = 'PreSubmitted' | 'Submitted' | 'Filled' | 'Cancelled' | 'Inactive';

export interface FakeContract {
  readonly conId: number;
  readonly symbol: string;
  readonly secType: string;
  readonly exchange: string;
  readonly currency: string;
  readonly localSymbol: string;
}

export interface FakeOrder {
  readonly permId: number;
  /** 0 for an order placed in TWS by hand. */
  readonly clientId: number;
  readonly orderId: number;
  readonly contract: FakeContract;
  readonly action: 'BUY' | 'SELL';
  totalQuantity: number;
  readonly orderType: string;
  lmtPrice: number | undefined;
  auxPrice: number | undefined;
  readonly tif: string;
  readonly account: string;
  readonly orderRef: string;
  status: FakeOrderStatus;
  filled: number;
  avgFillPrice: number;
  lastFillPrice: number;
  commission: number;
  completedTime: string;
  completedStatus: string;
}

export interface FakeExecution {
  readonly execId: string;
  readonly order: FakeOrder;
  readonly shares: number;
  readonly price: number;
  /** Unix milliseconds. */
  readonly time: number;
  readonly cumQty: number;
  readonly avgPrice: number;
  readonly commission: number;
}

export interface FakeTwsOptions {
  readonly accounts?: readonly string[];
  /** First NEXT_VALID_ID a new client id is told. */
  readonly firstOrderId?: number;
  /** Messages one session may send per second before error 100 (IB's limit is 50). */
  readonly messagesPerSecond?: number;
  /** Cash per currency of every account. */
  readonly cash?: Readonly<Record<string, number>>;
  /** Time zone of the times TWS writes (execution times, connection time). */
  readonly timeZone?: string;
  /**
   * Commission of one execution; default the IBKR Pro fixed plan (USD 0.005 a share, at least USD 1.00 and at
   * most 1% of the value per order), charged on the order's cumulative quantity so partial fills add up.
   */
  readonly commission?: (order: FakeOrder, shares: number, price: number) => number;
  /** Send ORDER_STATUS before EXECUTION_DATA on a fill (TWS does either; default true). */
  readonly statusBeforeExecution?: boolean;
  /** Contract ids by symbol; other symbols get ids from 100001 on. */
  readonly conIds?: Readonly<Record<string, number>>;
  /** Symbols IB has no security definition for (market data requests get error 200). */
  readonly unknownSymbols?: readonly string[];
}

interface Session {
  readonly socket: Socket;
  buffer: Buffer;
  stage: 'hello' | 'start' | 'ready';
  clientId: number;
  /** Arrival times (ms) of this second's messages, for pacing. */
  readonly recent: number[];
  readonly marketData: Map<number, string>;
}

interface Quote {
  bid?: number;
  ask?: number;
  bidSize?: number;
  askSize?: number;
  last?: number;
  lastSize?: number;
}

function ibFixedCommission(shares: number, value: number): number {
  if (shares === 0) return 0;
  return Math.min(Math.max(0.005 * shares, 1), 0.01 * value);
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** `yyyymmdd hh:mm:ss <zone>` in `zone`, the form TWS 10 writes times in. */
export function formatTwsTime(ms: number, zone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(ms));
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '00';
  return `${get('year')}${get('month')}${get('day')} ${get('hour')}:${get('minute')}:${get('second')} ${zone}`;
}

/** An execution filter time, `yyyymmdd-hh:mm:ss` (UTC), as unix ms; NaN when empty or unreadable. */
function parseFilterTime(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})[- ]+(\d{2}):(\d{2}):(\d{2})$/.exec(text.trim());
  if (!m) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

export class FakeTws {
  readonly accounts: readonly string[];
  /** Every message clients sent after the handshake, as fields (field 0 is the message id). */
  readonly received: string[][] = [];
  pacingViolations = 0;
  /** Messages one session may send per second before error 100 (IB's limit is 50); settable at run time. */
  messagesPerSecond: number;
  /** While false, PLACE_ORDER is recorded but not answered (an order whose acknowledgement never comes). */
  answerOrders = true;
  /** While false, a fill sends its ORDER_STATUS only: the execution shows up in REQ_EXECUTIONS answers. */
  deliverExecutions = true;
  /** While false, no COMMISSION_REPORT follows an execution (live or queried). */
  sendCommissionReports = true;
  private readonly server: Server;
  private readonly sessions = new Set<Session>();
  private readonly orders: FakeOrder[] = [];
  private readonly executions: FakeExecution[] = [];
  private readonly nextIds = new Map<number, number>();
  private readonly usedIds = new Map<number, number>();
  private readonly conIds = new Map<string, number>();
  private readonly positions = new Map<
    string,
    { account: string; contract: FakeContract; quantity: number; cost: number }
  >();
  private readonly cash = new Map<string, Map<string, number>>();
  private readonly quotes = new Map<string, Quote>();
  private readonly options: FakeTwsOptions;
  private readonly zone: string;
  private permSequence = 1_000_000;
  private execSequence = 0;
  private nextConId = 100_001;
  private down = false;
  private rejection: { code: number; text: string } | undefined;

  private constructor(options: FakeTwsOptions) {
    this.options = options;
    this.accounts = options.accounts ?? ['DU1234567'];
    this.zone = options.timeZone ?? 'US/Eastern';
    this.messagesPerSecond = options.messagesPerSecond ?? 50;
    for (const [symbol, id] of Object.entries(options.conIds ?? {})) this.conIds.set(symbol, id);
    for (const account of this.accounts) {
      const balances = new Map<string, number>();
      for (const [currency, amount] of Object.entries(options.cash ?? { USD: 1_000_000 }))
        balances.set(currency, amount);
      this.cash.set(account, balances);
    }
    this.server = createServer((socket) => this.accept(socket));
  }

  /** Listens on a free loopback port. */
  static async start(options: FakeTwsOptions = {}): Promise<FakeTws> {
    const tws = new FakeTws(options);
    await new Promise<void>((resolve, reject) => {
      tws.server.once('error', reject);
      tws.server.listen(0, '127.0.0.1', () => resolve());
    });
    return tws;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  /** Sessions past START_API. */
  get connections(): number {
    let n = 0;
    for (const s of this.sessions) if (s.stage === 'ready') n++;
    return n;
  }

  async close(): Promise<void> {
    for (const s of this.sessions) s.socket.destroy();
    this.sessions.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- control API ----

  allOrders(): readonly FakeOrder[] {
    return this.orders;
  }

  /** An order by permId, or by order reference (the platform's client order id). */
  order(key: number | string): FakeOrder | undefined {
    return typeof key === 'number'
      ? this.orders.find((o) => o.permId === key)
      : this.orders.find((o) => o.orderRef === key);
  }

  /** Distinct orders the venue holds with this order reference. */
  placeCount(orderRef: string): number {
    return this.orders.filter((o) => o.orderRef === orderRef).length;
  }

  /** Messages of one type clients sent. */
  receivedCount(messageId: number): number {
    return this.received.filter((m) => m[0] === String(messageId)).length;
  }

  /** The next order placed is rejected: error `code` (201: "Order rejected - reason:") with `text`. */
  rejectNext(text: string, code = 201): void {
    this.rejection = { code, text };
  }

  /**
   * Executes `shares` of an open order at `price` and tells the owning client: ORDER_STATUS, EXECUTION_DATA and
   * COMMISSION_REPORT. Returns false when the order is unknown or no longer open (nothing happens).
   */
  fill(key: number | string, shares: number, price: number): boolean {
    const order = this.order(key);
    if (!order || (order.status !== 'Submitted' && order.status !== 'PreSubmitted')) return false;
    const take = Math.min(shares, order.totalQuantity - order.filled);
    if (!(take > 0)) return false;
    const before = order.filled;
    const commission = this.options.commission
      ? this.options.commission(order, take, price)
      : round2(
          ibFixedCommission(before + take, order.avgFillPrice * before + price * take) -
            ibFixedCommission(before, order.avgFillPrice * before),
        );
    order.avgFillPrice = (order.avgFillPrice * before + price * take) / (before + take);
    order.filled = before + take;
    order.lastFillPrice = price;
    order.commission += commission;
    const now = Date.now();
    if (order.filled >= order.totalQuantity)
      this.complete(order, 'Filled', `Filled Size: ${order.filled}`, now);
    const execution: FakeExecution = {
      execId: `0000e0d5.${(++this.execSequence).toString(16).padStart(8, '0')}.01.01`,
      order,
      shares: take,
      price,
      time: now,
      cumQty: order.filled,
      avgPrice: order.avgFillPrice,
      commission,
    };
    this.executions.push(execution);
    this.book(order, take, price, commission);
    for (const s of this.owners(order)) {
      const statusFirst = this.options.statusBeforeExecution ?? true;
      if (statusFirst || !this.deliverExecutions) this.sendOrderStatus(s, order);
      if (!this.deliverExecutions) continue;
      this.send(s, this.executionFields(-1, execution));
      if (this.sendCommissionReports) this.send(s, this.commissionFields(execution));
      if (!statusFirst) this.sendOrderStatus(s, order);
    }
    return true;
  }

  /** The venue cancels an open order on its own (exchange cancel, end of day): ORDER_STATUS Cancelled + 202. */
  cancelByVenue(key: number | string, text = 'Order Canceled - reason: canceled by the exchange'): boolean {
    const order = this.order(key);
    if (!order || !this.isOpen(order)) return false;
    this.complete(order, 'Cancelled', 'Cancelled by System', Date.now());
    for (const s of this.owners(order)) {
      this.sendOrderStatus(s, order);
      this.sendError(s, order.orderId, 202, text);
    }
    return true;
  }

  /** An order placed in TWS by hand (client id 0): other API clients see it only through queries. */
  placeExternalOrder(spec: {
    readonly symbol: string;
    readonly action: 'BUY' | 'SELL';
    readonly quantity: number;
    readonly price: number;
    readonly currency?: string;
    readonly orderRef?: string;
  }): FakeOrder {
    const order: FakeOrder = {
      permId: ++this.permSequence,
      clientId: 0,
      orderId: 0,
      contract: this.contractFor(spec.symbol, 'STK', 'SMART', spec.currency ?? 'USD'),
      action: spec.action,
      totalQuantity: spec.quantity,
      orderType: 'LMT',
      lmtPrice: spec.price,
      auxPrice: undefined,
      tif: 'DAY',
      account: this.accounts[0] ?? '',
      orderRef: spec.orderRef ?? '',
      status: 'Submitted',
      filled: 0,
      avgFillPrice: 0,
      lastFillPrice: 0,
      commission: 0,
      completedTime: '',
      completedStatus: '',
    };
    this.orders.push(order);
    return order;
  }

  /** Sets the pacing limit and starts every session's one-second window afresh. */
  limitMessages(perSecond: number): void {
    this.messagesPerSecond = perSecond;
    for (const s of this.sessions) s.recent.length = 0;
  }

  /** Closes every session at once (the adapter sees its socket close). */
  dropConnections(): void {
    for (const s of this.sessions) s.socket.destroy();
    this.sessions.clear();
  }

  /** Drops every session and refuses new ones (accepted, then closed at once) until `comeUp()`. */
  goDown(): void {
    this.down = true;
    this.dropConnections();
  }

  comeUp(): void {
    this.down = false;
  }

  /** TWS lost (1100) or regained (1102: data maintained) its own connection to IB's servers. */
  connectivity(lost: boolean): void {
    for (const s of this.ready())
      this.sendError(
        s,
        -1,
        lost ? 1100 : 1102,
        lost
          ? 'Connectivity between IB and Trader Workstation has been lost.'
          : 'Connectivity between IB and Trader Workstation has been restored - data maintained.',
      );
  }

  /** Market data for `symbol`: TICK_PRICE / TICK_SIZE to every subscription. */
  tick(symbol: string, quote: Quote): void {
    const q = this.quotes.get(symbol) ?? {};
    Object.assign(q, quote);
    this.quotes.set(symbol, q);
    for (const s of this.ready())
      for (const [reqId, subscribed] of s.marketData)
        if (subscribed === symbol) this.sendTicks(s, reqId, quote);
  }

  /** Sends raw fields as one message to every session (malformed or unexpected messages). */
  sendRaw(fields: readonly Field[]): void {
    for (const s of this.ready()) this.send(s, fields);
  }

  // ---- connection handling ----

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    if (this.down) {
      socket.destroy();
      return;
    }
    const session: Session = {
      socket,
      buffer: Buffer.alloc(0),
      stage: 'hello',
      clientId: -1,
      recent: [],
      marketData: new Map(),
    };
    this.sessions.add(session);
    socket.on('data', (data) => this.onData(session, data));
    socket.on('close', () => this.sessions.delete(session));
    socket.on('error', () => this.sessions.delete(session));
  }

  private onData(session: Session, data: Buffer): void {
    session.buffer = Buffer.concat([session.buffer, data]);
    if (session.stage === 'hello') {
      // "API\0", then a length-prefixed "v<min>..<max>".
      if (session.buffer.length < 8) return;
      if (session.buffer.toString('latin1', 0, 4) !== 'API\0') {
        session.socket.destroy();
        return;
      }
      const length = session.buffer.readUInt32BE(4);
      if (session.buffer.length < 8 + length) return;
      const range = session.buffer.toString('utf8', 8, 8 + length);
      session.buffer = session.buffer.subarray(8 + length);
      const m = /^v(\d+)(?:\.\.(\d+))?/.exec(range);
      const low = Number(m?.[1] ?? Number.NaN);
      const high = Number(m?.[2] ?? m?.[1] ?? Number.NaN);
      if (!(low <= FAKE_TWS_SERVER_VERSION && FAKE_TWS_SERVER_VERSION <= high)) {
        session.socket.destroy();
        return;
      }
      session.stage = 'start';
      this.send(session, [FAKE_TWS_SERVER_VERSION, formatTwsTime(Date.now(), this.zone)]);
    }
    while (session.buffer.length >= 4) {
      const length = session.buffer.readUInt32BE(0);
      if (session.buffer.length < 4 + length) return;
      const body = session.buffer.toString('utf8', 4, 4 + length);
      session.buffer = session.buffer.subarray(4 + length);
      const fields = body.split('\0');
      if (fields[fields.length - 1] === '') fields.pop();
      if (!session.socket.destroyed) this.onMessage(session, fields);
    }
  }

  private onMessage(session: Session, f: string[]): void {
    const id = Number(f[0]);
    if (session.stage === 'start') {
      if (id !== Incoming.START_API) return;
      this.startApi(session, Number(f[2]));
      return;
    }
    this.received.push(f);
    if (this.paced(session, id, f)) return;
    switch (id) {
      case Incoming.PLACE_ORDER:
        this.placeOrder(session, f);
        return;
      case Incoming.CANCEL_ORDER:
        this.cancelOrder(session, Number(f[1]));
        return;
      case Incoming.REQ_OPEN_ORDERS:
        this.sendOpenOrders(session, (o) => o.clientId === session.clientId);
        return;
      case Incoming.REQ_ALL_OPEN_ORDERS:
        this.sendOpenOrders(session, () => true);
        return;
      case Incoming.REQ_COMPLETED_ORDERS:
        for (const o of this.orders)
          if (!this.isOpen(o) && (f[1] !== '1' || o.clientId !== 0))
            this.send(session, this.completedOrderFields(o));
        this.send(session, [Outgoing.COMPLETED_ORDERS_END]);
        return;
      case Incoming.REQ_EXECUTIONS:
        this.sendExecutions(session, f);
        return;
      case Incoming.REQ_POSITIONS:
        this.sendPositions(session);
        return;
      case Incoming.REQ_ACCOUNT_SUMMARY:
        this.sendAccountSummary(session, Number(f[2]), f[4] ?? '');
        return;
      case Incoming.REQ_MKT_DATA:
        this.subscribe(session, f);
        return;
      case Incoming.CANCEL_MKT_DATA:
        session.marketData.delete(Number(f[2]));
        return;
      case Incoming.REQ_IDS:
        this.send(session, [Outgoing.NEXT_VALID_ID, 1, this.nextIds.get(session.clientId) ?? 1]);
        return;
      case Incoming.REQ_MANAGED_ACCTS:
        this.send(session, [Outgoing.MANAGED_ACCTS, 1, this.accounts.join(',')]);
        return;
      case Incoming.REQ_CURRENT_TIME:
        this.send(session, [Outgoing.CURRENT_TIME, 1, Math.floor(Date.now() / 1000)]);
        return;
      case Incoming.CANCEL_POSITIONS:
      case Incoming.CANCEL_ACCOUNT_SUMMARY:
      case Incoming.REQ_AUTO_OPEN_ORDERS:
      case Incoming.REQ_MARKET_DATA_TYPE:
        return;
      default:
        this.sendError(session, -1, 503, `The TWS is out of date and must be upgraded (message ${f[0]})`);
    }
  }

  private startApi(session: Session, clientId: number): void {
    for (const other of this.sessions)
      if (other !== session && other.stage === 'ready' && other.clientId === clientId) {
        this.sendError(
          session,
          -1,
          326,
          'Unable to connect as the client id is already in use. Retry with a unique client id.',
        );
        session.socket.end();
        return;
      }
    session.clientId = clientId;
    session.stage = 'ready';
    const next = Math.max(this.options.firstOrderId ?? 1, (this.usedIds.get(clientId) ?? 0) + 1);
    this.nextIds.set(clientId, next);
    this.send(session, [Outgoing.MANAGED_ACCTS, 1, this.accounts.join(',')]);
    this.send(session, [Outgoing.NEXT_VALID_ID, 1, next]);
    this.sendError(session, -1, 2104, 'Market data farm connection is OK:usfarm');
    this.sendError(session, -1, 2106, 'HMDS data farm connection is OK:ushmds');
  }

  /** IB's message rate limit: over it, error 100 and the message is not acted on. */
  private paced(session: Session, id: number, f: readonly string[]): boolean {
    const limit = this.messagesPerSecond;
    const now = Date.now();
    while (session.recent.length > 0 && (session.recent[0] ?? 0) <= now - 1000) session.recent.shift();
    if (session.recent.length < limit) {
      session.recent.push(now);
      return false;
    }
    this.pacingViolations++;
    const orderId = id === Incoming.PLACE_ORDER || id === Incoming.CANCEL_ORDER ? Number(f[1]) : -1;
    this.sendError(
      session,
      orderId,
      100,
      `Max rate of messages per second has been exceeded:max=${limit} rec=${session.recent.length + 1} (1)`,
    );
    return true;
  }

  // ---- orders ----

  private placeOrder(session: Session, f: readonly string[]): void {
    // Field layout of PLACE_ORDER at server version ≥ 145 (no version field): see the library's encoder.
    const orderId = Number(f[1]);
    const action = f[16] === 'SELL' ? 'SELL' : 'BUY';
    const quantity = Number(f[17]);
    const orderType = f[18] ?? '';
    const lmtPrice = f[19] === '' ? undefined : Number(f[19]);
    const auxPrice = f[20] === '' ? undefined : Number(f[20]);
    const existing = this.orders.find((o) => o.clientId === session.clientId && o.orderId === orderId);
    if (existing) {
      if (!this.isOpen(existing)) {
        this.sendError(session, orderId, 104, `Can't modify a filled order.`);
        return;
      }
      existing.totalQuantity = quantity;
      existing.lmtPrice = lmtPrice;
      existing.auxPrice = auxPrice;
      this.send(session, this.openOrderFields(existing));
      this.sendOrderStatus(session, existing);
      return;
    }
    if (orderId <= (this.usedIds.get(session.clientId) ?? 0)) {
      this.sendError(session, orderId, 103, 'Duplicate order id');
      return;
    }
    this.usedIds.set(session.clientId, orderId);
    const order: FakeOrder = {
      permId: ++this.permSequence,
      clientId: session.clientId,
      orderId,
      contract: this.contractFor(f[3] ?? '', f[4] ?? 'STK', f[9] ?? 'SMART', f[11] ?? 'USD'),
      action,
      totalQuantity: quantity,
      orderType,
      lmtPrice,
      auxPrice,
      tif: f[21] ?? 'DAY',
      account: f[23] || (this.accounts[0] ?? ''),
      orderRef: f[26] ?? '',
      status: 'Submitted',
      filled: 0,
      avgFillPrice: 0,
      lastFillPrice: 0,
      commission: 0,
      completedTime: '',
      completedStatus: '',
    };
    this.orders.push(order);
    const rejection = this.rejection;
    if (rejection) {
      this.rejection = undefined;
      this.complete(order, 'Inactive', `Rejected: ${rejection.text}`, Date.now());
      this.sendError(session, orderId, rejection.code, `Order rejected - reason:${rejection.text}`);
      this.send(session, this.openOrderFields(order));
      this.sendOrderStatus(session, order);
      return;
    }
    if (!this.answerOrders) return;
    this.send(session, this.openOrderFields(order));
    this.sendOrderStatus(session, order);
  }

  private cancelOrder(session: Session, orderId: number): void {
    const order = this.orders.find((o) => o.clientId === session.clientId && o.orderId === orderId);
    if (!order) {
      this.sendError(session, orderId, 10147, `OrderId ${orderId} that needs to be cancelled is not found.`);
      return;
    }
    if (!this.isOpen(order)) {
      this.sendError(
        session,
        orderId,
        10148,
        `OrderId ${orderId} that needs to be cancelled cannot be cancelled, state: ${order.status}.`,
      );
      return;
    }
    this.complete(order, 'Cancelled', 'Cancelled by Trader', Date.now());
    this.sendOrderStatus(session, order);
    this.sendError(session, orderId, 202, 'Order Canceled - reason:');
  }

  private isOpen(order: FakeOrder): boolean {
    return order.status === 'Submitted' || order.status === 'PreSubmitted';
  }

  private complete(order: FakeOrder, status: FakeOrderStatus, text: string, now: number): void {
    order.status = status;
    order.completedStatus = text;
    order.completedTime = formatTwsTime(now, this.zone);
  }

  private owners(order: FakeOrder): Session[] {
    return this.ready().filter((s) => s.clientId === order.clientId);
  }

  private ready(): Session[] {
    return [...this.sessions].filter((s) => s.stage === 'ready' && !s.socket.destroyed);
  }

  private contractFor(symbol: string, secType: string, exchange: string, currency: string): FakeContract {
    let conId = this.conIds.get(symbol);
    if (conId === undefined) {
      conId = this.nextConId++;
      this.conIds.set(symbol, conId);
    }
    return { conId, symbol, secType, exchange, currency, localSymbol: symbol };
  }

  private book(order: FakeOrder, shares: number, price: number, commission: number): void {
    const key = `${order.account}|${order.contract.conId}`;
    const signed = order.action === 'BUY' ? shares : -shares;
    const position = this.positions.get(key) ?? {
      account: order.account,
      contract: order.contract,
      quantity: 0,
      cost: 0,
    };
    position.quantity += signed;
    position.cost += signed * price;
    this.positions.set(key, position);
    const balances = this.cash.get(order.account) ?? new Map<string, number>();
    const currency = order.contract.currency;
    balances.set(currency, round2((balances.get(currency) ?? 0) - signed * price - commission));
    this.cash.set(order.account, balances);
  }

  // ---- answers ----

  private sendOpenOrders(session: Session, include: (o: FakeOrder) => boolean): void {
    for (const o of this.orders)
      if (this.isOpen(o) && include(o)) {
        this.send(session, this.openOrderFields(o));
        this.sendOrderStatus(session, o);
      }
    this.send(session, [Outgoing.OPEN_ORDER_END, 1]);
  }

  private sendExecutions(session: Session, f: readonly string[]): void {
    // REQ_EXECUTIONS: id, version, reqId, clientId, account, time, symbol, secType, exchange, side.
    const reqId = Number(f[2]);
    const clientId = Number(f[3] || 0);
    const account = f[4] ?? '';
    const since = parseFilterTime(f[5] ?? '');
    const symbol = f[6] ?? '';
    const side = f[9] ?? '';
    for (const e of this.executions) {
      if (clientId !== 0 && e.order.clientId !== clientId) continue;
      if (account && e.order.account !== account) continue;
      if (!Number.isNaN(since) && Math.floor(e.time / 1000) * 1000 < since) continue;
      if (symbol && e.order.contract.symbol !== symbol) continue;
      if (side && e.order.action !== side) continue;
      this.send(session, this.executionFields(reqId, e));
      if (this.sendCommissionReports) this.send(session, this.commissionFields(e));
    }
    this.send(session, [Outgoing.EXECUTION_DATA_END, 1, reqId]);
  }

  private sendPositions(session: Session): void {
    for (const p of this.positions.values()) {
      const c = p.contract;
      const average = p.quantity === 0 ? 0 : p.cost / p.quantity;
      this.send(session, [
        Outgoing.POSITION,
        3,
        p.account,
        c.conId,
        c.symbol,
        c.secType,
        '',
        0,
        '',
        '',
        '',
        c.currency,
        c.localSymbol,
        c.symbol,
        p.quantity,
        average,
      ]);
    }
    this.send(session, [Outgoing.POSITION_END, 1]);
  }

  private sendAccountSummary(session: Session, reqId: number, tags: string): void {
    if (tags.includes('$LEDGER'))
      for (const [account, balances] of this.cash) {
        for (const [currency, amount] of balances)
          this.send(session, [
            Outgoing.ACCOUNT_SUMMARY,
            1,
            reqId,
            account,
            'TotalCashBalance',
            amount,
            currency,
          ]);
        const base = balances.get('USD') ?? 0;
        this.send(session, [Outgoing.ACCOUNT_SUMMARY, 1, reqId, account, 'TotalCashBalance', base, 'BASE']);
      }
    this.send(session, [Outgoing.ACCOUNT_SUMMARY_END, 1, reqId]);
  }

  private subscribe(session: Session, f: readonly string[]): void {
    // REQ_MKT_DATA: id, version, reqId, conId, symbol, secType, ...
    const reqId = Number(f[2]);
    const symbol = f[4] ?? '';
    if (this.options.unknownSymbols?.includes(symbol)) {
      this.sendError(session, reqId, 200, 'No security definition has been found for the request');
      return;
    }
    session.marketData.set(reqId, symbol);
    const quote = this.quotes.get(symbol);
    if (quote) this.sendTicks(session, reqId, quote);
  }

  private sendTicks(session: Session, reqId: number, q: Quote): void {
    // TICK_PRICE version 3 carries the size too, but the library drops the bid size it implies (tick type 0),
    // so sizes also go as TICK_SIZE, as TWS sends them.
    const price = (type: number, value: number | undefined, size: number | undefined): void => {
      if (value !== undefined) this.send(session, [Outgoing.TICK_PRICE, 3, reqId, type, value, size ?? 0, 0]);
    };
    const size = (type: number, value: number | undefined): void => {
      if (value !== undefined) this.send(session, [Outgoing.TICK_SIZE, 1, reqId, type, value]);
    };
    price(1, q.bid, q.bidSize);
    price(2, q.ask, q.askSize);
    price(4, q.last, q.lastSize);
    size(0, q.bidSize);
    size(3, q.askSize);
    size(5, q.lastSize);
  }

  private sendOrderStatus(session: Session, o: FakeOrder): void {
    // ORDER_STATUS at server version ≥ 131 (no version field).
    this.send(session, [
      Outgoing.ORDER_STATUS,
      o.orderId,
      o.status,
      o.filled,
      o.totalQuantity - o.filled,
      o.avgFillPrice,
      o.permId,
      0,
      o.lastFillPrice,
      o.clientId,
      '',
      0,
    ]);
  }

  private sendError(session: Session, id: number, code: number, text: string): void {
    // ERR_MSG version 2; at server version ≥ 166 an advanced-reject JSON field follows (empty here).
    this.send(session, [Outgoing.ERR_MSG, 2, id, code, text, '']);
  }

  private executionFields(reqId: number, e: FakeExecution): Field[] {
    const o = e.order;
    const c = o.contract;
    // EXECUTION_DATA at server version ≥ 136 (no version field), in the decoder's order.
    return [
      Outgoing.EXECUTION_DATA,
      reqId,
      o.orderId,
      c.conId,
      c.symbol,
      c.secType,
      '',
      0,
      '',
      '',
      c.exchange,
      c.currency,
      c.localSymbol,
      c.symbol,
      e.execId,
      formatTwsTime(e.time, this.zone),
      o.account,
      'ISLAND',
      o.action === 'BUY' ? 'BOT' : 'SLD',
      e.shares,
      e.price,
      o.permId,
      o.clientId,
      0,
      e.cumQty,
      e.avgPrice,
      o.orderRef,
      '',
      '',
      '',
      2,
      false,
    ];
  }

  private commissionFields(e: FakeExecution): Field[] {
    return [
      Outgoing.COMMISSION_REPORT,
      1,
      e.execId,
      e.commission,
      e.order.contract.currency,
      UNSET_DOUBLE,
      UNSET_DOUBLE,
      0,
    ];
  }

  /** OPEN_ORDER at server version 193, field by field as the library's OrderDecoder reads it. */
  private openOrderFields(o: FakeOrder): Field[] {
    const c = o.contract;
    return [
      Outgoing.OPEN_ORDER,
      o.orderId,
      // contract
      c.conId,
      c.symbol,
      c.secType,
      '',
      0,
      '',
      '',
      c.exchange,
      c.currency,
      c.localSymbol,
      c.symbol,
      // action … order reference
      o.action,
      o.totalQuantity,
      o.orderType,
      o.lmtPrice,
      o.auxPrice,
      o.tif,
      '',
      o.account,
      'O',
      0,
      o.orderRef,
      o.clientId,
      o.permId,
      false, // outsideRth
      0, // hidden
      0, // discretionaryAmt
      '', // goodAfterTime
      '', // sharesAllocation (skipped)
      '', // faGroup
      '', // faMethod
      '', // faPercentage
      '', // modelCode
      '', // goodTillDate
      '', // rule80A
      '', // percentOffset
      '', // settlingFirm
      0, // shortSaleSlot
      '', // designatedLocation
      -1, // exemptCode
      0, // auctionStrategy
      '', // startingPrice
      '', // stockRefPrice
      '', // delta
      '', // stockRangeLower
      '', // stockRangeUpper
      '', // displaySize
      false, // blockOrder
      false, // sweepToFill
      false, // allOrNone
      '', // minQty
      3, // ocaType
      false, // eTradeOnly
      false, // firmQuoteOnly
      '', // nbboPriceCap
      0, // parentId
      0, // triggerMethod
      '', // volatility
      0, // volatilityType
      '', // deltaNeutralOrderType
      '', // deltaNeutralAuxPrice
      0, // continuousUpdate
      0, // referencePriceType
      '', // trailStopPrice
      '', // trailingPercent
      '', // basisPoints
      '', // basisPointsType
      '', // comboLegsDescription
      0, // combo legs
      0, // order combo legs
      0, // smart combo routing params
      '', // scaleInitLevelSize
      '', // scaleSubsLevelSize
      '', // scalePriceIncrement
      '', // hedgeType
      false, // optOutSmartRouting
      '', // clearingAccount
      '', // clearingIntent
      false, // notHeld
      false, // deltaNeutral contract
      '', // algoStrategy
      false, // solicited
      false, // whatIf
      o.status,
      '', // initMarginBefore
      '', // maintMarginBefore
      '', // equityWithLoanBefore
      '', // initMarginChange
      '', // maintMarginChange
      '', // equityWithLoanChange
      '', // initMarginAfter
      '', // maintMarginAfter
      '', // equityWithLoanAfter
      '', // commission
      '', // minCommission
      '', // maxCommission
      '', // commissionCurrency
      '', // warningText
      false, // randomizeSize
      false, // randomizePrice
      0, // conditions
      '', // adjustedOrderType
      '', // triggerPrice
      '', // trailStopPrice
      '', // lmtPriceOffset
      '', // adjustedStopPrice
      '', // adjustedStopLimitPrice
      '', // adjustedTrailingAmount
      0, // adjustableTrailingUnit
      '', // softDollarTier name
      '', // softDollarTier value
      '', // softDollarTier displayName
      '', // cashQty
      false, // dontUseAutoPriceForHedge
      false, // isOmsContainer
      false, // discretionaryUpToLimitPrice
      false, // usePriceMgmtAlgo
      '', // duration
      '', // postToAts
      false, // autoCancelParent
      '', // minTradeQty
      '', // minCompeteSize
      '', // competeAgainstBestOffset
      '', // midOffsetAtWhole
      '', // midOffsetAtHalf
      '', // customerAccount
      false, // professionalCustomer
      '', // bondAccruedInterest
      false, // includeOvernight
      '', // extOperator
      '', // manualOrderIndicator
    ];
  }

  /** COMPLETED_ORDER (no order id, no version), field by field as the library's decoder reads it. */
  private completedOrderFields(o: FakeOrder): Field[] {
    const c = o.contract;
    return [
      Outgoing.COMPLETED_ORDER,
      c.conId,
      c.symbol,
      c.secType,
      '',
      0,
      '',
      '',
      c.exchange,
      c.currency,
      c.localSymbol,
      c.symbol,
      o.action,
      o.totalQuantity,
      o.orderType,
      o.lmtPrice,
      o.auxPrice,
      o.tif,
      '',
      o.account,
      'O',
      0,
      o.orderRef,
      o.permId,
      false, // outsideRth
      0, // hidden
      0, // discretionaryAmt
      '', // goodAfterTime
      '', // faGroup
      '', // faMethod
      '', // faPercentage
      '', // modelCode
      '', // goodTillDate
      '', // rule80A
      '', // percentOffset
      '', // settlingFirm
      0, // shortSaleSlot
      '', // designatedLocation
      -1, // exemptCode
      '', // startingPrice
      '', // stockRefPrice
      '', // delta
      '', // stockRangeLower
      '', // stockRangeUpper
      '', // displaySize
      false, // sweepToFill
      false, // allOrNone
      '', // minQty
      3, // ocaType
      0, // triggerMethod
      '', // volatility
      0, // volatilityType
      '', // deltaNeutralOrderType
      '', // deltaNeutralAuxPrice
      0, // continuousUpdate
      0, // referencePriceType
      '', // trailStopPrice
      '', // trailingPercent
      '', // comboLegsDescription
      0, // combo legs
      0, // order combo legs
      0, // smart combo routing params
      '', // scaleInitLevelSize
      '', // scaleSubsLevelSize
      '', // scalePriceIncrement
      '', // hedgeType
      '', // clearingAccount
      '', // clearingIntent
      false, // notHeld
      false, // deltaNeutral contract
      '', // algoStrategy
      false, // solicited
      o.status,
      false, // randomizeSize
      false, // randomizePrice
      0, // conditions
      '', // trailStopPrice
      '', // lmtPriceOffset
      '', // cashQty
      false, // dontUseAutoPriceForHedge
      false, // isOmsContainer
      '', // autoCancelDate
      o.filled,
      0, // refFuturesConId
      false, // autoCancelParent
      '', // shareholder
      false, // imbalanceOnly
      false, // routeMarketableToBbo
      0, // parentPermId
      o.completedTime,
      o.completedStatus,
      '', // minTradeQty
      '', // minCompeteSize
      '', // competeAgainstBestOffset
      '', // midOffsetAtWhole
      '', // midOffsetAtHalf
      '', // customerAccount
      false, // professionalCustomer
    ];
  }

  private send(session: Session, fields: readonly Field[]): void {
    if (session.socket.destroyed) return;
    let body = '';
    for (const field of fields) {
      const text =
        field === undefined ? '' : typeof field === 'boolean' ? (field ? '1' : '0') : String(field);
      body += text + '\0';
    }
    const payload = Buffer.from(body, 'utf8');
    const frame = Buffer.allocUnsafe(4 + payload.length);
    frame.writeUInt32BE(payload.length, 0);
    payload.copy(frame, 4);
    session.socket.write(frame);
  }
}
