// Typed identifiers: plain strings at run time, distinct types at compile time.

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** `SYMBOL.VENUE`, e.g. `AAPL.PAPER-A`. The same symbol on two venues is two instruments. */
export type InstrumentId = Brand<string, 'InstrumentId'>;
export type VenueId = Brand<string, 'VenueId'>;
export type StrategyId = Brand<string, 'StrategyId'>;
/** Chosen by the platform before an order leaves; deterministic for a given strategy, clock and sequence. */
export type ClientOrderId = Brand<string, 'ClientOrderId'>;
/** Chosen by the venue on acceptance. */
export type VenueOrderId = Brand<string, 'VenueOrderId'>;
/** Unique per venue execution; the idempotency key of a fill. */
export type TradeId = Brand<string, 'TradeId'>;

export const instrumentId = (symbol: string, venue: string): InstrumentId =>
  `${symbol}.${venue}` as InstrumentId;
export const venueId = (v: string): VenueId => v as VenueId;
export const strategyId = (s: string): StrategyId => s as StrategyId;
export const clientOrderId = (s: string): ClientOrderId => s as ClientOrderId;
export const venueOrderId = (s: string): VenueOrderId => s as VenueOrderId;
export const tradeId = (s: string): TradeId => s as TradeId;

/** Splits `SYMBOL.VENUE` at the last dot (symbols may contain dots, venues may not). */
export function parseInstrumentId(id: string): { symbol: string; venue: VenueId } | undefined {
  const dot = id.lastIndexOf('.');
  if (dot <= 0 || dot === id.length - 1) return undefined;
  return { symbol: id.slice(0, dot), venue: id.slice(dot + 1) as VenueId };
}

/**
 * Deterministic client order id: strategy, decision time (unix µs, base 36) and a per-strategy sequence.
 * The same strategy replayed on the same clock produces the same ids; a restart on a later clock cannot collide.
 */
export function makeClientOrderId(strategy: StrategyId, tsMicros: number, sequence: number): ClientOrderId {
  return `${strategy}-${tsMicros.toString(36)}-${sequence}` as ClientOrderId;
}
