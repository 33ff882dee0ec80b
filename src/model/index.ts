// Public surface of the pure domain model.
export * from './identifiers.ts';
export * from './decimal.ts';
export * from './instrument.ts';
export * from './market.ts';
export * from './order.ts';
export * from './messages.ts';
export * from './venue-events.ts';
export * from './greeks.ts';
export * from './news.ts';
export * from './workers.ts';
