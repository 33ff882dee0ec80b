// The `hf` CLI in process (the same `main` the bin runs): configuration errors name the file and the key;
// control commands work without a running process (saved for the next start) and are picked up by `hf run`.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { ROOT, tempHome } from '../helpers.ts';

// These runs are of the embedded deployment, whatever servers the test environment provides.
delete process.env.REDIS_URL;
delete process.env.DATABASE_URL;

async function hf(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'hf', ...args], {
    out: (l) => void (out += l + '\n'),
    err: (l) => void (err += l + '\n'),
  });
  return { code, out, err };
}

function configCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hf-config-'));
  cpSync(join(ROOT, 'configs'), dir, { recursive: true });
  return dir;
}

describe('hf CLI', () => {
  it('refuses to start on a config that breaks its schema, naming the file and the key', async () => {
    const config = configCopy();
    const file = join(config, 'registry.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('tickSize: 0.01', 'tickSize: -0.01'));
    const r = await hf(
      '--home',
      tempHome(),
      '--config',
      config,
      'run',
      '--duration',
      '1',
      '--no-api',
      '--no-ws',
      '--quiet',
    );
    expect(r.code).toBe(2);
    expect(r.err).toContain(file);
    expect(r.err).toContain('instruments[0].tickSize');
  });

  it('refuses invalid YAML, naming the file and the line', async () => {
    const config = configCopy();
    const file = join(config, 'risk.yaml');
    writeFileSync(file, 'limits: [unclosed\n');
    const r = await hf(
      '--home',
      tempHome(),
      '--config',
      config,
      'run',
      '--duration',
      '1',
      '--no-api',
      '--no-ws',
      '--quiet',
    );
    expect(r.code).toBe(2);
    expect(r.err).toContain(file);
    expect(r.err).toMatch(/line \d+/);
  });

  it('names an unknown strategy and the key that names it', async () => {
    const config = configCopy();
    writeFileSync(
      join(config, 'strategies.yaml'),
      'strategies:\n  - { id: x, strategy: no-such-strategy }\n',
    );
    const r = await hf(
      '--home',
      tempHome(),
      '--config',
      config,
      'run',
      '--duration',
      '1',
      '--no-api',
      '--no-ws',
      '--quiet',
    );
    expect(r.code).toBe(2);
    expect(r.err).toContain('strategies[0].strategy');
    expect(r.err).toContain('unknown strategy "no-such-strategy"');
  });

  it('keeps control changes made while nothing runs, and hf run starts in that state', async () => {
    const home = tempHome();
    expect((await hf('--home', home, 'kill-switch', 'on')).out).toContain('saved for the next start');
    expect((await hf('--home', home, 'strategy', 'disable', 'arb-aapl')).code).toBe(0);
    expect((await hf('--home', home, 'route-override', 'set', 'SIM-A', 'SIM-B')).code).toBe(0);
    expect((await hf('--home', home, 'kill-switch', 'status')).out).toContain('ON');
    const list = await hf('--home', home, 'strategy', 'list');
    expect(list.out).toMatch(/arb-aapl\s+disabled/);
    expect(list.out).toMatch(/sma-cross\s+enabled/);
    expect((await hf('--home', home, 'route-override', 'list')).out).toContain('SIM-A -> SIM-B');

    const run = await hf(
      '--home',
      home,
      'run',
      '--duration',
      '4',
      '--rate',
      '10000',
      '--no-api',
      '--no-ws',
      '--json',
      '--seed',
      '11',
    );
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.out.trim().split('\n').at(-1)!) as {
      killSwitch: boolean;
      tradingState: string;
      fills: number;
      denials: Record<string, number>;
      strategies: { id: string; enabled: boolean }[];
    };
    expect(summary.killSwitch).toBe(true);
    expect(summary.tradingState).toBe('HALTED');
    expect(summary.fills).toBe(0);
    expect(summary.denials.RISK_KILL_SWITCH ?? 0).toBeGreaterThan(0);
    expect(summary.strategies.find((s) => s.id === 'arb-aapl')!.enabled).toBe(false);

    expect((await hf('--home', home, 'kill-switch', 'off')).code).toBe(0);
    expect((await hf('--home', home, 'route-override', 'clear', 'SIM-A')).code).toBe(0);
    expect((await hf('--home', home, 'route-override', 'list')).out).toContain('no route overrides');
  });

  it('npm start’s command shows fills within 10 seconds on a fresh home', async () => {
    const run = await hf('--home', tempHome(), 'run', '--duration', '8', '--no-api', '--no-ws', '--json');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.out.trim().split('\n').at(-1)!) as {
      fills: number;
      reconciliation: { breaks: unknown[] };
    };
    expect(summary.fills).toBeGreaterThan(0);
    expect(summary.reconciliation.breaks).toEqual([]);
  });

  it('explains wrong usage with exit code 2', async () => {
    expect((await hf('kill-switch', 'maybe')).code).toBe(2);
    expect((await hf('strategy', 'enable')).code).toBe(2);
    expect((await hf('reconcile', '--home', tempHome())).code).toBe(2);
  });
});
