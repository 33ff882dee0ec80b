// Reason codes of transaction cost analysis: why an input was skipped or a benchmark left out. Stable codes.

export const TcaReasons = {
  TCA_INVALID_ORDER: 'order has a missing or invalid id, side, quantity, price or time (skipped)',
  TCA_DUPLICATE_ORDER: 'a second order with the same client order id (skipped)',
  TCA_INVALID_FILL: 'fill has an invalid price, quantity, fee, time or liquidity (skipped)',
  TCA_UNKNOWN_ORDER: 'fill for an order that is not in the input or was skipped (skipped)',
  TCA_OVERFILLED: 'fills add up to more than the order quantity (kept)',
  TCA_FILL_BEFORE_ARRIVAL: 'a fill is timed before the order arrived (kept; interval benchmarks left out)',
  TCA_NO_TAPE: 'no market tape for the instrument (kept; tape benchmarks left out)',
  TCA_NO_QUOTE: 'no quote at or before the fill (kept; its effective spread left out)',
  TCA_INVALID_QUOTE: 'tape quote with a non-finite time, a non-positive price or bid above ask (dropped)',
  TCA_INVALID_TRADE: 'tape trade with a non-finite time, a non-positive price or size (dropped)',
} as const;

export type TcaReasonCode = keyof typeof TcaReasons;

/** One problem found in the input: the code, what it is about (an order id or an instrument) and details. */
export interface TcaIssue {
  readonly code: TcaReasonCode;
  readonly subject: string;
  readonly message: string;
}
