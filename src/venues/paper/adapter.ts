// The paper venue adapter: the VenueAdapter contract over one matching engine per instrument, with seeded
// latency, fees, reconciliation queries, cancel-all, connection fault injection and, given a journal, state
// that survives a restart (see journal.ts for the durability design).

import type { Clock } from '../../common/clock.ts';
import type { ReasonCode } from '../../common/errors.ts';
import type { Logger } from '../../common/logging.ts';
import type { VenueConfig } from '../../common/registry.ts';
import {
  isMultipleOf,
  type ClientOrderId,
  type Instrument,
  type InstrumentId,
  type MarketData,
  type OrderRequest,
  type VenueBalanceReport,
  type VenueEvent,
  type VenueFillReport,
  type VenueId,
  type VenueOrderReport,
  type VenuePositionReport,
} from '../../model/index.ts';
import type { VenueAdapter, VenueConnectionState, VenueModify } from '../../oms/venue.ts';
import { PaperAccount } from './account.ts';
import { parsePaperVenueOptions, type PaperVenueOptions, type PaperVenueOptionsInput } from './config.ts';
import { FeeModel } from './fee-model.ts';
import {
  PaperVenueJournalWriter,
  type PaperVenueDurability,
  type PaperVenueJournal,
  type PaperVenueRecord,
} from './journal.ts';
import { SeededLatencyModel } from './latency-model.ts';
import { MatchingEngine } from './matching-engine.ts';
import { PaperOrder } from './paper-order.ts';
import { SeededRandom } from '../../common/random.ts';

export interface PaperVenueAdapterOptions {
  readonly venue: VenueId;
  readonly config: VenueConfig;
  readonly clock: Clock;
  /** Seeds the latency jitter: the same seed and inputs give the same events at the same times. */
  readonly seed: number;
  /** Instruments of this venue (others in the list are ignored). */
  readonly instruments: readonly Instrument[];
  readonly options?: PaperVenueOptionsInput;
  readonly log?: Logger;
  /** Keeps the venue's decisions; `connect()` restores from it first. Without it the venue lives in memory. */
  readonly journal?: PaperVenueJournal;
  /** With a journal: 'write-ahead' (default) holds events until durable, 'write-behind' tells them at once. */
  readonly durability?: PaperVenueDurability;
  /**
   * Closed orders older than this (µs since accepted) are forgotten with their fills, as a broker reports only
   * its session; open orders stay. Undefined: every order and fill stays.
   */
  readonly retainMicros?: number;
}

type Request =
  | { readonly kind: 'submit'; readonly order: OrderRequest; readonly instrument: Instrument }
  | { readonly kind: 'cancel'; readonly clientOrderId: ClientOrderId }
  | { readonly kind: 'modify'; readonly clientOrderId: ClientOrderId; readonly change: VenueModify }
  | { readonly kind: 'cancel_all'; readonly reason: string }
  | { readonly kind: 'data'; readonly data: MarketData };

const ORDER_TYPES: ReadonlySet<string> = new Set(['market', 'limit', 'stop', 'stop_limit']);
const TIMES_IN_FORCE: ReadonlySet<string> = new Set(['DAY', 'GTC', 'IOC', 'FOK']);

/**
 * Requests (submit / cancel / modify / cancelAll) reach the venue after the latency model's delay, in the
 * order they were sent (one session: a later request never overtakes an earlier one). With zero latency
 * they are acted on inside the call, so events are emitted before it returns — except when the call is
 * made from inside one of this venue's own event handlers: then it is queued and acted on as soon as the
 * current request or market-data message is done (the engines are never re-entered).
 *
 * Disconnected (before connect(), after disconnect() or setConnected(false)): requests are dropped
 * unanswered, requests in flight are lost, and events are not delivered; the venue keeps matching what it
 * already holds, so reconciliation queries (which always answer) show what happened meanwhile.
 */
export class PaperVenueAdapter implements VenueAdapter {
  readonly venue: VenueId;
  readonly options: PaperVenueOptions;
  private connectionState: VenueConnectionState = 'disconnected';
  private readonly clock: Clock;
  private readonly latency: SeededLatencyModel;
  private readonly account: PaperAccount;
  private readonly engines = new Map<InstrumentId, MatchingEngine>();
  private readonly statusHandlers: ((state: VenueConnectionState) => void)[] = [];
  /** Client order ids sent (and not lost in flight): a second submit with one of them is ignored. */
  private readonly sentClientOrderIds = new Set<string>();
  private readonly deferred: Request[] = [];
  private busy = false;
  // Requests in flight, FIFO, with their arrival times; one clock timer (named per venue) is armed for the head.
  private readonly inFlight: Request[] = [];
  private readonly inFlightArrival: number[] = [];
  private readonly inFlightSession: number[] = [];
  /** Incremented on every disconnect: a request sent in an earlier session is lost. */
  private session = 0;
  private inFlightHead = 0;
  private readonly timerName: string;
  private readonly onArrivalTimer = (): void => this.arrive();
  private readonly journal: PaperVenueJournal | undefined;
  private readonly writer: PaperVenueJournalWriter | undefined;
  private readonly log: Logger | undefined;
  private restored = false;
  /** Records loaded by the restore, kept until `replayRestored` tells the OMS what it may have missed. */
  private restoredJournal: readonly PaperVenueRecord[] = [];

  constructor(options: PaperVenueAdapterOptions) {
    this.venue = options.venue;
    this.clock = options.clock;
    this.timerName = `paper-venue:${options.venue}:requests`;
    this.options = parsePaperVenueOptions(options.options ?? {}, `venue ${options.venue} paper options`);
    this.latency = new SeededLatencyModel(options.config.latency, new SeededRandom(options.seed));
    this.account = new PaperAccount(
      options.venue,
      new FeeModel(options.config.fees),
      options.clock,
      options.config.cash,
      options.log,
      options.retainMicros,
    );
    // An order the venue forgot (retention) is no longer among the ids it has seen sent.
    this.account.onForget = (id) => this.sentClientOrderIds.delete(id);
    for (const instrument of options.instruments)
      if (instrument.venue === this.venue) this.addEngine(instrument);
    this.log = options.log;
    this.journal = options.journal;
    if (options.journal) {
      const account = this.account;
      this.writer = new PaperVenueJournalWriter(
        options.venue,
        options.journal,
        options.durability ?? 'write-ahead',
        options.clock,
        (event) => account.emit(event),
        options.log,
      );
      account.writer = this.writer;
    }
  }

  get state(): VenueConnectionState {
    return this.connectionState;
  }

  /** With a journal, the first connect restores the venue's state from it before reporting connected. */
  async connect(): Promise<void> {
    if (this.journal && !this.restored) {
      await this.restore(this.journal);
      this.restored = true;
    }
    this.setConnected(true);
  }

  /** Drops the session; with a journal, resolves once every decision so far is durable. */
  async disconnect(): Promise<void> {
    this.setConnected(false);
    await this.flush();
  }

  /** Resolves when every decision so far is durable (at once without a journal); rejects if a write failed. */
  flush(): Promise<void> {
    return this.writer ? this.writer.flush() : Promise.resolve();
  }

  /** Journal records not yet durable. */
  get journalPending(): number {
    return this.writer?.pending ?? 0;
  }

  /** The records the restore loaded (until `replayRestored`): the router adopts orders its OMS never saved. */
  restoredRecords(): readonly PaperVenueRecord[] {
    return this.restoredJournal;
  }

  /**
   * Tells the event handler (the OMS) again, in order, what the restored records say about the orders
   * `include` selects (all when omitted), so it learns what it missed before the crash; the OMS ignores what it
   * has already seen. Only while connected. Returns the events told; the restored records are then released.
   */
  replayRestored(include?: (clientOrderId: ClientOrderId) => boolean): number {
    const records = this.restoredJournal;
    this.restoredJournal = [];
    if (this.connectionState !== 'connected') return 0;
    let told = 0;
    for (const record of records) {
      if (include && !include(record.event.clientOrderId)) continue;
      this.account.emit(record.event);
      told++;
    }
    return told;
  }

  /** Fault injection: drops or restores the session at once; status handlers are told of a change. */
  setConnected(connected: boolean): void {
    const next: VenueConnectionState = connected ? 'connected' : 'disconnected';
    this.account.deliver = connected;
    if (next === this.connectionState) return;
    if (!connected) this.session++;
    this.connectionState = next;
    for (const handler of this.statusHandlers) handler(next);
  }

  onEvent(handler: (event: VenueEvent) => void): void {
    this.account.onEvent(handler);
  }

  onStatus(handler: (state: VenueConnectionState) => void): void {
    this.statusHandlers.push(handler);
  }

  // ---- requests ----

  submit(order: OrderRequest, instrument: Instrument): void {
    if (this.connectionState !== 'connected') return;
    const id = (order as Partial<OrderRequest> | undefined)?.clientOrderId;
    if (typeof id !== 'string' || this.sentClientOrderIds.has(id)) return;
    this.sentClientOrderIds.add(id);
    this.send({ kind: 'submit', order, instrument });
  }

  cancel(clientOrderId: ClientOrderId): void {
    if (this.connectionState !== 'connected') return;
    this.send({ kind: 'cancel', clientOrderId });
  }

  modify(clientOrderId: ClientOrderId, change: VenueModify): void {
    if (this.connectionState !== 'connected') return;
    this.send({ kind: 'modify', clientOrderId, change });
  }

  /**
   * Cancels every open order of this venue, each with `reason` (VENUE_KILL_SWITCH for the kill switch).
   * Travels like any request (latency, dropped while disconnected).
   */
  cancelAll(reason: string = 'VENUE_USER_CANCELED'): void {
    if (this.connectionState !== 'connected') return;
    this.send({ kind: 'cancel_all', reason });
  }

  // ---- market data ----

  /** Feeds the venue's book for one of its instruments (others are ignored). O(1) with no working orders. */
  onMarketData(m: MarketData): void {
    const engine = this.engines.get(m.instrumentId);
    if (!engine) return;
    if (this.busy) {
      this.deferred.push({ kind: 'data', data: m });
      return;
    }
    this.busy = true;
    try {
      engine.onMarketData(m, this.clock.now());
      if (this.deferred.length > 0) this.drainDeferred();
    } finally {
      this.busy = false;
    }
  }

  // ---- reconciliation ----

  openOrders(): Promise<readonly VenueOrderReport[]> {
    return Promise.resolve(this.account.orderReports(true));
  }

  orders(): Promise<readonly VenueOrderReport[]> {
    return Promise.resolve(this.account.orderReports(false));
  }

  fills(since: number): Promise<readonly VenueFillReport[]> {
    return Promise.resolve(this.account.fillsSince(since));
  }

  positions(): Promise<readonly VenuePositionReport[]> {
    return Promise.resolve(this.account.positionReports());
  }

  balances(): Promise<readonly VenueBalanceReport[]> {
    return Promise.resolve(this.account.balanceReports());
  }

  /** Working orders across instruments (resting, waiting for a trigger or the next bar). */
  get openOrderCount(): number {
    let n = 0;
    for (const engine of this.engines.values()) n += engine.openOrderCount;
    return n;
  }

  /** Event handler exceptions caught so far. */
  get handlerErrors(): number {
    return this.account.handlerErrors;
  }

  // ---- internals ----

  /** Rebuilds the account and the engines' working orders from the journal, in decision order. */
  private async restore(journal: PaperVenueJournal): Promise<void> {
    const records = await journal.loadPaperVenueRecords(this.venue);
    const instrumentOf = (id: InstrumentId): Instrument | undefined => this.engines.get(id)?.instrument;
    const accepted: PaperOrder[] = [];
    let skipped = 0;
    let lastSeq = 0;
    for (const record of records) {
      if (record.seq > lastSeq) lastSeq = record.seq;
      const event = record.event;
      if (event.kind === 'accepted' || (event.kind === 'rejected' && record.request))
        this.sentClientOrderIds.add(event.clientOrderId);
      const order = this.account.restore(record, instrumentOf);
      if (event.kind === 'accepted') {
        if (order) accepted.push(order);
        else skipped++;
      } else if (event.kind === 'fill' && !instrumentOf(event.instrumentId)) skipped++;
    }
    for (const order of accepted) if (order.isOpen) this.engines.get(order.instrumentId)?.restore(order);
    this.writer?.continueAfter(lastSeq);
    this.restoredJournal = records;
    if (skipped > 0)
      this.log?.error('paper venue restore: records for instruments this venue does not list were skipped', {
        venue: this.venue,
        skipped,
      });
  }

  private addEngine(instrument: Instrument): MatchingEngine {
    const engine = new MatchingEngine({
      instrument,
      sink: this.account,
      maxBarVolumeFraction: this.options.maxBarVolumeFraction,
      tradingDayStartMicros: this.options.tradingDayStartMicros,
    });
    this.engines.set(instrument.id, engine);
    return engine;
  }

  private send(request: Request): void {
    const pending = this.inFlight.length - this.inFlightHead;
    if (this.latency.isZero && pending === 0) {
      this.run(request);
      return;
    }
    const now = this.clock.now();
    const last = pending > 0 ? (this.inFlightArrival[this.inFlight.length - 1] as number) : now;
    const at = Math.max(now + this.latency.sampleMicros(), last);
    this.inFlight.push(request);
    this.inFlightArrival.push(at);
    this.inFlightSession.push(this.session);
    if (pending === 0) this.clock.setTimer(this.timerName, at, this.onArrivalTimer);
  }

  /**
   * Acts on every request due by now, in order, then re-arms for the next. A wall-clock timer may fire a
   * little early (Node measures timeouts from its cached loop time): nothing is acted on before its time.
   */
  private arrive(): void {
    const now = this.clock.now();
    while (this.inFlightHead < this.inFlight.length) {
      const i = this.inFlightHead;
      if ((this.inFlightArrival[i] as number) > now) break;
      const request = this.inFlight[i] as Request;
      this.inFlight[i] = undefined as unknown as Request;
      this.inFlightHead++;
      if (this.connectionState === 'connected' && this.inFlightSession[i] === this.session) this.run(request);
      // Lost in flight: the venue never saw it, so the id may be sent again.
      else if (request.kind === 'submit') this.sentClientOrderIds.delete(request.order.clientOrderId);
    }
    if (this.inFlightHead === this.inFlight.length) {
      this.inFlight.length = 0;
      this.inFlightArrival.length = 0;
      this.inFlightSession.length = 0;
      this.inFlightHead = 0;
    } else {
      this.clock.setTimer(
        this.timerName,
        this.inFlightArrival[this.inFlightHead] as number,
        this.onArrivalTimer,
      );
    }
  }

  private run(request: Request): void {
    if (this.busy) {
      this.deferred.push(request);
      return;
    }
    this.busy = true;
    try {
      this.apply(request);
      if (this.deferred.length > 0) this.drainDeferred();
    } finally {
      this.busy = false;
    }
  }

  private drainDeferred(): void {
    for (let i = 0; i < this.deferred.length; i++) this.apply(this.deferred[i] as Request);
    this.deferred.length = 0;
  }

  private apply(request: Request): void {
    switch (request.kind) {
      case 'submit':
        this.applySubmit(request.order, request.instrument);
        return;
      case 'cancel':
        this.applyCancel(request.clientOrderId);
        return;
      case 'modify':
        this.applyModify(request.clientOrderId, request.change);
        return;
      case 'cancel_all':
        for (const engine of this.engines.values()) engine.cancelAll(request.reason);
        return;
      case 'data':
        this.engines.get(request.data.instrumentId)?.onMarketData(request.data, this.clock.now());
        return;
    }
  }

  private applySubmit(request: OrderRequest, instrument: Instrument): void {
    const engine = this.engineFor(request, instrument);
    if (!engine) {
      this.account.reject(
        request.clientOrderId,
        'VENUE_REJECTED',
        `instrument ${String(request.instrumentId)} is not traded on ${this.venue}`,
      );
      return;
    }
    const problem = validateOrder(request, engine.instrument, this.account.position(engine.instrument.id));
    if (problem) {
      this.account.reject(request.clientOrderId, problem[0], problem[1]);
      return;
    }
    engine.submit(new PaperOrder(request, engine.instrument.quantityDecimals), this.clock.now());
  }

  private engineFor(request: OrderRequest, instrument: Instrument | undefined): MatchingEngine | undefined {
    const engine = this.engines.get(request.instrumentId);
    if (engine) return engine;
    // An instrument of this venue that was not listed at construction (e.g. added to the registry later).
    if (instrument && instrument.venue === this.venue && instrument.id === request.instrumentId)
      return this.addEngine(instrument);
    return undefined;
  }

  private applyCancel(clientOrderId: ClientOrderId): void {
    const order = this.account.order(clientOrderId);
    if (!order) {
      this.account.cancelRejected(clientOrderId, 'VENUE_UNKNOWN_ORDER', 'unknown order');
      return;
    }
    if (!order.isOpen) {
      this.account.cancelRejected(clientOrderId, 'VENUE_ORDER_CLOSED', `order is already ${order.status}`);
      return;
    }
    this.engines.get(order.instrumentId)?.cancel(order, 'VENUE_USER_CANCELED');
  }

  private applyModify(clientOrderId: ClientOrderId, change: VenueModify): void {
    const order = this.account.order(clientOrderId);
    const engine = order ? this.engines.get(order.instrumentId) : undefined;
    if (!order || !engine) {
      this.account.modifyRejected(clientOrderId, 'VENUE_UNKNOWN_ORDER', 'unknown order');
      return;
    }
    if (!order.isOpen) {
      this.account.modifyRejected(clientOrderId, 'VENUE_ORDER_CLOSED', `order is already ${order.status}`);
      return;
    }
    const problem = validateChange(change, engine.instrument);
    const refused = problem ?? engine.modify(order, change);
    if (refused !== undefined) this.account.modifyRejected(clientOrderId, 'VENUE_REJECTED', refused);
  }
}

/** A value for a rejection message, whatever its type. */
function show(value: unknown): string {
  return typeof value === 'number' || typeof value === 'string' ? String(value) : typeof value;
}

function positiveFinite(value: unknown): value is number {
  return typeof value === 'number' && value > 0 && Number.isFinite(value);
}

/** Static checks an exchange makes on arrival; the first problem is the rejection reason. */
function validateOrder(
  order: OrderRequest,
  instrument: Instrument,
  position: number,
): readonly [ReasonCode, string] | undefined {
  const o = order as Partial<Record<keyof OrderRequest, unknown>>;
  if (typeof o.type !== 'string' || !ORDER_TYPES.has(o.type))
    return ['VENUE_UNSUPPORTED_ORDER', `order type ${show(o.type)} is not supported`];
  if (typeof o.timeInForce !== 'string' || !TIMES_IN_FORCE.has(o.timeInForce))
    return ['VENUE_UNSUPPORTED_ORDER', `time in force ${show(o.timeInForce)} is not supported`];
  if (o.side !== 'buy' && o.side !== 'sell')
    return ['VENUE_INVALID_ORDER', `side ${show(o.side)} is not buy or sell`];
  if (!positiveFinite(o.quantity))
    return ['VENUE_INVALID_ORDER', `quantity ${show(o.quantity)} is not positive`];
  if (!isMultipleOf(o.quantity, instrument.lotSize))
    return [
      'VENUE_INVALID_ORDER',
      `quantity ${o.quantity} is not a multiple of the lot size ${instrument.lotSize}`,
    ];
  if (o.type === 'limit' || o.type === 'stop_limit') {
    if (!positiveFinite(o.price))
      return ['VENUE_INVALID_ORDER', `limit price ${show(o.price)} is not positive`];
    if (!isMultipleOf(o.price, instrument.tickSize))
      return [
        'VENUE_INVALID_ORDER',
        `limit price ${o.price} is not a multiple of the tick size ${instrument.tickSize}`,
      ];
  }
  if (o.type === 'stop' || o.type === 'stop_limit') {
    if (!positiveFinite(o.triggerPrice))
      return ['VENUE_INVALID_ORDER', `trigger price ${show(o.triggerPrice)} is not positive`];
    if (!isMultipleOf(o.triggerPrice, instrument.tickSize))
      return [
        'VENUE_INVALID_ORDER',
        `trigger price ${o.triggerPrice} is not a multiple of the tick size ${instrument.tickSize}`,
      ];
  }
  if (o.reduceOnly === true) {
    const signed = o.side === 'buy' ? o.quantity : -o.quantity;
    if (position === 0 || Math.sign(signed) === Math.sign(position) || Math.abs(signed) > Math.abs(position))
      return ['VENUE_REJECTED', `reduce-only order would not reduce the position ${position}`];
  }
  return undefined;
}

function validateChange(change: VenueModify, instrument: Instrument): string | undefined {
  const c = (change ?? {}) as Partial<Record<keyof VenueModify, unknown>>;
  if (c.quantity === undefined && c.price === undefined && c.triggerPrice === undefined)
    return 'nothing to change';
  if (c.quantity !== undefined) {
    if (!positiveFinite(c.quantity)) return `quantity ${show(c.quantity)} is not positive`;
    if (!isMultipleOf(c.quantity, instrument.lotSize))
      return `quantity ${c.quantity} is not a multiple of the lot size ${instrument.lotSize}`;
  }
  if (c.price !== undefined) {
    if (!positiveFinite(c.price)) return `limit price ${show(c.price)} is not positive`;
    if (!isMultipleOf(c.price, instrument.tickSize))
      return `limit price ${c.price} is not a multiple of the tick size ${instrument.tickSize}`;
  }
  if (c.triggerPrice !== undefined) {
    if (!positiveFinite(c.triggerPrice)) return `trigger price ${show(c.triggerPrice)} is not positive`;
    if (!isMultipleOf(c.triggerPrice, instrument.tickSize))
      return `trigger price ${c.triggerPrice} is not a multiple of the tick size ${instrument.tickSize}`;
  }
  return undefined;
}
