// Public surface of analytics: performance statistics, the returns file reader, transaction cost analysis and
// the cost-model fit.
export * from './config.ts';
export * from './stats.ts';
export * from './returns-file.ts';
export * from './reasons.ts';
export * from './tca.ts';
export * from './cost-model-fit.ts';
