// Performance statistics on small series, every expected value worked out by hand in the comments.

import { describe, expect, it } from 'vitest';
import {
  cagr,
  calmar,
  computeStats,
  downsideDeviation,
  maxDrawdown,
  returnsFromEquity,
  sharpe,
  sortino,
  StatsInputError,
  statsFromEquity,
  totalReturn,
  volatility,
  winRate,
} from './stats.ts';

// Series A, monthly (ppy 12): wealth 1 → 1.1 → 1.1 × 0.95 = 1.045 → 1.045 × 1.02 = 1.0659 → 1.0659 × 1.03 = 1.097877.
const A = [0.1, -0.05, 0.02, 0.03];
// Series B: wealth 1 → 0.9 → 0.9 × 1.2 = 1.08 → 1.08 × 0.75 = 0.81 → 0.81 × 1.1 = 0.891.
const B = [-0.1, 0.2, -0.25, 0.1];

describe('statistics of A = [0.1, -0.05, 0.02, 0.03], monthly', () => {
  it('total return compounds: 1.097877 − 1 = 0.097877', () => {
    expect(totalReturn(A)).toBeCloseTo(0.097877, 14);
  });

  it('CAGR = 1.097877^(12/4) − 1 = 1.323308373957065 − 1', () => {
    // 1.097877² = 1.205333907129; × 1.097877 = 1.323308373957065133
    expect(cagr(A, 12)).toBeCloseTo(0.323308373957065, 13);
    // over 4 periods a year, n = 4 periods is one year: CAGR = total return
    expect(cagr(A, 4)).toBeCloseTo(0.097877, 14);
  });

  it('volatility = sample sd × sqrt(12) = sqrt(0.0113 / 3 × 12) = sqrt(0.0452)', () => {
    // mean = 0.1 / 4 = 0.025; deviations 0.075, −0.075, −0.005, 0.005;
    // squares 0.005625 + 0.005625 + 0.000025 + 0.000025 = 0.0113; / (n − 1 = 3) × 12 = 0.0452
    expect(volatility(A, 12)).toBeCloseTo(0.212602916254693, 14);
  });

  it('Sharpe = mean / sd × sqrt(12) = 0.025 × 12 / sqrt(0.0452) = 0.3 / 0.2126029…', () => {
    expect(sharpe(A, 12)).toBeCloseTo(1.411081302575396, 13);
    // risk-free 0.01 a period: excess mean 0.015, same sd: 0.015 × 12 / sqrt(0.0452) = 0.18 / 0.2126029…
    expect(sharpe(A, 12, 0.01)).toBeCloseTo(0.846648781545238, 13);
  });

  it('downside deviation and Sortino against MAR 0: sqrt(0.05² / 4) = 0.025, 0.025 / 0.025 × sqrt(12)', () => {
    // only −0.05 is below 0: sqrt(0.0025 / 4) = sqrt(0.000625) = 0.025 (n = 4 counts every period)
    expect(downsideDeviation(A)).toBeCloseTo(0.025, 15);
    expect(sortino(A, 12)).toBeCloseTo(3.464101615137755, 13);
  });

  it('Sortino against MAR 0.02: mean(r − MAR) = 0.005, DD = sqrt(0.07² / 4) = 0.035, ratio sqrt(12) / 7', () => {
    // r − MAR = 0.08, −0.07, 0, 0.01: mean 0.02 / 4 = 0.005; shortfall −0.07 only: sqrt(0.0049 / 4) = 0.035
    expect(downsideDeviation(A, 0.02)).toBeCloseTo(0.035, 15);
    expect(sortino(A, 12, 0.02)).toBeCloseTo(0.494871659305394, 13);
  });

  it('max drawdown = 1.045 / 1.1 − 1 = −0.05 (later wealth stays above 1.045, below the 1.1 peak)', () => {
    expect(maxDrawdown(A)).toBeCloseTo(-0.05, 15);
  });

  it('Calmar = CAGR / |max drawdown| = 0.323308373957065 / 0.05', () => {
    expect(calmar(A, 12)).toBeCloseTo(6.4661674791413, 12);
  });

  it('win rate = 3 positive periods of 4', () => {
    expect(winRate(A)).toBe(0.75);
  });

  it('computeStats gathers the same values, from an array or a Float64Array', () => {
    const stats = computeStats(A, { periodsPerYear: 12 });
    expect(stats).toMatchObject({
      periods: 4,
      periodsPerYear: 12,
      riskFree: 0,
      mar: 0,
      winRate: 0.75,
      winRateBasis: 'periods',
      bestPeriod: 0.1,
      worstPeriod: -0.05,
    });
    expect(stats.totalReturn).toBeCloseTo(0.097877, 14);
    expect(stats.meanReturn).toBeCloseTo(0.025, 15);
    expect(stats.sharpe).toBeCloseTo(1.411081302575396, 13);
    expect(stats.sortino).toBeCloseTo(3.464101615137755, 13);
    expect(stats.maxDrawdown).toBeCloseTo(-0.05, 15);
    expect(computeStats(Float64Array.from(A), { periodsPerYear: 12 })).toEqual(stats);
  });
});

describe('drawdowns', () => {
  it('B: the start counts as a peak (−0.1), then 1.08 → 0.81 is 0.81 / 1.08 − 1 = −0.25', () => {
    expect(maxDrawdown(B)).toBeCloseTo(-0.25, 15);
    // total 0.891 − 1 = −0.109; over ppy 4 and 4 periods CAGR = total; Calmar = −0.109 / 0.25 = −0.436
    expect(totalReturn(B)).toBeCloseTo(-0.109, 15);
    expect(calmar(B, 4)).toBeCloseTo(-0.436, 14);
  });

  it('a first-period loss is a drawdown from the starting value: [−0.1] → −0.1', () => {
    expect(maxDrawdown([-0.1])).toBeCloseTo(-0.1, 15);
  });

  it('a loss of 100 % is a drawdown of −1 and a CAGR of −1', () => {
    // wealth 1.5 → 0: drawdown 0 / 1.5 − 1 = −1; (1 + (−1))^(12/2) − 1 = −1
    expect(maxDrawdown([0.5, -1])).toBe(-1);
    expect(cagr([0.5, -1], 12)).toBe(-1);
  });
});

describe('edge cases: defined results, never NaN', () => {
  it('an empty series: total 0, drawdown 0, every ratio null', () => {
    expect(computeStats([], { periodsPerYear: 252 })).toEqual({
      periods: 0,
      periodsPerYear: 252,
      riskFree: 0,
      mar: 0,
      totalReturn: 0,
      cagr: null,
      meanReturn: null,
      volatility: null,
      sharpe: null,
      downsideDeviation: null,
      sortino: null,
      maxDrawdown: 0,
      calmar: null,
      winRate: null,
      winRateBasis: 'periods',
      bestPeriod: null,
      worstPeriod: null,
    });
  });

  it('a constant series: volatility exactly 0, Sharpe null (not a rounding residue), no drawdown', () => {
    const stats = computeStats([0.01, 0.01, 0.01], { periodsPerYear: 12 });
    // 1.01³ − 1 = 0.030301
    expect(stats.totalReturn).toBeCloseTo(0.030301, 15);
    expect(stats.volatility).toBe(0);
    expect(stats.sharpe).toBeNull();
    expect(stats.downsideDeviation).toBe(0);
    expect(stats.sortino).toBeNull();
    expect(stats.maxDrawdown).toBe(0);
    expect(stats.calmar).toBeNull();
    expect(stats.winRate).toBe(1);
  });

  it('one period: no sample deviation; CAGR 1.05^12 − 1', () => {
    const stats = computeStats([0.05], { periodsPerYear: 12 });
    expect(stats.volatility).toBeNull();
    expect(stats.sharpe).toBeNull();
    // 1.05^12 = 1.795856326022129
    expect(stats.cagr).toBeCloseTo(0.795856326022129, 13);
  });

  it('no value in any result is NaN or infinite', () => {
    for (const series of [[], [0], [0.01, 0.01], [0.5, -1], A, B]) {
      const stats = computeStats(series, { periodsPerYear: 12, riskFree: 0.001, mar: 0.002 });
      for (const [key, value] of Object.entries(stats))
        if (typeof value === 'number')
          expect(Number.isFinite(value), `${key} of [${series.join(', ')}]`).toBe(true);
    }
  });

  it('win rate over closed trades when given: 3 winners of 5 (a flat trade is not a win)', () => {
    const stats = computeStats(A, { periodsPerYear: 12, trades: [10, -5, 0, 3, 7] });
    expect(stats.winRate).toBe(0.6);
    expect(stats.winRateBasis).toBe('trades');
  });
});

describe('bad input is refused with the index named', () => {
  it('NaN, infinity, a loss beyond −100 %', () => {
    expect(() => totalReturn([0.01, Number.NaN])).toThrow(/returns\[1\] is not a finite number/);
    expect(() => computeStats([Infinity], { periodsPerYear: 12 })).toThrow(StatsInputError);
    expect(() => maxDrawdown([0.1, 0.2, -1.5])).toThrow(/returns\[2\] = -1.5/);
  });

  it('periods per year, risk-free, MAR and trades', () => {
    expect(() => cagr(A, 0)).toThrow(/periodsPerYear must be a positive number/);
    expect(() => sharpe(A, 12, Number.NaN)).toThrow(/riskFree/);
    expect(() => sortino(A, 12, Infinity)).toThrow(/mar/);
    expect(() => computeStats(A, { periodsPerYear: 12, trades: [1, Number.NaN] })).toThrow(/trades\[1\]/);
  });
});

describe('equity curves', () => {
  // The equity curve of A from 100: 110, 104.5, 106.59, 109.7877.
  const equity = [100, 110, 104.5, 106.59, 109.7877];

  it('returns are eᵢ / eᵢ₋₁ − 1', () => {
    const returns = returnsFromEquity(equity);
    expect(returns).toHaveLength(4);
    A.forEach((r, i) => expect(returns[i]).toBeCloseTo(r, 14));
    expect(returnsFromEquity([100])).toHaveLength(0);
  });

  it('statsFromEquity equals the statistics of those returns', () => {
    const stats = statsFromEquity(equity, 12);
    expect(stats.periods).toBe(4);
    expect(stats.totalReturn).toBeCloseTo(0.097877, 12);
    expect(stats.maxDrawdown).toBeCloseTo(-0.05, 14);
    expect(stats.sharpe).toBeCloseTo(1.411081302575396, 10);
  });

  it('a non-positive or non-finite value is refused', () => {
    expect(() => returnsFromEquity([100, 0, 50])).toThrow(/equity\[1\] must be a positive finite number/);
    expect(() => statsFromEquity([100, Number.NaN], 12)).toThrow(StatsInputError);
  });
});
