// VaR/ES: historical VaR/ES of 500 instruments × 1,000 days (each series, and the weighted portfolio with its
// per-instrument ES split), Monte Carlo of 100,000 paths × 50 correlated factors, and the pre-trade risk check
// with VaR bands on (issue budget ≥ 100,000 checks/s) for each method: repeated checks (the book unchanged),
// a check the band denies, and a price tick before every check (the book's figures recomputed each time).
// Run with `node bin/run-ts.mjs bench/var.bench.ts`.
import { MemoryBus } from '../src/bus/memory.ts';
import { SimulatedClock } from '../src/common/clock.ts';
import { SeededRandom } from '../src/common/random.ts';
import { loadRegistry } from '../src/common/registry.ts';
import { Streams } from '../src/common/topics.ts';
import {
  clientOrderId,
  strategyId,
  tradeId,
  venueId,
  venueOrderId,
  type InstrumentId,
  type SubmitOrder,
} from '../src/model/index.ts';
import {
  RiskEngine,
  historicalVar,
  loadPolicyConfig,
  loadRiskConfig,
  monteCarloVar,
  parseRiskConfig,
  portfolioVar,
  sampleCovariance,
  type VarMethod,
} from '../src/risk/index.ts';
import { printMachine } from './machine.ts';
import { report, type BenchResult } from './results.ts';

const RUNS = 5;
const INSTRUMENTS = 500;
const DAYS = 1_000;
const FACTORS = 50;
const PATHS = 100_000;
const CHECK_BUDGET = { kind: 'min', value: 100_000 } as const;

printMachine('VaR bench: historical, Monte Carlo, pre-trade check with VaR bands');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Median milliseconds of `RUNS` calls after one warm-up. */
function time(run: () => number): { ms: number; sink: number } {
  let sink = run();
  const samples: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const start = process.hrtime.bigint();
    sink += run();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { ms: median(samples), sink };
}

// ---- data: one market factor + idiosyncratic noise, fat-tailed by a random volatility regime ----
const random = new SeededRandom(42);
const columns: Float64Array[] = Array.from({ length: INSTRUMENTS }, () => new Float64Array(DAYS));
for (let t = 0; t < DAYS; t++) {
  const regime = random.uniform() < 0.1 ? 2.5 : 1;
  const market = random.normal() * 0.01 * regime;
  for (let i = 0; i < INSTRUMENTS; i++)
    columns[i]![t] = 0.0003 + 0.8 * market + random.normal() * 0.012 * regime;
}
const weights = Array.from({ length: INSTRUMENTS }, (_, i) => (i % 5 === 0 ? -1 : 1) / INSTRUMENTS);

const results: BenchResult[] = [];

// ---- historical, 500 × 1,000 ----
const eachSeries = time(() => {
  let sum = 0;
  for (const column of columns) sum += historicalVar(column, 0.99).valueAtRisk;
  return sum;
});
console.log(
  `historical VaR/ES of ${INSTRUMENTS} series × ${DAYS} days, each: ${eachSeries.ms.toFixed(1)} ms`,
);
results.push({
  bench: 'var',
  name: `historical VaR/ES, ${INSTRUMENTS} instruments × ${DAYS.toLocaleString('en-US')} days, each series`,
  value: eachSeries.ms,
  unit: 'ms',
  note: `median of ${RUNS}; linear-time selection per series`,
});
const portfolio = time(
  () => portfolioVar(columns, weights, { method: 'historical', confidence: 0.99 }).valueAtRisk,
);
console.log(
  `historical VaR/ES of the ${INSTRUMENTS}-instrument portfolio with its ES split: ${portfolio.ms.toFixed(1)} ms`,
);
results.push({
  bench: 'var',
  name: `historical VaR/ES, ${INSTRUMENTS} × ${DAYS.toLocaleString('en-US')} portfolio with component ES`,
  value: portfolio.ms,
  unit: 'ms',
  note: `median of ${RUNS}; weighted returns, quantile, tail split by instrument`,
});

// ---- Monte Carlo, 100,000 paths × 50 factors ----
const factorColumns = columns.slice(0, FACTORS);
const estimate = time(() => sampleCovariance(factorColumns).covariance[0]!);
const { mean, covariance } = sampleCovariance(factorColumns);
const factorWeights = Float64Array.from({ length: FACTORS }, (_, i) => (i % 5 === 0 ? -1 : 1) / FACTORS);
const simulate = (components: boolean) => () =>
  monteCarloVar({
    mean,
    covariance,
    weights: factorWeights,
    paths: PATHS,
    seed: 1,
    confidence: 0.99,
    components,
  }).valueAtRisk;
const monteCarlo = time(simulate(false));
const monteCarloSplit = time(simulate(true));
console.log(
  `Monte Carlo ${PATHS.toLocaleString('en-US')} paths × ${FACTORS} factors: covariance ${estimate.ms.toFixed(1)} ms, VaR/ES ${monteCarlo.ms.toFixed(1)} ms, with component ES ${monteCarloSplit.ms.toFixed(1)} ms`,
);
results.push(
  {
    bench: 'var',
    name: `Monte Carlo VaR/ES, ${PATHS.toLocaleString('en-US')} paths × ${FACTORS} factors`,
    value: monteCarlo.ms,
    unit: 'ms',
    note: `median of ${RUNS}; Cholesky + seeded normals; covariance of ${DAYS} days ${estimate.ms.toFixed(1)} ms more`,
  },
  {
    bench: 'var',
    name: `Monte Carlo VaR/ES, ${PATHS.toLocaleString('en-US')} paths × ${FACTORS} factors, with component ES`,
    value: monteCarloSplit.ms,
    unit: 'ms',
    note: `median of ${RUNS}; second pass forms L·z for the tail paths`,
  },
);

// ---- the pre-trade check with VaR bands on ----
const registry = loadRegistry('configs/registry.yaml');
const shipped = loadRiskConfig('configs/risk.yaml');
const policy = loadPolicyConfig('configs/policy.yaml');
const instruments = [...registry.instruments.keys()] as InstrumentId[];
const START = 1_704_153_600_000_000; // 2024-01-02T00:00:00Z
const MINUTE = 60_000_000;

interface Setup {
  readonly engine: RiskEngine;
  readonly passing: SubmitOrder;
  readonly denied: SubmitOrder;
  /** Publishes a trade moving one held instrument by a cent: every book's exposure changes. */
  readonly tick: (i: number) => void;
}

function engineWith(method: VarMethod): Setup {
  const bus = new MemoryBus();
  const clock = new SimulatedClock(START);
  // The shipped bands and sampling, the method under test; the strategy band sized to deny a large buy.
  const risk = parseRiskConfig({
    ...shipped,
    var: { ...shipped.var, method, limits: { ...shipped.var.limits, strategies: { bench: { var: 8_000 } } } },
    drawdown: { bands: [] },
  });
  const engine = new RiskEngine({ bus, clock, registry, risk, policy });
  engine.start();
  // A full window of minute returns: correlated GBM at 30 %/year (24 h days, 252 a year), as the synthetic market.
  const prices = instruments.map(() => 100);
  const path = new SeededRandom(7);
  const sigma = 0.3 / Math.sqrt(252 * 1440);
  for (let minute = 0; minute <= shipped.var.windowReturns + 1; minute++) {
    const market = path.normal();
    clock.advanceTo(START + minute * MINUTE + 1);
    instruments.forEach((id, i) => {
      prices[i] = prices[i]! * Math.exp(sigma * (0.55 * market + 0.835 * path.normal()));
      bus.publish(Streams.ticks, {
        type: 'trade',
        instrumentId: id,
        price: Math.round(prices[i] * 100) / 100,
        size: 1,
        aggressor: 'unknown',
        tsEvent: clock.now(),
        tsInit: clock.now(),
      });
    });
  }
  // Positions: the bench strategy long 300 of each instrument.
  instruments.forEach((id, i) =>
    bus.publish(Streams.fills, {
      type: 'order_filled',
      clientOrderId: clientOrderId(`seed-${i}`),
      strategyId: strategyId('bench'),
      instrumentId: id,
      venue: venueId(id.split('.')[1] ?? 'SIM-A'),
      venueOrderId: venueOrderId(`v-${i}`),
      tradeId: tradeId(`t-${i}`),
      side: 'buy',
      lastQuantity: 300,
      lastPrice: Math.round(prices[i]! * 100) / 100,
      fee: 0,
      feeCurrency: 'USD',
      liquidity: 'taker',
      leavesQuantity: 0,
      tsEvent: clock.now(),
      tsInit: clock.now(),
    }),
  );
  const order = (id: string, quantity: number): SubmitOrder => ({
    type: 'submit_order',
    order: {
      clientOrderId: clientOrderId(id),
      strategyId: strategyId('bench'),
      instrumentId: instruments[0]!,
      side: 'buy',
      type: 'limit',
      quantity,
      price: Math.round(prices[0]! * 100) / 100,
      timeInForce: 'GTC',
      reduceOnly: false,
      tsInit: clock.now(),
    },
    tsInit: clock.now(),
  });
  const moving = instruments[1]!;
  const base = Math.round(prices[1]! * 100);
  const tick = (i: number): void =>
    bus.publish(Streams.ticks, {
      type: 'trade',
      instrumentId: moving,
      price: (base + (i & 1)) / 100,
      size: 1,
      aggressor: 'unknown',
      tsEvent: clock.now(),
      tsInit: clock.now(),
    });
  return { engine, passing: order('pass', 100), denied: order('deny', 990), tick };
}

const CHECKS: Readonly<Record<VarMethod, number>> = {
  gaussian: 2_000_000,
  historical: 200_000,
  modified: 200_000,
  montecarlo: 50_000,
};

for (const method of ['gaussian', 'historical', 'modified', 'montecarlo'] as const) {
  const { engine, passing, denied, tick } = engineWith(method);
  const verdicts = [engine.check(passing), engine.check(denied)];
  const snapshot = engine.snapshot().valueAtRisk;
  console.log(
    `${method}: ready ${snapshot.ready}, ${snapshot.returns} returns, portfolio VaR ${snapshot.portfolio.figures?.valueAtRisk ?? 'n/a'}; passing → ${verdicts[0]?.reason ?? 'passes'}, large buy → ${verdicts[1]?.reason ?? 'passes'} ${verdicts[1]?.message ?? ''}`,
  );
  if (!snapshot.ready || verdicts[0] !== undefined || verdicts[1]?.reason !== 'RISK_VAR_LIMIT')
    throw new Error(`${method}: the VaR check is not exercised as intended`);
  const iterations = CHECKS[method];
  for (const [label, command, ticks] of [
    ['passing order', passing, false],
    ['denied by the VaR band', denied, false],
    ['a price tick then a passing order', passing, true],
  ] as const) {
    const rates: number[] = [];
    let sink = 0;
    for (let r = 0; r <= RUNS; r++) {
      const start = process.hrtime.bigint();
      if (ticks)
        for (let i = 0; i < iterations; i++) {
          tick(i);
          if (engine.check(command) === undefined) sink++;
        }
      else for (let i = 0; i < iterations; i++) if (engine.check(command) === undefined) sink++;
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (r > 0) rates.push(iterations / seconds); // run 0 warms the JIT up
    }
    if (sink < 0) console.log(sink);
    const rate = median(rates);
    console.log(
      `pre-trade check, VaR bands on (${method}), ${label}: ${Math.round(rate).toLocaleString('en-US')} checks/s`,
    );
    results.push({
      bench: 'var',
      name: `pre-trade risk check with VaR bands (${method}), ${label}`,
      value: rate,
      unit: 'checks/s',
      budget: CHECK_BUDGET,
      note: `median of ${RUNS} runs of ${iterations.toLocaleString('en-US')}; ${registry.instruments.size} instruments, window ${snapshot.returns}${method === 'montecarlo' ? `, ${shipped.var.monteCarlo.paths} paths` : ''}`,
    });
  }
  engine.stop();
}

report(results);
