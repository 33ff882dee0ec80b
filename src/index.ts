// The package's public surface: what a strategy file, a notebook or an embedding application imports.
export * from './model/index.ts';
export { Strategy } from './strategy/strategy.ts';
export type {
  OrderIntent,
  StrategyContext,
  StrategyOrder,
  StrategyParameters,
  StrategyClass,
} from './strategy/strategy.ts';
export { builtinStrategies } from './strategy/builtins/index.ts';
export { Kernel, type KernelOptions, type KernelMode } from './kernel/kernel.ts';
export { summarize, type KernelSummary } from './kernel/summary.ts';
export { SimulatedClock, LiveClock, type Clock } from './common/clock.ts';
export { Streams, ControlKeys } from './common/topics.ts';
export { Reasons, ConfigError, describeReason } from './common/errors.ts';
export { SyntheticMarket } from './marketdata/index.ts';
