// `hf scenario run` in process against a running kernel's control channel, with the shipped configs/scenarios.yaml
// on a small book (PnL hand-computed below), and `hf scenario list` with nothing running, on a good and a bad file.

import { mkdtempSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../common/logging.ts';
import { Streams } from '../common/topics.ts';
import type { ScenarioReport } from '../model/index.ts';
import { buildApi } from '../services/api.ts';
import { loadScenarios } from '../services/workers/scenario-config.ts';
import { startScenarioWorker } from '../services/workers/scenario.ts';
import { CONFIGS, paperStack, type PaperStack } from '../services/workers/stack.test-support.ts';
import { registerScenarioCommand } from './scenario-command.ts';

let stack: PaperStack;
let channel: FastifyInstance;
let home: string;
const published: ScenarioReport[] = [];

beforeAll(async () => {
  stack = await paperStack();
  home = mkdtempSync(join(tmpdir(), 'hf-scenario-cli-'));
  stack.kernel.bus.subscribe(Streams.scenarios, 'test', (r) => void published.push(r));
  const scenario = startScenarioWorker(
    stack.kernel.bus,
    stack.clock,
    loadScenarios(join(CONFIGS, 'scenarios.yaml'), stack.kernel.registry),
    silentLogger,
    { book: stack.book, registry: stack.kernel.registry, baseCurrency: 'USD', fxRates: {}, schedule: false },
  );
  channel = buildApi(stack.kernel, {
    allowControl: true,
    access: { mode: 'trusted' },
    workers: { scenario },
  });
  await channel.listen({ path: join(home, 'control.sock') });
});

afterAll(async () => {
  await channel.close();
  await stack.close();
});

async function hf(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  let code = -1;
  const program = new Command('hf').option('--home <dir>').option('--config <dir>').exitOverride();
  registerScenarioCommand(program, { out: (l) => out.push(l), err: (l) => err.push(l) }, (c) => {
    code = c;
  });
  await program.parseAsync(args, { from: 'user' });
  return { code, out, err };
}

// The book at its marks (quote mids): alpha +1500 AAPL @ 100.01 (beta 1.2) and −200 MSFT @ 300.03 (beta 1.1);
// beta +100 JPM @ 150.02 (beta 1.1).
// equity-down-20: AAPL 1500 × 100.01 × −0.24 = −36003.60; MSFT −200 × 300.03 × −0.22 = +13201.32;
//   JPM 100 × 150.02 × −0.22 = −3300.44; alpha −22802.28, beta −3300.44, total −26102.72.
// tech-selloff-30: AAPL 1500 × 100.01 × −0.30 = −45004.50; MSFT −200 × 300.03 × −0.30 = +18001.80;
//   JPM (financials: every other equity) 100 × 150.02 × −0.10 = −1500.20; total −28502.90.
describe('hf scenario run', () => {
  it('prints each scenario with its PnL per strategy, and publishes the report on `scenarios`', async () => {
    const r = await hf('--home', home, 'scenario', 'run');
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe('8 scenario(s) on 3 open position(s) at 2024-01-02 09:00:01 UTC; PnL in USD');
    expect(r.out[1]).toBe('equity-down-20          -26,102.72   (alpha -22,802.28, beta -3,300.44)');
    expect(published).toHaveLength(1);
  });

  it('prints the report as JSON with --json', async () => {
    const r = await hf('--home', home, 'scenario', 'run', '--json');
    const report = JSON.parse(r.out[0]!) as ScenarioReport;
    const pnl = Object.fromEntries(report.scenarios.map((s) => [s.name, s.pnl]));
    expect(pnl['equity-down-20']).toBe(-26102.72);
    expect(pnl['tech-selloff-30']).toBe(-28502.9);
    expect(pnl['usd-up-10']).toBe(0); // every position is in USD
    expect(pnl['vol-up-50']).toBe(0); // no options
    expect(report.scenarios.find((s) => s.name === 'tech-selloff-30')!.byStrategy).toEqual({
      alpha: -27002.7,
      beta: -1500.2,
    });
  });

  it('exits 2 with nothing running', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'hf-scenario-none-'));
    const r = await hf('--home', empty, 'scenario', 'run');
    expect(r.code).toBe(2);
    expect(r.err).toEqual([
      'hf scenario run: no running process (start one with hf run, or give --url for the distributed deployment)',
    ]);
  });
});

describe('hf scenario list', () => {
  it('validates and lists the scenarios with nothing running', async () => {
    const r = await hf('--config', CONFIGS, 'scenario', 'list');
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe(
      'equity-down-20: Equity market −20 % (each stock by its beta); options through their underlying',
    );
    expect(r.out).toHaveLength(8);
  });

  it('names the file and the key of a bad scenarios.yaml', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hf-scenario-config-'));
    copyFileSync(join(CONFIGS, 'registry.yaml'), join(dir, 'registry.yaml'));
    writeFileSync(join(dir, 'scenarios.yaml'), 'scenarios:\n  - { name: crash, equity: -2 }\n');
    const r = await hf('--config', dir, 'scenario', 'list');
    expect(r.code).toBe(2);
    expect(r.err).toEqual([
      `hf scenario list: configuration error: ${join(dir, 'scenarios.yaml')}: scenarios[0].equity: a change is a fraction above −1 (−0.2 = −20 %)`,
    ]);
  });
});
