// Public surface of the router / OMS.
export * from './engine.ts';
export * from './cost-model.ts';
export * from './venue.ts';
export * from './latency-monitor.ts';
