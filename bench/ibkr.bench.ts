// IBKR venue adapter against the fake TWS on loopback: submit → accepted latency (µs p50/p99) and orders/s,
// once with pacing lifted (the adapter, @stoqey/ib and the wire) and once at the default 45 messages/s (what a
// real session allows). Run with `node bin/run-ts.mjs bench/ibkr.bench.ts`.
import { LiveClock } from '../src/common/clock.ts';
import { parseRegistry } from '../src/common/registry.ts';
import {
  clientOrderId,
  strategyId,
  venueId,
  type Instrument,
  type InstrumentId,
  type OrderRequest,
} from '../src/model/index.ts';
import { IbkrVenueAdapter, parseIbkrSettings, type IbkrSettings } from '../src/venues/ibkr/index.ts';
import { FakeTws } from '../tests/support/fake-tws.ts';
import { printMachine } from './machine.ts';
import { percentile, report, type BenchResult } from './results.ts';

const LATENCY_SAMPLES = Number(process.env.SAMPLES ?? 3000);
const BURST = Number(process.env.BURST ?? 5000);
const PACED = Number(process.env.PACED ?? 90);
const results: BenchResult[] = [];

const registry = parseRegistry({
  venues: { IBKR: { adapter: 'ibkr' } },
  instruments: [
    {
      symbol: 'AAPL',
      venues: ['IBKR'],
      assetClass: 'equity',
      currency: 'USD',
      tickSize: 0.01,
      lotSize: 1,
      region: 'US',
      sector: 'technology',
    },
  ],
});
const instrument = registry.instruments.get('AAPL.IBKR' as InstrumentId) as Instrument;

let sequence = 0;
function limitOrder(): OrderRequest {
  return {
    clientOrderId: clientOrderId(`bench-${++sequence}`),
    strategyId: strategyId('bench'),
    instrumentId: instrument.id,
    side: sequence % 2 === 0 ? 'buy' : 'sell',
    type: 'limit',
    quantity: 100,
    price: sequence % 2 === 0 ? 99 : 101,
    timeInForce: 'DAY',
    reduceOnly: false,
    tsInit: 0,
  };
}

/** A fake TWS and a connected adapter; `lifted` sets pacing far above IB's 50/s on both sides. */
async function session(lifted: boolean): Promise<{ tws: FakeTws; adapter: IbkrVenueAdapter }> {
  const tws = await FakeTws.start({ messagesPerSecond: lifted ? 1e9 : 50 });
  const base = parseIbkrSettings({ port: tws.port, clientId: 1, account: 'DU1234567' });
  // Past the schema's 50/s ceiling on purpose: this run measures the software, not IB's limit.
  const settings: IbkrSettings = lifted
    ? { ...base, pacing: { ...base.pacing, messagesPerSecond: 1e7 } }
    : base;
  const adapter = new IbkrVenueAdapter({
    venue: venueId('IBKR'),
    settings,
    clock: new LiveClock(),
    instruments: [instrument],
  });
  await adapter.connect();
  return { tws, adapter };
}

/** One order at a time: submit, then wait for its accepted event. */
async function latency(): Promise<void> {
  const { tws, adapter } = await session(true);
  let waiting: (() => void) | undefined;
  adapter.onEvent((e) => {
    if (e.kind === 'accepted') waiting?.();
  });
  const samples = new Float64Array(LATENCY_SAMPLES);
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const acknowledged = new Promise<void>((resolve) => {
      waiting = resolve;
    });
    const start = performance.now();
    adapter.submit(limitOrder(), instrument);
    await acknowledged;
    samples[i] = (performance.now() - start) * 1000;
  }
  const measured = samples.slice(Math.floor(LATENCY_SAMPLES / 10)).sort();
  const p50 = percentile(measured, 0.5);
  const p99 = percentile(measured, 0.99);
  console.log(`submit → accepted over loopback: p50 ${p50.toFixed(0)} µs  p99 ${p99.toFixed(0)} µs`);
  const note = `${LATENCY_SAMPLES} sequential orders, first 10% dropped`;
  results.push({
    bench: 'ibkr',
    name: 'ibkr submit → accepted (fake TWS, loopback), p50',
    value: p50,
    unit: 'µs',
    note,
  });
  results.push({
    bench: 'ibkr',
    name: 'ibkr submit → accepted (fake TWS, loopback), p99',
    value: p99,
    unit: 'µs',
    note,
  });
  await adapter.disconnect();
  await tws.close();
}

/** `count` orders submitted at once; orders/s until the last is accepted. */
async function throughput(lifted: boolean, count: number): Promise<void> {
  const { tws, adapter } = await session(lifted);
  let accepted = 0;
  let done: (() => void) | undefined;
  adapter.onEvent((e) => {
    if (e.kind === 'accepted' && ++accepted === count) done?.();
    if (e.kind === 'rejected') throw new Error(`order rejected: ${e.reason} ${e.message}`);
  });
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  const orders = Array.from({ length: count }, limitOrder);
  const start = performance.now();
  for (const o of orders) adapter.submit(o, instrument);
  await all;
  const seconds = (performance.now() - start) / 1000;
  const rate = count / seconds;
  const label = lifted ? 'pacing lifted' : 'pacing 45 messages/s (default)';
  console.log(`orders/s, ${label}: ${rate.toFixed(0)} (${count} orders in ${seconds.toFixed(2)} s)`);
  results.push({
    bench: 'ibkr',
    name: `ibkr orders/s submit → accepted, ${label}`,
    value: rate,
    unit: 'orders/s',
    note: `${count} orders in one burst; venue pacing violations ${tws.pacingViolations}`,
  });
  await adapter.disconnect();
  await tws.close();
}

printMachine('IBKR venue bench: adapter + @stoqey/ib against the fake TWS on loopback');
await latency();
await throughput(true, BURST);
await throughput(false, PACED);
report(results);
