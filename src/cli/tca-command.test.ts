// `hf tca` in process on the constructed day (src/reports/day-fixture.test-support.ts): the per-order table,
// the JSON object, the cost-model fit as YAML, and exit codes on a day without data and a bad configuration.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATE, REGISTRY_YAML, SESSION, writeDayFixture } from '../reports/day-fixture.test-support.ts';
import { registerTcaCommand } from './tca-command.ts';

// The embedded deployment's sessions, whatever database the test environment provides.
delete process.env.DATABASE_URL;

let home: string;
let config: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'hf-tca-'));
  await writeDayFixture(home);
  config = mkdtempSync(join(tmpdir(), 'hf-tca-config-'));
  writeFileSync(join(config, 'registry.yaml'), REGISTRY_YAML);
});

async function hf(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  let code = -1;
  const program = new Command('hf').option('--home <dir>').option('--config <dir>').exitOverride();
  registerTcaCommand(program, { out: (l) => out.push(l), err: (l) => err.push(l) }, (c) => {
    code = c;
  });
  await program.parseAsync(args, { from: 'user' });
  return { code, out, err };
}

describe('hf tca', () => {
  it('prints per order, per strategy and per venue tables', async () => {
    const r = await hf('--home', home, '--config', config, 'tca', '--date', DATE);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const text = r.out.join('\n');
    expect(text).toContain(`TCA ${DATE}: 4 order(s) routed, 3 filled, 4 fill(s)`);
    expect(text).toContain(`source: session ${SESSION}`);
    // A1: decision mid 100.00, arrival mid 100.02, filled at 100.06: 6.00 and 4.00 bps (0.04 / 100.02 × 10⁴)
    expect(text).toMatch(
      /14:30:01\.000\s+A1\s+alpha\s+SIM-A\s+AAPL\.SIM-A\s+buy\s+100\s+100\s+100\.06\s+100\.00\s+100\.02\s+6\.00\s+4\.00\s+8\.00\s+1\.00/,
    );
    expect(text).toMatch(/By strategy\nStrategy\s+Orders/);
    expect(text).toMatch(/\nalpha\s+2\s+2\s+20,054\.00/);
    expect(text).toMatch(/By venue\nVenue\s+Orders[^\n]*\nSIM-A\s+4\s+3/);
    expect(text).toContain('REPORT_TCA_DENIED × 3');
  });

  it('prints one JSON object with the benchmarks of each order', async () => {
    const r = await hf('--home', home, '--config', config, 'tca', '--date', DATE, '--json');
    expect(r.code).toBe(0);
    expect(r.out).toHaveLength(1);
    const json = JSON.parse(r.out[0] ?? '') as {
      orders: {
        clientOrderId: string;
        decisionPrice: number;
        arrivalPrice: number;
        shortfallDecisionBps: number;
      }[];
      byVenue: { key: string; orders: number }[];
      excluded: Record<string, number>;
      fit?: unknown;
    };
    expect(json.orders.map((o) => o.clientOrderId)).toEqual(['A1', 'B1', 'B3', 'A2']);
    const a1 = json.orders[0]!;
    expect(a1.decisionPrice).toBeCloseTo(100, 12);
    expect(a1.arrivalPrice).toBeCloseTo(100.02, 12);
    expect(a1.shortfallDecisionBps).toBeCloseTo(6, 9);
    expect(json.byVenue).toMatchObject([{ key: 'SIM-A', orders: 4 }]);
    expect(json.excluded).toEqual({ REPORT_TCA_DENIED: 3 });
    expect(json.fit).toBeUndefined();
  });

  it('--fit prints the cost model per venue as YAML for the registry', async () => {
    const table = await hf('--home', home, '--config', config, 'tca', '--date', DATE, '--fit');
    const text = table.out.join('\n');
    expect(text).toContain('venues:\n  SIM-A:\n    # fees: 4 fill(s)');
    expect(text).toMatch(
      /\n {4}fees: \{ makerBps: -?[\d.]+, takerBps: -?[\d.]+, perUnit: -?[\d.]+, minimum: 0 \}\n/,
    );
    const json = await hf('--home', home, '--config', config, 'tca', '--date', DATE, '--json', '--fit');
    const parsed = JSON.parse(json.out[0] ?? '') as {
      fit: { venue: string; feeSamples: number }[];
      fitYaml: string;
    };
    expect(parsed.fit.map((f) => [f.venue, f.feeSamples])).toEqual([['SIM-A', 4]]);
    expect(parsed.fitYaml).toContain('  SIM-A:');
  });

  it('exits 1 naming the sessions when the date has no data, 2 on a bad registry', async () => {
    const none = await hf('--home', home, '--config', config, 'tca', '--date', '2024-01-03');
    expect(none.code).toBe(1);
    expect(none.err.join('\n')).toContain(`hf tca: no data for 2024-01-03: looked at session ${SESSION}`);
    const bad = mkdtempSync(join(tmpdir(), 'hf-tca-bad-'));
    writeFileSync(join(bad, 'registry.yaml'), 'venues: {}\ninstruments: []\n');
    const broken = await hf('--home', home, '--config', bad, 'tca', '--date', DATE);
    expect(broken.code).toBe(2);
    expect(broken.err.join('\n')).toContain(join(bad, 'registry.yaml'));
  });
});
