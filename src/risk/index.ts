// Public surface of the pre-trade risk engine.
export { RiskEngine } from './engine.ts';
export type { ExposureReport, RiskDenial, RiskEngineOptions, RiskSnapshot } from './engine.ts';
export {
  DEFAULT_INSTRUMENT_LIMITS,
  DEFAULT_STRATEGY_LIMITS,
  ExposureCapSchema,
  InstrumentLimitsOverrideSchema,
  InstrumentLimitsSchema,
  PolicyConfigSchema,
  RiskConfigSchema,
  StrategyLimitsOverrideSchema,
  StrategyLimitsSchema,
  TRADING_STATES,
  defaultPolicyConfig,
  defaultRiskConfig,
  loadPolicyConfig,
  loadRiskConfig,
  parsePolicyConfig,
  parseRiskConfig,
} from './config.ts';
export type {
  ExposureCap,
  InstrumentLimits,
  InstrumentLimitsOverride,
  PolicyConfig,
  RiskConfig,
  StrategyLimits,
  StrategyLimitsOverride,
  TradingState,
} from './config.ts';
