// American options: the Barone-Adesi–Whaley (1987) quadratic approximation and the Bjerksund–Stensland (2002)
// two-boundary approximation (and its 1993 one-boundary predecessor), in Haug's cost-of-carry form (b = r − q),
// with greeks by central finite differences.

import { generalizedBlackScholesPrice } from './european.ts';
import { bivariateNormalCdf, normalCdf, normalPdf } from './normal.ts';
import type { MutableGreeks } from './types.ts';

/**
 * A positional American pricer: (isCall, S, K, T, r, b, v) → price. `seed`, when a pricer uses one, is a
 * nearby solution of its own iteration to start from (the finite-difference greeks pass the unbumped one).
 */
export type AmericanPricer = (
  isCall: boolean,
  S: number,
  K: number,
  T: number,
  r: number,
  b: number,
  v: number,
  seed?: number,
) => number;

/**
 * Critical-price iteration: stop after a Newton step smaller than this fraction of the strike. Convergence is
 * quadratic, so the boundary is then within about (1e-7)²·K; prices move by under 1e-12 against iterating on.
 */
const CRITICAL_PRICE_TOLERANCE = 1e-7;
const CRITICAL_PRICE_MAX_ITERATIONS = 100;

function intrinsic(isCall: boolean, S: number, K: number): number {
  return isCall ? Math.max(S - K, 0) : Math.max(K - S, 0);
}

/**
 * Where an approximation's formula breaks down (negative rates with b < r, extreme inputs) the price falls
 * back to the larger of the European value and the intrinsic value, both lower bounds of the American value.
 */
function lowerBound(
  isCall: boolean,
  S: number,
  K: number,
  T: number,
  r: number,
  b: number,
  v: number,
): number {
  return Math.max(generalizedBlackScholesPrice(isCall, S, K, T, r, b, v), intrinsic(isCall, S, K));
}

/** 2r/(σ²(1 − e^{−rT})), with its limit 2/(σ²T) at r = 0. */
function quadraticRateTerm(T: number, r: number, v2: number): number {
  if (r === 0) return 2 / (v2 * T);
  return (2 * r) / (v2 * -Math.expm1(-r * T));
}

/**
 * BAW critical spot price: S* above which the call is exercised, or S** below which the put is. Newton's
 * iteration on S − K = c(S) + (1 − e^((b−r)T)·N(d1(S)))·S/q2 (call; the put mirrors it), from Haug's seed or,
 * when `seed` is positive, from that (a neighbouring solution: the bumped inputs of finite-difference greeks).
 * NaN when the iteration leaves the positive numbers.
 */
function bawCriticalPrice(
  isCall: boolean,
  K: number,
  T: number,
  r: number,
  b: number,
  v: number,
  seed: number,
): number {
  const v2 = v * v;
  const vSqrtT = v * Math.sqrt(T);
  const n = (2 * b) / v2;
  const root = Math.sqrt((n - 1) * (n - 1) + 4 * quadraticRateTerm(T, r, v2));
  const q = isCall ? (-(n - 1) + root) / 2 : (-(n - 1) - root) / 2;
  let s = seed;
  if (!(seed > 0)) {
    // Haug's seed: the perpetual boundary (T → ∞), pulled towards the strike for a finite life.
    const m = (2 * r) / v2;
    const rootInfinity = Math.sqrt((n - 1) * (n - 1) + 4 * m);
    const qInfinity = isCall ? (-(n - 1) + rootInfinity) / 2 : (-(n - 1) - rootInfinity) / 2;
    const perpetual = K / (1 - 1 / qInfinity);
    s = isCall
      ? K + (perpetual - K) * -Math.expm1((-(b * T + 2 * vSqrtT) * K) / (perpetual - K))
      : perpetual + (K - perpetual) * Math.exp(((b * T - 2 * vSqrtT) * K) / (K - perpetual));
  }
  const carry = Math.exp((b - r) * T);
  const discount = Math.exp(-r * T);
  const drift = (b + 0.5 * v2) * T;
  for (let i = 0; i < CRITICAL_PRICE_MAX_ITERATIONS; i++) {
    const d1 = (Math.log(s / K) + drift) / vSqrtT;
    const density = normalPdf(d1);
    let next: number;
    if (isCall) {
      const nd1 = normalCdf(d1);
      const european = s * carry * nd1 - K * discount * normalCdf(d1 - vSqrtT);
      const rhs = european + ((1 - carry * nd1) * s) / q;
      const slope = carry * nd1 * (1 - 1 / q) + (1 - (carry * density) / vSqrtT) / q;
      next = (K + rhs - slope * s) / (1 - slope);
    } else {
      const nMinusD1 = normalCdf(-d1);
      const european = K * discount * normalCdf(vSqrtT - d1) - s * carry * nMinusD1;
      const rhs = european - ((1 - carry * nMinusD1) * s) / q;
      const slope = -carry * nMinusD1 * (1 - 1 / q) - (1 + (carry * density) / vSqrtT) / q;
      next = (K - rhs + slope * s) / (1 + slope);
    }
    if (!(next > 0) || next === Number.POSITIVE_INFINITY) return Number.NaN;
    const step = Math.abs(next - s);
    s = next;
    if (step <= CRITICAL_PRICE_TOLERANCE * K) break;
  }
  return s;
}

/** The BAW value at spot S for a solved critical price: immediate exercise beyond it, else European + premium. */
function bawValue(
  isCall: boolean,
  S: number,
  K: number,
  T: number,
  r: number,
  b: number,
  v: number,
  critical: number,
): number {
  if (isCall ? S >= critical : S <= critical) return isCall ? S - K : K - S;
  const v2 = v * v;
  const n = (2 * b) / v2;
  const root = Math.sqrt((n - 1) * (n - 1) + 4 * quadraticRateTerm(T, r, v2));
  const carry = Math.exp((b - r) * T);
  const d1 = (Math.log(critical / K) + (b + 0.5 * v2) * T) / (v * Math.sqrt(T));
  const european = generalizedBlackScholesPrice(isCall, S, K, T, r, b, v);
  let value: number;
  if (isCall) {
    const q2 = (-(n - 1) + root) / 2;
    value = european + (critical / q2) * (1 - carry * normalCdf(d1)) * Math.pow(S / critical, q2);
  } else {
    const q1 = (-(n - 1) - root) / 2;
    value = european - (critical / q1) * (1 - carry * normalCdf(-d1)) * Math.pow(S / critical, q1);
  }
  return Number.isFinite(value)
    ? Math.max(value, intrinsic(isCall, S, K))
    : lowerBound(isCall, S, K, T, r, b, v);
}

/** The critical price the last `bawPrice` call solved for (NaN when it priced as European). */
let lastCriticalPrice = Number.NaN;

function bawPrice(
  isCall: boolean,
  S: number,
  K: number,
  T: number,
  r: number,
  b: number,
  v: number,
  seed: number,
): number {
  lastCriticalPrice = Number.NaN;
  if (isCall ? b >= r : r <= 0) return generalizedBlackScholesPrice(isCall, S, K, T, r, b, v);
  const critical = bawCriticalPrice(isCall, K, T, r, b, v, seed);
  if (!(critical > 0)) return lowerBound(isCall, S, K, T, r, b, v);
  lastCriticalPrice = critical;
  return bawValue(isCall, S, K, T, r, b, v, critical);
}

/**
 * Barone-Adesi & Whaley (1987), "Efficient analytic approximation of American option values", J. Finance 42:
 * the early-exercise premium as a quadratic-approximation term above the European value. The call with b ≥ r
 * and the put with r ≤ 0 are never exercised early and are priced as European. `seed`: a nearby critical
 * price to start the iteration from (the price does not depend on it beyond about 1e-12).
 */
export function baroneAdesiWhaleyPrice(
  isCall: boolean,
  S: number,
  K: number,
  T: number,
  r: number,
  b: number,
  v: number,
  seed = Number.NaN,
): number {
  return bawPrice(isCall, S, K, T, r, b, v, seed);
}

/**
 * ln Φ(x), finite far into the lower tail where Φ(x) underflows: below −30 from the Laplace continued fraction
 * for the Mills ratio (Abramowitz & Stegun 26.2.14), Φ(x) = φ(x)·R(−x).
 */
function logNormalCdf(x: number): number {
  if (x > -30) return Math.log(normalCdf(x));
  const a = -x;
  let fraction = a;
  for (let k = 40; k >= 1; k--) fraction = a + k / fraction;
  return -0.5 * a * a - 0.5 * Math.log(2 * Math.PI) - Math.log(fraction);
}

/** exp(exponent)·Φ(x) without overflow times underflow when the exponent is large and Φ(x) tiny. */
function scaledCdf(exponent: number, x: number): number {
  if (exponent < 700) return Math.exp(exponent) * normalCdf(x);
  return Math.exp(exponent + logNormalCdf(x));
}

/**
 * exp(exponent)·M(a, b; ρ) when the exponent is large: through ln M, or 0 when M underflows and its bound
 * Φ(min(a, b)) shows the product is negligible; NaN (the caller falls back) when it cannot tell.
 */
function scaledBivariate(exponent: number, a: number, b: number, rho: number): number {
  const probability = bivariateNormalCdf(a, b, rho);
  if (exponent < 700) return Math.exp(exponent) * probability;
  if (probability > 0) return Math.exp(exponent + Math.log(probability));
  return exponent + logNormalCdf(Math.min(a, b)) < -745 ? 0 : Number.NaN;
}

/**
 * Bjerksund–Stensland φ(S, T | γ, H, I), multiplied by exp(logScale) inside the exponentials so that the
 * α·S^β terms are computed as ratios (S/I)^β: no overflow for large β (small volatility).
 */
function phi(
  S: number,
  T: number,
  gamma: number,
  H: number,
  I: number,
  r: number,
  b: number,
  v: number,
  logScale: number,
): number {
  const v2 = v * v;
  const vSqrtT = v * Math.sqrt(T);
  const lambda = (-r + gamma * b + 0.5 * gamma * (gamma - 1) * v2) * T;
  const d = -(Math.log(S / H) + (b + (gamma - 0.5) * v2) * T) / vSqrtT;
  const kappa = (2 * b) / v2 + (2 * gamma - 1);
  const logIOverS = Math.log(I / S);
  const base = lambda + gamma * Math.log(S) + logScale;
  return scaledCdf(base, d) - scaledCdf(base + kappa * logIOverS, d - (2 * logIOverS) / vSqrtT);
}

/** Bjerksund–Stensland (2002) Ψ(S, T2 | γ, H, I2, I1, t1), scaled by exp(logScale) like `phi`. */
function psi(
  S: number,
  T2: number,
  gamma: number,
  H: number,
  I2: number,
  I1: number,
  t1: number,
  r: number,
  b: number,
  v: number,
  logScale: number,
): number {
  const v2 = v * v;
  const drift = b + (gamma - 0.5) * v2;
  const vSqrtT1 = v * Math.sqrt(t1);
  const vSqrtT2 = v * Math.sqrt(T2);
  const logSOverI1 = Math.log(S / I1);
  const logReflected = Math.log((I2 * I2) / (S * I1));
  const e1 = (logSOverI1 + drift * t1) / vSqrtT1;
  const e2 = (logReflected + drift * t1) / vSqrtT1;
  const e3 = (logSOverI1 - drift * t1) / vSqrtT1;
  const e4 = (logReflected - drift * t1) / vSqrtT1;
  const f1 = (Math.log(S / H) + drift * T2) / vSqrtT2;
  const f2 = (Math.log((I2 * I2) / (S * H)) + drift * T2) / vSqrtT2;
  const f3 = (Math.log((I1 * I1) / (S * H)) + drift * T2) / vSqrtT2;
  const f4 = (Math.log((S * I1 * I1) / (H * I2 * I2)) + drift * T2) / vSqrtT2;
  const rho = Math.sqrt(t1 / T2);
  const lambda = -r + gamma * b + 0.5 * gamma * (gamma - 1) * v2;
  const kappa = (2 * b) / v2 + (2 * gamma - 1);
  const base = lambda * T2 + gamma * Math.log(S) + logScale;
  return (
    scaledBivariate(base, -e1, -f1, rho) -
    scaledBivariate(base + kappa * Math.log(I2 / S), -e2, -f2, rho) -
    scaledBivariate(base + kappa * Math.log(I1 / S), -e3, -f3, -rho) +
    scaledBivariate(base + kappa * Math.log(I1 / I2), -e4, -f4, -rho)
  );
}

/** β and the two limits of the flat exercise boundary, B∞ = β/(β − 1)·K and B0 = max(K, r/(r − b)·K). */
function boundaryLimits(
  K: number,
  r: number,
  b: number,
  v2: number,
): [beta: number, infinite: number, zero: number] {
  const drift = b / v2 - 0.5;
  const beta = -drift + Math.sqrt(drift * drift + (2 * r) / v2);
  return [beta, (beta / (beta - 1)) * K, Math.max(K, (r / (r - b)) * K)];
}

/** The call of Bjerksund & Stensland (2002); puts through the put–call transformation. */
function bjerksundStensland2002Call(
  S: number,
  K: number,
  T: number,
  r: number,
  b: number,
  v: number,
): number {
  if (b >= r) return generalizedBlackScholesPrice(true, S, K, T, r, b, v);
  const v2 = v * v;
  const [beta, infinite, zero] = boundaryLimits(K, r, b, v2);
  // Two flat boundaries: I1 on [0, t1], I2 on [t1, T], with t1 at the golden section of the life.
  const t1 = 0.5 * (Math.sqrt(5) - 1) * T;
  const spread = (K * K) / ((infinite - zero) * zero);
  const h1 = -(b * t1 + 2 * v * Math.sqrt(t1)) * spread;
  const h2 = -(b * T + 2 * v * Math.sqrt(T)) * spread;
  const I1 = zero + (infinite - zero) * -Math.expm1(h1);
  const I2 = zero + (infinite - zero) * -Math.expm1(h2);
  if (!(I1 > 0 && I2 > 0)) return Number.NaN;
  if (S >= I2) return S - K;
  // α_i = (I_i − K)·I_i^−β, carried into the exponentials as logScale = −β·ln I_i.
  const scale1 = -beta * Math.log(I1);
  const scale2 = -beta * Math.log(I2);
  return (
    (I2 - K) * Math.exp(beta * Math.log(S / I2)) -
    (I2 - K) * phi(S, t1, beta, I2, I2, r, b, v, scale2) +
    phi(S, t1, 1, I2, I2, r, b, v, 0) -
    phi(S, t1, 1, I1, I2, r, b, v, 0) -
    K * phi(S, t1, 0, I2, I2, r, b, v, 0) +
    K * phi(S, t1, 0, I1, I2, r, b, v, 0) +
    (I1 - K) * phi(S, t1, beta, I1, I2, r, b, v, scale1) -
    (I1 - K) * psi(S, T, beta, I1, I2, I1, t1, r, b, v, scale1) +
    psi(S, T, 1, I1, I2, I1, t1, r, b, v, 0) -
    psi(S, T, 1, K, I2, I1, t1, r, b, v, 0) -
    K * psi(S, T, 0, I1, I2, I1, t1, r, b, v, 0) +
    K * psi(S, T, 0, K, I2, I1, t1, r, b, v, 0)
  );
}

/**
 * Bjerksund & Stensland (2002), "Closed form valuation of American options", NHH discussion paper 2002/09:
 * a feasible exercise strategy with two flat boundaries, so a lower bound of the American value. The put is
 * the call with spot and strike swapped, rate r − b and carry −b (the put–call transformation).
 */
export function bjerksundStensland2002Price(
  isCall: boolean,
  S: number,
  K: number,
  T: number,
  r: number,
  b: number,
  v: number,
): number {
  const value = isCall
    ? bjerksundStensland2002Call(S, K, T, r, b, v)
    : bjerksundStensland2002Call(K, S, T, r - b, -b, v);
  // A flat-boundary strategy can be worse than never exercising early (very large σ√T): the American value is
  // at least the European one, so the bound is the better approximation there.
  const bound = lowerBound(isCall, S, K, T, r, b, v);
  return Number.isFinite(value) ? Math.max(value, bound) : bound;
}

function bjerksundStensland1993Call(
  S: number,
  K: number,
  T: number,
  r: number,
  b: number,
  v: number,
): number {
  if (b >= r) return generalizedBlackScholesPrice(true, S, K, T, r, b, v);
  const v2 = v * v;
  const [beta, infinite, zero] = boundaryLimits(K, r, b, v2);
  const h = (-(b * T + 2 * v * Math.sqrt(T)) * zero) / (infinite - zero);
  const I = zero + (infinite - zero) * -Math.expm1(h);
  if (!(I > 0)) return Number.NaN;
  if (S >= I) return S - K;
  const scale = -beta * Math.log(I);
  return (
    (I - K) * Math.exp(beta * Math.log(S / I)) -
    (I - K) * phi(S, T, beta, I, I, r, b, v, scale) +
    phi(S, T, 1, I, I, r, b, v, 0) -
    phi(S, T, 1, K, I, r, b, v, 0) -
    K * phi(S, T, 0, I, I, r, b, v, 0) +
    K * phi(S, T, 0, K, I, r, b, v, 0)
  );
}

/**
 * Bjerksund & Stensland (1993), "Closed-form approximation of American options", Scand. J. Management 9: one
 * flat boundary. Kept as the reference the 2002 model improves on (the 2002 value is never below it).
 */
export function bjerksundStensland1993Price(
  isCall: boolean,
  S: number,
  K: number,
  T: number,
  r: number,
  b: number,
  v: number,
): number {
  const value = isCall
    ? bjerksundStensland1993Call(S, K, T, r, b, v)
    : bjerksundStensland1993Call(K, S, T, r - b, -b, v);
  const bound = lowerBound(isCall, S, K, T, r, b, v);
  return Number.isFinite(value) ? Math.max(value, bound) : bound;
}

/** Spot bump for delta and gamma, relative to the spot. */
export const SPOT_BUMP = 1e-4;
/** Volatility bump for vega, absolute (0.01 volatility points). */
export const VOLATILITY_BUMP = 1e-4;
/** Time bump for theta in years (about 53 minutes); halved towards expiry so T − bump stays positive. */
export const TIME_BUMP = 1e-4;
/** Rate and dividend-yield bump for rho and dividend rho, absolute (one basis point). */
export const RATE_BUMP = 1e-4;

/**
 * Price and greeks of an American option by central finite differences of `pricer` (bumps above), written
 * into `out`. q is the dividend yield (b = r − q): rho moves r with q fixed, dividend rho moves q. With BAW
 * the critical price is solved once: the spot bumps reuse it (it does not depend on S) and the other bumps
 * start their iteration from it.
 */
export function americanGreeks(
  pricer: AmericanPricer,
  isCall: boolean,
  S: number,
  K: number,
  T: number,
  r: number,
  q: number,
  v: number,
  out: MutableGreeks,
): MutableGreeks {
  const b = r - q;
  lastCriticalPrice = Number.NaN;
  const price = pricer(isCall, S, K, T, r, b, v);
  const seed = lastCriticalPrice;
  const spotStep = S * SPOT_BUMP;
  let up: number;
  let down: number;
  if (pricer === baroneAdesiWhaleyPrice && seed > 0) {
    up = bawValue(isCall, S + spotStep, K, T, r, b, v, seed);
    down = bawValue(isCall, S - spotStep, K, T, r, b, v, seed);
  } else {
    up = pricer(isCall, S + spotStep, K, T, r, b, v, seed);
    down = pricer(isCall, S - spotStep, K, T, r, b, v, seed);
  }
  const volatilityStep = Math.min(VOLATILITY_BUMP, v / 2);
  const timeStep = Math.min(TIME_BUMP, T / 2);
  out.price = price;
  out.delta = (up - down) / (2 * spotStep);
  out.gamma = (up - 2 * price + down) / (spotStep * spotStep);
  out.vega =
    (pricer(isCall, S, K, T, r, b, v + volatilityStep, seed) -
      pricer(isCall, S, K, T, r, b, v - volatilityStep, seed)) /
    (2 * volatilityStep);
  out.theta =
    -(pricer(isCall, S, K, T + timeStep, r, b, v, seed) - pricer(isCall, S, K, T - timeStep, r, b, v, seed)) /
    (2 * timeStep);
  out.rho =
    (pricer(isCall, S, K, T, r + RATE_BUMP, b + RATE_BUMP, v, seed) -
      pricer(isCall, S, K, T, r - RATE_BUMP, b - RATE_BUMP, v, seed)) /
    (2 * RATE_BUMP);
  out.dividendRho =
    (pricer(isCall, S, K, T, r, b - RATE_BUMP, v, seed) -
      pricer(isCall, S, K, T, r, b + RATE_BUMP, v, seed)) /
    (2 * RATE_BUMP);
  return out;
}
