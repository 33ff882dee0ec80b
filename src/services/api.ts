// The HTTP API (Fastify): `GET /health` with per-component status and read endpoints under `/api` for
// orders, fills, positions, risk, strategies and control state. The same routes, plus control mutations,
// are served on the local control channel (a Unix socket only this machine's user can open).

import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { CONTROL_KEYS } from '../common/topics.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { summarize } from '../kernel/summary.ts';
import { cliActor, isPolicyFile, policyHistoryRows, type PolicyActor } from '../kernel/policy-watch.ts';
import { toOrderRecord } from '../kernel/kernel.ts';
import { isOpen, type ClientOrderId, type OrderFilled } from '../model/index.ts';
import type { OrderQuery, OrderRecord } from '../store/store.ts';
import { installAccessControl, type ApiAccess } from './auth-routes.ts';
import { registerWorkerRoutes, type ApiWorkers } from './workers/routes.ts';

export interface ApiOptions {
  /** Allow control mutations (kill switch, strategy toggles, route overrides) and reconcile. */
  readonly allowControl: boolean;
  /** Allow `POST /reconcile` alone (the router's health port, for the reconciler service). */
  readonly allowReconcile?: boolean;
  /** Market-data status (`GET /api/feeds`): the process's feed hub, when it runs one. */
  readonly feeds?: () => unknown;
  /** Side workers in this process: scenarios, sentiment, insights, incidents, and hedge / scenario control. */
  readonly workers?: ApiWorkers;
  /**
   * Authentication and authorisation (auth-routes.ts). Default: required, against the kernel's store (the TCP
   * API); `trusted` for the local control socket, `internal` for a distributed service's health port.
   */
  readonly access?: ApiAccess;
}

const jsonSafe = (_key: string, value: unknown): unknown =>
  typeof value === 'bigint' ? value.toString() : value;

export function buildApi(kernel: Kernel, options: ApiOptions): FastifyInstance {
  const app = Fastify({ logger: false });
  installAccessControl(app, kernel, options.access);
  app.setReplySerializer((payload) => JSON.stringify(payload, jsonSafe));

  // In a process without the router (the `api` service), orders and fills come from the store the router and
  // the ledger write; with the router here, from its order book of record.
  const routerHere = kernel.components.has('router');
  // With the router here, closed orders may have left its memory (retention): the store has them, and what
  // the OMS holds is newer (written every 250 ms).
  const releasedHere = (): boolean => routerHere && kernel.oms.counters.releasedOrders > 0;
  const orderRecords = async (query: OrderQuery & { limit: number }): Promise<readonly OrderRecord[]> => {
    if (kernel.store && !routerHere) return kernel.store.loadOrders(query);
    const matches = (o: OrderRecord): boolean =>
      (query.strategyId === undefined || o.strategyId === query.strategyId) &&
      (query.status === undefined || (query.status === 'open') === isOpen(o.status));
    const held = [...kernel.oms.allOrders()].map(toOrderRecord).filter(matches);
    if (!kernel.store || !releasedHere()) return held.slice(-query.limit);
    // The store's last `limit` that match (what the OMS still holds is taken from the OMS, newer), then ours.
    const merged = (await kernel.store.loadOrders(query)).filter(
      (o) => kernel.oms.order(o.clientOrderId) === undefined,
    );
    merged.push(...held);
    merged.sort((a, b) =>
      a.tsInit !== b.tsInit ? a.tsInit - b.tsInit : a.clientOrderId < b.clientOrderId ? -1 : 1,
    );
    return merged.slice(-query.limit);
  };
  const heldFills = (): OrderFilled[] => {
    const out: OrderFilled[] = [];
    for (const order of kernel.oms.allOrders()) out.push(...order.fills);
    return out;
  };

  app.get('/health', async (_request, reply) => {
    const components = kernel.health();
    const down = Object.entries(components).some(
      ([name, c]) => c.status === 'down' && !name.startsWith('strategy:') && !name.startsWith('venue:'),
    );
    const degraded = Object.values(components).some((c) => c.status !== 'ok');
    return reply
      .code(down ? 503 : 200)
      .send({ status: down ? 'down' : degraded ? 'degraded' : 'ok', components });
  });

  app.get('/api/summary', async () => summarize(kernel));

  app.get<{ Querystring: { status?: string; strategy?: string; limit?: string } }>(
    '/api/orders',
    async (request, reply) => {
      const { status, strategy } = request.query;
      const limit = request.query.limit === undefined ? 500 : Number(request.query.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
        return reply.code(400).send({ error: 'limit: an integer from 1 to 10000' });
      if (status !== undefined && status !== 'open' && status !== 'closed' && status !== 'all')
        return reply.code(400).send({ error: 'status: open, closed or all' });
      return orderRecords({
        limit,
        ...(strategy === undefined ? {} : { strategyId: strategy }),
        ...(status === 'open' || status === 'closed' ? { status } : {}),
      });
    },
  );

  app.get<{ Params: { id: string } }>('/api/orders/:id', async (request, reply) => {
    const id = request.params.id as ClientOrderId;
    if (kernel.store && (!routerHere || (!kernel.oms.order(id) && releasedHere()))) {
      const [record] = await kernel.store.loadOrders({ clientOrderId: id });
      if (!record) return reply.code(404).send({ error: 'OMS_UNKNOWN_ORDER', message: `no order ${id}` });
      return { ...record, fills: await kernel.store.loadFills({ clientOrderId: id }) };
    }
    const order = kernel.oms.order(id);
    if (!order) return reply.code(404).send({ error: 'OMS_UNKNOWN_ORDER', message: `no order ${id}` });
    return { ...toOrderRecord(order), fills: order.fills };
  });

  app.get<{ Querystring: { limit?: string } }>('/api/fills', async (request, reply) => {
    const limit = request.query.limit === undefined ? 500 : Number(request.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
      return reply.code(400).send({ error: 'limit: an integer from 1 to 10000' });
    let fills: OrderFilled[];
    if (!routerHere && kernel.store) fills = await kernel.store.loadFills({ limit });
    else if (kernel.store && releasedHere()) {
      const byTrade = new Map<string, OrderFilled>();
      for (const fill of [...(await kernel.store.loadFills({ limit })), ...heldFills()])
        byTrade.set(`${fill.venue} ${fill.tradeId}`, fill);
      fills = [...byTrade.values()];
    } else fills = heldFills();
    fills.sort((a, b) => a.tsInit - b.tsInit);
    return fills.slice(-limit);
  });

  app.get('/api/positions', async () => summarize(kernel).positions);
  app.get('/api/risk', async () => kernel.risk.snapshot());
  app.get('/api/strategies', async () => kernel.strategies.status());
  app.get('/api/control', async () => {
    const out: Record<string, Readonly<Record<string, string>>> = {};
    for (const key of CONTROL_KEYS) out[key] = kernel.bus.control.getAll(key);
    return out;
  });
  app.get('/api/reconciliation', async () => kernel.lastReconciliation ?? null);
  app.get('/api/feeds', async (_request, reply) =>
    options.feeds ? options.feeds() : reply.code(404).send({ error: 'no market-data feeds in this process' }),
  );

  if (options.allowControl) {
    app.post<{ Body: { key?: unknown; field?: unknown; value?: unknown } }>(
      '/control',
      async (request, reply) => {
        const { key, field, value } = request.body ?? {};
        if (typeof key !== 'string' || !(CONTROL_KEYS as readonly string[]).includes(key))
          return reply.code(400).send({ error: `key: one of ${CONTROL_KEYS.join(', ')}` });
        if (typeof field !== 'string' || field.length === 0)
          return reply.code(400).send({ error: 'field: a non-empty string' });
        if (value !== null && typeof value !== 'string')
          return reply.code(400).send({ error: 'value: a string, or null to delete' });
        if (value === null) await kernel.bus.control.delete(key, field);
        else await kernel.bus.control.set(key, field, value);
        return { key, field, value: kernel.bus.control.get(key, field) ?? null };
      },
    );
  }
  // Reconciliation asks the venues, which live where the router runs.
  if ((options.allowControl || options.allowReconcile) && routerHere)
    app.post('/reconcile', async () => kernel.reconcile());
  // Policy without a restart: what is in force, its versions, apply an edited file now, roll back.
  const noPolicy = { error: 'no policy watcher in this process (it runs where the risk engine does)' };
  app.get('/api/policy', async (_request, reply) => {
    const policy = kernel.policy;
    if (!policy) return reply.code(404).send(noPolicy);
    return policy.inForce();
  });
  app.get('/api/policy/history', async (_request, reply) => {
    const policy = kernel.policy;
    if (!policy) return reply.code(404).send(noPolicy);
    return policyHistoryRows(await policy.history());
  });
  if (options.allowControl) {
    // Who made the change: the caller's user (a token, a session), else the local operator on the socket.
    const actorOf = (request: FastifyRequest): PolicyActor => {
      const principal = (request as { principal?: { user: string; via: string } | null }).principal;
      return principal ? { actor: principal.user, via: principal.via } : cliActor();
    };
    app.post('/policy/apply', async (request, reply) => {
      const policy = kernel.policy;
      if (!policy) return reply.code(404).send(noPolicy);
      const file = (request.body as { file?: unknown } | undefined)?.file;
      if (!isPolicyFile(file)) return reply.code(400).send({ error: 'file: risk.yaml or policy.yaml' });
      try {
        const published = await policy.apply(file, actorOf(request));
        await kernel.bus.flush();
        return {
          applied: published !== undefined,
          version: published?.version ?? policy.inForce()[file].version,
          capsBelowExposure: kernel.risk.capsBelowExposure(),
        };
      } catch (error) {
        return reply.code(400).send({ applied: false, error: (error as Error).message });
      }
    });
    app.post('/policy/rollback', async (request, reply) => {
      const policy = kernel.policy;
      if (!policy) return reply.code(404).send(noPolicy);
      const version = (request.body as { version?: unknown } | undefined)?.version;
      if (typeof version !== 'number' || !Number.isInteger(version))
        return reply.code(400).send({ error: 'version: an integer' });
      try {
        const { restored, version: applied } = await policy.rollback(version, actorOf(request));
        return { restored: restored.version, file: restored.file, version: applied };
      } catch (error) {
        return reply.code(400).send({ error: (error as Error).message });
      }
    });
  }
  if (options.workers)
    registerWorkerRoutes(app, options.workers, {
      allowControl: options.allowControl,
      now: () => kernel.clock.now(),
    });
  return app;
}
