// IBKR Pro commissions for stocks: the fixed and tiered per-share plans with their minimum and maximum per
// order (see IbkrFeesSchema for the published figures). IB reports the commission of every execution itself;
// this model prices a fill whose report is late and gives the router an expected cost.

import { currencyDecimals, fromMinor, toMinor, type Instrument, type OrderSide } from '../../model/index.ts';
import type { IbkrFees } from './config.ts';

/** What an order has executed before a fill: IB's minimum and maximum apply per order, not per fill. */
export interface ExecutedSoFar {
  readonly shares: number;
  /** Σ price × shares × multiplier of those executions. */
  readonly value: number;
}

/**
 * IB's commission (before clearing, exchange and regulatory fees) of an order that has executed `shares` for
 * `value`: per share × shares, raised to the minimum, capped at the maximum percent of the value — the cap wins
 * when they cross (a 500-share order at USD 0.10 pays USD 0.50, not the USD 1.00 minimum). Nothing executed,
 * nothing charged. On the tiered plan the rate is the tier of `monthShares`, the shares executed this month
 * before the order.
 */
export function ibkrOrderCommission(fees: IbkrFees, shares: number, value: number, monthShares = 0): number {
  if (!(shares > 0)) return 0;
  if (fees.plan === 'fixed') {
    const f = fees.fixed;
    return Math.min(
      Math.max(f.perShare * shares, f.minimumPerOrder),
      (f.maximumPercentOfValue / 100) * value,
    );
  }
  const t = fees.tiered;
  let rate = t.tiers[0]?.perShare ?? 0;
  for (const tier of t.tiers) if (monthShares > tier.aboveMonthlyShares) rate = tier.perShare;
  const commission = Math.min(
    Math.max(rate * shares, t.minimumPerOrder),
    (t.maximumPercentOfValue / 100) * value,
  );
  return commission + (t.clearingPerShare + t.exchangePerShare) * shares;
}

/** Keeps the month's executed shares (for the tiered plan) and prices fills. */
export class IbkrFeeModel {
  private month = -1;
  private shares = 0;

  constructor(readonly fees: IbkrFees) {}

  /** Shares executed in the UTC month of `tsMicros`, before this call. */
  monthShares(tsMicros: number): number {
    return this.monthOf(tsMicros) === this.month ? this.shares : 0;
  }

  /** Adds an execution to the month's volume. */
  record(shares: number, tsMicros: number): void {
    const month = this.monthOf(tsMicros);
    if (month !== this.month) {
      this.month = month;
      this.shares = 0;
    }
    this.shares += shares;
  }

  /**
   * Fee of one fill: the order's commission after it minus before it (so partial fills add up to the order's
   * commission), plus regulatory fees on a sale, rounded half-even to the currency's minor unit. The tier is
   * the one the month's volume was in before the order's first execution.
   */
  fillFee(
    instrument: Instrument,
    before: ExecutedSoFar,
    shares: number,
    price: number,
    side: OrderSide,
    tsMicros: number,
  ): number {
    const value = price * shares * instrument.multiplier;
    const month = Math.max(0, this.monthShares(tsMicros) - before.shares);
    let fee =
      ibkrOrderCommission(this.fees, before.shares + shares, before.value + value, month) -
      ibkrOrderCommission(this.fees, before.shares, before.value, month);
    if (side === 'sell') fee += this.fees.sellFeeRate * value + this.fees.sellFeePerShare * shares;
    const decimals = currencyDecimals(instrument.currency);
    const rounded = fromMinor(toMinor(fee, decimals), decimals);
    return rounded === 0 ? 0 : rounded;
  }

  private monthOf(tsMicros: number): number {
    const date = new Date(Math.floor(tsMicros / 1000));
    return date.getUTCFullYear() * 12 + date.getUTCMonth();
  }
}
