// The risk engine's live VaR/ES: returns sampled from reference prices into a rolling window, the covariance
// kept incrementally, and books (the portfolio, each strategy) whose figures follow every fill and price move
// without a full recompute, so a pre-trade check evaluates an order's effect in O(1) (gaussian) or O(scenarios).
//
// Sampling: at most one return per instrument every `sampleEvery`, taken from the reference prices as of the
// boundary (an event at a later time triggers it, before its own price is applied); a gap in the data gives
// one return spanning it. A return needs a price at both ends; otherwise it is stored as 0 and not counted as
// history for that instrument.
//
// Horizon: the window's returns cover the median time between samples (re-estimated every 64 samples); the
// figures are scaled by √(periods in the horizon), periods = horizonDays × dayLength / spacing for intraday
// samples and horizonDays × 24 h / spacing for daily or slower ones (so daily bars count one return per day).
//
// Methods, for a book with money exposures x (position × mark × multiplier × fx):
//  - gaussian (delta-normal): P&L ~ N(0, xᵀΣx) per period (zero mean, as usual for short horizons). The book
//    keeps g = Σx and xᵀΣx; an exposure change δ at instrument j updates them in O(n), and an order adding d
//    at j is evaluated exactly in O(1): xᵀΣx + 2d·gⱼ + d²·Σⱼⱼ (the first-order term is the marginal VaR · d,
//    the second-order term matters for orders large against the book).
//  - historical: the scenario P&L p = R·x over the window's return rows; an exposure change updates p in
//    O(rows), an order is evaluated on p + d·Rⱼ in one pass that keeps only the few smallest values (a bounded
//    heap: the tail beyond the quantile is ⌊(rows − 1)(1 − c)⌋ + 2 scenarios), so no copy and no sort.
//  - modified: Cornish–Fisher on the moments of the same historical scenario P&L (zero location), from power
//    sums in one pass.
//  - montecarlo: scenarios L·z (L the Cholesky factor of the window's covariance, fixed seed: common random
//    numbers, so the figure moves with the covariance and not with the draw), re-simulated every
//    `resimulateEvery` samples; then as historical. A singular covariance is factored with zero columns for
//    dependent instruments (covariance.ts); a failure keeps the previous scenarios and is counted.
// Scenario methods screen an order first (withinBands): each scenario moves by at most |d|·max|Rⱼ|, so an order
// that stays inside the bands even by that bound passes in O(1) from the book's cached figures; only orders
// near a band (and the first check after the book changed a lot) pay the O(scenarios) evaluation.

import { choleskyFactor, RollingReturnWindow } from './covariance.ts';
import { durationMicros, type VarConfig } from './config.ts';
import { simulateScenarios } from './montecarlo.ts';
import {
  cornishFisherQuantile,
  normalDensity,
  normalQuantile,
  quantileRank,
  type MutableTailRisk,
  type VarMethod,
} from './var.ts';

const DAY_MICROS = 86_400_000_000;

export interface LiveVarSettings {
  readonly method: VarMethod;
  readonly confidence: number;
  readonly horizonDays: number;
  readonly dayLengthMicros: number;
  readonly sampleEveryMicros: number;
  readonly windowReturns: number;
  readonly minReturns: number;
  readonly monteCarloPaths: number;
  readonly monteCarloSeed: number;
  readonly resimulateEvery: number;
}

export function liveVarSettings(config: VarConfig): LiveVarSettings {
  return {
    method: config.method,
    confidence: config.confidence,
    horizonDays: config.horizonDays,
    dayLengthMicros: durationMicros(config.dayLength) ?? DAY_MICROS,
    sampleEveryMicros: durationMicros(config.sampleEvery) ?? 60_000_000,
    windowReturns: config.windowReturns,
    minReturns: config.minReturns,
    monteCarloPaths: config.monteCarlo.paths,
    monteCarloSeed: config.monteCarlo.seed,
    resimulateEvery: config.monteCarlo.resimulateEvery,
  };
}

/** True when two settings need the same window (a reload that keeps them keeps the history). */
export function sameVarModel(a: LiveVarSettings, b: LiveVarSettings): boolean {
  return (
    a.method === b.method &&
    a.confidence === b.confidence &&
    a.horizonDays === b.horizonDays &&
    a.dayLengthMicros === b.dayLengthMicros &&
    a.sampleEveryMicros === b.sampleEveryMicros &&
    a.windowReturns === b.windowReturns &&
    a.minReturns === b.minReturns &&
    a.monteCarloPaths === b.monteCarloPaths &&
    a.monteCarloSeed === b.monteCarloSeed &&
    a.resimulateEvery === b.resimulateEvery
  );
}

/** The portfolio or one strategy: quantities held, the exposures its figures reflect, and its bands. */
export class VarBook {
  readonly quantities: Float64Array;
  /** Money exposure per instrument that `gradient`, `variance` and `scenarioPnl` reflect. */
  readonly applied: Float64Array;
  /** Σ·applied (gaussian), valid while `version` is the model's covariance version. */
  readonly gradient: Float64Array;
  variance = 0;
  version = -1;
  /** R·applied over the scenarios (historical, modified, montecarlo). */
  readonly scenarioPnl: Float64Array;
  /** Exposure changes applied so far; the cached figures below are exact while they match. */
  changes = 0;
  /**
   * The book's own figures (one period, unscaled) at `cachedChanges` exposure changes and the model's
   * `cachedScenarios`, with the mean loss of its ⌊h⌋ + 1 worst scenarios (ES without ties), and `slack`: how far
   * the exposure changes since could have moved them (Σ |δ|·Mⱼ), for the pre-trade screen.
   */
  cachedChanges = -1;
  cachedScenarios = -1;
  cachedVar = 0;
  cachedEs = 0;
  cachedTailMean = 0;
  slack = 0;
  /** Bands in baseCurrency (Infinity = none). */
  limitVar = Number.POSITIVE_INFINITY;
  limitEs = Number.POSITIVE_INFINITY;

  constructor(
    readonly name: string,
    instruments: number,
    scenarios: number,
  ) {
    this.quantities = new Float64Array(instruments);
    this.applied = new Float64Array(instruments);
    this.gradient = new Float64Array(instruments);
    this.scenarioPnl = new Float64Array(scenarios);
  }

  get limited(): boolean {
    return this.limitVar !== Number.POSITIVE_INFINITY || this.limitEs !== Number.POSITIVE_INFINITY;
  }
}

export interface RiskSplit {
  readonly valueAtRisk: number;
  readonly expectedShortfall: number;
}

export interface LiveVarReport {
  readonly ready: boolean;
  readonly returns: number;
  readonly spacingMicros: number;
  readonly horizonScale: number;
  readonly portfolio: RiskSplit | null;
  /** Per strategy book, in `books` order. */
  readonly books: readonly {
    readonly name: string;
    readonly figures: RiskSplit;
    readonly component: RiskSplit;
    readonly incremental: RiskSplit;
  }[];
  /** Per instrument the portfolio is exposed to. */
  readonly instruments: readonly {
    readonly index: number;
    readonly exposure: number;
    readonly component: RiskSplit;
    readonly incremental: RiskSplit;
  }[];
}

export interface LiveVarCounts {
  samples: number;
  /** Returns computed as NaN or infinite (stored as missing). */
  invalidReturns: number;
  /** Scenario simulations that failed (covariance not factorable) or evaluations that were not finite. */
  modelErrors: number;
}

export class LiveVarModel {
  readonly portfolio: VarBook;
  readonly books = new Map<string, VarBook>();
  readonly counts: LiveVarCounts = { samples: 0, invalidReturns: 0, modelErrors: 0 };
  lastError: string | null = null;

  private readonly n: number;
  private readonly all: VarBook[] = [];
  private readonly window: RollingReturnWindow;
  private readonly prices: Float64Array;
  private readonly sampledPrices: Float64Array;
  private readonly unitValues: Float64Array;
  private readonly dirty: Uint8Array;
  private readonly dirtyList: Int32Array;
  private dirtyCount = 0;
  private readonly row: Float64Array;
  private readonly rowValid: Uint8Array;
  private readonly covariance: Float64Array;
  private covarianceVersion = -1;
  private scaleVersion = -1;
  /** Largest |return| of each instrument over the scenarios, as of `boundsState`. */
  private readonly bounds: Float64Array;
  private boundsState = -1;
  /** Moves with every new return row or simulation (and so with the covariance). */
  private scenarioState = 0;
  /** −mean of the ⌊h⌋ + 1 smallest values of the last tailOf. */
  private lastTailMean = 0;
  private scale = 1;
  private spacing = 0;
  private nextSampleAt = Number.NaN;
  private lastSampleAt = Number.NaN;
  /** Scenario matrix (column-major, `stride` per instrument) and how many scenarios it holds. */
  private scenarios: Float64Array;
  private stride: number;
  private scenarioCount = 0;
  private samplesSinceSimulation = 0;
  /** The smallest scenario values of one evaluation (a max-heap, then sorted). */
  private readonly heap: Float64Array;
  private readonly screenFigures: MutableTailRisk = { valueAtRisk: 0, expectedShortfall: 0 };
  private readonly zVar: number;
  private readonly zTail: number;
  private readonly esFactor: number;

  constructor(
    instruments: number,
    readonly settings: LiveVarSettings,
  ) {
    const n = instruments;
    this.n = n;
    const window = settings.windowReturns;
    this.window = new RollingReturnWindow(n, window);
    const monteCarlo = settings.method === 'montecarlo';
    const scenarioCapacity = monteCarlo ? settings.monteCarloPaths : window;
    this.stride = scenarioCapacity;
    this.scenarios = monteCarlo ? new Float64Array(n * scenarioCapacity) : this.window.returns;
    this.prices = new Float64Array(n);
    this.sampledPrices = new Float64Array(n);
    this.unitValues = new Float64Array(n);
    this.dirty = new Uint8Array(n);
    this.dirtyList = new Int32Array(n);
    this.row = new Float64Array(n);
    this.rowValid = new Uint8Array(n);
    this.covariance = new Float64Array(n * n);
    this.bounds = new Float64Array(n);
    this.heap = new Float64Array(
      Math.min(scenarioCapacity, Math.floor(quantileRank(scenarioCapacity, 1 - settings.confidence)) + 2),
    );
    this.zVar = normalQuantile(settings.confidence);
    this.zTail = normalQuantile(1 - settings.confidence);
    this.esFactor = normalDensity(this.zVar) / (1 - settings.confidence);
    this.portfolio = this.addBook('portfolio');
  }

  // ---- feeding ----

  /** The book of a strategy, created on first use. */
  book(name: string): VarBook {
    let book = this.books.get(name);
    if (book === undefined) {
      book = this.addBook(name);
      this.books.set(name, book);
    }
    return book;
  }

  /** A reference price (market data) for the returns. */
  observePrice(index: number, price: number): void {
    if (price > 0 && price !== Number.POSITIVE_INFINITY) this.prices[index] = price;
  }

  /** Money value of one unit of the instrument (mark × multiplier × fx) for the exposures. */
  setUnitValue(index: number, value: number): void {
    if (!(value >= 0) || value === Number.POSITIVE_INFINITY || this.unitValues[index] === value) return;
    this.unitValues[index] = value;
    this.markDirty(index);
  }

  setQuantity(book: VarBook, index: number, quantity: number): void {
    if (!Number.isFinite(quantity) || book.quantities[index] === quantity) return;
    book.quantities[index] = quantity;
    this.markDirty(index);
  }

  /**
   * Call with each market-data event time before its price is applied: takes a sample when the time has
   * passed the next boundary. Returns true when a return row was added.
   */
  advance(time: number): boolean {
    const next = this.nextSampleAt;
    if (time > next) return this.sample(next, time);
    if (!Number.isNaN(next)) return false;
    const every = this.settings.sampleEveryMicros;
    this.nextSampleAt = (Math.floor(time / every) + 1) * every;
    return false;
  }

  // ---- reading ----

  /** Enough returns held for any figure. */
  ready(): boolean {
    return (
      this.window.rows >= this.settings.minReturns &&
      (this.settings.method !== 'montecarlo' || this.scenarioCount > 0)
    );
  }

  /** Enough returns of this instrument for an order in it to be held to the bands. */
  hasHistory(index: number): boolean {
    return this.ready() && this.window.validCount(index) >= this.settings.minReturns;
  }

  returnsOf(index: number): number {
    return this.window.validCount(index);
  }

  get returnRows(): number {
    return this.window.rows;
  }

  /**
   * VaR and ES (baseCurrency, over the horizon) of `book` with `deltaValue` more money exposure in instrument
   * `index`, into `out`. False (out untouched) when not ready or not finite.
   */
  evaluate(book: VarBook, index: number, deltaValue: number, out: MutableTailRisk): boolean {
    if (!this.ready()) return false;
    this.sync();
    const scale = this.horizonScale();
    if (
      deltaValue === 0 &&
      book.cachedChanges === book.changes &&
      book.cachedScenarios === this.scenarioState
    ) {
      out.valueAtRisk = book.cachedVar * scale;
      out.expectedShortfall = book.cachedEs * scale;
      return true;
    }
    if (this.settings.method === 'gaussian') {
      this.refresh(book);
      const n = this.n;
      let variance =
        book.variance +
        2 * deltaValue * book.gradient[index]! +
        deltaValue * deltaValue * this.covariance[index * n + index]!;
      if (variance < 0) variance = 0;
      const sigma = Math.sqrt(variance) * scale;
      out.valueAtRisk = this.zVar * sigma;
      out.expectedShortfall = this.esFactor * sigma;
    } else {
      this.scenarioFigures(book.scenarioPnl, this.scenarios, index * this.stride, deltaValue, out);
      out.valueAtRisk *= scale;
      out.expectedShortfall *= scale;
    }
    if (Number.isFinite(out.valueAtRisk) && Number.isFinite(out.expectedShortfall)) {
      if (deltaValue === 0) {
        book.cachedChanges = book.changes;
        book.cachedScenarios = this.scenarioState;
        book.slack = 0;
        book.cachedVar = out.valueAtRisk / scale;
        book.cachedEs = out.expectedShortfall / scale;
        book.cachedTailMean = this.lastTailMean;
      }
      return true;
    }
    this.counts.modelErrors++;
    this.lastError = `${this.settings.method} VaR of ${book.name} is not finite`;
    return false;
  }

  /**
   * True when `book` provably stays within its bands with `deltaValue` more exposure in `index`, without
   * evaluating the scenarios (historical and Monte Carlo; false otherwise, and then the caller evaluates).
   * Every scenario value moves by at most |d|·Mⱼ (Mⱼ the largest |return| of the instrument over the
   * scenarios), so does every order statistic and the mean of the ⌊h⌋ + 1 smallest: VaR and ES can grow by
   * at most |d|·Mⱼ from the book's cached figures. Orders well inside the bands pass in O(1) after the first
   * check since the last price move; those near a band get the exact O(scenarios) evaluation.
   */
  withinBands(book: VarBook, index: number, deltaValue: number): boolean {
    const method = this.settings.method;
    if (method !== 'historical' && method !== 'montecarlo') return false;
    if (!this.ready()) return false;
    this.sync();
    // Figures from an earlier exposure, plus the slack since, bound the current ones: no pass over the
    // scenarios after a price move unless the bound comes too close to a band.
    if (book.cachedScenarios !== this.scenarioState && !this.evaluate(book, index, 0, this.screenFigures))
      return false;
    if (this.boundsState !== this.scenarioState) this.computeBounds();
    const scale = this.horizonScale();
    const growth = (Math.abs(deltaValue) * this.bounds[index]! + book.slack) * scale;
    if (
      book.cachedVar * scale + growth <= book.limitVar &&
      book.cachedTailMean * scale + growth <= book.limitEs
    )
      return true;
    if (book.slack === 0 || !this.evaluate(book, index, 0, this.screenFigures)) return false;
    const exact = Math.abs(deltaValue) * this.bounds[index]! * scale;
    return (
      book.cachedVar * scale + exact <= book.limitVar && book.cachedTailMean * scale + exact <= book.limitEs
    );
  }

  /** Current figures, components and incremental figures of every book and instrument (for snapshots). */
  report(): LiveVarReport {
    const ready = this.ready();
    const scale = ready ? this.horizonScale() : 1;
    const base = { ready, returns: this.window.rows, spacingMicros: this.spacing, horizonScale: scale };
    const figures = { valueAtRisk: 0, expectedShortfall: 0 };
    if (!ready || !this.evaluate(this.portfolio, 0, 0, figures))
      return { ...base, portfolio: null, books: [], instruments: [] };
    const portfolio = this.portfolio;
    const books: LiveVarReport['books'][number][] = [];
    const instruments: LiveVarReport['instruments'][number][] = [];
    const n = this.n;
    const split = (share: number): RiskSplit => ({
      valueAtRisk: figures.valueAtRisk * share,
      expectedShortfall: figures.expectedShortfall * share,
    });
    const less = (other: RiskSplit): RiskSplit => ({
      valueAtRisk: figures.valueAtRisk - other.valueAtRisk,
      expectedShortfall: figures.expectedShortfall - other.expectedShortfall,
    });
    if (this.settings.method === 'gaussian') {
      // Euler: book s contributes VaR × xₛᵀΣx / xᵀΣx; without it the variance is xᵀΣx − 2xₛᵀΣx + xₛᵀΣxₛ.
      const variance = portfolio.variance;
      const sigmaFactor = (v: number): RiskSplit => {
        const sigma = Math.sqrt(v > 0 ? v : 0) * scale;
        return { valueAtRisk: this.zVar * sigma, expectedShortfall: this.esFactor * sigma };
      };
      for (const book of this.books.values()) {
        this.refresh(book);
        let covarianceWithPortfolio = 0;
        for (let j = 0; j < n; j++) covarianceWithPortfolio += book.applied[j]! * portfolio.gradient[j]!;
        const share = variance > 0 ? covarianceWithPortfolio / variance : 0;
        books.push({
          name: book.name,
          figures: sigmaFactor(book.variance),
          component: split(share),
          incremental: less(sigmaFactor(variance - 2 * covarianceWithPortfolio + book.variance)),
        });
      }
      for (let j = 0; j < n; j++) {
        const x = portfolio.applied[j]!;
        if (x === 0) continue;
        const covarianceWithPortfolio = x * portfolio.gradient[j]!;
        instruments.push({
          index: j,
          exposure: x,
          component: split(variance > 0 ? covarianceWithPortfolio / variance : 0),
          incremental: less(
            sigmaFactor(variance - 2 * covarianceWithPortfolio + x * x * this.covariance[j * n + j]!),
          ),
        });
      }
    } else {
      // The tail scenarios of the portfolio; each book's or instrument's share of the tail loss splits the figures.
      const count = this.scenarioCount;
      const pnl = portfolio.scenarioPnl;
      const scenarios = this.scenarios;
      const stride = this.stride;
      const quantile = this.tailOf(pnl, pnl, 0, 0, { valueAtRisk: 0, expectedShortfall: 0 });
      let tailSum = 0;
      for (let t = 0; t < count; t++) if (pnl[t]! <= quantile) tailSum += pnl[t]!;
      const without = (other: Float64Array, offset: number, weight: number): RiskSplit => {
        const out = { valueAtRisk: 0, expectedShortfall: 0 };
        this.scenarioFigures(pnl, other, offset, -weight, out);
        return less({
          valueAtRisk: out.valueAtRisk * scale,
          expectedShortfall: out.expectedShortfall * scale,
        });
      };
      for (const book of this.books.values()) {
        const bookPnl = book.scenarioPnl;
        let sum = 0;
        for (let t = 0; t < count; t++) if (pnl[t]! <= quantile) sum += bookPnl[t]!;
        const own = { valueAtRisk: 0, expectedShortfall: 0 };
        this.evaluate(book, 0, 0, own);
        books.push({
          name: book.name,
          figures: own,
          component: split(tailSum !== 0 ? sum / tailSum : 0),
          incremental: without(bookPnl, 0, 1),
        });
      }
      for (let j = 0; j < n; j++) {
        const x = portfolio.applied[j]!;
        if (x === 0) continue;
        const column = j * stride;
        let sum = 0;
        for (let t = 0; t < count; t++) if (pnl[t]! <= quantile) sum += x * scenarios[column + t]!;
        instruments.push({
          index: j,
          exposure: x,
          component: split(tailSum !== 0 ? sum / tailSum : 0),
          incremental: without(scenarios, column, x),
        });
      }
    }
    return { ...base, portfolio: figures, books, instruments };
  }

  // ---- internals ----

  private addBook(name: string): VarBook {
    const book = new VarBook(name, this.n, this.settings.method === 'gaussian' ? 0 : this.stride);
    // A new book starts flat: R·0 = 0 and Σ·0 = 0 hold at once.
    book.version = this.covarianceVersion;
    this.all.push(book);
    return book;
  }

  private markDirty(index: number): void {
    if (this.dirty[index] === 1) return;
    this.dirty[index] = 1;
    this.dirtyList[this.dirtyCount++] = index;
  }

  /** Brings every book's applied exposures to quantity × unit value, incrementally. */
  private sync(): void {
    const dirtyCount = this.dirtyCount;
    if (dirtyCount === 0) return;
    const gaussian = this.settings.method === 'gaussian';
    if (gaussian) this.ensureCovariance();
    else if (this.boundsState !== this.scenarioState) this.computeBounds();
    const bounds = this.bounds;
    const books = this.all;
    const n = this.n;
    const count = this.scenarioCount;
    const scenarios = this.scenarios;
    const covariance = this.covariance;
    for (let d = 0; d < dirtyCount; d++) {
      const j = this.dirtyList[d]!;
      this.dirty[j] = 0;
      const value = this.unitValues[j]!;
      for (let b = 0; b < books.length; b++) {
        const book = books[b]!;
        const delta = book.quantities[j]! * value - book.applied[j]!;
        if (delta === 0) continue;
        book.changes++;
        book.applied[j] = book.applied[j]! + delta;
        if (gaussian) {
          if (book.version !== this.covarianceVersion) continue; // refreshed in full when read
          const gradient = book.gradient;
          book.variance += 2 * delta * gradient[j]! + delta * delta * covariance[j * n + j]!;
          for (let i = 0; i < n; i++) gradient[i] = gradient[i]! + delta * covariance[i * n + j]!;
        } else {
          book.slack += Math.abs(delta) * bounds[j]!;
          const pnl = book.scenarioPnl;
          const column = j * this.stride;
          for (let t = 0; t < count; t++) pnl[t] = pnl[t]! + delta * scenarios[column + t]!;
        }
      }
    }
    this.dirtyCount = 0;
  }

  private ensureCovariance(): void {
    const version = this.window.pushed;
    if (this.covarianceVersion === version) return;
    this.window.covariance(this.covariance);
    this.covarianceVersion = version;
  }

  /** Gaussian: recomputes g = Σx and xᵀΣx after the covariance moved. */
  private refresh(book: VarBook): void {
    this.ensureCovariance();
    if (book.version === this.covarianceVersion) return;
    const n = this.n;
    const covariance = this.covariance;
    const applied = book.applied;
    let variance = 0;
    for (let i = 0; i < n; i++) {
      let sum = 0;
      const row = i * n;
      for (let j = 0; j < n; j++) sum += covariance[row + j]! * applied[j]!;
      book.gradient[i] = sum;
      variance += applied[i]! * sum;
    }
    book.variance = variance;
    book.version = this.covarianceVersion;
  }

  /** √(periods in the horizon); the median spacing is re-estimated every 64 samples once past 64 rows. */
  private horizonScale(): number {
    const version = this.window.pushed;
    if (this.scaleVersion === version || (this.window.rows > 64 && version - this.scaleVersion < 64))
      return this.scale;
    const settings = this.settings;
    let spacing = this.window.medianSpacing();
    if (!(spacing > 0)) spacing = settings.sampleEveryMicros;
    const day = spacing < settings.dayLengthMicros ? settings.dayLengthMicros : DAY_MICROS;
    this.spacing = spacing;
    this.scale = Math.sqrt((settings.horizonDays * day) / spacing);
    this.scaleVersion = version;
    return this.scale;
  }

  /** One-period VaR / ES of the scenario values base[t] + weight·other[offset + t], t < scenarioCount. */
  private scenarioFigures(
    base: Float64Array,
    other: Float64Array,
    offset: number,
    weight: number,
    out: MutableTailRisk,
  ): void {
    if (this.settings.method !== 'modified') {
      this.tailOf(base, other, offset, weight, out);
      return;
    }
    // Power sums in one pass; central moments from them (scenario P&L has a mean small against its spread).
    const count = this.scenarioCount;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    for (let t = 0; t < count; t++) {
      const v = base[t]! + weight * other[offset + t]!;
      const v2 = v * v;
      s1 += v;
      s2 += v2;
      s3 += v2 * v;
      s4 += v2 * v2;
    }
    const mean = s1 / count;
    const mean2 = mean * mean;
    const m2 = s2 / count - mean2;
    const flat = !(m2 > 0);
    const sigma = flat ? 0 : Math.sqrt((m2 * count) / (count - 1));
    const m3 = s3 / count - (3 * mean * s2) / count + 2 * mean2 * mean;
    const m4 = s4 / count - (4 * mean * s3) / count + (6 * mean2 * s2) / count - 3 * mean2 * mean2;
    const skewness = flat ? 0 : m3 / (m2 * Math.sqrt(m2));
    const kurtosis = flat ? 0 : m4 / (m2 * m2) - 3;
    // Zero location, as the Gaussian live figure; ES formula: var.ts cornishFisherVar.
    const a = this.zTail;
    const alpha = 1 - this.settings.confidence;
    out.valueAtRisk = -cornishFisherQuantile(a, skewness, kurtosis) * sigma;
    const bracket =
      1 + (skewness * a) / 6 + (kurtosis * (a * a - 1)) / 24 + (skewness * skewness * (1 - 2 * a * a)) / 36;
    const es = (sigma / alpha) * normalDensity(a) * bracket;
    out.expectedShortfall = es > out.valueAtRisk ? es : out.valueAtRisk;
  }

  /**
   * Historical VaR / ES (one period) of base[t] + weight·other[offset + t] over the scenarios, in one pass that
   * keeps the ⌊h⌋ + 2 smallest values in a max-heap (h the type-7 rank, var.ts); returns the quantile. Only when
   * values tie at the quantile beyond the heap does a second pass sum the tail.
   */
  private tailOf(
    base: Float64Array,
    other: Float64Array,
    offset: number,
    weight: number,
    out: MutableTailRisk,
  ): number {
    const count = this.scenarioCount;
    const rank = quantileRank(count, 1 - this.settings.confidence);
    const whole = Math.floor(rank);
    const fraction = rank - whole;
    const heap = this.heap;
    const keep = whole + 2 < count ? whole + 2 : count;
    for (let t = 0; t < keep; t++) {
      const v = base[t]! + weight * other[offset + t]!;
      let i = t;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (heap[parent]! >= v) break;
        heap[i] = heap[parent]!;
        i = parent;
      }
      heap[i] = v;
    }
    // The rest only displace the largest kept value: one comparison each, mostly.
    let largest = heap[0]!;
    for (let t = keep; t < count; t++) {
      const v = base[t]! + weight * other[offset + t]!;
      if (v >= largest) continue;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= keep) break;
        const right = left + 1;
        const child = right < keep && heap[right]! > heap[left]! ? right : left;
        if (heap[child]! <= v) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = v;
      largest = heap[0]!;
    }
    // Ascending order (a few dozen values at most).
    for (let i = 1; i < keep; i++) {
      const v = heap[i]!;
      let j = i - 1;
      while (j >= 0 && heap[j]! > v) {
        heap[j + 1] = heap[j]!;
        j--;
      }
      heap[j + 1] = v;
    }
    const low = heap[whole]!;
    const quantile = fraction > 0 && whole + 1 < keep ? low + fraction * (heap[whole + 1]! - low) : low;
    let sum = 0;
    let tail = 0;
    if (keep < count && heap[keep - 1]! <= quantile) {
      for (let t = 0; t < count; t++) {
        const v = base[t]! + weight * other[offset + t]!;
        if (v <= quantile) {
          sum += v;
          tail++;
        }
      }
    } else
      for (let i = 0; i < keep; i++) {
        const v = heap[i]!;
        if (v <= quantile) {
          sum += v;
          tail++;
        }
      }
    out.valueAtRisk = -quantile;
    out.expectedShortfall = -sum / tail;
    let worst = 0;
    for (let i = 0; i <= whole; i++) worst += heap[i]!;
    this.lastTailMean = -worst / (whole + 1);
    return quantile;
  }

  private computeBounds(): void {
    const count = this.scenarioCount;
    const scenarios = this.scenarios;
    for (let j = 0; j < this.n; j++) {
      const column = j * this.stride;
      let largest = 0;
      for (let t = 0; t < count; t++) {
        const value = Math.abs(scenarios[column + t]!);
        if (value > largest) largest = value;
      }
      this.bounds[j] = largest;
    }
    this.boundsState = this.scenarioState;
  }

  private sample(boundary: number, time: number): boolean {
    const every = this.settings.sampleEveryMicros;
    this.nextSampleAt = (Math.floor(time / every) + 1) * every;
    const n = this.n;
    const row = this.row;
    const rowValid = this.rowValid;
    let any = false;
    for (let j = 0; j < n; j++) {
      const price = this.prices[j]!;
      const previous = this.sampledPrices[j]!;
      row[j] = 0;
      rowValid[j] = 0;
      if (price > 0 && previous > 0) {
        const value = price / previous - 1;
        if (Number.isFinite(value)) {
          row[j] = value;
          rowValid[j] = 1;
          any = true;
        } else this.counts.invalidReturns++;
      }
      if (price > 0) this.sampledPrices[j] = price;
    }
    const last = this.lastSampleAt;
    this.lastSampleAt = boundary;
    if (!any) return false;
    const slot = this.window.push(row, rowValid, Number.isNaN(last) ? every : boundary - last);
    this.counts.samples++;
    this.scenarioState++;
    const method = this.settings.method;
    if (method === 'historical' || method === 'modified') {
      this.scenarioCount = this.window.rows;
      this.recomputeRow(slot);
    } else if (method === 'montecarlo') {
      this.samplesSinceSimulation++;
      if (
        this.window.rows >= this.settings.minReturns &&
        (this.scenarioCount === 0 || this.samplesSinceSimulation >= this.settings.resimulateEvery)
      )
        this.simulate();
    }
    return true;
  }

  /** Historical: scenario `slot` was replaced; every book's P&L in it is Σ xⱼ·Rⱼ[slot]. */
  private recomputeRow(slot: number): void {
    const n = this.n;
    const scenarios = this.scenarios;
    const stride = this.stride;
    for (let b = 0; b < this.all.length; b++) {
      const book = this.all[b]!;
      let sum = 0;
      for (let j = 0; j < n; j++) sum += book.applied[j]! * scenarios[j * stride + slot]!;
      book.scenarioPnl[slot] = sum;
    }
  }

  private simulate(): void {
    this.samplesSinceSimulation = 0;
    this.ensureCovariance();
    const n = this.n;
    const paths = this.settings.monteCarloPaths;
    try {
      const { factor } = choleskyFactor(this.covariance, n);
      simulateScenarios(factor, n, paths, this.settings.monteCarloSeed, this.scenarios);
    } catch (error) {
      this.counts.modelErrors++;
      this.lastError = `Monte Carlo scenarios kept from the last good covariance: ${(error as Error).message}`;
      return;
    }
    this.scenarioCount = paths;
    this.scenarioState++;
    for (let b = 0; b < this.all.length; b++) {
      const book = this.all[b]!;
      const pnl = book.scenarioPnl;
      pnl.fill(0);
      for (let j = 0; j < n; j++) {
        const x = book.applied[j]!;
        if (x === 0) continue;
        const column = j * paths;
        for (let t = 0; t < paths; t++) pnl[t] = pnl[t]! + x * this.scenarios[column + t]!;
      }
    }
  }
}
