// Public surface of the pre-trade risk engine.
export { RiskEngine } from './engine.ts';
export type {
  DrawdownReport,
  ExposureReport,
  RiskDenial,
  RiskEngineOptions,
  RiskSnapshot,
  VarBandReport,
  VarFigures,
  VarSnapshot,
} from './engine.ts';
export {
  DEFAULT_INSTRUMENT_LIMITS,
  DEFAULT_STRATEGY_LIMITS,
  DRAWDOWN_MEASURES,
  DrawdownBandSchema,
  DrawdownConfigSchema,
  ExposureCapSchema,
  InstrumentLimitsOverrideSchema,
  InstrumentLimitsSchema,
  PolicyConfigSchema,
  RiskConfigSchema,
  StrategyLimitsOverrideSchema,
  StrategyLimitsSchema,
  TRADING_STATES,
  VarConfigSchema,
  VarLimitSchema,
  defaultPolicyConfig,
  defaultRiskConfig,
  durationMicros,
  loadPolicyConfig,
  loadRiskConfig,
  parsePolicyConfig,
  parseRiskConfig,
} from './config.ts';
export type {
  DrawdownBand,
  DrawdownConfig,
  DrawdownMeasure,
  ExposureCap,
  InstrumentLimits,
  InstrumentLimitsOverride,
  PolicyConfig,
  RiskConfig,
  StrategyLimits,
  StrategyLimitsOverride,
  TradingState,
  VarConfig,
  VarLimit,
} from './config.ts';
// VaR / ES math (conventions in var.ts).
export {
  MINIMUM_RETURNS,
  VAR_METHODS,
  VarInputError,
  checkConfidence,
  cornishFisherQuantile,
  cornishFisherVar,
  deltaNormalVar,
  gaussianVar,
  historicalVar,
  linearQuantile,
  normalDensity,
  normalQuantile,
  returnMoments,
  tailRiskInPlace,
} from './var.ts';
export type {
  DeltaNormalResult,
  MutableTailRisk,
  ReturnMoments,
  ReturnValues,
  TailRisk,
  VarMethod,
} from './var.ts';
export { DEFAULT_MONTE_CARLO_PATHS, portfolioVar } from './portfolio-var.ts';
export type { ComponentRisk, PortfolioVarResult, VarOptions } from './portfolio-var.ts';
export { monteCarloVar, simulateScenarios } from './montecarlo.ts';
export type { MonteCarloOptions, MonteCarloResult } from './montecarlo.ts';
export { RollingReturnWindow, choleskyFactor, sampleCovariance } from './covariance.ts';
export type { CholeskyResult } from './covariance.ts';
