// Test support: the real StrategyEngine, MemoryBus and SimulatedClock, plus a stand-in OMS for the built-ins.

import { MemoryBus } from '../../bus/memory.ts';
import { SimulatedClock } from '../../common/clock.ts';
import { describeReason } from '../../common/errors.ts';
import { parseRegistry, type Registry } from '../../common/registry.ts';
import { Streams } from '../../common/topics.ts';
import {
  quantize,
  tradeId,
  venueOrderId,
  type BookLevel,
  type ClientOrderId,
  type InstrumentId,
  type ModifyOrder,
  type OrderRequest,
  type TradingCommand,
} from '../../model/index.ts';
import { StrategyEngine } from '../engine.ts';
import type { Strategy } from '../strategy.ts';

export const TEST_REGISTRY_CONFIG = {
  venues: {
    'SIM-A': { adapter: 'paper', fees: { makerBps: -0.2, takerBps: 0.5 } },
    'SIM-B': { adapter: 'paper', fees: { makerBps: 0, takerBps: 0.3 } },
  },
  instruments: [
    {
      symbol: 'AAPL',
      venues: ['SIM-A', 'SIM-B'],
      assetClass: 'equity',
      currency: 'USD',
      tickSize: 0.01,
      lotSize: 1,
      region: 'US',
      sector: 'technology',
    },
    {
      symbol: 'MSFT',
      venues: ['SIM-A', 'SIM-B'],
      assetClass: 'equity',
      currency: 'USD',
      tickSize: 0.01,
      lotSize: 1,
      region: 'US',
      sector: 'technology',
    },
    {
      symbol: 'XOM',
      venues: ['SIM-A'],
      assetClass: 'equity',
      currency: 'USD',
      tickSize: 0.05,
      lotSize: 10,
      region: 'US',
      sector: 'energy',
    },
  ],
} as const;

interface WorkingOrder {
  readonly request: OrderRequest;
  quantity: number;
  price: number | undefined;
  filled: number;
  done: boolean;
}

export interface HarnessOptions {
  /** Answer submits with accepted, cancels with canceled and modifies with modified, as a venue would. */
  readonly acknowledge?: boolean;
  /** A stand-in for pre-trade risk: a submit for which this returns a reason code is denied with it. */
  readonly refuse?: (order: OrderRequest) => string | undefined;
  readonly start?: number;
}

export class StrategyHarness {
  readonly registry: Registry = parseRegistry(TEST_REGISTRY_CONFIG, 'inline');
  readonly bus = new MemoryBus();
  readonly clock: SimulatedClock;
  readonly engine: StrategyEngine;
  /** Every command seen on orders.incoming, in order. */
  readonly commands: TradingCommand[] = [];
  private readonly orders = new Map<ClientOrderId, WorkingOrder>();
  private trades = 0;
  private sequence = 0;

  constructor(options: HarnessOptions = {}) {
    this.clock = new SimulatedClock(options.start ?? 1_700_000_000_000_000);
    this.engine = new StrategyEngine({
      bus: this.bus,
      clock: this.clock,
      registry: this.registry,
      candleTimeframes: ['1d', '1h'],
    });
    const acknowledge = options.acknowledge ?? false;
    const refuse = options.refuse;
    this.bus.subscribe(Streams.ordersIncoming, 'test-oms', (command) => {
      this.commands.push(command);
      switch (command.type) {
        case 'submit_order':
          this.orders.set(command.order.clientOrderId, {
            request: command.order,
            quantity: command.order.quantity,
            price: command.order.price,
            filled: 0,
            done: false,
          });
          {
            const reason = refuse?.(command.order);
            if (reason !== undefined) this.deny(command.order.clientOrderId, reason);
            else if (acknowledge) this.accept(command.order.clientOrderId);
          }
          return;
        case 'cancel_order':
          if (acknowledge) this.cancel(command.clientOrderId);
          return;
        case 'modify_order':
          if (acknowledge) this.modified(command);
          return;
      }
    });
  }

  add(id: string, strategy: Strategy): this {
    this.engine.add(id, strategy);
    return this;
  }

  start(): this {
    this.engine.start();
    return this;
  }

  advance(micros: number): void {
    this.clock.advanceTo(this.clock.now() + micros);
  }

  submits(): OrderRequest[] {
    const out: OrderRequest[] = [];
    for (const c of this.commands) if (c.type === 'submit_order') out.push(c.order);
    return out;
  }

  /** Orders not yet filled, canceled or rejected, as the stand-in OMS sees them. */
  working(): WorkingOrder[] {
    return [...this.orders.values()].filter((o) => !o.done);
  }

  order(id: ClientOrderId): WorkingOrder | undefined {
    return this.orders.get(id);
  }

  publishBar(instrumentId: InstrumentId, close: number, timeframe = '1d'): void {
    const now = this.clock.now();
    this.bus.publish(Streams.candles(timeframe), {
      type: 'bar',
      instrumentId,
      timeframe,
      open: close,
      high: close,
      low: close,
      close,
      volume: 1000,
      tsEvent: now,
      tsInit: now,
    });
  }

  publishQuote(instrumentId: InstrumentId, bid: number, ask: number, bidSize = 500, askSize = 500): void {
    const now = this.clock.now();
    this.bus.publish(Streams.ticks, {
      type: 'quote',
      instrumentId,
      bid,
      ask,
      bidSize,
      askSize,
      tsEvent: now,
      tsInit: now,
    });
  }

  publishBook(instrumentId: InstrumentId, bids: readonly BookLevel[], asks: readonly BookLevel[]): void {
    const now = this.clock.now();
    this.bus.publish(Streams.books, {
      type: 'book',
      instrumentId,
      bids,
      asks,
      sequence: ++this.sequence,
      tsEvent: now,
      tsInit: now,
    });
  }

  accept(id: ClientOrderId): void {
    const order = this.require(id);
    const now = this.clock.now();
    const r = order.request;
    this.bus.publish(Streams.ordersEvents, {
      type: 'order_accepted',
      clientOrderId: id,
      strategyId: r.strategyId,
      instrumentId: r.instrumentId,
      venue: this.registry.instruments.get(r.instrumentId)!.venue,
      venueOrderId: venueOrderId(`V-${id}`),
      tsEvent: now,
      tsInit: now,
    });
  }

  /** Fills `quantity` (default: all that is left) at `price` (default: the order's limit price). */
  fill(id: ClientOrderId, price?: number, quantity?: number): void {
    const order = this.require(id);
    const r = order.request;
    const instrument = this.registry.instruments.get(r.instrumentId)!;
    const qty = quantity ?? quantize(order.quantity - order.filled, instrument.quantityDecimals);
    const px = price ?? order.price;
    if (px === undefined) throw new Error(`fill of ${id} needs a price`);
    order.filled = quantize(order.filled + qty, instrument.quantityDecimals);
    const leaves = quantize(order.quantity - order.filled, instrument.quantityDecimals);
    if (leaves <= 0) order.done = true;
    const now = this.clock.now();
    const fill = {
      type: 'order_filled',
      clientOrderId: id,
      strategyId: r.strategyId,
      instrumentId: r.instrumentId,
      venue: instrument.venue,
      venueOrderId: venueOrderId(`V-${id}`),
      tradeId: tradeId(`T-${++this.trades}`),
      side: r.side,
      lastQuantity: qty,
      lastPrice: px,
      fee: 0,
      feeCurrency: instrument.currency,
      liquidity: r.type === 'market' ? 'taker' : 'maker',
      leavesQuantity: leaves,
      tsEvent: now,
      tsInit: now,
    } as const;
    this.bus.publish(Streams.fills, fill);
    this.bus.publish(Streams.ordersEvents, fill);
  }

  /** Answers a submit as pre-trade risk does when it refuses it. */
  deny(id: ClientOrderId, reason: string): void {
    const order = this.require(id);
    order.done = true;
    const now = this.clock.now();
    this.bus.publish(Streams.ordersRejected, {
      type: 'order_denied',
      clientOrderId: id,
      strategyId: order.request.strategyId,
      instrumentId: order.request.instrumentId,
      command: 'submit_order',
      reason,
      message: describeReason(reason),
      tsEvent: now,
      tsInit: now,
    });
  }

  cancel(id: ClientOrderId, reason = 'VENUE_USER_CANCELED'): void {
    const order = this.require(id);
    if (order.done) return;
    order.done = true;
    const now = this.clock.now();
    this.bus.publish(Streams.ordersEvents, {
      type: 'order_canceled',
      clientOrderId: id,
      strategyId: order.request.strategyId,
      instrumentId: order.request.instrumentId,
      reason,
      tsEvent: now,
      tsInit: now,
    });
  }

  private modified(command: ModifyOrder): void {
    const order = this.require(command.clientOrderId);
    if (order.done) return;
    if (command.quantity !== undefined) order.quantity = command.quantity;
    if (command.price !== undefined) order.price = command.price;
    const now = this.clock.now();
    this.bus.publish(Streams.ordersEvents, {
      type: 'order_modified',
      clientOrderId: command.clientOrderId,
      strategyId: command.strategyId,
      instrumentId: command.instrumentId,
      quantity: order.quantity,
      price: order.price,
      triggerPrice: undefined,
      tsEvent: now,
      tsInit: now,
    });
  }

  private require(id: ClientOrderId): WorkingOrder {
    const order = this.orders.get(id);
    if (!order) throw new Error(`the stand-in OMS never saw order ${id}`);
    return order;
  }
}

export const AAPL_A = 'AAPL.SIM-A' as InstrumentId;
export const AAPL_B = 'AAPL.SIM-B' as InstrumentId;
export const MSFT_A = 'MSFT.SIM-A' as InstrumentId;
export const MSFT_B = 'MSFT.SIM-B' as InstrumentId;
export const XOM_A = 'XOM.SIM-A' as InstrumentId;
