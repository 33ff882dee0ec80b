// Number, time and field formatting for the panels: anything missing or not a finite number shows "n/a".

export const NA = 'n/a';

export function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

export function money(value: unknown, digits = 2): string {
  return isNumber(value)
    ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : NA;
}

export function quantity(value: unknown): string {
  return isNumber(value) ? value.toLocaleString('en-US', { maximumFractionDigits: 4 }) : NA;
}

export function price(value: unknown): string {
  return isNumber(value)
    ? value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 6 })
    : NA;
}

/** Microseconds as µs / ms / s. */
export function micros(value: unknown): string {
  if (!isNumber(value)) return NA;
  if (value < 1000) return `${value.toFixed(1)} µs`;
  if (value < 1_000_000) return `${(value / 1000).toFixed(2)} ms`;
  return `${(value / 1_000_000).toFixed(2)} s`;
}

/** Unix microseconds (platform time) as a local clock time. */
export function timeOfMicros(value: unknown): string {
  return isNumber(value) && value > 0
    ? new Date(value / 1000).toLocaleTimeString('en-GB', { hour12: false })
    : NA;
}

export function timeOfMillis(value: unknown): string {
  return isNumber(value) && value > 0
    ? new Date(value).toLocaleString('en-GB', { hour12: false, dateStyle: 'short', timeStyle: 'medium' })
    : NA;
}

export function percent(value: unknown, digits = 0): string {
  return isNumber(value) ? `${(value * 100).toFixed(digits)} %` : NA;
}

/** A nested field read without trusting the shape (the risk snapshot's fields may be missing). */
export function path(value: unknown, ...keys: readonly string[]): unknown {
  let current: unknown = value;
  for (const key of keys) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Readonly<Record<string, unknown>>)[key];
  }
  return current;
}

export function signClass(value: unknown): string {
  return isNumber(value) ? (value > 0 ? 'pos' : value < 0 ? 'neg' : '') : '';
}
