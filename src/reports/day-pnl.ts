// The day's PnL, exposures and equity curve, from the ledger rebuilt out of the store's entries and the
// recorded marks. Day PnL = the figures at the day's end (last recorded mark) minus those at its start (the
// entries before it, marked at the day's first recorded price), so a session that ran across midnight is
// split at the day boundary. Money is exact (minor units) until it is charted.

import type { Registry } from '../common/registry.ts';
import {
  Accounts,
  Ledger,
  type LedgerEntry,
  type PositionView,
  type RejectedEntry,
} from '../ledger/index.ts';
import { currencyDecimals, fromMinor, type InstrumentId } from '../model/index.ts';
import type { DayData } from './day-data.ts';
import { MARK_BUCKET_MICROS, type MarkSeries } from './day-tape.ts';

/** PnL in minor units of `currency`: net = realized + unrealized − fees. */
export interface PnlFigures {
  readonly currency: string;
  readonly realizedMinor: bigint;
  readonly unrealizedMinor: bigint;
  readonly feesMinor: bigint;
  readonly netMinor: bigint;
}

export interface PnlRow extends PnlFigures {
  /** A strategy id, an instrument id or a venue. */
  readonly key: string;
  readonly fills: number;
  /** Σ |quantity| traded on the day. */
  readonly quantity: number;
  /** Σ price × quantity × multiplier traded on the day, major units. */
  readonly notional: number;
  /** Signed quantity held at the day's end (instrument rows; the firm-wide position). */
  readonly position: number | null;
  /** The closing mark (instrument rows); null when none was recorded. */
  readonly mark: number | null;
}

/** Exposure at the day's end, major units: long (Σ of positive values), short (Σ of negative), gross, net. */
export interface ExposureRow {
  readonly key: string;
  readonly currency: string;
  readonly positions: number;
  readonly long: number;
  readonly short: number;
  readonly gross: number;
  readonly net: number;
}

export interface LargestPosition {
  readonly instrumentId: string;
  readonly currency: string;
  readonly quantity: number;
  readonly mark: number;
  /** Signed value, major units. */
  readonly exposure: number;
  /** |exposure| / the firm's gross exposure in the currency. */
  readonly shareOfGross: number;
}

export interface EquityPoint {
  readonly time: number;
  readonly equity: number;
}

export interface EquityCurve {
  readonly currency: string;
  readonly points: readonly EquityPoint[];
  readonly startEquity: number;
  readonly endEquity: number;
  readonly high: number;
  readonly low: number;
  /** The deepest fall from a running high, ≤ 0, major units; and as a fraction of that high. */
  readonly maxDrawdown: number;
  readonly maxDrawdownFraction: number;
  /** When the deepest fall bottomed out; null without a fall. */
  readonly maxDrawdownTime: number | null;
  /** Spacing of the regular samples, µs (each booked fill is a sample too). */
  readonly sampleMicros: number;
}

export interface DayPnl {
  readonly byStrategy: readonly PnlRow[];
  readonly byInstrument: readonly PnlRow[];
  readonly byVenue: readonly PnlRow[];
  /** Firm-wide per currency (from the instruments; strategies trading against each other net out here). */
  readonly totals: readonly PnlFigures[];
  readonly exposureByStrategy: readonly ExposureRow[];
  readonly exposureByInstrument: readonly ExposureRow[];
  readonly largestPosition: LargestPosition | null;
  readonly equity: readonly EquityCurve[];
  /** Positions already open when the day began. */
  readonly openingPositions: number;
  /** Ledger entries refused on replay. */
  readonly refused: readonly RejectedEntry[];
  /** Instruments with an open position and no recorded price (marked at average cost). */
  readonly unmarked: readonly string[];
}

export interface DayPnlOptions {
  /** Regular equity samples over the day's data span (default 2000). */
  readonly samples?: number;
}

interface Figures {
  currency: string;
  realized: bigint;
  unrealized: bigint;
  fees: bigint;
}

function entryTime(entry: LedgerEntry): number {
  return entry.kind === 'fill' ? entry.fill.tsEvent : entry.tsEvent;
}

function firstMark(series: MarkSeries | undefined): number | undefined {
  return series !== undefined && series.prices.length > 0 ? series.prices[0] : undefined;
}

function lastMark(series: MarkSeries | undefined): number | undefined {
  return series !== undefined && series.prices.length > 0
    ? series.prices[series.prices.length - 1]
    : undefined;
}

/** Unrealized PnL of a position view at `mark`; 0 when flat or unmarked (then listed in `unmarked`). */
function unrealizedOf(
  ledger: Ledger,
  view: PositionView,
  mark: number | undefined,
  unmarked: Set<string> | undefined,
): bigint {
  if (view.quantity === 0) return 0n;
  if (mark === undefined) {
    unmarked?.add(view.instrumentId);
    return 0n;
  }
  const value =
    view.strategyId === undefined
      ? ledger.unrealizedMinor(view.instrumentId, mark)
      : ledger.strategyUnrealizedMinor(view.strategyId, view.instrumentId, mark);
  return value ?? 0n;
}

/** Realized, unrealized and fees per strategy and per instrument (keys `<id>|<currency>`). */
function figuresOf(
  ledger: Ledger,
  markOf: (instrumentId: string) => number | undefined,
  unmarked?: Set<string>,
): { strategies: Map<string, Figures>; instruments: Map<string, Figures> } {
  const strategies = new Map<string, Figures>();
  const instruments = new Map<string, Figures>();
  const add = (map: Map<string, Figures>, key: string, view: PositionView, unrealized: bigint): void => {
    const id = `${key}|${view.currency}`;
    let figures = map.get(id);
    if (figures === undefined) {
      figures = { currency: view.currency, realized: 0n, unrealized: 0n, fees: 0n };
      map.set(id, figures);
    }
    figures.realized += view.realizedMinor;
    figures.unrealized += unrealized;
    figures.fees += view.feesMinor;
  };
  for (const view of ledger.positions())
    add(
      instruments,
      view.instrumentId,
      view,
      unrealizedOf(ledger, view, markOf(view.instrumentId), unmarked),
    );
  for (const view of ledger.strategyPositions())
    add(
      strategies,
      view.strategyId ?? '',
      view,
      unrealizedOf(ledger, view, markOf(view.instrumentId), undefined),
    );
  return { strategies, instruments };
}

interface Activity {
  fills: number;
  quantity: number;
  notional: number;
}

function differenceRows(
  opening: Map<string, Figures>,
  closing: Map<string, Figures>,
  activity: Map<string, Activity>,
  extra: (key: string) => { position: number | null; mark: number | null },
): PnlRow[] {
  const rows: PnlRow[] = [];
  const ids = [...new Set([...opening.keys(), ...closing.keys()])].sort();
  for (const id of ids) {
    const open = opening.get(id);
    const close = closing.get(id);
    const currency = (close ?? open)?.currency ?? '';
    const key = id.slice(0, id.lastIndexOf('|'));
    const realized = (close?.realized ?? 0n) - (open?.realized ?? 0n);
    const unrealized = (close?.unrealized ?? 0n) - (open?.unrealized ?? 0n);
    const fees = (close?.fees ?? 0n) - (open?.fees ?? 0n);
    const act = activity.get(id) ?? { fills: 0, quantity: 0, notional: 0 };
    const { position, mark } = extra(key);
    // A key with nothing on the day and nothing held is noise.
    if (act.fills === 0 && realized === 0n && unrealized === 0n && fees === 0n && !position) continue;
    rows.push({
      key,
      currency,
      realizedMinor: realized,
      unrealizedMinor: unrealized,
      feesMinor: fees,
      netMinor: realized + unrealized - fees,
      fills: act.fills,
      quantity: act.quantity,
      notional: act.notional,
      position,
      mark,
    });
  }
  return rows;
}

function sumRows(rows: readonly PnlRow[], keyOf: (row: PnlRow) => string): PnlRow[] {
  const sums = new Map<string, PnlRow>();
  for (const row of rows) {
    const key = keyOf(row);
    const id = `${key}|${row.currency}`;
    const seen = sums.get(id);
    sums.set(
      id,
      seen === undefined
        ? { ...row, key, position: null, mark: null }
        : {
            ...seen,
            realizedMinor: seen.realizedMinor + row.realizedMinor,
            unrealizedMinor: seen.unrealizedMinor + row.unrealizedMinor,
            feesMinor: seen.feesMinor + row.feesMinor,
            netMinor: seen.netMinor + row.netMinor,
            fills: seen.fills + row.fills,
            quantity: seen.quantity + row.quantity,
            notional: seen.notional + row.notional,
          },
    );
  }
  return [...sums.keys()].sort().map((id) => sums.get(id) as PnlRow);
}

function exposureRows(
  views: readonly PositionView[],
  keyOf: (view: PositionView) => string,
  valueOf: (view: PositionView) => number,
): ExposureRow[] {
  const rows = new Map<
    string,
    { key: string; currency: string; positions: number; long: number; short: number }
  >();
  for (const view of views) {
    if (view.quantity === 0) continue;
    const key = keyOf(view);
    const id = `${key}|${view.currency}`;
    let row = rows.get(id);
    if (row === undefined) {
      row = { key, currency: view.currency, positions: 0, long: 0, short: 0 };
      rows.set(id, row);
    }
    const value = valueOf(view);
    row.positions++;
    if (value >= 0) row.long += value;
    else row.short += value;
  }
  return [...rows.keys()].sort().map((id) => {
    const row = rows.get(id)!;
    return { ...row, gross: row.long - row.short, net: row.long + row.short };
  });
}

/** Per-instrument cursor over a mark series: the mark in force at a time that only moves forward. */
class MarkCursor {
  private index = -1;
  constructor(private readonly series: MarkSeries | undefined) {}
  at(time: number): number | undefined {
    const series = this.series;
    if (series === undefined) return undefined;
    while (this.index + 1 < series.times.length && (series.times[this.index + 1] as number) <= time)
      this.index++;
    return this.index < 0 ? undefined : series.prices[this.index];
  }
}

function drawdownOf(points: readonly EquityPoint[]): {
  maxDrawdown: number;
  fraction: number;
  time: number | null;
} {
  let peak = -Infinity;
  let maxDrawdown = 0;
  let fraction = 0;
  let time: number | null = null;
  for (const point of points) {
    if (point.equity > peak) peak = point.equity;
    const drawdown = point.equity - peak;
    if (drawdown < maxDrawdown) {
      maxDrawdown = drawdown;
      fraction = peak > 0 ? drawdown / peak : 0;
      time = point.time;
    }
  }
  return { maxDrawdown, fraction, time };
}

/** Running-high drawdown of each point, ≤ 0. */
export function drawdownSeries(points: readonly EquityPoint[]): EquityPoint[] {
  let peak = -Infinity;
  return points.map((point) => {
    if (point.equity > peak) peak = point.equity;
    return { time: point.time, equity: point.equity - peak };
  });
}

/** Computes the day's PnL, exposures and equity curve. */
export function computeDayPnl(day: DayData, registry: Registry, options: DayPnlOptions = {}): DayPnl {
  const samples = Math.max(2, Math.floor(options.samples ?? 2000));
  const opening: LedgerEntry[] = [];
  const during: LedgerEntry[] = [];
  for (const entry of day.ledgerEntries) (entryTime(entry) < day.start ? opening : during).push(entry);
  during.sort((a, b) => entryTime(a) - entryTime(b)); // stable: booking order within a time
  const ledger = Ledger.replay(opening, registry);
  const seriesOf = (id: string): MarkSeries | undefined => day.tape.instruments.get(id)?.marks;
  const openingFigures = figuresOf(ledger, (id) => firstMark(seriesOf(id)));
  const openingPositions = ledger.positions().filter((p) => p.quantity !== 0).length;

  // Equity over the day: a regular grid over the data's span, and a sample after each booked entry.
  const touched = new Set<InstrumentId>();
  for (const view of ledger.positions()) touched.add(view.instrumentId);
  for (const entry of during) if (entry.kind === 'fill') touched.add(entry.fill.instrumentId);
  let first = Infinity;
  let last = -Infinity;
  for (const id of touched) {
    const series = seriesOf(id);
    if (series === undefined || series.times.length === 0) continue;
    first = Math.min(first, series.times[0] as number);
    last = Math.max(last, series.times[series.times.length - 1] as number);
  }
  for (const entry of during) {
    first = Math.min(first, entryTime(entry));
    last = Math.max(last, entryTime(entry));
  }
  const cursors = new Map<InstrumentId, MarkCursor>();
  const currencies = new Set<string>();
  for (const id of touched) {
    cursors.set(id, new MarkCursor(seriesOf(id)));
    const instrument = registry.instruments.get(id);
    if (instrument) currencies.add(instrument.currency);
  }
  const points = new Map<string, EquityPoint[]>();
  for (const currency of currencies) points.set(currency, []);
  const sample = (time: number): void => {
    const unrealized = new Map<string, bigint>();
    for (const id of touched) {
      const instrument = registry.instruments.get(id);
      if (!instrument) continue;
      const mark = cursors.get(id)?.at(time);
      const value = mark === undefined ? 0n : (ledger.unrealizedMinor(id, mark) ?? 0n);
      unrealized.set(instrument.currency, (unrealized.get(instrument.currency) ?? 0n) + value);
    }
    for (const currency of currencies) {
      const minor =
        -ledger.balance(Accounts.equity(currency)) -
        ledger.balance(Accounts.realized(currency)) -
        ledger.balance(Accounts.fees(currency)) +
        (unrealized.get(currency) ?? 0n);
      points.get(currency)?.push({ time, equity: fromMinor(minor, currencyDecimals(currency)) });
    }
  };
  const step = Number.isFinite(first) ? Math.max(MARK_BUCKET_MICROS, Math.ceil((last - first) / samples)) : 0;
  let next = 0;
  if (Number.isFinite(first))
    for (let time = first; ; time = Math.min(time + step, last)) {
      while (next < during.length && entryTime(during[next] as LedgerEntry) <= time) {
        const entry = during[next] as LedgerEntry;
        ledger.apply(entry, registry);
        sample(entryTime(entry));
        next++;
      }
      sample(time);
      if (time >= last) break;
    }
  for (; next < during.length; next++) ledger.apply(during[next] as LedgerEntry, registry);

  const unmarked = new Set<string>();
  const closingMark = (id: string): number | undefined => lastMark(seriesOf(id));
  const closingFigures = figuresOf(ledger, closingMark, unmarked);

  const activity = { strategies: new Map<string, Activity>(), instruments: new Map<string, Activity>() };
  for (const fill of day.fills) {
    const instrument = registry.instruments.get(fill.instrumentId);
    if (!instrument) continue;
    const notional = fill.lastPrice * fill.lastQuantity * instrument.multiplier;
    for (const [map, key] of [
      [activity.strategies, `${fill.strategyId}|${instrument.currency}`],
      [activity.instruments, `${fill.instrumentId}|${instrument.currency}`],
    ] as const) {
      const act = map.get(key) ?? { fills: 0, quantity: 0, notional: 0 };
      act.fills++;
      act.quantity += fill.lastQuantity;
      act.notional += notional;
      map.set(key, act);
    }
  }

  const byInstrument = differenceRows(
    openingFigures.instruments,
    closingFigures.instruments,
    activity.instruments,
    (key) => {
      const position = ledger.position(key as InstrumentId);
      return { position: position?.quantity ?? 0, mark: closingMark(key) ?? null };
    },
  );
  const byStrategy = differenceRows(
    openingFigures.strategies,
    closingFigures.strategies,
    activity.strategies,
    () => ({ position: null, mark: null }),
  );
  const byVenue = sumRows(
    byInstrument,
    (row) =>
      registry.instruments.get(row.key as InstrumentId)?.venue ?? row.key.slice(row.key.lastIndexOf('.') + 1),
  );
  const totals: PnlFigures[] = sumRows(byInstrument, () => 'total').map((row) => ({
    currency: row.currency,
    realizedMinor: row.realizedMinor,
    unrealizedMinor: row.unrealizedMinor,
    feesMinor: row.feesMinor,
    netMinor: row.netMinor,
  }));

  const valueOf = (view: PositionView): number => {
    const instrument = registry.instruments.get(view.instrumentId);
    const mark = closingMark(view.instrumentId) ?? view.averagePrice;
    return view.quantity * mark * (instrument?.multiplier ?? 1);
  };
  const firm = ledger.positions();
  const exposureByInstrument = exposureRows(firm, (view) => view.instrumentId, valueOf);
  const exposureByStrategy = exposureRows(
    ledger.strategyPositions(),
    (view) => view.strategyId ?? '',
    valueOf,
  );
  let largestPosition: LargestPosition | null = null;
  for (const view of firm) {
    if (view.quantity === 0) continue;
    const exposure = valueOf(view);
    if (largestPosition !== null && Math.abs(exposure) <= Math.abs(largestPosition.exposure)) continue;
    const gross = exposureByInstrument
      .filter((row) => row.currency === view.currency)
      .reduce((sum, row) => sum + row.gross, 0);
    largestPosition = {
      instrumentId: view.instrumentId,
      currency: view.currency,
      quantity: view.quantity,
      mark: closingMark(view.instrumentId) ?? view.averagePrice,
      exposure,
      shareOfGross: gross > 0 ? Math.abs(exposure) / gross : 0,
    };
  }

  const equity: EquityCurve[] = [];
  for (const currency of [...currencies].sort()) {
    const list = points.get(currency) ?? [];
    if (list.length === 0) continue;
    const drawdown = drawdownOf(list);
    let high = -Infinity;
    let low = Infinity;
    for (const point of list) {
      high = Math.max(high, point.equity);
      low = Math.min(low, point.equity);
    }
    equity.push({
      currency,
      points: list,
      startEquity: (list[0] as EquityPoint).equity,
      endEquity: (list[list.length - 1] as EquityPoint).equity,
      high,
      low,
      maxDrawdown: drawdown.maxDrawdown,
      maxDrawdownFraction: drawdown.fraction,
      maxDrawdownTime: drawdown.time,
      sampleMicros: step,
    });
  }

  return {
    byStrategy,
    byInstrument,
    byVenue,
    totals,
    exposureByStrategy,
    exposureByInstrument,
    largestPosition,
    equity,
    openingPositions,
    refused: ledger.rejectedEntries(),
    unmarked: [...unmarked].sort(),
  };
}
