// Exact arithmetic for prices, quantities and money.
//
// Choice: prices and quantities travel as JavaScript numbers quantized to the instrument's tick and lot
// (every sum is re-quantized, so no drift accumulates), because the hot path (1M bar events/s) cannot
// afford a decimal library. Money is a bigint count of the currency's minor unit (cents, paise): the
// ledger computes notional exactly from the scaled integers of price and quantity and rounds once,
// half-even, to the minor unit. Journals therefore balance to the minor unit after any number of fills.

const POW10: readonly number[] = Array.from({ length: 19 }, (_, i) => 10 ** i);
const POW10N: readonly bigint[] = Array.from({ length: 40 }, (_, i) => 10n ** BigInt(i));

export function pow10(decimals: number): number {
  const p = POW10[decimals];
  if (p === undefined) throw new RangeError(`decimals out of range: ${decimals}`);
  return p;
}

export function pow10n(decimals: number): bigint {
  const p = POW10N[decimals];
  if (p === undefined) throw new RangeError(`decimals out of range: ${decimals}`);
  return p;
}

/** Number of decimals in an increment such as 0.01 (2) or 0.0005 (4); at most 12. */
export function decimalsOf(increment: number): number {
  if (!(increment > 0) || !Number.isFinite(increment))
    throw new RangeError(`invalid increment: ${increment}`);
  for (let d = 0; d <= 12; d++) {
    const scaled = increment * pow10(d);
    if (Math.abs(scaled - Math.round(scaled)) < 1e-9) return d;
  }
  throw new RangeError(`increment has more than 12 decimals: ${increment}`);
}

/** Rounds `value` to `decimals` places (half away from zero), removing binary noise such as 0.1 + 0.2. */
export function quantize(value: number, decimals: number): number {
  const p = pow10(decimals);
  const q = Math.round(value * p) / p;
  // A sum that cancels out with binary noise below zero rounds to -0: a flat position is +0 (NaN stays NaN).
  return q === 0 ? 0 : q;
}

/** True when `value` is a whole multiple of `increment` (within binary noise). */
export function isMultipleOf(value: number, increment: number): boolean {
  const ratio = value / increment;
  return Math.abs(ratio - Math.round(ratio)) < 1e-7;
}

/** `value` as a scaled integer: round(value × 10^decimals). Exact for values quantized to `decimals`. */
export function toScaled(value: number, decimals: number): bigint {
  return BigInt(Math.round(value * pow10(decimals)));
}

/** Divides with half-even rounding (banker's rounding): the ledger's single rounding rule. */
export function divRoundHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new RangeError('division by zero');
  if (denominator < 0n) {
    numerator = -numerator;
    denominator = -denominator;
  }
  let q = numerator / denominator;
  let r = numerator % denominator;
  if (r < 0n) {
    r = -r;
    const twice = r * 2n;
    if (twice > denominator || (twice === denominator && q % 2n !== 0n)) q -= 1n;
    return q;
  }
  const twice = r * 2n;
  if (twice > denominator || (twice === denominator && q % 2n !== 0n)) q += 1n;
  return q;
}

/**
 * Exact notional in minor units: price × quantity, rounded half-even to the currency's minor unit.
 * `priceDecimals`/`quantityDecimals` are the instrument's; `currencyDecimals` the currency's (2 for USD).
 */
export function notionalMinor(
  price: number,
  quantity: number,
  priceDecimals: number,
  quantityDecimals: number,
  currencyDecimals: number,
  multiplier = 1,
): bigint {
  const raw = toScaled(price, priceDecimals) * toScaled(quantity, quantityDecimals) * BigInt(multiplier);
  const scale = priceDecimals + quantityDecimals - currencyDecimals;
  if (scale >= 0) return divRoundHalfEven(raw, pow10n(scale));
  return raw * pow10n(-scale);
}

/** Converts a float amount (e.g. a fee computed in the paper venue) to minor units, half-even. */
export function toMinor(amount: number, currencyDecimals: number): bigint {
  // Go through a 12-decimal scaled integer first so 0.125 rounds as a decimal, not as its binary neighbour.
  const scaled = BigInt(Math.round(amount * 1e9));
  const scale = 9 - currencyDecimals;
  return scale >= 0 ? divRoundHalfEven(scaled, pow10n(scale)) : scaled * pow10n(-scale);
}

/** Minor units back to a display number (never used for booking). */
export function fromMinor(minor: bigint, currencyDecimals: number): number {
  return Number(minor) / pow10(currencyDecimals);
}

/** Formats minor units exactly, e.g. -12345n, 2 → "-123.45". */
export function formatMinor(minor: bigint, currencyDecimals: number): string {
  const negative = minor < 0n;
  const abs = negative ? -minor : minor;
  const s = abs.toString().padStart(currencyDecimals + 1, '0');
  const whole = currencyDecimals === 0 ? s : s.slice(0, -currencyDecimals);
  const frac = currencyDecimals === 0 ? '' : '.' + s.slice(-currencyDecimals);
  return (negative ? '-' : '') + whole + frac;
}

/** Minor-unit exponent of a currency (ISO 4217). Unknown currencies default to 2. */
export function currencyDecimals(currency: string): number {
  switch (currency) {
    case 'JPY':
    case 'KRW':
      return 0;
    case 'BTC':
    case 'ETH':
      return 8;
    case 'USDT':
    case 'USDC':
      return 6;
    default:
      return 2;
  }
}
