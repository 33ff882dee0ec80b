// European options in closed form: the generalised Black–Scholes formula with cost of carry b (Haug, "The
// Complete Guide to Option Pricing Formulas", §1.1.6) and its greeks. Black–Scholes–Merton is b = r − q,
// Black-76 is b = 0 on the forward, Garman–Kohlhagen is b = r − r_foreign.

import { normalCdf, normalPdf } from './normal.ts';
import type { MutableGreeks } from './types.ts';

/**
 * Price of a European option under the generalised Black–Scholes model. Positional and unchecked (the hot path):
 * S, K, T and v must be positive and finite, r and b finite.
 */
export function generalizedBlackScholesPrice(
  isCall: boolean,
  S: number,
  K: number,
  T: number,
  r: number,
  b: number,
  v: number,
): number {
  const vSqrtT = v * Math.sqrt(T);
  const d1 = (Math.log(S / K) + (b + 0.5 * v * v) * T) / vSqrtT;
  const d2 = d1 - vSqrtT;
  const forwardDiscount = Math.exp((b - r) * T);
  const discount = Math.exp(-r * T);
  return isCall
    ? S * forwardDiscount * normalCdf(d1) - K * discount * normalCdf(d2)
    : K * discount * normalCdf(-d2) - S * forwardDiscount * normalCdf(-d1);
}

/**
 * Price and greeks under the generalised model, written into `out`. `rho` here is ∂V/∂r with b held fixed
 * (−T·V) and `dividendRho` is ∂V/∂b (the carry rho); `europeanGreeks` maps them to each model's meaning.
 */
export function generalizedBlackScholesGreeks(
  isCall: boolean,
  S: number,
  K: number,
  T: number,
  r: number,
  b: number,
  v: number,
  out: MutableGreeks,
): MutableGreeks {
  const sqrtT = Math.sqrt(T);
  const vSqrtT = v * sqrtT;
  const d1 = (Math.log(S / K) + (b + 0.5 * v * v) * T) / vSqrtT;
  const d2 = d1 - vSqrtT;
  const forwardDiscount = Math.exp((b - r) * T);
  const discount = Math.exp(-r * T);
  const density = normalPdf(d1);
  const carriedSpot = S * forwardDiscount;
  const decay = (-carriedSpot * density * v) / (2 * sqrtT);
  out.gamma = (forwardDiscount * density) / (S * vSqrtT);
  out.vega = carriedSpot * density * sqrtT;
  if (isCall) {
    const nd1 = normalCdf(d1);
    const nd2 = normalCdf(d2);
    out.price = carriedSpot * nd1 - K * discount * nd2;
    out.delta = forwardDiscount * nd1;
    out.theta = decay - (b - r) * carriedSpot * nd1 - r * K * discount * nd2;
    out.dividendRho = T * carriedSpot * nd1;
  } else {
    const nd1 = normalCdf(-d1);
    const nd2 = normalCdf(-d2);
    out.price = K * discount * nd2 - carriedSpot * nd1;
    out.delta = -forwardDiscount * nd1;
    out.theta = decay + (b - r) * carriedSpot * nd1 + r * K * discount * nd2;
    out.dividendRho = -T * carriedSpot * nd1;
  }
  out.rho = -T * out.price;
  return out;
}

/** The European models: which cost of carry each uses and what its rho and dividend rho mean. */
export type EuropeanModel = 'bsm' | 'black76' | 'gk';

/** European price for a model: q is the dividend yield (bsm) or the foreign rate (gk); black76 ignores it. */
export function europeanPrice(
  model: EuropeanModel,
  isCall: boolean,
  S: number,
  K: number,
  T: number,
  r: number,
  q: number,
  v: number,
): number {
  return generalizedBlackScholesPrice(isCall, S, K, T, r, model === 'black76' ? 0 : r - q, v);
}

/**
 * European price and greeks for a model, written into `out`. bsm and gk: b = r − q, so rho = ∂V/∂r + ∂V/∂b and
 * dividend rho = −∂V/∂b. black76: b = 0 on a fixed forward, so rho = −T·V and dividend rho = 0.
 */
export function europeanGreeks(
  model: EuropeanModel,
  isCall: boolean,
  S: number,
  K: number,
  T: number,
  r: number,
  q: number,
  v: number,
  out: MutableGreeks,
): MutableGreeks {
  if (model === 'black76') {
    generalizedBlackScholesGreeks(isCall, S, K, T, r, 0, v, out);
    out.dividendRho = 0;
    return out;
  }
  generalizedBlackScholesGreeks(isCall, S, K, T, r, r - q, v, out);
  const carryRho = out.dividendRho;
  out.rho += carryRho;
  out.dividendRho = -carryRho;
  return out;
}
