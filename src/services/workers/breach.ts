// The risk-breach runbook as code (RUNBOOK.md §6.3): on a breach alert, alert, engage the kill switch, run the
// hedger (flatten everything, or delta-hedge the options books), snapshot the ledger and file an incident summary
// with what happened, what was done and the state before and after.
//
// Boundary (group 'breach'): subscribes alerts; publishes alerts (RUNBOOK_RISK_BREACH when it starts, and
// RUNBOOK_INCIDENT carrying the whole summary, which the kernel's audit writes to the store's event log);
// control policy:kill_switch. Files: <incidentDir>/<timestamp>.md and <timestamp>.ledger.json.
//
// A breach: an alert whose code is in `codes` or starts with one of `codePrefixes` (at `minSeverity` or above),
// or any critical alert from one of `criticalSources`. Alerts from the runbook, the hedger and the insights worker
// never are. While a runbook runs, and for `cooldownSeconds` after its incident is filed, further breach alerts
// are counted, not acted on. Each step runs even when an earlier one failed; failures are in the incident.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bus, Subscription } from '../../common/bus.ts';
import type { Clock } from '../../common/clock.ts';
import type { Logger } from '../../common/logging.ts';
import { ControlKeys, Streams } from '../../common/topics.ts';
import type { LedgerSnapshot } from '../../ledger/index.ts';
import { currencyDecimals, formatMinor, type Alert, type AlertSeverity } from '../../model/index.ts';
import type { BookView } from './book.ts';
import type { BreachConfig } from './config.ts';
import type { Hedger, HedgeResult } from './hedger.ts';
import type { WorkerReasonCode } from './reasons.ts';

export interface IncidentPosition {
  readonly strategyId: string;
  readonly instrumentId: string;
  readonly quantity: number;
  readonly averagePrice: number;
  readonly mark: number | null;
  readonly unrealized: number | null;
}

export interface IncidentState {
  readonly ts: number;
  readonly killSwitch: boolean;
  /** Open orders, when this process keeps the order book. */
  readonly openOrders: number | null;
  /** Non-zero strategy positions. */
  readonly positions: readonly IncidentPosition[];
  /** Non-zero firm-wide positions by instrument. */
  readonly firm: Readonly<Record<string, number>>;
  /** Ledger cash balances by currency, exact decimal strings. */
  readonly cash: Readonly<Record<string, string>>;
  /** The trading state as risk reports it, when known here. */
  readonly tradingState: string | null;
}

export interface IncidentStep {
  readonly ts: number;
  readonly step: 'alert' | 'kill switch' | 'hedge' | 'ledger snapshot';
  readonly outcome: 'done' | 'skipped' | 'failed';
  readonly detail: string;
}

export interface IncidentSummary {
  /** The file stem: the opening time, e.g. `2024-01-02T09-30-00.000Z`. */
  readonly id: string;
  readonly reason: string;
  readonly trigger: Alert;
  readonly policy: Pick<BreachConfig, 'killSwitch' | 'hedge' | 'snapshot'>;
  readonly openedAt: number;
  readonly closedAt: number;
  readonly steps: readonly IncidentStep[];
  readonly hedge: HedgeResult | null;
  readonly before: IncidentState;
  readonly after: IncidentState;
  readonly files: { readonly summary: string; readonly ledgerSnapshot: string | null };
}

/** The alert that files an incident: the whole summary rides along for the event log. */
export interface IncidentAlert extends Alert {
  readonly incident: IncidentSummary;
}

export interface BreachStats {
  readonly breaches: number;
  readonly incidents: number;
  /** Breach alerts while a runbook ran or during the cooldown. */
  readonly suppressed: number;
  readonly stepFailures: number;
  readonly running: boolean;
}

export interface BreachRunbook {
  stop(): void;
  stats(): BreachStats;
  /** Whether an alert is a breach under the configured policy. */
  isBreach(alert: Alert): boolean;
  /**
   * Runs the runbook now for `trigger` (a manual run too: `hf hedge flatten --runbook`); resolves with the filed
   * incident, or undefined when a runbook is already running.
   */
  trigger(trigger: Alert, reason?: string): Promise<IncidentSummary | undefined>;
  /** Resolves when no runbook is running. */
  idle(): Promise<void>;
  /** The incidents filed by this process, newest last (at most 20). */
  incidents(): readonly IncidentSummary[];
}

export interface BreachRunbookOptions {
  readonly hedger: Hedger;
  readonly book: BookView;
  /** `<platform home>/runbooks/incidents`. */
  readonly incidentDir: string;
  /** The trading state (e.g. the risk engine's), for the before / after picture. */
  readonly tradingState?: () => string;
  readonly group?: string;
}

const SEVERITY_RANK: Readonly<Record<AlertSeverity, number>> = { info: 0, warning: 1, critical: 2 };
const OWN_SOURCES = new Set(['breach', 'hedger', 'insights']);
const KEPT = 20;

export function startBreachRunbook(
  bus: Bus,
  clock: Clock,
  config: BreachConfig,
  logger: Logger,
  options: BreachRunbookOptions,
): BreachRunbook {
  const log = logger.child('breach');
  const book = options.book;
  const codes = new Set(config.codes);
  const filed: IncidentSummary[] = [];
  let breaches = 0;
  let suppressed = 0;
  let stepFailures = 0;
  let running: Promise<IncidentSummary> | undefined;
  let cooldownUntil = Number.NEGATIVE_INFINITY;
  let lastId = '';

  const isBreach = (alert: Alert): boolean => {
    if (typeof alert !== 'object' || alert === null || typeof alert.code !== 'string') return false;
    if (OWN_SOURCES.has(alert.source)) return false;
    if (alert.severity === 'critical' && config.criticalSources.includes(alert.source)) return true;
    const rank = SEVERITY_RANK[alert.severity] ?? -1;
    if (rank < SEVERITY_RANK[config.minSeverity]) return false;
    return codes.has(alert.code) || config.codePrefixes.some((p) => alert.code.startsWith(p));
  };

  const publishAlert = (severity: AlertSeverity, code: WorkerReasonCode, message: string): void => {
    bus.publish(Streams.alerts, {
      type: 'alert',
      severity,
      code,
      source: 'breach',
      message,
      tsEvent: clock.now(),
    });
  };

  const capture = (): IncidentState => {
    const positions: IncidentPosition[] = [];
    const firm: Record<string, number> = {};
    for (const p of book.strategyPositions()) {
      if (p.quantity === 0) continue;
      positions.push({
        strategyId: p.strategyId,
        instrumentId: p.instrumentId,
        quantity: p.quantity,
        averagePrice: p.averagePrice,
        mark: p.mark ?? null,
        unrealized: p.unrealized ?? null,
      });
      if (!(p.instrumentId in firm)) {
        const q = book.firmQuantity(p.instrumentId);
        if (q !== 0) firm[p.instrumentId] = q;
      }
    }
    const cash: Record<string, string> = {};
    const snapshot = safely(() => book.ledgerSnapshot?.());
    for (const [account, balance] of Object.entries(snapshot?.balances ?? {}))
      if (account.startsWith('cash:'))
        cash[balance.currency] = formatMinor(BigInt(balance.amountMinor), currencyDecimals(balance.currency));
    return {
      ts: clock.now(),
      killSwitch: bus.control.get(ControlKeys.killSwitch, 'enabled') === 'true',
      openOrders: book.openOrders ? book.openOrders().length : null,
      positions,
      firm,
      cash,
      tradingState: options.tradingState ? (safely(options.tradingState) ?? null) : null,
    };
  };

  const run = async (trigger: Alert, reason: string): Promise<IncidentSummary> => {
    const openedAt = clock.now();
    let id = stamp(openedAt);
    if (id === lastId || existsSync(join(options.incidentDir, `${id}.md`))) {
      let n = 2;
      while (existsSync(join(options.incidentDir, `${id}-${n}.md`)) || `${id}-${n}` === lastId) n++;
      id = `${id}-${n}`;
    }
    lastId = id;
    const steps: IncidentStep[] = [];
    const step = (name: IncidentStep['step'], outcome: IncidentStep['outcome'], detail: string): void => {
      steps.push({ ts: clock.now(), step: name, outcome, detail });
      if (outcome === 'failed') {
        stepFailures++;
        log.error(`runbook step failed: ${name}`, { detail });
        publishAlert('critical', 'RUNBOOK_STEP_FAILED', `incident ${id}: ${name} failed: ${detail}`);
      }
    };
    const before = capture();
    const plan = `kill switch ${config.killSwitch ? 'on' : 'untouched'}, hedge ${config.hedge}, ledger snapshot ${config.snapshot ? 'yes' : 'no'}`;
    const message = `${reason}: ${trigger.code} from ${trigger.source}: ${trigger.message}; runbook: ${plan}`;
    log.error(message, { incident: id });
    publishAlert('critical', 'RUNBOOK_RISK_BREACH', message);
    step('alert', 'done', 'RUNBOOK_RISK_BREACH published on alerts');

    if (!config.killSwitch) step('kill switch', 'skipped', 'policy leaves the kill switch alone');
    else if (before.killSwitch) step('kill switch', 'skipped', 'already engaged');
    else
      try {
        await bus.control.set(ControlKeys.killSwitch, 'enabled', 'true');
        step(
          'kill switch',
          'done',
          `${ControlKeys.killSwitch} enabled = true: open orders cancelled, only risk-reducing orders pass`,
        );
      } catch (error) {
        step('kill switch', 'failed', String(error));
      }

    let hedge: HedgeResult | null = null;
    if (config.hedge === 'none') step('hedge', 'skipped', 'policy: no hedge');
    else
      try {
        hedge =
          config.hedge === 'flatten' ? await options.hedger.flatten() : await options.hedger.deltaHedge();
        const filled = hedge.orders.filter((o) => o.filledQuantity > 0).length;
        step(
          'hedge',
          hedge.complete ? 'done' : 'failed',
          `${config.hedge}: ${hedge.orders.length} order(s) in ${hedge.passes} pass(es), ${filled} filled; ${hedge.complete ? 'complete' : `not complete: ${hedge.residual.length} position(s) open`}`,
        );
      } catch (error) {
        step('hedge', 'failed', String(error));
      }

    mkdirSync(options.incidentDir, { recursive: true });
    let ledgerFile: string | null = null;
    if (!config.snapshot) step('ledger snapshot', 'skipped', 'policy: no snapshot');
    else if (!book.ledgerSnapshot) step('ledger snapshot', 'skipped', 'no ledger in this process');
    else
      try {
        const snapshot: LedgerSnapshot = book.ledgerSnapshot();
        ledgerFile = join(options.incidentDir, `${id}.ledger.json`);
        writeFileSync(ledgerFile, JSON.stringify(snapshot, null, 2) + '\n');
        step('ledger snapshot', 'done', `${snapshot.journals.length} journal(s) written to ${ledgerFile}`);
      } catch (error) {
        ledgerFile = null;
        step('ledger snapshot', 'failed', String(error));
      }

    const after = capture();
    const summaryFile = join(options.incidentDir, `${id}.md`);
    const incident: IncidentSummary = {
      id,
      reason,
      trigger,
      policy: { killSwitch: config.killSwitch, hedge: config.hedge, snapshot: config.snapshot },
      openedAt,
      closedAt: clock.now(),
      steps,
      hedge,
      before,
      after,
      files: { summary: summaryFile, ledgerSnapshot: ledgerFile },
    };
    try {
      writeFileSync(summaryFile, renderIncident(incident));
    } catch (error) {
      log.error('incident summary not written', { file: summaryFile, error: String(error) });
    }
    const outcome = after.positions.length === 0 ? 'flat' : `${after.positions.length} position(s) open`;
    const alert: IncidentAlert = {
      type: 'alert',
      severity: 'info',
      code: 'RUNBOOK_INCIDENT',
      source: 'breach',
      message: `incident ${id} filed (${trigger.code}): ${outcome}, kill switch ${after.killSwitch ? 'on' : 'off'}; ${summaryFile}`,
      tsEvent: clock.now(),
      incident,
    };
    bus.publish(Streams.alerts, alert);
    filed.push(incident);
    if (filed.length > KEPT) filed.shift();
    cooldownUntil = clock.now() + config.cooldownSeconds * 1_000_000;
    log.info('incident filed', { incident: id, file: summaryFile });
    return incident;
  };

  const trigger = (alert: Alert, reason = 'risk breach'): Promise<IncidentSummary | undefined> => {
    if (running) {
      suppressed++;
      return Promise.resolve(undefined);
    }
    breaches++;
    const current = run(alert, reason);
    running = current;
    const clear = (): void => {
      if (running === current) running = undefined;
    };
    current.then(clear, (error: unknown) => {
      clear();
      log.error('runbook failed', { error: String(error) });
    });
    return current;
  };

  const subscription: Subscription = bus.subscribe(Streams.alerts, options.group ?? 'breach', (alert) => {
    if (!isBreach(alert)) return;
    if (running || clock.now() < cooldownUntil) {
      suppressed++;
      return;
    }
    // Not returned to the bus: the runbook waits on the bus itself (orders, fills), and in-process delivery
    // would wait on it in turn.
    trigger(alert).catch(() => undefined);
  });
  log.info('risk-breach runbook armed', {
    codes: config.codes,
    prefixes: config.codePrefixes,
    hedge: config.hedge,
  });

  return {
    stop: () => subscription.unsubscribe(),
    stats: () => ({
      breaches,
      incidents: filed.length,
      suppressed,
      stepFailures,
      running: running !== undefined,
    }),
    isBreach,
    trigger,
    idle: async () => {
      while (running) await running.catch(() => undefined);
    },
    incidents: () => filed.slice(),
  };
}

function safely<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** Unix µs → `2024-01-02T09-30-00.000Z` (a file name on every system). */
function stamp(ts: number): string {
  return new Date(Math.floor(ts / 1000)).toISOString().replace(/:/g, '-');
}

function time(ts: number): string {
  return new Date(Math.floor(ts / 1000)).toISOString().replace('T', ' ').replace('Z', ' UTC');
}

type Cell = string | number | boolean | null | undefined;

function cell(value: Cell): string {
  if (value === null || value === undefined) return '—';
  return String(value).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function row(values: readonly Cell[]): string {
  return `| ${values.map(cell).join(' | ')} |`;
}

/** A price without binary noise (100.00999999999999 → 100.01). */
function price(value: number | null | undefined): string | undefined {
  return value === null || value === undefined ? undefined : String(Number(value.toFixed(8)));
}

function amount(value: number | null): string {
  return value === null ? '—' : value.toFixed(2);
}

function positionTable(positions: readonly IncidentPosition[]): string[] {
  if (positions.length === 0) return ['None: flat.'];
  return [
    row(['strategy', 'instrument', 'quantity', 'average price', 'mark', 'unrealized']),
    row(['---', '---', '---:', '---:', '---:', '---:']),
    ...positions.map((p) =>
      row([
        p.strategyId,
        p.instrumentId,
        p.quantity,
        price(p.averagePrice),
        price(p.mark),
        amount(p.unrealized),
      ]),
    ),
  ];
}

/** The incident summary as Markdown. */
export function renderIncident(incident: IncidentSummary): string {
  const { before, after, hedge } = incident;
  const lines: string[] = [
    `# Incident ${incident.id}: ${incident.reason} (${incident.trigger.code})`,
    '',
    `- Opened: ${time(incident.openedAt)}; closed: ${time(incident.closedAt)}`,
    `- Trigger: ${incident.trigger.severity} alert ${incident.trigger.code} from ${incident.trigger.source}`,
    `- Policy: kill switch ${incident.policy.killSwitch ? 'on' : 'untouched'}, hedge ${incident.policy.hedge}, ledger snapshot ${incident.policy.snapshot ? 'yes' : 'no'}`,
    `- Outcome: ${after.positions.length === 0 ? 'flat' : `${after.positions.length} position(s) still open`}; kill switch ${after.killSwitch ? 'ON' : 'off'}`,
    '',
    '## What happened',
    '',
    `${time(incident.trigger.tsEvent)}: ${incident.trigger.source} raised ${incident.trigger.code}: ${incident.trigger.message}`,
    '',
    '## What was done',
    '',
    row(['time', 'step', 'outcome', 'detail']),
    row(['---', '---', '---', '---']),
    ...incident.steps.map((s) => row([time(s.ts), s.step, s.outcome, s.detail])),
    '',
  ];
  if (hedge) {
    lines.push(`### Hedge orders (${hedge.mode}, scope ${hedge.scope})`, '');
    if (hedge.canceled > 0) lines.push(`${hedge.canceled} open order(s) of the scope cancelled first.`, '');
    if (hedge.orders.length === 0) lines.push('No order was needed.', '');
    else
      lines.push(
        row([
          'pass',
          'order',
          'strategy',
          'instrument',
          'side',
          'quantity',
          'type',
          'limit',
          'status',
          'filled',
          'average price',
          'reason',
        ]),
        row(['---:', '---', '---', '---', '---', '---:', '---', '---:', '---', '---:', '---:', '---']),
        ...hedge.orders.map((o) =>
          row([
            o.pass,
            o.clientOrderId,
            o.strategyId,
            o.instrumentId,
            o.side,
            o.quantity,
            o.type,
            price(o.price),
            o.status,
            o.filledQuantity,
            price(o.averagePrice),
            o.reason,
          ]),
        ),
        '',
      );
    for (const [title, list] of [
      ['Not traded: netted against other strategies', hedge.netted],
      ['Not traded: skipped', hedge.skipped],
    ] as const)
      if (list.length > 0)
        lines.push(
          `${title}:`,
          '',
          ...list.map((n) => `- ${n.strategyId} ${n.instrumentId} ${n.quantity}: ${n.reason}`),
          '',
        );
  }
  const currencies = [...new Set([...Object.keys(before.cash), ...Object.keys(after.cash)])].sort();
  lines.push(
    '## State before and after',
    '',
    row(['', `before (${time(before.ts)})`, `after (${time(after.ts)})`]),
    row(['---', '---', '---']),
    row(['kill switch', before.killSwitch ? 'ON' : 'off', after.killSwitch ? 'ON' : 'off']),
    row(['trading state', before.tradingState, after.tradingState]),
    row(['open orders', before.openOrders, after.openOrders]),
    row(['strategy positions', before.positions.length, after.positions.length]),
    row([
      'firm positions',
      Object.entries(before.firm)
        .map(([i, q]) => `${i} ${q}`)
        .join(', ') || 'flat',
      Object.entries(after.firm)
        .map(([i, q]) => `${i} ${q}`)
        .join(', ') || 'flat',
    ]),
    ...currencies.map((c) => row([`cash ${c}`, before.cash[c], after.cash[c]])),
    '',
    '### Positions before',
    '',
    ...positionTable(before.positions),
    '',
    '### Positions after',
    '',
    ...positionTable(after.positions),
    '',
    '## Files',
    '',
    `- This summary: ${incident.files.summary}`,
    `- Ledger snapshot: ${incident.files.ledgerSnapshot ?? 'not written'}`,
    '',
  );
  return lines.join('\n');
}
