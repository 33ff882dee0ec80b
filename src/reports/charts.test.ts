// SVG line charts: round axis ticks, a long series thinned without losing its extremes, an empty series.

import { describe, expect, it } from 'vitest';
import { lineChartSvg, niceTicks, type ChartPoint } from './charts.ts';

const T0 = Date.UTC(2024, 0, 2, 14, 30) * 1000;

describe('niceTicks', () => {
  it('steps of 1, 2 or 5 × 10ⁿ covering the range', () => {
    // range 0..10 in about 5 steps: raw step 2 → 0, 2, 4, 6, 8, 10
    expect(niceTicks(0, 10)).toEqual([0, 2, 4, 6, 8, 10]);
    // range −53.76..0: raw step 10.752 → step 20: −40, −20, 0
    expect(niceTicks(-53.76, 0)).toEqual([-40, -20, 0]);
    expect(niceTicks(3, 3)).toEqual([3]);
  });
});

describe('lineChartSvg', () => {
  it('draws a polyline with value and UTC time labels', () => {
    const points: ChartPoint[] = [
      { time: T0, value: 100 },
      { time: T0 + 60_000_000, value: 110 },
      { time: T0 + 120_000_000, value: 105 },
    ];
    const svg = lineChartSvg({ title: 'Equity <USD>', points, formatValue: (v) => v.toFixed(0) });
    expect(svg).toContain('Equity &lt;USD&gt;');
    expect(svg).toContain('<polyline');
    // 120 s in at most 6 ticks: 15 s steps would make 8, so 30 s steps, 14:30:00 to 14:32:00
    expect(svg.match(/>14:3\d:\d\d</g)).toEqual([
      '>14:30:00<',
      '>14:30:30<',
      '>14:31:00<',
      '>14:31:30<',
      '>14:32:00<',
    ]);
    expect(svg).toContain('>110<');
  });

  it('keeps a spike when thinning a long series', () => {
    const points: ChartPoint[] = [];
    for (let i = 0; i < 20_000; i++) points.push({ time: T0 + i * 1000, value: i === 12_345 ? 500 : 100 });
    const svg = lineChartSvg({ title: 't', points, formatValue: String, height: 230 });
    const coordinates = /<polyline points="([^"]+)"/.exec(svg)?.[1]?.split(' ') ?? [];
    expect(coordinates.length).toBeLessThan(2 * 720);
    // the spike is the highest value, drawn at the top of the plot (y = top margin + 6 % padding)
    const ys = coordinates.map((c) => Number(c.split(',')[1]));
    expect(Math.min(...ys)).toBeLessThan(45);
  });

  it('says there is no data for an empty series', () => {
    const svg = lineChartSvg({ title: 'Drawdown', points: [], formatValue: String });
    expect(svg).toContain('no data');
    expect(svg).not.toContain('<polyline');
  });
});
