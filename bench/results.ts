// Bench results shared by every bench and run-all: a row per figure, checked against its §7 budget, handed to
// run-all through the JSON file named by BENCH_RESULT_FILE (benches run as separate processes).
import { appendFileSync } from 'node:fs';

export interface Budget {
  /** `min`: the figure must be at least `value` (throughput); `max`: at most (latency). */
  readonly kind: 'min' | 'max';
  readonly value: number;
}

export interface BenchResult {
  readonly bench: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly budget?: Budget;
  /** Context for the reader (counts, run sizes); not compared with anything. */
  readonly note?: string;
}

export const RESULT_FILE_VARIABLE = 'BENCH_RESULT_FILE';

export function passes(result: BenchResult): boolean | undefined {
  if (!result.budget) return undefined;
  return result.budget.kind === 'min'
    ? result.value >= result.budget.value
    : result.value <= result.budget.value;
}

export function formatNumber(value: number): string {
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(2);
}

export function formatFigure(result: BenchResult): string {
  return `${formatNumber(result.value)} ${result.unit}`;
}

export function formatBudget(result: BenchResult): string {
  if (!result.budget) return '—';
  return `${result.budget.kind === 'min' ? '≥' : '≤'} ${formatNumber(result.budget.value)} ${result.unit}`;
}

/** Prints the rows and, under run-all, appends them (one JSON line each) to its result file. */
export function report(results: readonly BenchResult[]): void {
  for (const r of results) {
    const verdict = passes(r);
    const status = verdict === undefined ? '' : verdict ? '  PASS' : '  FAIL';
    console.log(`result: ${r.name}: ${formatFigure(r)} (budget ${formatBudget(r)})${status}`);
  }
  const file = process.env[RESULT_FILE_VARIABLE];
  if (file) appendFileSync(file, results.map((r) => JSON.stringify(r) + '\n').join(''));
}

/** Exact percentile of sorted samples (nearest rank). */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] ?? 0;
}
