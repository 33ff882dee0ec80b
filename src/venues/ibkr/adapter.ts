// The Interactive Brokers venue adapter: the VenueAdapter contract over one TWS / IB Gateway API session
// (@stoqey/ib), with pacing, reconnection and catch-up, reconciliation queries, commissions, and top-of-book
// market data for the feed side.

import {
  EventName,
  IBApi,
  OrderAction,
  type CommissionReport,
  type Contract,
  type Execution,
  type Order as IbOrder,
  type OrderState as IbOrderState,
  type OrderType as IbOrderType,
} from '@stoqey/ib';
import type { Clock } from '../../common/clock.ts';
import type { ReasonCode } from '../../common/errors.ts';
import { silentLogger, type Logger } from '../../common/logging.ts';
import {
  clientOrderId as toClientOrderId,
  quantize,
  tradeId,
  venueOrderId,
  type ClientOrderId,
  type Instrument,
  type InstrumentId,
  type MarketData,
  type OrderRequest,
  type OrderSide,
  type VenueBalanceReport,
  type VenueEvent,
  type VenueFillReport,
  type VenueId,
  type VenueOrderId,
  type VenueOrderReport,
  type VenuePositionReport,
} from '../../model/index.ts';
import type { VenueAdapter, VenueConnectionState, VenueModify } from '../../oms/venue.ts';
import type { IbkrSettings } from './config.ts';
import { IbkrFeeModel } from './fee-model.ts';
import { TopOfBook } from './market-data.ts';
import {
  isOpenStatus,
  validateChange,
  validateOrder,
  type ExecutionRecord,
  type TrackedOrder,
} from './orders.ts';
import { MessagePacer } from './pacer.ts';
import {
  AccountRedactor,
  classifyIbError,
  contractFor,
  contractKey,
  externalClientOrderId,
  formatExecutionFilterTime,
  ibOrderType,
  ibStatusClass,
  parseIbTime,
  platformOrderType,
  platformSide,
  platformTimeInForce,
  rawExcerpt,
  redactingLogger,
  reportStatus,
} from './parsing.ts';

export interface IbkrVenueAdapterOptions {
  readonly venue: VenueId;
  readonly settings: IbkrSettings;
  readonly clock: Clock;
  /** Instruments of this venue (others in the list are ignored). */
  readonly instruments: readonly Instrument[];
  readonly log?: Logger;
}

/** Requests waiting for a pacer token. Orders travel as data; queries carry what to call. */
type Outgoing =
  | {
      readonly kind: 'place';
      readonly order: TrackedOrder;
      readonly contract: Contract;
      readonly ibOrder: IbOrder;
    }
  | { readonly kind: 'cancel'; readonly order: TrackedOrder }
  | {
      readonly kind: 'request';
      readonly what: string;
      readonly run: (api: IBApi) => void;
      readonly unsent: () => void;
    };

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class IbkrVenueAdapter implements VenueAdapter {
  readonly venue: VenueId;
  readonly settings: IbkrSettings;
  /** Counted events an operator may want on a dashboard. */
  readonly counters = {
    malformedMessages: 0,
    unexpectedMessages: 0,
    pacingViolations: 0,
    estimatedCommissions: 0,
    handlerErrors: 0,
    duplicateSubmits: 0,
    reconnects: 0,
    notReceived: 0,
  };
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly redactor = new AccountRedactor();
  private readonly feeModel: IbkrFeeModel;
  private readonly api: IBApi;
  private readonly pacer: MessagePacer<Outgoing>;
  private connectionState: VenueConnectionState = 'disconnected';
  private eventHandler: ((event: VenueEvent) => void) | undefined;
  private readonly statusHandlers: ((state: VenueConnectionState) => void)[] = [];
  private readonly marketDataHandlers: ((m: MarketData) => void)[] = [];

  // connection
  private wanted = false;
  private everConnected = false;
  private session = 0;
  private sessionReady = false;
  private twsOffline = false;
  private nextOrderId = 0;
  private nextRequestId = 1;
  private managedAccounts: readonly string[] = [];
  private reconnectDelay: number;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private attemptTimer: NodeJS.Timeout | undefined;
  private connectWaiters: Waiter[] = [];
  private lastConnectProblem = '';
  private lastRaw: readonly string[] | undefined;
  private lastMalformedRaw: readonly string[] | undefined;

  // orders and executions
  private readonly submittedIds = new Set<string>();
  private readonly byClientOrderId = new Map<ClientOrderId, TrackedOrder>();
  private readonly byOrderId = new Map<number, TrackedOrder>();
  private readonly byPermId = new Map<number, TrackedOrder>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly earlyCommissions = new Map<string, CommissionReport>();
  private fillQueue: ExecutionRecord[] = [];
  private fillTimer: NodeJS.Timeout | undefined;
  private readonly onFillTimer = (): void => this.guarded('fill timer', () => this.flushFills());
  private catchUpTimer: NodeJS.Timeout | undefined;

  // instruments
  private readonly instrumentByKey = new Map<string, Instrument>();
  private readonly instrumentByConId = new Map<number, Instrument>();
  private readonly instruments = new Map<InstrumentId, Instrument>();
  private readonly contracts = new Map<InstrumentId, Contract | undefined>();

  // queries
  private openOrdersQuery: Promise<Set<TrackedOrder>> | undefined;
  private openOrdersSeen: Set<TrackedOrder> | undefined;
  private readonly openOrderEnds: Waiter[] = [];
  private completedOrdersQuery: Promise<void> | undefined;
  private readonly completedOrderEnds: Waiter[] = [];
  private positionsQuery: Promise<readonly VenuePositionReport[]> | undefined;
  private positionRows: { account: string; contract: Contract; quantity: number }[] = [];
  private readonly positionEnds: Waiter[] = [];
  private readonly executionEnds = new Map<number, Waiter>();
  private readonly summaryEnds = new Map<number, Waiter>();
  private readonly summaryRows = new Map<
    number,
    { account: string; tag: string; value: string; currency: string }[]
  >();

  // market data
  private readonly marketData = new Map<number, TopOfBook>();
  private readonly subscribed = new Map<InstrumentId, number>();

  constructor(options: IbkrVenueAdapterOptions) {
    this.venue = options.venue;
    this.settings = options.settings;
    this.clock = options.clock;
    this.redactor.add(options.settings.account);
    this.log = redactingLogger(options.log ?? silentLogger, this.redactor);
    this.feeModel = new IbkrFeeModel(options.settings.fees);
    this.reconnectDelay = options.settings.reconnect.initialDelayMs;
    for (const instrument of options.instruments) {
      if (instrument.venue !== this.venue) continue;
      this.instruments.set(instrument.id, instrument);
      const contract = contractFor(instrument, options.settings);
      this.contracts.set(instrument.id, contract);
      if (!contract) continue;
      this.instrumentByKey.set(contractKey(contract.secType, contract.symbol, contract.currency), instrument);
      if (contract.conId !== undefined) this.instrumentByConId.set(contract.conId, instrument);
    }
    const rate = options.settings.pacing.messagesPerSecond;
    this.pacer = new MessagePacer<Outgoing>(rate, (item) => this.dispatch(item));
    // The library has its own limiter; give it room so that it never holds anything back (see pacer.ts).
    this.api = new IBApi({
      host: options.settings.host,
      port: options.settings.port,
      clientId: options.settings.clientId,
      maxReqPerSec: rate * 2 + 10,
    });
    this.guardDecoder();
    this.listen();
  }

  get state(): VenueConnectionState {
    return this.connectionState;
  }

  // ---- connection ----

  /**
   * Connects and resolves once the session is ready and caught up (open orders, today's executions). Rejects
   * after `connectTimeoutMs` with what went wrong; a first connect that fails stops trying, a later one keeps
   * reconnecting in the background.
   */
  connect(): Promise<void> {
    if (this.connectionState === 'connected') return Promise.resolve();
    this.wanted = true;
    const ms = this.settings.connectTimeoutMs;
    const promise = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.connectWaiters = this.connectWaiters.filter((w) => w.timer !== timer);
        const where = `${this.settings.host}:${this.settings.port}`;
        const problem = this.lastConnectProblem ? `: ${this.lastConnectProblem}` : '';
        reject(
          new Error(
            `IBKR venue ${this.venue}: no ready session with TWS / IB Gateway at ${where} (client id ${this.settings.clientId}) within ${ms} ms${problem}`,
          ),
        );
        if (!this.everConnected) this.stop();
      }, ms);
      timer.unref();
      this.connectWaiters.push({ resolve, reject, timer });
    });
    if (this.connectionState === 'disconnected' && this.reconnectTimer === undefined) this.attempt();
    return promise;
  }

  /** Ends the session; requests waiting to be sent are answered as not sent. */
  async disconnect(): Promise<void> {
    this.wanted = false;
    const closed = new Promise<void>((resolve) => {
      if (!this.api.isConnected && this.connectionState === 'disconnected') {
        resolve();
        return;
      }
      const timer = setTimeout(resolve, 1000);
      timer.unref();
      this.api.once(EventName.disconnected, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.stop();
    for (const w of this.connectWaiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new Error(`IBKR venue ${this.venue}: disconnect requested while connecting`));
    }
    await closed;
  }

  onEvent(handler: (event: VenueEvent) => void): void {
    this.eventHandler = handler;
  }

  onStatus(handler: (state: VenueConnectionState) => void): void {
    this.statusHandlers.push(handler);
  }

  // ---- requests ----

  submit(order: OrderRequest, instrument: Instrument): void {
    const id = (order as Partial<OrderRequest> | undefined)?.clientOrderId;
    if (typeof id !== 'string' || id.length === 0) {
      this.counters.unexpectedMessages++;
      this.log.warn('submit without a client order id ignored', { venue: this.venue });
      return;
    }
    if (this.submittedIds.has(id)) {
      // Never sent twice: a repeated submit (a redelivered command) changes nothing.
      this.counters.duplicateSubmits++;
      return;
    }
    this.submittedIds.add(id);
    if (this.connectionState !== 'connected' || !this.sessionReady) {
      this.tell({
        kind: 'rejected',
        venue: this.venue,
        clientOrderId: id,
        reason: 'VENUE_IB_DISCONNECTED',
        message: `IBKR venue ${this.venue} is ${this.connectionState}: order not sent`,
        tsEvent: this.clock.now(),
      });
      return;
    }
    const problem = validateOrder(order);
    const contract = problem ? undefined : instrument ? this.contractOf(instrument, order) : undefined;
    if (problem || !contract) {
      const [reason, message] = problem ?? [
        'VENUE_IB_NO_CONTRACT',
        `no IB contract for ${String(order.instrumentId)} (add it under contracts in ibkr.yaml)`,
      ];
      this.tell({
        kind: 'rejected',
        venue: this.venue,
        clientOrderId: id,
        reason,
        message,
        tsEvent: this.clock.now(),
      });
      return;
    }
    const tracked: TrackedOrder = {
      clientOrderId: id,
      ours: true,
      orderId: this.nextOrderId++,
      clientId: this.settings.clientId,
      permId: 0,
      instrumentId: order.instrumentId,
      instrument,
      side: order.side,
      type: order.type,
      timeInForce: order.timeInForce,
      quantity: order.quantity,
      price: order.price,
      triggerPrice: order.triggerPrice,
      stage: 'queued',
      session: this.session,
      ibStatus: 'pending',
      venueFilled: 0,
      executed: 0,
      executedValue: 0,
      told: 0,
      queued: 0,
      accepted: false,
      rejected: false,
      closed: false,
      cancelRequested: false,
      pendingModify: undefined,
      heldCancel: undefined,
      lastError: undefined,
    };
    this.byClientOrderId.set(id, tracked);
    this.byOrderId.set(tracked.orderId, tracked);
    this.pacer.enqueue({ kind: 'place', order: tracked, contract, ibOrder: this.ibOrderOf(tracked) });
  }

  cancel(clientOrderId: ClientOrderId): void {
    const order = this.byClientOrderId.get(clientOrderId);
    if (!order || order.stage === 'lost') {
      this.refuseCancel(clientOrderId, 'VENUE_UNKNOWN_ORDER', 'unknown order');
      return;
    }
    if (order.clientId !== this.settings.clientId || order.orderId === 0) {
      this.refuseCancel(
        clientOrderId,
        'VENUE_IB_NOT_OURS',
        `order ${clientOrderId} was placed by another IB client`,
      );
      return;
    }
    if (order.closed) {
      this.refuseCancel(clientOrderId, 'VENUE_ORDER_CLOSED', 'the order is already closed');
      return;
    }
    if (this.connectionState !== 'connected' || !this.sessionReady) {
      this.refuseCancel(
        clientOrderId,
        'VENUE_IB_DISCONNECTED',
        `IBKR venue ${this.venue} is ${this.connectionState}: cancel not sent`,
      );
      return;
    }
    order.cancelRequested = true;
    this.pacer.enqueue({ kind: 'cancel', order });
  }

  modify(clientOrderId: ClientOrderId, change: VenueModify): void {
    const order = this.byClientOrderId.get(clientOrderId);
    if (!order || order.stage === 'lost') {
      this.refuseChange(clientOrderId, 'VENUE_UNKNOWN_ORDER', 'unknown order');
      return;
    }
    if (!order.ours) {
      this.refuseChange(
        clientOrderId,
        'VENUE_IB_NOT_OURS',
        `order ${clientOrderId} was not placed by this session`,
      );
      return;
    }
    if (order.closed) {
      this.refuseChange(clientOrderId, 'VENUE_ORDER_CLOSED', 'the order is already closed');
      return;
    }
    if (order.pendingModify) {
      this.refuseChange(clientOrderId, 'VENUE_REJECTED', 'a modification of this order is already in flight');
      return;
    }
    const problem = validateChange(change, order);
    if (problem) {
      this.refuseChange(clientOrderId, 'VENUE_INVALID_ORDER', problem);
      return;
    }
    if (this.connectionState !== 'connected' || !this.sessionReady || !order.instrument) {
      this.refuseChange(
        clientOrderId,
        'VENUE_IB_DISCONNECTED',
        `IBKR venue ${this.venue} is ${this.connectionState}: modification not sent`,
      );
      return;
    }
    const contract = this.contractOf(order.instrument, undefined);
    if (!contract) {
      this.refuseChange(
        clientOrderId,
        'VENUE_IB_NO_CONTRACT',
        `no IB contract for ${String(order.instrumentId)}`,
      );
      return;
    }
    order.pendingModify = change;
    // IB modifies an order by placing it again under the same order id with the new values.
    const ibOrder = this.ibOrderOf(order);
    if (change.quantity !== undefined) ibOrder.totalQuantity = change.quantity;
    if (change.price !== undefined) ibOrder.lmtPrice = change.price;
    if (change.triggerPrice !== undefined) ibOrder.auxPrice = change.triggerPrice;
    this.pacer.enqueue({ kind: 'place', order, contract, ibOrder });
  }

  private refuseCancel(clientOrderId: ClientOrderId, reason: ReasonCode, message: string): void {
    this.tell({
      kind: 'cancel_rejected',
      venue: this.venue,
      clientOrderId,
      reason,
      message,
      tsEvent: this.clock.now(),
    });
  }

  private refuseChange(clientOrderId: ClientOrderId, reason: ReasonCode, message: string): void {
    this.tell({
      kind: 'modify_rejected',
      venue: this.venue,
      clientOrderId,
      reason,
      message,
      tsEvent: this.clock.now(),
    });
  }

  // ---- reconciliation queries ----

  /** Open orders of every client of the account (this one, others, TWS by hand), as IB lists them now. */
  async openOrders(): Promise<readonly VenueOrderReport[]> {
    this.requireSession('open orders');
    const seen = await this.queryOpenOrders();
    const out: VenueOrderReport[] = [];
    for (const order of seen) {
      const report = this.reportOf(order);
      if (report && isOpenStatus(report.status)) out.push(report);
    }
    return out;
  }

  /** Orders IB has acknowledged this session, open or closed, refreshed by the open and completed orders. */
  async orders(): Promise<readonly VenueOrderReport[]> {
    this.requireSession('orders');
    await this.queryOpenOrders();
    await this.queryCompletedOrders();
    const out: VenueOrderReport[] = [];
    for (const order of this.byClientOrderId.values()) {
      if (order.stage !== 'known') continue;
      const report = this.reportOf(order);
      if (report) out.push(report);
    }
    return out;
  }

  /** Executions (of every client of the account) with tsEvent ≥ since, as IB lists them now. */
  async fills(since: number): Promise<readonly VenueFillReport[]> {
    this.requireSession('fills');
    await this.queryExecutions(0, since);
    const out: VenueFillReport[] = [];
    for (const record of this.executions.values()) {
      if (record.report.tsEvent < since) continue;
      out.push(
        record.report.fee === record.fee && record.report.feeCurrency === record.feeCurrency
          ? record.report
          : { ...record.report, fee: record.fee, feeCurrency: record.feeCurrency },
      );
    }
    return out;
  }

  async positions(): Promise<readonly VenuePositionReport[]> {
    this.requireSession('positions');
    if (this.positionsQuery) return this.positionsQuery;
    const query = this.queryPositions().finally(() => {
      this.positionsQuery = undefined;
    });
    this.positionsQuery = query;
    return await query;
  }

  /** Cash per currency (IB's TotalCashBalance) of the account, or of every managed account summed. */
  async balances(): Promise<readonly VenueBalanceReport[]> {
    this.requireSession('balances');
    const reqId = this.nextRequestId++;
    this.summaryRows.set(reqId, []);
    try {
      await this.request(
        'account summary',
        (api) => api.reqAccountSummary(reqId, 'All', '$LEDGER:ALL'),
        () => this.awaitKeyed(this.summaryEnds, reqId, 'account summary'),
      );
    } finally {
      this.enqueueRequest('cancel account summary', (api) => api.cancelAccountSummary(reqId));
    }
    const totals = new Map<string, number>();
    for (const row of this.summaryRows.get(reqId) ?? []) {
      if (row.tag !== 'TotalCashBalance' || row.currency === 'BASE' || !this.isOurAccount(row.account))
        continue;
      const value = Number(row.value);
      if (!Number.isFinite(value)) {
        this.unexpected('account summary value is not a number', [row.tag, row.value, row.currency]);
        continue;
      }
      totals.set(row.currency, (totals.get(row.currency) ?? 0) + value);
    }
    this.summaryRows.delete(reqId);
    return [...totals].map(([currency, total]) => ({ venue: this.venue, currency, total }));
  }

  // ---- market data (the feed side) ----

  /** Registers the consumer of this venue's quotes and trades (top of book from reqMktData). */
  onMarketData(handler: (m: MarketData) => void): void {
    this.marketDataHandlers.push(handler);
  }

  /** Subscribes to an instrument's top of book; kept across reconnects. False when it has no IB contract. */
  subscribeMarketData(instrument: Instrument): boolean {
    if (this.subscribed.has(instrument.id)) return true;
    const contract = this.contractOf(instrument, undefined);
    if (!contract) return false;
    const reqId = this.nextRequestId++;
    this.subscribed.set(instrument.id, reqId);
    this.marketData.set(reqId, new TopOfBook(instrument));
    if (this.connectionState === 'connected' && this.sessionReady)
      this.enqueueRequest('market data', (api) => api.reqMktData(reqId, contract, '', false, false));
    return true;
  }

  unsubscribeMarketData(instrumentId: InstrumentId): void {
    const reqId = this.subscribed.get(instrumentId);
    if (reqId === undefined) return;
    this.subscribed.delete(instrumentId);
    this.marketData.delete(reqId);
    if (this.connectionState === 'connected')
      this.enqueueRequest('cancel market data', (api) => api.cancelMktData(reqId));
  }

  // ---- connection internals ----

  private attempt(): void {
    this.reconnectTimer = undefined;
    if (!this.wanted) return;
    this.session++;
    this.sessionReady = false;
    this.setState('connecting');
    this.api.connect(this.settings.clientId);
    if (this.attemptTimer) clearTimeout(this.attemptTimer);
    this.attemptTimer = setTimeout(() => {
      this.attemptTimer = undefined;
      if (this.sessionReady) return;
      this.lastConnectProblem ||=
        'TCP connected but TWS never sent the next valid order id (is the API enabled?)';
      this.log.warn('IBKR session not ready in time: retrying', {
        venue: this.venue,
        problem: this.lastConnectProblem,
      });
      this.api.disconnect();
    }, this.settings.connectTimeoutMs);
    this.attemptTimer.unref();
  }

  /** Stops trying and closes the socket; orders in flight stay in flight (a later session settles them). */
  private stop(): void {
    this.wanted = false;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    if (this.attemptTimer) clearTimeout(this.attemptTimer);
    this.attemptTimer = undefined;
    this.dropSession('disconnect requested');
    this.api.disconnect();
    this.setState('disconnected');
  }

  private onSocketClosed(): void {
    const was = this.connectionState;
    this.dropSession('connection to TWS lost');
    this.setState('disconnected');
    if (!this.wanted || this.reconnectTimer) return;
    if (was === 'connected') this.log.warn('IBKR session lost: reconnecting', { venue: this.venue });
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(this.reconnectDelay * 2, this.settings.reconnect.maxDelayMs);
    this.counters.reconnects++;
    this.reconnectTimer = setTimeout(() => this.attempt(), delay);
    this.reconnectTimer.unref();
  }

  /** The session is gone: what waits to be sent never will be, queries get no answer. */
  private dropSession(why: string): void {
    this.sessionReady = false;
    this.twsOffline = false;
    if (this.attemptTimer) clearTimeout(this.attemptTimer);
    this.attemptTimer = undefined;
    for (const item of this.pacer.drain()) this.unsent(item);
    const error = new Error(`IBKR venue ${this.venue}: ${why}`);
    for (const list of [this.openOrderEnds, this.completedOrderEnds, this.positionEnds])
      for (const w of list.splice(0)) {
        clearTimeout(w.timer);
        w.reject(error);
      }
    for (const map of [this.executionEnds, this.summaryEnds]) {
      for (const w of map.values()) {
        clearTimeout(w.timer);
        w.reject(error);
      }
      map.clear();
    }
  }

  private onNextValidId(id: number): void {
    if (Number.isInteger(id) && id > this.nextOrderId) this.nextOrderId = id;
    if (this.sessionReady || this.connectionState !== 'connecting' || !this.api.isConnected) return;
    this.sessionReady = true;
    if (this.attemptTimer) clearTimeout(this.attemptTimer);
    this.attemptTimer = undefined;
    const account = this.settings.account;
    if (account !== undefined && this.managedAccounts.length > 0 && !this.managedAccounts.includes(account)) {
      this.failConnect(
        `account ${this.redactor.redact(account)} is not among the ${this.managedAccounts.length} account(s) this login manages`,
      );
      return;
    }
    void this.catchUp('session ready');
  }

  /** A problem retrying cannot fix: the waiting connect() calls fail at once and the adapter stops. */
  private failConnect(problem: string): void {
    this.lastConnectProblem = problem;
    this.log.error(`IBKR venue ${this.venue}: ${problem}`, { venue: this.venue });
    const error = new Error(`IBKR venue ${this.venue}: ${problem}`);
    for (const w of this.connectWaiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(error);
    }
    if (!this.everConnected) this.stop();
  }

  /**
   * After (re)connecting or TWS regaining IB: today's executions of this client (missed fills are told), then
   * open and completed orders (missed statuses are told); an order sent in an earlier session that IB knows
   * nothing of never reached it. Then connected.
   */
  private async catchUp(why: string): Promise<void> {
    const session = this.session;
    try {
      await this.queryExecutions(this.settings.clientId, 0);
      await this.queryOpenOrders();
      await this.queryCompletedOrders();
    } catch (error) {
      if (session !== this.session) return;
      this.log.warn('IBKR catch-up failed: reconnecting', { venue: this.venue, why, error });
      if (this.api.isConnected) this.api.disconnect();
      return;
    }
    if (session !== this.session || !this.sessionReady) return;
    for (const order of this.byClientOrderId.values()) {
      if (!order.ours || order.closed || order.stage !== 'sent' || order.session === session) continue;
      order.stage = 'lost';
      this.counters.notReceived++;
      this.rejectOrder(
        order,
        'VENUE_IB_NOT_RECEIVED',
        'IB has no record of the order after reconnecting: it was never placed',
      );
    }
    this.flushFills();
    this.reconnectDelay = this.settings.reconnect.initialDelayMs;
    this.lastConnectProblem = '';
    this.everConnected = true;
    for (const [instrumentId, reqId] of this.subscribed) {
      const line = this.marketData.get(reqId);
      const contract = line ? this.contractOf(line.instrument, undefined) : undefined;
      if (contract)
        this.enqueueRequest('market data', (api) => api.reqMktData(reqId, contract, '', false, false));
      else this.log.warn('market data subscription without a contract', { venue: this.venue, instrumentId });
    }
    this.setState('connected');
    this.log.info(`IBKR venue ${this.venue} ready (${why})`, {
      venue: this.venue,
      serverVersion: this.api.serverVersion,
    });
    for (const w of this.connectWaiters.splice(0)) {
      clearTimeout(w.timer);
      w.resolve();
    }
  }

  private setState(next: VenueConnectionState): void {
    if (next === this.connectionState) return;
    this.connectionState = next;
    for (const handler of this.statusHandlers) {
      try {
        handler(next);
      } catch (error) {
        this.counters.handlerErrors++;
        this.log.error('venue status handler threw', { venue: this.venue, error });
      }
    }
  }

  private requireSession(what: string): void {
    if (!this.sessionReady || !this.api.isConnected)
      throw new Error(`IBKR venue ${this.venue} is ${this.connectionState}: cannot query ${what}`);
  }

  // ---- sending ----

  private dispatch(item: Outgoing): void {
    if (!this.sessionReady || !this.api.isConnected) {
      this.unsent(item);
      return;
    }
    switch (item.kind) {
      case 'place':
        if (item.order.stage === 'queued') {
          item.order.stage = 'sent';
          item.order.session = this.session;
        }
        this.api.placeOrder(item.order.orderId, item.contract, item.ibOrder);
        return;
      case 'cancel':
        this.api.cancelOrder(item.order.orderId);
        return;
      case 'request':
        item.run(this.api);
        return;
    }
  }

  /** A request that never left: the OMS hears it was not sent (an order is rejected on our own word). */
  private unsent(item: Outgoing): void {
    const now = this.clock.now();
    switch (item.kind) {
      case 'place': {
        const order = item.order;
        if (order.stage === 'queued') {
          order.stage = 'lost';
          this.rejectOrder(order, 'VENUE_IB_DISCONNECTED', 'the session dropped before the order was sent');
        } else if (order.pendingModify) {
          order.pendingModify = undefined;
          this.tell({
            kind: 'modify_rejected',
            venue: this.venue,
            clientOrderId: order.clientOrderId,
            reason: 'VENUE_IB_DISCONNECTED',
            message: 'the session dropped before the modification was sent',
            tsEvent: now,
          });
        }
        return;
      }
      case 'cancel':
        item.order.cancelRequested = false;
        if (!item.order.closed)
          this.tell({
            kind: 'cancel_rejected',
            venue: this.venue,
            clientOrderId: item.order.clientOrderId,
            reason: 'VENUE_IB_DISCONNECTED',
            message: 'the session dropped before the cancel was sent',
            tsEvent: now,
          });
        return;
      case 'request':
        item.unsent();
        return;
    }
  }

  private enqueueRequest(what: string, run: (api: IBApi) => void): void {
    this.pacer.enqueue({ kind: 'request', what, run, unsent: () => undefined });
  }

  /** Sends a request through the pacer and waits for its end message (`wait` registers the waiter first). */
  private request(what: string, run: (api: IBApi) => void, wait: () => Promise<void>): Promise<void> {
    const done = wait();
    this.pacer.enqueue({
      kind: 'request',
      what,
      run,
      unsent: () => this.log.debug('query not sent: session dropped', { venue: this.venue, what }),
    });
    return done;
  }

  private awaitList(list: Waiter[], what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = list.findIndex((w) => w.timer === timer);
        if (i >= 0) list.splice(i, 1);
        reject(
          new Error(
            `IBKR venue ${this.venue}: no answer to the ${what} query within ${this.settings.queryTimeoutMs} ms`,
          ),
        );
      }, this.settings.queryTimeoutMs);
      timer.unref();
      list.push({ resolve, reject, timer });
    });
  }

  private awaitKeyed(map: Map<number, Waiter>, reqId: number, what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        map.delete(reqId);
        reject(
          new Error(
            `IBKR venue ${this.venue}: no answer to the ${what} query within ${this.settings.queryTimeoutMs} ms`,
          ),
        );
      }, this.settings.queryTimeoutMs);
      timer.unref();
      map.set(reqId, { resolve, reject, timer });
    });
  }

  private static release(list: Waiter[]): void {
    for (const w of list.splice(0)) {
      clearTimeout(w.timer);
      w.resolve();
    }
  }

  private queryOpenOrders(): Promise<Set<TrackedOrder>> {
    if (this.openOrdersQuery) return this.openOrdersQuery;
    const seen = new Set<TrackedOrder>();
    this.openOrdersSeen = seen;
    const query = this.request(
      'open orders',
      (api) => api.reqAllOpenOrders(),
      () => this.awaitList(this.openOrderEnds, 'open orders'),
    )
      .then(() => seen)
      .finally(() => {
        this.openOrdersQuery = undefined;
        if (this.openOrdersSeen === seen) this.openOrdersSeen = undefined;
      });
    this.openOrdersQuery = query;
    return query;
  }

  private queryCompletedOrders(): Promise<void> {
    if (this.completedOrdersQuery) return this.completedOrdersQuery;
    const query = this.request(
      'completed orders',
      (api) => api.reqCompletedOrders(false),
      () => this.awaitList(this.completedOrderEnds, 'completed orders'),
    ).finally(() => {
      this.completedOrdersQuery = undefined;
    });
    this.completedOrdersQuery = query;
    return query;
  }

  /** Today's executions (of one client id, 0: all) since `since` µs; what is new is recorded (and told, if ours). */
  private queryExecutions(clientId: number, since: number): Promise<void> {
    const reqId = this.nextRequestId++;
    const filter = {
      clientId: String(clientId),
      acctCode: this.settings.account ?? '',
      time: since > 0 ? formatExecutionFilterTime(since - 1_000_000) : '',
    };
    return this.request(
      'executions',
      (api) => api.reqExecutions(reqId, filter),
      () => this.awaitKeyed(this.executionEnds, reqId, 'executions'),
    );
  }

  private async queryPositions(): Promise<readonly VenuePositionReport[]> {
    this.positionRows = [];
    try {
      await this.request(
        'positions',
        (api) => api.reqPositions(),
        () => this.awaitList(this.positionEnds, 'positions'),
      );
    } finally {
      this.enqueueRequest('cancel positions', (api) => api.cancelPositions());
    }
    const totals = new Map<InstrumentId, number>();
    for (const row of this.positionRows) {
      if (!this.isOurAccount(row.account)) continue;
      const id = this.instrumentIdOf(row.contract);
      totals.set(id, (totals.get(id) ?? 0) + row.quantity);
    }
    const out: VenuePositionReport[] = [];
    for (const [instrumentId, quantity] of totals) {
      const decimals = this.instruments.get(instrumentId)?.quantityDecimals ?? 8;
      const q = quantize(quantity, decimals);
      if (q !== 0) out.push({ venue: this.venue, instrumentId, quantity: q });
    }
    return out;
  }

  private isOurAccount(account: string): boolean {
    return this.settings.account === undefined || account === this.settings.account;
  }

  // ---- incoming ----

  /** Registers the library's events once; every handler runs guarded (a bug here must not kill the session). */
  private listen(): void {
    const api = this.api;
    api.on(EventName.received, (tokens: string[]) => {
      this.lastRaw = tokens;
    });
    api.on(EventName.connected, () =>
      this.guarded('connected', () => this.log.debug('TCP session up', { venue: this.venue })),
    );
    api.on(EventName.disconnected, () => this.guarded('disconnected', () => this.onSocketClosed()));
    api.on(EventName.managedAccounts, (list: string) =>
      this.guarded('managedAccounts', () => {
        this.managedAccounts = String(list)
          .split(',')
          .map((a) => a.trim())
          .filter((a) => a.length > 0);
        for (const account of this.managedAccounts) this.redactor.add(account);
      }),
    );
    api.on(EventName.nextValidId, (id: number) => this.guarded('nextValidId', () => this.onNextValidId(id)));
    api.on(EventName.error, (error: Error, code: number, reqId: number) =>
      this.guarded('error', () => this.onIbMessage(code, reqId, error?.message ?? '')),
    );
    api.on(EventName.info, (message: string, code: number) =>
      this.guarded('info', () => this.onIbMessage(code, -1, message)),
    );
    api.on(EventName.openOrder, (orderId: number, contract: Contract, order: IbOrder, state: IbOrderState) =>
      this.guarded('openOrder', () => this.onOpenOrder(orderId, contract, order, state)),
    );
    api.on(EventName.openOrderEnd, () =>
      this.guarded('openOrderEnd', () => IbkrVenueAdapter.release(this.openOrderEnds)),
    );
    api.on(EventName.completedOrder, (contract: Contract, order: IbOrder, state: IbOrderState) =>
      this.guarded('completedOrder', () => this.onCompletedOrder(contract, order, state)),
    );
    api.on(EventName.completedOrdersEnd, () =>
      this.guarded('completedOrdersEnd', () => IbkrVenueAdapter.release(this.completedOrderEnds)),
    );
    api.on(
      EventName.orderStatus,
      (
        orderId: number,
        status: string,
        filled: number,
        _remaining: number,
        _avg: number,
        permId?: number,
        _parent?: number,
        _last?: number,
        clientId?: number,
      ) =>
        this.guarded('orderStatus', () => this.onOrderStatus(orderId, status, filled, permId ?? 0, clientId)),
    );
    api.on(EventName.execDetails, (reqId: number, contract: Contract, execution: Execution) =>
      this.guarded('execDetails', () => this.onExecution(reqId, contract, execution)),
    );
    api.on(EventName.execDetailsEnd, (reqId: number) =>
      this.guarded('execDetailsEnd', () => {
        const w = this.executionEnds.get(reqId);
        if (!w) return;
        this.executionEnds.delete(reqId);
        clearTimeout(w.timer);
        w.resolve();
      }),
    );
    api.on(EventName.commissionReport, (report: CommissionReport) =>
      this.guarded('commissionReport', () => this.onCommission(report)),
    );
    api.on(EventName.position, (account: string, contract: Contract, quantity: number) =>
      this.guarded('position', () => {
        if (!Number.isFinite(quantity)) {
          this.unexpected('position quantity is not a number', this.lastRaw);
          return;
        }
        this.positionRows.push({ account, contract, quantity });
      }),
    );
    api.on(EventName.positionEnd, () =>
      this.guarded('positionEnd', () => IbkrVenueAdapter.release(this.positionEnds)),
    );
    api.on(
      EventName.accountSummary,
      (reqId: number, account: string, tag: string, value: string, currency: string) =>
        this.guarded('accountSummary', () =>
          this.summaryRows.get(reqId)?.push({ account, tag, value, currency }),
        ),
    );
    api.on(EventName.accountSummaryEnd, (reqId: number) =>
      this.guarded('accountSummaryEnd', () => {
        const w = this.summaryEnds.get(reqId);
        if (!w) return;
        this.summaryEnds.delete(reqId);
        clearTimeout(w.timer);
        w.resolve();
      }),
    );
    api.on(EventName.tickPrice, (reqId: number, field: number, value: number) =>
      this.guarded('tickPrice', () => this.onTick(reqId, field, value)),
    );
    api.on(EventName.tickSize, (reqId: number, field: number | undefined, value: number | undefined) =>
      this.guarded('tickSize', () => this.onTick(reqId, field ?? -1, value ?? Number.NaN)),
    );
  }

  private guarded(what: string, run: () => void): void {
    try {
      run();
    } catch (error) {
      this.counters.handlerErrors++;
      this.log.error('IBKR message handler threw (message ignored)', {
        venue: this.venue,
        message: what,
        raw: rawExcerpt(this.lastRaw, this.redactor),
        error,
      });
    }
  }

  /**
   * @stoqey/ib 1.6 lets anything but an underrun escape its decoder (e.g. JSON.parse of an error's
   * advanced-reject field), out of the socket's data handler, which would take the process down. This wraps
   * that one entry point of this instance (the library is not modified): the bad message is dropped, logged
   * and counted, and decoding goes on with the next one.
   */
  private guardDecoder(): void {
    const controller = (this.api as unknown as { controller?: Record<string, unknown> }).controller;
    const decoder = controller?.decoder as { drainQueue?: () => void } | undefined;
    const process = controller?.processIngressQueue;
    if (!controller || typeof process !== 'function' || typeof decoder?.drainQueue !== 'function') {
      this.log.warn('@stoqey/ib internals changed: the decoder guard is off', { venue: this.venue });
      return;
    }
    const original = process as (this: unknown) => void;
    const drain = decoder.drainQueue.bind(decoder);
    controller.processIngressQueue = (): void => {
      for (let attempts = 0; attempts < 100; attempts++) {
        try {
          original.call(controller);
          return;
        } catch (error) {
          drain();
          this.malformed(`undecodable message: ${(error as Error)?.message ?? String(error)}`);
        }
      }
    };
  }

  /** Counts a malformed message once (the library may report one message twice), logs every report. */
  private malformed(problem: string): void {
    if (this.lastRaw === undefined || this.lastRaw !== this.lastMalformedRaw)
      this.counters.malformedMessages++;
    this.lastMalformedRaw = this.lastRaw;
    this.log.warn(`IBKR message malformed: ${problem}`, {
      venue: this.venue,
      reason: 'VENUE_MALFORMED_MESSAGE',
      raw: rawExcerpt(this.lastRaw, this.redactor),
    });
  }

  private unexpected(problem: string, raw: readonly string[] | undefined): void {
    this.counters.unexpectedMessages++;
    this.log.warn(`IBKR message unexpected: ${problem}`, {
      venue: this.venue,
      reason: 'VENUE_IB_UNEXPECTED_MESSAGE',
      raw: rawExcerpt(raw, this.redactor),
    });
  }

  /** Errors and notices, with or without a request / order id (-1: none). */
  private onIbMessage(code: number, reqId: number, text: string): void {
    const c = classifyIbError(code);
    switch (c.kind) {
      case 'notice':
        this.log.debug(`IB ${code}: ${text}`, { venue: this.venue, code });
        return;
      case 'malformed':
        this.malformed(`IB ${code}: ${text}`);
        return;
      case 'connection':
        this.lastConnectProblem = `IB ${code}: ${text}`;
        this.log.debug(`IB ${code}: ${text}`, { venue: this.venue, code });
        return;
      case 'client_id_in_use':
        this.failConnect(
          `client id ${this.settings.clientId} is in use by another session (IB 326): set another clientId or close it`,
        );
        return;
      case 'pacing':
        this.onPacingViolation(reqId, text);
        return;
      case 'connectivity_lost':
        this.log.warn(`IB ${code}: ${text}`, { venue: this.venue, code, reason: c.reason });
        if (this.connectionState === 'connected') {
          this.twsOffline = true;
          this.setState('connecting');
        }
        return;
      case 'connectivity_restored':
        this.log.info(`IB ${code}: ${text}`, { venue: this.venue, code });
        if (this.twsOffline && this.sessionReady) {
          this.twsOffline = false;
          void this.catchUp(`IB ${code}`);
        }
        return;
      case 'market_data': {
        const line = this.marketData.get(reqId);
        this.log.warn(`IB ${code}: ${text}`, { venue: this.venue, code, instrumentId: line?.instrument.id });
        return;
      }
      case 'canceled': {
        const order = this.ourOrder(reqId);
        if (!order) return;
        order.stage = 'known';
        order.ibStatus = 'canceled';
        this.applyStatus(order);
        return;
      }
      case 'order':
        this.onOrderError(code, reqId, text, c.reason);
        return;
    }
  }

  private onPacingViolation(reqId: number, text: string): void {
    this.counters.pacingViolations++;
    this.pacer.pause(this.settings.pacing.pauseAfterViolationMs);
    this.log.warn(`IB 100: ${text}`, { venue: this.venue, reason: 'VENUE_IB_PACING' });
    const order = this.ourOrder(reqId);
    if (!order) return;
    // The message was dropped: the order (or its cancel) never took effect.
    if (!order.accepted && !order.closed && order.stage !== 'known') {
      order.stage = 'lost';
      this.rejectOrder(order, 'VENUE_IB_PACING', `IB 100: ${text}`);
    } else if (order.cancelRequested && !order.closed) {
      order.cancelRequested = false;
      this.tell({
        kind: 'cancel_rejected',
        venue: this.venue,
        clientOrderId: order.clientOrderId,
        reason: 'VENUE_IB_PACING',
        message: `IB 100: ${text}`,
        tsEvent: this.clock.now(),
      });
    } else if (order.pendingModify) this.refuseModify(order, 'VENUE_IB_PACING', `IB 100: ${text}`);
  }

  /** An error about one of our orders: refuses what is in flight for it (cancel, modify, or the order itself). */
  private onOrderError(code: number, reqId: number, text: string, reason: ReasonCode): void {
    const order = this.ourOrder(reqId);
    const message = `IB ${code}: ${text}`;
    if (!order) {
      if (this.marketData.has(reqId)) this.log.warn(message, { venue: this.venue, code });
      else if (reqId >= 0) this.unexpected(`${message} (no such order or request ${reqId})`, this.lastRaw);
      else this.log.warn(message, { venue: this.venue, code });
      return;
    }
    const cancelRefusal = code === 161 || code === 10147 || code === 10148 || code === 135;
    if (order.cancelRequested && cancelRefusal) {
      order.cancelRequested = false;
      if (order.stage !== 'lost') order.stage = 'known';
      this.tell({
        kind: 'cancel_rejected',
        venue: this.venue,
        clientOrderId: order.clientOrderId,
        reason,
        message,
        tsEvent: this.clock.now(),
      });
      return;
    }
    if (order.pendingModify && order.accepted) {
      this.refuseModify(order, reason, message);
      return;
    }
    if (!order.accepted && !order.closed) {
      order.stage = 'known';
      this.rejectOrder(order, reason, message);
      return;
    }
    // After acceptance (e.g. an exchange rejecting later): the status that follows closes it with this reason.
    order.lastError = { reason, message };
    this.log.warn(message, { venue: this.venue, code, order: order.clientOrderId });
  }

  private onOpenOrder(orderId: number, contract: Contract, ibOrder: IbOrder, state: IbOrderState): void {
    const status = ibStatusClass(state?.status);
    if (!ibOrder || status === undefined) {
      this.unexpected(`open order with status ${String(state?.status)}`, this.lastRaw);
      return;
    }
    const order = this.orderOf(
      orderId,
      ibOrder.permId ?? 0,
      ibOrder.clientId ?? -1,
      ibOrder.orderRef,
      contract,
      ibOrder,
    );
    if (!order) return;
    order.stage = 'known';
    order.ibStatus = status;
    this.openOrdersSeen?.add(order);
    if (!order.ours) this.refreshExternal(order, ibOrder);
    if (order.pendingModify) this.checkModified(order, ibOrder);
    this.applyStatus(order);
  }

  private onCompletedOrder(contract: Contract, ibOrder: IbOrder, state: IbOrderState): void {
    const status = ibStatusClass(state?.status);
    if (!ibOrder || status === undefined) {
      this.unexpected(`completed order with status ${String(state?.status)}`, this.lastRaw);
      return;
    }
    const permId = ibOrder.permId ?? 0;
    const order =
      (permId > 0 ? this.byPermId.get(permId) : undefined) ??
      (ibOrder.orderRef ? this.byClientOrderId.get(toClientOrderId(ibOrder.orderRef)) : undefined);
    // Orders closed before this session that it never saw are not this session's business.
    if (!order) return;
    if (permId > 0 && order.permId === 0) this.notePermId(order, permId);
    order.stage = 'known';
    order.ibStatus = status;
    const filled = ibOrder.filledQuantity;
    if (typeof filled === 'number' && Number.isFinite(filled) && filled > order.venueFilled)
      order.venueFilled = filled;
    this.applyStatus(order);
  }

  private onOrderStatus(
    orderId: number,
    status: string,
    filled: number,
    permId: number,
    clientId: number | undefined,
  ): void {
    const cls = ibStatusClass(status);
    if (cls === undefined) {
      this.unexpected(`order status "${status}"`, this.lastRaw);
      return;
    }
    const order =
      (permId > 0 ? this.byPermId.get(permId) : undefined) ??
      ((clientId === undefined || clientId === this.settings.clientId) && orderId > 0
        ? this.byOrderId.get(orderId)
        : undefined);
    if (!order) {
      this.unexpected(`status ${status} of unknown order ${orderId}`, this.lastRaw);
      return;
    }
    if (permId > 0 && order.permId === 0) this.notePermId(order, permId);
    if (order.stage !== 'lost') order.stage = 'known';
    order.ibStatus = cls;
    if (typeof filled === 'number' && Number.isFinite(filled) && filled > order.venueFilled)
      order.venueFilled = filled;
    this.applyStatus(order);
  }

  /** Tells the OMS what an order's IB status now implies, once. */
  private applyStatus(order: TrackedOrder): void {
    if (order.closed || !this.tells(order)) return;
    switch (order.ibStatus) {
      case 'pending':
        return;
      case 'working':
      case 'pending_cancel':
        if (!order.accepted) this.accept(order);
        return;
      case 'filled':
        if (!order.accepted) this.accept(order);
        if (order.told + order.queued < order.venueFilled) this.scheduleExecutionCatchUp();
        return;
      case 'canceled': {
        const reason = order.cancelRequested
          ? 'VENUE_USER_CANCELED'
          : (order.lastError?.reason ??
            (order.timeInForce === 'IOC'
              ? 'VENUE_IOC_REMAINDER'
              : order.timeInForce === 'FOK'
                ? 'VENUE_FOK_UNFILLABLE'
                : 'VENUE_CANCELED_BY_VENUE'));
        this.closeCanceled(order, reason);
        return;
      }
      case 'inactive':
        if (order.accepted) this.closeCanceled(order, order.lastError?.reason ?? 'VENUE_IB_INACTIVE');
        else
          this.rejectOrder(
            order,
            order.lastError?.reason ?? 'VENUE_IB_INACTIVE',
            order.lastError?.message ?? 'IB reports the order inactive',
          );
        return;
    }
  }

  /** Orders whose life the OMS hears about: ours, and those of our client id from an earlier run. */
  private tells(order: TrackedOrder): boolean {
    return order.ours || (order.clientId === this.settings.clientId && order.orderId > 0);
  }

  private accept(order: TrackedOrder): void {
    order.accepted = true;
    this.tell({
      kind: 'accepted',
      venue: this.venue,
      clientOrderId: order.clientOrderId,
      venueOrderId: this.venueOrderIdOf(order),
      tsEvent: this.clock.now(),
    });
  }

  private rejectOrder(order: TrackedOrder, reason: ReasonCode, message: string): void {
    if (order.closed) return;
    order.closed = true;
    order.rejected = true;
    this.tell({
      kind: 'rejected',
      venue: this.venue,
      clientOrderId: order.clientOrderId,
      reason,
      message,
      tsEvent: this.clock.now(),
    });
  }

  /** Canceled, once every fill IB counted has been told (a cancel never overtakes a fill of its order). */
  private closeCanceled(order: TrackedOrder, reason: string): void {
    if (order.told + order.queued < order.venueFilled || order.queued > 0) {
      order.heldCancel = reason;
      if (order.told + order.queued < order.venueFilled) this.scheduleExecutionCatchUp();
      return;
    }
    order.heldCancel = undefined;
    order.closed = true;
    this.tell({
      kind: 'canceled',
      venue: this.venue,
      clientOrderId: order.clientOrderId,
      reason,
      tsEvent: this.clock.now(),
    });
  }

  private refuseModify(order: TrackedOrder, reason: ReasonCode, message: string): void {
    order.pendingModify = undefined;
    this.tell({
      kind: 'modify_rejected',
      venue: this.venue,
      clientOrderId: order.clientOrderId,
      reason,
      message,
      tsEvent: this.clock.now(),
    });
  }

  /** IB echoes a modification as the open order with the new values. */
  private checkModified(order: TrackedOrder, ibOrder: IbOrder): void {
    const change = order.pendingModify;
    if (!change) return;
    const quantity = ibOrder.totalQuantity ?? order.quantity;
    const price = ibOrder.lmtPrice ?? undefined;
    const trigger = ibOrder.auxPrice ?? undefined;
    const applied =
      (change.quantity === undefined || change.quantity === quantity) &&
      (change.price === undefined || change.price === price) &&
      (change.triggerPrice === undefined || change.triggerPrice === trigger);
    if (!applied) return;
    order.pendingModify = undefined;
    order.quantity = quantity;
    if (order.type === 'limit' || order.type === 'stop_limit') order.price = price;
    if (order.type === 'stop' || order.type === 'stop_limit') order.triggerPrice = trigger;
    this.tell({
      kind: 'modified',
      venue: this.venue,
      clientOrderId: order.clientOrderId,
      quantity: order.quantity,
      price: order.price,
      triggerPrice: order.triggerPrice,
      tsEvent: this.clock.now(),
    });
  }

  // ---- executions ----

  private onExecution(reqId: number, contract: Contract, execution: Execution): void {
    const execId = execution?.execId;
    const shares = execution?.shares;
    const price = execution?.price;
    const side = platformSide(execution?.side);
    if (
      !execId ||
      !(typeof shares === 'number' && shares > 0 && Number.isFinite(shares)) ||
      !(typeof price === 'number' && price > 0 && Number.isFinite(price)) ||
      !side
    ) {
      this.malformed(`execution without a usable id, quantity, price or side`);
      return;
    }
    if (this.executions.has(execId)) return;
    const order = this.orderOf(
      execution.orderId ?? 0,
      execution.permId ?? 0,
      execution.clientId ?? -1,
      execution.orderRef,
      contract,
      undefined,
      side,
    );
    if (!order) return;
    if (order.stage !== 'lost') order.stage = 'known';
    const instrument = order.instrument ?? this.instrumentOf(contract);
    const now = this.clock.now();
    // A fill heard live is stamped when heard; one found by a query carries IB's execution time.
    const tsEvent = reqId === -1 ? now : (parseIbTime(execution.time, this.settings.timeZone) ?? now);
    const multiplier = instrument?.multiplier ?? 1;
    const estimate = instrument
      ? this.feeModel.fillFee(
          instrument,
          { shares: order.executed, value: order.executedValue },
          shares,
          price,
          side,
          tsEvent,
        )
      : 0;
    this.feeModel.record(shares, tsEvent);
    order.executed += shares;
    order.executedValue += price * shares * multiplier;
    if (!order.ours) {
      // Another client's order first seen through an execution: at least this much of it exists and filled.
      if (order.quantity < order.executed) order.quantity = order.executed;
      if (order.venueFilled < order.executed) order.venueFilled = order.executed;
    }
    const tell = this.tells(order) || reqId === -1;
    const record: ExecutionRecord = {
      execId,
      order,
      report: {
        venue: this.venue,
        clientOrderId: order.clientOrderId,
        venueOrderId: this.venueOrderIdOf(order),
        tradeId: tradeId(execId),
        instrumentId: order.instrumentId,
        side,
        quantity: shares,
        price,
        fee: estimate,
        feeCurrency: instrument?.currency ?? contract?.currency ?? '',
        tsEvent,
      },
      // IB's last liquidity: 1 added (maker), 2 removed, 3 routed out (taker).
      liquidity: Number(execution.lastLiquidity) === 1 ? 'maker' : 'taker',
      fee: estimate,
      feeCurrency: instrument?.currency ?? contract?.currency ?? '',
      feeKnown: false,
      tell,
      told: false,
      deadline: Date.now() + this.settings.commissionWaitMs,
    };
    this.executions.set(execId, record);
    const early = this.earlyCommissions.get(execId);
    if (early) {
      this.earlyCommissions.delete(execId);
      this.applyCommission(record, early);
    }
    if (!tell) return;
    order.queued += shares;
    this.fillQueue.push(record);
    this.flushFills();
  }

  private onCommission(report: CommissionReport): void {
    const execId = report?.execId;
    if (!execId) {
      this.malformed('commission report without an execution id');
      return;
    }
    const record = this.executions.get(execId);
    if (!record) {
      this.earlyCommissions.set(execId, report);
      return;
    }
    if (record.feeKnown) return;
    this.applyCommission(record, report);
    this.flushFills();
  }

  private applyCommission(record: ExecutionRecord, report: CommissionReport): void {
    const commission = report.commission;
    if (typeof commission !== 'number' || !Number.isFinite(commission) || commission < 0) {
      this.malformed(`commission report for ${record.execId} without a usable commission`);
      return;
    }
    if (record.told && Math.abs(commission - record.fee) > 1e-9)
      this.log.warn('IB commission arrived after the fill was told with an estimate', {
        venue: this.venue,
        tradeId: record.execId,
        estimate: record.fee,
        commission,
        reason: 'VENUE_IB_COMMISSION_ESTIMATED',
      });
    record.fee = commission;
    if (report.currency) record.feeCurrency = report.currency;
    record.feeKnown = true;
  }

  /** Tells queued fills in arrival order, each once its commission is known or its wait is over. */
  private flushFills(): void {
    const now = Date.now();
    let i = 0;
    for (; i < this.fillQueue.length; i++) {
      const record = this.fillQueue[i] as ExecutionRecord;
      if (!record.feeKnown && now < record.deadline) break;
      if (!record.feeKnown) {
        this.counters.estimatedCommissions++;
        this.log.warn('no IB commission report in time: fill told with the fee model estimate', {
          venue: this.venue,
          tradeId: record.execId,
          fee: record.fee,
          reason: 'VENUE_IB_COMMISSION_ESTIMATED',
        });
      }
      this.tellFill(record);
    }
    if (i > 0) this.fillQueue = this.fillQueue.slice(i);
    if (this.fillTimer) clearTimeout(this.fillTimer);
    this.fillTimer = undefined;
    const head = this.fillQueue[0];
    if (head) {
      this.fillTimer = setTimeout(this.onFillTimer, Math.max(0, head.deadline - now) + 1);
      this.fillTimer.unref();
    }
  }

  private tellFill(record: ExecutionRecord): void {
    const order = record.order;
    order.queued -= record.report.quantity;
    record.told = true;
    if (!order.accepted && this.tells(order) && !order.closed) this.accept(order);
    order.told = quantize(order.told + record.report.quantity, order.instrument?.quantityDecimals ?? 8);
    this.tell({
      kind: 'fill',
      venue: this.venue,
      clientOrderId: order.clientOrderId,
      tsEvent: record.report.tsEvent,
      venueOrderId: record.report.venueOrderId,
      tradeId: record.report.tradeId,
      instrumentId: record.report.instrumentId,
      side: record.report.side,
      quantity: record.report.quantity,
      price: record.report.price,
      fee: record.fee,
      feeCurrency: record.feeCurrency,
      liquidity: record.liquidity,
    });
    if (order.told >= order.quantity) order.closed = true;
    else if (order.heldCancel !== undefined) this.closeCanceled(order, order.heldCancel);
  }

  /**
   * IB counted more filled than the executions told: ask for today's executions after a while (they usually
   * just trail the status); a cancel still held after that is told anyway, IB's status being the venue's word.
   */
  private scheduleExecutionCatchUp(): void {
    if (this.catchUpTimer) return;
    this.catchUpTimer = setTimeout(() => {
      this.catchUpTimer = undefined;
      if (!this.sessionReady) return;
      const behind = [...this.byClientOrderId.values()].some(
        (o) => !o.closed && o.told + o.queued < o.venueFilled,
      );
      if (!behind) return;
      this.queryExecutions(this.settings.clientId, 0)
        .then(() => {
          for (const order of this.byClientOrderId.values())
            if (order.heldCancel !== undefined && order.queued === 0 && !order.closed) {
              this.log.warn('IB counts fills no execution report showed: cancel told anyway', {
                venue: this.venue,
                order: order.clientOrderId,
                venueFilled: order.venueFilled,
                told: order.told,
              });
              order.closed = true;
              const reason = order.heldCancel;
              order.heldCancel = undefined;
              this.tell({
                kind: 'canceled',
                venue: this.venue,
                clientOrderId: order.clientOrderId,
                reason,
                tsEvent: this.clock.now(),
              });
            }
        })
        .catch((error: unknown) =>
          this.log.warn('IBKR executions catch-up failed', { venue: this.venue, error }),
        );
    }, this.settings.executionCatchUpMs);
    this.catchUpTimer.unref();
  }

  // ---- market data ----

  private onTick(reqId: number, field: number, value: number): void {
    const m = this.marketData.get(reqId)?.apply(field, value, this.clock.now());
    if (m) this.publish(m);
  }

  private publish(m: MarketData): void {
    for (const handler of this.marketDataHandlers) {
      try {
        handler(m);
      } catch (error) {
        this.counters.handlerErrors++;
        this.log.error('market data handler threw', { venue: this.venue, error });
      }
    }
  }

  // ---- lookups ----

  private ourOrder(orderId: number): TrackedOrder | undefined {
    return orderId > 0 ? this.byOrderId.get(orderId) : undefined;
  }

  /**
   * The tracked order an IB message is about: by permanent id, then by our order id, then by order reference
   * (an order of ours from before a restart); otherwise a new record for another client's order.
   */
  private orderOf(
    orderId: number,
    permId: number,
    clientId: number,
    orderRef: string | undefined,
    contract: Contract,
    ibOrder: IbOrder | undefined,
    executionSide?: OrderSide,
  ): TrackedOrder | undefined {
    let order = permId > 0 ? this.byPermId.get(permId) : undefined;
    if (!order && clientId === this.settings.clientId && orderId > 0) order = this.byOrderId.get(orderId);
    if (!order && orderRef) {
      const candidate = this.byClientOrderId.get(toClientOrderId(orderRef));
      if (candidate && (candidate.permId === 0 || candidate.permId === permId)) order = candidate;
    }
    if (order) {
      if (permId > 0 && order.permId === 0) this.notePermId(order, permId);
      return order;
    }
    if (!(permId > 0)) {
      this.unexpected(`order ${orderId} of client ${clientId} without a permanent id`, this.lastRaw);
      return undefined;
    }
    const instrument = this.instrumentOf(contract);
    const side = platformSide(ibOrder?.action) ?? executionSide;
    if (!side) {
      this.unexpected(`order ${permId} without a side`, this.lastRaw);
      return undefined;
    }
    const reference =
      orderRef && !this.byClientOrderId.has(toClientOrderId(orderRef))
        ? toClientOrderId(orderRef)
        : undefined;
    const created: TrackedOrder = {
      clientOrderId: reference ?? externalClientOrderId(permId),
      ours: false,
      orderId: clientId === this.settings.clientId ? orderId : 0,
      clientId,
      permId,
      instrumentId: instrument?.id ?? this.instrumentIdOf(contract),
      instrument,
      side,
      type: 'market',
      timeInForce: 'DAY',
      quantity: 0,
      price: undefined,
      triggerPrice: undefined,
      stage: 'known',
      session: this.session,
      ibStatus: 'working',
      venueFilled: 0,
      executed: 0,
      executedValue: 0,
      told: 0,
      queued: 0,
      accepted: true,
      rejected: false,
      closed: false,
      cancelRequested: false,
      pendingModify: undefined,
      heldCancel: undefined,
      lastError: undefined,
    };
    if (ibOrder) this.refreshExternal(created, ibOrder);
    this.byClientOrderId.set(created.clientOrderId, created);
    this.byPermId.set(permId, created);
    if (created.orderId > 0 && !this.byOrderId.has(created.orderId))
      this.byOrderId.set(created.orderId, created);
    return created;
  }

  /** Another client's order as IB describes it now. */
  private refreshExternal(order: TrackedOrder, ibOrder: IbOrder): void {
    const type = platformOrderType(ibOrder.orderType);
    order.type = type ?? (ibOrder.lmtPrice !== undefined ? 'limit' : 'market');
    order.timeInForce = platformTimeInForce(ibOrder.tif) ?? 'DAY';
    if (typeof ibOrder.totalQuantity === 'number' && Number.isFinite(ibOrder.totalQuantity))
      order.quantity = ibOrder.totalQuantity;
    order.price = order.type === 'limit' || order.type === 'stop_limit' ? ibOrder.lmtPrice : undefined;
    order.triggerPrice = order.type === 'stop' || order.type === 'stop_limit' ? ibOrder.auxPrice : undefined;
  }

  private notePermId(order: TrackedOrder, permId: number): void {
    order.permId = permId;
    this.byPermId.set(permId, order);
  }

  private venueOrderIdOf(order: TrackedOrder): VenueOrderId {
    return venueOrderId(order.permId > 0 ? String(order.permId) : `order-${order.orderId}`);
  }

  private instrumentOf(contract: Contract | undefined): Instrument | undefined {
    if (!contract) return undefined;
    const byConId = contract.conId ? this.instrumentByConId.get(contract.conId) : undefined;
    if (byConId) return byConId;
    const instrument = this.instrumentByKey.get(
      contractKey(contract.secType, contract.symbol, contract.currency),
    );
    if (instrument && contract.conId) this.instrumentByConId.set(contract.conId, instrument);
    return instrument;
  }

  /** The registry instrument of a contract, or `<IB local symbol>.<venue>` for one the registry does not list. */
  private instrumentIdOf(contract: Contract | undefined): InstrumentId {
    const instrument = this.instrumentOf(contract);
    if (instrument) return instrument.id;
    const symbol = contract?.localSymbol || contract?.symbol || 'UNKNOWN';
    return `${symbol.replace(/\s+/g, '_')}.${this.venue}` as InstrumentId;
  }

  /** The IB contract of one of this venue's instruments (built once; @stoqey/ib only reads it). */
  private contractOf(instrument: Instrument, order: OrderRequest | undefined): Contract | undefined {
    if (instrument.venue !== this.venue || (order && instrument.id !== order.instrumentId)) return undefined;
    if (this.contracts.has(instrument.id)) return this.contracts.get(instrument.id);
    // An instrument added to the registry after start is learnt here.
    this.instruments.set(instrument.id, instrument);
    const contract = contractFor(instrument, this.settings);
    this.contracts.set(instrument.id, contract);
    if (contract)
      this.instrumentByKey.set(contractKey(contract.secType, contract.symbol, contract.currency), instrument);
    return contract;
  }

  private ibOrderOf(order: TrackedOrder): IbOrder {
    const ibOrder: IbOrder = {
      action: order.side === 'buy' ? OrderAction.BUY : OrderAction.SELL,
      totalQuantity: order.quantity,
      orderType: ibOrderType(order.type) as IbOrderType,
      tif: order.timeInForce,
      orderRef: order.clientOrderId,
      transmit: true,
      outsideRth: this.settings.outsideRth,
    };
    if ((order.type === 'limit' || order.type === 'stop_limit') && order.price !== undefined)
      ibOrder.lmtPrice = order.price;
    if ((order.type === 'stop' || order.type === 'stop_limit') && order.triggerPrice !== undefined)
      ibOrder.auxPrice = order.triggerPrice;
    if (this.settings.account !== undefined) ibOrder.account = this.settings.account;
    return ibOrder;
  }

  private reportOf(order: TrackedOrder): VenueOrderReport | undefined {
    const filled = Math.max(order.venueFilled, order.told);
    const status = order.rejected
      ? 'REJECTED'
      : order.closed && order.told >= order.quantity && order.quantity > 0
        ? 'FILLED'
        : reportStatus(order.ibStatus, filled, order.quantity, order.accepted);
    return {
      venue: this.venue,
      clientOrderId: order.clientOrderId,
      venueOrderId: this.venueOrderIdOf(order),
      instrumentId: order.instrumentId,
      side: order.side,
      type: order.type,
      timeInForce: order.timeInForce,
      quantity: order.quantity,
      filledQuantity: filled,
      price: order.price,
      status,
    };
  }

  private tell(event: VenueEvent): void {
    const handler = this.eventHandler;
    if (!handler) return;
    try {
      handler(event);
    } catch (error) {
      this.counters.handlerErrors++;
      this.log.error('venue event handler threw', { venue: this.venue, kind: event.kind, error });
    }
  }
}
