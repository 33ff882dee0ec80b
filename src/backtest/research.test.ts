// The research entry: data helpers, a backtest of a class given in code, sweeps, drawdowns, VaR side by side,
// stress tests and the SVG / HTML helpers.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Strategy,
  backtest,
  barChart,
  classStrategyName,
  compareVar,
  drawdowns,
  histogram,
  histogramBins,
  htmlTable,
  lineChart,
  loadData,
  parameterCombinations,
  randomWalkBars,
  stressTest,
  sweepBacktests,
  writeBarsFile,
  type Bar,
} from './research.ts';

const scratch = mkdtempSync(join(tmpdir(), 'hf-research-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('data helpers', () => {
  it('a random walk with no volatility compounds the drift, in cents, on weekdays only', () => {
    // drift 0.252 a year = 0.001 a day: 100 → 100 · e^0.001 = 100.1000 → 100.10; 100.10 · 1.0010005 = 100.2001
    // → 100.20; 100.20 · 1.0010005 = 100.3003 → 100.30. The open is the previous close (no gap at zero volatility).
    const bars = randomWalkBars({ days: 3, price: 100, drift: 0.252, volatility: 0 });
    expect(bars.map((b) => b.close)).toEqual([100.1, 100.2, 100.3]);
    expect(bars.map((b) => b.open)).toEqual([100, 100.1, 100.2]);
    const week = randomWalkBars({ days: 10, start: '2024-01-01', seed: 3 });
    for (const bar of week) {
      const weekday = new Date(bar.tsEvent / 1000).getUTCDay();
      expect(weekday === 0 || weekday === 6).toBe(false);
      expect(bar.high).toBeGreaterThanOrEqual(Math.max(bar.open, bar.close));
      expect(bar.low).toBeLessThanOrEqual(Math.min(bar.open, bar.close));
    }
    // 2024-01-01 is a Monday: ten weekdays end on Friday 2024-01-12.
    expect(new Date(week[9]!.tsEvent / 1000).toISOString().slice(0, 10)).toBe('2024-01-12');
  });

  it('the same seed gives the same walk, another seed another one', () => {
    const a = randomWalkBars({ days: 50, seed: 5 });
    expect(randomWalkBars({ days: 50, seed: 5 })).toEqual(a);
    expect(randomWalkBars({ days: 50, seed: 6 }).map((b) => b.close)).not.toEqual(a.map((b) => b.close));
  });

  it('rejects a walk it cannot make, naming the input', () => {
    expect(() => randomWalkBars({ days: 0 })).toThrow(/days/);
    expect(() => randomWalkBars({ days: 5, start: 'soon' })).toThrow(/start/);
    expect(() => randomWalkBars({ days: 5, price: -1 })).toThrow(/price/);
  });

  it('bars written as a file read back the same', () => {
    const bars = randomWalkBars({ days: 20, seed: 9, symbol: 'ROUND' });
    const file = writeBarsFile(join(scratch, 'round-trip.csv'), bars);
    const loaded = loadData(file, { instrument: 'ROUND.BACKTEST' });
    expect(loaded.format).toBe('yahoo');
    expect(loaded.skipped).toBe(0);
    const read = loaded.rows as Bar[];
    expect(read.map((b) => [b.tsEvent, b.open, b.high, b.low, b.close, b.volume])).toEqual(
      bars.map((b) => [b.tsEvent, b.open, b.high, b.low, b.close, b.volume]),
    );
    expect(loadData(file, { limit: 5 }).rows).toHaveLength(5);
  });
});

class BuyAndHold extends Strategy {
  private bought = false;
  override onBar(bar: Bar): void {
    if (this.bought) return;
    this.bought = true;
    this.buy(bar.instrumentId, 10);
  }
}

describe('backtests of a class given in code', () => {
  const bars = randomWalkBars({ days: 60, seed: 21, symbol: 'HOLD' });
  const file = writeBarsFile(join(scratch, 'hold.csv'), bars);

  it('runs the class under its kebab-case name and books its fill at the next bar’s open', async () => {
    const result = await backtest({ data: file, strategy: BuyAndHold, cash: 100_000, commission: 0 });
    expect(result.strategy).toBe('buy-and-hold');
    expect(result.fills).toBe(1);
    // Decided on the first bar's close, filled at the second bar's open; held to the last close, no fees.
    expect(result.fillList[0]!.price).toBe(bars[1]!.open);
    const expected = 100_000 + 10 * (bars[bars.length - 1]!.close - bars[1]!.open);
    expect(result.finalValue).toBeCloseTo(expected, 6);
    expect(result.ledgerBalanced).toBe(true);
  });

  it('names classes in kebab case', () => {
    class MomentumStrategy extends Strategy {}
    class SMA2Cross extends Strategy {}
    expect(classStrategyName(MomentumStrategy)).toBe('momentum-strategy');
    expect(classStrategyName(SMA2Cross)).toBe('sma2-cross');
    expect(classStrategyName((() => class extends Strategy {})())).toBe('strategy');
  });

  it('sweeps every combination and reports a rejected one without stopping', async () => {
    const outcomes = await sweepBacktests(
      { data: file, strategy: 'sma-cross', size: 10 },
      { fast: [3, 8], slow: [5, 12] },
    );
    expect(outcomes.map((o) => o.params)).toEqual([
      { fast: 3, slow: 5 },
      { fast: 3, slow: 12 },
      { fast: 8, slow: 5 },
      { fast: 8, slow: 12 },
    ]);
    expect(outcomes[2]!.result).toBeUndefined();
    expect(outcomes[2]!.error).toMatch(/fast.*less than slow/);
    for (const i of [0, 1, 3]) expect(outcomes[i]!.result?.ledgerBalanced).toBe(true);
  });
});

describe('parameter grids and drawdowns', () => {
  it('expands a grid in order, the last parameter fastest', () => {
    expect(parameterCombinations({ a: [1, 2], b: ['x', 'y'] })).toEqual([
      { a: 1, b: 'x' },
      { a: 1, b: 'y' },
      { a: 2, b: 'x' },
      { a: 2, b: 'y' },
    ]);
    expect(() => parameterCombinations({ a: [] })).toThrow(/"a"/);
    expect(() => parameterCombinations({ b: 5 as unknown as number[] })).toThrow(/"b".*list/);
  });

  it('measures drawdowns from the running peak', () => {
    // Peaks 100, 120, 120, 130: 90 is 90/120 − 1 = −25 %.
    expect(
      drawdowns([
        [1, 100],
        [2, 120],
        [3, 90],
        [4, 130],
      ]),
    ).toEqual([
      [1, 0],
      [2, 0],
      [3, -0.25],
      [4, 0],
    ]);
  });
});

describe('risk', () => {
  it('puts the methods side by side', () => {
    // Ten returns, confidence 90 %: the type-7 quantile sits at h = 9 · 0.1 = 0.9 between −5 % and −3 %:
    // −0.05 + 0.9 · 0.02 = −0.032, so VaR 3.2 %; ES is the mean of the returns at or below it: 5 %.
    const returns = [-0.05, -0.03, -0.01, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07];
    const rows = compareVar(returns, { confidences: [0.9, 0.95], paths: 1_000 });
    expect(rows.map((r) => `${r.method}@${r.confidence}`)).toEqual([
      'historical@0.9',
      'historical@0.95',
      'gaussian@0.9',
      'gaussian@0.95',
      'modified@0.9',
      'modified@0.95',
      'montecarlo@0.9',
      'montecarlo@0.95',
    ]);
    expect(rows[0]!.valueAtRisk).toBeCloseTo(0.032, 12);
    expect(rows[0]!.expectedShortfall).toBeCloseTo(0.05, 12);
    for (const row of rows) expect(row.expectedShortfall).toBeGreaterThanOrEqual(row.valueAtRisk);
  });

  it('stresses a book with the configured scenarios', () => {
    const { results, baseCurrency } = stressTest({
      positions: [
        { instrumentId: 'AAPL.SIM-A', quantity: 100, mark: 190 },
        { instrumentId: 'JPM.SIM-A', quantity: -50, mark: 150 },
      ],
    });
    expect(baseCurrency).toBe('USD');
    const equityDown = results.find((r) => r.name === 'equity-down-20')!;
    // −20 % × beta (configs/scenarios.yaml: AAPL 1.2, JPM 1.1): 100 · 190 · −0.24 = −4,560 and
    // −50 · 150 · −0.22 = +1,650.
    expect(equityDown.byInstrument).toEqual({ 'AAPL.SIM-A': -4560, 'JPM.SIM-A': 1650 });
    expect(equityDown.pnl).toBe(-2910);
  });

  it('names a position it cannot value', () => {
    expect(() => stressTest({ positions: [{ instrumentId: 'NOPE.SIM-A', quantity: 1, mark: 1 }] })).toThrow(
      /positions\[0\].*NOPE\.SIM-A/,
    );
    expect(() => stressTest({ positions: [{ instrumentId: 'AAPL.SIM-A', quantity: 1, mark: 0 }] })).toThrow(
      /positions\[0\].*mark/,
    );
  });
});

describe('charts and tables', () => {
  it('draws one path per series and a legend only for several', () => {
    const one = lineChart({
      title: 'one',
      series: [
        {
          name: 'a',
          points: [
            [0, 1],
            [1, 2],
          ],
        },
      ],
      x: 'number',
    });
    expect(one.match(/<path /g)).toHaveLength(1);
    const two = lineChart({
      title: 'two <&>',
      series: [
        {
          name: 'first',
          points: [
            [0, 1],
            [1, 2],
          ],
        },
        {
          name: 'second',
          points: [
            [0, 2],
            [1, 1],
          ],
        },
      ],
      x: 'number',
    });
    expect(two.match(/<path /g)).toHaveLength(2);
    expect(two).toContain('>second</text>');
    expect(two).toContain('two &lt;&amp;&gt;');
    expect(lineChart({ title: 'empty', series: [{ name: 'a', points: [] }] })).toContain('no data to chart');
  });

  it('bins a histogram over the range, the maximum in the last bin', () => {
    // Range 0–4 in two bins of width 2: [0, 2) holds 0 and 1; [2, 4] holds 2, 3 and 4.
    expect(histogramBins([0, 1, 2, 3, 4], 2)).toEqual({ low: 0, width: 2, counts: [2, 3] });
    expect(() => histogramBins([1], 0)).toThrow(/bins/);
    expect(
      histogram({ title: 'h', values: [0.1, 0.2, 0.2], markers: [{ value: 0, label: 'zero' }] }),
    ).toContain('>zero</text>');
  });

  it('draws bars up and down from zero', () => {
    const svg = barChart({
      title: 'b',
      categories: ['up', 'down'],
      series: [{ name: 's', values: [2, -1] }],
    });
    expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(2);
    expect(svg).toContain('s down: -1');
  });

  it('writes an HTML table of plain objects, escaped', () => {
    const html = htmlTable([{ name: '<b>', value: 1234.5678, missing: null }]);
    expect(html).toContain('<th>name</th><th>value</th><th>missing</th>');
    expect(html).toContain('<td>&lt;b&gt;</td>');
    expect(html).toContain('<td style="text-align:right">1,235</td>');
    expect(html).toContain('<td>–</td>');
  });
});
