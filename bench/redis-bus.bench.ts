// Redis Streams bus bench: ingest throughput into ticks.live (burst, then a sustained rate with a consumer group
// reading in another process and its lag sampled over time), and tick → handler latency across two processes
// at 10,000 ticks/s. Run: `node bin/run-ts.mjs bench/redis-bus.bench.ts`; uses REDIS_URL, else starts a private
// redis-server. Env: BURST (ticks, default 500,000), SUSTAIN_RATE (ticks/s, 120,000: above the 100,000 budget), SUSTAIN_SECONDS (5),
// LATENCY_RATE (ticks/s, 10,000), LATENCY_SECONDS (10, the first second is warm-up), GROUP_READ=1 (the consumer reads in
// a consumer group instead of the broadcast XREAD market data uses).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { RedisBus } from '../src/bus/redis.ts';
import { Histogram } from '../src/common/histogram.ts';
import { createLogger } from '../src/common/logging.ts';
import { Streams } from '../src/common/topics.ts';
import { instrumentId, type QuoteTick } from '../src/model/index.ts';
import { redisForTests } from '../tests/support/redis-server.ts';
import { walkQuote } from './bench-fixtures.ts';
import { printMachine } from './machine.ts';
import { report, type BenchResult } from './results.ts';

const BURST = Number(process.env.BURST ?? 500_000);
const SUSTAIN_RATE = Number(process.env.SUSTAIN_RATE ?? 120_000);
const SUSTAIN_SECONDS = Number(process.env.SUSTAIN_SECONDS ?? 5);
const LATENCY_RATE = Number(process.env.LATENCY_RATE ?? 10_000);
const LATENCY_SECONDS = Number(process.env.LATENCY_SECONDS ?? 10);
const GROUP = 'bench-strategy';
const ROOT = resolve(import.meta.dirname, '..');

/**
 * Unix µs shared by both processes: performance.timeOrigin is taken from the system clock at process start with
 * µs resolution, so the two processes' readings compare directly (the injected-Clock rule is for engines).
 */
const nowMicros = (): number => (performance.timeOrigin + performance.now()) * 1000;

type ToConsumer =
  | { readonly kind: 'measure' }
  | { readonly kind: 'report' }
  | { readonly kind: 'count' }
  | { readonly kind: 'stop' };
type ToParent =
  | { readonly kind: 'ready' }
  | { readonly kind: 'count'; readonly received: number }
  | {
      readonly kind: 'report';
      readonly received: number;
      readonly latency: ReturnType<Histogram['summary']>;
      readonly p999: number;
    };

const target = instrumentId('AAPL', 'SIM-A');

function tick(i: number, stamp: number): QuoteTick {
  return walkQuote(target, i, stamp);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const yieldTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

async function consumerRole(): Promise<void> {
  const send = (message: ToParent): void => void process.send?.(message);
  const bus = await RedisBus.connect({
    url: process.env.BENCH_REDIS_URL!,
    keyPrefix: process.env.BENCH_PREFIX!,
    consumer: 'bench-consumer',
    logger: createLogger('bench.consumer', 'warn'),
    statsIntervalMs: 0,
    // GROUP_READ=1: read ticks.live in a consumer group (XREADGROUP + XACK) instead of the default broadcast XREAD.
    ...(process.env.GROUP_READ === '1' ? { broadcast: () => false } : {}),
  });
  const latency = new Histogram();
  const exact: number[] = [];
  let measuring = false;
  let received = 0;
  bus.subscribe(Streams.ticks, GROUP, (t) => {
    received++;
    if (measuring) {
      const micros = nowMicros() - t.tsInit;
      latency.record(micros);
      exact.push(micros);
    }
  });
  await bus.ready();
  process.on('message', (message: ToConsumer) => {
    switch (message.kind) {
      case 'measure':
        latency.reset();
        exact.length = 0;
        measuring = true;
        return;
      case 'report': {
        const sorted = Float64Array.from(exact).sort();
        const p999 = sorted[Math.max(0, Math.ceil(0.999 * sorted.length) - 1)] ?? 0;
        send({ kind: 'report', received, latency: latency.summary(), p999 });
        return;
      }
      case 'count':
        send({ kind: 'count', received });
        return;
      case 'stop':
        void bus.close().then(() => process.exit(0));
        return;
    }
  });
  send({ kind: 'ready' });
}

function startConsumer(url: string, prefix: string): { child: ChildProcess; next: () => Promise<ToParent> } {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'run-ts.mjs'), join('bench', 'redis-bus.bench.ts')],
    {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, BENCH_ROLE: 'consumer', BENCH_REDIS_URL: url, BENCH_PREFIX: prefix },
    },
  );
  const inbox: ToParent[] = [];
  const waiting: ((m: ToParent) => void)[] = [];
  child.on('message', (message: ToParent) => {
    const resolveNext = waiting.shift();
    if (resolveNext) resolveNext(message);
    else inbox.push(message);
  });
  child.on('exit', (code) => {
    if (code !== 0 && code !== null) console.error(`consumer process exited with ${code}`);
  });
  return {
    child,
    next: () => {
      const queued = inbox.shift();
      return queued ? Promise.resolve(queued) : new Promise((r) => waiting.push(r));
    },
  };
}

/**
 * Entries of ticks.live the consumer has not handled yet: the stream's entries-added (XINFO STREAM) minus what the
 * consumer counted. Market data is read without a consumer group (one XREAD reader per process, RedisBus
 * `broadcast`), so there is no XINFO GROUPS lag; the consumer started before the first entry, so the two compare.
 */
async function consumerLag(
  redis: Redis,
  key: string,
  consumer: { child: ChildProcess; next: () => Promise<ToParent> },
): Promise<number> {
  const info = (await redis.call('XINFO', 'STREAM', key)) as unknown[];
  const added = Number(info[info.indexOf('entries-added') + 1]);
  consumer.child.send({ kind: 'count' } satisfies ToConsumer);
  const answer = await consumer.next();
  if (answer.kind !== 'count') throw new Error('unexpected consumer answer');
  return Math.max(0, added - answer.received);
}

/** Publishes at `rate` ticks/s for `seconds`, in small batches paced by a 1 ms timer; returns ticks published. */
async function publishAtRate(
  bus: RedisBus,
  rate: number,
  seconds: number,
  firstIndex: number,
  onSecond?: (second: number) => Promise<void> | void,
): Promise<number> {
  const start = performance.now();
  let sent = 0;
  let second = 0;
  for (;;) {
    const elapsed = (performance.now() - start) / 1000;
    if (elapsed >= seconds) break;
    const due = Math.floor(elapsed * rate);
    const stamp = nowMicros();
    while (sent < due) bus.publish(Streams.ticks, tick(firstIndex + sent++, stamp));
    if (bus.backpressure) await bus.drained();
    if (Math.floor(elapsed) > second) {
      second = Math.floor(elapsed);
      await onSecond?.(second);
    }
    await sleep(1);
  }
  return sent;
}

async function main(): Promise<void> {
  printMachine('redis bus bench: ingest into ticks.live and tick → handler across processes');
  const server = await redisForTests();
  const prefix = `bench:${randomBytes(4).toString('hex')}:`;
  const key = `${prefix}${Streams.ticks}`;
  const redis = new Redis(server.url);
  const info = await redis.info('server');
  console.log(
    `redis: ${/redis_version:(\S+)/.exec(info)?.[1] ?? '?'} at ${process.env.REDIS_URL ? 'REDIS_URL' : 'a private redis-server'}`,
  );
  const consumer = startConsumer(server.url, prefix);
  if ((await consumer.next()).kind !== 'ready') throw new Error('consumer did not start');
  const bus = await RedisBus.connect({
    url: server.url,
    keyPrefix: prefix,
    consumer: 'bench-publisher',
    logger: createLogger('bench.publisher', 'warn'),
    statsIntervalMs: 0,
    // No trimming during the run: a consumer more than MAXLEN behind would lose entries and XINFO's lag with them.
    maxLen: 10_000_000,
  });
  const results: BenchResult[] = [];
  const groupLag = (): Promise<number> => consumerLag(redis, key, consumer);

  // 1. Burst: as fast as the bus takes them, 1,000 per event-loop turn (a feed handler's pace), then until written.
  const burstStart = performance.now();
  const stamp = nowMicros();
  for (let i = 0; i < BURST; i++) {
    bus.publish(Streams.ticks, tick(i, stamp));
    if (i % 1_000 === 999) {
      if (bus.backpressure) await bus.drained();
      await yieldTurn();
    }
  }
  await bus.flush();
  const burstSeconds = (performance.now() - burstStart) / 1000;
  const burstRate = BURST / burstSeconds;
  const lagAfterBurst = await groupLag();
  const catchUpStart = performance.now();
  while ((await groupLag()) > 0 && performance.now() - catchUpStart < 60_000) await sleep(50);
  const catchUpSeconds = (performance.now() - catchUpStart) / 1000;
  console.log(
    `burst: ${BURST.toLocaleString('en-US')} ticks written in ${burstSeconds.toFixed(2)} s = ` +
      `${Math.round(burstRate).toLocaleString('en-US')} ticks/s; consumer lag when written ${lagAfterBurst.toLocaleString('en-US')}, ` +
      `caught up ${catchUpSeconds.toFixed(2)} s later`,
  );
  results.push({
    bench: 'redis-bus',
    name: 'ingest into Redis Streams, burst',
    value: burstRate,
    unit: 'ticks/s',
    budget: { kind: 'min', value: 100_000 },
    note: `${BURST.toLocaleString('en-US')} quote ticks, one pipeline of XADDs per turn, consumer group in another process`,
  });

  // 2. Sustained rate with the consumer reading: is the lag flat?
  const lagSamples: number[] = [];
  const sustainStart = performance.now();
  const sustained = await publishAtRate(bus, SUSTAIN_RATE, SUSTAIN_SECONDS, BURST, async () => {
    lagSamples.push(await groupLag());
  });
  await bus.flush();
  const sustainSeconds = (performance.now() - sustainStart) / 1000;
  lagSamples.push(await groupLag());
  const sustainedRate = sustained / sustainSeconds;
  console.log(
    `sustained: target ${SUSTAIN_RATE.toLocaleString('en-US')}/s for ${SUSTAIN_SECONDS} s: ` +
      `${sustained.toLocaleString('en-US')} written = ${Math.round(sustainedRate).toLocaleString('en-US')} ticks/s; ` +
      `consumer lag each second: ${lagSamples.map((x) => x.toLocaleString('en-US')).join(', ')}`,
  );
  const finalLag = lagSamples[lagSamples.length - 1] ?? 0;
  results.push({
    bench: 'redis-bus',
    name: `ingest into Redis Streams, sustained (target ${SUSTAIN_RATE.toLocaleString('en-US')}/s)`,
    value: sustainedRate,
    unit: 'ticks/s',
    budget: { kind: 'min', value: 100_000 },
    note: `consumer lag per second: ${lagSamples.join(', ')}`,
  });
  results.push({
    bench: 'redis-bus',
    name: 'consumer lag at the end of the sustained run',
    value: finalLag,
    unit: 'entries',
    note: `samples: ${lagSamples.join(', ')}`,
  });
  while ((await groupLag()) > 0) await sleep(50);

  // 3. Latency at a steady 10,000 ticks/s: tick published here → handler in the consumer process.
  let measuring = false;
  await publishAtRate(bus, LATENCY_RATE, LATENCY_SECONDS, BURST + sustained, () => {
    if (measuring) return;
    measuring = true;
    consumer.child.send({ kind: 'measure' } satisfies ToConsumer);
  });
  await bus.flush();
  while ((await groupLag()) > 0) await sleep(20);
  await sleep(100);
  consumer.child.send({ kind: 'report' } satisfies ToConsumer);
  const answer = await consumer.next();
  if (answer.kind !== 'report') throw new Error('unexpected consumer answer');
  const l = answer.latency;
  console.log(
    `latency at ${LATENCY_RATE.toLocaleString('en-US')} ticks/s (after 1 s warm-up), publish() → handler in another process: ` +
      `n ${l.count.toLocaleString('en-US')}  p50 ${l.p50.toFixed(0)}  p99 ${l.p99.toFixed(0)}  p99.9 ${answer.p999.toFixed(0)}  ` +
      `max ${l.max.toFixed(0)} µs (consumer received ${answer.received.toLocaleString('en-US')} in all)`,
  );
  const note = `${l.count.toLocaleString('en-US')} ticks at ${LATENCY_RATE.toLocaleString('en-US')}/s; the bus leg of the §7 tick → ack budget`;
  results.push({
    bench: 'redis-bus',
    name: 'tick → handler over Redis, across processes, p50',
    value: l.p50,
    unit: 'µs',
    note,
  });
  results.push({
    bench: 'redis-bus',
    name: 'tick → handler over Redis, across processes, p99',
    value: l.p99,
    unit: 'µs',
    budget: { kind: 'max', value: 2_000 },
    note,
  });

  consumer.child.send({ kind: 'stop' } satisfies ToConsumer);
  await new Promise((r) => consumer.child.once('exit', r));
  const stats = bus.stats();
  console.log(
    `publisher: published ${stats.published.toLocaleString('en-US')}, written ${stats.written.toLocaleString('en-US')}, ` +
      `write failures ${stats.writeFailed}`,
  );
  await bus.close();
  await redis.del(key);
  redis.disconnect();
  await server.stop();
  report(results);
}

if (process.env.BENCH_ROLE === 'consumer') await consumerRole();
else await main();
