// Instruments: what can be traded, where, and in which increments.

import { decimalsOf } from './decimal.ts';
import type { InstrumentId, VenueId } from './identifiers.ts';

export type AssetClass = 'equity' | 'future' | 'option' | 'fx' | 'crypto' | 'index' | 'bond';

export interface Instrument {
  readonly id: InstrumentId;
  readonly symbol: string;
  readonly venue: VenueId;
  readonly assetClass: AssetClass;
  readonly currency: string;
  readonly tickSize: number;
  readonly lotSize: number;
  readonly multiplier: number;
  readonly region: string;
  readonly sector: string;
  /** Derived from tickSize / lotSize / currency, cached so hot paths never recompute them. */
  readonly priceDecimals: number;
  readonly quantityDecimals: number;
}

export interface InstrumentSpec {
  readonly symbol: string;
  readonly venue: string;
  readonly assetClass: AssetClass;
  readonly currency: string;
  readonly tickSize: number;
  readonly lotSize: number;
  readonly multiplier?: number;
  readonly region: string;
  readonly sector: string;
}

export function makeInstrument(spec: InstrumentSpec): Instrument {
  return {
    id: `${spec.symbol}.${spec.venue}` as InstrumentId,
    symbol: spec.symbol,
    venue: spec.venue as VenueId,
    assetClass: spec.assetClass,
    currency: spec.currency,
    tickSize: spec.tickSize,
    lotSize: spec.lotSize,
    multiplier: spec.multiplier ?? 1,
    region: spec.region,
    sector: spec.sector,
    priceDecimals: decimalsOf(spec.tickSize),
    quantityDecimals: decimalsOf(spec.lotSize),
  };
}
