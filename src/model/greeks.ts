// Option analytics published on `greeks.live`: theoretical price and greeks of an option instrument as its
// underlying moves. Units: vega and rho per 1.00 (100 %) change, theta per year.

import type { InstrumentId } from './identifiers.ts';

export interface OptionGreeks {
  readonly type: 'greeks';
  /** The option instrument. */
  readonly instrumentId: InstrumentId;
  readonly underlyingId: InstrumentId;
  readonly underlyingPrice: number;
  /** Pricing model used: `bsm`, `black76`, `gk`, `baw`, `bjs`. */
  readonly model: string;
  /** Theoretical price at `volatility`. */
  readonly price: number;
  /** Volatility used: the option's implied volatility when it quotes, else the configured one. */
  readonly volatility: number;
  readonly delta: number;
  readonly gamma: number;
  readonly vega: number;
  readonly theta: number;
  readonly rho: number;
  /** Sensitivity to the dividend yield (or foreign rate), per 1.00 change. */
  readonly dividendRho: number;
  readonly tsEvent: number;
  readonly tsInit: number;
}
