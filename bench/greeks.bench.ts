// Option chain pricing: time to price and compute all greeks for a 1,000-option chain (50 strikes × 20 expiries)
// on one underlying update, per model, and through the GreeksEngine onto greeks.live. No §7 budget: reported
// for the record. Run with `node bin/run-ts.mjs bench/greeks.bench.ts`.
import { MemoryBus } from '../src/bus/memory.ts';
import { SimulatedClock } from '../src/common/clock.ts';
import { Streams } from '../src/common/topics.ts';
import { instrumentId } from '../src/model/index.ts';
import {
  GreeksEngine,
  emptyGreeks,
  evaluateGreeks,
  parseGreeksConfig,
  type OptionSpecInput,
  type PricingModel,
} from '../src/pricing/index.ts';
import { printMachine } from './machine.ts';
import { report, type BenchResult } from './results.ts';

const RUNS = 5;
/** Each run prices chains for at least this long. */
const RUN_SECONDS = Number(process.env.RUN_SECONDS ?? 0.5);
const SPOT = 100;
const STRIKES = Array.from({ length: 50 }, (_, i) => 60 + 2 * i); // 60 … 158
const EXPIRIES = Array.from({ length: 20 }, (_, i) => (7 + i * 38) / 365); // one week … two years
const CHAIN = STRIKES.length * EXPIRIES.length;
const RATE = 0.04;
const DIVIDEND_YIELD = 0.015;

// Chain as parallel arrays: the loop reads numbers, as the engine does from its slots.
const strikes = new Float64Array(CHAIN);
const times = new Float64Array(CHAIN);
const volatilities = new Float64Array(CHAIN);
const calls: boolean[] = [];
for (let e = 0; e < EXPIRIES.length; e++)
  for (let s = 0; s < STRIKES.length; s++) {
    const i = e * STRIKES.length + s;
    const strike = STRIKES[s] as number;
    strikes[i] = strike;
    times[i] = EXPIRIES[e] as number;
    volatilities[i] = 0.2 + 0.1 * Math.abs(Math.log(strike / SPOT)); // a smile
    calls.push(strike >= SPOT); // out-of-the-money side, as a market maker would quote
  }

const greeks = emptyGreeks();

/** Prices the chain `chains` times at moving spots; returns seconds elapsed. */
function priceChains(model: PricingModel, chains: number): number {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let c = 0; c < chains; c++) {
    const spot = SPOT + (c & 7) * 0.01;
    for (let i = 0; i < CHAIN; i++) {
      evaluateGreeks(
        model,
        calls[i] as boolean,
        spot,
        strikes[i] as number,
        times[i] as number,
        RATE,
        DIVIDEND_YIELD,
        volatilities[i] as number,
        greeks,
      );
      sink += greeks.delta;
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (!Number.isFinite(sink)) throw new Error(`${model}: a greek is not finite`);
  return seconds;
}

/** Chains per run sized from a short trial so each run lasts about RUN_SECONDS. */
function chainsPerRun(trial: () => number): number {
  const seconds = trial();
  return Math.max(1, Math.round(RUN_SECONDS / Math.max(seconds, 1e-9)));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const results: BenchResult[] = [];

function record(name: string, microsPerChain: number[], chains: number): void {
  const micros = median(microsPerChain);
  const spread = microsPerChain.map((x) => Math.round(x).toLocaleString('en-US')).join(', ');
  console.log(
    `${name}: median ${Math.round(micros).toLocaleString('en-US')} µs/chain (${Math.round(1e6 / micros).toLocaleString('en-US')} chains/s, ` +
      `${((micros * 1000) / CHAIN).toFixed(0)} ns/option) over ${RUNS} runs of ${chains} chains (${spread})`,
  );
  const note = `${CHAIN.toLocaleString('en-US')} options, median of ${RUNS} runs of ${chains} chains`;
  results.push({ bench: 'greeks', name: `${name}, µs per chain`, value: micros, unit: 'µs/chain', note });
  results.push({
    bench: 'greeks',
    name: `${name}, chains per second`,
    value: 1e6 / micros,
    unit: 'chains/s',
    note,
  });
}

printMachine(`greeks bench: price + all greeks for a ${CHAIN.toLocaleString('en-US')}-option chain`);

for (const [model, label] of [
  ['bsm', 'Black–Scholes–Merton, analytic greeks'],
  ['baw', 'Barone-Adesi–Whaley, finite-difference greeks'],
  ['bjs', 'Bjerksund–Stensland 2002, finite-difference greeks'],
] as const) {
  priceChains(model, 3); // warm-up: let the JIT optimise this model's path
  const chains = chainsPerRun(() => priceChains(model, 3) / 3);
  const micros: number[] = [];
  for (let r = 0; r < RUNS; r++) micros.push((priceChains(model, chains) / chains) * 1e6);
  record(`${model} chain (${label})`, micros, chains);
}

// The same chain through the GreeksEngine: one underlying quote on ticks.live → 1,000 OptionGreeks on greeks.live.
const T0 = 1_704_153_600_000_000;
const YEAR_MICROS = 365 * 86_400 * 1_000_000;
const underlying = instrumentId('BENCH', 'SIM-A');
const options: OptionSpecInput[] = [];
for (let i = 0; i < CHAIN; i++)
  options.push({
    instrumentId: `BENCH-${i}.OPT`,
    underlyingId: underlying,
    type: calls[i] ? 'call' : 'put',
    strike: strikes[i] as number,
    expiry: T0 + Math.round((times[i] as number) * YEAR_MICROS),
    rate: RATE,
    dividendYield: DIVIDEND_YIELD,
    volatility: volatilities[i] as number,
  });
const bus = new MemoryBus();
const engine = new GreeksEngine({
  bus,
  clock: new SimulatedClock(T0),
  config: parseGreeksConfig({ options }),
});
engine.start();
let received = 0;
bus.subscribe(Streams.greeks, 'bench', () => {
  received++;
});
let tick = 0;
function engineChains(chains: number): number {
  const start = process.hrtime.bigint();
  for (let c = 0; c < chains; c++) {
    tick++;
    const mid = SPOT + (tick & 1) * 0.01; // the underlying moves on every tick
    bus.publish(Streams.ticks, {
      type: 'quote',
      instrumentId: underlying,
      bid: mid - 0.01,
      ask: mid + 0.01,
      bidSize: 100,
      askSize: 100,
      tsEvent: T0 + tick,
      tsInit: T0 + tick,
    });
  }
  return Number(process.hrtime.bigint() - start) / 1e9;
}
engineChains(3);
const engineRun = chainsPerRun(() => engineChains(3) / 3);
const engineMicros: number[] = [];
for (let r = 0; r < RUNS; r++) engineMicros.push((engineChains(engineRun) / engineRun) * 1e6);
if (received !== tick * CHAIN) throw new Error(`expected ${tick * CHAIN} greeks messages, got ${received}`);
record(
  'GreeksEngine, bsm: ticks.live quote → 1,000 greeks.live messages (in-process bus)',
  engineMicros,
  engineRun,
);
engine.stop();

report(results);
