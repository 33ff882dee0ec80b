// Fitting the router's cost model (oms/cost-model.ts) to realised fills: per venue, the fee schedule and the
// expected slippage that best explain what the fills cost, in the shape the router reads.
//
// The router's model prices a marketable buy at ask × (1 + (takerBps + slippageBps) / 10⁴) + perUnit (a sell
// mirrored at the bid). It splits into two linear least-squares problems per venue:
//   fees:     feeᵢ = takerBps × takerNotionalᵢ / 10⁴ + makerBps × makerNotionalᵢ / 10⁴ + perUnit × quantityᵢ,
//             notional = price × quantity × multiplier, each fill in the column of its liquidity (fills of
//             unknown liquidity count as taker), as the venues charge (venues/paper/fee-model.ts);
//   slippage: side × (priceᵢ − touchᵢ) / touchᵢ × 10⁴ = slippageBps, touch = the ask for a buy, the bid for a
//             sell, at the fill; taker fills with a quote only (a maker fill does not cross the spread).
// The spread itself is the model's input (the quote), not a parameter. A parameter the rows cannot determine
// (no maker fills; every fill at one price, so notional and quantity are proportional) keeps the prior's
// value and is left out of `fitted`. The fee minimum is never fitted: it is the prior's, and fills charged
// exactly that minimum are left out of the fee fit. The fit is unconstrained: a negative slippage (price
// improvement) or per-unit fee is reported as found, for review before it goes into a venue's configuration.

import type { FeeSchedule } from '../common/registry.ts';
import type { VenueCostInputs } from '../oms/cost-model.ts';
import type { FillAnalysis } from './tca.ts';

/** What the fit reads of a fill; `FillAnalysis` rows from `analyzeExecutions` fit as they are. */
export type CostModelRow = Pick<
  FillAnalysis,
  'venue' | 'side' | 'price' | 'quantity' | 'multiplier' | 'fee' | 'liquidity' | 'bid' | 'ask'
>;

export type CostModelParameter = 'takerBps' | 'makerBps' | 'perUnit' | 'slippageBps';

export interface CostModelFit {
  readonly venue: string;
  /** Ready for the router: the fee schedule and slippage of the venue. */
  readonly parameters: VenueCostInputs;
  /** The parameters estimated from the rows; the others are the prior's. */
  readonly fitted: readonly CostModelParameter[];
  readonly feeSamples: number;
  readonly slippageSamples: number;
  /** Root mean square of fee − modelled fee, in money; null without fee samples. */
  readonly feeResidualRms: number | null;
  /** Root mean square of realised − modelled slippage, bps; null without slippage samples. */
  readonly slippageResidualRmsBps: number | null;
  /** Rows left out: non-finite or non-positive numbers. */
  readonly skipped: number;
}

export interface CostModelFitOptions {
  /** Values for the parameters the rows cannot determine, and the fee minimum; default all 0. */
  readonly prior?: VenueCostInputs;
}

const BPS = 10_000;
/** A column whose part independent of the columns before it is below this share of its norm is dependent. */
const DEPENDENCE_TOLERANCE = 1e-9;

interface LeastSquaresResult {
  /** Per column, its coefficient, or null when it depends on the columns before it (or is all zero). */
  readonly coefficients: readonly (number | null)[];
  /** Root mean square residual. */
  readonly residualRms: number;
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}

/** a −= factor × b */
function subtractScaled(a: Float64Array, b: Float64Array, factor: number): void {
  for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) - factor * (b[i] as number);
}

/**
 * Ordinary least squares by modified Gram–Schmidt QR, columns taken in order: a column that adds no
 * independent direction gets no coefficient, so earlier columns take precedence. `fixed(j)` gives the value
 * of column j's coefficient when it cannot be fitted; its contribution is removed from y first.
 */
function leastSquares(
  columns: readonly Float64Array[],
  observed: Float64Array,
  fixed: (column: number) => number,
): LeastSquaresResult {
  const n = observed.length;
  const q: Float64Array[] = [];
  const r: number[][] = []; // r[k][j]: row k of R for accepted column j (by accepted position)
  const accepted: number[] = [];
  for (let j = 0; j < columns.length; j++) {
    const v = Float64Array.from(columns[j] as Float64Array);
    const norm0 = Math.sqrt(dot(v, v));
    if (norm0 === 0) continue;
    const projections = new Array<number>(q.length).fill(0);
    for (let pass = 0; pass < 2; pass++)
      // the second pass restores orthogonality lost to rounding
      for (let k = 0; k < q.length; k++) {
        const basis = q[k] as Float64Array;
        const projection = dot(basis, v);
        projections[k] = (projections[k] as number) + projection;
        subtractScaled(v, basis, projection);
      }
    const norm = Math.sqrt(dot(v, v));
    if (norm <= DEPENDENCE_TOLERANCE * norm0) continue;
    for (let i = 0; i < n; i++) v[i] = (v[i] as number) / norm;
    for (let k = 0; k < q.length; k++) (r[k] as number[]).push(projections[k] as number);
    r.push(new Array<number>(q.length).fill(0).concat([norm]));
    q.push(v);
    accepted.push(j);
  }

  const coefficients: (number | null)[] = new Array<number | null>(columns.length).fill(null);
  const target = Float64Array.from(observed);
  for (let j = 0; j < columns.length; j++)
    if (!accepted.includes(j)) subtractScaled(target, columns[j] as Float64Array, fixed(j));
  const residual = Float64Array.from(target);
  const z = q.map((basis) => {
    const projection = dot(basis, residual);
    subtractScaled(residual, basis, projection);
    return projection;
  });
  for (let k = accepted.length - 1; k >= 0; k--) {
    const row = r[k] as number[];
    let sum = z[k] as number;
    for (let m = k + 1; m < accepted.length; m++)
      sum -= (row[m] as number) * (coefficients[accepted[m] as number] as number);
    coefficients[accepted[k] as number] = sum / (row[k] as number);
  }
  return { coefficients, residualRms: n > 0 ? Math.sqrt(dot(residual, residual) / n) : 0 };
}

const ZERO_PRIOR: VenueCostInputs = {
  fees: { makerBps: 0, takerBps: 0, perUnit: 0, minimum: 0 },
  slippageBps: 0,
};

function validRow(row: CostModelRow): boolean {
  return (
    typeof row.venue === 'string' &&
    (row.side === 'buy' || row.side === 'sell') &&
    Number.isFinite(row.price) &&
    row.price > 0 &&
    Number.isFinite(row.quantity) &&
    row.quantity > 0 &&
    Number.isFinite(row.multiplier) &&
    row.multiplier > 0 &&
    Number.isFinite(row.fee)
  );
}

function fitVenue(
  venue: string,
  rows: readonly CostModelRow[],
  skipped: number,
  prior: VenueCostInputs,
): CostModelFit {
  const fitted: CostModelParameter[] = [];

  // Fees: columns taker notional / 10⁴, maker notional / 10⁴, quantity.
  const feeRows = rows.filter((row) => !(prior.fees.minimum > 0 && row.fee === prior.fees.minimum));
  const taker = new Float64Array(feeRows.length);
  const maker = new Float64Array(feeRows.length);
  const quantity = new Float64Array(feeRows.length);
  const fee = new Float64Array(feeRows.length);
  feeRows.forEach((row, i) => {
    const notionalBps = (row.price * row.quantity * row.multiplier) / BPS;
    if (row.liquidity === 'maker') maker[i] = notionalBps;
    else taker[i] = notionalBps;
    quantity[i] = row.quantity;
    fee[i] = row.fee;
  });
  const feePrior = [prior.fees.takerBps, prior.fees.makerBps, prior.fees.perUnit];
  const feeFit = leastSquares([taker, maker, quantity], fee, (j) => feePrior[j] as number);
  const [takerBps, makerBps, perUnit] = feeFit.coefficients;
  if (takerBps !== null && takerBps !== undefined) fitted.push('takerBps');
  if (makerBps !== null && makerBps !== undefined) fitted.push('makerBps');
  if (perUnit !== null && perUnit !== undefined) fitted.push('perUnit');

  // Slippage: side × (price − touch) / touch × 10⁴ on a constant.
  const slippageRows = rows.filter(
    (row) =>
      row.liquidity !== 'maker' &&
      row.bid !== null &&
      row.ask !== null &&
      Number.isFinite(row.bid) &&
      Number.isFinite(row.ask) &&
      row.bid > 0 &&
      row.ask > 0,
  );
  const slippage = new Float64Array(slippageRows.length);
  slippageRows.forEach((row, i) => {
    const touch = (row.side === 'buy' ? row.ask : row.bid) as number;
    slippage[i] = ((row.side === 'buy' ? 1 : -1) * (row.price - touch) * BPS) / touch;
  });
  const slippageFit = leastSquares(
    [new Float64Array(slippageRows.length).fill(1)],
    slippage,
    () => prior.slippageBps,
  );
  const slippageBps = slippageFit.coefficients[0] ?? null;
  if (slippageBps !== null) fitted.push('slippageBps');

  const fees: FeeSchedule = {
    makerBps: makerBps ?? prior.fees.makerBps,
    takerBps: takerBps ?? prior.fees.takerBps,
    perUnit: perUnit ?? prior.fees.perUnit,
    minimum: prior.fees.minimum,
  };
  return {
    venue,
    parameters: { fees, slippageBps: slippageBps ?? prior.slippageBps },
    fitted,
    feeSamples: feeRows.length,
    slippageSamples: slippageRows.length,
    feeResidualRms: feeRows.length > 0 ? feeFit.residualRms : null,
    slippageResidualRmsBps: slippageRows.length > 0 ? slippageFit.residualRms : null,
    skipped,
  };
}

/** Fits the cost model per venue (sorted by venue) from per-fill TCA rows. */
export function fitCostModel(
  rows: readonly CostModelRow[],
  options: CostModelFitOptions = {},
): CostModelFit[] {
  const prior = options.prior ?? ZERO_PRIOR;
  const byVenue = new Map<string, { rows: CostModelRow[]; skipped: number }>();
  for (const row of rows) {
    const key = typeof row.venue === 'string' ? row.venue : String(row.venue);
    let group = byVenue.get(key);
    if (group === undefined) {
      group = { rows: [], skipped: 0 };
      byVenue.set(key, group);
    }
    if (validRow(row)) group.rows.push(row);
    else group.skipped++;
  }
  return [...byVenue.keys()].sort().map((venue) => {
    const group = byVenue.get(venue) as { rows: CostModelRow[]; skipped: number };
    return fitVenue(venue, group.rows, group.skipped, prior);
  });
}
