// VaR and ES math and its conventions: the normal quantile, moments, historical (selection-based), Gaussian,
// Cornish–Fisher and delta-normal figures. Monte Carlo is in montecarlo.ts, the weighted-portfolio front end
// (every method, with components) in portfolio-var.ts, the risk engine's live figures in live-var.ts.
//
// Conventions (the CLI prints them; the live engine follows the same ones):
//  - Figures are positive loss fractions of the capital at stake: VaR 0.02 = a 2 % loss. With confidence c
//    (0.95, 0.99), VaR is the loss exceeded with probability 1 − c and ES the mean loss beyond it.
//  - Standard deviation: the sample deviation √(Σ(r − r̄)² / (n − 1)); covariances use the same n − 1.
//  - Skewness and excess kurtosis: the moment ratios m₃ / m₂^{3/2} and m₄ / m₂² − 3 with mₖ = Σ(r − r̄)ᵏ / n
//    (as PerformanceAnalytics' skewness() and kurtosis(method = "excess")).
//  - Historical quantile: linear interpolation between order statistics at h = (n − 1)(1 − c), counted from
//    0 (Hyndman & Fan 1996, type 7: R's quantile() default, NumPy's 'linear', Excel's PERCENTILE.INC).
//    Historical ES: minus the mean of the returns at or below that quantile.
//  - Gaussian: VaR = −μ + σ·Φ⁻¹(c), ES = −μ + σ·φ(Φ⁻¹(c)) / (1 − c).
//  - Cornish–Fisher: the Gaussian quantile z = Φ⁻¹(1 − c) replaced by
//    z_cf = z + (z² − 1)S/6 + (z³ − 3z)K/24 − (2z³ − 5z)S²/36 (S skewness, K excess kurtosis; Favre & Galeano
//    2002), VaR = −(μ + z_cf·σ). ES integrates that quantile function over the tail (see cornishFisherVar).
//  - Monte Carlo: multivariate normal returns with the sample mean and covariance, correlated through the
//    Cholesky factor of the covariance, seeded; VaR and ES of the simulated portfolio returns as historical.
//  - Horizon: every figure of one period is scaled by √horizon (square-root-of-time, i.i.d. returns).

export const VAR_METHODS = ['historical', 'gaussian', 'modified', 'montecarlo'] as const;
export type VarMethod = (typeof VAR_METHODS)[number];

/** A return series: fractions per period (0.01 = 1 %). */
export type ReturnValues = Float64Array | readonly number[];

/** Bad input to a VaR computation: the message names what is wrong. Never a NaN figure instead. */
export class VarInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VarInputError';
  }
}

export interface TailRisk {
  readonly valueAtRisk: number;
  readonly expectedShortfall: number;
}

/** A reusable result holder, so hot paths do not allocate one object per evaluation. */
export interface MutableTailRisk {
  valueAtRisk: number;
  expectedShortfall: number;
}

/** Fewest returns each method accepts: a deviation needs two, skewness and kurtosis four. */
export const MINIMUM_RETURNS: Readonly<Record<VarMethod, number>> = {
  historical: 2,
  gaussian: 2,
  modified: 4,
  montecarlo: 2,
};

// ---- the normal distribution ----

const INVERSE_SQRT_2PI = 0.3989422804014327;

export function normalDensity(x: number): number {
  return INVERSE_SQRT_2PI * Math.exp(-0.5 * x * x);
}

// AS 241 coefficients, constant term first (to double precision).
const CENTRAL_NUMERATOR = [
  3.3871328727963665, 133.14166789178438, 1971.5909503065513, 13731.69376550946, 45921.95393154987,
  67265.7709270087, 33430.57558358813, 2509.0809287301227,
] as const;
const CENTRAL_DENOMINATOR = [
  1.0, 42.31333070160091, 687.1870074920579, 5394.196021424751, 21213.794301586597, 39307.89580009271,
  28729.085735721943, 5226.495278852854,
] as const;
const TAIL_NUMERATOR = [
  1.4234371107496835, 4.630337846156546, 5.769497221460691, 3.6478483247632045, 1.2704582524523684,
  0.2417807251774506, 0.022723844989269184, 0.0007745450142783414,
] as const;
const TAIL_DENOMINATOR = [
  1.0, 2.053191626637759, 1.6763848301838038, 0.6897673349851, 0.14810397642748008, 0.015198666563616457,
  0.0005475938084995345, 1.0507500716444169e-9,
] as const;
const FAR_TAIL_NUMERATOR = [
  6.657904643501103, 5.463784911164114, 1.7848265399172913, 0.29656057182850487, 0.026532189526576124,
  0.0012426609473880784, 2.7115555687434876e-5, 2.0103343992922881e-7,
] as const;
const FAR_TAIL_DENOMINATOR = [
  1.0, 0.599832206555888, 0.1369298809227358, 0.014875361290850615, 0.0007868691311456133,
  1.8463183175100548e-5, 1.421511758316446e-7, 2.0442631033899397e-15,
] as const;

/** p(x) = c₀ + c₁x + … + c₇x⁷. */
function polynomial(coefficients: readonly number[], x: number): number {
  let value = 0;
  for (let i = coefficients.length - 1; i >= 0; i--) value = value * x + coefficients[i]!;
  return value;
}

/**
 * Φ⁻¹(p), the standard normal quantile: Wichura's algorithm AS 241 (PPND16, Applied Statistics 37(3),
 * 1988), about 16 significant digits over (0, 1).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new VarInputError(`normal quantile needs a probability in (0, 1), got ${p}`);
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * polynomial(CENTRAL_NUMERATOR, r)) / polynomial(CENTRAL_DENOMINATOR, r);
  }
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  let value: number;
  if (r <= 5) {
    r -= 1.6;
    value = polynomial(TAIL_NUMERATOR, r) / polynomial(TAIL_DENOMINATOR, r);
  } else {
    r -= 5;
    value = polynomial(FAR_TAIL_NUMERATOR, r) / polynomial(FAR_TAIL_DENOMINATOR, r);
  }
  return q < 0 ? -value : value;
}

// ---- input checks ----

export function checkConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1))
    throw new VarInputError(
      `confidence must be a fraction strictly between 0 and 1 (0.95, 0.99), got ${String(confidence)}`,
    );
}

/** Throws unless every value is finite and there are at least `minimum`. `name` says which series. */
export function checkReturns(returns: ReturnValues, minimum: number, name = 'returns'): void {
  if (returns.length < minimum)
    throw new VarInputError(
      `too little history: ${name} has ${returns.length} value${returns.length === 1 ? '' : 's'}, at least ${minimum} needed`,
    );
  for (let i = 0; i < returns.length; i++) {
    const value = returns[i]!;
    if (!Number.isFinite(value))
      throw new VarInputError(`${name}[${i}] is ${String(value)}: every return must be a finite number`);
  }
}

// ---- moments ----

export interface ReturnMoments {
  readonly count: number;
  readonly mean: number;
  /** Sample standard deviation (n − 1). */
  readonly standardDeviation: number;
  /** m₃ / m₂^{3/2}; 0 when the series has no variance. */
  readonly skewness: number;
  /** m₄ / m₂² − 3; 0 when the series has no variance. */
  readonly excessKurtosis: number;
}

/** Moments of `values[0..count)` (no checks: the callers have validated them). */
export function momentsOf(values: ReturnValues, count = values.length): ReturnMoments {
  let sum = 0;
  for (let i = 0; i < count; i++) sum += values[i]!;
  const mean = sum / count;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < count; i++) {
    const d = values[i]! - mean;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  const sampleVariance = count > 1 ? m2 / (count - 1) : 0;
  m2 /= count;
  m3 /= count;
  m4 /= count;
  // A series with no spread (or only rounding noise) has no shape: skewness and kurtosis are taken as 0.
  const flat = !(m2 > 1e-300) || m2 <= Number.EPSILON * Number.EPSILON * mean * mean;
  return {
    count,
    mean,
    standardDeviation: Math.sqrt(sampleVariance),
    skewness: flat ? 0 : m3 / (m2 * Math.sqrt(m2)),
    excessKurtosis: flat ? 0 : m4 / (m2 * m2) - 3,
  };
}

export function returnMoments(returns: ReturnValues): ReturnMoments {
  checkReturns(returns, 2);
  return momentsOf(returns);
}

// ---- historical ----

/**
 * Rearranges `values[0..count)` so that `values[k]` holds the k-th smallest (0-based), nothing larger before
 * it and nothing smaller after it (Hoare's selection with a median-of-three pivot: O(count) on average).
 */
export function selectInPlace(values: Float64Array, count: number, k: number): number {
  let left = 0;
  let right = count - 1;
  while (right > left) {
    const middle = (left + right) >>> 1;
    // Median of three at `middle`, the smallest at `left` and the largest at `right` (sentinels for the scans).
    let swap: number;
    if (values[middle]! < values[left]!) {
      swap = values[middle]!;
      values[middle] = values[left]!;
      values[left] = swap;
    }
    if (values[right]! < values[middle]!) {
      swap = values[right]!;
      values[right] = values[middle]!;
      values[middle] = swap;
      if (values[middle] < values[left]!) {
        swap = values[middle]!;
        values[middle] = values[left]!;
        values[left] = swap;
      }
    }
    const pivot = values[middle]!;
    let i = left;
    let j = right;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        swap = values[i]!;
        values[i] = values[j]!;
        values[j] = swap;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return values[k]!;
}

/**
 * The type-7 quantile position h = (n − 1)·p (0-based; its whole part and fraction locate the quantile
 * between two order statistics). A position within 1e-9
 * of a whole number is snapped to it, so 1 − 0.9 = 0.0999…98 does not move the ES tail by one observation.
 */
export function quantileRank(count: number, probability: number): number {
  const h = (count - 1) * probability;
  const nearest = Math.round(h);
  return Math.abs(h - nearest) < 1e-9 ? nearest : h;
}

function quantilePosition(count: number, probability: number): { whole: number; fraction: number } {
  const h = quantileRank(count, probability);
  const whole = Math.floor(h);
  return { whole, fraction: h - whole };
}

/** Linear-interpolated (type 7) quantile of ascending `sorted` at probability p. */
export function linearQuantile(sorted: ReturnValues, probability: number): number {
  const { whole, fraction } = quantilePosition(sorted.length, probability);
  const low = sorted[whole]!;
  return fraction > 0 && whole + 1 < sorted.length ? low + fraction * (sorted[whole + 1]! - low) : low;
}

/**
 * Historical VaR and ES of `values[0..count)` written into `out`, in place: the values are rearranged (pass a
 * scratch copy). Returns the quantile q of the values (−VaR), so callers can find the tail scenarios (≤ q).
 */
export function tailRiskInPlace(
  values: Float64Array,
  count: number,
  confidence: number,
  out: MutableTailRisk,
): number {
  const { whole, fraction } = quantilePosition(count, 1 - confidence);
  const low = selectInPlace(values, count, whole);
  let quantile = low;
  if (fraction > 0 && whole + 1 < count) {
    let next = Number.POSITIVE_INFINITY;
    for (let i = whole + 1; i < count; i++) {
      const value = values[i]!;
      if (value < next) next = value;
    }
    quantile = low + fraction * (next - low);
  }
  // Everything before `whole` is ≤ low ≤ quantile; only the rest needs a look.
  let sum = 0;
  let tail = whole;
  for (let i = 0; i < whole; i++) sum += values[i]!;
  for (let i = whole; i < count; i++) {
    const value = values[i]!;
    if (value <= quantile) {
      sum += value;
      tail++;
    }
  }
  out.valueAtRisk = -quantile;
  out.expectedShortfall = -sum / tail;
  return quantile;
}

/** Historical-simulation VaR and ES of one return series (one period; see the file header). */
export function historicalVar(returns: ReturnValues, confidence: number): TailRisk {
  checkConfidence(confidence);
  checkReturns(returns, MINIMUM_RETURNS.historical);
  const out = { valueAtRisk: 0, expectedShortfall: 0 };
  tailRiskInPlace(Float64Array.from(returns), returns.length, confidence, out);
  return out;
}

// ---- parametric ----

/** Gaussian VaR and ES of returns with this mean and standard deviation (one period). */
export function gaussianVar(mean: number, standardDeviation: number, confidence: number): TailRisk {
  checkConfidence(confidence);
  if (!Number.isFinite(mean) || !(standardDeviation >= 0) || !Number.isFinite(standardDeviation))
    throw new VarInputError(
      `Gaussian VaR needs a finite mean and a finite standard deviation ≥ 0, got ${mean} and ${standardDeviation}`,
    );
  const z = normalQuantile(confidence);
  return {
    valueAtRisk: -mean + standardDeviation * z,
    expectedShortfall: -mean + (standardDeviation * normalDensity(z)) / (1 - confidence),
  };
}

/** The Cornish–Fisher quantile of a standardized distribution with skewness S and excess kurtosis K. */
export function cornishFisherQuantile(z: number, skewness: number, excessKurtosis: number): number {
  const z2 = z * z;
  const z3 = z2 * z;
  return (
    z +
    ((z2 - 1) * skewness) / 6 +
    ((z3 - 3 * z) * excessKurtosis) / 24 -
    ((2 * z3 - 5 * z) * skewness * skewness) / 36
  );
}

/**
 * Modified (Cornish–Fisher) VaR and ES from the moments of a series (one period).
 *
 * ES integrates the Cornish–Fisher quantile function q(u) = μ + σ·z_cf(Φ⁻¹(u)) over the tail u < α = 1 − c.
 * With a = Φ⁻¹(α), substituting u = Φ(x) and using ∫₋∞ᵃ xᵏφ(x)dx: −φ(a) (k = 1), Φ(a) − aφ(a) (k = 2),
 * −(a² + 2)φ(a) (k = 3):
 *   ES = −μ + (σ/α)·φ(a)·[1 + S·a/6 + K(a² − 1)/24 + S²(1 − 2a²)/36],
 * which is the Gaussian ES when S = K = 0. Where the expansion is not monotone (large |S| or K) that value can
 * fall below VaR; ES is then reported as VaR, the least it can be.
 */
export function cornishFisherVar(
  moments: Pick<ReturnMoments, 'mean' | 'standardDeviation' | 'skewness' | 'excessKurtosis'>,
  confidence: number,
): TailRisk {
  checkConfidence(confidence);
  const { mean, standardDeviation: sigma, skewness: s, excessKurtosis: k } = moments;
  if (![mean, sigma, s, k].every(Number.isFinite) || sigma < 0)
    throw new VarInputError(
      `modified VaR needs finite moments, got mean ${mean}, deviation ${sigma}, skewness ${s}, excess kurtosis ${k}`,
    );
  const alpha = 1 - confidence;
  const a = normalQuantile(alpha);
  const valueAtRisk = -(mean + cornishFisherQuantile(a, s, k) * sigma);
  const bracket = 1 + (s * a) / 6 + (k * (a * a - 1)) / 24 + (s * s * (1 - 2 * a * a)) / 36;
  const expectedShortfall = -mean + (sigma / alpha) * normalDensity(a) * bracket;
  return {
    valueAtRisk,
    expectedShortfall: expectedShortfall > valueAtRisk ? expectedShortfall : valueAtRisk,
  };
}

// ---- delta-normal (money exposures and a covariance) ----

export interface DeltaNormalResult extends TailRisk {
  /** Standard deviation of the P&L over one period: √(xᵀΣx). */
  readonly standardDeviation: number;
  /** Euler components xᵢ·∂VaR/∂xᵢ = VaR·xᵢ(Σx)ᵢ / xᵀΣx: they add up to the figures. */
  readonly components: readonly TailRisk[];
  /** Incremental figures: the figure minus the figure without position i. */
  readonly incremental: readonly TailRisk[];
}

/**
 * Delta-normal VaR and ES of money exposures x (one per factor) with a covariance of the factors' returns
 * per period: P&L ~ N(0, xᵀΣx) (the mean return is taken as zero, as usual over short horizons), scaled by
 * √horizon.
 */
export function deltaNormalVar(
  exposures: ReturnValues,
  covariance: Float64Array,
  confidence: number,
  horizon = 1,
): DeltaNormalResult {
  checkConfidence(confidence);
  const n = exposures.length;
  if (covariance.length !== n * n)
    throw new VarInputError(`${n} exposures need a ${n}×${n} covariance, got ${covariance.length} values`);
  if (!(horizon > 0) || horizon === Number.POSITIVE_INFINITY)
    throw new VarInputError(`horizon must be a positive number of periods, got ${String(horizon)}`);
  checkReturns(exposures, 0, 'exposures');
  if (!covariance.every(Number.isFinite)) throw new VarInputError('the covariance has a non-finite value');
  const gradient = new Float64Array(n);
  let variance = 0;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < n; j++) sum += covariance[i * n + j]! * exposures[j]!;
    gradient[i] = sum;
    variance += exposures[i]! * sum;
  }
  if (variance < 0) variance = 0;
  const z = normalQuantile(confidence);
  const scale = Math.sqrt(horizon);
  const varFactor = z * scale;
  const esFactor = (normalDensity(z) / (1 - confidence)) * scale;
  const sigma = Math.sqrt(variance);
  const components: TailRisk[] = [];
  const incremental: TailRisk[] = [];
  for (let i = 0; i < n; i++) {
    const x = exposures[i]!;
    const share = variance > 0 ? (x * gradient[i]!) / sigma : 0;
    components.push({ valueAtRisk: varFactor * share, expectedShortfall: esFactor * share });
    // Without position i: xᵀΣx − 2xᵢ(Σx)ᵢ + xᵢ²Σᵢᵢ.
    const without = variance - 2 * x * gradient[i]! + x * x * covariance[i * n + i]!;
    const rest = Math.sqrt(without > 0 ? without : 0);
    incremental.push({
      valueAtRisk: varFactor * (sigma - rest),
      expectedShortfall: esFactor * (sigma - rest),
    });
  }
  return {
    standardDeviation: sigma,
    valueAtRisk: varFactor * sigma,
    expectedShortfall: esFactor * sigma,
    components,
    incremental,
  };
}
