// The daily report (the runbook's post-close routine): PnL by strategy, instrument and venue, equity and
// drawdown over the day, exposures, rejects by reason, a TCA summary, reconciliation breaks and incidents,
// written as Markdown with SVG charts beside it and as a PDF printed from the same content in HTML.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TcaAggregate, TcaReasonCode } from '../analytics/index.ts';
import { describeReason } from '../common/errors.ts';
import type { Registry } from '../common/registry.ts';
import type { Alert, AlertSeverity } from '../model/index.ts';
import { lineChartSvg } from './charts.ts';
import { describeSource, type DayData, type DaySource } from './day-data.ts';
import { computeDayPnl, drawdownSeries, type DayPnl, type EquityCurve, type PnlRow } from './day-pnl.ts';
import { analyzeDay } from './day-tca.ts';
import {
  renderHtml,
  renderMarkdown,
  type ReportBlock,
  type ReportDocument,
  type ReportSection,
} from './document.ts';
import {
  formatBps,
  formatClock,
  formatDateTime,
  formatMoney,
  formatMoneyMinor,
  formatNumber,
  formatPrice,
  formatTime,
  type Table,
} from './format.ts';
import { writePdf, type PdfOptions } from './pdf.ts';
import { ReportReasons, type ReportReasonCode } from './reasons.ts';

export type ReportFormat = 'md' | 'pdf';
export const REPORT_FORMATS: readonly ReportFormat[] = ['md', 'pdf'];

/** Rejections of one reason: by pre-trade risk (orders.rejected) or by a venue (orders.events). */
export interface RejectRow {
  readonly source: 'risk' | 'venue';
  /** What was refused: submit_order, cancel_order, modify_order. */
  readonly command: string;
  readonly reason: string;
  readonly description: string;
  readonly count: number;
  readonly strategies: readonly string[];
  /** The first rejection's message. */
  readonly example: string;
}

export interface IncidentGroup {
  readonly severity: AlertSeverity;
  readonly count: number;
  /** The first few alerts of the severity, in time order. */
  readonly first: readonly Alert[];
}

export interface ListedBreak {
  readonly ts: number;
  readonly code: string;
  readonly venue: string;
  readonly message: string;
}

export interface ReconciliationSummary {
  readonly runs: number;
  readonly clean: number;
  readonly withBreaks: number;
  readonly breaks: number;
  readonly byCode: Readonly<Record<string, number>>;
  readonly firstRun: number | null;
  readonly lastRun: number | null;
  readonly listed: readonly ListedBreak[];
}

export interface StrategyOrders {
  readonly strategyId: string;
  readonly orders: number;
  readonly fills: number;
  readonly byStatus: Readonly<Record<string, number>>;
}

export interface TcaSummary {
  readonly orders: number;
  readonly filledOrders: number;
  readonly markoutHorizonsMicros: readonly number[];
  readonly byStrategy: readonly TcaAggregate[];
  readonly byVenue: readonly TcaAggregate[];
  readonly issues: Readonly<Partial<Record<TcaReasonCode, number>>>;
  readonly excluded: Readonly<Partial<Record<ReportReasonCode, number>>>;
}

export interface DailyReport {
  readonly date: string;
  /** Unix µs. */
  readonly generatedAt: number;
  readonly source: DaySource;
  readonly notes: readonly string[];
  /** First and last time anything happened on the day (orders, fills, alerts, runs, tape); null when nothing. */
  readonly coverage: { readonly first: number | null; readonly last: number | null };
  readonly commands: DayData['commands'];
  readonly fills: number;
  readonly orders: readonly StrategyOrders[];
  readonly pnl: DayPnl;
  readonly rejects: readonly RejectRow[];
  readonly tca: TcaSummary;
  readonly reconciliation: ReconciliationSummary;
  readonly incidents: readonly IncidentGroup[];
}

export interface DailyReportOptions {
  /** Unix µs of the report's generation (default now). */
  readonly now?: number;
  /** Alerts listed per severity (default 5). */
  readonly incidentsListed?: number;
  /** Reconciliation breaks listed (default 10). */
  readonly breaksListed?: number;
}

const SEVERITIES: readonly AlertSeverity[] = ['critical', 'warning', 'info'];
const MESSAGE_CHARS = 240;

function rejectRows(day: DayData): RejectRow[] {
  const rows = new Map<
    string,
    { row: Omit<RejectRow, 'count' | 'strategies'>; count: number; strategies: Set<string> }
  >();
  const add = (
    source: RejectRow['source'],
    command: string,
    reason: string,
    strategy: string,
    message: string,
  ): void => {
    const key = `${source}|${command}|${reason}`;
    let entry = rows.get(key);
    if (entry === undefined) {
      entry = {
        row: { source, command, reason, description: describeReason(reason), example: message },
        count: 0,
        strategies: new Set(),
      };
      rows.set(key, entry);
    }
    entry.count++;
    entry.strategies.add(strategy);
  };
  for (const denial of day.denials)
    add('risk', denial.command, denial.reason, denial.strategyId, denial.message);
  for (const rejection of day.venueRejections)
    add(
      'venue',
      rejection.type === 'order_rejected'
        ? 'submit_order'
        : rejection.type === 'order_cancel_rejected'
          ? 'cancel_order'
          : 'modify_order',
      rejection.reason,
      rejection.strategyId,
      rejection.message,
    );
  return [...rows.values()]
    .map(({ row, count, strategies }) => ({ ...row, count, strategies: [...strategies].sort() }))
    .sort(
      (a, b) => b.count - a.count || a.source.localeCompare(b.source) || a.reason.localeCompare(b.reason),
    );
}

function incidentGroups(day: DayData, listed: number): IncidentGroup[] {
  const groups: IncidentGroup[] = [];
  for (const severity of SEVERITIES) {
    const alerts = day.alerts
      .filter((alert) => alert.severity === severity)
      .sort((a, b) => a.tsEvent - b.tsEvent);
    if (alerts.length > 0) groups.push({ severity, count: alerts.length, first: alerts.slice(0, listed) });
  }
  return groups;
}

function breakOf(value: unknown, ts: number): ListedBreak {
  const b = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const text = (v: unknown, fallback: string): string => (typeof v === 'string' && v !== '' ? v : fallback);
  return {
    ts,
    code: text(b.code, 'UNKNOWN'),
    venue: text(b.venue, '–'),
    message: text(b.message, JSON.stringify(value) ?? ''),
  };
}

function reconciliationSummary(day: DayData, listed: number): ReconciliationSummary {
  const byCode: Record<string, number> = {};
  const breaks: ListedBreak[] = [];
  let withBreaks = 0;
  let total = 0;
  for (const run of day.reconciliations) {
    if (run.breaks.length > 0) withBreaks++;
    for (const value of run.breaks) {
      const listedBreak = breakOf(value, run.ts);
      byCode[listedBreak.code] = (byCode[listedBreak.code] ?? 0) + 1;
      total++;
      if (breaks.length < listed) breaks.push(listedBreak);
    }
  }
  return {
    runs: day.reconciliations.length,
    clean: day.reconciliations.length - withBreaks,
    withBreaks,
    breaks: total,
    byCode,
    firstRun: day.reconciliations[0]?.ts ?? null,
    lastRun: day.reconciliations[day.reconciliations.length - 1]?.ts ?? null,
    listed: breaks,
  };
}

function strategyOrders(day: DayData): StrategyOrders[] {
  const byStrategy = new Map<string, { orders: number; fills: number; byStatus: Record<string, number> }>();
  for (const order of day.orders) {
    let entry = byStrategy.get(order.strategyId);
    if (entry === undefined) {
      entry = { orders: 0, fills: 0, byStatus: {} };
      byStrategy.set(order.strategyId, entry);
    }
    entry.orders++;
    entry.fills += order.fills.length;
    entry.byStatus[order.status] = (entry.byStatus[order.status] ?? 0) + 1;
  }
  return [...byStrategy.keys()].sort().map((strategyId) => ({ strategyId, ...byStrategy.get(strategyId)! }));
}

function coverageOf(day: DayData): { first: number | null; last: number | null } {
  let first = Infinity;
  let last = -Infinity;
  const see = (t: number): void => {
    if (!Number.isFinite(t) || t < day.start || t >= day.end) return;
    first = Math.min(first, t);
    last = Math.max(last, t);
  };
  for (const order of day.orders) see(order.decisionTime);
  for (const fill of day.fills) see(fill.tsEvent);
  for (const alert of day.alerts) see(alert.tsEvent);
  for (const run of day.reconciliations) see(run.ts);
  for (const tape of day.tape.instruments.values()) {
    see(tape.firstTime);
    see(tape.lastTime);
  }
  return Number.isFinite(first) ? { first, last } : { first: null, last: null };
}

function nonZero<K extends string>(counts: Readonly<Partial<Record<K, number>>>): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const [key, value] of Object.entries(counts) as [K, number | undefined][])
    if (value !== undefined && value > 0) out[key] = value;
  return out;
}

/** Builds the report's figures from the day's data. */
export function buildDailyReport(
  day: DayData,
  registry: Registry,
  options: DailyReportOptions = {},
): DailyReport {
  const pnl = computeDayPnl(day, registry);
  const tca = analyzeDay(day, registry);
  const notes = [...day.notes];
  if (pnl.openingPositions > 0)
    notes.push(
      `${pnl.openingPositions} position(s) were open when the day began: day PnL counts them from the day's first recorded price`,
    );
  if (pnl.refused.length > 0)
    notes.push(
      `${pnl.refused.length} ledger entr${pnl.refused.length === 1 ? 'y was' : 'ies were'} refused on replay and left out of PnL (REPORT_LEDGER_ENTRY_REFUSED; first: ${pnl.refused[0]?.ref} ${pnl.refused[0]?.code})`,
    );
  if (pnl.unmarked.length > 0)
    notes.push(
      `no recorded price for ${pnl.unmarked.join(', ')}: open position(s) marked at average cost (REPORT_NO_MARK)`,
    );
  return {
    date: day.date,
    generatedAt: options.now ?? Date.now() * 1000,
    source: day.source,
    notes,
    coverage: coverageOf(day),
    commands: day.commands,
    fills: day.fills.length,
    orders: strategyOrders(day),
    pnl,
    rejects: rejectRows(day),
    tca: {
      orders: tca.report.orders.length,
      filledOrders: tca.report.orders.filter((o) => o.filledQuantity > 0).length,
      markoutHorizonsMicros: tca.report.markoutHorizonsMicros,
      byStrategy: tca.report.byStrategy,
      byVenue: tca.report.byVenue,
      issues: nonZero(tca.report.counts),
      excluded: nonZero(tca.counts),
    },
    reconciliation: reconciliationSummary(day, options.breaksListed ?? 10),
    incidents: incidentGroups(day, options.incidentsListed ?? 5),
  };
}

// ---- the document ----

const money = (minor: bigint, currency: string): string => formatMoneyMinor(minor, currency);

function pnlTable(rows: readonly PnlRow[], label: string, instrumentColumns: boolean): Table {
  const headers = [label, 'Ccy'];
  if (instrumentColumns) headers.push('Position', 'Mark');
  headers.push('Fills', 'Notional', 'Realized', 'Unrealized', 'Fees', 'Net PnL');
  return {
    headers,
    align: headers.map((_h, i) => (i < 2 ? 'left' : 'right')),
    rows: rows.map((row) => {
      const cells = [row.key, row.currency];
      if (instrumentColumns) cells.push(formatNumber(row.position), formatPrice(row.mark));
      cells.push(
        String(row.fills),
        formatMoney(row.notional),
        money(row.realizedMinor, row.currency),
        money(row.unrealizedMinor, row.currency),
        money(row.feesMinor, row.currency),
        money(row.netMinor, row.currency),
      );
      return cells;
    }),
  };
}

function horizonLabel(micros: number): string {
  const seconds = micros / 1e6;
  return seconds >= 60 && seconds % 60 === 0 ? `${seconds / 60}m` : `${formatNumber(seconds, 3)}s`;
}

export function tcaTable(rows: readonly TcaAggregate[], label: string, horizons: readonly number[]): Table {
  const headers = [
    label,
    'Orders',
    'Filled',
    'Notional',
    'Fees bps',
    'IS decision bps',
    'IS arrival bps',
    'VWAP bps',
    'Spread bps',
    ...horizons.map((h) => `Markout ${horizonLabel(h)}`),
    'IS decision',
  ];
  return {
    headers,
    rows: rows.map((row) => [
      row.key,
      String(row.orders),
      String(row.filledOrders),
      formatMoney(row.notional),
      formatBps(row.feesBps),
      formatBps(row.shortfallDecisionBps),
      formatBps(row.shortfallArrivalBps),
      formatBps(row.vwapSlippageBps),
      formatBps(row.effectiveSpreadBps),
      ...horizons.map((_h, i) => formatBps(row.markoutsBps[i] ?? null)),
      formatMoney(row.shortfallDecisionMoney),
    ]),
  };
}

function chartDecimals(curve: EquityCurve): number {
  const range = curve.high - curve.low;
  return range >= 1000 ? 0 : 2;
}

function equityBlocks(curve: EquityCurve): {
  blocks: ReportBlock[];
  charts: { file: string; svg: string }[];
} {
  const decimals = chartDecimals(curve);
  const format = (value: number): string => formatMoney(value, decimals);
  const equitySvg = lineChartSvg({
    title: `Equity (${curve.currency})`,
    points: curve.points.map((p) => ({ time: p.time, value: p.equity })),
    formatValue: format,
  });
  const drawdownSvg = lineChartSvg({
    title: `Drawdown from the running high (${curve.currency})`,
    points: drawdownSeries(curve.points).map((p) => ({ time: p.time, value: p.equity })),
    formatValue: format,
    color: '#b03a2e',
    shadeToZero: true,
  });
  const equityFile = `equity-${curve.currency}.svg`;
  const drawdownFile = `drawdown-${curve.currency}.svg`;
  const sample =
    curve.sampleMicros >= 1e6
      ? `${formatNumber(curve.sampleMicros / 1e6, 1)} s`
      : `${formatNumber(curve.sampleMicros / 1e3, 0)} ms`;
  return {
    blocks: [
      {
        kind: 'paragraph',
        text: `${curve.currency}: equity ${formatMoney(curve.startEquity)} → ${formatMoney(curve.endEquity)} (${formatMoney(
          curve.endEquity - curve.startEquity,
        )}); high ${formatMoney(curve.high)}, low ${formatMoney(curve.low)}; max drawdown ${formatMoney(curve.maxDrawdown)} (${formatBps(
          curve.maxDrawdownFraction * 10_000,
        )} bps of the high)${curve.maxDrawdownTime === null ? '' : ` at ${formatTime(curve.maxDrawdownTime)} UTC`}. Sampled every ${sample} and at each fill, from fills and recorded marks.`,
      },
      { kind: 'chart', title: `Equity (${curve.currency})`, file: equityFile, svg: equitySvg },
      { kind: 'chart', title: `Drawdown (${curve.currency})`, file: drawdownFile, svg: drawdownSvg },
    ],
    charts: [
      { file: equityFile, svg: equitySvg },
      { file: drawdownFile, svg: drawdownSvg },
    ],
  };
}

function exposureTable(rows: DailyReport['pnl']['exposureByStrategy'], label: string): Table {
  return {
    headers: [label, 'Ccy', 'Positions', 'Long', 'Short', 'Gross', 'Net'],
    align: ['left', 'left', 'right', 'right', 'right', 'right', 'right'],
    rows: rows.map((row) => [
      row.key,
      row.currency,
      String(row.positions),
      formatMoney(row.long),
      formatMoney(row.short),
      formatMoney(row.gross),
      formatMoney(row.net),
    ]),
  };
}

function firstLine(text: string): string {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  return line.length > MESSAGE_CHARS ? `${line.slice(0, MESSAGE_CHARS - 1)}…` : line;
}

/** The report as a document (sections, tables, charts) and the chart files the Markdown refers to. */
export function reportDocument(report: DailyReport): {
  document: ReportDocument;
  charts: readonly { file: string; svg: string }[];
} {
  const { pnl, tca, reconciliation } = report;
  const charts: { file: string; svg: string }[] = [];
  const sections: ReportSection[] = [];
  const alerts = (severity: AlertSeverity): number =>
    report.incidents.find((group) => group.severity === severity)?.count ?? 0;
  const riskDenials = report.rejects.filter((r) => r.source === 'risk').reduce((sum, r) => sum + r.count, 0);
  const venueRejects = report.rejects
    .filter((r) => r.source === 'venue')
    .reduce((sum, r) => sum + r.count, 0);

  // Key figures
  const keyRows: string[][] = [];
  for (const total of pnl.totals) {
    keyRows.push([`Net PnL (${total.currency})`, money(total.netMinor, total.currency)]);
    keyRows.push([
      `Realized / unrealized / fees (${total.currency})`,
      `${money(total.realizedMinor, total.currency)} / ${money(total.unrealizedMinor, total.currency)} / ${money(total.feesMinor, total.currency)}`,
    ]);
  }
  for (const curve of pnl.equity)
    keyRows.push([
      `Max drawdown (${curve.currency})`,
      `${formatMoney(curve.maxDrawdown)} (${formatBps(curve.maxDrawdownFraction * 10_000)} bps)`,
    ]);
  keyRows.push(
    [
      'Orders submitted / cancels / modifies',
      `${report.commands.submit_order} / ${report.commands.cancel_order} / ${report.commands.modify_order}`,
    ],
    ['Fills', String(report.fills)],
    ['Risk denials / venue rejections', `${riskDenials} / ${venueRejects}`],
    ['Alerts critical / warning / info', `${alerts('critical')} / ${alerts('warning')} / ${alerts('info')}`],
    [
      'Reconciliation runs / with breaks / breaks',
      `${reconciliation.runs} / ${reconciliation.withBreaks} / ${reconciliation.breaks}`,
    ],
  );
  const keyBlocks: ReportBlock[] = [
    { kind: 'table', table: { headers: ['Figure', 'Value'], align: ['left', 'right'], rows: keyRows } },
  ];
  if (report.notes.length > 0)
    keyBlocks.push({ kind: 'paragraph', text: 'Notes:' }, { kind: 'list', items: report.notes });
  sections.push({ title: 'Key figures', blocks: keyBlocks });

  // PnL
  const pnlBlocks: ReportBlock[] = [];
  if (pnl.byInstrument.length === 0)
    pnlBlocks.push({ kind: 'paragraph', text: 'No fills and no positions on the day.' });
  else
    pnlBlocks.push(
      {
        kind: 'paragraph',
        text: 'Day PnL: realized on the day, unrealized at the last recorded price of the day, fees paid; net = realized + unrealized − fees. Strategies each keep their own average cost, so their sum can differ from the firm-wide rows when they trade against each other.',
      },
      { kind: 'table', caption: 'By strategy', table: pnlTable(pnl.byStrategy, 'Strategy', false) },
      { kind: 'table', caption: 'By instrument', table: pnlTable(pnl.byInstrument, 'Instrument', true) },
      { kind: 'table', caption: 'By venue', table: pnlTable(pnl.byVenue, 'Venue', false) },
    );
  sections.push({ title: 'PnL', blocks: pnlBlocks });

  // Equity and drawdown
  const equityBlocksAll: ReportBlock[] = [];
  if (pnl.equity.length === 0)
    equityBlocksAll.push({ kind: 'paragraph', text: 'Nothing traded or held on the day: no equity curve.' });
  for (const curve of pnl.equity) {
    const built = equityBlocks(curve);
    equityBlocksAll.push(...built.blocks);
    charts.push(...built.charts);
  }
  sections.push({ title: 'Equity and drawdown', blocks: equityBlocksAll });

  // Risk
  const riskBlocks: ReportBlock[] = [];
  if (pnl.exposureByInstrument.length === 0)
    riskBlocks.push({ kind: 'paragraph', text: 'Flat at the end of the day: no exposure.' });
  else {
    const largest = pnl.largestPosition;
    if (largest !== null)
      riskBlocks.push({
        kind: 'paragraph',
        text: `Largest position: ${largest.instrumentId} ${formatNumber(largest.quantity)} at ${formatPrice(largest.mark)} = ${formatMoney(largest.exposure)} ${largest.currency} (${formatNumber(largest.shareOfGross * 100, 1)} % of gross). Exposure = quantity × last recorded price × multiplier at the end of the day.`,
      });
    riskBlocks.push(
      {
        kind: 'table',
        caption: 'Exposure by strategy',
        table: exposureTable(pnl.exposureByStrategy, 'Strategy'),
      },
      {
        kind: 'table',
        caption: 'Exposure by instrument',
        table: exposureTable(pnl.exposureByInstrument, 'Instrument'),
      },
    );
  }
  sections.push({ title: 'Risk at the close', blocks: riskBlocks });

  // Orders and rejects
  const orderBlocks: ReportBlock[] = [];
  const statuses = [...new Set(report.orders.flatMap((o) => Object.keys(o.byStatus)))].sort();
  if (report.orders.length > 0)
    orderBlocks.push({
      kind: 'table',
      caption: 'Orders by strategy and status',
      table: {
        headers: ['Strategy', 'Orders', 'Fills', ...statuses],
        rows: report.orders.map((o) => [
          o.strategyId,
          String(o.orders),
          String(o.fills),
          ...statuses.map((s) => String(o.byStatus[s] ?? 0)),
        ]),
      },
    });
  if (report.rejects.length === 0)
    orderBlocks.push({ kind: 'paragraph', text: 'No risk denials and no venue rejections.' });
  else
    orderBlocks.push({
      kind: 'table',
      caption: 'Rejects by reason',
      table: {
        headers: ['Source', 'Command', 'Reason', 'Count', 'Strategies', 'Meaning', 'First message'],
        align: ['left', 'left', 'left', 'right', 'left', 'left', 'left'],
        rows: report.rejects.map((r) => [
          r.source,
          r.command,
          r.reason,
          String(r.count),
          r.strategies.join(', '),
          r.description,
          firstLine(r.example),
        ]),
      },
    });
  sections.push({ title: 'Orders and rejects', blocks: orderBlocks });

  // TCA
  const tcaBlocks: ReportBlock[] = [];
  if (tca.orders === 0)
    tcaBlocks.push({ kind: 'paragraph', text: 'No order reached a venue with a price on the tape: no TCA.' });
  else
    tcaBlocks.push(
      {
        kind: 'paragraph',
        text: `${tca.orders} order(s) reached a venue, ${tca.filledOrders} filled. Costs in bps, positive = cost: implementation shortfall (IS) of the average fill price against the mid when the strategy decided and when the order was routed; VWAP of the tape from arrival to the last fill; effective spread against the mid at each fill; markouts after each fill (positive = the market moved in the fill's favour). IS decision is in money, fees excluded.`,
      },
      {
        kind: 'table',
        caption: 'By strategy',
        table: tcaTable(tca.byStrategy, 'Strategy', tca.markoutHorizonsMicros),
      },
      {
        kind: 'table',
        caption: 'By venue',
        table: tcaTable(tca.byVenue, 'Venue', tca.markoutHorizonsMicros),
      },
    );
  const tcaNotes = [
    ...Object.entries(tca.excluded).map(
      ([code, n]) => `${code} × ${n}: ${ReportReasons[code as ReportReasonCode]}`,
    ),
    ...Object.entries(tca.issues).map(([code, n]) => `${code} × ${n}`),
  ];
  if (tcaNotes.length > 0) tcaBlocks.push({ kind: 'list', items: tcaNotes });
  sections.push({ title: 'Execution quality (TCA)', blocks: tcaBlocks });

  // Reconciliation
  const reconBlocks: ReportBlock[] = [];
  if (reconciliation.runs === 0)
    reconBlocks.push({ kind: 'paragraph', text: 'No reconciliation run on the day.' });
  else {
    reconBlocks.push({
      kind: 'paragraph',
      text: `${reconciliation.runs} run(s) from ${formatClock(reconciliation.firstRun ?? 0)} to ${formatClock(reconciliation.lastRun ?? 0)} UTC: ${reconciliation.clean} clean, ${reconciliation.withBreaks} with breaks, ${reconciliation.breaks} break(s) in all.`,
    });
    if (reconciliation.breaks > 0)
      reconBlocks.push(
        {
          kind: 'table',
          caption: 'Breaks by code',
          table: {
            headers: ['Code', 'Count', 'Meaning'],
            align: ['left', 'right', 'left'],
            rows: Object.entries(reconciliation.byCode)
              .sort((a, b) => b[1] - a[1])
              .map(([code, n]) => [code, String(n), describeReason(code)]),
          },
        },
        {
          kind: 'table',
          caption: `First ${reconciliation.listed.length} break(s)`,
          table: {
            headers: ['Time (UTC)', 'Code', 'Venue', 'Message'],
            align: ['left', 'left', 'left', 'left'],
            rows: reconciliation.listed.map((b) => [formatTime(b.ts), b.code, b.venue, firstLine(b.message)]),
          },
        },
      );
  }
  sections.push({ title: 'Reconciliation', blocks: reconBlocks });

  // Incidents
  const incidentBlocks: ReportBlock[] = [];
  if (report.incidents.length === 0)
    incidentBlocks.push({ kind: 'paragraph', text: 'No alerts on the day.' });
  for (const group of report.incidents)
    incidentBlocks.push({
      kind: 'table',
      caption: `${group.severity}: ${group.count} alert(s)${group.count > group.first.length ? `, the first ${group.first.length}` : ''}`,
      table: {
        headers: ['Time (UTC)', 'Code', 'Source', 'Message'],
        align: ['left', 'left', 'left', 'left'],
        rows: group.first.map((a) => [formatTime(a.tsEvent), a.code, a.source, firstLine(a.message)]),
      },
    });
  sections.push({ title: 'Incidents', blocks: incidentBlocks });

  const coverage =
    report.coverage.first === null
      ? 'no activity'
      : `${formatTime(report.coverage.first)} to ${formatTime(report.coverage.last ?? report.coverage.first)} UTC`;
  return {
    document: {
      title: `Daily report ${report.date}`,
      subtitle: [
        `Source: ${describeSource(report.source)}`,
        `Activity: ${coverage}`,
        `Generated ${formatDateTime(report.generatedAt)} UTC`,
      ],
      sections,
    },
    charts,
  };
}

export interface WrittenReport {
  /** Paths written, in order. */
  readonly files: readonly string[];
  /** Why the PDF was not written (Chromium missing or failing); the other formats were. */
  readonly pdfError?: string;
}

/** Writes the report into `outDir` in the given formats: report.md with its SVG charts, report.pdf. */
export async function writeDailyReport(
  report: DailyReport,
  outDir: string,
  formats: readonly ReportFormat[],
  pdfOptions: PdfOptions = {},
): Promise<WrittenReport> {
  mkdirSync(outDir, { recursive: true });
  const { document, charts } = reportDocument(report);
  const files: string[] = [];
  if (formats.includes('md')) {
    for (const chart of charts) {
      const file = join(outDir, chart.file);
      writeFileSync(file, chart.svg + '\n');
      files.push(file);
    }
    const file = join(outDir, 'report.md');
    writeFileSync(file, renderMarkdown(document));
    files.push(file);
  }
  if (formats.includes('pdf')) {
    const file = join(outDir, 'report.pdf');
    try {
      await writePdf(renderHtml(document), file, {
        ...pdfOptions,
        footer: pdfOptions.footer ?? document.title,
      });
      files.push(file);
    } catch (error) {
      return { files, pdfError: error instanceof Error ? error.message : String(error) };
    }
  }
  return { files };
}
