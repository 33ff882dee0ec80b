// VaR/ES math: each method against values worked out by hand on a ten-return series, the delta-normal
// two-asset example of Hull's "Risk Management and Financial Institutions", the normal quantile against the
// printed table, and the selection-based tail against a full sort.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  VarInputError,
  cornishFisherVar,
  deltaNormalVar,
  gaussianVar,
  historicalVar,
  linearQuantile,
  normalDensity,
  normalQuantile,
  returnMoments,
  tailRiskInPlace,
} from './var.ts';

/**
 * Ten monthly-looking returns. Sorted: −0.05, −0.03, −0.02, −0.01, 0, 0.01, 0.01, 0.02, 0.03, 0.04.
 * Σr = 0, so the mean is 0; Σr² = (9 + 4 + 1 + 25 + 16 + 1 + 4 + 9 + 0 + 1)·10⁻⁴ = 0.007;
 * Σr³ = (27 − 8 + 1 − 125 + 64 − 1 + 8 − 27 + 0 + 1)·10⁻⁶ = −6·10⁻⁵;
 * Σr⁴ = (81 + 16 + 1 + 625 + 256 + 1 + 16 + 81 + 0 + 1)·10⁻⁸ = 1.078·10⁻⁵.
 */
const SERIES = [0.03, -0.02, 0.01, -0.05, 0.04, -0.01, 0.02, -0.03, 0.0, 0.01];
/** Sample deviation √(0.007 / 9) = √0.000777… = 0.0278886675511… */
const SAMPLE_SD = Math.sqrt(0.007 / 9);

function expectVarInputError(run: () => unknown, pattern: RegExp): void {
  expect(run).toThrow(VarInputError);
  expect(run).toThrow(pattern);
}

describe('normal quantile', () => {
  it('matches the printed percentage points of the standard normal', () => {
    // Abramowitz & Stegun, Handbook of Mathematical Functions, Table 26.5 (percentage points):
    // Q(x) = 0.05 → 1.644853627, 0.025 → 1.959963985, 0.01 → 2.326347874, 0.001 → 3.090232306.
    expect(normalQuantile(0.95)).toBeCloseTo(1.644853627, 9);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 9);
    expect(normalQuantile(0.99)).toBeCloseTo(2.326347874, 9);
    expect(normalQuantile(0.999)).toBeCloseTo(3.090232306, 9);
    expect(normalQuantile(0.5)).toBe(0);
  });

  it('is odd about 1/2 and keeps going far into the tail', () => {
    for (const p of [0.3, 0.07, 1e-5]) expect(normalQuantile(p)).toBeCloseTo(-normalQuantile(1 - p), 10);
    // The third branch of AS 241 (√(−ln p) > 5): Φ⁻¹(10⁻³⁰) ≈ −11.46, finite and below −11.
    expect(normalQuantile(1e-30)).toBeLessThan(-11);
    expect(normalQuantile(1e-30)).toBeGreaterThan(-12);
  });

  it('refuses probabilities outside (0, 1)', () => {
    for (const p of [0, 1, -0.1, 1.5, Number.NaN])
      expectVarInputError(() => normalQuantile(p), /probability/);
  });

  it('has the density 1/√(2π) at 0', () => {
    expect(normalDensity(0)).toBeCloseTo(1 / Math.sqrt(2 * Math.PI), 15);
  });
});

describe('historical VaR and ES', () => {
  it('interpolates linearly between order statistics (type 7)', () => {
    // c = 0.9: h = (10 − 1)(1 − 0.9) = 0.9, between x₀ = −0.05 and x₁ = −0.03:
    // q = −0.05 + 0.9·(−0.03 + 0.05) = −0.032 → VaR 0.032. Tail (r ≤ −0.032): {−0.05} → ES 0.05.
    const at90 = historicalVar(SERIES, 0.9);
    expect(at90.valueAtRisk).toBeCloseTo(0.032, 12);
    expect(at90.expectedShortfall).toBeCloseTo(0.05, 12);
    // c = 0.8: h = 9 × 0.2 = 1.8: q = −0.03 + 0.8·(−0.02 + 0.03) = −0.022 → VaR 0.022.
    // Tail (r ≤ −0.022): {−0.05, −0.03}, mean −0.04 → ES 0.04.
    const at80 = historicalVar(SERIES, 0.8);
    expect(at80.valueAtRisk).toBeCloseTo(0.022, 12);
    expect(at80.expectedShortfall).toBeCloseTo(0.04, 12);
  });

  it('lands exactly on an order statistic when (n − 1)(1 − c) is whole, despite 1 − c rounding', () => {
    // Eleven returns −0.05…0.05 in steps of 0.01, c = 0.9: h = 10 × 0.1 = 1 (computed 0.999…98), q = x₁ = −0.04.
    // Tail (r ≤ −0.04): {−0.05, −0.04} → ES 0.045.
    const ladder = Array.from({ length: 11 }, (_, i) => (i - 5) / 100);
    const result = historicalVar(ladder, 0.9);
    expect(result.valueAtRisk).toBeCloseTo(0.04, 12);
    expect(result.expectedShortfall).toBeCloseTo(0.045, 12);
  });

  it('finds the same quantile and tail by selection as by a full sort', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -500, max: 500 }), { minLength: 2, maxLength: 300 }),
        fc.integer({ min: 500, max: 999 }),
        (integers, permille) => {
          const values = integers.map((v) => v / 10_000);
          const confidence = permille / 1000;
          const sorted = [...values].sort((a, b) => a - b);
          const quantile = linearQuantile(sorted, 1 - confidence);
          const tail = sorted.filter((v) => v <= quantile);
          const out = { valueAtRisk: 0, expectedShortfall: 0 };
          tailRiskInPlace(Float64Array.from(values), values.length, confidence, out);
          expect(out.valueAtRisk).toBeCloseTo(-quantile, 12);
          expect(out.expectedShortfall).toBeCloseTo(-tail.reduce((a, b) => a + b, 0) / tail.length, 12);
          expect(out.expectedShortfall).toBeGreaterThanOrEqual(out.valueAtRisk - 1e-12);
        },
      ),
    );
  });
});

describe('moments', () => {
  it('uses the n − 1 deviation and the moment ratios for skewness and kurtosis', () => {
    // m₂ = 0.007/10 = 7·10⁻⁴, m₃ = −6·10⁻⁶, m₄ = 1.078·10⁻⁶.
    // S = m₃/m₂^{3/2} = −6·10⁻⁶ / (7^{3/2}·10⁻⁶) = −6/(7√7) = −0.32396955;  K = m₄/m₂² − 3 = 1.078/0.49 − 3 = −0.8.
    const moments = returnMoments(SERIES);
    expect(moments.count).toBe(10);
    expect(moments.mean).toBeCloseTo(0, 15);
    expect(moments.standardDeviation).toBeCloseTo(SAMPLE_SD, 15);
    expect(moments.skewness).toBeCloseTo(-6 / (7 * Math.sqrt(7)), 12);
    expect(moments.excessKurtosis).toBeCloseTo(-0.8, 12);
  });

  it('gives a flat series no skewness or kurtosis instead of 0/0', () => {
    const moments = returnMoments([0.01, 0.01, 0.01, 0.01]);
    expect(moments.standardDeviation).toBe(0);
    expect(moments.skewness).toBe(0);
    expect(moments.excessKurtosis).toBe(0);
  });
});

describe('Gaussian VaR and ES', () => {
  it('is −μ + σ·Φ⁻¹(c) and −μ + σ·φ(Φ⁻¹(c))/(1 − c)', () => {
    // σ = 0.0278886676, Φ⁻¹(0.95) = 1.6448536270 (A&S 26.5), φ(1.6448536270) = e^{−1.352771727}/√(2π) = 0.1031356404.
    // VaR = 0.0278886676 × 1.6448536270 = 0.0458727760; ES = 0.0278886676 × 0.1031356404 / 0.05 = 0.0575263117.
    const result = gaussianVar(0, SAMPLE_SD, 0.95);
    expect(result.valueAtRisk).toBeCloseTo(0.045872776, 9);
    expect(result.expectedShortfall).toBeCloseTo(0.0575263117, 9);
    // The mean shifts both: μ = 0.01 → 0.0358727760 and 0.0475263117.
    const shifted = gaussianVar(0.01, SAMPLE_SD, 0.95);
    expect(shifted.valueAtRisk).toBeCloseTo(0.035872776, 9);
    expect(shifted.expectedShortfall).toBeCloseTo(0.0475263117, 9);
  });

  it('refuses a negative deviation or a confidence given in percent', () => {
    expectVarInputError(() => gaussianVar(0, -0.01, 0.95), /standard deviation/);
    expectVarInputError(() => gaussianVar(0, 0.01, 95), /confidence must be a fraction/);
  });
});

describe('Cornish–Fisher (modified) VaR and ES', () => {
  it('corrects the Gaussian quantile for skewness and kurtosis', () => {
    // z = Φ⁻¹(0.05) = −1.6448536270, z² = 2.7055434541, z³ = −4.4502229633; S = −0.3239695483, K = −0.8.
    // (z² − 1)S/6 = 1.7055434541 × −0.3239695483 / 6 = −0.0920906904
    // (z³ − 3z)K/24 = (−4.4502229633 + 4.9345608809) × −0.8 / 24 = 0.4843379175 × −0.0333333 = −0.0161445973
    // (2z³ − 5z)S²/36 = (−8.9004459267 + 8.2242681348) × 0.1049562682 / 36 = −0.0019713638
    // z_cf = −1.6448536270 − 0.0920906904 − 0.0161445973 + 0.0019713638 = −1.7511175509
    // VaR = −(0 + z_cf·σ) = 1.7511175509 × 0.0278886676 = 0.0488363352.
    // ES bracket: 1 + S·z/6 + K(z² − 1)/24 + S²(1 − 2z²)/36
    //   = 1 + 0.0888137478 − 0.0568514485 + 0.1049562682 × (−4.4110869082)/36 = 1.0191019876
    // ES = σ/0.05 × φ(z) × bracket = 0.5577733510 × 0.1031356404 × 1.0191019876 = 0.0586251786.
    const result = cornishFisherVar(returnMoments(SERIES), 0.95);
    expect(result.valueAtRisk).toBeCloseTo(0.0488363352, 8);
    expect(result.expectedShortfall).toBeCloseTo(0.0586251786, 9);
  });

  it('is the Gaussian figure when skewness and kurtosis are zero', () => {
    const moments = { mean: 0.002, standardDeviation: 0.015, skewness: 0, excessKurtosis: 0 };
    const modified = cornishFisherVar(moments, 0.99);
    const gaussian = gaussianVar(0.002, 0.015, 0.99);
    expect(modified.valueAtRisk).toBeCloseTo(gaussian.valueAtRisk, 14);
    expect(modified.expectedShortfall).toBeCloseTo(gaussian.expectedShortfall, 14);
  });

  it('never reports ES below VaR where the expansion folds over', () => {
    const result = cornishFisherVar(
      { mean: 0, standardDeviation: 0.01, skewness: 3, excessKurtosis: 0 },
      0.99,
    );
    expect(result.expectedShortfall).toBeGreaterThanOrEqual(result.valueAtRisk);
  });
});

describe('delta-normal VaR of a two-asset portfolio', () => {
  // Hull, "Risk Management and Financial Institutions" (3rd ed., ch. 15, the linear model; also in "Options,
  // Futures, and Other Derivatives"): $10 million in Microsoft (daily volatility 2 %) and $5 million in AT&T
  // (1 %), correlation 0.3. σ of the daily change = √(200,000² + 50,000² + 2 × 0.3 × 200,000 × 50,000) = $220,227;
  // 10-day 99 % VaR = 220,227 × √10 × 2.33 = $1,622,657 (Microsoft alone $1,473,621, AT&T alone $368,405).
  // Hull rounds Φ⁻¹(0.99) to 2.33: his money figures are ours × 2.33 / 2.3263479.
  const covariance = Float64Array.from([0.02 * 0.02, 0.3 * 0.02 * 0.01, 0.3 * 0.02 * 0.01, 0.01 * 0.01]);
  const exposures = [10_000_000, 5_000_000];
  const toHull = 2.33 / normalQuantile(0.99);
  const result = deltaNormalVar(exposures, covariance, 0.99, 10);

  it('reproduces the textbook standard deviation and 10-day 99 % VaR', () => {
    expect(result.standardDeviation).toBeCloseTo(220_227, 0);
    expect(Math.abs(result.valueAtRisk * toHull - 1_622_657)).toBeLessThan(1);
  });

  it('gives the incremental VaR of the AT&T holding: 1,622,657 − 1,473,621 = 149,036', () => {
    expect(Math.abs(result.incremental[1]!.valueAtRisk * toHull - 149_036)).toBeLessThan(1);
    // And of Microsoft: 1,622,657 − 368,405 = 1,254,252.
    expect(Math.abs(result.incremental[0]!.valueAtRisk * toHull - 1_254_252)).toBeLessThan(1);
  });

  it('splits VaR into Euler components that add up', () => {
    // Microsoft: 10M × (0.0004 × 10M + 0.00006 × 5M) / 220,227.155 = 4.3·10¹⁰ / 220,227.155 = 195,252.94 a day;
    // AT&T: 5M × (0.00006 × 10M + 0.0001 × 5M) / 220,227.155 = 5.5·10⁹ / 220,227.155 = 24,974.21.
    // × √10 × 2.3263479: 1,436,389.6 and 183,724.2.
    expect(result.components[0]!.valueAtRisk).toBeCloseTo(1_436_389.6, 0);
    expect(result.components[1]!.valueAtRisk).toBeCloseTo(183_724.2, 0);
    const sum = result.components[0]!.expectedShortfall + result.components[1]!.expectedShortfall;
    expect(sum).toBeCloseTo(result.expectedShortfall, 6);
  });
});

describe('bad input', () => {
  it('names a NaN or infinite return and its position', () => {
    expectVarInputError(() => historicalVar([0.01, Number.NaN, 0.02], 0.95), /returns\[1\] is NaN/);
    expectVarInputError(() => returnMoments([0.01, Number.POSITIVE_INFINITY]), /returns\[1\] is Infinity/);
  });

  it('says how much history is missing', () => {
    expectVarInputError(
      () => historicalVar([0.01], 0.95),
      /too little history: returns has 1 value, at least 2/,
    );
  });

  it('refuses a covariance that does not fit the exposures', () => {
    expectVarInputError(() => deltaNormalVar([1, 2], new Float64Array(3), 0.99), /2×2 covariance/);
  });
});
