// Worked examples of the ledger with numbers computed by hand in the comments.

import { describe, expect, it } from 'vitest';
import type { InstrumentId, StrategyId } from '../model/index.ts';
import { Ledger, validateFill } from './ledger.ts';
import { LedgerError } from './reasons.ts';
import { instrumentOf, makeFill, testRegistry } from './test-fixtures.ts';
import type { Journal } from './types.ts';

const registry = testRegistry();
const aapl = instrumentOf(registry, 'AAPL.SIM-A');
const penny = instrumentOf(registry, 'PENNY.SIM-A');
const bund = instrumentOf(registry, 'BUND.SIM-B');
const toyota = instrumentOf(registry, 'TOYOTA.SIM-A');
const mini = instrumentOf(registry, 'MINI.SIM-A');

function linesOf(journal: Journal | undefined): [string, string, bigint][] {
  if (!journal) throw new Error('expected a journal');
  return journal.lines.map((l) => [l.account, l.currency, l.amountMinor]);
}

describe('Ledger: a long round trip in AAPL (USD, cents)', () => {
  const ledger = new Ledger();
  // Opening capital 100,000.00 USD = 10,000,000 cents: Dr cash / Cr equity.
  const deposit = ledger.deposit('USD', 10_000_000n, 'capital:SIM-A');

  it('books a deposit as Dr cash / Cr equity', () => {
    expect(linesOf(deposit)).toEqual([
      ['cash:USD', 'USD', 10_000_000n],
      ['equity:USD', 'USD', -10_000_000n],
    ]);
  });

  it('buy 100 @ 10.00 fee 1.00: Dr position 1000.00 / Cr cash; Dr fees 1.00 / Cr cash', () => {
    const journal = ledger.book(
      makeFill({ instrument: aapl, side: 'buy', quantity: 100, price: 10, fee: 1, trade: 'T1' }),
      aapl,
    );
    expect(linesOf(journal)).toEqual([
      ['position:AAPL.SIM-A', 'USD', 100_000n],
      ['cash:USD', 'USD', -100_000n],
      ['fees:USD', 'USD', 100n],
      ['cash:USD', 'USD', -100n],
    ]);
    // cash: 10,000,000 - 100,000 - 100 = 9,899,900
    expect(ledger.balance('cash:USD')).toBe(9_899_900n);
    expect(ledger.position(aapl.id)).toMatchObject({
      quantity: 100,
      costBasisMinor: 100_000n,
      averagePrice: 10,
      feesMinor: 100n,
    });
  });

  it('sell 40 @ 12.50 fee 0.50: removes 40% of the basis and realizes the difference', () => {
    const journal = ledger.book(
      makeFill({ instrument: aapl, side: 'sell', quantity: 40, price: 12.5, fee: 0.5, trade: 'T2' }),
      aapl,
    );
    // basis removed = 100,000 × 40 / 100 = 40,000; proceeds = 40 × 12.50 = 500.00 = 50,000;
    // realized = 50,000 - 40,000 = 10,000 (a credit to realized: -10,000).
    expect(linesOf(journal)).toEqual([
      ['position:AAPL.SIM-A', 'USD', -40_000n],
      ['realized:USD', 'USD', -10_000n],
      ['cash:USD', 'USD', 50_000n],
      ['fees:USD', 'USD', 50n],
      ['cash:USD', 'USD', -50n],
    ]);
    expect(ledger.position(aapl.id)).toMatchObject({
      quantity: 60,
      costBasisMinor: 60_000n,
      averagePrice: 10,
      realizedMinor: 10_000n,
    });
  });

  it('sell 100 @ 9.00 flips: closes 60 at a loss, then opens a 40 short', () => {
    const journal = ledger.book(
      makeFill({ instrument: aapl, side: 'sell', quantity: 100, price: 9, trade: 'T3' }),
      aapl,
    );
    // close 60: proceeds 60 × 9.00 = 54,000; basis removed = all 60,000; realized = 54,000 - 60,000 = -6,000.
    // open 40 short: total 100 × 9.00 = 90,000, minus the 54,000 closing = 36,000 of (negative) basis.
    expect(linesOf(journal)).toEqual([
      ['position:AAPL.SIM-A', 'USD', -60_000n],
      ['realized:USD', 'USD', 6_000n],
      ['position:AAPL.SIM-A', 'USD', -36_000n],
      ['cash:USD', 'USD', 90_000n],
    ]);
    // realized 10,000 - 6,000 = 4,000
    expect(ledger.position(aapl.id)).toMatchObject({
      quantity: -40,
      costBasisMinor: -36_000n,
      averagePrice: 9,
      realizedMinor: 4_000n,
    });
    // short 40 marked at 8.50: value -34,000; unrealized = -34,000 - (-36,000) = +2,000
    expect(ledger.unrealizedMinor(aapl.id, 8.5)).toBe(2_000n);
  });

  it('buy 40 @ 8.00 covers the short with no basis left over', () => {
    const journal = ledger.book(
      makeFill({ instrument: aapl, side: 'buy', quantity: 40, price: 8, trade: 'T4' }),
      aapl,
    );
    // cost 40 × 8.00 = 32,000; basis removed = all -36,000; realized = 36,000 - 32,000 = 4,000.
    expect(linesOf(journal)).toEqual([
      ['position:AAPL.SIM-A', 'USD', 36_000n],
      ['realized:USD', 'USD', -4_000n],
      ['cash:USD', 'USD', -32_000n],
    ]);
    expect(ledger.position(aapl.id)).toMatchObject({
      quantity: 0,
      costBasisMinor: 0n,
      averagePrice: 0,
      realizedMinor: 8_000n,
      feesMinor: 150n,
    });
    expect(ledger.unrealizedMinor(aapl.id, 123.45)).toBe(0n);
  });

  it('ends with cash = capital + realized - fees and a zero trial balance', () => {
    // 10,000,000 + 8,000 - 150 = 10,007,850
    expect(ledger.balance('cash:USD')).toBe(10_007_850n);
    expect(ledger.balance('realized:USD')).toBe(-8_000n);
    expect(ledger.balance('fees:USD')).toBe(150n);
    expect(ledger.balance('position:AAPL.SIM-A')).toBe(0n);
    expect(ledger.trialBalance()).toEqual({ USD: 0n });
    expect(ledger.journals().map((j) => j.sequence)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('Ledger: rounding to the minor unit', () => {
  it('fractional lots at 4-decimal prices round half-even and leave no residue on close', () => {
    const ledger = new Ledger();
    // buy 0.333 @ 1.2345: 0.4110885 USD = 41.10885 cents -> 41
    ledger.book(
      makeFill({ instrument: penny, side: 'buy', quantity: 0.333, price: 1.2345, trade: 'P1' }),
      penny,
    );
    expect(ledger.position(penny.id)).toMatchObject({ quantity: 0.333, costBasisMinor: 41n });
    // sell 0.111 @ 1.2345: proceeds 0.1370295 = 13.70295 cents -> 14; basis removed 41 × 111 / 333 = 13.67 -> 14
    const partial = ledger.book(
      makeFill({ instrument: penny, side: 'sell', quantity: 0.111, price: 1.2345, trade: 'P2' }),
      penny,
    );
    expect(linesOf(partial)).toEqual([
      ['position:PENNY.SIM-A', 'USD', -14n],
      ['cash:USD', 'USD', 14n],
    ]);
    // sell 0.222 @ 1.2399: proceeds 0.2752578 = 27.52578 cents -> 28; basis removed: all that is left, 41 - 14 = 27
    const close = ledger.book(
      makeFill({ instrument: penny, side: 'sell', quantity: 0.222, price: 1.2399, trade: 'P3' }),
      penny,
    );
    expect(linesOf(close)).toEqual([
      ['position:PENNY.SIM-A', 'USD', -27n],
      ['realized:USD', 'USD', -1n],
      ['cash:USD', 'USD', 28n],
    ]);
    expect(ledger.position(penny.id)).toMatchObject({ quantity: 0, costBasisMinor: 0n, realizedMinor: 1n });
  });

  it('fees convert half-even: 0.125 -> 12 cents, 0.135 -> 14 cents', () => {
    const ledger = new Ledger();
    ledger.book(
      makeFill({ instrument: aapl, side: 'buy', quantity: 1, price: 1, fee: 0.125, trade: 'F1' }),
      aapl,
    );
    ledger.book(
      makeFill({ instrument: aapl, side: 'buy', quantity: 1, price: 1, fee: 0.135, trade: 'F2' }),
      aapl,
    );
    expect(ledger.balance('fees:USD')).toBe(26n);
  });

  it('a maker rebate (negative fee) credits fees and debits cash', () => {
    const ledger = new Ledger();
    const journal = ledger.book(
      makeFill({ instrument: aapl, side: 'buy', quantity: 10, price: 10, fee: -0.02, trade: 'R1' }),
      aapl,
    );
    expect(linesOf(journal).slice(2)).toEqual([
      ['fees:USD', 'USD', -2n],
      ['cash:USD', 'USD', 2n],
    ]);
  });

  it('multipliers scale the notional: 0.25 lots of MINI (×0.5) @ 4012.3455', () => {
    const ledger = new Ledger();
    // 4012.3455 × 0.25 × 0.5 = 501.5431875 USD = 50154.31875 cents -> 50154
    ledger.book(
      makeFill({ instrument: mini, side: 'buy', quantity: 0.25, price: 4012.3455, trade: 'M1' }),
      mini,
    );
    expect(ledger.position(mini.id)?.costBasisMinor).toBe(50_154n);
    // BUND ×10, 0.01 lots @ 131.5 = 13.15 EUR = 1315 cents
    ledger.book(
      makeFill({ instrument: bund, side: 'sell', quantity: 0.01, price: 131.5, trade: 'B1' }),
      bund,
    );
    expect(ledger.position(bund.id)).toMatchObject({
      quantity: -0.01,
      costBasisMinor: -1_315n,
      currency: 'EUR',
    });
  });

  it('a JPY instrument with a USD fee books each leg in its own currency', () => {
    const ledger = new Ledger();
    // 100 × 2500 = 250,000 JPY (0 decimals); fee 1.50 USD = 150 cents
    const journal = ledger.book(
      makeFill({
        instrument: toyota,
        side: 'buy',
        quantity: 100,
        price: 2500,
        fee: 1.5,
        feeCurrency: 'USD',
        trade: 'J1',
      }),
      toyota,
    );
    expect(linesOf(journal)).toEqual([
      ['position:TOYOTA.SIM-A', 'JPY', 250_000n],
      ['cash:JPY', 'JPY', -250_000n],
      ['fees:USD', 'USD', 150n],
      ['cash:USD', 'USD', -150n],
    ]);
    expect(ledger.trialBalance()).toEqual({ JPY: 0n, USD: 0n });
    // the position's fees count only fees in its own currency
    expect(ledger.position(toyota.id)?.feesMinor).toBe(0n);
  });

  it('a price off the tick grid is booked at its exact value, not rounded to the tick', () => {
    const ledger = new Ledger();
    // midpoint 10.005 × 3 = 30.015 USD = 3001.5 cents -> half-even 3002
    ledger.book(makeFill({ instrument: aapl, side: 'buy', quantity: 3, price: 10.005, trade: 'O1' }), aapl);
    expect(ledger.position(aapl.id)?.costBasisMinor).toBe(3_002n);
  });
});

describe('Ledger: idempotency and refusals', () => {
  it('booking the same (venue, tradeId) twice is a no-op', () => {
    const ledger = new Ledger();
    const fill = makeFill({ instrument: aapl, side: 'buy', quantity: 5, price: 20, fee: 0.1, trade: 'D1' });
    expect(ledger.book(fill, aapl)).toBeDefined();
    const before = ledger.snapshot();
    expect(ledger.book(fill, aapl)).toBeUndefined();
    expect(ledger.book({ ...fill, lastQuantity: 7 }, aapl)).toBeUndefined();
    expect(ledger.snapshot()).toEqual(before);
    expect(ledger.isBooked(fill.venue, fill.tradeId)).toBe(true);
  });

  it('the same tradeId on another venue is another trade', () => {
    const ledger = new Ledger();
    const other = instrumentOf(registry, 'AAPL.SIM-B');
    ledger.book(makeFill({ instrument: aapl, side: 'buy', quantity: 5, price: 20, trade: 'X' }), aapl);
    expect(
      ledger.book(makeFill({ instrument: other, side: 'buy', quantity: 5, price: 20, trade: 'X' }), other),
    ).toBeDefined();
  });

  it.each([
    ['zero quantity', { lastQuantity: 0 }],
    ['negative quantity', { lastQuantity: -1 }],
    ['quantity off the lot', { lastQuantity: 1.5 }],
    ['NaN price', { lastPrice: Number.NaN }],
    ['zero price', { lastPrice: 0 }],
    ['infinite fee', { fee: Number.POSITIVE_INFINITY }],
    ['fee without currency', { fee: 1, feeCurrency: '' }],
    ['bad side', { side: 'hold' }],
    ['missing tradeId', { tradeId: '' }],
    ['missing clientOrderId', { clientOrderId: undefined }],
    ['unknown liquidity', { liquidity: 'both' }],
    ['negative leaves quantity', { leavesQuantity: -1 }],
    ['non-finite time', { tsEvent: Number.NaN }],
  ])('refuses a fill with %s (LEDGER_INVALID_FILL) and changes nothing', (_name, patch) => {
    const ledger = new Ledger();
    ledger.deposit('USD', 1_000n, 'capital');
    const before = ledger.snapshot();
    const fill = {
      ...makeFill({ instrument: aapl, side: 'buy', quantity: 1, price: 1, trade: 'BAD' }),
      ...patch,
    } as never;
    expect(validateFill(fill, aapl)).toBe('LEDGER_INVALID_FILL');
    expect(() => ledger.book(fill, aapl)).toThrowError(LedgerError);
    expect(ledger.snapshot()).toEqual(before);
  });

  it('refuses a fill booked against another instrument', () => {
    const fill = makeFill({ instrument: penny, side: 'buy', quantity: 1, price: 1, trade: 'W' });
    expect(validateFill(fill, aapl)).toBe('LEDGER_UNKNOWN_INSTRUMENT');
  });

  it('deposits are idempotent on ref; a reused ref with another amount is refused', () => {
    const ledger = new Ledger();
    const first = ledger.deposit('USD', 500n, 'capital');
    expect(ledger.deposit('USD', 500n, 'capital')).toBe(first);
    expect(() => ledger.deposit('USD', 600n, 'capital')).toThrowError(/LEDGER_DUPLICATE_REFERENCE/);
    expect(() => ledger.deposit('', 600n, 'x')).toThrowError(/LEDGER_INVALID_DEPOSIT/);
    expect(ledger.balance('cash:USD')).toBe(500n);
    expect(ledger.journalCount).toBe(1);
  });

  it('replay records refused entries instead of throwing', () => {
    const fill = makeFill({ instrument: aapl, side: 'buy', quantity: 1, price: 1, trade: 'U' });
    const ledger = Ledger.replay(
      [
        { kind: 'deposit', sequence: 1, ref: 'c', currency: 'USD', amountMinor: 100n, tsEvent: 0 },
        { kind: 'fill', sequence: 2, fill: { ...fill, instrumentId: 'GONE.SIM-A' as InstrumentId } },
        { kind: 'fill', sequence: 3, fill },
      ],
      registry,
    );
    expect(ledger.rejectedEntries()).toMatchObject([{ sequence: 2, code: 'LEDGER_UNKNOWN_INSTRUMENT' }]);
    // sequences are kept from the log, so the gap stays a gap
    expect(ledger.journals().map((j) => j.sequence)).toEqual([1, 3]);
  });
});

describe('Ledger: per-strategy positions and PnL', () => {
  it('keeps each strategy on its own average cost while the firm nets them', () => {
    const ledger = new Ledger();
    const alpha = 'alpha' as StrategyId;
    const beta = 'beta' as StrategyId;
    ledger.book(
      makeFill({ instrument: aapl, side: 'buy', quantity: 100, price: 10, strategy: 'alpha', trade: 'S1' }),
      aapl,
    );
    ledger.book(
      makeFill({ instrument: aapl, side: 'sell', quantity: 100, price: 11, strategy: 'beta', trade: 'S2' }),
      aapl,
    );
    // firm: bought 100 @ 10.00, sold 100 @ 11.00: flat, realized 100 × 1.00 = 10,000 cents
    expect(ledger.position(aapl.id)).toMatchObject({
      quantity: 0,
      costBasisMinor: 0n,
      realizedMinor: 10_000n,
    });
    // strategies: alpha long 100 (basis 100,000), beta short 100 (basis -110,000), nothing realized yet
    expect(ledger.strategyPosition(alpha, aapl.id)).toMatchObject({
      quantity: 100,
      costBasisMinor: 100_000n,
      realizedMinor: 0n,
    });
    expect(ledger.strategyPosition(beta, aapl.id)).toMatchObject({
      quantity: -100,
      costBasisMinor: -110_000n,
    });
    expect(ledger.strategyQuantity(beta, aapl.id)).toBe(-100);
    // marked at 10.50: alpha +5,000, beta +5,000; together the firm's 10,000 realized
    expect(ledger.strategyUnrealizedMinor(alpha, aapl.id, 10.5)).toBe(5_000n);
    expect(ledger.strategyUnrealizedMinor(beta, aapl.id, 10.5)).toBe(5_000n);
    ledger.book(
      makeFill({ instrument: aapl, side: 'sell', quantity: 30, price: 12, strategy: 'alpha', trade: 'S3' }),
      aapl,
    );
    // alpha sells 30 @ 12.00: 36,000 - 30,000 = 6,000 realized
    expect(ledger.strategyRealizedMinor(alpha, 'USD')).toBe(6_000n);
    expect(ledger.strategyRealizedMinor(beta, 'USD')).toBe(0n);
    expect(ledger.strategies()).toEqual(['alpha', 'beta']);
    expect(ledger.strategyPositions(alpha).map((p) => p.quantity)).toEqual([70]);
  });

  it('returns undefined unrealized for an open position without a usable mark', () => {
    const ledger = new Ledger();
    ledger.book(makeFill({ instrument: aapl, side: 'buy', quantity: 1, price: 10, trade: 'N1' }), aapl);
    expect(ledger.unrealizedMinor(aapl.id, Number.NaN)).toBeUndefined();
    expect(ledger.unrealizedMinor('NEVER.SIM-A' as InstrumentId, 10)).toBe(0n);
    expect(ledger.position('NEVER.SIM-A' as InstrumentId)).toBeUndefined();
  });
});

describe('Ledger: retention (a long-running process with a store)', () => {
  const T = 1_700_000_000_000_000;
  const fill = (trade: string, minute: number) =>
    makeFill({
      instrument: aapl,
      trade,
      side: 'buy',
      quantity: 1,
      price: 100,
      tsEvent: T + minute * 60_000_000,
    });

  it('keeps the last journals and forgets trade ids past the horizon; totals are never trimmed', () => {
    const ledger = new Ledger();
    ledger.retain(3, 10 * 60_000_000);
    for (let i = 0; i < 8; i++) ledger.book(fill(`t${i}`, i), aapl);
    expect(ledger.journalCount).toBe(8);
    // Trimmed to the last 3 whenever 6 are held: after 8, the last 5.
    expect(ledger.journals().map((j) => j.sequence)).toEqual([4, 5, 6, 7, 8]);
    expect(ledger.journals().at(-1)?.sequence).toBe(8);
    expect(ledger.quantity(aapl.id)).toBe(8);
    // Within the horizon a repeated fill is a duplicate.
    expect(ledger.book(fill('t0', 9), aapl)).toBeUndefined();
    ledger.book(fill('t8', 11), aapl);
    expect(ledger.isBooked(aapl.venue, 't0')).toBe(false);
    expect(ledger.isBooked(aapl.venue, 't2')).toBe(true);
    expect(ledger.trialBalance()).toEqual({ USD: 0n });
  });

  it('a restored ledger keeps the ids it replayed with their fill times', () => {
    const first = new Ledger();
    for (let i = 0; i < 4; i++) first.book(fill(`t${i}`, i), aapl);
    const restored = Ledger.replay(
      first.journals().map((j) => ({
        kind: 'fill' as const,
        sequence: j.sequence,
        fill: fill(String((j as { tradeId: string }).tradeId), j.sequence - 1),
      })),
      registry,
    );
    restored.retain(100, 10 * 60_000_000);
    expect(restored.book(fill('t4', 5), aapl)).toBeDefined();
    // t3 (minute 3) is still within the horizon at minute 5: a redelivery is refused.
    expect(restored.book(fill('t3', 3), aapl)).toBeUndefined();
    expect(restored.quantity(aapl.id)).toBe(5);
    // The replayed ids age by their own fill times: at minute 12, t0–t2 (minutes 0–2) are forgotten, t3 is not.
    restored.book(fill('t5', 12), aapl);
    expect(['t0', 't1', 't2', 't3'].map((t) => restored.isBooked(aapl.venue, t))).toEqual([
      false,
      false,
      false,
      true,
    ]);
  });
});
