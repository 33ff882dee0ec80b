// Option pricing vocabulary: option type, exercise style, models, the inputs every model takes and the greeks
// every model returns. Units: rates and volatility per year as decimals, time in years, vega and rho per 1.00.

export const OPTION_TYPES = ['call', 'put'] as const;
export type OptionType = (typeof OPTION_TYPES)[number];

export const EXERCISE_STYLES = ['european', 'american'] as const;
export type ExerciseStyle = (typeof EXERCISE_STYLES)[number];

/**
 * `bsm`: Black–Scholes–Merton with continuous dividend yield; `black76`: Black (1976) on a forward or futures
 * price; `gk`: Garman–Kohlhagen (FX, the dividend yield is the foreign rate); `baw`: Barone-Adesi–Whaley (1987)
 * American approximation; `bjs`: Bjerksund–Stensland (2002) American approximation.
 */
export const PRICING_MODELS = ['bsm', 'black76', 'gk', 'baw', 'bjs'] as const;
export type PricingModel = (typeof PRICING_MODELS)[number];

export const EUROPEAN_MODELS: readonly PricingModel[] = ['bsm', 'black76', 'gk'];
export const AMERICAN_MODELS: readonly PricingModel[] = ['baw', 'bjs'];

export function styleOfModel(model: PricingModel): ExerciseStyle {
  return model === 'baw' || model === 'bjs' ? 'american' : 'european';
}

export function defaultModelFor(style: ExerciseStyle): PricingModel {
  return style === 'american' ? 'baw' : 'bsm';
}

/** Calendar days per year for theta per day. */
export const DAYS_PER_YEAR = 365;

export interface OptionParameters {
  readonly type: OptionType;
  /** Spot price of the underlying; the forward or futures price for `black76`. */
  readonly spot: number;
  readonly strike: number;
  /** Time to expiry in years. */
  readonly time: number;
  /** Continuously compounded risk-free (domestic) rate. */
  readonly rate: number;
  /** Continuous dividend yield; the foreign rate for `gk`; ignored by `black76`. American models: b = rate − this. */
  readonly dividendYield: number;
  readonly volatility: number;
}

export interface Greeks {
  readonly price: number;
  /** ∂V/∂S (for black76: ∂V/∂F). */
  readonly delta: number;
  readonly gamma: number;
  /** ∂V/∂σ per 1.00 (100 vol points) change. */
  readonly vega: number;
  /** ∂V/∂t per year as calendar time passes (usually negative); per day: `thetaPerDay`. */
  readonly theta: number;
  /** ∂V/∂r per 1.00 change. For black76 the forward is held fixed, so rho = −T·V. */
  readonly rho: number;
  /** ∂V/∂q per 1.00 change of the dividend yield (gk: the foreign rate; black76: 0). */
  readonly dividendRho: number;
}

/** A greeks record a caller owns and lets a pricer fill in place (no allocation per option). */
export interface MutableGreeks {
  price: number;
  delta: number;
  gamma: number;
  vega: number;
  theta: number;
  rho: number;
  dividendRho: number;
}

export function emptyGreeks(): MutableGreeks {
  return { price: 0, delta: 0, gamma: 0, vega: 0, theta: 0, rho: 0, dividendRho: 0 };
}

/** Theta per calendar day from theta per year. */
export function thetaPerDay(thetaPerYear: number): number {
  return thetaPerYear / DAYS_PER_YEAR;
}
