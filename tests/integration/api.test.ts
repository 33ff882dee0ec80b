// The HTTP API on a running kernel: health with per-component status, read endpoints (with a token: the TCP
// API authenticates every caller), and control mutations only where allowed (with validation).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/common/clock.ts';
import { Kernel } from '../../src/kernel/kernel.ts';
import { SyntheticMarket } from '../../src/marketdata/index.ts';
import { buildApi, type ApiOptions } from '../../src/services/api.ts';
import { AccessControl } from '../../src/services/auth.ts';
import { PgliteStore } from '../../src/store/pglite.ts';
import { ROOT } from '../helpers.ts';

const T0 = 1_704_153_600_000_000;

describe('API', () => {
  let kernel: Kernel;
  let store: PgliteStore;
  let access: AccessControl;
  let headers: Record<string, string>;
  /** The TCP API as `hf run` serves it: every call but /health needs a token (a viewer's here). */
  const publicApi = (options: ApiOptions) =>
    buildApi(kernel, {
      ...options,
      access: { mode: 'required', control: access, settings: { dashboardDir: false } },
    });
  beforeAll(async () => {
    store = await PgliteStore.open();
    access = new AccessControl(store);
    await access.addUser('reader', 'viewer');
    headers = { authorization: `Bearer ${(await access.createToken('reader')).token}` };
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
  afterAll(async () => {
    await kernel.stop();
    await store.close();
  });

  it('GET /health answers 200 with the status of every component', async () => {
    const api = publicApi({ allowControl: false });
    const res = await api.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ status: string; components: Record<string, { status: string }> }>();
    expect(['ok', 'degraded']).toContain(body.status);
    for (const name of ['bus', 'risk', 'oms', 'ledger', 'venue:SIM-A', 'venue:SIM-B', 'strategy:sma-cross'])
      expect(body.components[name], name).toBeDefined();
    expect(body.components['venue:SIM-A']!.status).toBe('ok');
  });

  it('serves orders, fills, positions, risk, strategies and control state', async () => {
    const api = publicApi({ allowControl: false });
    expect((await api.inject({ method: 'GET', url: '/api/orders' })).statusCode).toBe(401);
    const orders = (
      await api.inject({ method: 'GET', url: '/api/orders?status=all&limit=10000', headers })
    ).json<{ clientOrderId: string; status: string }[]>();
    expect(orders.length).toBe([...kernel.oms.allOrders()].length);
    const one = await api.inject({
      method: 'GET',
      url: `/api/orders/${encodeURIComponent(orders[0]!.clientOrderId)}`,
      headers,
    });
    expect(one.json<{ clientOrderId: string }>().clientOrderId).toBe(orders[0]!.clientOrderId);
    expect((await api.inject({ method: 'GET', url: '/api/orders/nope', headers })).statusCode).toBe(404);
    const fills = (await api.inject({ method: 'GET', url: '/api/fills?limit=10000', headers })).json<
      unknown[]
    >();
    expect(fills.length).toBe(kernel.oms.counters.fills);
    const positions = (await api.inject({ method: 'GET', url: '/api/positions', headers })).json<
      { instrumentId: string; quantity: number }[]
    >();
    for (const p of positions)
      expect(p.quantity).toBe(kernel.ledger.ledger.quantity(p.instrumentId as never));
    const risk = (await api.inject({ method: 'GET', url: '/api/risk', headers })).json<{ state: string }>();
    expect(risk.state).toBe('ACTIVE');
    const strategies = (await api.inject({ method: 'GET', url: '/api/strategies', headers })).json<
      { id: string }[]
    >();
    expect(strategies.map((s) => s.id).sort()).toEqual(['arb-aapl', 'mm-msft', 'sma-cross']);
    expect((await api.inject({ method: 'GET', url: '/api/orders?limit=0', headers })).statusCode).toBe(400);
    expect((await api.inject({ method: 'GET', url: '/api/orders?status=weird', headers })).statusCode).toBe(
      400,
    );
  });

  it('has no control mutations on the public API', async () => {
    const api = publicApi({ allowControl: false });
    const res = await api.inject({
      method: 'POST',
      url: '/control',
      headers,
      payload: { key: 'policy:kill_switch', field: 'enabled', value: 'true' },
    });
    expect(res.statusCode).toBe(404);
    expect(kernel.bus.control.get('policy:kill_switch', 'enabled')).toBeUndefined();
  });

  it('control channel: validates, then applies a route override and reconciles', async () => {
    const channel = buildApi(kernel, { allowControl: true, access: { mode: 'trusted', control: access } });
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
