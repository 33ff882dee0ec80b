// Starting the workers from a configuration folder on a running kernel, their routes on the API (read endpoints
// everywhere, hedge and scenario control only where control is allowed), and configuration errors at start.

import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../common/errors.ts';
import { silentLogger } from '../../common/logging.ts';
import { Streams } from '../../common/topics.ts';
import type { InstrumentId, SentimentUpdate } from '../../model/index.ts';
import { buildApi } from '../api.ts';
import { CONFIGS, paperStack, T0, type PaperStack } from './stack.test-support.ts';
import { startWorkers, validateWorkersConfig } from './start.ts';

let stack: PaperStack;
let home: string;

beforeAll(async () => {
  stack = await paperStack();
  home = mkdtempSync(join(tmpdir(), 'hf-workers-'));
});
afterAll(async () => stack.close());

function context(configDir = CONFIGS) {
  return {
    bus: stack.kernel.bus,
    clock: stack.clock,
    logger: silentLogger,
    configDir,
    home,
    kernel: stack.kernel,
  };
}

describe('startWorkers', () => {
  it('starts every worker from the shipped configs, and the API serves them', async () => {
    const started = startWorkers(['sentiment', 'scenario', 'insights', 'breach'], context());
    const { workers } = started;
    expect(Object.keys(workers).sort()).toEqual(['breach', 'hedger', 'insights', 'scenario', 'sentiment']);
    const updates: SentimentUpdate[] = [];
    stack.kernel.bus.subscribe(Streams.sentiment, 'test', (u) => void updates.push(u));
    stack.kernel.bus.publish(Streams.newsRaw, {
      type: 'news',
      id: 'n1',
      source: 'test',
      title: 'AAPL beat estimates',
      summary: '',
      url: '',
      instruments: ['AAPL.SIM-A' as InstrumentId],
      publishedAt: T0,
      tsInit: T0,
    });
    expect(updates).toHaveLength(1);

    const api = buildApi(stack.kernel, { allowControl: false, access: { mode: 'internal' }, workers });
    expect((await api.inject({ method: 'GET', url: '/api/scenarios' })).json()).toBeNull();
    expect(
      (await api.inject({ method: 'GET', url: '/api/sentiment' })).json<{ instrumentId: string }[]>(),
    ).toEqual([expect.objectContaining({ instrumentId: 'AAPL.SIM-A', items: 1 })]);
    expect((await api.inject({ method: 'GET', url: '/api/incidents' })).json()).toEqual([]);
    const stats = (await api.inject({ method: 'GET', url: '/api/workers' })).json<Record<string, unknown>>();
    expect(stats.sentiment).toMatchObject({ items: 1, published: 1 });
    // Control routes only on the control channel.
    expect((await api.inject({ method: 'POST', url: '/scenario/run', payload: {} })).statusCode).toBe(404);
    expect((await api.inject({ method: 'POST', url: '/hedge/flatten', payload: {} })).statusCode).toBe(404);

    const channel = buildApi(stack.kernel, { allowControl: true, access: { mode: 'trusted' }, workers });
    const run = await channel.inject({ method: 'POST', url: '/scenario/run', payload: {} });
    expect(run.json<{ type: string; positions: number }>()).toMatchObject({
      type: 'scenario_report',
      positions: 3,
    });
    expect((await api.inject({ method: 'GET', url: '/api/scenarios' })).json()).toEqual(run.json());
    const bad = await channel.inject({ method: 'POST', url: '/hedge/flatten', payload: { strategy: 5 } });
    expect(bad.statusCode).toBe(400);
    const plan = await channel.inject({ method: 'POST', url: '/hedge/flatten', payload: { dryRun: true } });
    expect(plan.json<{ orders: unknown[] }>().orders).toHaveLength(3);
    await api.close();
    await channel.close();
    started.stop();
  });

  it('answers 404 for a worker that does not run here', async () => {
    const started = startWorkers(['sentiment'], context());
    const channel = buildApi(stack.kernel, {
      allowControl: true,
      access: { mode: 'trusted' },
      workers: started.workers,
    });
    const r = await channel.inject({ method: 'POST', url: '/hedge/flatten', payload: {} });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toEqual({ error: 'no hedger in this process' });
    await channel.close();
    started.stop();
  });

  it('skips the scenario worker without scenarios.yaml, and stops at start on a bad file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hf-workers-config-'));
    for (const file of ['registry.yaml', 'risk.yaml']) copyFileSync(join(CONFIGS, file), join(dir, file));
    const started = startWorkers(['scenario'], context(dir));
    expect(started.workers.scenario).toBeUndefined();
    started.stop();
    writeFileSync(join(dir, 'workers.yaml'), 'hedger: { orderType: stop }\n');
    expect(() => startWorkers(['breach'], context(dir))).toThrow(ConfigError);
    expect(() => validateWorkersConfig(dir, stack.kernel.registry)).toThrow(
      `${join(dir, 'workers.yaml')}: hedger.orderType:`,
    );
    const { kernel: _kernel, ...withoutKernel } = context();
    expect(() => startWorkers(['scenario'], withoutKernel)).toThrow('the scenario worker needs a kernel');
  });
});
