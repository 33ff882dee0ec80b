// `hf backtest` end to end: the fill semantics (a market order decided on a bar's close fills at the next bar's
// open, and the strategy then sees that bar), limit orders on gaps, money and commission to the cent, the JSON
// contract, output files, bad input, sweeps, and the README's user strategy file.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.ts';
import { ROOT, runHf } from '../helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'hf-backtest-'));
writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
const SRC = join(ROOT, 'src', 'index.ts');

async function hf(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  let code = 0;
  const program = buildProgram(
    { out: (l) => void out.push(l), err: (l) => void err.push(l) },
    (c) => (code = c),
  );
  try {
    await program.parseAsync(['--config', join(ROOT, 'configs'), ...args], { from: 'user' });
  } catch (error) {
    err.push(String(error));
    code = code || 2;
  }
  return { code, out, err };
}

/** Yahoo rows: [date, open, high, low, close]. */
function yahoo(name: string, rows: [string, number, number, number, number][]): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    'Date,Open,High,Low,Close,Adj Close,Volume\n' +
      rows.map(([d, o, h, l, c]) => `${d},${o},${h},${l},${c},${c},1000000`).join('\n') +
      '\n',
  );
  return path;
}

/**
 * A strategy that records what it sees, in order, and on bar `at` (0-based) submits the order `order`
 * (`market` buy, or a buy `limit` at a price); it writes its log as JSON to `log` when stopped.
 */
function recorder(): string {
  const path = join(dir, 'recorder.ts');
  writeFileSync(
    path,
    `import { Strategy } from ${JSON.stringify(SRC)};
import type { Bar, OrderFilled } from ${JSON.stringify(SRC)};
import { writeFileSync } from 'node:fs';

export default class Recorder extends Strategy<{ at: number; limit?: number; size: number; log: string; exitAt?: number }> {
  private bars = 0;
  private readonly seen: string[] = [];
  override onBar(bar: Bar): void {
    this.seen.push('bar ' + bar.close + ' position ' + this.position(bar.instrumentId));
    if (this.bars === this.params.at) this.buy(bar.instrumentId, this.params.size, this.params.limit);
    if (this.bars === this.params.exitAt) this.sell(bar.instrumentId, this.params.size);
    this.bars++;
  }
  override onFill(fill: OrderFilled): void {
    this.seen.push('fill ' + fill.side + ' ' + fill.lastQuantity + ' @ ' + fill.lastPrice + ' fee ' + fill.fee);
  }
  override onStop(): void {
    writeFileSync(this.params.log, JSON.stringify(this.seen));
  }
}
`,
  );
  return path;
}

const BARS: [string, number, number, number, number][] = [
  ['2024-01-02', 100, 101, 99, 100],
  ['2024-01-03', 100, 102, 99.5, 101], // decision bar (index 1): buy on this close
  ['2024-01-04', 101.5, 103, 101, 102], // fills at this open, 101.5
  ['2024-01-05', 102, 104, 101.5, 103.25],
  ['2024-01-08', 103, 106, 102.5, 105], // last close: the mark
];

describe('hf backtest', () => {
  it('fills a market order decided on a bar close at the next open, then shows that bar; money to the cent', async () => {
    const data = yahoo('five.csv', BARS);
    const log = join(dir, 'market.json');
    const out = join(dir, 'out-market');
    const r = await hf([
      'backtest',
      '--data',
      data,
      '--strategy',
      recorder(),
      '--param',
      'at=1',
      '--param',
      `log=${log}`,
      '--size',
      '10',
      '--cash',
      '10000',
      '--commission',
      '0.001',
      '--json',
      '--out',
      out,
    ]);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const seen = JSON.parse(readFileSync(log, 'utf8')) as string[];
    expect(seen).toEqual([
      'bar 100 position 0',
      'bar 101 position 0',
      // 10 × 101.5 = 1,015 notional; 0.1 % commission = 1.015, charged in whole cents: 1.02.
      'fill buy 10 @ 101.5 fee 1.02',
      'bar 102 position 10',
      'bar 103.25 position 10',
      'bar 105 position 10',
    ]);
    const json = JSON.parse(r.out[0]!) as Record<string, unknown> & {
      stats: Record<string, number | null>;
    };
    const fee = Number(/fee ([0-9.]+)/.exec(seen[2]!)![1]);
    // cash = 10,000 − 1,015 − fee; value = cash + 10 × 105.
    expect(json.cash).toBeCloseTo(10_000 - 1_015 - fee, 2);
    expect(json.finalValue).toBeCloseTo(10_000 - 1_015 - fee + 1_050, 2);
    expect(json).toMatchObject({ closedTrades: 0, openPositions: 1, fills: 1, ledgerBalanced: true });
    expect(json.commission).toBeCloseTo(fee, 6);
    for (const key of [
      'totalReturn',
      'cagr',
      'volatility',
      'sharpe',
      'sortino',
      'maxDrawdown',
      'calmar',
      'winRate',
    ])
      expect(json.stats).toHaveProperty(key);
    expect(json.stats.totalReturn).toBeCloseTo((1_050 - 1_015 - fee) / 10_000, 10);
    expect(json.eventsPerSecond).toBeGreaterThan(0);
    // --out: the fills, the daily equity and a chart.
    expect(readFileSync(join(out, 'fills.csv'), 'utf8').split('\n')[1]).toMatch(
      /^2024-01-04 23:59:59\.999,recorder-/,
    );
    const equity = readFileSync(join(out, 'equity.csv'), 'utf8').trim().split('\n');
    expect(equity).toHaveLength(6);
    expect(equity[5]).toBe(`2024-01-08 23:59:59.999,${(10_000 - 1_015 - fee + 1_050).toFixed(2)}`);
    const svg = readFileSync(join(out, 'equity.svg'), 'utf8');
    expect(svg).toMatch(/^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('<path d="M');
  });

  it('fills a buy limit at the open when the bar gaps through it, and counts a closed trade', async () => {
    const data = yahoo('gap.csv', [
      ['2024-01-02', 100, 101, 99, 100], // decision: buy limit 98
      ['2024-01-03', 99, 99.5, 98.5, 99], // low 98.5 > 98: no fill
      ['2024-01-04', 97, 98, 96, 97.5], // opens at 97, below the limit: fills at the open (better than 98)
      ['2024-01-05', 98, 99, 97.5, 98.5], // decision: sell at market
      ['2024-01-08', 99, 100, 98.5, 99.5], // fills at 99
    ]);
    const log = join(dir, 'limit.json');
    const r = await hf([
      'backtest',
      '--data',
      data,
      '--strategy',
      recorder(),
      '--param',
      'at=0',
      '--param',
      'limit=98',
      '--param',
      'exitAt=3',
      '--param',
      `log=${log}`,
      '--size',
      '5',
      '--json',
    ]);
    expect(r.err).toEqual([]);
    const seen = JSON.parse(readFileSync(log, 'utf8')) as string[];
    expect(seen.filter((s) => s.startsWith('fill'))).toEqual([
      'fill buy 5 @ 97 fee 0',
      'fill sell 5 @ 99 fee 0',
    ]);
    const json = JSON.parse(r.out[0]!) as {
      closedTrades: number;
      finalValue: number;
      stats: { winRate: number };
    };
    expect(json.closedTrades).toBe(1);
    expect(json.finalValue).toBeCloseTo(100_000 + 5 * (99 - 97), 6);
    expect(json.stats.winRate).toBe(1);
  });

  it('reports bad rows with file and line, fails on them with --strict, and says when the range is empty', async () => {
    const path = join(dir, 'bad.csv');
    writeFileSync(
      path,
      'Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,1,2,0.5,1,1,10\n2024-01-03,x,2,1,1,1,10\n2024-01-04,1,2,0.5,1,1,10\n',
    );
    const skip = await hf(['backtest', '--data', path]);
    expect(skip.code).toBe(0);
    expect(skip.out.join('\n')).toContain(
      '2 used of 3 rows, 1 skipped (1 × open, high, low and close must be positive numbers)',
    );
    const strict = await hf(['backtest', '--data', path, '--strict']);
    expect(strict.code).toBe(2);
    expect(strict.err).toEqual([
      `hf backtest: ${path}:3: open, high, low and close must be positive numbers`,
    ]);
    const empty = await hf(['backtest', '--data', path, '--from', '2025-01-01']);
    expect(empty.code).toBe(1);
    expect(empty.err[0]).toMatch(/no data between 2025-01-01 and the end/);
    const backwards = await hf(['backtest', '--data', path, '--from', '2024-02-01', '--to', '2024-01-01']);
    expect(backwards.err[0]).toMatch(/empty date range/);
    const missing = await hf(['backtest', '--data', join(dir, 'nope.csv')]);
    expect(missing.err[0]).toMatch(/data file not found: .*nope\.csv/);
  });

  it('names a strategy file that does not export a Strategy', async () => {
    const data = yahoo('plain.csv', BARS);
    const bad = join(dir, 'not-a-strategy.ts');
    writeFileSync(bad, 'export const x = 1;\n');
    const r = await hf(['backtest', '--data', data, '--strategy', bad]);
    expect(r.code).not.toBe(0);
    expect(r.err.join('\n')).toContain(`${bad} does not export a Strategy subclass`);
  });

  it('sweeps parameters over worker threads', async () => {
    const rows: [string, number, number, number, number][] = [];
    let price = 100;
    for (let i = 0; i < 120; i++) {
      const next = price * (1 + 0.02 * Math.sin(i / 6));
      const day = new Date(Date.UTC(2024, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
      rows.push([day, price, Math.max(price, next) + 0.5, Math.min(price, next) - 0.5, next]);
      price = next;
    }
    const data = yahoo('wave.csv', rows);
    const r = await hf([
      'backtest',
      '--data',
      data,
      '--param',
      'fast=2..4',
      '--param',
      'slow=10..20:10',
      '--threads',
      '2',
      '--json',
    ]);
    expect(r.err).toEqual([]);
    const sweep = JSON.parse(r.out[0]!) as {
      runs: { params: Record<string, number>; closedTrades: number; finalValue: number }[];
    };
    expect(sweep.runs.map((x) => [x.params.fast, x.params.slow])).toEqual([
      [2, 10],
      [2, 20],
      [3, 10],
      [3, 20],
      [4, 10],
      [4, 20],
    ]);
    for (const run of sweep.runs) expect(run.closedTrades).toBeGreaterThan(0);
    // The same parameter set run alone gives the same figures as inside the sweep.
    const single = await hf([
      'backtest',
      '--data',
      data,
      '--param',
      'fast=3',
      '--param',
      'slow=20',
      '--json',
    ]);
    const alone = JSON.parse(single.out[0]!) as { finalValue: number; closedTrades: number };
    expect(alone.finalValue).toBe(sweep.runs[3]!.finalValue);
    expect(alone.closedTrades).toBe(sweep.runs[3]!.closedTrades);
  });

  it("runs the README's strategy file through `hf backtest`", async () => {
    const data = yahoo('breakout.csv', [
      ['2024-01-02', 99.5, 101, 99, 100],
      ['2024-01-03', 100.5, 102, 100, 101],
      ['2024-01-04', 101.5, 103, 101, 102],
      ['2024-01-05', 103.5, 104.5, 103, 104], // close 104 breaks the 3-bar high of 103
      ['2024-01-08', 104.5, 105.1, 103.6, 104.6], // fills at 104.5
    ]);
    mkdirSync(join(dir, 'run'), { recursive: true });
    const r = await runHf([
      'backtest',
      '--data',
      data,
      '--strategy',
      'examples/breakout.ts',
      '--param',
      'lookback=3',
      '--size',
      '10',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    const json = JSON.parse(r.stdout) as { fills: number; openPositions: number; finalValue: number };
    expect(json).toMatchObject({ fills: 1, openPositions: 1 });
    expect(json.finalValue).toBeCloseTo(100_000 + 10 * (104.6 - 104.5), 6);
  });
});
