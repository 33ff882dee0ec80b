// The contract every venue adapter (paper, ibkr, zerodha) implements. One contract test suite runs
// against all of them. Submissions are fire-and-forget: the venue's answers arrive as VenueEvents.

import type {
  ClientOrderId,
  Instrument,
  OrderRequest,
  VenueBalanceReport,
  VenueEvent,
  VenueFillReport,
  VenueId,
  VenueOrderReport,
  VenuePositionReport,
} from '../model/index.ts';

export type VenueConnectionState = 'disconnected' | 'connecting' | 'connected';

export interface VenueModify {
  readonly quantity?: number;
  readonly price?: number;
  readonly triggerPrice?: number;
}

export interface VenueAdapter {
  readonly venue: VenueId;
  readonly state: VenueConnectionState;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** Sends an order. Never throws for a venue-side problem: a rejection comes back as an event. */
  submit(order: OrderRequest, instrument: Instrument): void;
  cancel(clientOrderId: ClientOrderId): void;
  modify(clientOrderId: ClientOrderId, change: VenueModify): void;
  // reconciliation queries
  openOrders(): Promise<readonly VenueOrderReport[]>;
  /** Every order the venue knows of for this session, open or closed. */
  orders(): Promise<readonly VenueOrderReport[]>;
  /** Fills with tsEvent ≥ since (unix µs). */
  fills(since: number): Promise<readonly VenueFillReport[]>;
  positions(): Promise<readonly VenuePositionReport[]>;
  balances(): Promise<readonly VenueBalanceReport[]>;
  /** Registers the single consumer of this venue's events (the OMS). */
  onEvent(handler: (event: VenueEvent) => void): void;
  onStatus(handler: (state: VenueConnectionState) => void): void;
}
