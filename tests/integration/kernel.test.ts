// The whole embedded stack through the kernel on a simulated clock: strategies → risk → OMS → paper
// venues → ledger, then reconciliation. Also: a user strategy file, a strategy that throws, bad orders.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/common/clock.ts';
import { Streams } from '../../src/common/topics.ts';
import { Kernel } from '../../src/kernel/kernel.ts';
import { SyntheticMarket } from '../../src/marketdata/index.ts';
import type { Alert, OrderDenied } from '../../src/model/index.ts';
import { buildApi } from '../../src/services/api.ts';
import { PgliteStore } from '../../src/store/pglite.ts';
import { Ledger } from '../../src/ledger/index.ts';
import { ROOT } from '../helpers.ts';

const CONFIGS = join(ROOT, 'configs');
const T0 = 1_704_153_600_000_000;

async function drive(kernel: Kernel, clock: SimulatedClock, seed: number, messages: number): Promise<void> {
  const market = new SyntheticMarket({
    registry: kernel.registry,
    seed,
    startTime: clock.now(),
    stepMicros: 50_000,
  });
  for (let i = 0; i < messages; i++) {
    const m = market.next();
    clock.advanceTo(m.tsEvent);
    kernel.publishMarketData(m);
  }
  await kernel.bus.flush();
}

describe('kernel: the embedded stack end to end on a simulated clock', () => {
  it('trades, books every fill exactly once, balances, and reconciles clean with the venues', async () => {
    const clock = new SimulatedClock(T0);
    const store = await PgliteStore.open();
    const kernel = await Kernel.create({ mode: 'paper', configDir: CONFIGS, clock, seed: 3, store });
    const startup = await kernel.start();
    expect(startup.breaks).toEqual([]);
    await drive(kernel, clock, 3, 60_000);

    const fills = [...kernel.oms.allOrders()].flatMap((o) => o.fills);
    expect(fills.length).toBeGreaterThan(50);
    const ids = new Set(fills.map((f) => `${f.venue}|${f.tradeId}`));
    expect(ids.size).toBe(fills.length);
    // Every strategy traded.
    for (const s of kernel.strategies.status()) expect(s.submitted, s.id).toBeGreaterThan(0);

    const ledger = kernel.ledger.ledger;
    for (const [currency, sum] of Object.entries(ledger.trialBalance())) expect(sum, currency).toBe(0n);
    // Ledger positions = signed sum of the OMS's fills = the venues' positions.
    const fromFills = new Map<string, number>();
    for (const f of fills)
      fromFills.set(
        f.instrumentId,
        Math.round(
          ((fromFills.get(f.instrumentId) ?? 0) + (f.side === 'buy' ? 1 : -1) * f.lastQuantity) * 1e8,
        ) / 1e8,
      );
    for (const [id, q] of fromFills) expect(ledger.quantity(id as never), id).toBe(q);
    const report = await kernel.reconcile();
    expect(report.breaks).toEqual([]);
    expect(report.fillsChecked).toBe(fills.length);

    // The store holds the same ledger: rebuilt from its entries it is identical.
    await kernel.stop();
    const rebuilt = Ledger.replay(await store.loadLedgerEntries(), kernel.registry);
    expect(rebuilt.snapshot()).toEqual(ledger.snapshot());
    await store.close();
  });

  it('with retention, releases closed orders from memory and still reconciles clean; the store keeps every order', async () => {
    const clock = new SimulatedClock(T0);
    const store = await PgliteStore.open();
    const kernel = await Kernel.create({
      mode: 'paper',
      configDir: CONFIGS,
      clock,
      seed: 3,
      store,
      retention: { closedOrdersMicros: 60_000_000, maxClosedOrders: 100_000, idsMicros: 3_600_000_000 },
    });
    await kernel.start();
    const market = new SyntheticMarket({
      registry: kernel.registry,
      seed: 3,
      startTime: clock.now(),
      stepMicros: 50_000,
    });
    // 50 simulated minutes, written to the store every simulated 10 s (the services write every 250 ms).
    for (let i = 0; i < 60_000; i++) {
      const m = market.next();
      clock.advanceTo(m.tsEvent);
      kernel.publishMarketData(m);
      if (i % 200 === 199) {
        await kernel.bus.flush();
        await kernel.persist();
      }
    }
    await kernel.bus.flush();
    await kernel.persist();

    const released = kernel.oms.counters.releasedOrders;
    expect(released).toBeGreaterThan(50);
    const held = kernel.oms.retained();
    const stored = await store.loadOrders();
    expect(held.orders + released).toBe(stored.length);
    const storedFills = (await store.loadLedgerEntries()).filter((e) => e.kind === 'fill');
    const ledger = kernel.ledger.ledger;
    for (const [currency, sum] of Object.entries(ledger.trialBalance())) expect(sum, currency).toBe(0n);
    // The venues still report every order and fill of the session; the released ones are not breaks.
    const report = await kernel.reconcile();
    expect(report.breaks).toEqual([]);
    expect(report.beyondRetention).toBeGreaterThan(released);
    expect(report.fillsChecked + report.beyondRetention).toBeGreaterThanOrEqual(storedFills.length);
    // The API still lists every order and fill (the released ones from the store) and answers for one.
    const api = buildApi(kernel, { allowControl: false, access: { mode: 'internal' } });
    const orders = (await api.inject({ url: '/api/orders?status=all&limit=10000' })).json<unknown[]>();
    expect(orders).toHaveLength(stored.length);
    const fillsListed = (await api.inject({ url: '/api/fills?limit=10000' })).json<unknown[]>();
    expect(fillsListed).toHaveLength(storedFills.length);
    const releasedId = stored.find((o) => kernel.oms.isReleased(o.clientOrderId))?.clientOrderId;
    expect(releasedId).toBeDefined();
    const one = await api.inject({ url: `/api/orders/${encodeURIComponent(String(releasedId))}` });
    expect(one.statusCode).toBe(200);
    expect(one.json<{ clientOrderId: string }>().clientOrderId).toBe(releasedId);
    await api.close();
    await kernel.stop();
    await store.close();
  });

  it('runs a user strategy file, stops a strategy that throws and lets the others go on, denies bad orders', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hf-user-strategy-'));
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    const file = join(dir, 'bad-orders.ts');
    writeFileSync(
      file,
      `import { Strategy } from ${JSON.stringify(join(ROOT, 'src/strategy/index.ts'))};
import type { Tick } from ${JSON.stringify(join(ROOT, 'src/model/index.ts'))};
export default class BadOrders extends Strategy {
  private n = 0;
  override onTick(tick: Tick): void {
    if (tick.type !== 'quote' || tick.instrumentId !== 'JPM.SIM-A') return;
    this.n++;
    if (this.n === 1) this.submit({ instrumentId: tick.instrumentId, side: 'buy', quantity: Number.NaN });
    if (this.n === 2) this.submit({ instrumentId: tick.instrumentId, side: 'buy', quantity: 10, type: 'limit', price: tick.bid + 0.001 });
    if (this.n === 3) this.submit({ instrumentId: 'NOPE.SIM-A' as never, side: 'buy', quantity: 10 });
    if (this.n === 4) this.submit({ instrumentId: tick.instrumentId, side: 'buy', quantity: -5 });
    if (this.n === 5) throw new Error('strategy bug');
    if (this.n > 5) this.submit({ instrumentId: tick.instrumentId, side: 'buy', quantity: 1 });
  }
}
`,
    );
    const clock = new SimulatedClock(T0);
    const kernel = await Kernel.create({
      mode: 'paper',
      configDir: CONFIGS,
      clock,
      seed: 5,
      strategiesBaseDir: dir,
      strategies: {
        strategies: [
          { id: 'user-bad', strategy: './bad-orders.ts', enabled: true, instruments: [], params: {} },
          {
            id: 'arb-aapl',
            strategy: 'cross-venue-arb',
            enabled: true,
            instruments: [],
            params: { symbol: 'AAPL', venues: ['SIM-A', 'SIM-B'] },
          },
        ],
      },
    });
    const denied: OrderDenied[] = [];
    const alerts: Alert[] = [];
    kernel.bus.subscribe(Streams.ordersRejected, 'test', (d) => void denied.push(d));
    kernel.bus.subscribe(Streams.alerts, 'test', (a) => void alerts.push(a));
    await kernel.start();
    await drive(kernel, clock, 5, 40_000);

    expect(denied.filter((d) => d.strategyId === 'user-bad').map((d) => d.reason)).toEqual([
      'RISK_INVALID_QUANTITY',
      'RISK_PRICE_TICK',
      'RISK_UNKNOWN_INSTRUMENT',
      'RISK_INVALID_QUANTITY',
    ]);
    const status = Object.fromEntries(kernel.strategies.status().map((s) => [s.id, s]));
    expect(status['user-bad']!.running).toBe(false);
    expect(status['user-bad']!.lastError).toContain('strategy bug');
    expect(status['user-bad']!.submitted).toBe(4);
    expect(alerts.some((a) => a.code === 'OPS_STRATEGY_ERROR' && a.message.includes('user-bad'))).toBe(true);
    // The other strategy kept trading after the failure.
    expect(status['arb-aapl']!.running).toBe(true);
    expect(status['arb-aapl']!.fills).toBeGreaterThan(0);
    for (const sum of Object.values(kernel.ledger.ledger.trialBalance())) expect(sum).toBe(0n);
    await kernel.stop();
  });

  it('refuses a .ts strategy file outside an ES module scope, saying how to fix it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hf-user-strategy-'));
    writeFileSync(join(dir, 'loose.ts'), 'export const answer = 42;\n');
    await expect(
      Kernel.create({
        mode: 'paper',
        configDir: CONFIGS,
        clock: new SimulatedClock(T0),
        strategiesBaseDir: dir,
        strategies: {
          strategies: [{ id: 'x', strategy: './loose.ts', enabled: true, instruments: [], params: {} }],
        },
      }),
    ).rejects.toThrow(/loose\.ts is not in an ES module scope: name it \.mts/);
  });

  it('refuses a strategy file that exports no Strategy, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hf-user-strategy-'));
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(join(dir, 'nothing.ts'), 'export const answer = 42;\n');
    await expect(
      Kernel.create({
        mode: 'paper',
        configDir: CONFIGS,
        clock: new SimulatedClock(T0),
        strategiesBaseDir: dir,
        strategies: {
          strategies: [{ id: 'x', strategy: './nothing.ts', enabled: true, instruments: [], params: {} }],
        },
      }),
    ).rejects.toThrow(/nothing\.ts does not export a Strategy subclass/);
  });
});

describe('kernel: audit trail', () => {
  it('logs alerts and risk denials to the store and mirrors the control state', async () => {
    const clock = new SimulatedClock(T0);
    const store = await PgliteStore.open();
    const kernel = await Kernel.create({ mode: 'paper', configDir: CONFIGS, clock, seed: 4, store });
    await kernel.start();
    await kernel.bus.control.set('policy:kill_switch', 'enabled', 'true');
    await drive(kernel, clock, 4, 20_000);
    await kernel.stop();
    const alerts = await store.loadEvents(Streams.alerts);
    expect(alerts.map((e) => e.message.code)).toContain('OPS_KILL_SWITCH_ON');
    const denials = await store.loadEvents(Streams.ordersRejected);
    expect(denials.length).toBeGreaterThan(0);
    expect(new Set(denials.map((e) => e.message.reason))).toEqual(new Set(['RISK_KILL_SWITCH']));
    expect((await store.loadControl())['policy:kill_switch']).toEqual({ enabled: 'true' });
    await store.close();
  });
});
