// Public surface of market data: the synthetic market and its configuration.
export * from './synthetic.ts';
export * from './config.ts';
export * from './feed.ts';
