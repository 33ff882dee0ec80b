// Performance statistics of a periodic return series, defined as in R PerformanceAnalytics and empyrical.
//
// Returns are simple (not log) returns per period, as fractions: 0.01 = 1 %. A ratio whose denominator is
// zero, or that needs more periods than the series has, is `null` (never NaN, never Infinity), so a result
// always serialises to JSON as it is.

export type ReturnSeries = Float64Array | readonly number[];

/** Invalid input to a statistic: names the argument, the index and the problem. */
export class StatsInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StatsInputError';
  }
}

export interface StatsOptions {
  /** Periods in a year: 252 daily, 52 weekly, 12 monthly. */
  readonly periodsPerYear: number;
  /** Risk-free return per period (not annualised); default 0. */
  readonly riskFree?: number;
  /** Minimum acceptable return per period for the Sortino ratio; default 0. */
  readonly mar?: number;
  /** Profit or loss of each closed trade: when given, the win rate is over trades instead of periods. */
  readonly trades?: ReturnSeries;
}

export interface PerformanceStats {
  readonly periods: number;
  readonly periodsPerYear: number;
  readonly riskFree: number;
  readonly mar: number;
  /** Compounded return over the whole series; 0 for an empty series. */
  readonly totalReturn: number;
  /** Compound annual growth rate; null for an empty series. */
  readonly cagr: number | null;
  /** Arithmetic mean return per period; null for an empty series. */
  readonly meanReturn: number | null;
  /** Annualised sample standard deviation; null below two periods. */
  readonly volatility: number | null;
  /** Annualised Sharpe ratio; null below two periods or at zero volatility. */
  readonly sharpe: number | null;
  /** Downside deviation per period against `mar` (not annualised); null for an empty series. */
  readonly downsideDeviation: number | null;
  /** Annualised Sortino ratio; null for an empty series or when no period falls below `mar`. */
  readonly sortino: number | null;
  /** Largest peak-to-trough fall of the wealth index, as a negative fraction (−0.25 = −25 %); 0 if none. */
  readonly maxDrawdown: number;
  /** cagr / |maxDrawdown|; null without a drawdown. */
  readonly calmar: number | null;
  /** Share of positive periods (or trades); null when there are none to count. */
  readonly winRate: number | null;
  readonly winRateBasis: 'periods' | 'trades';
  /** Best and worst single period; null for an empty series. */
  readonly bestPeriod: number | null;
  readonly worstPeriod: number | null;
}

function at(values: ReturnSeries, index: number): number {
  return values[index] as number;
}

function checkFinite(value: number, name: string): void {
  if (!Number.isFinite(value)) throw new StatsInputError(`${name} must be a finite number, got ${value}`);
}

function checkPeriodsPerYear(periodsPerYear: number): void {
  if (!Number.isFinite(periodsPerYear) || periodsPerYear <= 0)
    throw new StatsInputError(`periodsPerYear must be a positive number, got ${periodsPerYear}`);
}

/** Every return finite and at least −1 (a loss of more than 100 % has no compounded meaning). */
function checkReturns(returns: ReturnSeries, name = 'returns'): void {
  for (let i = 0; i < returns.length; i++) {
    const r = at(returns, i);
    if (!Number.isFinite(r)) throw new StatsInputError(`${name}[${i}] is not a finite number (${r})`);
    if (r < -1) throw new StatsInputError(`${name}[${i}] = ${r} is a loss of more than 100 %`);
  }
}

function checkValues(values: ReturnSeries, name: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = at(values, i);
    if (!Number.isFinite(v)) throw new StatsInputError(`${name}[${i}] is not a finite number (${v})`);
  }
}

function uncheckedTotalReturn(returns: ReturnSeries): number {
  let wealth = 1;
  for (let i = 0; i < returns.length; i++) wealth *= 1 + at(returns, i);
  return wealth - 1;
}

function uncheckedCagr(returns: ReturnSeries, periodsPerYear: number): number | null {
  if (returns.length === 0) return null;
  return Math.pow(1 + uncheckedTotalReturn(returns), periodsPerYear / returns.length) - 1;
}

function mean(values: ReturnSeries, shift: number): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += at(values, i) - shift;
  return sum / values.length;
}

/**
 * Sample standard deviation (n − 1) of `values − shift`; exactly 0 when every value is equal, so that a
 * constant series has no volatility rather than a rounding residue of 1e-18.
 */
function sampleDeviation(values: ReturnSeries, shift: number): number | null {
  const n = values.length;
  if (n < 2) return null;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = at(values, i);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === max) return 0;
  const m = mean(values, shift);
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const d = at(values, i) - shift - m;
    squares += d * d;
  }
  return Math.sqrt(squares / (n - 1));
}

function uncheckedVolatility(returns: ReturnSeries, periodsPerYear: number): number | null {
  const deviation = sampleDeviation(returns, 0);
  return deviation === null ? null : deviation * Math.sqrt(periodsPerYear);
}

function uncheckedSharpe(returns: ReturnSeries, periodsPerYear: number, riskFree: number): number | null {
  const deviation = sampleDeviation(returns, riskFree);
  if (deviation === null || deviation === 0) return null;
  return (mean(returns, riskFree) / deviation) * Math.sqrt(periodsPerYear);
}

function uncheckedDownsideDeviation(returns: ReturnSeries, mar: number): number | null {
  const n = returns.length;
  if (n === 0) return null;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const shortfall = at(returns, i) - mar;
    if (shortfall < 0) squares += shortfall * shortfall;
  }
  return Math.sqrt(squares / n);
}

function uncheckedSortino(returns: ReturnSeries, periodsPerYear: number, mar: number): number | null {
  const downside = uncheckedDownsideDeviation(returns, mar);
  if (downside === null || downside === 0) return null;
  return (mean(returns, mar) / downside) * Math.sqrt(periodsPerYear);
}

function uncheckedMaxDrawdown(returns: ReturnSeries): number {
  let wealth = 1;
  let peak = 1;
  let worst = 0;
  for (let i = 0; i < returns.length; i++) {
    wealth *= 1 + at(returns, i);
    if (wealth > peak) peak = wealth;
    else {
      const drawdown = wealth / peak - 1;
      if (drawdown < worst) worst = drawdown;
    }
  }
  return worst;
}

function uncheckedCalmar(returns: ReturnSeries, periodsPerYear: number): number | null {
  const drawdown = uncheckedMaxDrawdown(returns);
  const growth = uncheckedCagr(returns, periodsPerYear);
  if (drawdown === 0 || growth === null) return null;
  return growth / -drawdown;
}

function uncheckedWinRate(values: ReturnSeries): number | null {
  if (values.length === 0) return null;
  let wins = 0;
  for (let i = 0; i < values.length; i++) if (at(values, i) > 0) wins++;
  return wins / values.length;
}

/** Compounded total return: ∏(1 + rᵢ) − 1 (PerformanceAnalytics Return.cumulative, geometric). */
export function totalReturn(returns: ReturnSeries): number {
  checkReturns(returns);
  return uncheckedTotalReturn(returns);
}

/**
 * Compound annual growth rate: (1 + total)^(ppy / n) − 1, n the number of periods (PerformanceAnalytics
 * Return.annualized, geometric; empyrical annual_return). Null for an empty series.
 */
export function cagr(returns: ReturnSeries, periodsPerYear: number): number | null {
  checkReturns(returns);
  checkPeriodsPerYear(periodsPerYear);
  return uncheckedCagr(returns, periodsPerYear);
}

/**
 * Annualised volatility: sample standard deviation sqrt(Σ(rᵢ − r̄)² / (n − 1)) × sqrt(ppy)
 * (PerformanceAnalytics StdDev.annualized; empyrical annual_volatility uses the same n − 1). Null below 2 periods.
 */
export function volatility(returns: ReturnSeries, periodsPerYear: number): number | null {
  checkReturns(returns);
  checkPeriodsPerYear(periodsPerYear);
  return uncheckedVolatility(returns, periodsPerYear);
}

/**
 * Annualised Sharpe ratio: mean(rᵢ − rf) / sd(rᵢ − rf) × sqrt(ppy), sd the sample deviation (n − 1), rf the
 * risk-free return per period (empyrical sharpe_ratio). Null below 2 periods or when the deviation is 0.
 */
export function sharpe(returns: ReturnSeries, periodsPerYear: number, riskFree = 0): number | null {
  checkReturns(returns);
  checkPeriodsPerYear(periodsPerYear);
  checkFinite(riskFree, 'riskFree');
  return uncheckedSharpe(returns, periodsPerYear, riskFree);
}

/**
 * Downside deviation per period: sqrt(Σ min(rᵢ − MAR, 0)² / n), n counting every period, not only those
 * below MAR (PerformanceAnalytics DownsideDeviation, method "full"; empyrical downside_risk before
 * annualising). Null for an empty series.
 */
export function downsideDeviation(returns: ReturnSeries, mar = 0): number | null {
  checkReturns(returns);
  checkFinite(mar, 'mar');
  return uncheckedDownsideDeviation(returns, mar);
}

/**
 * Annualised Sortino ratio: mean(rᵢ − MAR) / downsideDeviation × sqrt(ppy), the convention of empyrical
 * sortino_ratio (PerformanceAnalytics SortinoRatio is the same ratio per period, without the sqrt(ppy)).
 * Null for an empty series or when no period is below MAR (zero downside deviation).
 */
export function sortino(returns: ReturnSeries, periodsPerYear: number, mar = 0): number | null {
  checkReturns(returns);
  checkPeriodsPerYear(periodsPerYear);
  checkFinite(mar, 'mar');
  return uncheckedSortino(returns, periodsPerYear, mar);
}

/**
 * Maximum drawdown of the wealth index Wₜ = ∏ₖ≤ₜ(1 + rₖ), W₀ = 1: min over t of Wₜ / maxₛ≤ₜ Wₛ − 1, as a
 * negative fraction (empyrical's sign; PerformanceAnalytics reports the same size as a positive number).
 * The starting value counts as a peak, so a first-period loss is a drawdown. 0 when the index never falls.
 */
export function maxDrawdown(returns: ReturnSeries): number {
  checkReturns(returns);
  return uncheckedMaxDrawdown(returns);
}

/** Calmar ratio: cagr / |maxDrawdown| (empyrical calmar_ratio). Null when there is no drawdown. */
export function calmar(returns: ReturnSeries, periodsPerYear: number): number | null {
  checkReturns(returns);
  checkPeriodsPerYear(periodsPerYear);
  return uncheckedCalmar(returns, periodsPerYear);
}

/**
 * Share of values strictly above 0: per-period returns, or the profit or loss of closed trades. A flat
 * period or trade is not a win. Null for an empty series.
 */
export function winRate(values: ReturnSeries): number | null {
  checkValues(values, 'values');
  return uncheckedWinRate(values);
}

/** Simple returns of an equity curve: rᵢ = eᵢ / eᵢ₋₁ − 1 (n values give n − 1 returns). Values must be > 0. */
export function returnsFromEquity(equity: ReturnSeries): Float64Array {
  for (let i = 0; i < equity.length; i++) {
    const e = at(equity, i);
    if (!Number.isFinite(e) || e <= 0)
      throw new StatsInputError(`equity[${i}] must be a positive finite number, got ${e}`);
  }
  const returns = new Float64Array(Math.max(0, equity.length - 1));
  for (let i = 1; i < equity.length; i++) returns[i - 1] = at(equity, i) / at(equity, i - 1) - 1;
  return returns;
}

/** Every statistic of the series, checked once. */
export function computeStats(returns: ReturnSeries, options: StatsOptions): PerformanceStats {
  const { periodsPerYear } = options;
  const riskFree = options.riskFree ?? 0;
  const mar = options.mar ?? 0;
  checkReturns(returns);
  checkPeriodsPerYear(periodsPerYear);
  checkFinite(riskFree, 'riskFree');
  checkFinite(mar, 'mar');
  if (options.trades !== undefined) checkValues(options.trades, 'trades');
  let best: number | null = null;
  let worst: number | null = null;
  for (let i = 0; i < returns.length; i++) {
    const r = at(returns, i);
    if (best === null || r > best) best = r;
    if (worst === null || r < worst) worst = r;
  }
  return {
    periods: returns.length,
    periodsPerYear,
    riskFree,
    mar,
    totalReturn: uncheckedTotalReturn(returns),
    cagr: uncheckedCagr(returns, periodsPerYear),
    meanReturn: returns.length === 0 ? null : mean(returns, 0),
    volatility: uncheckedVolatility(returns, periodsPerYear),
    sharpe: uncheckedSharpe(returns, periodsPerYear, riskFree),
    downsideDeviation: uncheckedDownsideDeviation(returns, mar),
    sortino: uncheckedSortino(returns, periodsPerYear, mar),
    maxDrawdown: uncheckedMaxDrawdown(returns),
    calmar: uncheckedCalmar(returns, periodsPerYear),
    winRate: uncheckedWinRate(options.trades ?? returns),
    winRateBasis: options.trades === undefined ? 'periods' : 'trades',
    bestPeriod: best,
    worstPeriod: worst,
  };
}

/** Statistics of an equity curve (account values at the end of each period): its returns, then computeStats. */
export function statsFromEquity(
  equity: ReturnSeries,
  periodsPerYear: number,
  options: Omit<StatsOptions, 'periodsPerYear'> = {},
): PerformanceStats {
  return computeStats(returnsFromEquity(equity), { ...options, periodsPerYear });
}
