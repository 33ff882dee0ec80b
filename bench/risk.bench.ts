// Pre-trade risk check throughput (budget ≥ 1,000,000 checks/s): run with `node bin/run-ts.mjs bench/risk.bench.ts`.
import { MemoryBus } from '../src/bus/memory.ts';
import { SimulatedClock } from '../src/common/clock.ts';
import { loadRegistry } from '../src/common/registry.ts';
import { Streams } from '../src/common/topics.ts';
import { clientOrderId, instrumentId, strategyId, type SubmitOrder } from '../src/model/index.ts';
import { RiskEngine, loadPolicyConfig, loadRiskConfig } from '../src/risk/index.ts';
import { printMachine } from './machine.ts';
import { report, type BenchResult } from './results.ts';

const ITERATIONS = Number(process.env.ITERATIONS ?? 5_000_000);
const RUNS = 5;

printMachine('risk bench: pre-trade risk checks');
const bus = new MemoryBus();
const clock = new SimulatedClock(1_700_000_000_000_000);
const engine = new RiskEngine({
  bus,
  clock,
  registry: loadRegistry('configs/registry.yaml'),
  risk: loadRiskConfig('configs/risk.yaml'),
  policy: loadPolicyConfig('configs/policy.yaml'),
});
engine.start();

const aapl = instrumentId('AAPL', 'SIM-A');
bus.publish(Streams.ticks, {
  type: 'quote',
  instrumentId: aapl,
  bid: 99.99,
  ask: 100.01,
  bidSize: 500,
  askSize: 500,
  tsEvent: clock.now(),
  tsInit: clock.now(),
});

// Build up a realistic state: the strategy holds a position and has resting orders in the instrument.
function submit(id: string, side: 'buy' | 'sell', quantity: number, price: number): SubmitOrder {
  return {
    type: 'submit_order',
    order: {
      clientOrderId: clientOrderId(id),
      strategyId: strategyId('market-maker'),
      instrumentId: aapl,
      side,
      type: 'limit',
      quantity,
      price,
      timeInForce: 'GTC',
      reduceOnly: false,
      tsInit: clock.now(),
    },
    tsInit: clock.now(),
  };
}
bus.publish(Streams.ordersIncoming, submit('resting-bid', 'buy', 100, 99.9));
bus.publish(Streams.ordersIncoming, submit('resting-ask', 'sell', 100, 100.1));

const passing = submit('bench-pass', 'buy', 200, 100.0);
const denied = submit('bench-deny', 'buy', 900, 130.0); // notional 117,000 > 100,000 (after the collar: 30% > 5%)
const deniedNotional = submit('bench-deny-notional', 'buy', 1000, 100.5); // notional 100,500 > 100,000

for (const [name, command] of [
  ['passing', passing],
  ['denied (collar)', denied],
  ['denied (notional)', deniedNotional],
] as const)
  console.log(`${name}: ${JSON.stringify(engine.check(command) ?? 'passes')}`);

function measure(command: SubmitOrder): number {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) if (engine.check(command) === undefined) sink++;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (sink < 0) console.log(sink);
  return ITERATIONS / seconds;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const results: BenchResult[] = [];
for (const [name, command] of [
  ['passing limit order', passing],
  ['denied limit order (price collar)', denied],
  ['denied limit order (max notional)', deniedNotional],
] as const) {
  measure(command); // warm-up: let the JIT optimize this path
  const rates: number[] = [];
  for (let r = 0; r < RUNS; r++) rates.push(measure(command));
  const text = rates.map((x) => Math.round(x).toLocaleString('en-US')).join(', ');
  console.log(
    `risk check, ${name}: median ${Math.round(median(rates)).toLocaleString('en-US')} checks/s over ${RUNS} runs of ${ITERATIONS.toLocaleString('en-US')} (${text})`,
  );
  results.push({
    bench: 'risk',
    name: `pre-trade risk check, ${name}`,
    value: median(rates),
    unit: 'checks/s',
    budget: { kind: 'min', value: 1_000_000 },
    note: `median of ${RUNS} runs of ${ITERATIONS.toLocaleString('en-US')}`,
  });
}
engine.stop();
report(results);
