// Transaction cost analysis of one day: each routed order against the recorded tape's mid when the strategy
// decided (the command's tsInit) and when the OMS routed it (order_submitted, else order_accepted), with its
// fills; and the cost model refitted per venue from those fills, as YAML for configs/registry.yaml.

import {
  analyzeExecutions,
  fitCostModel,
  type CostModelFit,
  type MarketTape,
  type TcaFill,
  type TcaOptions,
  type TcaOrder,
  type TcaReport,
} from '../analytics/index.ts';
import type { Registry } from '../common/registry.ts';
import type { InstrumentId, VenueId } from '../model/index.ts';
import type { VenueCostInputs } from '../oms/cost-model.ts';
import type { DayData, DayOrder } from './day-data.ts';
import { midAt } from './day-tape.ts';
import type { ReportReasonCode } from './reasons.ts';

/** The benchmarks an order was measured against. */
export interface OrderBenchmarks {
  readonly decisionPrice: number;
  readonly decisionTime: number;
  readonly arrivalPrice: number;
  readonly arrivalTime: number;
}

export interface DayTca {
  readonly date: string;
  readonly report: TcaReport;
  /** Per client order id, the decision and arrival prices and times used. */
  readonly benchmarks: ReadonlyMap<string, OrderBenchmarks>;
  /** Orders left out and benchmarks that stood in for others, by reason. */
  readonly counts: Readonly<Partial<Record<ReportReasonCode, number>>>;
}

function count(counts: Partial<Record<ReportReasonCode, number>>, code: ReportReasonCode): void {
  counts[code] = (counts[code] ?? 0) + 1;
}

function decisionMid(day: DayData, order: DayOrder): number | undefined {
  const asked = day.tape.instruments.get(order.instrumentId);
  const mid = asked === undefined ? undefined : midAt(asked.quotes, order.decisionTime);
  if (mid !== undefined) return mid;
  const executed = day.tape.instruments.get(order.executionInstrumentId);
  return executed === undefined ? undefined : midAt(executed.quotes, order.decisionTime);
}

/** Runs TCA over the day's routed orders. `registry` gives contract multipliers (default 1). */
export function analyzeDay(day: DayData, registry?: Registry, options: TcaOptions = {}): DayTca {
  const counts: Partial<Record<ReportReasonCode, number>> = {};
  const orders: TcaOrder[] = [];
  const fills: TcaFill[] = [];
  const benchmarks = new Map<string, OrderBenchmarks>();
  const tapes = new Map<string, MarketTape>();

  for (const order of day.orders) {
    if (order.denial !== null) {
      count(counts, 'REPORT_TCA_DENIED');
      continue;
    }
    if (order.venue === null) {
      count(counts, 'REPORT_TCA_NOT_ROUTED');
      continue;
    }
    const executed = day.tape.instruments.get(order.executionInstrumentId);
    const decision = decisionMid(day, order);
    const arrivalTime = order.arrivalTime ?? order.decisionTime;
    const arrival =
      order.arrivalTime === null || executed === undefined ? undefined : midAt(executed.quotes, arrivalTime);
    let decisionPrice = decision;
    let arrivalPrice = arrival;
    if (decisionPrice === undefined && arrivalPrice !== undefined) {
      decisionPrice = arrivalPrice;
      count(counts, 'REPORT_TCA_DECISION_FROM_ARRIVAL');
    } else if (arrivalPrice === undefined && decisionPrice !== undefined) {
      arrivalPrice = decisionPrice;
      count(counts, 'REPORT_TCA_ARRIVAL_FROM_DECISION');
    }
    if (decisionPrice === undefined || arrivalPrice === undefined) {
      count(counts, 'REPORT_TCA_NO_PRICE');
      continue;
    }
    const multiplier =
      registry?.instruments.get(order.executionInstrumentId as InstrumentId)?.multiplier ?? 1;
    orders.push({
      clientOrderId: order.clientOrderId,
      strategyId: order.strategyId,
      venue: order.venue,
      instrumentId: order.executionInstrumentId,
      side: order.side,
      quantity: order.quantity,
      decisionPrice,
      decisionTime: order.decisionTime,
      arrivalPrice,
      arrivalTime,
      multiplier,
    });
    benchmarks.set(order.clientOrderId, {
      decisionPrice,
      decisionTime: order.decisionTime,
      arrivalPrice,
      arrivalTime,
    });
    for (const fill of order.fills)
      fills.push({
        clientOrderId: fill.clientOrderId,
        price: fill.lastPrice,
        quantity: fill.lastQuantity,
        fee: fill.fee,
        time: fill.tsEvent,
        liquidity: fill.liquidity,
      });
    if (executed !== undefined && !tapes.has(order.executionInstrumentId))
      tapes.set(order.executionInstrumentId, { quotes: executed.quotes, trades: executed.trades });
  }
  return {
    date: day.date,
    report: analyzeExecutions({ orders, fills, tapes }, options),
    benchmarks,
    counts,
  };
}

const ZERO_COSTS: VenueCostInputs = {
  fees: { makerBps: 0, takerBps: 0, perUnit: 0, minimum: 0 },
  slippageBps: 0,
};

/** The registry's cost model of a venue: the prior of its fit. */
export function venueCosts(registry: Registry | undefined, venue: string): VenueCostInputs {
  const config = registry?.venues.get(venue as VenueId);
  return config ? { fees: config.fees, slippageBps: config.slippageBps } : ZERO_COSTS;
}

/** Refits the cost model per venue from the day's fills; what the fills cannot determine keeps the registry's. */
export function fitDayCosts(tca: DayTca, registry?: Registry): CostModelFit[] {
  const venues = [...new Set(tca.report.fills.map((fill) => fill.venue))].sort();
  const fits: CostModelFit[] = [];
  for (const venue of venues) {
    const rows = tca.report.fills.filter((fill) => fill.venue === venue);
    const [fit] = fitCostModel(rows, { prior: venueCosts(registry, venue) });
    if (fit !== undefined) fits.push(fit);
  }
  return fits;
}

/** A YAML number: at most `decimals` places, no grouping, no "-0". */
function yamlNumber(value: number, decimals = 4): string {
  const rounded = Number(value.toFixed(decimals));
  return String(Object.is(rounded, -0) ? 0 : rounded);
}

/** The fitted parameters as a snippet for `venues:` in configs/registry.yaml, with sample counts. */
export function costModelYaml(fits: readonly CostModelFit[], date: string): string[] {
  const lines = [
    `# Cost model fitted from the fills of ${date} (hf tca --fit). Review, then merge into configs/registry.yaml.`,
    `# Parameters the fills could not determine keep the registry's values (marked "kept").`,
    'venues:',
  ];
  if (fits.length === 0) lines.push('  {} # no fills to fit');
  for (const fit of fits) {
    const fees = fit.parameters.fees;
    const mark = (name: CostModelFit['fitted'][number]): string =>
      fit.fitted.includes(name) ? 'fitted' : 'kept';
    lines.push(`  ${fit.venue}:`);
    lines.push(
      `    # fees: ${fit.feeSamples} fill(s); takerBps ${mark('takerBps')}, makerBps ${mark('makerBps')}, perUnit ${mark(
        'perUnit',
      )}, minimum kept${fit.feeResidualRms === null ? '' : `; rms residual ${yamlNumber(fit.feeResidualRms, 6)}`}`,
    );
    lines.push(
      `    # slippage: ${fit.slippageSamples} taker fill(s) with a quote; ${mark('slippageBps')}${
        fit.slippageResidualRmsBps === null
          ? ''
          : `; rms residual ${yamlNumber(fit.slippageResidualRmsBps)} bps`
      }${fit.skipped > 0 ? `; ${fit.skipped} fill(s) skipped as invalid` : ''}`,
    );
    if (fees.perUnit < 0)
      lines.push('    # perUnit came out below 0 (registry.yaml requires ≥ 0): review before using');
    lines.push(
      `    fees: { makerBps: ${yamlNumber(fees.makerBps)}, takerBps: ${yamlNumber(fees.takerBps)}, perUnit: ${yamlNumber(
        fees.perUnit,
        6,
      )}, minimum: ${yamlNumber(fees.minimum, 6)} }`,
    );
    if (fit.parameters.slippageBps < 0)
      lines.push(
        '    # slippageBps came out below 0 (price improvement; registry.yaml requires ≥ 0): review',
      );
    lines.push(`    slippageBps: ${yamlNumber(fit.parameters.slippageBps)}`);
  }
  return lines;
}
