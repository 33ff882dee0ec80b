// Portfolio VaR of weighted return series and Monte Carlo: hand-worked historical split, Euler components that
// add up, the simulation against the closed-form Gaussian figure, seeds, horizon and singular covariances.
import { describe, expect, it } from 'vitest';
import { monteCarloVar, simulateScenarios } from './montecarlo.ts';
import { portfolioVar } from './portfolio-var.ts';
import { choleskyFactor, sampleCovariance } from './covariance.ts';
import { VarInputError, gaussianVar, normalQuantile, returnMoments } from './var.ts';

const X = [0.01, -0.02, 0.03, -0.04, 0.0];
const Y = [0.02, 0.01, -0.03, -0.01, 0.02];

describe('portfolio VaR of weighted series', () => {
  it('splits historical ES into the series’ shares of the tail', () => {
    // p = 0.6·X + 0.4·Y = 0.014, −0.008, 0.006, −0.028, 0.008; sorted −0.028, −0.008, 0.006, 0.008, 0.014.
    // c = 0.8: h = 4 × 0.2 = 0.8: q = −0.028 + 0.8 × (−0.008 + 0.028) = −0.012 → VaR 0.012.
    // Tail (p ≤ −0.012): day 4 only → ES 0.028, of which X: −0.6 × −0.04 = 0.024 and Y: −0.4 × −0.01 = 0.004.
    const result = portfolioVar([X, Y], [0.6, 0.4], { method: 'historical', confidence: 0.8 });
    expect(result.valueAtRisk).toBeCloseTo(0.012, 12);
    expect(result.expectedShortfall).toBeCloseTo(0.028, 12);
    expect(result.components[0]!.expectedShortfall).toBeCloseTo(0.024, 12);
    expect(result.components[1]!.expectedShortfall).toBeCloseTo(0.004, 12);
    expect(result.components[0]!.valueAtRisk).toBeNull();
  });

  it('gives the Gaussian figure of the weighted series, with Euler components that add up', () => {
    const result = portfolioVar([X, Y], [0.6, 0.4], { method: 'gaussian', confidence: 0.95 });
    const series = X.map((x, t) => 0.6 * x + 0.4 * Y[t]!);
    const moments = returnMoments(series);
    const direct = gaussianVar(moments.mean, moments.standardDeviation, 0.95);
    expect(result.valueAtRisk).toBeCloseTo(direct.valueAtRisk, 14);
    expect(result.expectedShortfall).toBeCloseTo(direct.expectedShortfall, 14);
    const varSum = result.components.reduce((sum, c) => sum + c.valueAtRisk!, 0);
    const esSum = result.components.reduce((sum, c) => sum + c.expectedShortfall!, 0);
    expect(varSum).toBeCloseTo(result.valueAtRisk, 14);
    expect(esSum).toBeCloseTo(result.expectedShortfall, 14);
  });

  it('scales every figure by √horizon', () => {
    const one = portfolioVar([X], [1], { method: 'historical', confidence: 0.8 });
    const four = portfolioVar([X], [1], { method: 'historical', confidence: 0.8, horizon: 4 });
    expect(four.valueAtRisk).toBeCloseTo(2 * one.valueAtRisk, 14);
    expect(four.expectedShortfall).toBeCloseTo(2 * one.expectedShortfall, 14);
  });

  it('refuses mismatched weights, short or broken series, with what is wrong', () => {
    const run = (f: () => unknown, pattern: RegExp) => {
      expect(f).toThrow(VarInputError);
      expect(f).toThrow(pattern);
    };
    run(
      () => portfolioVar([X, Y], [1], { method: 'gaussian', confidence: 0.95 }),
      /1 weights for 2 return series/,
    );
    run(
      () => portfolioVar([X, [0.01]], [0.5, 0.5], { method: 'gaussian', confidence: 0.95 }),
      /series 2 has 1/,
    );
    run(
      () => portfolioVar([[0.01, 0.02, 0.03]], [1], { method: 'modified', confidence: 0.95 }),
      /series 1 has 3 values, at least 4 needed/,
    );
    run(
      () => portfolioVar([[0.01, Number.NaN]], [1], { method: 'historical', confidence: 0.95 }),
      /series 1\[1\]/,
    );
    run(() => portfolioVar([X], [1], { method: 'gaussian', confidence: 0.95, horizon: 0 }), /horizon/);
  });
});

describe('Monte Carlo', () => {
  it('converges on the closed-form Gaussian figure of the same mean and covariance', () => {
    // Two factors, σ = 2 % and 1 %, correlation 0.3, weights 0.5 / 0.5, means 0.1 % and 0:
    // σ_p² = 0.25 × 4·10⁻⁴ + 0.25 × 1·10⁻⁴ + 2 × 0.25 × 0.3 × 0.02 × 0.01 = 1.55·10⁻⁴ → σ_p = 0.0124499;
    // μ_p = 0.0005; VaR₉₉ = −0.0005 + 2.3263479 × 0.0124499 = 0.0284630.
    // Standard error of a 99 % quantile of 200,000 draws ≈ σ_p √(0.0099) / (φ(2.326) √200,000) ≈ 0.0001: 2 % is 5 s.e.
    const sigma = Math.sqrt(1.55e-4);
    const expected = gaussianVar(0.0005, sigma, 0.99);
    expect(expected.valueAtRisk).toBeCloseTo(-0.0005 + normalQuantile(0.99) * sigma, 14);
    const result = monteCarloVar({
      mean: Float64Array.from([0.001, 0]),
      covariance: Float64Array.from([4e-4, 0.3 * 0.02 * 0.01, 0.3 * 0.02 * 0.01, 1e-4]),
      weights: Float64Array.from([0.5, 0.5]),
      paths: 200_000,
      seed: 7,
      confidence: 0.99,
      components: true,
    });
    expect(Math.abs(result.valueAtRisk / expected.valueAtRisk - 1)).toBeLessThan(0.02);
    expect(Math.abs(result.expectedShortfall / expected.expectedShortfall - 1)).toBeLessThan(0.02);
    const components = result.componentExpectedShortfall!;
    expect(components[0]! + components[1]!).toBeCloseTo(result.expectedShortfall, 12);
    // The riskier factor carries most of the tail.
    expect(components[0]!).toBeGreaterThan(components[1]!);
  });

  it('reproduces a run from its seed and moves with another', () => {
    const options = {
      mean: Float64Array.from([0]),
      covariance: Float64Array.from([1e-4]),
      weights: Float64Array.from([1]),
      paths: 5_000,
      confidence: 0.95,
    };
    const a = monteCarloVar({ ...options, seed: 1 });
    const b = monteCarloVar({ ...options, seed: 1 });
    const c = monteCarloVar({ ...options, seed: 2 });
    expect(b.valueAtRisk).toBe(a.valueAtRisk);
    expect(c.valueAtRisk).not.toBe(a.valueAtRisk);
  });

  it('simulates collinear series through a rank-deficient factor', () => {
    // The second series is the first one: the covariance is singular (rank 1), and so is the simulation.
    // Half in each copy is all in X: the simulation must land on X's Gaussian figure (50,000 paths: within 3 %).
    const result = portfolioVar([X, X], [0.5, 0.5], {
      method: 'montecarlo',
      confidence: 0.95,
      paths: 50_000,
    });
    const moments = returnMoments(X);
    const closedForm = gaussianVar(moments.mean, moments.standardDeviation, 0.95);
    expect(result.covarianceRank).toBe(1);
    expect(Math.abs(result.valueAtRisk / closedForm.valueAtRisk - 1)).toBeLessThan(0.03);
    expect(result.components[0]!.expectedShortfall).toBeCloseTo(result.components[1]!.expectedShortfall!, 12);
  });

  it('draws scenarios whose covariance is the one factored', () => {
    const covariance = Float64Array.from([4e-4, 6e-5, 6e-5, 1e-4]);
    const { factor } = choleskyFactor(covariance, 2);
    const paths = 100_000;
    const scenarios = new Float64Array(2 * paths);
    simulateScenarios(factor, 2, paths, 3, scenarios);
    const columns = [scenarios.subarray(0, paths), scenarios.subarray(paths)];
    const estimated = sampleCovariance(columns).covariance;
    // Sampling error of a variance estimate ≈ √(2/n) ≈ 0.45 %: within 3 %.
    for (let k = 0; k < 4; k++) expect(Math.abs(estimated[k]! / covariance[k]! - 1)).toBeLessThan(0.03);
  });
});
