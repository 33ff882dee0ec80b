// `hf risk var` in process: figures worked out by hand on small files (one series, a weighted pair), the
// conventions printed with them, the JSON object, and exit code 2 with a message on bad options or data.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerRiskCommand } from './risk-command.ts';

const directory = mkdtempSync(join(tmpdir(), 'hf-risk-'));

function file(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

async function hf(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  let code = -1;
  const program = new Command('hf').exitOverride();
  registerRiskCommand(program, { out: (l) => out.push(l), err: (l) => err.push(l) }, (c) => {
    code = c;
  });
  await program.parseAsync(args, { from: 'user' });
  return { code, out, err };
}

// Ten returns, sorted −0.05, −0.03, −0.02, −0.01, 0, 0.01, 0.01, 0.02, 0.03, 0.04; mean 0, Σr² = 0.007.
// Historical, c = 0.9: h = 9 × 0.1 = 0.9 → q = −0.05 + 0.9 × 0.02 = −0.032: VaR 3.20 %; ES (r ≤ −0.032) 5.00 %.
// Gaussian, c = 0.95: σ = √(0.007/9) = 0.0278887; VaR = 1.6448536 σ = 4.587 %; ES = σ × 0.1031356 / 0.05 = 5.753 %.
const single = file(
  'single.csv',
  'date,fund\n' +
    [0.03, -0.02, 0.01, -0.05, 0.04, -0.01, 0.02, -0.03, 0.0, 0.01]
      .map((r, i) => `2024-${String(i + 1).padStart(2, '0')}-28,${r}`)
      .join('\n'),
);

// X = 0.01, −0.02, 0.03, −0.04, 0; Y = 0.02, 0.01, −0.03, −0.01, 0.02; weights 0.6 / 0.4:
// p = 0.014, −0.008, 0.006, −0.028, 0.008. c = 0.8: h = 0.8 → q = −0.028 + 0.8 × 0.02 = −0.012: VaR 1.20 %;
// tail = day 4 only: ES 2.80 %, of which X −0.6 × −0.04 = 2.40 % and Y −0.4 × −0.01 = 0.40 %.
const pair = file('pair.csv', 'x,y\n0.01,0.02\n-0.02,0.01\n0.03,-0.03\n-0.04,-0.01\n0.00,0.02\n');

describe('hf risk var', () => {
  it('prints historical VaR and ES with the quantile rule', async () => {
    const r = await hf('risk', 'var', '--returns', single, '--confidence', '0.9');
    expect(r.code).toBe(0);
    expect(r.err).toEqual([]);
    const text = r.out.join('\n');
    expect(text).toContain('single.csv column 1 "fund" (10 periods, 2024-01-28 to 2024-10-28)');
    expect(text).toMatch(/VaR\s+3\.20 %/);
    expect(text).toMatch(/ES\s+5\.00 %/);
    expect(text).toContain('Hyndman–Fan type 7');
    expect(text).toContain('sample standard deviation, divisor n − 1');
  });

  it('prints the Gaussian figures', async () => {
    const r = await hf('risk', 'var', '--returns', single, '--method', 'gaussian');
    expect(r.code).toBe(0);
    const text = r.out.join('\n');
    expect(text).toMatch(/VaR\s+4\.59 %/);
    expect(text).toMatch(/ES\s+5\.75 %/);
    expect(text).not.toContain('Hyndman–Fan');
  });

  it('splits a weighted portfolio into its columns, in JSON', async () => {
    const r = await hf(
      'risk',
      'var',
      '--returns',
      pair,
      '--weights',
      '0.6,0.4',
      '--confidence',
      '0.8',
      '--json',
    );
    expect(r.code).toBe(0);
    expect(r.out).toHaveLength(1);
    const json = JSON.parse(r.out[0]!) as {
      valueAtRisk: number;
      expectedShortfall: number;
      observations: number;
      columns: { column: number; name: string; weight: number; expectedShortfall: number }[];
      conventions: { quantile: string | null; standardDeviation: string };
    };
    expect(json.observations).toBe(5);
    expect(json.valueAtRisk).toBeCloseTo(0.012, 12);
    expect(json.expectedShortfall).toBeCloseTo(0.028, 12);
    expect(json.columns.map((c) => [c.column, c.name, c.weight])).toEqual([
      [1, 'x', 0.6],
      [2, 'y', 0.4],
    ]);
    expect(json.columns[0]!.expectedShortfall).toBeCloseTo(0.024, 12);
    expect(json.columns[1]!.expectedShortfall).toBeCloseTo(0.004, 12);
    expect(json.conventions.quantile).toContain('type 7');
  });

  it('scales by √horizon and simulates reproducibly with a seed', async () => {
    const r = await hf('risk', 'var', '--returns', single, '--confidence', '0.9', '--horizon', '4', '--json');
    expect((JSON.parse(r.out[0]!) as { valueAtRisk: number }).valueAtRisk).toBeCloseTo(0.064, 12);
    const run = async () =>
      JSON.parse(
        (
          await hf(
            'risk',
            'var',
            '--returns',
            pair,
            '--weights',
            '0.5,0.5',
            '--method',
            'montecarlo',
            '--paths',
            '5000',
            '--seed',
            '9',
            '--json',
          )
        ).out[0]!,
      ) as { valueAtRisk: number; paths: number; seed: number };
    const a = await run();
    const b = await run();
    expect(a.paths).toBe(5000);
    expect(a.seed).toBe(9);
    expect(b.valueAtRisk).toBe(a.valueAtRisk);
  });

  it('exits 2 naming what is wrong', async () => {
    const cases: [string[], RegExp][] = [
      [[], /--returns <csv> is required/],
      [
        ['--returns', single, '--method', 'delta'],
        /--method must be one of historical, gaussian, modified, montecarlo/,
      ],
      [['--returns', single, '--confidence', '95'], /--confidence must be a fraction/],
      [['--returns', single, '--weights', '0.5,x'], /--weights must be numbers.*"x"/],
      [['--returns', single, '--column', '0'], /--column must be an integer ≥ 1/],
      [
        ['--returns', single, '--weights', '0.5,0.5'],
        /column 2 requested but the first data row has 1 numeric column/,
      ],
      [['--returns', join(directory, 'missing.csv')], /cannot read file/],
      [['--returns', file('nan.csv', '0.01\nNaN\n0.02\n')], /nan\.csv:2: "NaN" in column 1 is not a number/],
      [
        ['--returns', file('short.csv', '0.01\n0.02\n0.03\n'), '--method', 'modified'],
        /too little history: series 1 has 3 values, at least 4 needed/,
      ],
    ];
    for (const [args, pattern] of cases) {
      const r = await hf('risk', 'var', ...args);
      expect(r.code).toBe(2);
      expect(r.out).toEqual([]);
      expect(r.err.join('\n')).toMatch(pattern);
      expect(r.err[0]).toMatch(/^hf risk var: /);
    }
  });
});
