// The router's cost model: expected all-in cost of executing an order on a venue, in basis points of the
// reference price, from the venue's fees, its expected slippage, and the spread paid (or the price
// difference between venues). The router sends a smart-routed order to the cheapest venue.

import type { FeeSchedule } from '../common/registry.ts';
import type { OrderSide } from '../model/index.ts';

export interface VenueQuote {
  bid: number;
  ask: number;
}

export interface VenueCostInputs {
  readonly fees: FeeSchedule;
  readonly slippageBps: number;
}

/**
 * Expected effective price per unit for a marketable order of `side` on a venue with `quote`:
 * buy: ask × (1 + (takerBps + slippageBps) / 10⁴) + perUnit; sell: bid × (1 − …) − perUnit.
 * Lower is better for buys, higher for sells; `score` turns both into "lower is better".
 */
export function expectedPrice(side: OrderSide, quote: VenueQuote, venue: VenueCostInputs): number {
  const bps = (venue.fees.takerBps + venue.slippageBps) / 10_000;
  return side === 'buy'
    ? quote.ask * (1 + bps) + venue.fees.perUnit
    : quote.bid * (1 - bps) - venue.fees.perUnit;
}

export function score(side: OrderSide, quote: VenueQuote, venue: VenueCostInputs): number {
  const price = expectedPrice(side, quote, venue);
  return side === 'buy' ? price : -price;
}

/** Expected cost in bps against the mid, for reports and the dashboard. */
export function expectedCostBps(side: OrderSide, quote: VenueQuote, venue: VenueCostInputs): number {
  const mid = (quote.bid + quote.ask) / 2;
  if (!(mid > 0)) return Number.NaN;
  const price = expectedPrice(side, quote, venue);
  return side === 'buy' ? ((price - mid) / mid) * 10_000 : ((mid - price) / mid) * 10_000;
}
