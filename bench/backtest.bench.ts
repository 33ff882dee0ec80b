// `hf backtest` end to end (file → parse → strategy → risk → OMS → paper fills → ledger → equity and trades):
// sma-cross on a synthetic bar file of BACKTEST_BARS rows (default 10,000,000, written to a temp file, not
// timed), the same run on a tenth of it to show memory does not grow with file length, the ORCL daily file when
// /work/shared/data has it, and a parameter sweep on 1 and 2 worker threads.
// Run with `node bin/run-ts.mjs bench/backtest.bench.ts`.
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { runBacktest } from '../src/backtest/runner.ts';
import { parameterGrid, runSweep } from '../src/backtest/sweep.ts';
import { SeededRandom } from '../src/common/random.ts';
import { printMachine } from './machine.ts';
import { formatNumber, report, type BenchResult } from './results.ts';

const BARS = Number(process.env.BACKTEST_BARS ?? 10_000_000);
const CONFIG_DIR = resolve(import.meta.dirname, '..', 'configs');
const ORCL_FILE = '/work/shared/data/market/orcl-1995-2014.txt';
const BUDGET = { kind: 'min', value: 1_000_000 } as const;
const work = mkdtempSync(join(tmpdir(), 'hf-backtest-bench-'));

/** A random-walk minute-bar file (`Datetime,Open,High,Low,Close,Volume`), streamed to disk. */
async function writeBars(path: string, count: number): Promise<void> {
  const out = createWriteStream(path);
  const random = new SeededRandom(11);
  out.write('Datetime,Open,High,Low,Close,Volume\n');
  let price = 100;
  let time = Date.UTC(2000, 0, 3);
  let chunk = '';
  for (let i = 0; i < count; i++) {
    const open = price;
    const close = Math.max(1, Math.round(open * (1 + 0.001 * random.normal()) * 100) / 100);
    const high = Math.max(open, close) + 0.02;
    const low = Math.max(0.01, Math.min(open, close) - 0.02);
    chunk += `${new Date(time).toISOString().slice(0, 19)},${open.toFixed(2)},${high.toFixed(2)},${low.toFixed(2)},${close.toFixed(2)},${100 + (i % 900)}\n`;
    price = close;
    time += 60_000;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.write(chunk);
  out.end();
  await once(out, 'finish');
}

async function run(path: string, label: string): Promise<{ rate: number; rssMb: number; line: string }> {
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const result = await runBacktest({
    configDir: CONFIG_DIR,
    data: [{ path }],
    params: { fast: 10, slow: 30 },
    size: 10,
    cash: 1_000_000,
    onProgress: () => (peak = Math.max(peak, process.memoryUsage().rss)),
  });
  peak = Math.max(peak, process.memoryUsage().rss);
  const line =
    `${label}: ${result.events.toLocaleString('en-US')} bars in ${result.seconds.toFixed(2)} s = ` +
    `${formatNumber(result.eventsPerSecond)} bar events/s; ${result.fills.toLocaleString('en-US')} fills, ` +
    `${result.closedTrades.toLocaleString('en-US')} trades; peak RSS ${(peak / 2 ** 20).toFixed(0)} MB ` +
    `(${((peak - before) / 2 ** 20).toFixed(0)} MB above the start)`;
  console.log(line);
  return { rate: result.eventsPerSecond, rssMb: (peak - before) / 2 ** 20, line };
}

printMachine('backtest bench: hf backtest runner, file → kernel → ledger, sma-cross');
const results: BenchResult[] = [];
try {
  const big = join(work, 'bars.csv');
  const small = join(work, 'bars-small.csv');
  let t0 = Date.now();
  await writeBars(big, BARS);
  await writeBars(small, Math.max(1, Math.floor(BARS / 10)));
  console.log(
    `wrote ${BARS.toLocaleString('en-US')} bars (${(statSync(big).size / 2 ** 20).toFixed(0)} MB) and a tenth of them in ${((Date.now() - t0) / 1000).toFixed(1)} s (not timed)`,
  );
  const tenth = await run(small, 'synthetic, a tenth');
  const full = await run(big, 'synthetic, full file');
  results.push({
    bench: 'backtest',
    name: `hf backtest end to end, synthetic 1m bars × ${BARS.toLocaleString('en-US')} (parse included)`,
    value: full.rate,
    unit: 'bar events/s',
    budget: BUDGET,
    note: `peak RSS +${full.rssMb.toFixed(0)} MB vs +${tenth.rssMb.toFixed(0)} MB for a tenth of the file`,
  });
  if (existsSync(ORCL_FILE)) {
    const orcl = await run(ORCL_FILE, 'ORCL 1995–2014 daily, one pass');
    results.push({
      bench: 'backtest',
      name: 'hf backtest end to end, ORCL 1995–2014 daily (5,036 bars, one pass)',
      value: orcl.rate,
      unit: 'bar events/s',
      note: 'a short run: start-up and JIT warm-up dominate',
    });
  }
  {
    const { fixed, grid } = parameterGrid(['fast=5..20:5', 'slow=30..60:10']);
    for (const threads of [1, 2]) {
      t0 = Date.now();
      const rows = await runSweep(
        { configDir: CONFIG_DIR, data: [{ path: small }], params: fixed, size: 10 },
        grid,
        threads,
      );
      const seconds = (Date.now() - t0) / 1000;
      const failed = rows.filter((r) => 'error' in r).length;
      console.log(
        `sweep of ${grid.length} runs on a tenth of the synthetic file, ${threads} thread(s): ${seconds.toFixed(1)} s${failed ? `, ${failed} failed` : ''}`,
      );
      results.push({
        bench: 'backtest',
        name: `sweep ${grid.length} runs × ${Math.floor(BARS / 10).toLocaleString('en-US')} bars, ${threads} worker thread(s)`,
        value: (grid.length * Math.floor(BARS / 10)) / seconds,
        unit: 'bar events/s',
      });
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
report(results);
