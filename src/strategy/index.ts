// Public surface of the strategy engine.
export * from './strategy.ts';
export * from './engine.ts';
export * from './config.ts';
