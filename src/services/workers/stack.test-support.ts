// A paper-trading kernel on a simulated clock with a small book, for the worker and CLI tests: alpha long 1500
// AAPL.SIM-A (two buys of 750: 1000 is risk.yaml's per-order limit) and short 200 MSFT.SIM-B, beta long 100
// JPM.SIM-A with a resting bid for 10 more; deep quotes on all three. Plus a hedger over the kernel's book.

import { join } from 'node:path';
import { SimulatedClock } from '../../common/clock.ts';
import { silentLogger } from '../../common/logging.ts';
import { Streams } from '../../common/topics.ts';
import { Kernel } from '../../kernel/kernel.ts';
import type { ClientOrderId, InstrumentId, OrderDenied, OrderSide, StrategyId } from '../../model/index.ts';
import { loadRiskConfig } from '../../risk/index.ts';
import { PgliteStore } from '../../store/pglite.ts';
import { kernelBook, type BookView } from './book.ts';
import { HedgerConfigSchema } from './config.ts';
import { riskOrderLimit, startHedger, type Hedger } from './hedger.ts';

export const CONFIGS = join(import.meta.dirname, '..', '..', '..', 'configs');
export const T0 = 1_704_186_000_000_000; // 2024-01-02 09:00:00 UTC
export const AAPL = 'AAPL.SIM-A' as InstrumentId;
export const MSFT = 'MSFT.SIM-B' as InstrumentId;
export const JPM = 'JPM.SIM-A' as InstrumentId;

export interface PaperStack {
  readonly clock: SimulatedClock;
  readonly store: PgliteStore | undefined;
  readonly kernel: Kernel;
  readonly book: BookView;
  readonly hedger: Hedger;
  /** Risk denials seen since the book was built. */
  readonly denials: OrderDenied[];
  submit(
    strategy: string,
    instrumentId: InstrumentId,
    side: OrderSide,
    quantity: number,
    price?: number,
  ): ClientOrderId;
  /** Stops the hedger and the kernel, closes the store. */
  close(): Promise<void>;
}

export async function paperStack(withStore = false): Promise<PaperStack> {
  const clock = new SimulatedClock(T0);
  const store = withStore ? await PgliteStore.open() : undefined;
  const kernel = await Kernel.create({
    mode: 'paper',
    configDir: CONFIGS,
    clock,
    seed: 7,
    logger: silentLogger,
    strategies: { strategies: [] },
    ...(store ? { store } : {}),
  });
  await kernel.start();
  const denials: OrderDenied[] = [];
  kernel.bus.subscribe(Streams.ordersRejected, 'test', (d) => void denials.push(d));
  let n = 0;
  const quote = (id: InstrumentId, bid: number, ask: number): void =>
    kernel.publishMarketData({
      type: 'quote',
      instrumentId: id,
      bid,
      ask,
      bidSize: 100_000,
      askSize: 100_000,
      tsEvent: clock.now(),
      tsInit: clock.now(),
    });
  const submit = (
    strategy: string,
    instrumentId: InstrumentId,
    side: OrderSide,
    quantity: number,
    price?: number,
  ): ClientOrderId => {
    const clientOrderId = `${strategy}-test-${++n}` as ClientOrderId;
    kernel.bus.publish(Streams.ordersIncoming, {
      type: 'submit_order',
      order: {
        clientOrderId,
        strategyId: strategy as StrategyId,
        instrumentId,
        side,
        type: price === undefined ? 'market' : 'limit',
        quantity,
        ...(price === undefined ? {} : { price }),
        timeInForce: price === undefined ? 'IOC' : 'GTC',
        reduceOnly: false,
        tsInit: clock.now(),
      },
      tsInit: clock.now(),
    });
    return clientOrderId;
  };
  const book = kernelBook(kernel);
  const hedger = startHedger(kernel.bus, clock, HedgerConfigSchema.parse({ passDelayMs: 0 }), silentLogger, {
    book,
    registry: kernel.registry,
    maxOrderQuantity: riskOrderLimit(loadRiskConfig(join(CONFIGS, 'risk.yaml'))),
  });
  quote(AAPL, 100, 100.02);
  quote(MSFT, 300, 300.06);
  quote(JPM, 150, 150.04);
  clock.advanceTo(T0 + 1_000_000);
  submit('alpha', AAPL, 'buy', 750);
  submit('alpha', AAPL, 'buy', 750);
  submit('alpha', MSFT, 'sell', 200);
  submit('beta', JPM, 'buy', 100);
  submit('beta', JPM, 'buy', 10, 145);
  await kernel.bus.flush();
  if (denials.length > 0) throw new Error(`test book denied: ${denials.map((d) => d.message).join('; ')}`);
  let closed = false;
  return {
    clock,
    store,
    kernel,
    book,
    hedger,
    denials,
    submit,
    async close() {
      if (closed) return;
      closed = true;
      hedger.stop();
      await kernel.stop();
      await store?.close();
    },
  };
}
