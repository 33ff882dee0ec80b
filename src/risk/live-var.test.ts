// The live VaR model against the batch functions on the same returns: sampling from reference prices, the
// rolling window, incremental exposure updates, order evaluation, horizon scaling and the split by book.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { durationMicros, parseRiskConfig } from './config.ts';
import { sampleCovariance } from './covariance.ts';
import { LiveVarModel, liveVarSettings, type LiveVarSettings } from './live-var.ts';
import { cornishFisherVar, deltaNormalVar, historicalVar, returnMoments, type VarMethod } from './var.ts';

const SECOND = 1_000_000;

/** Returns of two instruments, one row per second (chosen by hand, nothing fitted). */
const RETURNS_A = [0.01, -0.02, 0.015, 0.005, -0.01, 0.02, -0.005, -0.015];
const RETURNS_B = [0.004, -0.01, 0.006, 0.002, -0.008, 0.01, 0.0, -0.012];

function settings(method: VarMethod, overrides: Record<string, unknown> = {}): LiveVarSettings {
  // sampleEvery 1 s and a 4 s day: the horizon (1 day) is 4 periods, so every figure is 2 × the one-period one.
  return liveVarSettings(
    parseRiskConfig({
      var: {
        method,
        confidence: 0.95,
        sampleEvery: '1s',
        dayLength: '4s',
        windowReturns: 8,
        minReturns: 4,
        ...overrides,
      },
    }).var,
  );
}

/**
 * Feeds prices so that the window holds `rows` returns of each column: the price at second k is the compounded
 * returns so far (from 100), published at k + 0.5 s; the sample at boundary k + 1 s reads it.
 */
function feed(model: LiveVarModel, columns: readonly (readonly number[])[], rows: number): void {
  const prices = columns.map(() => 100);
  const publish = (second: number): void => {
    model.advance(second * SECOND + SECOND / 2);
    prices.forEach((price, j) => model.observePrice(j, price));
  };
  publish(0);
  for (let k = 0; k < rows; k++) {
    columns.forEach((column, j) => (prices[j] = prices[j]! * (1 + column[k]!)));
    publish(k + 1);
  }
  model.advance((rows + 1) * SECOND + SECOND / 2); // takes the last sample
}

function covarianceOf(columns: readonly (readonly number[])[]): Float64Array {
  return sampleCovariance(columns).covariance;
}

describe('live VaR: gaussian (delta-normal)', () => {
  it('equals the batch delta-normal figure of the sampled returns and the money exposures', () => {
    const model = new LiveVarModel(2, settings('gaussian'));
    feed(model, [RETURNS_A, RETURNS_B], 8);
    expect(model.returnRows).toBe(8);
    // 300 shares of A at a unit value of 50 and −100 of B at 20: exposures 15,000 and −2,000.
    model.setUnitValue(0, 50);
    model.setUnitValue(1, 20);
    model.setQuantity(model.portfolio, 0, 300);
    model.setQuantity(model.portfolio, 1, -100);
    const out = { valueAtRisk: 0, expectedShortfall: 0 };
    expect(model.evaluate(model.portfolio, 0, 0, out)).toBe(true);
    const reference = deltaNormalVar([15_000, -2_000], covarianceOf([RETURNS_A, RETURNS_B]), 0.95, 4);
    expect(out.valueAtRisk).toBeCloseTo(reference.valueAtRisk, 6);
    expect(out.expectedShortfall).toBeCloseTo(reference.expectedShortfall, 6);
  });

  it('evaluates an order as the figure with its exposure added, and follows price moves incrementally', () => {
    const model = new LiveVarModel(2, settings('gaussian'));
    feed(model, [RETURNS_A, RETURNS_B], 8);
    model.setUnitValue(0, 50);
    model.setUnitValue(1, 20);
    model.setQuantity(model.portfolio, 0, 300);
    model.setQuantity(model.portfolio, 1, -100);
    const out = { valueAtRisk: 0, expectedShortfall: 0 };
    model.evaluate(model.portfolio, 0, 0, out); // brings the book up to date before the moves
    // A buy of B worth 5,000 on top: exposures 15,000 and 3,000.
    model.evaluate(model.portfolio, 1, 5_000, out);
    const covariance = covarianceOf([RETURNS_A, RETURNS_B]);
    expect(out.valueAtRisk).toBeCloseTo(deltaNormalVar([15_000, 3_000], covariance, 0.95, 4).valueAtRisk, 6);
    // A's mark moves to 55 (exposure 16,500) and the position to 200 (11,000): an O(n) update each.
    model.setUnitValue(0, 55);
    model.setQuantity(model.portfolio, 0, 200);
    model.evaluate(model.portfolio, 0, 0, out);
    expect(out.valueAtRisk).toBeCloseTo(deltaNormalVar([11_000, -2_000], covariance, 0.95, 4).valueAtRisk, 6);
  });

  it('keeps only the last windowReturns rows', () => {
    const model = new LiveVarModel(2, settings('gaussian', { windowReturns: 5 }));
    feed(model, [RETURNS_A, RETURNS_B], 8);
    model.setUnitValue(0, 1);
    model.setQuantity(model.portfolio, 0, 10_000);
    const out = { valueAtRisk: 0, expectedShortfall: 0 };
    model.evaluate(model.portfolio, 0, 0, out);
    const lastFive = [RETURNS_A.slice(3), RETURNS_B.slice(3)];
    expect(out.valueAtRisk).toBeCloseTo(
      deltaNormalVar([10_000, 0], covarianceOf(lastFive), 0.95, 4).valueAtRisk,
      6,
    );
  });

  it('splits the portfolio into strategy and instrument components that add up', () => {
    const model = new LiveVarModel(2, settings('gaussian'));
    feed(model, [RETURNS_A, RETURNS_B], 8);
    model.setUnitValue(0, 50);
    model.setUnitValue(1, 20);
    const alpha = model.book('alpha');
    const beta = model.book('beta');
    model.setQuantity(alpha, 0, 300);
    model.setQuantity(beta, 1, -100);
    model.setQuantity(beta, 0, -50);
    model.setQuantity(model.portfolio, 0, 250);
    model.setQuantity(model.portfolio, 1, -100);
    const report = model.report();
    const total = report.portfolio!;
    const sumOf = (rows: readonly { component: { valueAtRisk: number } }[]) =>
      rows.reduce((sum, row) => sum + row.component.valueAtRisk, 0);
    expect(sumOf(report.books)).toBeCloseTo(total.valueAtRisk, 6);
    expect(sumOf(report.instruments)).toBeCloseTo(total.valueAtRisk, 6);
    // Incremental of alpha: the portfolio without alpha is beta alone.
    const covariance = covarianceOf([RETURNS_A, RETURNS_B]);
    const betaAlone = deltaNormalVar([-2_500, -2_000], covariance, 0.95, 4).valueAtRisk;
    const alphaRow = report.books.find((row) => row.name === 'alpha')!;
    expect(alphaRow.incremental.valueAtRisk).toBeCloseTo(total.valueAtRisk - betaAlone, 6);
    expect(report.books.find((row) => row.name === 'beta')!.figures.valueAtRisk).toBeCloseTo(betaAlone, 6);
  });
});

describe('live VaR: historical and modified', () => {
  it('is the historical VaR of the scenario P&L of the window, scaled to the horizon', () => {
    const model = new LiveVarModel(2, settings('historical'));
    feed(model, [RETURNS_A, RETURNS_B], 8);
    model.setUnitValue(0, 100);
    model.setUnitValue(1, 100);
    model.setQuantity(model.portfolio, 0, 100); // 10,000
    model.setQuantity(model.portfolio, 1, 50); // 5,000
    const out = { valueAtRisk: 0, expectedShortfall: 0 };
    model.evaluate(model.portfolio, 0, 0, out);
    const pnl = RETURNS_A.map((a, t) => 10_000 * a + 5_000 * RETURNS_B[t]!);
    const reference = historicalVar(pnl, 0.95);
    expect(out.valueAtRisk).toBeCloseTo(2 * reference.valueAtRisk, 6);
    expect(out.expectedShortfall).toBeCloseTo(2 * reference.expectedShortfall, 6);
    // An order selling 15,000 of A evaluates the scenarios with −5,000 in A.
    model.evaluate(model.portfolio, 0, -15_000, out);
    const after = historicalVar(
      RETURNS_A.map((a, t) => -5_000 * a + 5_000 * RETURNS_B[t]!),
      0.95,
    );
    expect(out.valueAtRisk).toBeCloseTo(2 * after.valueAtRisk, 6);
  });

  it('replaces the oldest scenario as the window rolls', () => {
    const model = new LiveVarModel(1, settings('historical', { windowReturns: 4 }));
    model.setUnitValue(0, 1);
    model.setQuantity(model.portfolio, 0, 1_000);
    feed(model, [RETURNS_A], 8);
    const out = { valueAtRisk: 0, expectedShortfall: 0 };
    model.evaluate(model.portfolio, 0, 0, out);
    const reference = historicalVar(
      RETURNS_A.slice(4).map((r) => 1_000 * r),
      0.95,
    );
    expect(out.valueAtRisk).toBeCloseTo(2 * reference.valueAtRisk, 9);
  });

  it('gives ES components of the historical tail that add up to ES', () => {
    const model = new LiveVarModel(2, settings('historical'));
    feed(model, [RETURNS_A, RETURNS_B], 8);
    model.setUnitValue(0, 100);
    model.setUnitValue(1, 100);
    const alpha = model.book('alpha');
    model.setQuantity(alpha, 0, 100);
    model.setQuantity(model.book('beta'), 1, 50);
    model.setQuantity(model.portfolio, 0, 100);
    model.setQuantity(model.portfolio, 1, 50);
    const report = model.report();
    const esSum = report.books.reduce((sum, row) => sum + row.component.expectedShortfall, 0);
    expect(esSum).toBeCloseTo(report.portfolio!.expectedShortfall, 6);
    const alphaAlone = historicalVar(
      RETURNS_A.map((a) => 10_000 * a),
      0.95,
    );
    expect(report.books.find((row) => row.name === 'alpha')!.figures.valueAtRisk).toBeCloseTo(
      2 * alphaAlone.valueAtRisk,
      6,
    );
  });

  it('modified: Cornish–Fisher of the scenario P&L, with zero location', () => {
    const model = new LiveVarModel(1, settings('modified'));
    feed(model, [RETURNS_A], 8);
    model.setUnitValue(0, 1);
    model.setQuantity(model.portfolio, 0, 1);
    const out = { valueAtRisk: 0, expectedShortfall: 0 };
    model.evaluate(model.portfolio, 0, 0, out);
    // Gaussian with the same deviation and zero mean, corrected by the series' skewness and kurtosis: compare
    // with the batch Cornish–Fisher figure of the demeaned series (same σ, S, K; location 0).
    const mean = RETURNS_A.reduce((a, b) => a + b, 0) / RETURNS_A.length;
    const demeaned = RETURNS_A.map((r) => r - mean);
    const reference = cornishFisherVar(returnMoments(demeaned), 0.95);
    expect(out.valueAtRisk).toBeCloseTo(2 * reference.valueAtRisk, 9);
    expect(out.expectedShortfall).toBeCloseTo(2 * reference.expectedShortfall, 9);
  });
});

describe('live VaR: the pre-trade screen', () => {
  it('passes an order without evaluating only when the exact figures stay within the bands', () => {
    for (const method of ['historical', 'montecarlo'] as const) {
      const model = new LiveVarModel(2, settings(method, { monteCarlo: { paths: 1_000 } }));
      feed(model, [RETURNS_A, RETURNS_B], 8);
      model.setUnitValue(0, 50);
      model.setUnitValue(1, 20);
      model.setQuantity(model.portfolio, 0, 300);
      model.setQuantity(model.portfolio, 1, -100);
      const now = { valueAtRisk: 0, expectedShortfall: 0 };
      model.evaluate(model.portfolio, 0, 0, now);
      const book = model.portfolio;
      let screened = 0;
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 1 }),
          fc.integer({ min: -20_000, max: 20_000 }),
          fc.double({ min: 1, max: 1.5, noNaN: true }),
          // Price moves since the last exact figure: the screen then works from a bound.
          fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 45, max: 55 })), {
            maxLength: 3,
          }),
          (index, delta, headroom, moves) => {
            for (const [moved, price] of moves) model.setUnitValue(moved, moved === 0 ? price : price / 2.5);
            book.limitVar = now.valueAtRisk * headroom;
            book.limitEs = now.expectedShortfall * headroom;
            if (!model.withinBands(book, index, delta)) return;
            screened++;
            const exact = { valueAtRisk: 0, expectedShortfall: 0 };
            model.evaluate(book, index, delta, exact);
            expect(exact.valueAtRisk).toBeLessThanOrEqual(book.limitVar + 1e-9);
            expect(exact.expectedShortfall).toBeLessThanOrEqual(book.limitEs + 1e-9);
          },
        ),
        { numRuns: 300 },
      );
      expect(screened).toBeGreaterThan(10);
    }
  });
});

describe('live VaR: Monte Carlo', () => {
  it('lands near the delta-normal figure of the same covariance', () => {
    const model = new LiveVarModel(2, settings('montecarlo', { monteCarlo: { paths: 50_000 } }));
    feed(model, [RETURNS_A, RETURNS_B], 8);
    model.setUnitValue(0, 50);
    model.setUnitValue(1, 20);
    model.setQuantity(model.portfolio, 0, 300);
    model.setQuantity(model.portfolio, 1, -100);
    const out = { valueAtRisk: 0, expectedShortfall: 0 };
    expect(model.evaluate(model.portfolio, 0, 0, out)).toBe(true);
    const reference = deltaNormalVar([15_000, -2_000], covarianceOf([RETURNS_A, RETURNS_B]), 0.95, 4);
    // 50,000 paths: the 95 % quantile is within about 1 % (standard error ≈ 0.5 %).
    expect(Math.abs(out.valueAtRisk / reference.valueAtRisk - 1)).toBeLessThan(0.03);
    expect(Math.abs(out.expectedShortfall / reference.expectedShortfall - 1)).toBeLessThan(0.03);
  });
});

describe('live VaR: history and sampling', () => {
  it('is not ready before minReturns, and an instrument without prices has no history', () => {
    const early = new LiveVarModel(2, settings('gaussian'));
    feed(early, [RETURNS_A], 3);
    const out = { valueAtRisk: 0, expectedShortfall: 0 };
    expect(early.ready()).toBe(false);
    expect(early.hasHistory(0)).toBe(false);
    expect(early.evaluate(early.portfolio, 0, 1_000, out)).toBe(false);
    const model = new LiveVarModel(2, settings('gaussian'));
    feed(model, [RETURNS_A], 6);
    expect(model.ready()).toBe(true);
    expect(model.hasHistory(0)).toBe(true);
    expect(model.hasHistory(1)).toBe(false); // never priced: every return missing
    expect(model.returnsOf(1)).toBe(0);
  });

  it('counts one daily bar a day as one period of a day, whatever sampleEvery says', () => {
    // sampleEvery 1m, dayLength 24h, bars one day apart: the median spacing is a day, so a 1-day horizon is
    // one period and the figure is the one-period figure (scale 1).
    const model = new LiveVarModel(1, settings('historical', { sampleEvery: '1m', dayLength: '24h' }));
    const day = durationMicros('1d')!;
    let price = 100;
    model.advance(0);
    model.observePrice(0, price);
    for (let k = 0; k < 8; k++) {
      model.advance((k + 1) * day);
      price *= 1 + RETURNS_A[k]!;
      model.observePrice(0, price);
    }
    model.advance(9 * day);
    model.setUnitValue(0, 1);
    model.setQuantity(model.portfolio, 0, 1_000);
    const out = { valueAtRisk: 0, expectedShortfall: 0 };
    model.evaluate(model.portfolio, 0, 0, out);
    expect(model.report().spacingMicros).toBe(day);
    expect(out.valueAtRisk).toBeCloseTo(
      historicalVar(
        RETURNS_A.map((r) => 1_000 * r),
        0.95,
      ).valueAtRisk,
      9,
    );
  });
});
