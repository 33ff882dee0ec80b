// Seeded synthetic multi-venue market: correlated GBM prices, venue dislocations, quotes, books, trades, bars.

import { parseConfig } from '../common/config.ts';
import { ConfigError } from '../common/errors.ts';
import type { Registry } from '../common/registry.ts';
import {
  quantize,
  type Bar,
  type BookLevel,
  type BookSnapshot,
  type Instrument,
  type MarketData,
  type QuoteTick,
  type TradeTick,
} from '../model/index.ts';
import {
  SyntheticMarketConfigSchema,
  timeframeMicros,
  type SyntheticMarketConfig,
  type SyntheticMarketConfigInput,
} from './config.ts';
import { SeededRandom } from '../common/random.ts';

const CONFIG_SOURCE = 'synthetic market';
const MICROS_PER_SECOND = 1_000_000;

export type SyntheticMarketOptions = SyntheticMarketConfigInput & { readonly registry: Registry };

/**
 * Lower-triangular Cholesky factor L (row-major n×n) with L·Lᵀ = matrix, or undefined when the matrix is
 * not symmetric positive definite.
 */
export function choleskyDecompose(matrix: readonly (readonly number[])[]): Float64Array | undefined {
  const n = matrix.length;
  const factor = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const row = matrix[i];
    if (!row || row.length !== n) return undefined;
    for (let j = 0; j <= i; j++) {
      const value = row[j] ?? Number.NaN;
      if (Math.abs(value - (matrix[j]?.[i] ?? Number.NaN)) > 1e-12) return undefined;
      let sum = value;
      for (let k = 0; k < j; k++) sum -= (factor[i * n + k] ?? 0) * (factor[j * n + k] ?? 0);
      if (i === j) {
        if (!(sum > 1e-12)) return undefined;
        factor[i * n + i] = Math.sqrt(sum);
      } else {
        factor[i * n + j] = sum / (factor[j * n + j] ?? 1);
      }
    }
  }
  return factor;
}

/**
 * The correlation matrix of symbol returns: 1 on the diagonal, `sectorCorrelation` within a sector,
 * `marketCorrelation` across sectors, then the `SYMBOL:SYMBOL` overrides.
 */
export function buildCorrelationMatrix(
  symbols: readonly string[],
  sectors: readonly string[],
  config: Pick<SyntheticMarketConfig, 'marketCorrelation' | 'sectorCorrelation' | 'correlations'>,
): number[][] {
  const n = symbols.length;
  const matrix: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    for (let j = 0; j < n; j++)
      row.push(i === j ? 1 : sectors[i] === sectors[j] ? config.sectorCorrelation : config.marketCorrelation);
    matrix.push(row);
  }
  for (const [key, value] of Object.entries(config.correlations)) {
    const [a, b, extra] = key.split(':');
    const i = symbols.indexOf(a ?? '');
    const j = symbols.indexOf(b ?? '');
    if (extra !== undefined || i < 0 || j < 0 || i === j)
      throw new ConfigError(
        CONFIG_SOURCE,
        `correlations.${key}`,
        'expected SYMBOL:SYMBOL of two different known symbols',
      );
    (matrix[i] as number[])[j] = value;
    (matrix[j] as number[])[i] = value;
  }
  return matrix;
}

/** Per-step constants of the price path for one time step. */
interface StepConstants {
  /** (μ − σ²/2)·dt */
  readonly drift: number;
  /** σ·√dt */
  readonly diffusion: number;
  /** e^(−dt·ln2/halfLife): how much of a venue deviation survives one step. */
  readonly decay: number;
  /** Innovation scale keeping the deviation's variance stationary. */
  readonly noise: number;
}

function stepConstants(config: SyntheticMarketConfig, stepMicros: number): StepConstants {
  const years = stepMicros / MICROS_PER_SECOND / config.secondsPerYear;
  const sigma = config.volatility;
  const decay = Math.exp((-stepMicros * Math.LN2) / config.venueDeviationHalfLifeMicros);
  const std = config.venueDeviationBps / 10_000;
  return {
    drift: (config.drift - (sigma * sigma) / 2) * years,
    diffusion: sigma * Math.sqrt(years),
    decay,
    noise: std * Math.sqrt(1 - decay * decay),
  };
}

/**
 * The market. Each symbol's fair price follows a GBM whose shocks are correlated through the Cholesky factor
 * of `correlation`; each instrument (symbol on a venue) quotes around fair × (1 + deviation), the deviation a
 * mean-reverting (Ornstein–Uhlenbeck) fraction of a basis point plus, in tick mode, occasional jumps of a few
 * basis points that revert with the same half-life: the cross-venue dislocations an arbitrageur trades.
 *
 * Tick mode (`next`): each step every instrument (round-robin, in registry order) emits a
 * quote, then a book snapshot every `bookInterval` steps, then sometimes a trade print at its bid or ask;
 * instrument i's messages in step k carry time `startTime + k·stepMicros + ⌊i·stepMicros/n⌋`.
 * Bar mode (`nextBar`): one bar per instrument per `barTimeframe`, round-robin, stamped with the close time.
 * The two modes run separate price paths from the same random stream: use one mode per instance.
 */
export class SyntheticMarket {
  readonly config: SyntheticMarketConfig;
  readonly instruments: readonly Instrument[];
  /** Distinct symbols in registry order; the rows of `correlation`. */
  readonly symbols: readonly string[];
  readonly correlation: readonly (readonly number[])[];
  readonly barMicros: number;

  private readonly random: SeededRandom;
  private readonly count: number;
  private readonly symbolCount: number;
  private readonly symbolOf: Int32Array;
  private readonly tickSize: Float64Array;
  private readonly priceDecimals: Int32Array;
  private readonly lotSize: Float64Array;
  private readonly quantityDecimals: Int32Array;
  private readonly timeOffset: Float64Array;
  private readonly factor: Float64Array;
  private readonly shocks: Float64Array;
  private readonly tickStep: StepConstants;
  /** Bar mode: constants of one path point (fair price) and of one whole bar (venue deviation). */
  private readonly barFairStep: StepConstants;
  private readonly barStep: StepConstants;
  private readonly stationaryDeviation: number;
  /** Tick mode: probability of a venue jump per instrument per step, and the mean jump (a fraction). */
  private readonly jumpProbability: number;
  private readonly jumpSize: number;

  // tick mode
  private readonly fair: Float64Array;
  private readonly deviation: Float64Array;
  private readonly bidTicks: Float64Array;
  private readonly askTicks: Float64Array;
  private readonly bidSize: Float64Array;
  private readonly askSize: Float64Array;
  private readonly tradeDue: Uint8Array;
  /** Current spread per instrument, in ticks, and the chance per step that it is redrawn. */
  private readonly spread: Int32Array;
  private readonly spreadChangeProbability: number;
  private readonly bookSequence: Float64Array;
  private step = -1;
  private slot: number;
  private phase = 0;

  // bar mode
  private readonly barFair: Float64Array;
  private readonly barDeviation: Float64Array;
  private readonly barOpen: Float64Array;
  private readonly barHigh: Float64Array;
  private readonly barLow: Float64Array;
  private readonly barClose: Float64Array;
  private readonly barVolume: Float64Array;
  private barIndex = 0;
  private barSlot: number;

  constructor(options: SyntheticMarketOptions) {
    const { registry, ...rest } = options;
    const config = parseConfig(SyntheticMarketConfigSchema, rest, CONFIG_SOURCE);
    this.config = config;
    this.instruments = [...registry.instruments.values()];
    const n = this.instruments.length;
    if (n === 0) throw new ConfigError(CONFIG_SOURCE, 'registry', 'no instruments');
    this.count = n;

    const symbols: string[] = [];
    const sectors: string[] = [];
    this.symbolOf = new Int32Array(n);
    this.tickSize = new Float64Array(n);
    this.priceDecimals = new Int32Array(n);
    this.lotSize = new Float64Array(n);
    this.quantityDecimals = new Int32Array(n);
    this.timeOffset = new Float64Array(n);
    this.instruments.forEach((instrument, i) => {
      let s = symbols.indexOf(instrument.symbol);
      if (s < 0) {
        s = symbols.length;
        symbols.push(instrument.symbol);
        sectors.push(instrument.sector);
      }
      this.symbolOf[i] = s;
      this.tickSize[i] = instrument.tickSize;
      this.priceDecimals[i] = instrument.priceDecimals;
      this.lotSize[i] = instrument.lotSize;
      this.quantityDecimals[i] = instrument.quantityDecimals;
      this.timeOffset[i] = Math.floor((i * config.stepMicros) / n);
    });
    for (const symbol of Object.keys(config.initialPrices))
      if (!symbols.includes(symbol))
        throw new ConfigError(CONFIG_SOURCE, `initialPrices.${symbol}`, 'unknown symbol');
    this.symbols = symbols;
    this.symbolCount = symbols.length;
    this.correlation = buildCorrelationMatrix(symbols, sectors, config);
    const factor = choleskyDecompose(this.correlation);
    if (!factor)
      throw new ConfigError(CONFIG_SOURCE, 'correlations', 'the correlation matrix is not positive definite');
    this.factor = factor;
    this.shocks = new Float64Array(this.symbolCount);

    const barMicros = timeframeMicros(config.barTimeframe);
    if (barMicros === undefined) throw new ConfigError(CONFIG_SOURCE, 'barTimeframe', 'not a timeframe');
    this.barMicros = barMicros;
    this.tickStep = stepConstants(config, config.stepMicros);
    this.barFairStep = stepConstants(config, barMicros / config.barSubsteps);
    this.barStep = stepConstants(config, barMicros);
    this.stationaryDeviation = config.venueDeviationBps / 10_000;
    this.jumpProbability = Math.min(1, (config.venueJumpsPerMinute * config.stepMicros) / 60_000_000);
    this.jumpSize = config.venueJumpBps / 10_000;

    this.random = new SeededRandom(config.seed);
    this.fair = new Float64Array(this.symbolCount);
    for (let s = 0; s < this.symbolCount; s++) {
      const given = config.initialPrices[symbols[s] ?? ''];
      this.fair[s] =
        given ??
        config.initialPriceMin + (config.initialPriceMax - config.initialPriceMin) * this.random.uniform();
    }
    this.barFair = Float64Array.from(this.fair);
    this.deviation = new Float64Array(n);
    this.barDeviation = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      this.deviation[i] = this.stationaryDeviation * this.random.normal();
      this.barDeviation[i] = this.deviation[i] ?? 0;
    }
    this.bidTicks = new Float64Array(n);
    this.askTicks = new Float64Array(n);
    this.bidSize = new Float64Array(n);
    this.askSize = new Float64Array(n);
    this.tradeDue = new Uint8Array(n);
    this.spread = new Int32Array(n).fill(config.spreadTicks);
    this.spreadChangeProbability =
      config.spreadHoldMicros > 0 ? 1 - Math.exp(-config.stepMicros / config.spreadHoldMicros) : 1;
    this.bookSequence = new Float64Array(n);
    this.slot = n;
    this.barOpen = new Float64Array(n);
    this.barHigh = new Float64Array(n);
    this.barLow = new Float64Array(n);
    this.barClose = new Float64Array(n);
    this.barVolume = new Float64Array(n);
    this.barSlot = n;
  }

  /** The current fair (venue-independent) price of a symbol in tick mode. */
  fairPrice(symbol: string): number | undefined {
    const s = this.symbols.indexOf(symbol);
    return s < 0 ? undefined : this.fair[s];
  }

  /** Time of the message `next()` will return. */
  peekTime(): number {
    let slot = this.slot;
    let phase = this.phase;
    while (slot < this.count) {
      if (phase === 0 || (phase === 1 && this.bookDue(slot)) || this.tradeDue[slot] === 1)
        return this.timeOf(this.step, slot);
      slot++;
      phase = 0;
    }
    return this.timeOf(this.step + 1, 0);
  }

  /** The next tick-mode message: a quote, a book snapshot or a trade print. */
  next(): MarketData {
    for (;;) {
      if (this.slot >= this.count) {
        this.advanceStep();
        this.slot = 0;
        this.phase = 0;
      }
      const i = this.slot;
      switch (this.phase) {
        case 0:
          this.phase = 1;
          return this.quote(i);
        case 1:
          this.phase = 2;
          if (this.bookDue(i)) return this.book(i);
          break;
        default:
          this.phase = 0;
          this.slot = i + 1;
          if (this.tradeDue[i] === 1) return this.trade(i);
      }
    }
  }

  /** Fills `buffer` with the next `buffer.length` tick-mode messages; returns the count. */
  fill(buffer: MarketData[]): number {
    for (let k = 0; k < buffer.length; k++) buffer[k] = this.next();
    return buffer.length;
  }

  /** The next bar (one per instrument per `barTimeframe`, round-robin). */
  nextBar(): Bar {
    if (this.barSlot >= this.count) {
      this.advanceBars();
      this.barSlot = 0;
    }
    const i = this.barSlot++;
    const tick = this.tickSize[i] ?? 0;
    const decimals = this.priceDecimals[i] ?? 0;
    const time = this.config.startTime + this.barIndex * this.barMicros;
    return {
      type: 'bar',
      instrumentId: (this.instruments[i] as Instrument).id,
      timeframe: this.config.barTimeframe,
      open: quantize((this.barOpen[i] ?? 0) * tick, decimals),
      high: quantize((this.barHigh[i] ?? 0) * tick, decimals),
      low: quantize((this.barLow[i] ?? 0) * tick, decimals),
      close: quantize((this.barClose[i] ?? 0) * tick, decimals),
      volume: this.barVolume[i] ?? 0,
      tsEvent: time,
      tsInit: time,
    };
  }

  /** Fills `buffer` with the next `buffer.length` bars; returns the count. */
  fillBars(buffer: Bar[]): number {
    for (let k = 0; k < buffer.length; k++) buffer[k] = this.nextBar();
    return buffer.length;
  }

  // ---- price path ----

  /** Multiplies every fair price by its correlated GBM increment. */
  private advanceFair(fair: Float64Array, constants: StepConstants): void {
    const m = this.symbolCount;
    const shocks = this.shocks;
    const factor = this.factor;
    for (let k = 0; k < m; k++) shocks[k] = this.random.normal();
    for (let j = 0; j < m; j++) {
      let z = 0;
      const row = j * m;
      for (let k = 0; k <= j; k++) z += (factor[row + k] ?? 0) * (shocks[k] ?? 0);
      fair[j] = (fair[j] ?? 0) * Math.exp(constants.drift + constants.diffusion * z);
    }
  }

  /** Exact Ornstein–Uhlenbeck step of every venue deviation, plus a jump with probability `jumpProbability`. */
  private advanceDeviation(deviation: Float64Array, constants: StepConstants, jumpProbability: number): void {
    for (let i = 0; i < this.count; i++) {
      let next = (deviation[i] ?? 0) * constants.decay + constants.noise * this.random.normal();
      if (jumpProbability > 0 && this.random.uniform() < jumpProbability) {
        const size = this.jumpSize * (0.75 + 0.5 * this.random.uniform());
        next += this.random.uniform() < 0.5 ? -size : size;
      }
      deviation[i] = next;
    }
  }

  /** Price of instrument i in whole ticks at the given fair price and deviation; at least one tick. */
  private ticksOf(i: number, fair: Float64Array, deviation: Float64Array, offsetTicks: number): number {
    const mid = (fair[this.symbolOf[i] ?? 0] ?? 0) * (1 + (deviation[i] ?? 0));
    const ticks = Math.round(mid / (this.tickSize[i] ?? 1) - offsetTicks);
    return ticks < 1 ? 1 : ticks;
  }

  private sizeOf(i: number, scale: number): number {
    const lots = Math.max(
      1,
      Math.round(this.config.quoteSizeLots * scale * (0.25 + 1.5 * this.random.uniform())),
    );
    return quantize(lots * (this.lotSize[i] ?? 1), this.quantityDecimals[i] ?? 0);
  }

  // ---- tick mode ----

  private advanceStep(): void {
    if (this.step >= 0) {
      this.advanceFair(this.fair, this.tickStep);
      this.advanceDeviation(this.deviation, this.tickStep, this.jumpProbability);
    }
    this.step++;
    const config = this.config;
    const jitter = config.spreadJitterTicks;
    for (let i = 0; i < this.count; i++) {
      if (jitter > 0 && (this.step === 0 || this.random.uniform() < this.spreadChangeProbability))
        this.spread[i] = config.spreadTicks + this.random.integer(jitter + 1);
      const spread = this.spread[i] ?? config.spreadTicks;
      const bid = this.ticksOf(i, this.fair, this.deviation, spread / 2);
      this.bidTicks[i] = bid;
      this.askTicks[i] = bid + spread;
      this.bidSize[i] = this.sizeOf(i, 1);
      this.askSize[i] = this.sizeOf(i, 1);
      this.tradeDue[i] = this.random.uniform() < config.tradeProbability ? 1 : 0;
    }
  }

  private timeOf(step: number, i: number): number {
    return this.config.startTime + step * this.config.stepMicros + (this.timeOffset[i] ?? 0);
  }

  private bookDue(i: number): boolean {
    const interval = this.config.bookInterval;
    return interval > 0 && (this.step + i) % interval === 0;
  }

  private price(i: number, ticks: number): number {
    return quantize(ticks * (this.tickSize[i] ?? 0), this.priceDecimals[i] ?? 0);
  }

  private quote(i: number): QuoteTick {
    const time = this.timeOf(this.step, i);
    return {
      type: 'quote',
      instrumentId: (this.instruments[i] as Instrument).id,
      bid: this.price(i, this.bidTicks[i] ?? 0),
      ask: this.price(i, this.askTicks[i] ?? 0),
      bidSize: this.bidSize[i] ?? 0,
      askSize: this.askSize[i] ?? 0,
      tsEvent: time,
      tsInit: time,
    };
  }

  private trade(i: number): TradeTick {
    const time = this.timeOf(this.step, i);
    const buy = this.random.uniform() < 0.5;
    const displayed = (buy ? this.askSize[i] : this.bidSize[i]) ?? 0;
    const lot = this.lotSize[i] ?? 1;
    const displayedLots = Math.max(1, Math.round(displayed / lot));
    const lots = 1 + this.random.integer(Math.max(1, Math.floor(displayedLots / 2)));
    return {
      type: 'trade',
      instrumentId: (this.instruments[i] as Instrument).id,
      price: this.price(i, (buy ? this.askTicks[i] : this.bidTicks[i]) ?? 0),
      size: quantize(lots * lot, this.quantityDecimals[i] ?? 0),
      aggressor: buy ? 'buy' : 'sell',
      tsEvent: time,
      tsInit: time,
    };
  }

  private book(i: number): BookSnapshot {
    const depth = this.config.depth;
    const bids: BookLevel[] = [];
    const asks: BookLevel[] = [];
    let bid = this.bidTicks[i] ?? 0;
    let ask = this.askTicks[i] ?? 0;
    for (let level = 0; level < depth; level++) {
      if (bid >= 1) {
        bids.push({
          price: this.price(i, bid),
          size: level === 0 ? (this.bidSize[i] ?? 0) : this.sizeOf(i, 1 + level / 2),
        });
        bid -= this.random.uniform() < 0.2 ? 2 : 1;
      }
      asks.push({
        price: this.price(i, ask),
        size: level === 0 ? (this.askSize[i] ?? 0) : this.sizeOf(i, 1 + level / 2),
      });
      ask += this.random.uniform() < 0.2 ? 2 : 1;
    }
    const time = this.timeOf(this.step, i);
    const sequence = (this.bookSequence[i] ?? 0) + 1;
    this.bookSequence[i] = sequence;
    return {
      type: 'book',
      instrumentId: (this.instruments[i] as Instrument).id,
      bids,
      asks,
      sequence,
      tsEvent: time,
      tsInit: time,
    };
  }

  // ---- bar mode ----

  private advanceBars(): void {
    const substeps = this.config.barSubsteps;
    // One venue deviation per bar, without jumps: it is a fraction of a basis point, invisible inside a bar's
    // range, and drawing it once per bar instead of once per path point halves the cost of a bar.
    this.advanceDeviation(this.barDeviation, this.barStep, 0);
    for (let s = 0; s < substeps; s++) {
      this.advanceFair(this.barFair, this.barFairStep);
      for (let i = 0; i < this.count; i++) {
        const ticks = this.ticksOf(i, this.barFair, this.barDeviation, 0);
        if (s === 0) {
          this.barOpen[i] = ticks;
          this.barHigh[i] = ticks;
          this.barLow[i] = ticks;
        } else {
          if (ticks > (this.barHigh[i] ?? 0)) this.barHigh[i] = ticks;
          if (ticks < (this.barLow[i] ?? 0)) this.barLow[i] = ticks;
        }
        this.barClose[i] = ticks;
      }
    }
    for (let i = 0; i < this.count; i++) this.barVolume[i] = this.sizeOf(i, 20 * substeps);
    this.barIndex++;
  }
}
