// Paper venue throughput (market data events/s) and submit → fill latency (µs p50/p99):
// run with `node bin/run-ts.mjs bench/paper-venue.bench.ts`.
import { SimulatedClock } from '../src/common/clock.ts';
import { parseRegistry } from '../src/common/registry.ts';
import {
  clientOrderId,
  strategyId,
  venueId,
  type Bar,
  type BookSnapshot,
  type Instrument,
  type MarketData,
  type OrderRequest,
  type QuoteTick,
} from '../src/model/index.ts';
import { PaperVenueAdapter } from '../src/venues/paper/index.ts';
import { printMachine } from './machine.ts';
import { report, type BenchResult } from './results.ts';

const EVENTS = Number(process.env.EVENTS ?? 5_000_000);
const LATENCY_SAMPLES = Number(process.env.SAMPLES ?? 200_000);
const RUNS = 3;
const RING = 4096;
const SYMBOLS = ['AAPL', 'MSFT', 'JPM', 'XOM'];
const results: BenchResult[] = [];

const registry = parseRegistry({
  venues: { PAPER: { adapter: 'paper', fees: { makerBps: -0.2, takerBps: 0.5 }, cash: { USD: 1e12 } } },
  instruments: SYMBOLS.map((symbol) => ({
    symbol,
    venues: ['PAPER'],
    assetClass: 'equity',
    currency: 'USD',
    tickSize: 0.01,
    lotSize: 1,
    region: 'US',
    sector: 'technology',
  })),
});
const venue = venueId('PAPER');
const instruments = [...registry.instruments.values()];
const config = registry.venues.get(venue);
if (!config) throw new Error('no PAPER venue');

function makeAdapter(clock: SimulatedClock): PaperVenueAdapter {
  const adapter = new PaperVenueAdapter({ venue, config: config!, clock, seed: 1, instruments });
  adapter.setConnected(true);
  return adapter;
}

let sequence = 0;
function limit(instrument: Instrument, side: 'buy' | 'sell', price: number): OrderRequest {
  return {
    clientOrderId: clientOrderId(`bench-${++sequence}`),
    strategyId: strategyId('bench'),
    instrumentId: instrument.id,
    side,
    type: 'limit',
    quantity: 100,
    price,
    timeInForce: 'GTC',
    reduceOnly: false,
    tsInit: 0,
  };
}

// A ring of pre-built messages: a random walk around 100, round-robin over the instruments.
function bars(): Bar[] {
  const out: Bar[] = [];
  let price = 100;
  for (let i = 0; i < RING; i++) {
    const open = Math.round(price * 100) / 100;
    price = Math.max(90, Math.min(110, price + (((i * 7919) % 13) - 6) * 0.01));
    const close = Math.round(price * 100) / 100;
    out.push({
      type: 'bar',
      instrumentId: (instruments[i % instruments.length] as Instrument).id,
      timeframe: '1m',
      open,
      high: Math.max(open, close) + 0.02,
      low: Math.min(open, close) - 0.02,
      close,
      volume: 10_000,
      tsEvent: 0,
      tsInit: 0,
    });
  }
  return out;
}

function quotes(): QuoteTick[] {
  const out: QuoteTick[] = [];
  for (let i = 0; i < RING; i++) {
    const mid = 100 + ((i * 7919) % 11) * 0.01;
    out.push({
      type: 'quote',
      instrumentId: (instruments[i % instruments.length] as Instrument).id,
      bid: Math.round((mid - 0.01) * 100) / 100,
      ask: Math.round((mid + 0.01) * 100) / 100,
      bidSize: 100 + (i % 50) * 10,
      askSize: 100 + (i % 37) * 10,
      tsEvent: 0,
      tsInit: 0,
    });
  }
  return out;
}

function books(levels: number): BookSnapshot[] {
  const out: BookSnapshot[] = [];
  for (let i = 0; i < RING; i++) {
    const mid = 100 + ((i * 7919) % 11) * 0.01;
    const bids = [];
    const asks = [];
    for (let l = 0; l < levels; l++) {
      bids.push({ price: Math.round((mid - 0.01 * (l + 1)) * 100) / 100, size: 100 + ((i + l) % 20) * 25 });
      asks.push({
        price: Math.round((mid + 0.01 * (l + 1)) * 100) / 100,
        size: 100 + ((i + 3 * l) % 20) * 25,
      });
    }
    out.push({
      type: 'book',
      instrumentId: (instruments[i % instruments.length] as Instrument).id,
      bids,
      asks,
      sequence: i,
      tsEvent: 0,
      tsInit: 0,
    });
  }
  return out;
}

/** Best of RUNS: events/s of feeding `messages` (cycled) to the adapter. */
function throughput(label: string, messages: readonly MarketData[], restingPerInstrument: number): void {
  let best = 0;
  for (let run = 0; run < RUNS; run++) {
    const clock = new SimulatedClock(1_700_000_000_000_000);
    const adapter = makeAdapter(clock);
    let fills = 0;
    adapter.onEvent((e) => {
      if (e.kind === 'fill') fills++;
    });
    // Resting orders far from the market: they are checked on every event but never fill.
    for (const instrument of instruments)
      for (let k = 0; k < restingPerInstrument; k++) {
        adapter.submit(limit(instrument, 'buy', 50 + k * 0.01), instrument);
        adapter.submit(limit(instrument, 'sell', 150 + k * 0.01), instrument);
      }
    const start = process.hrtime.bigint();
    for (let i = 0; i < EVENTS; i++) adapter.onMarketData(messages[i & (RING - 1)] as MarketData);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    best = Math.max(best, EVENTS / seconds);
    if (fills !== 0) throw new Error(`${label}: unexpected fills`);
  }
  console.log(`${label.padEnd(52)} ${Math.round(best).toLocaleString('en-US').padStart(13)} events/s`);
  results.push({
    bench: 'paper-venue',
    name: `paper venue, ${label}`,
    value: best,
    unit: 'events/s',
    note: `best of ${RUNS}`,
  });
}

/** Submit → fill latency of a market order against a fresh L1 quote, zero venue latency. */
function submitToFill(): void {
  const clock = new SimulatedClock(1_700_000_000_000_000);
  const adapter = makeAdapter(clock);
  const instrument = instruments[0] as Instrument;
  let filledAt = 0n;
  adapter.onEvent((e) => {
    if (e.kind === 'fill') filledAt = process.hrtime.bigint();
  });
  const quote: QuoteTick = {
    type: 'quote',
    instrumentId: instrument.id,
    bid: 99.99,
    ask: 100.01,
    bidSize: 1_000_000,
    askSize: 1_000_000,
    tsEvent: 0,
    tsInit: 0,
  };
  const orders: OrderRequest[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++)
    orders.push({
      clientOrderId: clientOrderId(`lat-${i}`),
      strategyId: strategyId('bench'),
      instrumentId: instrument.id,
      side: i % 2 === 0 ? 'buy' : 'sell',
      type: 'market',
      quantity: 100,
      timeInForce: 'IOC',
      reduceOnly: false,
      tsInit: 0,
    });
  const samples = new Float64Array(LATENCY_SAMPLES);
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    adapter.onMarketData(quote);
    filledAt = 0n;
    const start = process.hrtime.bigint();
    adapter.submit(orders[i] as OrderRequest, instrument);
    if (filledAt === 0n) throw new Error('order did not fill synchronously');
    samples[i] = Number(filledAt - start) / 1000;
  }
  // Drop the first 10% (warm-up) and report exact percentiles of the rest.
  const measured = samples.slice(Math.floor(LATENCY_SAMPLES / 10)).sort();
  const at = (q: number) =>
    measured[Math.min(measured.length - 1, Math.floor(q * measured.length))] as number;
  console.log(
    `${'submit → fill (market vs L1, zero latency)'.padEnd(52)} p50 ${at(0.5).toFixed(2)} µs  p99 ${at(0.99).toFixed(2)} µs  max ${at(1).toFixed(2)} µs`,
  );
  for (const [name, q] of [
    ['p50', 0.5],
    ['p99', 0.99],
  ] as const)
    results.push({
      bench: 'paper-venue',
      name: `paper venue submit → fill, ${name}`,
      value: at(q),
      unit: 'µs',
    });
}

printMachine('paper venue bench: matching engine alone');
console.log(`paper venue bench: ${EVENTS.toLocaleString('en-US')} events per run, best of ${RUNS}`);
const barRing = bars();
const quoteRing = quotes();
const bookRing = books(10);
throughput('bars, no working orders', barRing, 0);
throughput('bars, 10 resting orders per instrument', barRing, 5);
throughput('quotes (L1), no working orders', quoteRing, 0);
throughput('quotes (L1), 10 resting orders per instrument', quoteRing, 5);
throughput('books (10 levels), no working orders', bookRing, 0);
throughput('books (10 levels), 10 resting orders per instrument', bookRing, 5);
submitToFill();
report(results);
