// The paper venue's books: accepted orders, fills, positions and cash, and the VenueEvents it tells the OMS.

import type { Clock } from '../../common/clock.ts';
import type { ReasonCode } from '../../common/errors.ts';
import type { Logger } from '../../common/logging.ts';
import { RetentionQueue } from '../../common/retention.ts';
import {
  isTerminal,
  currencyDecimals,
  fromMinor,
  notionalMinor,
  quantize,
  toMinor,
  tradeId,
  venueOrderId,
  type ClientOrderId,
  type Instrument,
  type OrderRequest,
  type OrderSide,
  type TradeId,
  type VenueOrderId,
  type InstrumentId,
  type VenueBalanceReport,
  type VenueEvent,
  type VenueFillReport,
  type VenueId,
  type VenueOrderReport,
  type VenuePositionReport,
} from '../../model/index.ts';
import type { FeeModel, Liquidity } from './fee-model.ts';
import type { PaperVenueJournalWriter, PaperVenueRecord } from './journal.ts';
import type { MatchingEventSink } from './matching-engine.ts';
import { PaperOrder } from './paper-order.ts';

interface Position {
  readonly instrument: Instrument;
  quantity: number;
}

/**
 * Implements the matching engines' sink. Cash is kept exactly, in minor units: a buy pays notional + fee,
 * a sell receives notional − fee, notional = price × quantity × multiplier rounded half-even once per fill
 * (the ledger's rule), so every instrument is treated as cash-settled spot.
 */
export class PaperAccount implements MatchingEventSink {
  /** Events are delivered only while true (a disconnected session loses them; the books still change). */
  deliver = false;
  /** Handler exceptions caught (a consumer's bug must not corrupt the venue's state). */
  handlerErrors = 0;
  /** With a journal: every decision is recorded here, in order, before (write-ahead) or as it is told. */
  writer: PaperVenueJournalWriter | undefined;
  private handler: ((event: VenueEvent) => void) | undefined;
  private readonly orders = new Map<ClientOrderId, PaperOrder>();
  private fillReports: VenueFillReport[] = [];
  /**
   * With a retention horizon: orders in the order they were accepted; a closed one older than the horizon is
   * forgotten with its fills (as a broker reports only its session), an open one waits another horizon.
   */
  private readonly retained: RetentionQueue<ClientOrderId> | undefined;
  /** Forgotten orders whose fill reports are not yet compacted away. */
  private readonly forgotten = new Set<ClientOrderId>();
  /** Closed orders seen by the retention pass: forgotten a horizon after that (so after their close). */
  private readonly closing = new Set<ClientOrderId>();
  /** Told each client order id the venue forgets (the adapter drops it from the ids it has seen sent). */
  onForget: ((id: ClientOrderId) => void) | undefined;
  private readonly positionByInstrument = new Map<InstrumentId, Position>();
  private readonly cashMinor = new Map<string, bigint>();
  private orderCount = 0;
  private tradeCount = 0;

  constructor(
    private readonly venue: VenueId,
    private readonly fees: FeeModel,
    private readonly clock: Clock,
    startingCash: Readonly<Record<string, number>>,
    private readonly log: Logger | undefined,
    retainMicros?: number,
  ) {
    if (retainMicros !== undefined) this.retained = new RetentionQueue(retainMicros);
    for (const [currency, amount] of Object.entries(startingCash))
      this.cashMinor.set(currency, toMinor(amount, currencyDecimals(currency)));
  }

  onEvent(handler: (event: VenueEvent) => void): void {
    this.handler = handler;
  }

  /** An accepted order by client order id (open or closed). */
  order(clientOrderId: ClientOrderId): PaperOrder | undefined {
    return this.orders.get(clientOrderId);
  }

  /** Net position (signed) of an instrument from this venue's fills. */
  position(instrumentId: InstrumentId): number {
    return this.positionByInstrument.get(instrumentId)?.quantity ?? 0;
  }

  // ---- sink ----

  accepted(order: PaperOrder): void {
    order.venueOrderId = venueOrderId(`${this.venue}-${++this.orderCount}`);
    this.orders.set(order.clientOrderId, order);
    if (this.retained) this.retain(order.clientOrderId);
    this.publish(
      {
        kind: 'accepted',
        venue: this.venue,
        clientOrderId: order.clientOrderId,
        venueOrderId: order.venueOrderId,
        tsEvent: this.clock.now(),
      },
      order.request,
    );
  }

  rejected(order: PaperOrder, reason: ReasonCode, message: string): void {
    this.reject(order.clientOrderId, reason, message, order.request);
  }

  triggered(order: PaperOrder): void {
    this.publish(
      {
        kind: 'triggered',
        venue: this.venue,
        clientOrderId: order.clientOrderId,
        tsEvent: this.clock.now(),
      },
      undefined,
    );
  }

  filled(
    order: PaperOrder,
    instrument: Instrument,
    quantity: number,
    price: number,
    liquidity: Liquidity,
  ): void {
    const now = this.clock.now();
    const fee = this.fees.fee(instrument, price, quantity, liquidity);
    const id = tradeId(`${this.venue}-T${++this.tradeCount}`);
    this.settle(
      instrument,
      order.clientOrderId,
      order.venueOrderId,
      order.side,
      id,
      quantity,
      price,
      fee,
      now,
    );
    this.publish(
      {
        kind: 'fill',
        venue: this.venue,
        clientOrderId: order.clientOrderId,
        venueOrderId: order.venueOrderId,
        tradeId: id,
        instrumentId: instrument.id,
        side: order.side,
        quantity,
        price,
        fee,
        feeCurrency: instrument.currency,
        liquidity,
        tsEvent: now,
      },
      undefined,
    );
  }

  /** Books a fill: position, cash (notional rounded once, half-even, then the fee) and the fill report. */
  private settle(
    instrument: Instrument,
    clientOrderId: ClientOrderId,
    orderId: VenueOrderId,
    side: OrderSide,
    id: TradeId,
    quantity: number,
    price: number,
    fee: number,
    tsEvent: number,
  ): void {
    const sign = side === 'buy' ? 1 : -1;
    let position = this.positionByInstrument.get(instrument.id);
    if (!position) {
      position = { instrument, quantity: 0 };
      this.positionByInstrument.set(instrument.id, position);
    }
    position.quantity = quantize(position.quantity + sign * quantity, instrument.quantityDecimals);
    const decimals = currencyDecimals(instrument.currency);
    const notional = notionalMinor(
      price,
      quantity,
      instrument.priceDecimals,
      instrument.quantityDecimals,
      decimals,
      instrument.multiplier,
    );
    const cash = this.cashMinor.get(instrument.currency) ?? 0n;
    this.cashMinor.set(
      instrument.currency,
      cash - (sign === 1 ? notional : -notional) - toMinor(fee, decimals),
    );
    this.fillReports.push({
      venue: this.venue,
      clientOrderId,
      venueOrderId: orderId,
      tradeId: id,
      instrumentId: instrument.id,
      side,
      quantity,
      price,
      fee,
      feeCurrency: instrument.currency,
      tsEvent,
    });
  }

  canceled(order: PaperOrder, reason: string): void {
    this.publish(
      {
        kind: 'canceled',
        venue: this.venue,
        clientOrderId: order.clientOrderId,
        reason,
        tsEvent: this.clock.now(),
      },
      undefined,
    );
  }

  expired(order: PaperOrder): void {
    this.publish(
      {
        kind: 'expired',
        venue: this.venue,
        clientOrderId: order.clientOrderId,
        tsEvent: this.clock.now(),
      },
      undefined,
    );
  }

  modified(order: PaperOrder): void {
    this.publish(
      {
        kind: 'modified',
        venue: this.venue,
        clientOrderId: order.clientOrderId,
        quantity: order.quantity,
        price: order.price,
        triggerPrice: order.triggerPrice,
        tsEvent: this.clock.now(),
      },
      undefined,
    );
  }

  // ---- answers that have no PaperOrder behind them ----

  reject(clientOrderId: ClientOrderId, reason: ReasonCode, message: string, request?: OrderRequest): void {
    if (this.retained && request) this.retain(clientOrderId);
    this.publish(
      {
        kind: 'rejected',
        venue: this.venue,
        clientOrderId,
        reason,
        message,
        tsEvent: this.clock.now(),
      },
      request,
    );
  }

  cancelRejected(clientOrderId: ClientOrderId, reason: ReasonCode, message: string): void {
    this.publish(
      {
        kind: 'cancel_rejected',
        venue: this.venue,
        clientOrderId,
        reason,
        message,
        tsEvent: this.clock.now(),
      },
      undefined,
    );
  }

  modifyRejected(clientOrderId: ClientOrderId, reason: ReasonCode, message: string): void {
    this.publish(
      {
        kind: 'modify_rejected',
        venue: this.venue,
        clientOrderId,
        reason,
        message,
        tsEvent: this.clock.now(),
      },
      undefined,
    );
  }

  /**
   * Counts an order id in (accepted, or rejected without an order); forgets what is past the horizon: a closed
   * order a horizon after the pass that first saw it closed (so at least a horizon after its close), with its
   * fills; an open order waits another horizon.
   */
  private retain(id: ClientOrderId): void {
    const queue = this.retained as RetentionQueue<ClientOrderId>;
    const now = this.clock.now();
    queue.push(id, now);
    if (!queue.due(now)) return;
    queue.drain(now, (due) => {
      const order = this.orders.get(due);
      if (!order) {
        this.onForget?.(due);
        return true;
      }
      if (!isTerminal(order.status)) queue.push(due, now);
      else if (!this.closing.has(due)) {
        this.closing.add(due);
        queue.push(due, now);
      } else {
        this.closing.delete(due);
        this.orders.delete(due);
        this.forgotten.add(due);
        this.onForget?.(due);
      }
      return true;
    });
    if (this.forgotten.size > 1024 || this.forgotten.size * 4 > this.orders.size) {
      const forgotten = this.forgotten;
      this.fillReports = this.fillReports.filter((f) => !forgotten.has(f.clientOrderId));
      forgotten.clear();
    }
  }

  // ---- reconciliation ----

  orderReports(openOnly: boolean): VenueOrderReport[] {
    const out: VenueOrderReport[] = [];
    for (const order of this.orders.values()) {
      if (openOnly && !order.isOpen) continue;
      out.push({
        venue: this.venue,
        clientOrderId: order.clientOrderId,
        venueOrderId: order.venueOrderId,
        instrumentId: order.instrumentId,
        side: order.side,
        type: order.type,
        timeInForce: order.timeInForce,
        quantity: order.quantity,
        filledQuantity: order.filledQuantity,
        price: order.price,
        status: order.status,
      });
    }
    return out;
  }

  fillsSince(since: number): VenueFillReport[] {
    // Fills are appended in clock order: find the first at or after `since`.
    let lo = 0;
    let hi = this.fillReports.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.fillReports[mid] as VenueFillReport).tsEvent < since) lo = mid + 1;
      else hi = mid;
    }
    const out = this.fillReports.slice(lo);
    const forgotten = this.forgotten;
    return forgotten.size === 0 ? out : out.filter((f) => !forgotten.has(f.clientOrderId));
  }

  /** Non-zero net positions. */
  positionReports(): VenuePositionReport[] {
    const out: VenuePositionReport[] = [];
    for (const [instrumentId, position] of this.positionByInstrument)
      if (position.quantity !== 0) out.push({ venue: this.venue, instrumentId, quantity: position.quantity });
    return out;
  }

  /** Cash per currency: starting cash, minus what buys paid, plus what sells received, minus fees. */
  balanceReports(): VenueBalanceReport[] {
    const out: VenueBalanceReport[] = [];
    for (const [currency, minor] of this.cashMinor)
      out.push({ venue: this.venue, currency, total: fromMinor(minor, currencyDecimals(currency)) });
    return out;
  }

  // ---- restore (from the journal) ----

  /**
   * Rebuilds the books from one journal record, in journal order; tells no one. Returns the order the record
   * is about (undefined when it has none or cannot be applied: an instrument this venue no longer lists).
   */
  restore(
    record: PaperVenueRecord,
    instrumentOf: (id: InstrumentId) => Instrument | undefined,
  ): PaperOrder | undefined {
    const event = record.event;
    const order = this.orders.get(event.clientOrderId);
    switch (event.kind) {
      case 'accepted': {
        const request = record.request;
        const instrument = request ? instrumentOf(request.instrumentId) : undefined;
        if (!request || !instrument) return undefined;
        const restored = new PaperOrder(request, instrument.quantityDecimals);
        restored.venueOrderId = event.venueOrderId;
        restored.acceptedAt = event.tsEvent;
        this.orders.set(restored.clientOrderId, restored);
        // Counted from its acceptance, as when it was accepted (the pass after the restore forgets the old ones).
        this.retained?.push(restored.clientOrderId, event.tsEvent);
        this.orderCount = Math.max(this.orderCount, counterOf(event.venueOrderId, `${this.venue}-`));
        return restored;
      }
      case 'triggered':
        if (order) {
          order.triggered = true;
          order.status = 'TRIGGERED';
        }
        return order;
      case 'modified':
        if (order) {
          order.quantity = event.quantity;
          order.price = event.price ?? undefined;
          order.triggerPrice = event.triggerPrice ?? undefined;
        }
        return order;
      case 'fill': {
        const instrument = instrumentOf(event.instrumentId);
        if (!instrument) return undefined;
        this.settle(
          instrument,
          event.clientOrderId,
          event.venueOrderId,
          event.side,
          event.tradeId,
          event.quantity,
          event.price,
          event.fee,
          event.tsEvent,
        );
        this.tradeCount = Math.max(this.tradeCount, counterOf(event.tradeId, `${this.venue}-T`));
        if (order) {
          order.filledQuantity = quantize(order.filledQuantity + event.quantity, instrument.quantityDecimals);
          order.status = order.filledQuantity >= order.quantity ? 'FILLED' : 'PARTIALLY_FILLED';
        }
        return order;
      }
      case 'canceled':
        if (order) order.status = 'CANCELED';
        return order;
      case 'expired':
        if (order) order.status = 'EXPIRED';
        return order;
      case 'rejected':
      case 'cancel_rejected':
      case 'modify_rejected':
        return order;
    }
  }

  /** Records the decision (with a journal) and tells the OMS: now, or once it is durable (write-ahead). */
  private publish(event: VenueEvent, request: OrderRequest | undefined): void {
    const writer = this.writer;
    if (writer) writer.append(event, request);
    if (!this.handler || !this.deliver) return;
    if (writer && writer.durability === 'write-ahead') writer.hold(event);
    else this.emit(event);
  }

  /** Delivers an event to the handler while a session is connected (held events are dropped otherwise). */
  emit(event: VenueEvent): void {
    const handler = this.handler;
    if (!handler || !this.deliver) return;
    try {
      handler(event);
    } catch (error) {
      this.handlerErrors++;
      this.log?.error('venue event handler failed', {
        venue: this.venue,
        kind: event.kind,
        error: String(error),
      });
    }
  }
}

/** The number ending an id the venue issued (`SIM-A-12`, `SIM-A-T7`), 0 when it is not one of them. */
function counterOf(id: string, prefix: string): number {
  if (!id.startsWith(prefix)) return 0;
  const n = Number(id.slice(prefix.length));
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}
