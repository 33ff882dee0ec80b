// Zerodha charges, worked by hand from the schedule on zerodha.com/charges in force from 1 October 2024
// (each expected figure is computed in the comment beside it).

import { describe, expect, it } from 'vitest';
import { ZerodhaChargesSchema } from './fee-model.ts';
import { DEFAULT_CHARGES, segmentOf, ZerodhaFeeModel } from './fee-model.ts';
import { INFY, NIFTY_FUTURE, USDINR } from './fixtures.test-support.ts';

const model = new ZerodhaFeeModel();

describe('Zerodha charges', () => {
  it('worked example: an intraday (MIS) round trip on NSE, 100 shares bought at ₹1,000 and sold at ₹1,010', () => {
    const buy = model.charges({
      segment: 'equity_intraday',
      exchange: 'NSE',
      side: 'buy',
      price: 1000,
      quantity: 100,
      multiplier: 1,
    });
    // Turnover ₹1,00,000. Brokerage 0.03% = ₹30, capped at ₹20 → 20. STT: sell side only → 0.
    // NSE transaction 0.00297% = 2.97. SEBI ₹10/crore = 100,000 × 10 / 1e7 = 0.10.
    // GST 18% × (20 + 2.97 + 0.10) = 0.18 × 23.07 = 4.1526. Stamp 0.003% on the buy = 3.00.
    // Total 20 + 0 + 2.97 + 0.10 + 4.1526 + 3.00 = 30.2226 → ₹30.22.
    expect(buy.turnover).toBe(100_000);
    expect(buy.brokerage).toBe(20);
    expect(buy.stt).toBe(0);
    expect(buy.transaction).toBeCloseTo(2.97, 10);
    expect(buy.sebi).toBeCloseTo(0.1, 10);
    expect(buy.gst).toBeCloseTo(4.1526, 10);
    expect(buy.stamp).toBeCloseTo(3, 10);
    expect(buy.total).toBe(30.22);

    const sell = model.charges({
      segment: 'equity_intraday',
      exchange: 'NSE',
      side: 'sell',
      price: 1010,
      quantity: 100,
      multiplier: 1,
    });
    // Turnover ₹1,01,000. Brokerage 0.03% = 30.30 → capped 20. STT 0.025% = 25.25. Transaction 0.00297% =
    // 2.9997. SEBI 0.101. GST 0.18 × (20 + 2.9997 + 0.101) = 0.18 × 23.1007 = 4.158126. No stamp on a sell.
    // Total 20 + 25.25 + 2.9997 + 0.101 + 4.158126 = 52.508826 → ₹52.51.
    expect(sell.stt).toBeCloseTo(25.25, 10);
    expect(sell.gst).toBeCloseTo(4.158126, 10);
    expect(sell.stamp).toBe(0);
    expect(sell.total).toBe(52.51);
  });

  it('a small intraday order pays 0.03% brokerage, below the ₹20 cap', () => {
    // 10 × ₹100 = ₹1,000: brokerage 0.30; transaction 0.0297; SEBI 0.001; GST 0.18 × 0.3307 = 0.059526;
    // stamp 0.003% = 0.03. Total 0.420226 → ₹0.42.
    const c = model.charges({
      segment: 'equity_intraday',
      exchange: 'NSE',
      side: 'buy',
      price: 100,
      quantity: 10,
      multiplier: 1,
    });
    expect(c.brokerage).toBeCloseTo(0.3, 10);
    expect(c.total).toBe(0.42);
  });

  it('equity delivery (CNC) pays no brokerage but STT on both sides; BSE has its own transaction rate', () => {
    // Buy 10 × ₹500 on BSE = ₹5,000: brokerage 0; STT 0.1% = 5; BSE transaction 0.00375% = 0.1875;
    // SEBI 0.005; GST 0.18 × (0.1875 + 0.005) = 0.03465; stamp 0.015% = 0.75. Total 5.97715 → ₹5.98.
    const c = model.charges({
      segment: 'equity_delivery',
      exchange: 'BSE',
      side: 'buy',
      price: 500,
      quantity: 10,
      multiplier: 1,
    });
    expect(c.brokerage).toBe(0);
    expect(c.stt).toBeCloseTo(5, 10);
    expect(c.transaction).toBeCloseTo(0.1875, 10);
    expect(c.total).toBe(5.98);
    // The same sale: STT 5 again, no stamp: 5 + 0.1875 + 0.005 + 0.03465 = 5.22715 → ₹5.23.
    expect(
      model.charges({
        segment: 'equity_delivery',
        exchange: 'BSE',
        side: 'sell',
        price: 500,
        quantity: 10,
        multiplier: 1,
      }).total,
    ).toBe(5.23);
  });

  it('options: a flat ₹20 per executed order, STT and transaction charges on the premium', () => {
    // Sell one lot of 75 at a premium of ₹200 on NFO: turnover 15,000; brokerage flat 20; STT 0.1% = 15;
    // NSE options transaction 0.03503% = 5.2545; SEBI 0.015; GST 0.18 × (20 + 5.2545 + 0.015) = 4.54851;
    // no stamp on a sell. Total 44.81801 → ₹44.82.
    const c = model.charges({
      segment: 'options',
      exchange: 'NFO',
      side: 'sell',
      price: 200,
      quantity: 75,
      multiplier: 1,
    });
    expect(c.brokerage).toBe(20);
    expect(c.transaction).toBeCloseTo(5.2545, 10);
    expect(c.total).toBe(44.82);
  });

  it('the brokerage cap and the flat fee apply per executed order, across its partial fills', () => {
    // Intraday order of 100 × ₹1,000 filled 30 then 70: 0.03% of 30,000 = 9 on the first fill; the order's
    // brokerage at 1,00,000 is min(30, 20) = 20, so the second fill pays 20 − 9 = 11.
    const first = model.charges({
      segment: 'equity_intraday',
      exchange: 'NSE',
      side: 'buy',
      price: 1000,
      quantity: 30,
      multiplier: 1,
    });
    const second = model.charges({
      segment: 'equity_intraday',
      exchange: 'NSE',
      side: 'buy',
      price: 1000,
      quantity: 70,
      multiplier: 1,
      previousOrderTurnover: 30_000,
    });
    expect(first.brokerage).toBeCloseTo(9, 10);
    expect(second.brokerage).toBeCloseTo(11, 10);
    // Options: ₹20 on the first fill of the order, nothing on the next.
    const later = model.charges({
      segment: 'options',
      exchange: 'NFO',
      side: 'buy',
      price: 10,
      quantity: 75,
      multiplier: 1,
      previousOrderTurnover: 750,
    });
    expect(later.brokerage).toBe(0);
    // Futures: 75 × ₹23,500 = ₹17,62,500; 0.03% = 528.75, capped at ₹20.
    expect(model.orderBrokerage('futures', 1_762_500)).toBe(20);
  });

  it('maps instruments and products to segments; other asset classes are not covered', () => {
    expect(segmentOf(INFY, 'CNC')).toBe('equity_delivery');
    expect(segmentOf(INFY, 'MIS')).toBe('equity_intraday');
    expect(segmentOf(NIFTY_FUTURE, 'NRML')).toBe('futures');
    expect(segmentOf(USDINR, 'NRML')).toBeUndefined();
  });

  it('the default schedule is a valid schedule and can be replaced from the config', () => {
    expect(ZerodhaChargesSchema.parse(DEFAULT_CHARGES)).toEqual(DEFAULT_CHARGES);
    const revised = ZerodhaChargesSchema.parse({
      ...DEFAULT_CHARGES,
      segments: {
        ...DEFAULT_CHARGES.segments,
        futures: { ...DEFAULT_CHARGES.segments.futures, sttSellPercent: 0.05 },
      },
    });
    // A futures sale of ₹1,00,000 at a revised STT of 0.05% pays 50 in STT.
    const c = new ZerodhaFeeModel(revised).charges({
      segment: 'futures',
      exchange: 'NFO',
      side: 'sell',
      price: 1000,
      quantity: 100,
      multiplier: 1,
    });
    expect(c.stt).toBeCloseTo(50, 10);
  });
});
