// `hf stats` in process: the table and the JSON object for a small file, and exit code 2 with a message on
// bad options or a bad file.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerStatsCommand } from './stats-command.ts';

const directory = mkdtempSync(join(tmpdir(), 'hf-stats-'));

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
  registerStatsCommand(program, { out: (l) => out.push(l), err: (l) => err.push(l) }, (c) => {
    code = c;
  });
  await program.parseAsync(args, { from: 'user' });
  return { code, out, err };
}

// Returns 0.1, −0.05, 0.02, 0.03 monthly. By hand: wealth 1.1, 1.045, 1.0659, 1.097877 → total 0.097877;
// CAGR 1.097877³ − 1 = 0.323308…; mean 0.025, sample variance 0.0113 / 3, volatility sqrt(0.0452) = 0.212603;
// Sharpe 0.3 / 0.212603 = 1.411081; downside deviation sqrt(0.05² / 4) = 0.025, Sortino sqrt(12) = 3.464102;
// max drawdown 1.045 / 1.1 − 1 = −0.05; Calmar 0.323308 / 0.05 = 6.466167; 3 of 4 periods positive.
const monthly = file(
  'monthly.csv',
  'date,fund\n2024-01-31,0.1\n2024-02-29,-0.05\n2024-03-31,0.02\n2024-04-30,0.03\n',
);

describe('hf stats', () => {
  it('prints a table', async () => {
    const r = await hf('stats', '--returns', monthly, '--periods-per-year', '12');
    expect(r.code).toBe(0);
    expect(r.err).toEqual([]);
    const text = r.out.join('\n');
    expect(text).toContain('monthly.csv column 1 "fund" (4 periods, 2024-01-31 to 2024-04-30)');
    expect(text).toMatch(/total return\s+9\.79 %/);
    expect(text).toMatch(/CAGR\s+32\.33 %/);
    expect(text).toMatch(/volatility \(annual\)\s+21\.26 %/);
    expect(text).toMatch(/Sharpe \(annual\)\s+1\.411/);
    expect(text).toMatch(/Sortino \(annual\)\s+3\.464/);
    expect(text).toMatch(/max drawdown\s+-5\.00 %/);
    expect(text).toMatch(/Calmar\s+6\.466/);
    expect(text).toMatch(/win rate\s+75\.00 %/);
  });

  it('prints one JSON object with --json, null where a ratio is undefined', async () => {
    const r = await hf('stats', '--returns', monthly, '--periods-per-year', '12', '--json');
    expect(r.code).toBe(0);
    expect(r.out).toHaveLength(1);
    const json = JSON.parse(r.out[0] ?? '') as Record<string, unknown>;
    expect(json).toMatchObject({
      column: 1,
      columnName: 'fund',
      firstLabel: '2024-01-31',
      lastLabel: '2024-04-30',
      periods: 4,
      periodsPerYear: 12,
      winRate: 0.75,
    });
    expect(json.totalReturn).toBeCloseTo(0.097877, 12);
    expect(json.sharpe).toBeCloseTo(1.411081302575396, 12);
    expect(json.maxDrawdown).toBeCloseTo(-0.05, 12);

    const flat = file('flat.csv', '0.01\n0.01\n');
    const constant = JSON.parse((await hf('stats', '--returns', flat, '--json')).out[0] ?? '') as Record<
      string,
      unknown
    >;
    expect(constant.sharpe).toBeNull();
    expect(constant.calmar).toBeNull();
  });

  it('reads the chosen column and applies the risk-free rate', async () => {
    const two = file('two.csv', '2024-01,0.5,0.1\n2024-02,0.5,-0.05\n2024-03,0.5,0.02\n2024-04,0.5,0.03\n');
    const r = await hf(
      'stats',
      '--returns',
      two,
      '--column',
      '2',
      '--periods-per-year',
      '12',
      '--risk-free',
      '0.01',
      '--json',
    );
    // excess mean 0.015, same deviation: 0.015 × 12 / sqrt(0.0452) = 0.846649
    expect((JSON.parse(r.out[0] ?? '') as { sharpe: number }).sharpe).toBeCloseTo(0.846648781545238, 12);
  });

  it('exits 2 naming the problem', async () => {
    const bad = file('bad.csv', 'date,r\n2024-01,0.1\n2024-02,oops\n');
    const cases: [string[], RegExp][] = [
      [['stats'], /--returns <csv> is required/],
      [['stats', '--returns', monthly, '--column', '0'], /--column must be an integer ≥ 1, got "0"/],
      [
        ['stats', '--returns', monthly, '--periods-per-year', 'monthly'],
        /--periods-per-year must be a positive number/,
      ],
      [['stats', '--returns', monthly, '--risk-free', ''], /--risk-free must be a number/],
      [['stats', '--returns', monthly, '--column', '2'], /monthly\.csv:2: column 2 requested/],
      [['stats', '--returns', bad], /bad\.csv:3: "oops" in column 1 is not a number/],
      [['stats', '--returns', join(directory, 'none.csv')], /none\.csv: cannot read file/],
    ];
    for (const [args, message] of cases) {
      const r = await hf(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.out).toEqual([]);
      expect(r.err.join('\n')).toMatch(message);
    }
  });
});
