// Memory of a long-running paper process: the JS heap after ORDERS orders (IOC at the touch, every one filled)
// through the real kernel with a store, with closed orders released from memory (retention, as `hf run` and
// the services run) and without (every order kept, as before). Run: `node bin/run-ts.mjs bench/retention.bench.ts`.
// Env: ORDERS (100,000), CHECKPOINTS (4). Time is simulated (one quote every 10 ms), so the horizons pass.
import { rmSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SimulatedClock } from '../src/common/clock.ts';
import { createLogger } from '../src/common/logging.ts';
import type { RetentionSettings } from '../src/common/retention.ts';
import { Kernel } from '../src/kernel/kernel.ts';
import { instrumentId, type InstrumentId, type Tick } from '../src/model/index.ts';
import { PgliteStore } from '../src/store/pglite.ts';
import { Strategy } from '../src/strategy/strategy.ts';
import { configsWithoutThrottle, walkQuote } from './bench-fixtures.ts';
import { printMachine } from './machine.ts';
import { report, type BenchResult } from './results.ts';

const ORDERS = Number(process.env.ORDERS ?? 100_000);
const CHECKPOINTS = Number(process.env.CHECKPOINTS ?? 4);
const STRATEGY_ID = 'retention-bench';
const T0 = 1_704_153_600_000_000;
const STEP = 10_000; // µs between quotes
/** The services write changed orders every 250 ms; here every 25 simulated quotes. */
const PERSIST_EVERY = 25;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A limit IOC at the touch on every quote, buy and sell in turn (flat after each pair). */
class TouchTaker extends Strategy {
  private nextBuy = true;
  constructor(instrument: InstrumentId) {
    super({}, [instrument]);
  }
  override onTick(tick: Tick): void {
    if (tick.type !== 'quote') return;
    const buy = this.nextBuy;
    this.nextBuy = !buy;
    this.submit({
      instrumentId: tick.instrumentId,
      side: buy ? 'buy' : 'sell',
      quantity: 10,
      type: 'limit',
      price: buy ? tick.ask : tick.bid,
      timeInForce: 'IOC',
    });
  }
}

const heapMb = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

async function run(label: string, retention: RetentionSettings | null, configDir: string): Promise<number[]> {
  const clock = new SimulatedClock(T0);
  const store = await PgliteStore.open();
  const kernel = await Kernel.create({
    mode: 'paper',
    configDir,
    clock,
    store,
    retention,
    logger: createLogger('bench', 'error'),
    strategies: { strategies: [] },
  });
  const target = instrumentId('AAPL', 'SIM-A');
  kernel.strategies.add(STRATEGY_ID, new TouchTaker(target));
  await kernel.start();
  const base = heapMb();
  const growth: number[] = [];
  const per = Math.ceil(ORDERS / CHECKPOINTS);
  const started = performance.now();
  for (let i = 1; i <= ORDERS; i++) {
    clock.advanceTo(T0 + i * STEP);
    kernel.publishMarketData(walkQuote(target, i, clock.now()));
    if (i % PERSIST_EVERY === 0) {
      await kernel.bus.flush();
      await kernel.persist();
    }
    if (i % per === 0 || i === ORDERS) {
      await kernel.persist();
      const mb = heapMb() - base;
      growth.push(mb);
      const held = kernel.oms.retained();
      console.log(
        `${label}: ${i.toLocaleString('en-US')} orders, heap +${mb.toFixed(1)} MB, OMS holds ${held.orders.toLocaleString('en-US')} (released ${kernel.oms.counters.releasedOrders.toLocaleString('en-US')})`,
      );
    }
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`${label}: ${ORDERS.toLocaleString('en-US')} orders in ${seconds.toFixed(1)} s`);
  const fills = kernel.oms.counters.fills;
  if (fills < ORDERS * 0.99)
    throw new Error(`only ${fills} fills for ${ORDERS} orders: the bench did not trade`);
  await kernel.stop();
  await store.close();
  return growth;
}

printMachine(
  'retention bench: heap of a long-running paper kernel with a store, closed orders released or kept',
);
const configDir = configsWithoutThrottle('hf-retention-bench-', STRATEGY_ID);
const results: BenchResult[] = [];
try {
  // Simulated: 10 ms a quote, so the 600 s default horizon would hold 60,000 orders; a 60 s horizon holds 6,000.
  const retention: RetentionSettings = {
    closedOrdersMicros: 60_000_000,
    maxClosedOrders: 100_000,
    idsMicros: 120_000_000,
  };
  const kept = await run('every order kept', null, configDir);
  const released = await run('closed orders released (60 s)', retention, configDir);
  // The slope over the second half of the run: once the horizons are full, retention should keep it near 0.
  const perThousand = (growth: number[]): number => {
    const half = growth[Math.floor(growth.length / 2) - 1] ?? 0;
    return (((growth.at(-1) ?? 0) - half) * 1000) / (ORDERS / 2);
  };
  results.push(
    {
      bench: 'retention',
      name: 'heap growth per 1,000 orders (second half of the run), every order kept',
      value: perThousand(kept) * 1024,
      unit: 'KB',
      note: `+${(kept.at(-1) ?? 0).toFixed(0)} MB after ${ORDERS.toLocaleString('en-US')} orders; checkpoints ${kept.map((m) => m.toFixed(0)).join(' / ')} MB`,
    },
    {
      bench: 'retention',
      name: 'heap growth per 1,000 orders (second half of the run), closed orders released',
      value: perThousand(released) * 1024,
      unit: 'KB',
      note: `+${(released.at(-1) ?? 0).toFixed(0)} MB after ${ORDERS.toLocaleString('en-US')} orders; checkpoints ${released.map((m) => m.toFixed(0)).join(' / ')} MB (ids kept 120 s)`,
    },
  );
} finally {
  rmSync(configDir, { recursive: true, force: true });
}
report(results);
