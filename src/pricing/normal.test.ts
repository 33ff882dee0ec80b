// The normal distributions against published values, independent series and exact identities.
import { describe, expect, it } from 'vitest';
import { bivariateNormalCdf, normalCdf, normalPdf } from './normal.ts';

function relativeError(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.abs(expected);
}

/**
 * Q(a) = 1 − Φ(a) for a > 0 from Laplace's continued fraction for the Mills ratio (Abramowitz & Stegun 26.2.14):
 * Q(a) = φ(a) / (a + 1/(a + 2/(a + 3/(a + …)))). Evaluated backwards it is accurate to a few ulps for a ≥ 5;
 * the arguments used keep a²/2 exact, so exp(−a²/2) adds only its own rounding.
 */
function millsTail(a: number): number {
  let fraction = a;
  for (let k = 400; k >= 1; k--) fraction = a + k / fraction;
  return Math.exp(-0.5 * a * a) / Math.sqrt(2 * Math.PI) / fraction;
}

/** Φ(x) = 1/2 + (1/√(2π)) Σ (−1)^n x^(2n+1) / (2^n n! (2n+1)), the Taylor series of the integral of φ. */
function taylorCdf(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 80; n++) {
    term *= (-x * x) / (2 * n);
    sum += term / (2 * n + 1);
  }
  return 0.5 + sum / Math.sqrt(2 * Math.PI);
}

describe('normalCdf', () => {
  it('matches the 15-decimal table of Abramowitz & Stegun (Table 26.1)', () => {
    // A&S Table 26.1, P(x): P(1) = 0.84134 47460 68543, P(2) = 0.97724 98680 51821, P(3) = 0.99865 01019 68370.
    expect(Math.abs(normalCdf(1) - 0.841344746068543)).toBeLessThan(1e-15);
    expect(Math.abs(normalCdf(2) - 0.977249868051821)).toBeLessThan(1e-15);
    expect(Math.abs(normalCdf(3) - 0.99865010196837)).toBeLessThan(1e-15);
    expect(normalCdf(0)).toBe(0.5);
  });

  it('matches the Taylor series near the centre to 1e-15 relative', () => {
    // Below −1 the series itself loses digits to the cancellation 1/2 − Σ; the tail test covers that side.
    for (const x of [-1, -0.66, -0.3, -0.01, 0.2, 0.6, 1.2, 1.5])
      expect(relativeError(normalCdf(x), taylorCdf(x))).toBeLessThan(1e-15);
  });

  it('keeps ~1e-15 relative accuracy deep in the lower tail (continued fraction reference)', () => {
    for (const a of [5, 6, 8, 10, 12, 15, 20, 25, 30, 35, 37]) {
      expect(relativeError(normalCdf(-a), millsTail(a))).toBeLessThan(2e-15);
      expect(relativeError(normalPdf(a), Math.exp(-0.5 * a * a) / Math.sqrt(2 * Math.PI))).toBeLessThan(
        1e-15,
      );
    }
  });

  it('is symmetric, monotone and saturates without NaN', () => {
    for (const x of [0.1, 0.5, 1, 2.5, 4, 6])
      expect(Math.abs(normalCdf(x) + normalCdf(-x) - 1)).toBeLessThan(2e-16);
    let previous = 0;
    for (let x = -40; x <= 10; x += 0.01) {
      const value = normalCdf(x);
      expect(value).toBeGreaterThanOrEqual(previous);
      previous = value;
    }
    expect(normalCdf(-50)).toBe(0);
    expect(normalCdf(50)).toBe(1);
    expect(normalCdf(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(normalCdf(Number.POSITIVE_INFINITY)).toBe(1);
    expect(normalCdf(Number.NaN)).toBeNaN();
    expect(normalPdf(Number.POSITIVE_INFINITY)).toBe(0);
  });

  it('has the density 1/√(2π) at 0', () => {
    expect(normalPdf(0)).toBeCloseTo(1 / Math.sqrt(2 * Math.PI), 16);
  });
});

describe('bivariateNormalCdf', () => {
  // Correlations chosen to reach every branch of the quadrature: |ρ| < 0.3, < 0.75, < 0.925 and above.
  const correlations = [-0.999, -0.95, -0.786, -0.5, -0.2, 0, 0.1, 0.45, 0.786, 0.9, 0.95, 0.999];

  it("equals Sheppard's closed form at the origin: M(0, 0; ρ) = 1/4 + asin(ρ)/(2π)", () => {
    for (const rho of correlations)
      expect(Math.abs(bivariateNormalCdf(0, 0, rho) - (0.25 + Math.asin(rho) / (2 * Math.PI)))).toBeLessThan(
        1e-15,
      );
  });

  it('factorises at ρ = 0 and is symmetric in its arguments', () => {
    for (const [a, b] of [
      [-1, 2],
      [0.5, -0.3],
      [-3, -4],
    ] as const) {
      expect(Math.abs(bivariateNormalCdf(a, b, 0) - normalCdf(a) * normalCdf(b))).toBeLessThan(1e-16);
      for (const rho of correlations)
        expect(Math.abs(bivariateNormalCdf(a, b, rho) - bivariateNormalCdf(b, a, rho))).toBeLessThan(1e-15);
    }
  });

  it('adds up: M(a, b; ρ) + M(a, −b; −ρ) = Φ(a)', () => {
    for (const [a, b] of [
      [-1, 2],
      [0.5, -0.3],
      [-2.5, -1.2],
      [1.7, 0.9],
      [3, -3],
    ] as const)
      for (const rho of correlations)
        expect(
          Math.abs(bivariateNormalCdf(a, b, rho) + bivariateNormalCdf(a, -b, -rho) - normalCdf(a)),
        ).toBeLessThan(1e-14);
  });

  it('takes its limits at ρ = ±1 and at infinite arguments', () => {
    expect(bivariateNormalCdf(0.3, -0.7, 1)).toBeCloseTo(normalCdf(-0.7), 15);
    expect(bivariateNormalCdf(0.3, 0.7, -1)).toBeCloseTo(normalCdf(0.3) + normalCdf(0.7) - 1, 15);
    expect(bivariateNormalCdf(-0.3, -0.7, -1)).toBe(0);
    expect(bivariateNormalCdf(Number.POSITIVE_INFINITY, 0.4, 0.5)).toBe(normalCdf(0.4));
    expect(bivariateNormalCdf(-2, Number.NEGATIVE_INFINITY, 0.5)).toBe(0);
  });
});
