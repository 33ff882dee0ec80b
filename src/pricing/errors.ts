// Pricing errors: a bad input names the input and its value; an implied volatility that no volatility fits
// names the reason. Reason codes are stable strings an operator can grep.

import type { OptionParameters } from './types.ts';

export const PricingReasons = {
  PRICING_INVALID_INPUT: 'an option input is missing, not finite or out of range',
  PRICING_IV_BELOW_INTRINSIC:
    'option price at or below the lowest price any volatility gives (intrinsic value)',
  PRICING_IV_ABOVE_BOUND: 'option price above the highest price any volatility gives (no-arbitrage bound)',
  PRICING_IV_NO_CONVERGENCE: 'the implied volatility search did not converge',
} as const;
export type PricingReasonCode = keyof typeof PricingReasons;

/** An input that no model can price: names the input, its value and the rule. */
export class PricingInputError extends Error {
  readonly code = 'PRICING_INVALID_INPUT';
  constructor(
    readonly input: string,
    readonly value: unknown,
    readonly rule: string,
  ) {
    super(`${input} must be ${rule}, got ${String(value)}`);
    this.name = 'PricingInputError';
  }
}

export type ImpliedVolatilityFailure = 'below-intrinsic' | 'above-upper-bound' | 'no-convergence';

const FAILURE_CODES: Readonly<Record<ImpliedVolatilityFailure, PricingReasonCode>> = {
  'below-intrinsic': 'PRICING_IV_BELOW_INTRINSIC',
  'above-upper-bound': 'PRICING_IV_ABOVE_BOUND',
  'no-convergence': 'PRICING_IV_NO_CONVERGENCE',
};

/** No volatility reproduces the price. `reason` says why; the message carries the numbers. */
export class ImpliedVolatilityError extends Error {
  readonly code: PricingReasonCode;
  constructor(
    readonly reason: ImpliedVolatilityFailure,
    message: string,
  ) {
    super(message);
    this.name = 'ImpliedVolatilityError';
    this.code = FAILURE_CODES[reason];
  }
}

function requirePositive(input: string, value: number): void {
  // `!(value > 0)` also catches NaN and non-numbers coming from untyped callers.
  if (typeof value !== 'number' || !(value > 0) || value === Number.POSITIVE_INFINITY)
    throw new PricingInputError(input, value, 'a finite number above 0');
}

function requireFinite(input: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new PricingInputError(input, value, 'a finite number');
}

/** Throws PricingInputError naming the first input no model can price. */
export function validateParameters(parameters: OptionParameters, checkVolatility = true): void {
  if (parameters.type !== 'call' && parameters.type !== 'put')
    throw new PricingInputError('type', parameters.type, 'call or put');
  requirePositive('spot', parameters.spot);
  requirePositive('strike', parameters.strike);
  requirePositive('time', parameters.time);
  if (checkVolatility) requirePositive('volatility', parameters.volatility);
  requireFinite('rate', parameters.rate);
  requireFinite('dividendYield', parameters.dividendYield);
}
