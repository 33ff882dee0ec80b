// Tests of sma-cross through the real StrategyEngine: entries and exits exactly on the crossing bars, never short.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { InstrumentId } from '../../model/index.ts';
import { MovingAverageCrossStrategy } from './sma-cross.ts';
import { AAPL_A, MSFT_A, StrategyHarness, XOM_A } from './test-harness.ts';

/**
 * The rule written out naively, over integer prices (cents) so the averages compare exactly: bar t buys when
 * flat and fast > slow at t but not at t−1; it sells when long and fast < slow.
 */
function referenceSignals(
  cents: readonly number[],
  fast: number,
  slow: number,
): { buys: number[]; exits: number[] } {
  const sum = (end: number, length: number): number =>
    cents.slice(end - length + 1, end + 1).reduce((a, b) => a + b, 0);
  const buys: number[] = [];
  const exits: number[] = [];
  let long = false;
  let previous: number | undefined;
  for (let t = slow - 1; t < cents.length; t++) {
    const sign = Math.sign(sum(t, fast) * slow - sum(t, slow) * fast);
    if (!long && sign > 0 && previous !== undefined && previous <= 0) {
      buys.push(t);
      long = true;
    } else if (long && sign < 0) {
      exits.push(t);
      long = false;
    }
    previous = sign;
  }
  return { buys, exits };
}

/** Runs the strategy over the closes, filling each market order at the close of the bar that decided it. */
function run(
  closes: readonly number[],
  params: Record<string, unknown>,
  instrumentId: InstrumentId = AAPL_A,
): { buys: number[]; exits: number[]; harness: StrategyHarness; positions: number[] } {
  const harness = new StrategyHarness();
  const strategy = new MovingAverageCrossStrategy({ instrument: instrumentId, ...params });
  harness.add('sma', strategy).start();
  const buys: number[] = [];
  const exits: number[] = [];
  const positions: number[] = [];
  closes.forEach((close, t) => {
    harness.advance(86_400_000_000);
    const before = harness.commands.length;
    harness.publishBar(instrumentId, close);
    for (const command of harness.commands.slice(before)) {
      if (command.type !== 'submit_order') throw new Error(`unexpected ${command.type}`);
      const order = command.order;
      expect(order.type).toBe('market');
      if (order.side === 'buy') {
        buys.push(t);
        expect(order.reduceOnly).toBe(false);
      } else {
        exits.push(t);
        expect(order.reduceOnly).toBe(true);
      }
      harness.fill(order.clientOrderId, close);
    }
    positions.push(harness.engine.status()[0]!.positions[instrumentId] ?? 0);
  });
  return { buys, exits, harness, positions };
}

describe('sma-cross', () => {
  it('buys and closes exactly on the crossing bars worked out by hand', () => {
    // fast = 2, slow = 3. Averages (fast / slow) from bar 2 on:
    // t2 10/10 (equal) · t3 11/10.67 up-cross → buy · t4 13/12 · t5 13/12.67 · t6 11/12 below → close
    // t7 9/10 · t8 8/8.67 · t9 9/8.67 up-cross → buy · t10 11/10
    const closes = [10, 10, 10, 12, 14, 12, 10, 8, 8, 10, 12];
    const expected = { buys: [3, 9], exits: [6] };
    expect(
      referenceSignals(
        closes.map((c) => c * 100),
        2,
        3,
      ),
    ).toEqual(expected);
    const result = run(closes, { fast: 2, slow: 3, size: 100 });
    expect({ buys: result.buys, exits: result.exits }).toEqual(expected);
    expect(result.positions).toEqual([0, 0, 0, 100, 100, 100, 0, 0, 0, 100, 100]);
  });

  it('matches the naive rule on random price paths, never shorts, and keeps exact averages', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -300, max: 300 }), { minLength: 5, maxLength: 250 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 5 }).map((lots) => lots * 10),
        (steps, fast, extra, size) => {
          const slow = fast + extra;
          let cents = 10_000;
          const path = steps.map((s) => (cents = Math.max(1, cents + s)));
          const closes = path.map((c) => c / 100);
          const result = run(closes, { fast, slow, size });
          expect({ buys: result.buys, exits: result.exits }).toEqual(referenceSignals(path, fast, slow));
          for (const p of result.positions) expect(p === 0 || p === size).toBe(true);
          const strategy = result.harness.engine.strategy('sma') as MovingAverageCrossStrategy;
          const averages = strategy.averages(AAPL_A);
          if (closes.length >= slow) {
            const mean = (n: number): number => path.slice(-n).reduce((a, b) => a + b, 0) / n / 100;
            expect(averages!.fast).toBeCloseTo(mean(fast), 9);
            expect(averages!.slow).toBeCloseTo(mean(slow), 9);
          } else expect(averages).toBeUndefined();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('trades on quote mids with source: tick and ignores bars then', () => {
    const harness = new StrategyHarness();
    harness
      .add(
        'sma',
        new MovingAverageCrossStrategy({ instrument: AAPL_A, fast: 2, slow: 3, size: 10, source: 'tick' }),
      )
      .start();
    const mids = [10, 10, 10, 12];
    for (const mid of mids) harness.publishBar(AAPL_A, mid * 2);
    expect(harness.submits()).toHaveLength(0);
    for (const mid of mids) harness.publishQuote(AAPL_A, mid - 0.01, mid + 0.01);
    const submits = harness.submits();
    expect(submits).toHaveLength(1);
    expect(submits[0]).toMatchObject({ instrumentId: AAPL_A, side: 'buy', quantity: 10, type: 'market' });
  });

  it('keeps one order in flight per instrument and resumes once it is closed', () => {
    const harness = new StrategyHarness();
    harness
      .add('sma', new MovingAverageCrossStrategy({ instrument: AAPL_A, fast: 1, slow: 2, size: 5 }))
      .start();
    // fast(1) vs slow(2): 10,10 equal; 11 above → buy (left unfilled); 9 below; 12 above again: still in flight.
    for (const close of [10, 10, 11, 9, 12]) harness.publishBar(AAPL_A, close);
    expect(harness.submits()).toHaveLength(1);
    const entry = harness.submits()[0]!;
    harness.fill(entry.clientOrderId, 11);
    // Long now; the next bar below the slow average closes the position.
    harness.publishBar(AAPL_A, 8);
    expect(harness.submits()).toHaveLength(2);
    expect(harness.submits()[1]).toMatchObject({ side: 'sell', quantity: 5, reduceOnly: true });
  });

  it('forgets an order denied by risk and takes the next crossing', () => {
    const harness = new StrategyHarness();
    harness
      .add('sma', new MovingAverageCrossStrategy({ instrument: AAPL_A, fast: 1, slow: 2, size: 5 }))
      .start();
    for (const close of [10, 10, 11]) harness.publishBar(AAPL_A, close);
    harness.deny(harness.submits()[0]!.clientOrderId, 'RISK_MAX_NOTIONAL');
    for (const close of [9, 12]) harness.publishBar(AAPL_A, close);
    expect(harness.submits().map((o) => o.side)).toEqual(['buy', 'buy']);
  });

  it('retries a denied exit only after the averages cross again, not on every bar', () => {
    const harness = new StrategyHarness();
    harness
      .add('sma', new MovingAverageCrossStrategy({ instrument: AAPL_A, fast: 1, slow: 2, size: 5 }))
      .start();
    for (const close of [10, 10, 11]) harness.publishBar(AAPL_A, close);
    harness.fill(harness.submits()[0]!.clientOrderId, 11);
    harness.publishBar(AAPL_A, 9);
    const exit = harness.submits()[1]!;
    expect(exit).toMatchObject({ side: 'sell', reduceOnly: true });
    harness.deny(exit.clientOrderId, 'RISK_REDUCE_ONLY_VIOLATION');
    // Still below (8 < 8.5, 7 < 7.5): no retry. 9 > 8 re-arms (already long: no entry); 5 < 7 exits again.
    for (const close of [8, 7]) harness.publishBar(AAPL_A, close);
    expect(harness.submits()).toHaveLength(2);
    harness.publishBar(AAPL_A, 9);
    expect(harness.submits()).toHaveLength(2);
    harness.publishBar(AAPL_A, 5);
    expect(harness.submits().map((o) => o.side)).toEqual(['buy', 'sell', 'sell']);
  });

  it('keeps separate averages per instrument and ignores other timeframes and bad prices', () => {
    const harness = new StrategyHarness();
    harness
      .add(
        'sma',
        new MovingAverageCrossStrategy({
          instruments: [AAPL_A, MSFT_A],
          fast: 1,
          slow: 2,
          size: 5,
          timeframe: '1d',
        }),
      )
      .start();
    harness.publishBar(AAPL_A, 10);
    harness.publishBar(MSFT_A, 50);
    harness.publishBar(AAPL_A, 10);
    harness.publishBar(MSFT_A, 40);
    harness.publishBar(AAPL_A, Number.NaN);
    harness.publishBar(AAPL_A, -1);
    harness.publishBar(AAPL_A, 20, '1h');
    expect(harness.submits()).toHaveLength(0);
    harness.publishBar(AAPL_A, 11);
    harness.publishBar(MSFT_A, 45);
    expect(harness.submits().map((o) => [o.instrumentId, o.side])).toEqual([
      [AAPL_A, 'buy'],
      [MSFT_A, 'buy'],
    ]);
  });

  it('validates parameters, naming the bad one', () => {
    expect(() => new MovingAverageCrossStrategy({ fast: 0 })).toThrow(/"fast"/);
    expect(() => new MovingAverageCrossStrategy({ fast: 30, slow: 10 })).toThrow(/"fast".*less than slow/);
    expect(() => new MovingAverageCrossStrategy({ fast: 2.5 })).toThrow(/"fast"/);
    expect(() => new MovingAverageCrossStrategy({ size: -1 })).toThrow(/"size"/);
    expect(() => new MovingAverageCrossStrategy({ source: 'book' })).toThrow(/"source"/);
    expect(() => new MovingAverageCrossStrategy({ instrument: 'AAPL' })).toThrow(/"instrument"/);
    expect(() => new MovingAverageCrossStrategy({ fsat: 3 })).toThrow(/"fsat"/);
  });

  it('stops at start with the parameter named when the registry contradicts it', () => {
    const harness = new StrategyHarness();
    harness.add('lot', new MovingAverageCrossStrategy({ instrument: XOM_A, size: 5 }));
    harness.add('unknown', new MovingAverageCrossStrategy({ instrument: 'NOPE.SIM-A' }));
    harness.start();
    const status = harness.engine.status();
    expect(status[0]).toMatchObject({ running: false });
    expect(status[0]!.lastError).toMatch(/"size".*lot size 10/);
    expect(status[1]!.lastError).toMatch(/"instrument".*NOPE\.SIM-A/);
  });
});
