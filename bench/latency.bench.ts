// In-process latency, tick → order acknowledged by the paper venue (budget p99 ≤ 100 µs), on the real kernel
// in paper mode: run with `node bin/run-ts.mjs bench/latency.bench.ts`. ORDERS (default 100,000) measured
// orders after WARMUP (default 20,000); the bench strategy trades on every EVERY-th quote (default 5).
import { rmSync } from 'node:fs';
import { LiveClock } from '../src/common/clock.ts';
import type { Histogram } from '../src/common/histogram.ts';
import { createLogger } from '../src/common/logging.ts';
import { Streams } from '../src/common/topics.ts';
import { Kernel } from '../src/kernel/kernel.ts';
import {
  instrumentId,
  type ClientOrderId,
  type InstrumentId,
  type OrderEvent,
  type QuoteTick,
  type Tick,
} from '../src/model/index.ts';
import { Strategy } from '../src/strategy/strategy.ts';
import { configsWithoutThrottle, walkQuote } from './bench-fixtures.ts';
import { printMachine } from './machine.ts';
import { percentile, report, type BenchResult } from './results.ts';

const ORDERS = Number(process.env.ORDERS ?? 100_000);
const WARMUP = Number(process.env.WARMUP ?? 20_000);
const EVERY = Number(process.env.EVERY ?? 5);
const STRATEGY_ID = 'latency-bench';
const SIZE = 100;

/** Sends a limit IOC at the touch (buy at the ask, sell at the bid, alternating) on every `every`-th quote. */
class TouchTakerStrategy extends Strategy {
  /** The order sent while handling the last quote, if any. */
  lastOrder: ClientOrderId | undefined;
  private quotes = 0;
  private nextIsBuy = true;

  constructor(
    private readonly every: number,
    instrument: InstrumentId,
  ) {
    super({}, [instrument]);
  }

  override onTick(tick: Tick): void {
    if (tick.type !== 'quote' || ++this.quotes % this.every !== 0) return;
    const buy = this.nextIsBuy;
    this.nextIsBuy = !buy;
    this.lastOrder = this.submit({
      instrumentId: tick.instrumentId,
      side: buy ? 'buy' : 'sell',
      quantity: SIZE,
      type: 'limit',
      price: buy ? tick.ask : tick.bid,
      timeInForce: 'IOC',
    });
  }
}

function count(map: ReadonlyMap<string, number>): string {
  if (map.size === 0) return 'none';
  return [...map].map(([reason, n]) => `${reason} ${n.toLocaleString('en-US')}`).join(', ');
}

function describeHistogram(name: string, h: Histogram): string {
  const s = h.summary();
  return `${name.padEnd(14)} n ${s.count.toLocaleString('en-US')}  p50 ${s.p50.toFixed(1)}  p99 ${s.p99.toFixed(1)}  max ${s.max.toFixed(1)}  mean ${s.mean.toFixed(2)} µs`;
}

printMachine('latency bench: tick → order acknowledged by the paper venue, paper kernel, in process');
const configDir = configsWithoutThrottle('hf-latency-bench-', STRATEGY_ID);
const clock = new LiveClock();
const kernel = await Kernel.create({
  mode: 'paper',
  configDir,
  clock,
  logger: createLogger('bench', 'warn'),
  strategies: { strategies: [] },
});
const target = instrumentId('AAPL', 'SIM-A');
const strategy = new TouchTakerStrategy(EVERY, target);
kernel.strategies.add(STRATEGY_ID, strategy);
await kernel.start();

let acknowledgedAt = 0n;
let acknowledged = 0;
kernel.bus.subscribe(Streams.ordersEvents, 'latency-bench', (event: OrderEvent) => {
  if (event.type === 'order_accepted' && event.clientOrderId === strategy.lastOrder) {
    acknowledgedAt = process.hrtime.bigint();
    acknowledged++;
  }
});

/** A quote around $100, stamped now like a feed handler would. */
const quote = (i: number): QuoteTick => walkQuote(target, i, clock.now());

/** Feeds quotes until `orders` orders were sent; returns tick → ack in µs per order (NaN: never acknowledged). */
function drive(orders: number, firstTick: number): { samples: Float64Array; ticks: number } {
  const samples = new Float64Array(orders);
  let sent = 0;
  let i = firstTick;
  while (sent < orders) {
    const tick = quote(i++);
    strategy.lastOrder = undefined;
    acknowledgedAt = 0n;
    const start = process.hrtime.bigint();
    kernel.publishMarketData(tick);
    if (strategy.lastOrder === undefined) continue;
    samples[sent++] = acknowledgedAt === 0n ? Number.NaN : Number(acknowledgedAt - start) / 1000;
  }
  return { samples, ticks: i - firstTick };
}

const warm = drive(WARMUP, 0);
for (const h of Object.values(kernel.oms.latency)) h.reset();
const deniedBefore = [...kernel.denials.values()].reduce((a, b) => a + b, 0);
const acknowledgedBefore = acknowledged;
const measured = drive(ORDERS, warm.ticks);
const missing = measured.samples.filter((x) => Number.isNaN(x)).length;
const sorted = measured.samples.filter((x) => !Number.isNaN(x)).sort();
const p50 = percentile(sorted, 0.5);
const p99 = percentile(sorted, 0.99);
const p999 = percentile(sorted, 0.999);
const max = sorted[sorted.length - 1] ?? 0;
const denied = [...kernel.denials.values()].reduce((a, b) => a + b, 0) - deniedBefore;

console.log(
  `${WARMUP.toLocaleString('en-US')} warm-up orders, then ${ORDERS.toLocaleString('en-US')} measured: ` +
    `${measured.ticks.toLocaleString('en-US')} quotes, a limit IOC at the touch on every ${EVERY}th (buy/sell alternating, ${SIZE} shares)`,
);
console.log(
  `acknowledged ${(acknowledged - acknowledgedBefore).toLocaleString('en-US')}, never acknowledged ${missing}, ` +
    `risk-denied ${denied} (run total: ${count(kernel.denials)}); venue rejections: ${count(kernel.venueRejects)}`,
);
const oms = kernel.oms.counters;
console.log(
  `OMS (whole run): submitted ${oms.submitted.toLocaleString('en-US')}, accepted ${oms.accepted.toLocaleString('en-US')}, ` +
    `fills ${oms.fills.toLocaleString('en-US')}; ledger booked ${kernel.ledger.stats().booked.toLocaleString('en-US')} fills`,
);
console.log(
  `tick → ack (hrtime, publishMarketData → order_accepted seen on ${Streams.ordersEvents}): ` +
    `p50 ${p50.toFixed(2)}  p99 ${p99.toFixed(2)}  p99.9 ${p999.toFixed(2)}  max ${max.toFixed(2)} µs`,
);
console.log('kernel oms.latency histograms (LiveClock µs, 2% buckets), measured orders only:');
for (const [name, h] of Object.entries(kernel.oms.latency)) console.log(`  ${describeHistogram(name, h)}`);

await kernel.stop();
rmSync(configDir, { recursive: true, force: true });

const note = `${sorted.length.toLocaleString('en-US')} orders; ${missing} unacknowledged, ${denied} denied`;
const results: BenchResult[] = [
  { bench: 'latency', name: 'tick → venue ack, in process, p50', value: p50, unit: 'µs', note },
  {
    bench: 'latency',
    name: 'tick → venue ack, in process, p99',
    value: p99,
    unit: 'µs',
    budget: { kind: 'max', value: 100 },
    note,
  },
  { bench: 'latency', name: 'tick → venue ack, in process, max', value: max, unit: 'µs', note },
];
if (missing > 0 || denied > 0) {
  console.log(
    `WARNING: ${missing} orders were never acknowledged and ${denied} denied: the figures are not valid`,
  );
  results.push({
    bench: 'latency',
    name: 'tick → venue ack, orders not acknowledged',
    value: missing + denied,
    unit: 'orders',
    budget: { kind: 'max', value: 0 },
  });
}
report(results);
