// Implied volatility: a published example, round trips for every model across moneyness and maturity, and a
// typed error for each way no volatility can fit.
import { describe, expect, it } from 'vitest';
import { ImpliedVolatilityError, PricingInputError, type ImpliedVolatilityFailure } from './errors.ts';
import { impliedVolatility, priceBounds } from './implied-volatility.ts';
import { optionPrice } from './models.ts';
import { PRICING_MODELS, type OptionParameters, type PricingModel } from './types.ts';

function failure(run: () => unknown): ImpliedVolatilityError {
  try {
    run();
  } catch (error) {
    if (error instanceof ImpliedVolatilityError) return error;
    throw error;
  }
  throw new Error('expected an ImpliedVolatilityError');
}

describe('impliedVolatility', () => {
  it('reproduces Hull: a call worth 1.875 with S=21 K=20 r=10% T=0.25 implies σ = 23.5 %', () => {
    // Hull, "Options, Futures, and Other Derivatives", ch. "The Black–Scholes–Merton model", implied
    // volatilities: σ = 0.235 to 3 decimals.
    const parameters: OptionParameters = {
      type: 'call',
      spot: 21,
      strike: 20,
      time: 0.25,
      rate: 0.1,
      dividendYield: 0,
      volatility: 0,
    };
    expect(Math.abs(impliedVolatility('bsm', parameters, 1.875) - 0.235)).toBeLessThanOrEqual(0.0005);
  });

  it.each(PRICING_MODELS)(
    '%s: round-trips price → volatility across moneyness, maturities and volatilities',
    (model) => {
      let checked = 0;
      for (const type of ['call', 'put'] as const)
        for (const moneyness of [0.7, 0.9, 1, 1.1, 1.4])
          for (const time of [1 / 52, 0.25, 1, 3])
            for (const volatility of [0.1, 0.3, 0.8])
              for (const [rate, dividendYield] of [
                [0.05, 0.02],
                [0.01, 0.06],
              ] as const) {
                const parameters: OptionParameters = {
                  type,
                  spot: 100,
                  strike: 100 * moneyness,
                  time,
                  rate,
                  dividendYield,
                  volatility,
                };
                const price = optionPrice(model, parameters);
                // Where a 1 % change of volatility moves the price by less than 1e-7 the volatility is not
                // determined by the price (deep in the money at intrinsic, or worthless): nothing to recover.
                const sensitivity =
                  optionPrice(model, { ...parameters, volatility: volatility * 1.01 }) -
                  optionPrice(model, { ...parameters, volatility: volatility * 0.99 });
                if (sensitivity < 1e-7) continue;
                expect(Math.abs(impliedVolatility(model, parameters, price) - volatility)).toBeLessThan(1e-8);
                checked++;
              }
      // 240 combinations; the American ones lose the deep in-the-money puts that sit at exercise value.
      expect(checked).toBeGreaterThan(180);
    },
  );

  it('ignores the volatility it is given', () => {
    const parameters: OptionParameters = {
      type: 'put',
      spot: 100,
      strike: 105,
      time: 0.5,
      rate: 0.03,
      dividendYield: 0,
      volatility: 0.25,
    };
    const price = optionPrice('baw', parameters);
    expect(impliedVolatility('baw', { ...parameters, volatility: Number.NaN }, price)).toBeCloseTo(0.25, 10);
  });
});

describe('impliedVolatility failures', () => {
  const call: OptionParameters = {
    type: 'call',
    spot: 100,
    strike: 90,
    time: 0.5,
    rate: 0.05,
    dividendYield: 0,
    volatility: 0.2,
  };

  function expectFailure(
    model: PricingModel,
    parameters: OptionParameters,
    price: number,
    reason: ImpliedVolatilityFailure,
    code: string,
  ): ImpliedVolatilityError {
    const error = failure(() => impliedVolatility(model, parameters, price));
    expect(error.reason).toBe(reason);
    expect(error.code).toBe(code);
    return error;
  }

  it('says below-intrinsic for a price under the zero-volatility value', () => {
    // European call: lower bound S − K·e^(−rT) = 100 − 90·e^(−0.025) = 12.2222.
    const { lower } = priceBounds('bsm', true, 100, 90, 0.5, 0.05, 0);
    expect(lower).toBeCloseTo(100 - 90 * Math.exp(-0.025), 12);
    const error = expectFailure('bsm', call, 12, 'below-intrinsic', 'PRICING_IV_BELOW_INTRINSIC');
    expect(error.message).toContain('12.22');
    // American put: intrinsic K − S = 10; 9.5 is below it for every model of early exercise.
    expectFailure(
      'baw',
      { ...call, type: 'put', strike: 110 },
      9.5,
      'below-intrinsic',
      'PRICING_IV_BELOW_INTRINSIC',
    );
    expectFailure(
      'bjs',
      { ...call, type: 'put', strike: 110 },
      9.5,
      'below-intrinsic',
      'PRICING_IV_BELOW_INTRINSIC',
    );
  });

  it('says below-intrinsic for a deep in-the-money American put quoted at exactly its exercise value', () => {
    // S = 50 is far below the exercise boundary: every low volatility gives K − S, so none is implied by it.
    expectFailure(
      'baw',
      { ...call, type: 'put', spot: 50, strike: 100 },
      50,
      'below-intrinsic',
      'PRICING_IV_BELOW_INTRINSIC',
    );
  });

  it('says above-upper-bound for a price at or over what infinite volatility gives', () => {
    const error = expectFailure('bsm', call, 100, 'above-upper-bound', 'PRICING_IV_ABOVE_BOUND');
    expect(error.message).toContain('upper bound 100');
    expectFailure('black76', { ...call, type: 'put' }, 90, 'above-upper-bound', 'PRICING_IV_ABOVE_BOUND');
    expectFailure('baw', { ...call, type: 'put' }, 90.5, 'above-upper-bound', 'PRICING_IV_ABOVE_BOUND');
    // Just under the bound but beyond what volatility 100 (10,000 %) reaches on a one-day option.
    expectFailure(
      'bsm',
      { ...call, time: 1 / 365 },
      99.999999,
      'above-upper-bound',
      'PRICING_IV_ABOVE_BOUND',
    );
  });

  it('says no-convergence when the iteration budget runs out', () => {
    const price = optionPrice('bsm', call);
    const error = failure(() => impliedVolatility('bsm', call, price, { maxIterations: 1 }));
    expect(error.reason).toBe('no-convergence');
    expect(error.code).toBe('PRICING_IV_NO_CONVERGENCE');
  });

  it('rejects a price or an input that is not a number, naming it', () => {
    for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY])
      expect(() => impliedVolatility('bsm', call, bad)).toThrow(PricingInputError);
    expect(() => impliedVolatility('bsm', { ...call, spot: 0 }, 5)).toThrow(/^spot must be/);
    expect(() => impliedVolatility('gk', { ...call, time: Number.NaN }, 5)).toThrow(/^time must be/);
  });
});
