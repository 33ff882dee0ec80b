// Implied volatility for every model: the price is checked against the no-arbitrage bounds, a bracket is grown
// until it holds the root, then Brent's method (inverse quadratic interpolation with bisection fallback,
// Brent 1973, "Algorithms for Minimization without Derivatives", ch. 4) finds it. No volatility fits → a typed
// ImpliedVolatilityError saying why.

import { ImpliedVolatilityError, PricingInputError, validateParameters } from './errors.ts';
import { evaluatePrice } from './models.ts';
import { styleOfModel, type OptionParameters, type PricingModel } from './types.ts';

/** The search range: 0.0001 % to 10,000 % a year. */
export const MIN_VOLATILITY = 1e-6;
export const MAX_VOLATILITY = 100;

export interface ImpliedVolatilityOptions {
  /** Absolute tolerance on the volatility (default 1e-12). */
  readonly tolerance?: number;
  /** Brent iterations before giving up with `no-convergence` (default 100). */
  readonly maxIterations?: number;
}

/** What the option is worth under `model` as volatility goes to 0: the discounted forward's intrinsic value. */
function lowerPriceBound(
  model: PricingModel,
  isCall: boolean,
  spot: number,
  strike: number,
  time: number,
  rate: number,
  dividendYield: number,
): number {
  const carry = model === 'black76' ? 0 : rate - dividendYield;
  const carriedSpot = spot * Math.exp((carry - rate) * time);
  const discountedStrike = strike * Math.exp(-rate * time);
  const european = Math.max(isCall ? carriedSpot - discountedStrike : discountedStrike - carriedSpot, 0);
  if (styleOfModel(model) === 'european') return european;
  return Math.max(european, isCall ? spot - strike : strike - spot);
}

/** What the option is worth under `model` as volatility goes to infinity. */
function upperPriceBound(
  model: PricingModel,
  isCall: boolean,
  spot: number,
  strike: number,
  time: number,
  rate: number,
  dividendYield: number,
): number {
  const carry = model === 'black76' ? 0 : rate - dividendYield;
  const european = isCall ? spot * Math.exp((carry - rate) * time) : strike * Math.exp(-rate * time);
  if (styleOfModel(model) === 'european') return european;
  return Math.max(european, isCall ? spot : strike);
}

/** What an option is worth at zero volatility and at infinite volatility under `model`. */
export function priceBounds(
  model: PricingModel,
  isCall: boolean,
  spot: number,
  strike: number,
  time: number,
  rate: number,
  dividendYield: number,
): { readonly lower: number; readonly upper: number } {
  return {
    lower: lowerPriceBound(model, isCall, spot, strike, time, rate, dividendYield),
    upper: upperPriceBound(model, isCall, spot, strike, time, rate, dividendYield),
  };
}

const DEFAULT_OPTIONS: ImpliedVolatilityOptions = {};

function format(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(10))) : String(value);
}

/**
 * The volatility at which `model` prices the option at `price`. `parameters.volatility` is ignored. Throws
 * PricingInputError on bad inputs and ImpliedVolatilityError (`below-intrinsic`, `above-upper-bound`,
 * `no-convergence`) when no volatility in [MIN_VOLATILITY, MAX_VOLATILITY] fits.
 */
export function impliedVolatility(
  model: PricingModel,
  parameters: OptionParameters,
  price: number,
  options: ImpliedVolatilityOptions = DEFAULT_OPTIONS,
): number {
  validateParameters(parameters, false);
  if (typeof price !== 'number' || !Number.isFinite(price) || price < 0)
    throw new PricingInputError('price', price, 'a finite number at or above 0');
  const tolerance = options.tolerance ?? 1e-12;
  const maxIterations = options.maxIterations ?? 100;
  const isCall = parameters.type === 'call';
  const { spot, strike, time, rate, dividendYield } = parameters;

  const lower = lowerPriceBound(model, isCall, spot, strike, time, rate, dividendYield);
  if (price < lower * (1 - 1e-15))
    throw new ImpliedVolatilityError(
      'below-intrinsic',
      `price ${format(price)} is below the intrinsic value ${format(lower)}: no volatility fits`,
    );
  const upper = upperPriceBound(model, isCall, spot, strike, time, rate, dividendYield);
  if (price >= upper)
    throw new ImpliedVolatilityError(
      'above-upper-bound',
      `price ${format(price)} is at or above the upper bound ${format(upper)}: no volatility fits`,
    );

  let low = MIN_VOLATILITY;
  let lowValue = evaluatePrice(model, isCall, spot, strike, time, rate, dividendYield, low) - price;
  if (lowValue >= 0)
    throw new ImpliedVolatilityError(
      'below-intrinsic',
      `price ${format(price)} is not above the zero-volatility value ${format(lowValue + price)}: no volatility fits`,
    );
  let high = 0.5;
  let highValue = evaluatePrice(model, isCall, spot, strike, time, rate, dividendYield, high) - price;
  while (highValue < 0) {
    if (high >= MAX_VOLATILITY)
      throw new ImpliedVolatilityError(
        'above-upper-bound',
        `price ${format(price)} is above the value at volatility ${MAX_VOLATILITY} (${format(highValue + price)})`,
      );
    low = high;
    lowValue = highValue;
    high = Math.min(high * 2, MAX_VOLATILITY);
    highValue = evaluatePrice(model, isCall, spot, strike, time, rate, dividendYield, high) - price;
  }
  if (!Number.isFinite(lowValue) || !Number.isFinite(highValue))
    throw new ImpliedVolatilityError(
      'no-convergence',
      `the ${model} price is not finite inside the search range`,
    );

  // Brent's zero finder on [low, high] where the value changes sign; b is the best estimate.
  let a = low;
  let fa = lowValue;
  let b = high;
  let fb = highValue;
  let c = a;
  let fc = fa;
  let d = b - a;
  let e = d;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    if ((fb > 0 && fc > 0) || (fb < 0 && fc < 0)) {
      c = a;
      fc = fa;
      d = b - a;
      e = d;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const step = 2 * Number.EPSILON * Math.abs(b) + 0.5 * tolerance;
    const middle = 0.5 * (c - b);
    if (Math.abs(middle) <= step || fb === 0) return b;
    if (Math.abs(e) >= step && Math.abs(fa) > Math.abs(fb)) {
      const s = fb / fa;
      let p: number;
      let q: number;
      if (a === c) {
        p = 2 * middle * s;
        q = 1 - s;
      } else {
        const qa = fa / fc;
        const rb = fb / fc;
        p = s * (2 * middle * qa * (qa - rb) - (b - a) * (rb - 1));
        q = (qa - 1) * (rb - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      p = Math.abs(p);
      if (2 * p < Math.min(3 * middle * q - Math.abs(step * q), Math.abs(e * q))) {
        e = d;
        d = p / q;
      } else {
        d = middle;
        e = d;
      }
    } else {
      d = middle;
      e = d;
    }
    a = b;
    fa = fb;
    b += Math.abs(d) > step ? d : middle > 0 ? step : -step;
    fb = evaluatePrice(model, isCall, spot, strike, time, rate, dividendYield, b) - price;
    if (!Number.isFinite(fb))
      throw new ImpliedVolatilityError(
        'no-convergence',
        `the ${model} price is not finite at volatility ${b}`,
      );
  }
  throw new ImpliedVolatilityError(
    'no-convergence',
    `no volatility found within ${maxIterations} iterations (last ${format(b)}, price error ${format(fb)})`,
  );
}
