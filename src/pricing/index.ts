// Public surface of the option pricing engine: models, greeks, implied volatility and the greeks publisher.
export {
  AMERICAN_MODELS,
  DAYS_PER_YEAR,
  EUROPEAN_MODELS,
  EXERCISE_STYLES,
  OPTION_TYPES,
  PRICING_MODELS,
  defaultModelFor,
  emptyGreeks,
  styleOfModel,
  thetaPerDay,
} from './types.ts';
export type {
  ExerciseStyle,
  Greeks,
  MutableGreeks,
  OptionParameters,
  OptionType,
  PricingModel,
} from './types.ts';
export { bivariateNormalCdf, normalCdf, normalPdf } from './normal.ts';
export {
  europeanGreeks,
  europeanPrice,
  generalizedBlackScholesGreeks,
  generalizedBlackScholesPrice,
} from './european.ts';
export type { EuropeanModel } from './european.ts';
export {
  RATE_BUMP,
  SPOT_BUMP,
  TIME_BUMP,
  VOLATILITY_BUMP,
  americanGreeks,
  baroneAdesiWhaleyPrice,
  bjerksundStensland1993Price,
  bjerksundStensland2002Price,
} from './american.ts';
export type { AmericanPricer } from './american.ts';
export { evaluateGreeks, evaluatePrice, optionGreeks, optionPrice } from './models.ts';
export { MAX_VOLATILITY, MIN_VOLATILITY, impliedVolatility, priceBounds } from './implied-volatility.ts';
export type { ImpliedVolatilityOptions } from './implied-volatility.ts';
export { ImpliedVolatilityError, PricingInputError, PricingReasons, validateParameters } from './errors.ts';
export type { ImpliedVolatilityFailure, PricingReasonCode } from './errors.ts';
export { GreeksConfigSchema, OptionSpecSchema, loadGreeksConfig, parseGreeksConfig } from './config.ts';
export type { GreeksConfig, GreeksConfigInput, OptionSpec, OptionSpecInput } from './config.ts';
export { GreeksEngine } from './engine.ts';
export type {
  GreeksEngineOptions,
  GreeksEngineSnapshot,
  GreeksSkipReason,
  VolatilityFallbackReason,
} from './engine.ts';
