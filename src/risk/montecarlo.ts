// Monte Carlo VaR/ES with correlated factors: normals from a seeded generator, correlated through the Cholesky
// factor of a covariance; the batch figure of a linear portfolio and the scenario matrix the live VaR keeps.

import { SeededRandom } from '../common/random.ts';
import { choleskyFactor } from './covariance.ts';
import { VarInputError, checkConfidence, tailRiskInPlace, type TailRisk } from './var.ts';

export interface MonteCarloOptions {
  /** Mean return of each factor (n). */
  readonly mean: Float64Array;
  /** Covariance of the factors, n×n row-major; positive semi-definite. */
  readonly covariance: Float64Array;
  /** Exposure to each factor (weights or money): the portfolio return of a path is Σ wᵢ·rᵢ. */
  readonly weights: Float64Array;
  readonly paths: number;
  readonly seed: number;
  readonly confidence: number;
  /** Also split ES by factor (a second pass over the same seeded paths). */
  readonly components?: boolean;
}

export interface MonteCarloResult extends TailRisk {
  readonly paths: number;
  /** Rank of the covariance; below n, the dependent factors are exact combinations of the others. */
  readonly rank: number;
  /** −mean over the tail paths of wᵢ·rᵢ, per factor; they add up to ES. */
  readonly componentExpectedShortfall: Float64Array | null;
}

/**
 * Monte Carlo VaR/ES of a linear portfolio of correlated normal factors r = μ + L·z, L the Cholesky factor of
 * the covariance (semi-definite allowed: dependent factors get zero columns), z independent N(0, 1) from a
 * seeded generator. Since the portfolio is linear, a path's return is w·μ + (Lᵀw)·z: O(n) per path. ES
 * components need each factor of the tail paths: the second pass replays the same normals and forms L·z only
 * for those.
 */
export function monteCarloVar(options: MonteCarloOptions): MonteCarloResult {
  const { mean, covariance, weights, paths, seed, confidence } = options;
  const n = mean.length;
  checkConfidence(confidence);
  if (!Number.isInteger(paths) || paths < 2)
    throw new VarInputError(`Monte Carlo needs an integer number of paths ≥ 2, got ${String(paths)}`);
  if (covariance.length !== n * n || weights.length !== n)
    throw new VarInputError(
      `Monte Carlo needs ${n} means, ${n}×${n} covariances and ${n} weights, got ${covariance.length} covariances and ${weights.length} weights`,
    );
  for (let i = 0; i < n; i++)
    if (!Number.isFinite(mean[i]!) || !Number.isFinite(weights[i]!))
      throw new VarInputError(`factor ${i + 1} has a non-finite mean or weight`);
  const { factor, rank } = choleskyFactor(covariance, n);
  // b = Lᵀw: the loading of the portfolio on each independent normal.
  const loading = new Float64Array(n);
  let meanReturn = 0;
  for (let k = 0; k < n; k++) {
    let sum = 0;
    for (let i = k; i < n; i++) sum += factor[i * n + k]! * weights[i]!;
    loading[k] = sum;
    meanReturn += weights[k]! * mean[k]!;
  }
  const returns = new Float64Array(paths);
  const random = new SeededRandom(seed);
  for (let p = 0; p < paths; p++) {
    let value = meanReturn;
    for (let k = 0; k < n; k++) value += loading[k]! * random.normal();
    returns[p] = value;
  }
  const out = { valueAtRisk: 0, expectedShortfall: 0 };
  const quantile = tailRiskInPlace(Float64Array.from(returns), paths, confidence, out);
  let componentExpectedShortfall: Float64Array | null = null;
  if (options.components === true) {
    const sums = new Float64Array(n);
    const normals = new Float64Array(n);
    const replay = new SeededRandom(seed);
    let tail = 0;
    for (let p = 0; p < paths; p++) {
      for (let k = 0; k < n; k++) normals[k] = replay.normal();
      if (returns[p]! > quantile) continue;
      tail++;
      for (let i = 0; i < n; i++) {
        let value = mean[i]!;
        for (let k = 0; k <= i; k++) value += factor[i * n + k]! * normals[k]!;
        sums[i] = sums[i]! + weights[i]! * value;
      }
    }
    componentExpectedShortfall = sums.map((sum) => -sum / tail);
  }
  return { ...out, paths, rank, componentExpectedShortfall };
}

/**
 * Fills `out` (column-major: factor j, path p at j·paths + p) with `paths` zero-mean scenarios L·z of n
 * factors, z independent N(0, 1) from `seed`. The live VaR's Monte Carlo scenarios: O(paths × n²).
 */
export function simulateScenarios(
  factor: Float64Array,
  n: number,
  paths: number,
  seed: number,
  out: Float64Array,
): void {
  if (out.length < n * paths)
    throw new VarInputError(`scenario buffer holds ${out.length} values, ${n * paths} needed`);
  const random = new SeededRandom(seed);
  const normals = new Float64Array(n);
  for (let p = 0; p < paths; p++) {
    for (let k = 0; k < n; k++) normals[k] = random.normal();
    for (let i = 0; i < n; i++) {
      let value = 0;
      const row = i * n;
      for (let k = 0; k <= i; k++) value += factor[row + k]! * normals[k]!;
      out[i * paths + p] = value;
    }
  }
}
