// Backtest throughput of the full pipeline (strategy → risk → OMS → paper fills → ledger) on the real kernel,
// in bar events/s (budget ≥ 1,000,000/s): run with `node bin/run-ts.mjs bench/pipeline.bench.ts`.
// BARS (default 2,000,000) synthetic bars, RUNS (default 3) kernels; ORCL_PASSES (default 200) replays of the
// ORCL daily file when /work/shared/data has it.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SimulatedClock } from '../src/common/clock.ts';
import { createLogger } from '../src/common/logging.ts';
import { loadRegistry } from '../src/common/registry.ts';
import { Kernel } from '../src/kernel/kernel.ts';
import { SyntheticMarket } from '../src/marketdata/synthetic.ts';
import { instrumentId, type Bar, type InstrumentId } from '../src/model/index.ts';
import { StrategiesConfigSchema } from '../src/strategy/index.ts';
import { printMachine } from './machine.ts';
import { startProfiling, stopProfiling } from './profiling.ts';
import { formatNumber, report, type BenchResult } from './results.ts';

const BARS = Number(process.env.BARS ?? 2_000_000);
const RUNS = Number(process.env.RUNS ?? 3);
const ORCL_PASSES = Number(process.env.ORCL_PASSES ?? 200);
const CONFIG_DIR = resolve(import.meta.dirname, '..', 'configs');
const ORCL_FILE = '/work/shared/data/market/orcl-1995-2014.txt';
// One-minute bars: 2,000,000 bars over 7 instruments are ~0.8 years of GBM at 30% volatility, a realistic
// path. Daily bars would span ~1,100 years, over which the GBM decays to one tick and the strategy stops trading.
const TIMEFRAME = '1m';
const START = 1_704_153_600_000_000; // 2024-01-02T00:00:00Z
const BUDGET = { kind: 'min', value: 1_000_000 } as const;
const logger = createLogger('bench', 'warn');

interface RunFigures {
  readonly eventsPerSecond: number;
  readonly seconds: number;
  readonly lines: string[];
  /** Orders, fills and denials in a few words, for the summary table. */
  readonly counts: string;
}

function smaCross(instruments: readonly InstrumentId[], timeframe: string) {
  return StrategiesConfigSchema.parse({
    strategies: [
      {
        id: 'sma-cross',
        strategy: 'sma-cross',
        instruments,
        params: { fast: 10, slow: 30, size: 100, source: 'bar', timeframe },
      },
    ],
  });
}

function count(map: ReadonlyMap<string, number>): string {
  if (map.size === 0) return 'none';
  return [...map].map(([reason, n]) => `${reason} ${n.toLocaleString('en-US')}`).join(', ');
}

/** One fresh kernel over `bars`: only the publish loop is timed. */
async function runKernel(
  bars: readonly Bar[],
  instruments: readonly InstrumentId[],
  timeframe: string,
): Promise<RunFigures> {
  const clock = new SimulatedClock(START);
  const kernel = await Kernel.create({
    mode: 'backtest',
    configDir: CONFIG_DIR,
    clock,
    logger,
    candleTimeframes: [timeframe],
    strategies: smaCross(instruments, timeframe),
  });
  await kernel.start();
  const n = bars.length;
  await startProfiling();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const bar = bars[i] as Bar;
    clock.advanceTo(bar.tsEvent);
    kernel.publishMarketData(bar);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await stopProfiling();
  await kernel.bus.flush();
  const oms = kernel.oms.counters;
  const status = kernel.strategies.status()[0];
  const ledger = kernel.ledger.stats();
  const trial = kernel.ledger.ledger.trialBalance();
  const zero = Object.values(trial).every((v) => v === 0n);
  const lines = [
    `strategy submitted ${(status?.submitted ?? 0).toLocaleString('en-US')} orders, ${(status?.fills ?? 0).toLocaleString('en-US')} fills; ` +
      `OMS submitted ${oms.submitted.toLocaleString('en-US')}, accepted ${oms.accepted.toLocaleString('en-US')}, ` +
      `fills ${oms.fills.toLocaleString('en-US')}, venue-rejected ${oms.rejected.toLocaleString('en-US')}`,
    `risk denials: ${count(kernel.denials)}; venue rejections: ${count(kernel.venueRejects)}`,
    `ledger: ${ledger.booked.toLocaleString('en-US')} fills booked, ${ledger.duplicates} duplicates, ${ledger.invalid} invalid; ` +
      `trial balance ${Object.entries(trial)
        .map(([c, v]) => `${c} ${v}`)
        .join(', ')} (${zero ? 'zero: balanced' : 'NOT ZERO'})`,
  ];
  if (status?.lastError) lines.push(`strategy error: ${status.lastError}`);
  let denied = 0;
  for (const k of kernel.denials.values()) denied += k;
  const counts =
    `${oms.submitted.toLocaleString('en-US')} orders, ${oms.fills.toLocaleString('en-US')} fills, ` +
    `${denied.toLocaleString('en-US')} denied, trial balance ${zero ? 'zero' : 'NOT ZERO'}`;
  await kernel.stop();
  return { eventsPerSecond: n / seconds, seconds, lines, counts };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** RUNS kernels over the same bars; prints each run and returns the median rate. */
async function measure(
  label: string,
  bars: readonly Bar[],
  instruments: readonly InstrumentId[],
  timeframe: string,
): Promise<{ rate: number; counts: string }> {
  const rates: number[] = [];
  let counts = '';
  for (let run = 1; run <= RUNS; run++) {
    const figures = await runKernel(bars, instruments, timeframe);
    rates.push(figures.eventsPerSecond);
    console.log(
      `${label} run ${run}: ${formatNumber(figures.eventsPerSecond)} bar events/s (${bars.length.toLocaleString('en-US')} bars in ${figures.seconds.toFixed(3)} s)`,
    );
    // Every run is the same deterministic backtest: the counts are printed once.
    if (run === 1) {
      for (const line of figures.lines) console.log(`  ${line}`);
      counts = figures.counts;
    }
  }
  return { rate: median(rates), counts };
}

/** Yahoo CSV (Date,Open,High,Low,Close,Adj Close,Volume) rows as [open, high, low, close, volume], cents-rounded. */
function parseYahoo(text: string): number[][] {
  const rows: number[][] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const fields = (lines[i] ?? '').trim().split(',');
    if (fields.length < 7) continue;
    const [open, high, low, close] = fields.slice(1, 5).map((f) => Math.round(Number(f) * 100) / 100);
    const volume = Number(fields[6]);
    if (open === undefined || high === undefined || low === undefined || close === undefined) continue;
    if (![open, high, low, close, volume].every((v) => Number.isFinite(v) && v > 0)) continue;
    rows.push([open, Math.max(high, open, close), Math.min(low, open, close), close, volume]);
  }
  return rows;
}

printMachine('pipeline bench: strategy → risk → OMS → paper fills → ledger, backtest kernel, no store');
const results: BenchResult[] = [];

// ---- synthetic bars: every instrument of the registry, sma-cross on all of them ----
{
  const registry = loadRegistry(join(CONFIG_DIR, 'registry.yaml'));
  const instruments = [...registry.instruments.keys()];
  const market = new SyntheticMarket({ registry, seed: 7, startTime: START, barTimeframe: TIMEFRAME });
  const generated = process.hrtime.bigint();
  const bars: Bar[] = new Array<Bar>(BARS);
  for (let i = 0; i < BARS; i++) bars[i] = market.nextBar();
  console.log(
    `generated ${BARS.toLocaleString('en-US')} synthetic ${TIMEFRAME} bars over ${instruments.length} instruments in ` +
      `${(Number(process.hrtime.bigint() - generated) / 1e9).toFixed(2)} s (not timed); sma-cross fast 10 / slow 30, 100 shares`,
  );
  const { rate, counts } = await measure('synthetic', bars, instruments, TIMEFRAME);
  results.push({
    bench: 'pipeline',
    name: `backtest pipeline, synthetic ${TIMEFRAME} bars, ${instruments.length} instruments`,
    value: rate,
    unit: 'bar events/s',
    budget: BUDGET,
    note: `median of ${RUNS} runs of ${BARS.toLocaleString('en-US')} bars; ${counts}`,
  });
}

// ---- real daily bars: ORCL 1995–2014 replayed ORCL_PASSES times as AAPL.SIM-A ----
if (ORCL_PASSES <= 0) {
  console.log('skipped the ORCL replay: ORCL_PASSES=0');
} else if (!existsSync(ORCL_FILE)) {
  console.log(`skipped the ORCL replay: ${ORCL_FILE} not found`);
} else {
  const rows = parseYahoo(readFileSync(ORCL_FILE, 'utf8'));
  const timeframe = '1d';
  const target = instrumentId('AAPL', 'SIM-A');
  // Bars one minute apart, each pass after the previous one: 200 passes of 20 years at daily spacing would run
  // past 2^53 µs (the year 2255), so time is compressed; only the order of the bars matters to the pipeline.
  const spacing = 60_000_000;
  const bars: Bar[] = [];
  let time = START;
  for (let pass = 0; pass < ORCL_PASSES; pass++)
    for (const [open, high, low, close, volume] of rows) {
      time += spacing;
      bars.push({
        type: 'bar',
        instrumentId: target,
        timeframe,
        open: open!,
        high: high!,
        low: low!,
        close: close!,
        volume: volume!,
        tsEvent: time,
        tsInit: time,
      });
    }
  console.log(
    `ORCL 1995–2014: ${rows.length.toLocaleString('en-US')} daily bars × ${ORCL_PASSES} passes = ${bars.length.toLocaleString('en-US')} bars as ${target}, one minute apart`,
  );
  const { rate, counts } = await measure('ORCL replay', bars, [target], timeframe);
  results.push({
    bench: 'pipeline',
    name: `backtest pipeline, ORCL 1995–2014 daily bars × ${ORCL_PASSES}`,
    value: rate,
    unit: 'bar events/s',
    budget: BUDGET,
    note: `median of ${RUNS} runs of ${bars.length.toLocaleString('en-US')} bars; ${counts}`,
  });
}

report(results);
