// The paper venue's own record of one order: mutable, owned by the venue, never shared outside it.

import {
  quantize,
  type ClientOrderId,
  type InstrumentId,
  type OrderRequest,
  type OrderSide,
  type OrderStatus,
  type OrderType,
  type TimeInForce,
  type VenueOrderId,
} from '../../model/index.ts';

export class PaperOrder {
  readonly clientOrderId: ClientOrderId;
  readonly instrumentId: InstrumentId;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  quantity: number;
  filledQuantity = 0;
  price: number | undefined;
  triggerPrice: number | undefined;
  status: OrderStatus = 'ACCEPTED';
  /** A stop / stop-limit whose trigger was reached (it then works as a market / limit order). */
  triggered = false;
  /** Time priority among this venue's orders: lower is earlier. Renewed when priority is lost. */
  sequence = 0;
  /** Displayed quantity ahead of this order at its price level (Infinity: level not visible yet). */
  queueAhead = 0;
  /** Displayed size at the order's level at the last book refresh; -1 when not visible. */
  levelSize = -1;
  /** Trade volume printed at the order's price since the last book refresh (not to count it twice). */
  tradedSinceRefresh = 0;
  /** Index of the bar during which the order started resting; it is matched from the next bar on. */
  joinedBar = 0;
  /** Bars this order has been matched against (DAY expiry grace on daily bars). */
  barsSeen = 0;
  /** Trading day of acceptance (DAY expiry). */
  tradingDay = 0;
  /** Clock time of acceptance (unix µs). */
  acceptedAt = 0;

  /** Assigned by the venue on acceptance; empty until then. */
  venueOrderId = '' as VenueOrderId;

  constructor(
    readonly request: OrderRequest,
    /** The instrument's quantity decimals: every remaining quantity is re-quantized to them. */
    private readonly quantityDecimals: number,
  ) {
    this.clientOrderId = request.clientOrderId;
    this.instrumentId = request.instrumentId;
    this.side = request.side;
    this.type = request.type;
    this.timeInForce = request.timeInForce;
    this.quantity = request.quantity;
    this.price = request.type === 'limit' || request.type === 'stop_limit' ? request.price : undefined;
    this.triggerPrice =
      request.type === 'stop' || request.type === 'stop_limit' ? request.triggerPrice : undefined;
  }

  get leavesQuantity(): number {
    return quantize(this.quantity - this.filledQuantity, this.quantityDecimals);
  }

  get isOpen(): boolean {
    return this.status === 'ACCEPTED' || this.status === 'TRIGGERED' || this.status === 'PARTIALLY_FILLED';
  }

  /** Works as a limit order now: a limit, or a triggered stop-limit. */
  get isLimitNow(): boolean {
    return this.type === 'limit' || (this.type === 'stop_limit' && this.triggered);
  }

  /** Waiting for its trigger. */
  get isPendingStop(): boolean {
    return (this.type === 'stop' || this.type === 'stop_limit') && !this.triggered;
  }
}
