// WebSocket gateway fan-out: ticks published on the in-process bus → the gateway → 100 WebSocket clients on
// loopback, each subscribed to every instrument. Reports ticks/s and messages/s delivered (closed loop, nothing
// conflated) and, at a fixed tick rate, publish → client latency p50/p99. Clients run in a worker thread so
// their parsing does not share the gateway's event loop. Run with `node bin/run-ts.mjs bench/ws-gateway.bench.ts`.
import { createRequire } from 'node:module';
import { setImmediate as yieldToIo, setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { MemoryBus } from '../src/bus/memory.ts';
import { silentLogger } from '../src/common/logging.ts';
import { loadRegistry } from '../src/common/registry.ts';
import { Streams } from '../src/common/topics.ts';
import type { InstrumentId, QuoteTick } from '../src/model/index.ts';
import { startWsGateway } from '../src/services/ws-gateway.ts';
import { printMachine } from './machine.ts';
import { percentile, report, type BenchResult } from './results.ts';

const CLIENTS = Number(process.env.WS_CLIENTS ?? 100);
const THROUGHPUT_SECONDS = Number(process.env.WS_SECONDS ?? 5);
const LATENCY_RATE = Number(process.env.WS_LATENCY_RATE ?? 1000);
const LATENCY_SECONDS = Number(process.env.WS_LATENCY_SECONDS ?? 5);
const BATCH = 100;

// Client side, plain CommonJS (a worker does not inherit the TypeScript loader). Counts update frames in a
// shared counter; in the latency phase records, per delivery, now − tsInit (µs on the monotonic clock that
// every thread shares) and, per tick, the latest arrival over all clients.
const CLIENT_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const WebSocket = require(workerData.wsPath);
const counters = new Int32Array(workerData.counters);
const U = 117; // 'u' of {"type":"update"
let latencies; let samples = 0; let lastArrival; let firstTick = 0; let recording = false;
function onFrame(data) {
  if (data[9] !== U) { if (data[9] === 115 && data[10] === 117) Atomics.add(counters, 1, 1); return; } // subscribed
  Atomics.add(counters, 0, 1);
  if (!recording) return;
  const now = Number(process.hrtime.bigint() / 1000n);
  const text = data.toString('latin1');
  const i = text.lastIndexOf('"tsInit":');
  const j = text.lastIndexOf('"tsEvent":');
  const tsInit = parseInt(text.slice(i + 9), 10);
  const tick = parseInt(text.slice(j + 10), 10);
  if (samples < latencies.length) latencies[samples++] = now - tsInit;
  const slot = tick - firstTick;
  if (slot >= 0 && slot < lastArrival.length && now > lastArrival[slot]) lastArrival[slot] = now;
}
parentPort.on('message', (m) => {
  if (m.type === 'record') {
    latencies = new Float64Array(m.deliveries); lastArrival = new Float64Array(m.ticks);
    firstTick = m.firstTick; samples = 0; recording = true;
    parentPort.postMessage({ type: 'recording' });
  } else if (m.type === 'collect') {
    recording = false;
    parentPort.postMessage({ latencies: latencies.slice(0, samples), lastArrival });
  }
});
for (let c = 0; c < workerData.clients; c++) {
  const ws = new WebSocket(workerData.url);
  ws.on('open', () => ws.send(JSON.stringify({ op: 'subscribe', channels: workerData.channels })));
  ws.on('message', onFrame);
  ws.on('error', (e) => { console.error('client error', e.message); });
}
`;

printMachine(`ws gateway bench: bus → gateway → ${CLIENTS} WebSocket clients`);
const registry = loadRegistry('configs/registry.yaml');
const instruments: InstrumentId[] = [...registry.instruments.keys()];
const bus = new MemoryBus();
const gateway = await startWsGateway(
  bus,
  {
    port: 0,
    host: '127.0.0.1',
    instanceId: 'bench',
    allowedOrigins: ['*'],
    maxClients: CLIENTS + 10,
    heartbeatIntervalMs: 60_000,
  },
  silentLogger,
);

const counters = new Int32Array(new SharedArrayBuffer(8)); // [0] updates received, [1] clients subscribed
const worker = new Worker(CLIENT_WORKER, {
  eval: true,
  workerData: {
    wsPath: createRequire(import.meta.url).resolve('ws'),
    counters: counters.buffer,
    clients: CLIENTS,
    url: `ws://127.0.0.1:${gateway.port}/`,
    channels: instruments.map((id) => `ticks:${id}`),
  },
});
worker.on('error', (error) => {
  console.error('client worker failed', error);
  process.exit(1);
});

async function waitFor(condition: () => boolean, what: string, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await yieldToIo();
  }
}

const nowMicros = (): number => Number(process.hrtime.bigint() / 1000n);
let sequence = 0;
function publishTick(tsInit: number): void {
  sequence++;
  const tick: QuoteTick = {
    type: 'quote',
    instrumentId: instruments[sequence % instruments.length]!,
    bid: 100 + (sequence % 100) / 100,
    ask: 100.02 + (sequence % 100) / 100,
    bidSize: 300,
    askSize: 250,
    tsEvent: sequence,
    tsInit,
  };
  bus.publish(Streams.ticks, tick);
}

/** Deliveries owed to clients: every tick × every client, less those the gateway conflated. */
const expected = (ticks: number): number => ticks * CLIENTS - gateway.stats().conflated;

await waitFor(() => Atomics.load(counters, 1) === CLIENTS, 'clients subscribed');
console.log(`${CLIENTS} clients subscribed to ${instruments.length} instruments each`);

/** Closed loop: up to two batches in flight, for `seconds`; returns ticks/s and messages/s delivered. */
async function throughput(seconds: number): Promise<{ ticks: number; messages: number; elapsed: number }> {
  const startTicks = sequence;
  const startDelivered = Atomics.load(counters, 0);
  const startConflated = gateway.stats().conflated;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() < end) {
    const sent = sequence - startTicks;
    const delivered = Atomics.load(counters, 0) - startDelivered;
    if (delivered >= (sent - BATCH) * CLIENTS - (gateway.stats().conflated - startConflated))
      for (let i = 0; i < BATCH; i++) publishTick(nowMicros());
    await yieldToIo();
  }
  await waitFor(() => Atomics.load(counters, 0) >= expected(sequence), 'every update delivered');
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  return {
    ticks: (sequence - startTicks) / elapsed,
    messages: (Atomics.load(counters, 0) - startDelivered) / elapsed,
    elapsed,
  };
}

await throughput(1); // warm-up: JIT, socket buffers
const run = await throughput(THROUGHPUT_SECONDS);
const conflatedInThroughput = gateway.stats().conflated;
console.log(
  `throughput: ${Math.round(run.ticks).toLocaleString('en-US')} ticks/s → ${Math.round(run.messages).toLocaleString('en-US')} messages/s delivered over ${run.elapsed.toFixed(1)} s (conflated ${conflatedInThroughput})`,
);

// Latency at a fixed rate, paced on the monotonic clock.
const latencyTicks = Math.round(LATENCY_RATE * LATENCY_SECONDS);
const firstLatencyTick = sequence + 1;
const publishedAt = new Float64Array(latencyTicks);
await new Promise((resolve) => {
  worker.once('message', resolve);
  worker.postMessage({
    type: 'record',
    deliveries: latencyTicks * CLIENTS,
    ticks: latencyTicks,
    firstTick: firstLatencyTick,
  });
});
const paceStart = process.hrtime.bigint();
while (sequence - firstLatencyTick + 1 < latencyTicks) {
  const due = Math.min(
    latencyTicks,
    Math.floor((Number(process.hrtime.bigint() - paceStart) / 1e9) * LATENCY_RATE),
  );
  while (sequence - firstLatencyTick + 1 < due) {
    const now = nowMicros();
    publishTick(now);
    publishedAt[sequence - firstLatencyTick] = now;
  }
  await sleep(1); // idle between ticks, as a live feed leaves the process
}
await waitFor(() => Atomics.load(counters, 0) >= expected(sequence), 'every paced update delivered');
const collected = await new Promise<{ latencies: Float64Array; lastArrival: Float64Array }>((resolve) => {
  worker.once('message', resolve);
  worker.postMessage({ type: 'collect' });
});
const deliveryLatency = collected.latencies.sort();
// Per tick: publish → the last of the clients to receive it.
const fanOut = new Float64Array(latencyTicks);
for (let i = 0; i < latencyTicks; i++) fanOut[i] = (collected.lastArrival[i] ?? 0) - (publishedAt[i] ?? 0);
fanOut.sort();
const stats = gateway.stats();
await worker.terminate();
await gateway.close();

const p50 = percentile(deliveryLatency, 0.5);
const p99 = percentile(deliveryLatency, 0.99);
const fanOutP50 = percentile(fanOut, 0.5);
const fanOutP99 = percentile(fanOut, 0.99);
console.log(
  `latency at ${LATENCY_RATE} ticks/s (${(LATENCY_RATE * CLIENTS).toLocaleString('en-US')} messages/s): publish → client p50 ${p50.toFixed(0)} µs, p99 ${p99.toFixed(0)} µs over ${deliveryLatency.length.toLocaleString('en-US')} deliveries; publish → last of ${CLIENTS} clients p50 ${fanOutP50.toFixed(0)} µs, p99 ${fanOutP99.toFixed(0)} µs; conflated ${stats.conflated - conflatedInThroughput}, dropped ${stats.dropped}`,
);

const results: BenchResult[] = [
  {
    bench: 'ws-gateway',
    name: `ws gateway fan-out to ${CLIENTS} clients, ticks/s`,
    value: run.ticks,
    unit: 'ticks/s',
    note: `closed loop, ${instruments.length} instruments, loopback`,
  },
  {
    bench: 'ws-gateway',
    name: `ws gateway fan-out to ${CLIENTS} clients, messages delivered/s`,
    value: run.messages,
    unit: 'messages/s',
    note: `conflated ${conflatedInThroughput}`,
  },
  {
    bench: 'ws-gateway',
    name: `ws gateway publish → client latency p50 at ${LATENCY_RATE} ticks/s`,
    value: p50,
    unit: 'µs',
    note: `${CLIENTS} clients`,
  },
  {
    bench: 'ws-gateway',
    name: `ws gateway publish → client latency p99 at ${LATENCY_RATE} ticks/s`,
    value: p99,
    unit: 'µs',
    note: `${CLIENTS} clients`,
  },
  {
    bench: 'ws-gateway',
    name: `ws gateway per-tick fan-out latency (publish → last of ${CLIENTS} clients) p50 at ${LATENCY_RATE} ticks/s`,
    value: fanOutP50,
    unit: 'µs',
  },
  {
    bench: 'ws-gateway',
    name: `ws gateway per-tick fan-out latency (publish → last of ${CLIENTS} clients) p99 at ${LATENCY_RATE} ticks/s`,
    value: fanOutP99,
    unit: 'µs',
  },
];
report(results);
