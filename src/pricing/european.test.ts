// European models against the worked examples of Haug and Hull, put–call parity, and every greek against a
// finite difference of the price.
import { describe, expect, it } from 'vitest';
import { PricingInputError } from './errors.ts';
import { optionGreeks, optionPrice } from './models.ts';
import { thetaPerDay, type OptionParameters, type OptionType, type PricingModel } from './types.ts';

function option(
  type: OptionType,
  spot: number,
  strike: number,
  time: number,
  rate: number,
  dividendYield: number,
  volatility: number,
): OptionParameters {
  return { type, spot, strike, time, rate, dividendYield, volatility };
}

/** A value printed to `decimals` decimals: the computed one must round to it. */
function expectPrinted(actual: number, printed: number, decimals: number): void {
  expect(Math.abs(actual - printed)).toBeLessThanOrEqual(0.5 * 10 ** -decimals + 1e-12);
}

describe('European prices: published worked examples', () => {
  // Haug, "The Complete Guide to Option Pricing Formulas" (McGraw-Hill, 1998), pp. 2–8 (the same examples are
  // in ch. 1 of the 2nd edition, 2007). Printed to 4 decimals.
  const haug: [string, PricingModel, OptionParameters, number][] = [
    [
      'Black–Scholes call, S=60 K=65 T=0.25 r=8% σ=30%',
      'bsm',
      option('call', 60, 65, 0.25, 0.08, 0, 0.3),
      2.1334,
    ],
    [
      'Merton put with q=5%, S=100 K=95 T=0.5 r=10% σ=20%',
      'bsm',
      option('put', 100, 95, 0.5, 0.1, 0.05, 0.2),
      2.4648,
    ],
    [
      'Black-76 call on futures, F=19 K=19 T=0.75 r=10% σ=28%',
      'black76',
      option('call', 19, 19, 0.75, 0.1, 0, 0.28),
      1.7011,
    ],
    [
      'Black-76 put on futures, F=19 K=19 T=0.75 r=10% σ=28%',
      'black76',
      option('put', 19, 19, 0.75, 0.1, 0, 0.28),
      1.7011,
    ],
    [
      'Garman–Kohlhagen call, S=1.56 K=1.60 T=0.5 r=6% rf=8% σ=12%',
      'gk',
      option('call', 1.56, 1.6, 0.5, 0.06, 0.08, 0.12),
      0.0291,
    ],
    [
      'generalised put, S=75 K=70 T=0.5 r=10% b=5% σ=35%',
      'bsm',
      option('put', 75, 70, 0.5, 0.1, 0.05, 0.35),
      4.087,
    ],
    // p. 27: the European value beside the Bjerksund–Stensland example (S=42 K=40 T=0.75 r=4% b=−4% σ=35%).
    ['call S=42 K=40 T=0.75 r=4% q=8% σ=35%', 'bsm', option('call', 42, 40, 0.75, 0.04, 0.08, 0.35), 5.0975],
  ];
  it.each(haug)('Haug: %s', (_name, model, parameters, printed) => {
    expectPrinted(optionPrice(model, parameters), printed, 4);
  });

  it('reproduces the European column of Haug (1998) p. 24 (S=90/100/110, K=100, r=q=10%)', () => {
    // [type, spot, T, σ, value]: European values beside the Barone-Adesi–Whaley table, printed to 4 decimals.
    // Seven entries differ from the exact formula by 4e-5 to 6e-5 (e.g. 1.8734 for 1.87334: the book's own
    // normal approximation), so the check allows 1e-4, as QuantLib's test of this table does.
    const table: [OptionType, number, number, number, number][] = [
      ['call', 90, 0.1, 0.15, 0.0205],
      ['call', 100, 0.1, 0.15, 1.8734],
      ['call', 110, 0.1, 0.15, 9.9413],
      ['call', 90, 0.1, 0.25, 0.315],
      ['call', 100, 0.1, 0.25, 3.1217],
      ['call', 110, 0.1, 0.25, 10.3556],
      ['call', 90, 0.1, 0.35, 0.9474],
      ['call', 100, 0.1, 0.35, 4.3693],
      ['call', 110, 0.1, 0.35, 11.1381],
      ['call', 90, 0.5, 0.15, 0.8069],
      ['call', 100, 0.5, 0.15, 4.0232],
      ['call', 110, 0.5, 0.15, 10.5769],
      ['call', 90, 0.5, 0.25, 2.7026],
      ['call', 100, 0.5, 0.25, 6.6997],
      ['call', 110, 0.5, 0.25, 12.7857],
      ['call', 90, 0.5, 0.35, 4.9329],
      ['call', 100, 0.5, 0.35, 9.3679],
      ['call', 110, 0.5, 0.35, 15.3086],
      ['put', 90, 0.1, 0.15, 9.921],
      ['put', 100, 0.1, 0.15, 1.8734],
      ['put', 110, 0.1, 0.15, 0.0408],
      ['put', 90, 0.1, 0.25, 10.2155],
      ['put', 100, 0.1, 0.25, 3.1217],
      ['put', 110, 0.1, 0.25, 0.4551],
      ['put', 90, 0.1, 0.35, 10.8479],
      ['put', 100, 0.1, 0.35, 4.3693],
      ['put', 110, 0.1, 0.35, 1.2376],
      ['put', 90, 0.5, 0.15, 10.3192],
      ['put', 100, 0.5, 0.15, 4.0232],
      ['put', 110, 0.5, 0.15, 1.0646],
      ['put', 90, 0.5, 0.25, 12.2149],
      ['put', 100, 0.5, 0.25, 6.6997],
      ['put', 110, 0.5, 0.25, 3.2734],
      ['put', 90, 0.5, 0.35, 14.4452],
      ['put', 100, 0.5, 0.35, 9.3679],
      ['put', 110, 0.5, 0.35, 5.7963],
    ];
    for (const [type, spot, time, volatility, printed] of table)
      expect(
        Math.abs(optionPrice('bsm', option(type, spot, 100, time, 0.1, 0.1, volatility)) - printed),
      ).toBeLessThan(1e-4);
  });

  it('reproduces Hull: S=42 K=40 r=10% σ=20% T=0.5 gives c = 4.76, p = 0.81', () => {
    // Hull, "Options, Futures, and Other Derivatives", ch. "The Black–Scholes–Merton model", worked example.
    expectPrinted(optionPrice('bsm', option('call', 42, 40, 0.5, 0.1, 0, 0.2)), 4.76, 2);
    expectPrinted(optionPrice('bsm', option('put', 42, 40, 0.5, 0.1, 0, 0.2)), 0.81, 2);
  });
});

describe('European greeks: published worked examples', () => {
  // Haug (1998) pp. 11–16 (2nd ed. ch. 2). Vega and rho per 1.00, theta per year; 4 decimals.
  it('delta of a futures option: call 0.5946, put −0.3566 (F=105 K=100 T=0.5 r=10% σ=36%)', () => {
    expectPrinted(optionGreeks('black76', option('call', 105, 100, 0.5, 0.1, 0, 0.36)).delta, 0.5946, 4);
    expectPrinted(optionGreeks('black76', option('put', 105, 100, 0.5, 0.1, 0, 0.36)).delta, -0.3566, 4);
  });

  it('gamma 0.0278 and vega 18.9358, call and put (S=55 K=60 T=0.75 r=10% σ=30%)', () => {
    for (const type of ['call', 'put'] as const) {
      const greeks = optionGreeks('bsm', option(type, 55, 60, 0.75, 0.1, 0, 0.3));
      expectPrinted(greeks.gamma, 0.0278, 4);
      expectPrinted(greeks.vega, 18.9358, 4);
    }
  });

  it('theta of a put −31.1924 a year, −0.0855 a day (S=430 K=405 T=1/12 r=7% q=5% σ=20%)', () => {
    const theta = optionGreeks('bsm', option('put', 430, 405, 1 / 12, 0.07, 0.05, 0.2)).theta;
    expectPrinted(theta, -31.1924, 4);
    expectPrinted(thetaPerDay(theta), -0.0855, 4);
  });

  it('rho of a call 38.7325 (S=72 K=75 T=1 r=9% σ=19%)', () => {
    expectPrinted(optionGreeks('bsm', option('call', 72, 75, 1, 0.09, 0, 0.19)).rho, 38.7325, 4);
  });

  it('dividend rho of a put 42.2254 (S=500 K=490 T=0.25 r=8% q=5% σ=15%)', () => {
    expectPrinted(
      optionGreeks('bsm', option('put', 500, 490, 0.25, 0.08, 0.05, 0.15)).dividendRho,
      42.2254,
      4,
    );
  });

  it('reproduces Hull: S=49 K=50 r=5% σ=20% T=20 weeks', () => {
    // Hull, OFOD, ch. "The Greek Letters": price 2.40, delta 0.522, gamma 0.066, vega 12.1, theta −4.31 a year,
    // rho 8.91 (T = 0.3846 as in the book).
    const greeks = optionGreeks('bsm', option('call', 49, 50, 0.3846, 0.05, 0, 0.2));
    expectPrinted(greeks.price, 2.4, 2);
    expectPrinted(greeks.delta, 0.522, 3);
    expectPrinted(greeks.gamma, 0.066, 3);
    expectPrinted(greeks.vega, 12.1, 1);
    expectPrinted(greeks.theta, -4.31, 2);
    expectPrinted(greeks.rho, 8.91, 2);
  });

  it('reproduces Hull: theta of an index put −18.15 a year (S=305 K=300 q=3% r=8% σ=25% T=4 months)', () => {
    expectPrinted(optionGreeks('bsm', option('put', 305, 300, 4 / 12, 0.08, 0.03, 0.25)).theta, -18.15, 2);
  });
});

const MODELS = ['bsm', 'black76', 'gk'] as const;
const GRID: OptionParameters[] = [];
for (const strike of [60, 90, 100, 115, 160])
  for (const time of [0.02, 0.5, 3])
    for (const [rate, dividendYield] of [
      [0.05, 0.02],
      [-0.01, 0.03],
      [0.08, 0],
    ] as const)
      for (const volatility of [0.08, 0.35, 1.2])
        for (const type of ['call', 'put'] as const)
          GRID.push(option(type, 100, strike, time, rate, dividendYield, volatility));

describe('European properties', () => {
  it('satisfy put–call parity: c − p = S·e^((b−r)T) − K·e^(−rT)', () => {
    for (const model of MODELS)
      for (const parameters of GRID) {
        if (parameters.type === 'put') continue;
        const { spot, strike, time, rate, dividendYield } = parameters;
        const carry = model === 'black76' ? 0 : rate - dividendYield;
        const call = optionPrice(model, parameters);
        const put = optionPrice(model, { ...parameters, type: 'put' });
        const forwardValue = spot * Math.exp((carry - rate) * time) - strike * Math.exp(-rate * time);
        expect(Math.abs(call - put - forwardValue)).toBeLessThan(1e-12 * spot);
      }
  });

  it('give every greek equal to a central finite difference of the price', () => {
    for (const model of MODELS)
      for (const parameters of GRID) {
        const greeks = optionGreeks(model, parameters);
        const { spot, time, rate, dividendYield, volatility } = parameters;
        const at = (change: Partial<OptionParameters>): number =>
          optionPrice(model, { ...parameters, ...change });
        // Steps and tolerances in each greek's natural unit: the price moves over a spot range of about S·σ·√T.
        const width = spot * volatility * Math.sqrt(time);
        const ds = width * 1e-3;
        const dv = volatility * 1e-4;
        const dt = time * 1e-4;
        const dr = 1e-5;
        const close = (analytic: number, numeric: number, natural: number, tolerance: number): void => {
          expect(Math.abs(analytic - numeric)).toBeLessThanOrEqual(tolerance * natural);
        };
        const up = at({ spot: spot + ds });
        const down = at({ spot: spot - ds });
        close(greeks.delta, (up - down) / (2 * ds), 1, 1e-6);
        close(greeks.gamma, (up - 2 * greeks.price + down) / (ds * ds), 1 / width, 1e-5);
        close(
          greeks.vega,
          (at({ volatility: volatility + dv }) - at({ volatility: volatility - dv })) / (2 * dv),
          spot * Math.sqrt(time),
          1e-6,
        );
        close(
          greeks.theta,
          -(at({ time: time + dt }) - at({ time: time - dt })) / (2 * dt),
          spot / time,
          1e-6,
        );
        close(greeks.rho, (at({ rate: rate + dr }) - at({ rate: rate - dr })) / (2 * dr), spot * time, 1e-6);
        close(
          greeks.dividendRho,
          (at({ dividendYield: dividendYield + dr }) - at({ dividendYield: dividendYield - dr })) / (2 * dr),
          spot * time,
          1e-6,
        );
      }
  });

  it('give black76 no dividend sensitivity and rho = −T·V', () => {
    const greeks = optionGreeks('black76', option('call', 19, 19, 0.75, 0.1, 0.3, 0.28));
    expect(greeks.dividendRho).toBe(0);
    expect(greeks.rho).toBeCloseTo(-0.75 * greeks.price, 14);
    expect(optionPrice('black76', option('call', 19, 19, 0.75, 0.1, 0.3, 0.28))).toBe(
      optionPrice('black76', option('call', 19, 19, 0.75, 0.1, 0, 0.28)),
    );
  });
});

describe('input validation', () => {
  const good = option('call', 100, 100, 1, 0.05, 0, 0.2);
  it.each([
    ['spot', { spot: Number.NaN }],
    ['spot', { spot: -1 }],
    ['strike', { strike: 0 }],
    ['strike', { strike: Number.POSITIVE_INFINITY }],
    ['time', { time: 0 }],
    ['time', { time: -0.5 }],
    ['volatility', { volatility: 0 }],
    ['volatility', { volatility: Number.NaN }],
    ['rate', { rate: Number.NaN }],
    ['dividendYield', { dividendYield: Number.NEGATIVE_INFINITY }],
    ['type', { type: 'straddle' as OptionType }],
  ])('rejects a bad %s, naming it', (input, change) => {
    for (const model of ['bsm', 'baw'] as const) {
      let caught: unknown;
      try {
        optionGreeks(model, { ...good, ...change });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(PricingInputError);
      expect((caught as PricingInputError).input).toBe(input);
      expect((caught as PricingInputError).message).toMatch(new RegExp(`^${input} must be`));
      expect(() => optionPrice(model, { ...good, ...change })).toThrow(PricingInputError);
    }
  });
});
