// One entry point per question for every model: the price, and the price with all greeks. Checked versions
// take an OptionParameters record and throw PricingInputError on bad input; positional unchecked versions
// serve hot paths that validated once (the greeks engine, the bench).

import { americanGreeks, baroneAdesiWhaleyPrice, bjerksundStensland2002Price } from './american.ts';
import { validateParameters } from './errors.ts';
import { europeanGreeks, europeanPrice } from './european.ts';
import {
  emptyGreeks,
  type Greeks,
  type MutableGreeks,
  type OptionParameters,
  type PricingModel,
} from './types.ts';

/** Price under `model`, positional and unchecked. q: dividend yield (gk: foreign rate; black76: ignored). */
export function evaluatePrice(
  model: PricingModel,
  isCall: boolean,
  spot: number,
  strike: number,
  time: number,
  rate: number,
  dividendYield: number,
  volatility: number,
): number {
  switch (model) {
    case 'bsm':
    case 'gk':
    case 'black76':
      return europeanPrice(model, isCall, spot, strike, time, rate, dividendYield, volatility);
    case 'baw':
      return baroneAdesiWhaleyPrice(isCall, spot, strike, time, rate, rate - dividendYield, volatility);
    case 'bjs':
      return bjerksundStensland2002Price(isCall, spot, strike, time, rate, rate - dividendYield, volatility);
  }
}

/** Price and greeks under `model` into `out`, positional and unchecked. American greeks: finite differences. */
export function evaluateGreeks(
  model: PricingModel,
  isCall: boolean,
  spot: number,
  strike: number,
  time: number,
  rate: number,
  dividendYield: number,
  volatility: number,
  out: MutableGreeks,
): MutableGreeks {
  switch (model) {
    case 'bsm':
    case 'gk':
    case 'black76':
      return europeanGreeks(model, isCall, spot, strike, time, rate, dividendYield, volatility, out);
    case 'baw':
      return americanGreeks(
        baroneAdesiWhaleyPrice,
        isCall,
        spot,
        strike,
        time,
        rate,
        dividendYield,
        volatility,
        out,
      );
    case 'bjs':
      return americanGreeks(
        bjerksundStensland2002Price,
        isCall,
        spot,
        strike,
        time,
        rate,
        dividendYield,
        volatility,
        out,
      );
  }
}

/** The option's price under `model`. Throws PricingInputError naming a bad input. */
export function optionPrice(model: PricingModel, parameters: OptionParameters): number {
  validateParameters(parameters);
  return evaluatePrice(
    model,
    parameters.type === 'call',
    parameters.spot,
    parameters.strike,
    parameters.time,
    parameters.rate,
    parameters.dividendYield,
    parameters.volatility,
  );
}

/** The option's price and greeks under `model` (into `out` when given). Throws PricingInputError on bad input. */
export function optionGreeks(
  model: PricingModel,
  parameters: OptionParameters,
  out: MutableGreeks = emptyGreeks(),
): Greeks {
  validateParameters(parameters);
  return evaluateGreeks(
    model,
    parameters.type === 'call',
    parameters.spot,
    parameters.strike,
    parameters.time,
    parameters.rate,
    parameters.dividendYield,
    parameters.volatility,
    out,
  );
}
