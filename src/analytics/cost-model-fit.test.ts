// The cost-model fit: it recovers known parameters from noiseless synthetic fills priced by the router's own
// model, keeps the prior for what the fills cannot determine, and reports hand-computable residuals.

import { describe, expect, it } from 'vitest';
import { expectedPrice } from '../oms/cost-model.ts';
import { fitCostModel, type CostModelRow } from './cost-model-fit.ts';
import { analyzeExecutions } from './tca.ts';

const NO_FEES = { makerBps: 0, takerBps: 0, perUnit: 0, minimum: 0 };

/** Noiseless fills on one venue: prices from the router's model, fees as the venue charges them. */
function synthetic(
  venue: string,
  parameters: { takerBps: number; makerBps: number; perUnit: number; slippageBps: number },
): CostModelRow[] {
  const rows: CostModelRow[] = [];
  for (let i = 0; i < 40; i++) {
    const side = i % 2 === 0 ? 'buy' : 'sell';
    const maker = i % 5 === 0;
    const multiplier = i % 7 === 0 ? 10 : 1;
    const bid = 50 + 3.7 * i;
    const ask = bid + 0.01 * (1 + (i % 4));
    const quantity = 10 + ((i * 37) % 300);
    // A taker fill pays the model's price without fees: ask × (1 + slippage / 10⁴) for a buy, bid × (1 − …) for
    // a sell. A maker fill rests at its own touch.
    const price = maker
      ? side === 'buy'
        ? bid
        : ask
      : expectedPrice(side, { bid, ask }, { fees: NO_FEES, slippageBps: parameters.slippageBps });
    const bps = maker ? parameters.makerBps : parameters.takerBps;
    const fee = (price * quantity * multiplier * bps) / 10_000 + parameters.perUnit * quantity;
    rows.push({
      venue,
      side,
      price,
      quantity,
      multiplier,
      fee,
      liquidity: maker ? 'maker' : i % 3 === 0 ? 'unknown' : 'taker',
      bid,
      ask,
    });
  }
  return rows;
}

describe('fitCostModel', () => {
  it('recovers taker, maker, per-unit fees and slippage per venue', () => {
    const a = { takerBps: 2.5, makerBps: -1, perUnit: 0.005, slippageBps: 1.5 };
    const b = { takerBps: 0.8, makerBps: 0.2, perUnit: 0, slippageBps: 4 };
    const fits = fitCostModel([...synthetic('VB', b), ...synthetic('VA', a)]);
    expect(fits.map((f) => f.venue)).toEqual(['VA', 'VB']);
    for (const [fit, truth] of [
      [fits[0], a],
      [fits[1], b],
    ] as const) {
      expect(fit?.fitted).toEqual(['takerBps', 'makerBps', 'perUnit', 'slippageBps']);
      expect(fit?.parameters.fees.takerBps).toBeCloseTo(truth.takerBps, 9);
      expect(fit?.parameters.fees.makerBps).toBeCloseTo(truth.makerBps, 9);
      expect(fit?.parameters.fees.perUnit).toBeCloseTo(truth.perUnit, 11);
      expect(fit?.parameters.fees.minimum).toBe(0);
      expect(fit?.parameters.slippageBps).toBeCloseTo(truth.slippageBps, 9);
      expect(fit?.feeSamples).toBe(40);
      expect(fit?.slippageSamples).toBe(32); // 8 of the 40 (every fifth) are maker fills
      expect(fit?.feeResidualRms).toBeLessThan(1e-9);
      expect(fit?.slippageResidualRmsBps).toBeLessThan(1e-9);
      expect(fit?.skipped).toBe(0);
    }
  });

  it('slippage is the mean, the residual its root mean square deviation', () => {
    // Two taker buys at ask 100: at 100.01 (1 bp) and 100.03 (3 bps) → slippage 2, residuals ±1 → RMS 1.
    const row = (price: number): CostModelRow => ({
      venue: 'V',
      side: 'buy',
      price,
      quantity: 1,
      multiplier: 1,
      fee: 0,
      liquidity: 'taker',
      bid: 99.99,
      ask: 100,
    });
    const [fit] = fitCostModel([row(100.01), row(100.03)]);
    expect(fit?.parameters.slippageBps).toBeCloseTo(2, 9);
    expect(fit?.slippageResidualRmsBps).toBeCloseTo(1, 9);
  });

  it('keeps the prior for what the fills cannot separate', () => {
    // Every fill at 100, so notional / 10⁴ = 0.01 × quantity: taker bps and per-unit fee are proportional
    // columns. Taker comes first; per unit keeps the prior 0.01 and is taken out of the fees first:
    // qty 10: fee 100 × 10 × 3 / 10⁴ + 0.01 × 10 = 0.4 → 0.3 = takerBps × 0.1
    // qty 20: fee 0.6 + 0.2 = 0.8 → 0.6 = takerBps × 0.2 → takerBps = 3, residual 0.
    // No maker fill: makerBps keeps the prior's −0.5. No quote: slippage keeps the prior's 1.
    const prior = { fees: { makerBps: -0.5, takerBps: 9, perUnit: 0.01, minimum: 0 }, slippageBps: 1 };
    const row = (quantity: number, fee: number): CostModelRow => ({
      venue: 'V',
      side: 'sell',
      price: 100,
      quantity,
      multiplier: 1,
      fee,
      liquidity: 'taker',
      bid: null,
      ask: null,
    });
    const [fit] = fitCostModel([row(10, 0.4), row(20, 0.8)], { prior });
    expect(fit?.fitted).toEqual(['takerBps']);
    expect(fit?.parameters.fees).toMatchObject({ makerBps: -0.5, perUnit: 0.01, minimum: 0 });
    expect(fit?.parameters.fees.takerBps).toBeCloseTo(3, 9);
    expect(fit?.parameters.slippageBps).toBe(1);
    expect(fit?.feeResidualRms).toBeCloseTo(0, 12);
    expect(fit?.slippageSamples).toBe(0);
    expect(fit?.slippageResidualRmsBps).toBeNull();
  });

  it('leaves out fills charged the minimum and rows with bad numbers', () => {
    const prior = { fees: { ...NO_FEES, minimum: 1 }, slippageBps: 0 };
    const row = (fee: number, price = 100): CostModelRow => ({
      venue: 'V',
      side: 'buy',
      price,
      quantity: 100,
      multiplier: 1,
      fee,
      liquidity: 'taker',
      bid: null,
      ask: null,
    });
    // 100 × 100 × 2 / 10⁴ = 2 at 2 bps; the 1.00 fill is the minimum; NaN price is skipped
    const [fit] = fitCostModel([row(2), row(1), row(2, Number.NaN)], { prior });
    expect(fit?.feeSamples).toBe(1);
    expect(fit?.skipped).toBe(1);
    expect(fit?.parameters.fees.takerBps).toBeCloseTo(2, 9);
    expect(fit?.parameters.fees.minimum).toBe(1);
  });

  it('takes the fill rows of a TCA report as they are', () => {
    // Buy 100 @ 100.20 (fee 1.00) against ask 100.20, buy 100 @ 100.30 (fee 1.00) against ask 100.30, and a
    // maker sell 100 @ 100.30 with a 0.50 rebate. Fees: 1.002 T + 100 U = 1, 1.003 T + 100 U = 1 → T = 0,
    // U = 0.01; maker: 1.003 M + 100 × 0.01 = −0.5 → M = −1.5 / 1.003 = −1.495513. Slippage 0 on both buys.
    const S = 1_000_000;
    const order = {
      instrumentId: 'X',
      decisionTime: 0,
      decisionPrice: 100,
      arrivalPrice: 100,
      arrivalTime: 0,
    };
    const report = analyzeExecutions({
      orders: [
        { ...order, clientOrderId: 'B', strategyId: 's', venue: 'VA', side: 'buy', quantity: 200 },
        { ...order, clientOrderId: 'A', strategyId: 's', venue: 'VA', side: 'sell', quantity: 100 },
      ],
      fills: [
        { clientOrderId: 'B', price: 100.2, quantity: 100, fee: 1, time: 3 * S, liquidity: 'taker' },
        { clientOrderId: 'B', price: 100.3, quantity: 100, fee: 1, time: 5 * S, liquidity: 'taker' },
        { clientOrderId: 'A', price: 100.3, quantity: 100, fee: -0.5, time: 4 * S, liquidity: 'maker' },
      ],
      tapes: {
        X: {
          quotes: [
            { time: 2 * S, bid: 100.0, ask: 100.2 },
            { time: 4 * S, bid: 100.1, ask: 100.3 },
          ],
          trades: [],
        },
      },
    });
    const [fit] = fitCostModel(report.fills);
    expect(fit?.parameters.fees.takerBps).toBeCloseTo(0, 6);
    expect(fit?.parameters.fees.perUnit).toBeCloseTo(0.01, 8);
    expect(fit?.parameters.fees.makerBps).toBeCloseTo(-1.4955134596211366, 6);
    expect(fit?.parameters.slippageBps).toBeCloseTo(0, 9);
    expect(fit?.slippageSamples).toBe(2);
  });
});
