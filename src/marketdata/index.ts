// Public surface of market data: the synthetic market, its configuration, and the ingest pipeline with its
// parts (quality gate, candles, order books, throttle, feed failover).
export * from './synthetic.ts';
export * from './config.ts';
export * from './feed.ts';
export * from './quality.ts';
export * from './candles.ts';
export * from './order-book.ts';
export * from './throttle.ts';
export * from './failover.ts';
export * from './ingest.ts';
