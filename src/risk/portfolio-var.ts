// VaR and ES of one return series or a weighted portfolio of series, by any of the four methods, with the
// per-series components (what `hf risk var` prints). Conventions: var.ts.

import { sampleCovariance } from './covariance.ts';
import { monteCarloVar } from './montecarlo.ts';
import {
  MINIMUM_RETURNS,
  VAR_METHODS,
  VarInputError,
  checkConfidence,
  checkReturns,
  cornishFisherVar,
  gaussianVar,
  momentsOf,
  normalDensity,
  normalQuantile,
  tailRiskInPlace,
  type ReturnMoments,
  type ReturnValues,
  type TailRisk,
  type VarMethod,
} from './var.ts';

function checkHorizon(horizon: number): void {
  if (!(horizon > 0) || horizon === Number.POSITIVE_INFINITY)
    throw new VarInputError(`horizon must be a positive number of periods, got ${String(horizon)}`);
}

export interface VarOptions {
  readonly method: VarMethod;
  readonly confidence: number;
  /** Periods of the returns the figures cover (square-root-of-time scaling); default 1. */
  readonly horizon?: number;
  /** Monte Carlo: simulated paths (default 100,000) and seed (default 1). */
  readonly paths?: number;
  readonly seed?: number;
}

export interface ComponentRisk {
  /** Euler component VaR (Gaussian only; null where the method gives no additive split). */
  readonly valueAtRisk: number | null;
  /** Component ES: Euler (Gaussian) or the column's share of the tail mean loss (historical, Monte Carlo). */
  readonly expectedShortfall: number | null;
}

export interface PortfolioVarResult extends TailRisk {
  readonly method: VarMethod;
  readonly confidence: number;
  readonly horizon: number;
  readonly observations: number;
  /** Moments of the weighted portfolio return series. */
  readonly moments: ReturnMoments;
  /** One entry per column: they add up to the portfolio figures (null where the method gives none). */
  readonly components: readonly ComponentRisk[];
  /** Monte Carlo only: paths simulated and the rank of the covariance (fewer than the columns = singular). */
  readonly paths: number | null;
  readonly covarianceRank: number | null;
}

export const DEFAULT_MONTE_CARLO_PATHS = 100_000;

/**
 * VaR and ES of Σ wᵢ·rᵢ for return columns rᵢ (equal lengths) and weights wᵢ (fractions of capital; shorts
 * negative; they need not add up to 1). One column with weight 1 is the series itself.
 */
export function portfolioVar(
  columns: readonly ReturnValues[],
  weights: readonly number[],
  options: VarOptions,
): PortfolioVarResult {
  const { method, confidence } = options;
  const horizon = options.horizon ?? 1;
  checkConfidence(confidence);
  checkHorizon(horizon);
  if (!(VAR_METHODS as readonly string[]).includes(method))
    throw new VarInputError(`method must be one of ${VAR_METHODS.join(', ')}, got ${String(method)}`);
  if (columns.length === 0) throw new VarInputError('no return series given');
  if (weights.length !== columns.length)
    throw new VarInputError(`${weights.length} weights for ${columns.length} return series`);
  const length = columns[0]!.length;
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i]!;
    if (column.length !== length)
      throw new VarInputError(`series ${i + 1} has ${column.length} returns, series 1 has ${length}`);
    checkReturns(column, MINIMUM_RETURNS[method], `series ${i + 1}`);
    const weight = weights[i]!;
    if (!Number.isFinite(weight)) throw new VarInputError(`weight ${i + 1} is ${String(weight)}`);
  }
  const portfolio = new Float64Array(length);
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i]!;
    const weight = weights[i]!;
    for (let t = 0; t < length; t++) portfolio[t] = portfolio[t]! + weight * column[t]!;
  }
  const moments = momentsOf(portfolio);
  const scale = Math.sqrt(horizon);
  const base = { method, confidence, horizon, observations: length, moments };
  switch (method) {
    case 'historical': {
      const out = { valueAtRisk: 0, expectedShortfall: 0 };
      const quantile = tailRiskInPlace(Float64Array.from(portfolio), length, confidence, out);
      const components = tailComponents(columns, weights, portfolio, quantile, scale);
      return {
        ...base,
        valueAtRisk: out.valueAtRisk * scale,
        expectedShortfall: out.expectedShortfall * scale,
        components,
        paths: null,
        covarianceRank: null,
      };
    }
    case 'gaussian': {
      const figures = gaussianVar(moments.mean, moments.standardDeviation, confidence);
      return {
        ...base,
        valueAtRisk: figures.valueAtRisk * scale,
        expectedShortfall: figures.expectedShortfall * scale,
        components: gaussianComponents(columns, weights, confidence, scale),
        paths: null,
        covarianceRank: null,
      };
    }
    case 'modified': {
      const figures = cornishFisherVar(moments, confidence);
      return {
        ...base,
        valueAtRisk: figures.valueAtRisk * scale,
        expectedShortfall: figures.expectedShortfall * scale,
        // An additive Cornish–Fisher split needs co-skewness and co-kurtosis tensors: not reported.
        components: columns.map(() => ({ valueAtRisk: null, expectedShortfall: null })),
        paths: null,
        covarianceRank: null,
      };
    }
    case 'montecarlo': {
      const { mean, covariance } = sampleCovariance(columns);
      const simulation = monteCarloVar({
        mean,
        covariance,
        weights: Float64Array.from(weights),
        paths: options.paths ?? DEFAULT_MONTE_CARLO_PATHS,
        seed: options.seed ?? 1,
        confidence,
        components: true,
      });
      return {
        ...base,
        valueAtRisk: simulation.valueAtRisk * scale,
        expectedShortfall: simulation.expectedShortfall * scale,
        components: Array.from(simulation.componentExpectedShortfall ?? [], (es) => ({
          valueAtRisk: null,
          expectedShortfall: es * scale,
        })),
        paths: simulation.paths,
        covarianceRank: simulation.rank,
      };
    }
  }
}

/** Column i's share of the tail: −mean over the returns at or below the quantile of wᵢ·rᵢ. They add up to ES. */
function tailComponents(
  columns: readonly ReturnValues[],
  weights: readonly number[],
  portfolio: Float64Array,
  quantile: number,
  scale: number,
): ComponentRisk[] {
  let tail = 0;
  for (let t = 0; t < portfolio.length; t++) if (portfolio[t]! <= quantile) tail++;
  return columns.map((column, i) => {
    let sum = 0;
    for (let t = 0; t < portfolio.length; t++) if (portfolio[t]! <= quantile) sum += column[t]!;
    return { valueAtRisk: null, expectedShortfall: (-(weights[i]! * sum) / tail) * scale };
  });
}

/**
 * Euler components of Gaussian VaR and ES: wᵢ·∂VaR/∂wᵢ = wᵢ·(−μᵢ + Φ⁻¹(c)·(Σw)ᵢ/σ) and
 * wᵢ·(−μᵢ + φ(Φ⁻¹(c))/(1 − c)·(Σw)ᵢ/σ); they add up to the portfolio figures. With σ = 0 the split is the
 * mean term alone.
 */
function gaussianComponents(
  columns: readonly ReturnValues[],
  weights: readonly number[],
  confidence: number,
  scale: number,
): ComponentRisk[] {
  const n = columns.length;
  const { mean, covariance } = sampleCovariance(columns);
  const gradient = new Float64Array(n);
  let variance = 0;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < n; j++) sum += covariance[i * n + j]! * weights[j]!;
    gradient[i] = sum;
    variance += weights[i]! * sum;
  }
  const sigma = Math.sqrt(variance > 0 ? variance : 0);
  const z = normalQuantile(confidence);
  const esFactor = normalDensity(z) / (1 - confidence);
  return columns.map((_, i) => {
    const share = sigma > 0 ? gradient[i]! / sigma : 0;
    const w = weights[i]!;
    return {
      valueAtRisk: w * (-mean[i]! + z * share) * scale,
      expectedShortfall: w * (-mean[i]! + esFactor * share) * scale,
    };
  });
}
