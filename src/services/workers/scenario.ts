// The scenario worker: stress tests of the live book. Every scenario of configs/scenarios.yaml is applied to each
// strategy's positions at their marks; the PnL per scenario, per strategy and per instrument is published on
// `scenarios` every interval and on demand (`hf scenario run`).
//
// Boundary (group 'scenario'): subscribes greeks.live (option greeks); publishes scenarios. Reads the book.
//
// Valuation, per position of quantity q, multiplier m, mark P, in currency C worth x of the base currency:
// - Linear instruments are revalued in full: the price moves by r (the first matching price shock, × beta for
//   the equity shorthand and proxies; for a rate move also −duration × Δy when a duration is configured), C by f:
//     PnL = q·m·P·(1 + r)·x·(1 + f) − q·m·P·x
// - Options by their greeks (delta-gamma-vega-rho, the greeks of greeks.live: vega and rho per 1.00): with the
//   underlying S moving dS = S·r (r of the underlying), implied volatility σ by dσ = σ·v, rates by Δy:
//     change = Δ·dS + ½·Γ·dS² + vega·dσ + ρ·Δy,   PnL = q·m·(V + change)·x·(1 + f) − q·m·V·x
//   with V the option's mark (its greeks price without one).
// - Historical episodes: each period's cumulative return of the instrument's series (or of the proxy × beta for
//   equities and indices) is applied to the book held unchanged; `pnl` is the episode's end, `worstPnl` the worst
//   point along it.
// Positions that cannot be valued (no mark, option without greeks, no series, no FX rate) are listed and left out.

import type { Bus, Subscription } from '../../common/bus.ts';
import type { Clock } from '../../common/clock.ts';
import type { Logger } from '../../common/logging.ts';
import type { Registry } from '../../common/registry.ts';
import { Streams } from '../../common/topics.ts';
import {
  currencyDecimals,
  type Instrument,
  type InstrumentId,
  type OptionGreeks,
  type ScenarioReport,
  type ScenarioResult,
} from '../../model/index.ts';
import type { BookPosition, BookView } from './book.ts';
import type { WorkerReasonCode } from './reasons.ts';
import type { PriceShock, ResolvedScenario, ScenarioSetup } from './scenario-config.ts';

export interface ValuationContext {
  readonly baseCurrency: string;
  /** Value of one unit of a currency in the base currency; the base itself is 1. */
  readonly fxRates: Readonly<Record<string, number>>;
  instrument(id: InstrumentId): Instrument | undefined;
  greeks(id: InstrumentId): OptionGreeks | undefined;
  readonly sensitivities: ScenarioSetup['sensitivities'];
}

interface Valued {
  /** PnL after each step (one step for a shock). */
  readonly path: readonly number[];
}

type Unvalued = { readonly reason: WorkerReasonCode; readonly detail: string };

const BP = 10_000;

/** Applies one scenario to the positions (flat ones are skipped); counts left-out positions into `reasons`. */
export function runScenario(
  scenario: ResolvedScenario,
  positions: readonly BookPosition[],
  context: ValuationContext,
  reasons?: Record<string, number>,
): ScenarioResult {
  const steps = scenario.episode?.steps ?? 1;
  const total = new Float64Array(steps);
  const byStrategy: Record<string, number> = {};
  const byInstrument: Record<string, number> = {};
  const unmodelled: string[] = [];
  const decimals = currencyDecimals(context.baseCurrency);
  for (const position of positions) {
    if (position.quantity === 0) continue;
    const valued = valuePosition(scenario, position, context, steps);
    if ('reason' in valued) {
      unmodelled.push(`${position.strategyId}/${position.instrumentId}: ${valued.reason} (${valued.detail})`);
      if (reasons) reasons[valued.reason] = (reasons[valued.reason] ?? 0) + 1;
      continue;
    }
    for (let k = 0; k < steps; k++) total[k] = (total[k] as number) + (valued.path[k] as number);
    const last = valued.path[steps - 1] as number;
    byStrategy[position.strategyId] = (byStrategy[position.strategyId] ?? 0) + last;
    byInstrument[position.instrumentId] = (byInstrument[position.instrumentId] ?? 0) + last;
  }
  let worst = total[steps - 1] as number;
  for (const value of total) if (value < worst) worst = value;
  return {
    name: scenario.name,
    description: scenario.description,
    pnl: round(total[steps - 1] as number, decimals),
    worstPnl: round(worst, decimals),
    byStrategy: roundAll(byStrategy, decimals),
    byInstrument: roundAll(byInstrument, decimals),
    unmodelled,
  };
}

function valuePosition(
  scenario: ResolvedScenario,
  position: BookPosition,
  context: ValuationContext,
  steps: number,
): Valued | Unvalued {
  const instrument = context.instrument(position.instrumentId);
  if (!instrument) return { reason: 'SCENARIO_NO_MARK', detail: 'instrument not in the registry' };
  const rate = instrument.currency === context.baseCurrency ? 1 : context.fxRates[instrument.currency];
  if (rate === undefined)
    return { reason: 'SCENARIO_NO_FX_RATE', detail: `${instrument.currency} to ${context.baseCurrency}` };
  const fxShock = scenario.fx[instrument.currency] ?? 0;
  const units = position.quantity * instrument.multiplier;
  const dy = scenario.ratesBps / BP;
  const path: number[] = [];
  if (instrument.assetClass === 'option') {
    const g = context.greeks(instrument.id);
    if (!g) return { reason: 'SCENARIO_NO_GREEKS', detail: 'no greeks.live message yet' };
    const underlying = context.instrument(g.underlyingId) ?? instrument;
    const value = position.mark ?? g.price;
    const volChange = scenario.episode ? scenario.episode.volatility : scenario.volatility;
    for (let k = 0; k < steps; k++) {
      const r = priceChange(scenario, underlying, context, k);
      if (typeof r !== 'number') return r;
      const dS = g.underlyingPrice * r;
      const change = g.delta * dS + 0.5 * g.gamma * dS * dS + g.vega * g.volatility * volChange + g.rho * dy;
      path.push(units * (value + change) * rate * (1 + fxShock) - units * value * rate);
    }
    return { path };
  }
  const mark = position.mark;
  if (mark === undefined) return { reason: 'SCENARIO_NO_MARK', detail: 'no mark price' };
  const duration = sensitivity(context, instrument).duration;
  for (let k = 0; k < steps; k++) {
    const r = priceChange(scenario, instrument, context, k);
    if (typeof r !== 'number') return r;
    const total = r + (duration !== undefined ? -duration * dy : 0);
    const value = units * mark;
    path.push(value * (1 + total) * rate * (1 + fxShock) - value * rate);
  }
  return { path };
}

/** The price change of an instrument at step k: the first matching shock, or its episode return. */
function priceChange(
  scenario: ResolvedScenario,
  instrument: Instrument,
  context: ValuationContext,
  step: number,
): number | Unvalued {
  const episode = scenario.episode;
  if (episode) {
    const own = episode.series[instrument.id] ?? episode.series[instrument.symbol] ?? instrument.symbol;
    const series = episode.cumulative.get(own);
    if (series) return series[step] as number;
    if (
      episode.proxy !== undefined &&
      (instrument.assetClass === 'equity' || instrument.assetClass === 'index')
    )
      return (episode.cumulative.get(episode.proxy)?.[step] ?? 0) * sensitivity(context, instrument).beta;
    return { reason: 'SCENARIO_NO_RETURNS', detail: `no series for ${instrument.symbol}` };
  }
  for (const { shock, scaledByBeta } of scenario.priceShocks)
    if (matches(shock, instrument))
      return shock.change * (scaledByBeta ? sensitivity(context, instrument).beta : 1);
  return 0;
}

function matches(shock: PriceShock, instrument: Instrument): boolean {
  return (
    (shock.assetClass === undefined || shock.assetClass === instrument.assetClass) &&
    (shock.sector === undefined || shock.sector === instrument.sector) &&
    (shock.region === undefined || shock.region === instrument.region) &&
    (shock.symbol === undefined || shock.symbol === instrument.symbol) &&
    (shock.instrument === undefined || shock.instrument === instrument.id) &&
    (shock.currency === undefined || shock.currency === instrument.currency)
  );
}

function sensitivity(
  context: ValuationContext,
  instrument: Instrument,
): { readonly beta: number; readonly duration: number | undefined } {
  const s = context.sensitivities[instrument.id] ?? context.sensitivities[instrument.symbol];
  return { beta: s?.beta ?? 1, duration: s?.duration };
}

function round(value: number, decimals: number): number {
  const p = 10 ** decimals;
  return Math.round(value * p) / p + 0; // + 0 turns −0 into 0
}

function roundAll(values: Record<string, number>, decimals: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(values).sort()) out[key] = round(values[key] as number, decimals);
  return out;
}

// ---- the worker ----

export interface ScenarioStats {
  readonly runs: number;
  readonly lastRunAt: number | undefined;
  /** Positions left out of the last run, by reason code. */
  readonly unmodelled: Readonly<Record<string, number>>;
  readonly greeks: number;
}

export interface ScenarioWorker {
  stop(): void;
  stats(): ScenarioStats;
  /** Values the book now, publishes the report on `scenarios` and returns it. */
  run(): ScenarioReport;
  latest(): ScenarioReport | undefined;
  readonly scenarios: readonly string[];
}

export interface ScenarioWorkerOptions {
  readonly book: BookView;
  readonly registry: Registry;
  /** From risk.yaml: the currency the PnL is expressed in and the rates to it. */
  readonly baseCurrency: string;
  readonly fxRates: Readonly<Record<string, number>>;
  readonly group?: string;
  /** Publish on a timer every `intervalSeconds` (default true). */
  readonly schedule?: boolean;
}

const MICROS_PER_SECOND = 1_000_000;

export function startScenarioWorker(
  bus: Bus,
  clock: Clock,
  config: ScenarioSetup,
  logger: Logger,
  options: ScenarioWorkerOptions,
): ScenarioWorker {
  const log = logger.child('scenario');
  const greeks = new Map<InstrumentId, OptionGreeks>();
  const timerName = `scenario-worker:${options.group ?? 'scenario'}`;
  let latest: ScenarioReport | undefined;
  let runs = 0;
  let unmodelled: Record<string, number> = {};
  let stopped = false;

  const context: ValuationContext = {
    baseCurrency: options.baseCurrency,
    fxRates: options.fxRates,
    instrument: (id) => options.registry.instruments.get(id),
    greeks: (id) => greeks.get(id),
    sensitivities: config.sensitivities,
  };

  const subscription: Subscription = bus.subscribe(Streams.greeks, options.group ?? 'scenario', (g) => {
    if (typeof g === 'object' && g !== null && typeof g.instrumentId === 'string')
      greeks.set(g.instrumentId, g);
  });

  const run = (): ScenarioReport => {
    const positions = options.book.strategyPositions();
    const now = clock.now();
    const counts: Record<string, number> = {};
    const scenarios = config.scenarios.map((s) => runScenario(s, positions, context, counts));
    unmodelled = counts;
    let open = 0;
    for (const p of positions) if (p.quantity !== 0) open++;
    const report: ScenarioReport = {
      type: 'scenario_report',
      baseCurrency: options.baseCurrency,
      positions: open,
      scenarios,
      tsEvent: now,
      tsInit: now,
    };
    latest = report;
    runs++;
    bus.publish(Streams.scenarios, report);
    return report;
  };

  const schedule = (): void => {
    if (stopped) return;
    clock.setTimer(timerName, clock.now() + config.intervalSeconds * MICROS_PER_SECOND, () => {
      try {
        run();
      } catch (error) {
        log.error('scenario run failed', { error: String(error) });
      }
      schedule();
    });
  };
  if (options.schedule ?? true) schedule();
  log.info('scenario worker started', { scenarios: config.scenarios.length, file: config.file });

  return {
    stop() {
      stopped = true;
      clock.cancelTimer(timerName);
      subscription.unsubscribe();
    },
    stats: () => ({ runs, lastRunAt: latest?.tsEvent, unmodelled: { ...unmodelled }, greeks: greeks.size }),
    run,
    latest: () => latest,
    scenarios: config.scenarios.map((s) => s.name),
  };
}
