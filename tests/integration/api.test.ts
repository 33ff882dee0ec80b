// The HTTP API on a running kernel: health with per-component status, read endpoints, and control
// mutations only on the local control channel (with validation).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/common/clock.ts';
import { Kernel } from '../../src/kernel/kernel.ts';
import { SyntheticMarket } from '../../src/marketdata/index.ts';
import { buildApi } from '../../src/services/api.ts';
import { ROOT } from '../helpers.ts';

const T0 = 1_704_153_600_000_000;

describe('API', () => {
  let kernel: Kernel;
  beforeAll(async () => {
    const clock = new SimulatedClock(T0);
    kernel = await Kernel.create({ mode: 'paper', configDir: join(ROOT, 'configs'), clock, seed: 9 });
    await kernel.start();
    const market = new SyntheticMarket({
      registry: kernel.registry,
      seed: 9,
      startTime: T0,
      stepMicros: 50_000,
    });
    for (let i = 0; i < 30_000; i++) {
      const m = market.next();
      clock.advanceTo(m.tsEvent);
      kernel.publishMarketData(m);
    }
  });
  afterAll(async () => kernel.stop());

  it('GET /health answers 200 with the status of every component', async () => {
    const api = buildApi(kernel, { allowControl: false });
    const res = await api.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ status: string; components: Record<string, { status: string }> }>();
    expect(['ok', 'degraded']).toContain(body.status);
    for (const name of ['bus', 'risk', 'oms', 'ledger', 'venue:SIM-A', 'venue:SIM-B', 'strategy:sma-cross'])
      expect(body.components[name], name).toBeDefined();
    expect(body.components['venue:SIM-A']!.status).toBe('ok');
  });

  it('serves orders, fills, positions, risk, strategies and control state', async () => {
    const api = buildApi(kernel, { allowControl: false });
    const orders = (await api.inject({ method: 'GET', url: '/api/orders?status=all&limit=10000' })).json<
      { clientOrderId: string; status: string }[]
    >();
    expect(orders.length).toBe([...kernel.oms.allOrders()].length);
    const one = await api.inject({
      method: 'GET',
      url: `/api/orders/${encodeURIComponent(orders[0]!.clientOrderId)}`,
    });
    expect(one.json<{ clientOrderId: string }>().clientOrderId).toBe(orders[0]!.clientOrderId);
    expect((await api.inject({ method: 'GET', url: '/api/orders/nope' })).statusCode).toBe(404);
    const fills = (await api.inject({ method: 'GET', url: '/api/fills?limit=10000' })).json<unknown[]>();
    expect(fills.length).toBe(kernel.oms.counters.fills);
    const positions = (await api.inject({ method: 'GET', url: '/api/positions' })).json<
      { instrumentId: string; quantity: number }[]
    >();
    for (const p of positions)
      expect(p.quantity).toBe(kernel.ledger.ledger.quantity(p.instrumentId as never));
    const risk = (await api.inject({ method: 'GET', url: '/api/risk' })).json<{ state: string }>();
    expect(risk.state).toBe('ACTIVE');
    const strategies = (await api.inject({ method: 'GET', url: '/api/strategies' })).json<{ id: string }[]>();
    expect(strategies.map((s) => s.id).sort()).toEqual(['arb-aapl', 'mm-msft', 'sma-cross']);
    expect((await api.inject({ method: 'GET', url: '/api/orders?limit=0' })).statusCode).toBe(400);
    expect((await api.inject({ method: 'GET', url: '/api/orders?status=weird' })).statusCode).toBe(400);
  });

  it('has no control mutations on the public API', async () => {
    const api = buildApi(kernel, { allowControl: false });
    const res = await api.inject({
      method: 'POST',
      url: '/control',
      payload: { key: 'policy:kill_switch', field: 'enabled', value: 'true' },
    });
    expect(res.statusCode).toBe(404);
    expect(kernel.bus.control.get('policy:kill_switch', 'enabled')).toBeUndefined();
  });

  it('control channel: validates, then applies a route override and reconciles', async () => {
    const channel = buildApi(kernel, { allowControl: true });
    const bad = await channel.inject({
      method: 'POST',
      url: '/control',
      payload: { key: 'policy:nope', field: 'x', value: 'y' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ error: string }>().error).toContain('key');
    const badValue = await channel.inject({
      method: 'POST',
      url: '/control',
      payload: { key: 'policy:route_override', field: 'SIM-A', value: 3 },
    });
    expect(badValue.statusCode).toBe(400);
    const ok = await channel.inject({
      method: 'POST',
      url: '/control',
      payload: { key: 'policy:route_override', field: 'SIM-A', value: 'SIM-B' },
    });
    expect(ok.statusCode).toBe(200);
    expect(kernel.bus.control.get('policy:route_override', 'SIM-A')).toBe('SIM-B');
    const cleared = await channel.inject({
      method: 'POST',
      url: '/control',
      payload: { key: 'policy:route_override', field: 'SIM-A', value: null },
    });
    expect(cleared.json<{ value: unknown }>().value).toBeNull();
    const recon = await channel.inject({ method: 'POST', url: '/reconcile' });
    expect(recon.json<{ breaks: unknown[] }>().breaks).toEqual([]);
  });
});
