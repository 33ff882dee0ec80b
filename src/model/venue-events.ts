// What a venue reports about orders, before the OMS turns it into platform events. Venue adapters
// (paper, ibkr, zerodha) all speak this; the OMS never sees a venue's own wire format.

import type { ClientOrderId, InstrumentId, TradeId, VenueId, VenueOrderId } from './identifiers.ts';
import type { OrderSide, OrderStatus, OrderType, TimeInForce } from './order.ts';

interface VenueEventBase {
  readonly venue: VenueId;
  readonly clientOrderId: ClientOrderId;
  readonly tsEvent: number;
}

export type VenueEvent =
  | (VenueEventBase & { readonly kind: 'accepted'; readonly venueOrderId: VenueOrderId })
  | (VenueEventBase & { readonly kind: 'rejected'; readonly reason: string; readonly message: string })
  | (VenueEventBase & { readonly kind: 'triggered' })
  | (VenueEventBase & {
      readonly kind: 'modified';
      readonly quantity: number;
      readonly price: number | undefined;
      readonly triggerPrice: number | undefined;
    })
  | (VenueEventBase & { readonly kind: 'modify_rejected'; readonly reason: string; readonly message: string })
  | (VenueEventBase & { readonly kind: 'canceled'; readonly reason: string })
  | (VenueEventBase & { readonly kind: 'cancel_rejected'; readonly reason: string; readonly message: string })
  | (VenueEventBase & { readonly kind: 'expired' })
  | (VenueEventBase & {
      readonly kind: 'fill';
      readonly venueOrderId: VenueOrderId;
      readonly tradeId: TradeId;
      readonly instrumentId: InstrumentId;
      readonly side: OrderSide;
      readonly quantity: number;
      readonly price: number;
      readonly fee: number;
      readonly feeCurrency: string;
      readonly liquidity: 'maker' | 'taker';
    });

/** An order as the venue reports it, for reconciliation. */
export interface VenueOrderReport {
  readonly venue: VenueId;
  readonly clientOrderId: ClientOrderId;
  readonly venueOrderId: VenueOrderId;
  readonly instrumentId: InstrumentId;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly quantity: number;
  readonly filledQuantity: number;
  readonly price: number | undefined;
  readonly status: OrderStatus;
}

/** A fill as the venue reports it, for reconciliation. */
export interface VenueFillReport {
  readonly venue: VenueId;
  readonly clientOrderId: ClientOrderId;
  readonly venueOrderId: VenueOrderId;
  readonly tradeId: TradeId;
  readonly instrumentId: InstrumentId;
  readonly side: OrderSide;
  readonly quantity: number;
  readonly price: number;
  readonly fee: number;
  readonly feeCurrency: string;
  readonly tsEvent: number;
}

export interface VenuePositionReport {
  readonly venue: VenueId;
  readonly instrumentId: InstrumentId;
  /** Signed: positive long, negative short. */
  readonly quantity: number;
}

export interface VenueBalanceReport {
  readonly venue: VenueId;
  readonly currency: string;
  readonly total: number;
}
