// Fees of a paper fill from the venue's FeeSchedule, rounded half-even to the currency's minor unit.

import type { FeeSchedule } from '../../common/registry.ts';
import { currencyDecimals, fromMinor, toMinor, type Instrument } from '../../model/index.ts';

export type Liquidity = 'maker' | 'taker';

export class FeeModel {
  constructor(private readonly schedule: FeeSchedule) {}

  /**
   * fee = notional × bps / 10 000 (maker or taker bps) + perUnit × quantity, raised to `minimum` when it is
   * positive but smaller, in the instrument currency. Negative (a maker rebate) is passed through unfloored.
   */
  fee(instrument: Instrument, price: number, quantity: number, liquidity: Liquidity): number {
    const bps = liquidity === 'maker' ? this.schedule.makerBps : this.schedule.takerBps;
    const notional = price * quantity * instrument.multiplier;
    let fee = (notional * bps) / 10_000 + this.schedule.perUnit * quantity;
    if (fee > 0 && fee < this.schedule.minimum) fee = this.schedule.minimum;
    const decimals = currencyDecimals(instrument.currency);
    const rounded = fromMinor(toMinor(fee, decimals), decimals);
    return rounded === 0 ? 0 : rounded; // never -0
  }
}
