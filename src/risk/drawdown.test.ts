// Drawdown tracker: peak-to-trough from the start, intraday from the day's open, the most severe band when two
// are crossed at once, re-arming, and a reload that keeps the peaks.
import { describe, expect, it } from 'vitest';
import { parseRiskConfig } from './config.ts';
import { DrawdownMonitor } from './drawdown.ts';

function monitor(bands: unknown[], dayStart = '00:00') {
  return new DrawdownMonitor(parseRiskConfig({ drawdown: { dayStart, bands } }).drawdown);
}

describe('drawdown tracker', () => {
  it('measures peak-to-trough from the best P&L since start and intraday from the day’s best', () => {
    const tracker = monitor([]).portfolio;
    tracker.observe(-300, 0); // below the start: the peak is the start, 0
    expect(tracker.peakDrawdown).toBe(300);
    tracker.observe(1_000, 0);
    tracker.observe(400, 0);
    expect(tracker.peakDrawdown).toBe(600);
    expect(tracker.intradayDrawdown).toBe(600);
    tracker.observe(300, 1); // day 1 opens at 400 (where day 0 left off): 100 intraday, 700 from the peak
    expect(tracker.intradayDrawdown).toBe(100);
    expect(tracker.peakDrawdown).toBe(700);
    expect(tracker.worstPeak).toBe(700);
  });

  it('reports the most severe band when one move crosses two, and each band once until it re-arms', () => {
    const tracker = monitor([
      { scope: 'portfolio', measure: 'intraday', limit: 100, action: 'REDUCING' },
      { scope: 'portfolio', measure: 'peak', limit: 150, action: 'HALTED' },
    ]).portfolio;
    expect(tracker.observe(-200, 0)?.action).toBe('HALTED');
    expect(tracker.observe(-250, 0)).toBeUndefined();
    // Re-arm below 0.9 × limit: the intraday band at a drawdown under 90, the peak band under 135.
    expect(tracker.observe(-95, 0)).toBeUndefined(); // re-arms the peak band (95 < 135), not the intraday one
    expect(tracker.observe(-120, 0)).toBeUndefined(); // the peak band is armed but 120 < 150
    expect(tracker.observe(-80, 0)).toBeUndefined(); // re-arms the intraday band (80 < 90)
    expect(tracker.observe(-110, 0)?.action).toBe('REDUCING');
    expect(tracker.breaches).toBe(3);
  });

  it('applies strategy bands to the strategy they name, or to every strategy', () => {
    const drawdowns = monitor([
      { scope: 'strategy', measure: 'intraday', limit: 100, action: 'REDUCING' },
      { scope: 'strategy', strategy: 'mm', measure: 'peak', limit: 50, action: 'HALTED' },
    ]);
    expect(drawdowns.strategy('mm').bands).toHaveLength(2);
    expect(drawdowns.strategy('arb').bands).toHaveLength(1);
    expect(drawdowns.portfolio.bands).toHaveLength(0);
  });

  it('starts the day at dayStart, UTC', () => {
    const drawdowns = monitor([], '13:30');
    const day = 86_400_000_000;
    const at1329 = (13 * 60 + 29) * 60_000_000;
    expect(drawdowns.dayOf(10 * day + at1329)).toBe(9);
    expect(drawdowns.dayOf(10 * day + at1329 + 60_000_000)).toBe(10);
  });

  it('keeps P&L and peaks through a reload of the bands', () => {
    const before = monitor([]);
    before.portfolio.observe(500, 0);
    before.portfolio.observe(100, 0);
    before.strategy('mm').observe(-40, 0);
    const after = before.reconfigure(
      parseRiskConfig({
        drawdown: { bands: [{ scope: 'portfolio', measure: 'peak', limit: 300, action: 'REDUCING' }] },
      }).drawdown,
    );
    expect(after.portfolio.peakDrawdown).toBe(400);
    expect(after.strategy('mm').pnl).toBe(-40);
    expect(after.portfolio.observe(100, 0)?.action).toBe('REDUCING');
  });
});
