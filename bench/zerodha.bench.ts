// Zerodha venue adapter against the fake Kite on loopback (same process, so the fake shares the event loop):
// submit → ack latency (placement, then the order poll that shows it working) with the client-side limits
// lifted, orders/s the adapter sustains with them lifted, and orders/s at Kite's published limits (10/s, the
// fake enforcing them too: no 429 expected). Run with `node bin/run-ts.mjs bench/zerodha.bench.ts`.
import { LiveClock } from '../src/common/clock.ts';
import {
  clientOrderId,
  makeInstrument,
  strategyId,
  venueId,
  type ClientOrderId,
  type OrderRequest,
} from '../src/model/index.ts';
import { parseZerodhaConfig, ZerodhaVenueAdapter } from '../src/venues/zerodha/index.ts';
import { startFakeKite, type FakeKite } from '../tests/support/fake-kite.ts';
import { printMachine } from './machine.ts';
import { percentile, report, type BenchResult } from './results.ts';

const LATENCY_SAMPLES = Number(process.env.ZERODHA_SAMPLES ?? 500);
const THROUGHPUT_ORDERS = Number(process.env.ZERODHA_ORDERS ?? 2000);
const PACED_ORDERS = Number(process.env.ZERODHA_PACED_ORDERS ?? 40);
const VENUE = venueId('ZERODHA');
const INFY = makeInstrument({
  symbol: 'INFY',
  venue: 'ZERODHA',
  assetClass: 'equity',
  currency: 'INR',
  tickSize: 0.05,
  lotSize: 1,
  region: 'IN',
  sector: 'technology',
});
const UNLIMITED = { ordersPerSecond: 100_000, ordersPerMinute: 1_000_000, requestsPerSecond: 100_000 };

interface Rig {
  readonly fake: FakeKite;
  readonly adapter: ZerodhaVenueAdapter;
  /** Resolves when the order is accepted or rejected (counted in `rejected`). */
  answered(id: ClientOrderId): Promise<void>;
  readonly rejected: Map<string, number>;
  close(): Promise<void>;
}

async function rig(limits: 'kite' | 'lifted'): Promise<Rig> {
  const lifted = limits === 'lifted';
  const fake = await startFakeKite({
    instruments: [{ exchange: 'NSE', tradingsymbol: 'INFY', token: 408065, lastPrice: 1500 }],
    heartbeatMs: 0,
    autoFill: false,
    ...(lifted ? { ordersPerSecond: 0, requestsPerSecond: 0 } : {}),
  });
  const config = parseZerodhaConfig({
    restRoot: fake.restRoot,
    tickerRoot: fake.tickerRoot,
    pollIntervalMs: 1000,
    ...(lifted ? { rateLimit: UNLIMITED } : {}),
  });
  const adapter = new ZerodhaVenueAdapter({
    venue: VENUE,
    config,
    clock: new LiveClock(),
    instruments: [INFY],
    env: {
      KITE_API_KEY: fake.apiKey,
      KITE_API_SECRET: fake.apiSecret,
      KITE_ACCESS_TOKEN: fake.issueAccessToken(),
    },
  });
  const waiting = new Map<string, () => void>();
  const rejected = new Map<string, number>();
  adapter.onEvent((e) => {
    if (e.kind === 'rejected') rejected.set(e.reason, (rejected.get(e.reason) ?? 0) + 1);
    if (e.kind === 'accepted' || e.kind === 'rejected') waiting.get(e.clientOrderId)?.();
  });
  await adapter.connect();
  return {
    fake,
    adapter,
    rejected,
    answered: (id) => new Promise<void>((resolve) => waiting.set(id, resolve)),
    async close() {
      await adapter.disconnect();
      await fake.close();
    },
  };
}

let sequence = 0;
function resting(): OrderRequest {
  sequence++;
  return {
    clientOrderId: clientOrderId(`bench-${sequence}`),
    strategyId: strategyId('bench'),
    instrumentId: INFY.id,
    side: 'buy',
    type: 'limit',
    price: 1000,
    quantity: 1,
    timeInForce: 'DAY',
    reduceOnly: false,
    tsInit: 0,
  };
}

async function latency(): Promise<Float64Array> {
  const r = await rig('lifted');
  const samples = new Float64Array(LATENCY_SAMPLES);
  for (let i = 0; i < 20; i++) {
    const o = resting();
    const done = r.answered(o.clientOrderId);
    r.adapter.submit(o, INFY);
    await done;
  }
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const o = resting();
    const done = r.answered(o.clientOrderId);
    const start = performance.now();
    r.adapter.submit(o, INFY);
    await done;
    samples[i] = (performance.now() - start) * 1000;
  }
  if (r.rejected.size > 0) throw new Error(`latency run: orders rejected ${JSON.stringify([...r.rejected])}`);
  await r.close();
  return samples.sort();
}

async function throughput(
  limits: 'kite' | 'lifted',
  count: number,
): Promise<{ perSecond: number; throttled: number; gets: number; rejected: string }> {
  const r = await rig(limits);
  const orders = Array.from({ length: count }, resting);
  const done = Promise.all(orders.map((o) => r.answered(o.clientOrderId)));
  const start = performance.now();
  for (const o of orders) r.adapter.submit(o, INFY);
  await done;
  const seconds = (performance.now() - start) / 1000;
  const gets = r.fake.requestsTo('orders').length;
  const throttled = r.fake.throttled;
  const rejected = [...r.rejected].map(([reason, n]) => `${n} ${reason}`).join(', ') || 'none';
  await r.close();
  return { perSecond: count / seconds, throttled, gets, rejected };
}

printMachine('Zerodha venue adapter against the fake Kite on loopback');
const lag = await latency();
const lifted = await throughput('lifted', THROUGHPUT_ORDERS);
const paced = await throughput('kite', PACED_ORDERS);
const results: BenchResult[] = [
  {
    bench: 'zerodha',
    name: 'zerodha submit → ack p50 (loopback fake, limits lifted)',
    value: percentile(lag, 0.5),
    unit: 'µs',
    note:
      `${LATENCY_SAMPLES} sequential resting limit orders; ack = POST /orders, then GET /orders lists it OPEN ` +
      `(the day's book, which GET /orders returns whole, grows to ${LATENCY_SAMPLES + 20} orders)`,
  },
  {
    bench: 'zerodha',
    name: 'zerodha submit → ack p99 (loopback fake, limits lifted)',
    value: percentile(lag, 0.99),
    unit: 'µs',
  },
  {
    bench: 'zerodha',
    name: 'zerodha orders/s (loopback fake, limits lifted)',
    value: lifted.perSecond,
    unit: 'orders/s',
    note: `${THROUGHPUT_ORDERS} orders submitted at once; ${lifted.gets} order polls (coalesced); rejected: ${lifted.rejected}`,
  },
  {
    bench: 'zerodha',
    name: 'zerodha orders/s at Kite limits (10/s, 200/min)',
    value: paced.perSecond,
    unit: 'orders/s',
    note: `${PACED_ORDERS} orders at once (the first 10 leave at once: a sliding window); 429s from the fake: ${paced.throttled}; rejected: ${paced.rejected}`,
  },
];
report(results);
for (const r of results) if (r.note) console.log(`note: ${r.name}: ${r.note}`);
