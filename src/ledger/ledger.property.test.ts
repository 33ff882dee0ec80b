// Property tests of the ledger's invariants (ARCHITECTURE.md §4, exact money) over random fill scripts.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  currencyDecimals,
  decimalsOf,
  notionalMinor,
  toMinor,
  type OrderFilled,
  type StrategyId,
} from '../model/index.ts';
import { Ledger } from './ledger.ts';
import { OPENING_DEPOSITS, runScript, scriptArbitrary, testRegistry } from './test-fixtures.ts';

const registry = testRegistry();

/** A fill's notional from the model's notionalMinor; a fractional multiplier is folded into the quantity. */
function independentNotional(fill: OrderFilled): bigint {
  const instrument = registry.instruments.get(fill.instrumentId)!;
  const { priceDecimals, quantityDecimals, multiplier } = instrument;
  const currency = currencyDecimals(instrument.currency);
  if (Number.isInteger(multiplier))
    return notionalMinor(
      fill.lastPrice,
      fill.lastQuantity,
      priceDecimals,
      quantityDecimals,
      currency,
      multiplier,
    );
  const extra = decimalsOf(multiplier);
  return notionalMinor(
    fill.lastPrice,
    fill.lastQuantity * multiplier,
    priceDecimals,
    quantityDecimals + extra,
    currency,
  );
}

describe('Ledger properties', () => {
  it('(1) the trial balance is 0n per currency, and every journal balances, after any sequence of fills', () => {
    fc.assert(
      fc.property(scriptArbitrary, (steps) => {
        const ledger = new Ledger();
        runScript(ledger, registry, steps);
        for (const sum of Object.values(ledger.trialBalance())) expect(sum).toBe(0n);
        for (const journal of ledger.journals()) {
          const perCurrency = new Map<string, bigint>();
          for (const line of journal.lines)
            perCurrency.set(line.currency, (perCurrency.get(line.currency) ?? 0n) + line.amountMinor);
          for (const sum of perCurrency.values()) expect(sum).toBe(0n);
        }
      }),
    );
  });

  it('(2) position quantities equal the signed sums of fills, per instrument and per strategy', () => {
    fc.assert(
      fc.property(scriptArbitrary, (steps) => {
        const ledger = new Ledger();
        const run = runScript(ledger, registry, steps);
        for (const [instrumentId, expected] of run.expectedByInstrument) {
          expect(ledger.quantity(instrumentId)).toBe(expected);
          expect(ledger.position(instrumentId)?.quantity).toBe(expected);
        }
        for (const [key, expected] of run.expectedByStrategy) {
          const [strategy, instrumentId] = key.split('|') as [StrategyId, never];
          expect(ledger.strategyQuantity(strategy, instrumentId)).toBe(expected);
        }
      }),
    );
  });

  it('cost basis is exact: realized - basis is the net cash of the fills, and a flat book holds no basis', () => {
    fc.assert(
      fc.property(scriptArbitrary, (steps) => {
        const ledger = new Ledger();
        const run = runScript(ledger, registry, steps);
        const cash = new Map<string, bigint>();
        for (const fill of run.fills) {
          const signed = fill.side === 'buy' ? -independentNotional(fill) : independentNotional(fill);
          for (const key of [fill.instrumentId as string, `${fill.strategyId}|${fill.instrumentId}`])
            cash.set(key, (cash.get(key) ?? 0n) + signed);
        }
        for (const p of [...ledger.positions(), ...ledger.strategyPositions()]) {
          if (p.quantity === 0) expect(p.costBasisMinor).toBe(0n);
          const key = p.strategyId === undefined ? p.instrumentId : `${p.strategyId}|${p.instrumentId}`;
          expect(p.realizedMinor - p.costBasisMinor).toBe(cash.get(key));
        }
      }),
    );
  });

  it('cash = deposits - bought + sold - fees, per currency', () => {
    fc.assert(
      fc.property(scriptArbitrary, (steps) => {
        const ledger = new Ledger();
        const run = runScript(ledger, registry, steps);
        const cash = new Map<string, bigint>();
        const add = (currency: string, amount: bigint): void => {
          cash.set(currency, (cash.get(currency) ?? 0n) + amount);
        };
        for (const d of OPENING_DEPOSITS) add(d.currency, d.amountMinor);
        for (const fill of run.fills) {
          const currency = registry.instruments.get(fill.instrumentId)!.currency;
          add(currency, fill.side === 'buy' ? -independentNotional(fill) : independentNotional(fill));
          if (fill.fee !== 0) add(fill.feeCurrency, -toMinor(fill.fee, currencyDecimals(fill.feeCurrency)));
        }
        for (const [currency, expected] of cash) expect(ledger.balance(`cash:${currency}`)).toBe(expected);
      }),
    );
  });

  it('(3) booking any fill a second time changes nothing', () => {
    fc.assert(
      fc.property(scriptArbitrary, fc.array(fc.nat(), { minLength: 1, maxLength: 10 }), (steps, picks) => {
        const ledger = new Ledger();
        const run = runScript(ledger, registry, steps);
        const before = ledger.snapshot();
        for (const pick of picks) {
          const fill = run.fills[pick % run.fills.length]!;
          expect(ledger.book(fill, registry.instruments.get(fill.instrumentId)!)).toBeUndefined();
        }
        expect(ledger.snapshot()).toEqual(before);
      }),
    );
  });

  it('(4) replaying the event log rebuilds an identical snapshot, duplicates in the log included', () => {
    fc.assert(
      fc.property(scriptArbitrary, fc.array(fc.nat(), { maxLength: 5 }), (steps, redeliveries) => {
        const ledger = new Ledger();
        const run = runScript(ledger, registry, steps);
        const log = [...run.entries];
        // at-least-once delivery: some fills appear again later in the log
        for (const pick of redeliveries) log.push(run.entries[pick % run.entries.length]!);
        expect(Ledger.replay(log, registry).snapshot()).toEqual(ledger.snapshot());
      }),
    );
  });
});
