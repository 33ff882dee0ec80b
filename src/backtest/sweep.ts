// Parameter sweeps: `--param fast=5..20:5` expands to a grid of parameter sets, run as backtests spread over
// worker threads (one kernel per run, each thread its own heap), collected into a results table.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BacktestOptions } from './runner.ts';

export interface SweepJob {
  readonly index: number;
  readonly params: Readonly<Record<string, unknown>>;
}

export interface SweepRow {
  readonly index: number;
  readonly params: Readonly<Record<string, unknown>>;
  readonly finalValue: number;
  readonly totalReturn: number;
  readonly sharpe: number | null;
  readonly maxDrawdown: number;
  readonly closedTrades: number;
  readonly winRate: number | null;
  readonly commission: number;
  readonly events: number;
  readonly seconds: number;
}

export type SweepReply =
  SweepRow | { readonly index: number; readonly params: SweepJob['params']; readonly error: string };

const RANGE = /^(-?[0-9.]+)\.\.(-?[0-9.]+)(?::([0-9.]+))?$/;

/** A `--param` value: a number, true/false, JSON, or the text itself. */
export function parseParameterValue(text: string): unknown {
  if (/^-?[0-9]+(\.[0-9]+)?(e-?[0-9]+)?$/i.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^[[{"]/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/** `lo..hi[:step]` → the values from lo to hi inclusive; undefined when `text` is not a range. */
export function parseRange(text: string): number[] | undefined {
  const m = RANGE.exec(text);
  if (!m) return undefined;
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  const step = m[3] === undefined ? 1 : Number(m[3]);
  if (![lo, hi, step].every(Number.isFinite) || step <= 0 || hi < lo)
    throw new Error(`range "${text}": want lo..hi[:step] with lo ≤ hi and step > 0`);
  const count = Math.floor((hi - lo) / step + 1e-9) + 1;
  if (count > 10_000) throw new Error(`range "${text}" has ${count} values (at most 10,000)`);
  const decimals = Math.max(...[m[1], m[3] ?? '1'].map((s) => (s!.split('.')[1] ?? '').length));
  return Array.from({ length: count }, (_, i) => Number((lo + i * step).toFixed(decimals)));
}

/** Splits `k=v` parameters into fixed values and swept ranges; the grid is their cartesian product. */
export function parameterGrid(assignments: readonly string[]): {
  fixed: Record<string, unknown>;
  grid: Record<string, unknown>[];
} {
  const fixed: Record<string, unknown> = {};
  const ranges: [string, number[]][] = [];
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw new Error(`--param "${assignment}": want name=value`);
    const name = assignment.slice(0, eq);
    const text = assignment.slice(eq + 1);
    const range = parseRange(text);
    if (range) ranges.push([name, range]);
    else fixed[name] = parseParameterValue(text);
  }
  let grid: Record<string, unknown>[] = [{}];
  for (const [name, values] of ranges) grid = grid.flatMap((g) => values.map((v) => ({ ...g, [name]: v })));
  if (ranges.length === 0) grid = [];
  return { fixed, grid };
}

/** Runs every parameter set of `grid` on `threads` worker threads; rows come back in grid order. */
export async function runSweep(
  options: BacktestOptions,
  grid: readonly Record<string, unknown>[],
  threads = Math.max(1, availableParallelism()),
  onRow?: (done: number, total: number) => void,
): Promise<SweepReply[]> {
  const { logger: _logger, onProgress: _progress, ...plain } = options;
  const replies: SweepReply[] = new Array<SweepReply>(grid.length);
  let nextJob = 0;
  let done = 0;
  const entry = new URL('./sweep-worker.ts', import.meta.url).href;
  const bootstrap = new URL('../../bin/worker-ts.mjs', import.meta.url);
  const workers = Array.from(
    { length: Math.min(threads, grid.length) },
    () => new Worker(bootstrap, { workerData: { entry, options: plain } }),
  );
  await Promise.all(
    workers.map(
      (worker) =>
        new Promise<void>((resolve, reject) => {
          const feed = () => {
            if (nextJob >= grid.length) {
              worker.postMessage(null);
              return;
            }
            const index = nextJob++;
            worker.postMessage({ index, params: grid[index]! } satisfies SweepJob);
          };
          worker.on('message', (reply: SweepReply) => {
            replies[reply.index] = reply;
            done++;
            onRow?.(done, grid.length);
            feed();
          });
          worker.on('error', reject);
          worker.on('exit', () => resolve());
          feed();
        }),
    ),
  );
  return replies;
}
