// Exact scaled-integer views of JS numbers for the ledger: prices off the tick grid and fractional
// multipliers are booked exactly instead of being rounded to the instrument's increments.

import { isMultipleOf, pow10, toScaled } from '../model/index.ts';

export interface ScaledDecimal {
  readonly scaled: bigint;
  readonly decimals: number;
}

/**
 * The decimal JavaScript prints for `value` (the shortest one that round-trips), as scaled × 10^-decimals.
 * Exact for any finite number, including 1e-7 or 1e21 forms.
 */
export function exactDecimal(value: number): ScaledDecimal {
  const text = String(value);
  const e = text.indexOf('e');
  const mantissa = e < 0 ? text : text.slice(0, e);
  const exponent = e < 0 ? 0 : Number(text.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const fraction = dot < 0 ? 0 : mantissa.length - dot - 1;
  const digits = BigInt(dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1));
  const decimals = fraction - exponent;
  if (decimals >= 0) return { scaled: digits, decimals };
  return { scaled: digits * 10n ** BigInt(-decimals), decimals: 0 };
}

/** `value` scaled by its increment's decimals when it sits on the grid, else by its own exact decimals. */
export function scaleOnGrid(value: number, increment: number, decimals: number): ScaledDecimal {
  if (isMultipleOf(value, increment) && Number.isSafeInteger(Math.round(value * pow10(decimals))))
    return { scaled: toScaled(value, decimals), decimals };
  return exactDecimal(value);
}
