// The risk-breach runbook end to end on the in-process bus with a real kernel (paper venues, risk, OMS, ledger,
// PGlite store) on a simulated clock: a breach alert → kill switch on → the hedger flattens through risk (only
// reduce-only orders pass) → ledger snapshot and incident summary written, with the state before and after, and
// the incident in the store's event log. Also: flattening one strategy by hand, its open orders cancelled first.

import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../common/logging.ts';
import { ControlKeys, Streams } from '../../common/topics.ts';
import type { LedgerSnapshot } from '../../ledger/index.ts';
import type { Alert, StrategyId } from '../../model/index.ts';
import { startBreachRunbook, type IncidentAlert } from './breach.ts';
import { BreachConfigSchema } from './config.ts';
import { AAPL, JPM, MSFT, paperStack, T0, type PaperStack } from './stack.test-support.ts';

const stacks: PaperStack[] = [];
afterEach(async () => {
  for (const s of stacks.splice(0)) await s.close();
});

async function stack(withStore: boolean): Promise<PaperStack> {
  const s = await paperStack(withStore);
  stacks.push(s);
  return s;
}

describe('risk-breach runbook, end to end', () => {
  it('breach alert → kill switch → flatten through risk → ledger snapshot and incident filed, before and after', async () => {
    const { clock, store, kernel, book, hedger, denials } = await stack(true);
    const ledger = kernel.ledger.ledger;
    expect([ledger.quantity(AAPL), ledger.quantity(MSFT), ledger.quantity(JPM)]).toEqual([1500, -200, 100]);
    expect(kernel.oms.openOrders()).toHaveLength(1);

    const incidentDir = join(mkdtempSync(join(tmpdir(), 'hf-home-')), 'runbooks', 'incidents');
    const runbook = startBreachRunbook(kernel.bus, clock, BreachConfigSchema.parse({}), silentLogger, {
      hedger,
      book,
      incidentDir,
      tradingState: () => kernel.risk.state(),
    });
    const alerts: Alert[] = [];
    kernel.bus.subscribe(Streams.alerts, 'test', (a) => void alerts.push(a));

    clock.advanceTo(T0 + 60_000_000);
    const breach: Alert = {
      type: 'alert',
      severity: 'critical',
      code: 'RISK_VAR_LIMIT',
      source: 'risk',
      message: 'portfolio VaR 99 % 1d 250000 USD above its band of 200000 USD',
      tsEvent: clock.now(),
    };
    kernel.bus.publish(Streams.alerts, breach);
    await runbook.idle();
    await kernel.bus.flush();

    // Kill switch on, the resting order cancelled, every position closed by reduce-only orders risk let through.
    expect(kernel.bus.control.get(ControlKeys.killSwitch, 'enabled')).toBe('true');
    expect(kernel.risk.state()).toBe('HALTED');
    expect(kernel.oms.openOrders()).toEqual([]);
    expect([ledger.quantity(AAPL), ledger.quantity(MSFT), ledger.quantity(JPM)]).toEqual([0, 0, 0]);
    for (const p of ledger.strategyPositions())
      expect(p.quantity, `${p.strategyId} ${p.instrumentId}`).toBe(0);
    for (const sum of Object.values(ledger.trialBalance())) expect(sum).toBe(0n);
    expect(denials).toEqual([]);

    const [incident] = runbook.incidents();
    expect(incident).toBeDefined();
    expect(incident!.steps.map((s) => [s.step, s.outcome])).toEqual([
      ['alert', 'done'],
      ['kill switch', 'done'],
      ['hedge', 'done'],
      ['ledger snapshot', 'done'],
    ]);
    // AAPL 1500 in two passes (1000 then 500), MSFT and JPM in the first; all reduce-only IOC limits, filled.
    const orders = incident!.hedge!.orders;
    expect(orders.map((o) => [o.pass, o.strategyId, o.instrumentId, o.side, o.quantity, o.status])).toEqual([
      [1, 'alpha', AAPL, 'sell', 1000, 'filled'],
      [1, 'beta', JPM, 'sell', 100, 'filled'],
      [1, 'alpha', MSFT, 'buy', 200, 'filled'],
      [2, 'alpha', AAPL, 'sell', 500, 'filled'],
    ]);
    for (const o of orders) expect(o.reduceOnly && o.type === 'limit').toBe(true);
    expect(incident!.hedge!.complete).toBe(true);
    expect(incident!.before.killSwitch).toBe(false);
    expect(incident!.before.openOrders).toBe(1);
    expect(incident!.before.positions.map((p) => [p.strategyId, p.instrumentId, p.quantity])).toEqual([
      ['alpha', AAPL, 1500],
      ['alpha', MSFT, -200],
      ['beta', JPM, 100],
    ]);
    expect(incident!.after).toMatchObject({
      killSwitch: true,
      openOrders: 0,
      positions: [],
      firm: {},
      tradingState: 'HALTED',
    });

    // The files: the summary with the state before and after, and the ledger snapshot.
    const text = readFileSync(incident!.files.summary, 'utf8');
    expect(incident!.files.summary).toBe(join(incidentDir, '2024-01-02T09-01-00.000Z.md'));
    expect(text).toContain('# Incident 2024-01-02T09-01-00.000Z: risk breach (RISK_VAR_LIMIT)');
    expect(text).toContain(
      'risk raised RISK_VAR_LIMIT: portfolio VaR 99 % 1d 250000 USD above its band of 200000 USD',
    );
    expect(text).toContain('| kill switch | off | ON |');
    expect(text).toContain('| trading state | ACTIVE | HALTED |');
    expect(text).toContain('| alpha | AAPL.SIM-A | 1500 |');
    expect(text).toContain('### Positions after\n\nNone: flat.');
    const snapshot = JSON.parse(readFileSync(incident!.files.ledgerSnapshot!, 'utf8')) as LedgerSnapshot;
    expect(snapshot.positions[AAPL]!.quantity).toBe(0);
    expect(snapshot).toEqual(JSON.parse(JSON.stringify(ledger.snapshot())) as LedgerSnapshot);

    // On the bus, and through the kernel's audit in the store's event log with the whole summary.
    expect(alerts.map((a) => a.code)).toEqual(
      expect.arrayContaining([
        'RISK_VAR_LIMIT',
        'RUNBOOK_RISK_BREACH',
        'OPS_KILL_SWITCH_ON',
        'RUNBOOK_INCIDENT',
      ]),
    );
    await kernel.bus.flush();
    const logged = (await store!.loadEvents(Streams.alerts)).map((e) => e.message);
    const filed = logged.find((a) => a.code === 'RUNBOOK_INCIDENT') as IncidentAlert | undefined;
    expect(filed?.incident.id).toBe('2024-01-02T09-01-00.000Z');
    expect(filed?.incident.before.positions).toHaveLength(3);
    expect(filed?.incident.after.positions).toEqual([]);
    expect(logged.some((a) => a.code === 'RUNBOOK_RISK_BREACH' && a.message.includes('RISK_VAR_LIMIT'))).toBe(
      true,
    );
    expect(existsSync(join(incidentDir, '2024-01-02T09-01-00.000Z.ledger.json'))).toBe(true);
  });

  it('denies new exposure while the kill switch is on and counts repeated breaches in the cooldown', async () => {
    const { clock, kernel, book, hedger, denials, submit } = await stack(false);
    const incidentDir = join(mkdtempSync(join(tmpdir(), 'hf-home-')), 'runbooks', 'incidents');
    const runbook = startBreachRunbook(
      kernel.bus,
      clock,
      BreachConfigSchema.parse({ hedge: 'none', snapshot: false }),
      silentLogger,
      { hedger, book, incidentDir },
    );
    const breach = (code: string, severity: Alert['severity'], source = 'risk'): void =>
      kernel.bus.publish(Streams.alerts, {
        type: 'alert',
        severity,
        code,
        source,
        message: 'x',
        tsEvent: clock.now(),
      });
    breach('RISK_DRAWDOWN_BAND', 'warning');
    await runbook.idle();
    expect(runbook.incidents()).toHaveLength(1);
    expect(kernel.bus.control.get(ControlKeys.killSwitch, 'enabled')).toBe('true');
    // Within the cooldown: counted, not run again. Not breaches: info below minSeverity, our own sources.
    breach('RISK_VAR_LIMIT', 'critical');
    breach('RISK_VAR_LIMIT', 'info');
    breach('RISK_VAR_NO_HISTORY', 'warning');
    breach('RISK_VAR_MODEL', 'warning');
    breach('RISK_ANYTHING', 'critical', 'insights');
    await runbook.idle();
    expect(runbook.stats()).toMatchObject({ breaches: 1, incidents: 1, suppressed: 1 });
    const alert = (code: string, severity: Alert['severity'], source = 'risk'): Alert => ({
      type: 'alert',
      severity,
      code,
      source,
      message: '',
      tsEvent: 0,
    });
    expect(runbook.isBreach(alert('RISK_DRAWDOWN_INTRADAY', 'warning'))).toBe(true);
    expect(runbook.isBreach(alert('ANY_CODE', 'critical', 'risk'))).toBe(true);
    expect(runbook.isBreach(alert('ANY_CODE', 'critical', 'oms'))).toBe(false);
    expect(runbook.isBreach(alert('RISK_VAR_NO_HISTORY', 'warning'))).toBe(false);
    // Positions untouched (hedge: none), and a new buy is denied by the kill switch.
    expect(kernel.ledger.ledger.quantity(AAPL)).toBe(1500);
    submit('alpha', AAPL, 'buy', 10);
    await kernel.bus.flush();
    expect(denials.map((d) => d.reason)).toEqual(['RISK_KILL_SWITCH']);
    const text = readFileSync(runbook.incidents()[0]!.files.summary, 'utf8');
    expect(text).toContain('| hedge | skipped | policy: no hedge |');
  });
});

describe('hf hedge flatten by hand: one strategy', () => {
  it("cancels the strategy's open orders, then flattens it alone, without the kill switch", async () => {
    const { kernel, hedger } = await stack(false);
    const result = await hedger.flatten({ strategy: 'beta' });
    expect(result.canceled).toBe(1);
    expect(result.orders.map((o) => [o.strategyId, o.instrumentId, o.side, o.quantity, o.status])).toEqual([
      ['beta', JPM, 'sell', 100, 'filled'],
    ]);
    // Limit 50 bps through the mark (the mid 150.02): 150.02 × 0.995 = 149.2699 → 149.26; filled at the bid, 150.
    expect(result.orders[0]!.price).toBe(149.26);
    expect(result.orders[0]!.averagePrice).toBe(150);
    expect(result.complete).toBe(true);
    expect(kernel.bus.control.get(ControlKeys.killSwitch, 'enabled')).toBeUndefined();
    expect(kernel.ledger.ledger.strategyQuantity('beta' as StrategyId, JPM)).toBe(0);
    expect(kernel.ledger.ledger.quantity(AAPL)).toBe(1500);
    expect(kernel.oms.openOrders()).toEqual([]);
    expect(hedger.stats()).toMatchObject({ runs: 1, ordersSubmitted: 1, ordersFilled: 1, cancelsSent: 1 });
  });
});
