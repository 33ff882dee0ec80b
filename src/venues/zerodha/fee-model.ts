// Zerodha's charges on an execution: brokerage plus the statutory charges (STT, exchange transaction charges,
// SEBI turnover fee, stamp duty, GST), per segment, as published on zerodha.com/charges. The default schedule
// is the one in force from 1 October 2024; rates change, so every figure can be overridden in the config.

import { z } from 'zod';
import { fromMinor, toMinor, type Instrument, type OrderSide } from '../../model/index.ts';

export type ZerodhaSegment = 'equity_delivery' | 'equity_intraday' | 'futures' | 'options';

const percent = z.number().min(0).max(100);

export const SegmentChargesSchema = z
  .object({
    /** Brokerage as a percentage of the order's turnover … */
    brokeragePercent: percent,
    /** … capped at this many rupees per executed order. */
    brokerageCap: z.number().min(0),
    /** Flat rupees per executed order instead of the percentage (options); 0 = use the percentage. */
    brokerageFlat: z.number().min(0),
    sttBuyPercent: percent,
    sttSellPercent: percent,
    /** Exchange transaction charges by exchange family (NSE also covers NFO, BSE covers BFO). */
    transactionPercent: z.object({ NSE: percent, BSE: percent }).strict(),
    stampBuyPercent: percent,
  })
  .strict();
export type SegmentCharges = z.infer<typeof SegmentChargesSchema>;

/** zerodha.com/charges, rates in force from 1 October 2024 (STT on options premium; stamp on the buy side). */
export const DEFAULT_CHARGES = {
  segments: {
    equity_delivery: {
      brokeragePercent: 0,
      brokerageCap: 0,
      brokerageFlat: 0,
      sttBuyPercent: 0.1,
      sttSellPercent: 0.1,
      transactionPercent: { NSE: 0.00297, BSE: 0.00375 },
      stampBuyPercent: 0.015,
    },
    equity_intraday: {
      brokeragePercent: 0.03,
      brokerageCap: 20,
      brokerageFlat: 0,
      sttBuyPercent: 0,
      sttSellPercent: 0.025,
      transactionPercent: { NSE: 0.00297, BSE: 0.00375 },
      stampBuyPercent: 0.003,
    },
    futures: {
      brokeragePercent: 0.03,
      brokerageCap: 20,
      brokerageFlat: 0,
      sttBuyPercent: 0,
      sttSellPercent: 0.02,
      transactionPercent: { NSE: 0.00173, BSE: 0 },
      stampBuyPercent: 0.002,
    },
    options: {
      brokeragePercent: 0,
      brokerageCap: 0,
      brokerageFlat: 20,
      sttBuyPercent: 0,
      sttSellPercent: 0.1,
      transactionPercent: { NSE: 0.03503, BSE: 0.0325 },
      stampBuyPercent: 0.003,
    },
  },
  /** SEBI turnover fee: ₹10 per crore (₹1,00,00,000) of turnover. */
  sebiPerCrore: 10,
  /** GST on brokerage + exchange transaction charges + SEBI fee. */
  gstPercent: 18,
} as const satisfies ZerodhaChargesInput;

export const ZerodhaChargesSchema = z
  .object({
    segments: z
      .object({
        equity_delivery: SegmentChargesSchema,
        equity_intraday: SegmentChargesSchema,
        futures: SegmentChargesSchema,
        options: SegmentChargesSchema,
      })
      .strict(),
    sebiPerCrore: z.number().min(0),
    gstPercent: percent,
  })
  .strict();
export type ZerodhaCharges = z.infer<typeof ZerodhaChargesSchema>;
type ZerodhaChargesInput = z.input<typeof ZerodhaChargesSchema>;

const CRORE = 10_000_000;

export interface ChargeInput {
  readonly segment: ZerodhaSegment;
  /** Kite exchange: NSE, BSE, NFO, BFO. */
  readonly exchange: string;
  readonly side: OrderSide;
  readonly price: number;
  readonly quantity: number;
  /** Contract multiplier (1 for equity; options turnover is premium × quantity × multiplier). */
  readonly multiplier: number;
  /** Turnover of earlier fills of the same order: brokerage caps and flat fees apply per executed order. */
  readonly previousOrderTurnover?: number;
}

/** Rupees, unrounded per component; `total` is rounded half-even to the paisa. */
export interface ChargeBreakdown {
  readonly turnover: number;
  readonly brokerage: number;
  readonly stt: number;
  readonly transaction: number;
  readonly sebi: number;
  readonly gst: number;
  readonly stamp: number;
  readonly total: number;
}

/** The segment an execution falls in, or undefined for an asset class this schedule does not cover. */
export function segmentOf(instrument: Instrument, product: string): ZerodhaSegment | undefined {
  switch (instrument.assetClass) {
    case 'equity':
      return product === 'CNC' || product === 'MTF' ? 'equity_delivery' : 'equity_intraday';
    case 'future':
      return 'futures';
    case 'option':
      return 'options';
    case 'fx':
    case 'crypto':
    case 'index':
    case 'bond':
      return undefined;
  }
}

export class ZerodhaFeeModel {
  constructor(readonly schedule: ZerodhaCharges = DEFAULT_CHARGES) {}

  /** Brokerage of one executed order with `turnover` in total. */
  orderBrokerage(segment: ZerodhaSegment, turnover: number): number {
    const s = this.schedule.segments[segment];
    if (turnover <= 0) return 0;
    if (s.brokerageFlat > 0) return s.brokerageFlat;
    return Math.min((turnover * s.brokeragePercent) / 100, s.brokerageCap);
  }

  /** The charges of one execution (a fill); see ChargeInput.previousOrderTurnover for partial fills. */
  charges(input: ChargeInput): ChargeBreakdown {
    const s = this.schedule.segments[input.segment];
    const turnover = input.price * input.quantity * input.multiplier;
    const before = input.previousOrderTurnover ?? 0;
    const brokerage =
      this.orderBrokerage(input.segment, before + turnover) - this.orderBrokerage(input.segment, before);
    const sttPercent = input.side === 'buy' ? s.sttBuyPercent : s.sttSellPercent;
    const stt = (turnover * sttPercent) / 100;
    const family = input.exchange.startsWith('B') ? 'BSE' : 'NSE';
    const transaction = (turnover * s.transactionPercent[family]) / 100;
    const sebi = (turnover * this.schedule.sebiPerCrore) / CRORE;
    const gst = ((brokerage + transaction + sebi) * this.schedule.gstPercent) / 100;
    const stamp = input.side === 'buy' ? (turnover * s.stampBuyPercent) / 100 : 0;
    const total = fromMinor(toMinor(brokerage + stt + transaction + sebi + gst + stamp, 2), 2);
    return { turnover, brokerage, stt, transaction, sebi, gst, stamp, total: total === 0 ? 0 : total };
  }
}
