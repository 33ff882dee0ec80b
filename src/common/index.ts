// Public surface of the common layer.
export * from './bus.ts';
export * from './clock.ts';
export * from './config.ts';
export * from './errors.ts';
export * from './logging.ts';
export * from './topics.ts';
export * from './histogram.ts';
export * from './random.ts';
export * from './price-board.ts';
export * from './message-schemas.ts';
export * from './registry.ts';
