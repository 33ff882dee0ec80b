// Drawdown monitor: intraday and peak-to-trough drawdown of the portfolio's and each strategy's P&L, and the
// policy bands (risk.yaml `drawdown`) that move a trading state to REDUCING or HALTED when crossed.
//
// Drawdowns are in the base currency: peak-to-trough = the highest P&L since start (at least 0, the start)
// minus the P&L now; intraday = the highest P&L since the day began (`dayStart`, UTC; the day opens at the
// P&L it was left at) minus the P&L now. A band acts once when its drawdown reaches the limit, and again only
// after the drawdown has recovered below `rearmFraction` × limit (no alert storm around the line). Bands
// never loosen a state: an operator does that.

import type { DrawdownBand, DrawdownConfig } from './config.ts';

const DAY_MICROS = 86_400_000_000;

/** One book's drawdowns and the bands that apply to it. */
export class DrawdownTracker {
  pnl = 0;
  peak = 0;
  dayPeak = 0;
  day = Number.NaN;
  /** Largest peak-to-trough and intraday drawdowns seen. */
  worstPeak = 0;
  worstIntraday = 0;
  /** Bands that acted on this book (times). */
  breaches = 0;
  private readonly armed: Uint8Array;
  private bandsChanged = true;

  constructor(
    readonly name: string,
    readonly bands: readonly DrawdownBand[],
    private readonly rearmFraction: number,
  ) {
    this.armed = new Uint8Array(bands.length).fill(1);
  }

  get peakDrawdown(): number {
    return this.peak - this.pnl;
  }

  get intradayDrawdown(): number {
    return this.dayPeak - this.pnl;
  }

  carryFrom(other: DrawdownTracker): void {
    this.pnl = other.pnl;
    this.peak = other.peak;
    this.dayPeak = other.dayPeak;
    this.day = other.day;
    this.worstPeak = other.worstPeak;
    this.worstIntraday = other.worstIntraday;
    this.breaches = other.breaches;
  }

  /** Records the P&L at a time of `day`; returns the most severe band newly crossed, if any. */
  observe(pnl: number, day: number): DrawdownBand | undefined {
    // Nothing moved since the last look (most ticks for a flat holder): nothing to do, unless the bands are new.
    if (pnl === this.pnl && day === this.day && !this.bandsChanged) return undefined;
    this.bandsChanged = false;
    if (day !== this.day) {
      this.day = day;
      this.dayPeak = this.pnl;
    }
    this.pnl = pnl;
    if (pnl > this.peak) this.peak = pnl;
    if (pnl > this.dayPeak) this.dayPeak = pnl;
    const peakDrawdown = this.peak - pnl;
    const intradayDrawdown = this.dayPeak - pnl;
    if (peakDrawdown > this.worstPeak) this.worstPeak = peakDrawdown;
    if (intradayDrawdown > this.worstIntraday) this.worstIntraday = intradayDrawdown;
    const bands = this.bands;
    let crossed: DrawdownBand | undefined;
    for (let i = 0; i < bands.length; i++) {
      const band = bands[i]!;
      const drawdown = band.measure === 'peak' ? peakDrawdown : intradayDrawdown;
      if (this.armed[i] === 1) {
        if (drawdown >= band.limit) {
          this.armed[i] = 0;
          this.breaches++;
          if (crossed === undefined || (band.action === 'HALTED' && crossed.action !== 'HALTED'))
            crossed = band;
        }
      } else if (drawdown < band.limit * this.rearmFraction) this.armed[i] = 1;
    }
    return crossed;
  }
}

export class DrawdownMonitor {
  readonly portfolio: DrawdownTracker;
  readonly strategies = new Map<string, DrawdownTracker>();
  private readonly dayOffset: number;
  /** The last day computed and when it started, so most calls compare instead of divide. */
  private day = Number.NaN;
  private dayStartsAt = Number.NaN;

  constructor(private readonly config: DrawdownConfig) {
    const [hours, minutes] = config.dayStart.split(':').map(Number);
    this.dayOffset = ((hours ?? 0) * 60 + (minutes ?? 0)) * 60_000_000;
    this.portfolio = new DrawdownTracker(
      'portfolio',
      config.bands.filter((band) => band.scope === 'portfolio'),
      config.rearmFraction,
    );
  }

  /** A monitor with new bands that keeps every book's P&L, peaks and worst drawdowns (a config reload). */
  reconfigure(config: DrawdownConfig): DrawdownMonitor {
    const next = new DrawdownMonitor(config);
    next.portfolio.carryFrom(this.portfolio);
    for (const [id, tracker] of this.strategies) next.strategy(id).carryFrom(tracker);
    return next;
  }

  /** The trading day (a whole number) of a time in unix µs. */
  dayOf(time: number): number {
    if (time >= this.dayStartsAt && time < this.dayStartsAt + DAY_MICROS) return this.day;
    this.day = Math.floor((time - this.dayOffset) / DAY_MICROS);
    this.dayStartsAt = this.day * DAY_MICROS + this.dayOffset;
    return this.day;
  }

  strategy(id: string): DrawdownTracker {
    let tracker = this.strategies.get(id);
    if (tracker === undefined) {
      tracker = new DrawdownTracker(
        id,
        this.config.bands.filter(
          (band) => band.scope === 'strategy' && (band.strategy === undefined || band.strategy === id),
        ),
        this.config.rearmFraction,
      );
      this.strategies.set(id, tracker);
    }
    return tracker;
  }
}
