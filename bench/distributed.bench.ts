// Distributed pipeline latency, tick → order acknowledged across processes over Redis Streams (budget p99 ≤ 2 ms
// at 10,000 ticks/s), beside the same strategy embedded in one process on the MemoryBus at the same pacing.
// Run: `node bin/run-ts.mjs bench/distributed.bench.ts`; uses REDIS_URL / DATABASE_URL, else private servers.
// Env: RATE (ticks/s, 10,000), EVERY (an order on every EVERY-th quote, 5), WARMUP_SECONDS (5),
// MIN_ACKS (measured acknowledgements at least, 20,000), EMBEDDED=0 skips the embedded run, PROFILE_SERVICES=<dir>
// has each service write a CPU profile there, MEASURER_GROUPS=1 has the measurer read in consumer groups (with
// XACKs) instead of without, UNIX_SOCKET=1 puts Redis on a Unix socket (unix:// URL) instead of loopback TCP. Each run prints the CPU time every process used over the window (from /proc).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { parse, stringify } from 'yaml';
import { RedisBus } from '../src/bus/redis.ts';
import type { Bus } from '../src/common/bus.ts';
import { LiveClock } from '../src/common/clock.ts';
import { createLogger } from '../src/common/logging.ts';
import { Streams } from '../src/common/topics.ts';
import { Kernel } from '../src/kernel/kernel.ts';
import { instrumentId, type OrderEvent, type QuoteTick, type TradingCommand } from '../src/model/index.ts';
import { postgresForTests, type TestPostgres } from '../tests/support/postgres-server.ts';
import { redisForTests, startPrivateRedis, type TestRedis } from '../tests/support/redis-server.ts';
import { ioredisUrl } from '../src/common/url.ts';
import { printMachine } from './machine.ts';
import { percentile, report, type BenchResult } from './results.ts';

const RATE = Number(process.env.RATE ?? 10_000);
const EVERY = Number(process.env.EVERY ?? 5);
const WARMUP_SECONDS = Number(process.env.WARMUP_SECONDS ?? 5);
const MIN_ACKS = Number(process.env.MIN_ACKS ?? 20_000);
const RUN_EMBEDDED = process.env.EMBEDDED !== '0';
/** UNIX_SOCKET=1: a private Redis reached over its Unix socket (unix://…) instead of loopback TCP. */
const UNIX_SOCKET = process.env.UNIX_SOCKET === '1';

/** A private redis-server listening on a Unix socket too; its URL is the socket's. */
async function redisOnSocket(): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'hf-bench-redis-'));
  const socket = join(dir, 'redis.sock');
  const server = await startPrivateRedis({
    extraArguments: ['--unixsocket', socket, '--unixsocketperm', '700'],
  });
  return {
    url: `unix://${socket}`,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
const STRATEGY_ID = 'distributed-bench';
const SIZE = 100;
const ROOT = resolve(import.meta.dirname, '..');
const CONFIG_DIR = join(ROOT, 'configs');
const TARGET = instrumentId('AAPL', 'SIM-A');
/** After the last measured tick: how long to wait for the acknowledgements still in flight. */
const DRAIN_MS = 2_000;

/**
 * Unix µs from one process's monotonic clock: ticks are stamped with it when published and acknowledgements
 * timed with it when seen, both here, so no clock is compared across processes.
 */
const nowMicros = (): number => (performance.timeOrigin + performance.now()) * 1000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The bench strategy, written as a file so the strategy service loads exactly what the embedded run loads. */
const STRATEGY_SOURCE = `// Bench strategy (written by bench/distributed.bench.ts): a limit IOC at the touch on every \`every\`-th quote.
import { Strategy } from ${JSON.stringify(join(ROOT, 'src', 'index.ts'))};

export default class TouchTakerStrategy extends Strategy {
  quotes = 0;
  orders = 0;

  onTick(tick) {
    if (tick.type !== 'quote' || ++this.quotes % Number(this.params.every) !== 0) return;
    const order = this.orders++;
    const buy = order % 2 === 0;
    // Each buy/sell pair its own size (flat after the pair), so an order still in flight is never a duplicate.
    this.submit({
      instrumentId: tick.instrumentId,
      side: buy ? 'buy' : 'sell',
      quantity: Number(this.params.size) + (Math.floor(order / 2) % 500),
      type: 'limit',
      price: buy ? tick.ask : tick.bid,
      timeInForce: 'IOC',
    });
  }
}
`;

/** configs/ copied to a temp folder: only the bench strategy runs; its throttle and the exposure caps lifted. */
function benchConfigDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hf-distributed-bench-'));
  // Cash without end at the venues and in risk: in-flight buys commit buying power, and a denial or a venue
  // rejection for funds would be measured as a missing acknowledgement, not as latency.
  const registry = parse(readFileSync(join(CONFIG_DIR, 'registry.yaml'), 'utf8')) as {
    venues: Record<string, { cash?: Record<string, number> }>;
  };
  for (const venue of Object.values(registry.venues)) venue.cash = { USD: 1e12 };
  writeFileSync(join(dir, 'registry.yaml'), stringify(registry));
  // Restrictions stay; sector and region exposure caps are lifted like the strategy's own caps below.
  const policy = parse(readFileSync(join(CONFIG_DIR, 'policy.yaml'), 'utf8')) as Record<string, unknown>;
  const uncapped = { maxGrossExposure: 1e15, maxNetExposure: 1e15 };
  for (const [defaults, overrides] of [
    ['sectorDefaults', 'sectors'],
    ['regionDefaults', 'regions'],
  ] as const) {
    policy[defaults] = uncapped;
    policy[overrides] = Object.fromEntries(
      Object.keys((policy[overrides] as Record<string, unknown> | undefined) ?? {}).map((k) => [k, uncapped]),
    );
  }
  writeFileSync(join(dir, 'policy.yaml'), stringify(policy));
  const risk = parse(readFileSync(join(CONFIG_DIR, 'risk.yaml'), 'utf8')) as Record<string, unknown>;
  risk.cash = { USD: 1e12 };
  // Taking the touch loses the spread on every pair: no drawdown band, no VaR band may stop the flow measured.
  const drawdown = risk.drawdown as Record<string, unknown>;
  drawdown.bands = [];
  const limits = (risk.var as { limits: Record<string, unknown> }).limits;
  limits.portfolio = { var: 1e15, es: 1e15 };
  risk.strategies = {
    ...(risk.strategies as Record<string, unknown> | undefined),
    [STRATEGY_ID]: {
      messagesPerSecond: 1_000_000_000,
      burst: 1_000_000_000,
      maxGrossExposure: 1e12,
      maxNetExposure: 1e12,
    },
  };
  // Orders in flight count as open: the exposure and position caps would otherwise turn a slow pipeline into
  // denials (measured here as latency, not as risk).
  risk.instruments = {
    ...(risk.instruments as Record<string, unknown> | undefined),
    [TARGET]: { maxPosition: 1_000_000_000 },
  };
  writeFileSync(join(dir, 'risk.yaml'), stringify(risk));
  const strategyDir = join(dir, 'strategy');
  mkdirSync(strategyDir);
  writeFileSync(join(strategyDir, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(join(strategyDir, 'touch-taker.js'), STRATEGY_SOURCE);
  const strategies = {
    strategies: [
      {
        id: STRATEGY_ID,
        strategy: './strategy/touch-taker.js',
        instruments: [TARGET],
        params: { every: EVERY, size: SIZE },
      },
    ],
  };
  writeFileSync(join(dir, 'strategies.yaml'), stringify(strategies));
  return dir;
}

function quote(i: number, stamp: number): QuoteTick {
  const mid = 10_000 + ((i * 7919) % 11);
  return {
    type: 'quote',
    instrumentId: TARGET,
    bid: (mid - 1) / 100,
    ask: (mid + 1) / 100,
    bidSize: 10_000,
    askSize: 10_000,
    tsEvent: stamp,
    tsInit: stamp,
  };
}

/**
 * Follows the strategy's orders on the bus: `orders.incoming` gives each client order id its tick's `tsInit`
 * (the runner copies it to `tsOrigin`), `orders.events` its acknowledgement, timed on arrival.
 */
class AckTracker {
  /** client order id → the tick's stamp (µs). */
  private readonly origins = new Map<string, number>();
  /** client order id → when its order_accepted was seen here (µs), for acks that overtake their submit. */
  private readonly acceptedAt = new Map<string, number>();
  private readonly latencies: number[] = [];
  /** Denials seen before their submit. */
  private readonly deniedIds = new Map<string, string>();
  measureFrom = Number.POSITIVE_INFINITY;
  measureUntil = Number.POSITIVE_INFINITY;
  totalAcks = 0;
  denied = 0;
  rejected = 0;
  readonly denialReasons = new Map<string, number>();

  /** Per hop, as seen here: tick → the order on orders.incoming, → on orders.validated (µs). */
  readonly hops = { incoming: [] as number[], validated: [] as number[] };

  constructor(bus: Bus, group: string) {
    bus.subscribe(Streams.ordersValidated, group, (command: TradingCommand) => {
      if (command.type !== 'submit_order' || command.order.strategyId !== STRATEGY_ID) return;
      const origin = command.order.tsOrigin;
      if (origin !== undefined && origin >= this.measureFrom && origin < this.measureUntil)
        this.hops.validated.push(nowMicros() - origin);
    });
    bus.subscribe(Streams.ordersIncoming, group, (command: TradingCommand) => {
      if (command.type !== 'submit_order' || command.order.strategyId !== STRATEGY_ID) return;
      const origin = command.order.tsOrigin;
      if (origin === undefined) return;
      if (origin >= this.measureFrom && origin < this.measureUntil)
        this.hops.incoming.push(nowMicros() - origin);
      const id = command.order.clientOrderId;
      const deniedFor = this.deniedIds.get(id);
      if (deniedFor !== undefined) {
        this.deniedIds.delete(id);
        this.countDenial(origin, deniedFor);
        return;
      }
      const accepted = this.acceptedAt.get(id);
      if (accepted !== undefined) {
        this.acceptedAt.delete(id);
        this.record(origin, accepted);
      } else this.origins.set(id, origin);
    });
    bus.subscribe(Streams.ordersEvents, group, (event: OrderEvent) => {
      if (event.strategyId !== STRATEGY_ID) return;
      if (event.type === 'order_rejected') this.rejected++;
      if (event.type !== 'order_accepted') return;
      const at = nowMicros();
      this.totalAcks++;
      const origin = this.origins.get(event.clientOrderId);
      if (origin === undefined) this.acceptedAt.set(event.clientOrderId, at);
      else {
        this.origins.delete(event.clientOrderId);
        this.record(origin, at);
      }
    });
    bus.subscribe(Streams.ordersRejected, group, (event: OrderEvent) => {
      if (event.strategyId !== STRATEGY_ID || event.type !== 'order_denied') return;
      const origin = this.origins.get(event.clientOrderId);
      if (origin === undefined) this.deniedIds.set(event.clientOrderId, event.reason);
      else {
        this.origins.delete(event.clientOrderId);
        this.countDenial(origin, event.reason);
      }
    });
  }

  /** Counts a denial of an order of the measured window (its tick stamp in it). */
  private countDenial(origin: number, reason: string): void {
    if (origin < this.measureFrom || origin >= this.measureUntil) return;
    this.denied++;
    this.denialReasons.set(reason, (this.denialReasons.get(reason) ?? 0) + 1);
  }

  private record(origin: number, at: number): void {
    if (origin < this.measureFrom || origin >= this.measureUntil) return;
    this.latencies.push(at - origin);
  }

  get measuredAcks(): number {
    return this.latencies.length;
  }

  /** Orders of the measured window submitted but never acknowledged. */
  unacknowledged(): number {
    let n = 0;
    for (const origin of this.origins.values())
      if (origin >= this.measureFrom && origin < this.measureUntil) n++;
    return n;
  }

  sorted(): Float64Array {
    return Float64Array.from(this.latencies).sort();
  }
}

/** Publishes at `rate` ticks/s (each stamped as it is published) until `done()`; in batches per 1 ms timer. */
async function publishAtRate(
  publish: (tick: QuoteTick) => void,
  rate: number,
  firstIndex: number,
  done: (elapsedSeconds: number) => boolean,
  afterBatch?: () => Promise<void>,
): Promise<number> {
  const start = performance.now();
  let sent = 0;
  for (;;) {
    const elapsed = (performance.now() - start) / 1000;
    if (done(elapsed)) break;
    const due = Math.floor(elapsed * rate);
    while (sent < due) publish(quote(firstIndex + sent++, nowMicros()));
    if (afterBatch) await afterBatch();
    await sleep(1);
  }
  return sent;
}

interface RunResult {
  readonly label: string;
  readonly sorted: Float64Array;
  readonly unacknowledged: number;
  readonly denied: number;
  readonly rejected: number;
  readonly ticks: number;
  readonly seconds: number;
  /** Distributed only: orders.validated entries the router's group had not read when the window ended. */
  readonly routerLag?: number;
}

/** Warm-up, then ticks at RATE until MIN_ACKS measured orders were submitted (and a drain for their acks). */
/** CPU time (user + system, ms) of every process on the machine by name, and of each process tree given. */
function cpuByProcess(trees: ReadonlyMap<string, number>): Map<string, number> {
  const stats: { pid: number; ppid: number; comm: string; ms: number }[] = [];
  const tick = 1000 / 100; // USER_HZ
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const rest = text.slice(close + 2).split(' ');
    // Fields after the name: state(3) ppid(4) … utime(14) stime(15), numbered from 1 with pid and comm.
    stats.push({
      pid: Number(entry),
      ppid: Number(rest[1]),
      comm,
      ms: (Number(rest[11]) + Number(rest[12])) * tick,
    });
  }
  const out = new Map<string, number>();
  for (const [name, root] of trees) {
    const members = new Set([root]);
    for (let grew = true; grew;) {
      grew = false;
      for (const s of stats)
        if (!members.has(s.pid) && members.has(s.ppid)) {
          members.add(s.pid);
          grew = true;
        }
    }
    out.set(
      name,
      stats.filter((s) => members.has(s.pid)).reduce((sum, s) => sum + s.ms, 0),
    );
  }
  for (const s of stats)
    if (s.comm === 'redis-server' || s.comm === 'postgres') out.set(s.comm, (out.get(s.comm) ?? 0) + s.ms);
  return out;
}

/** What each process spent of the cores over the window: CPU ms per second of wall time, and per order. */
function cpuReport(
  before: Map<string, number>,
  after: Map<string, number>,
  seconds: number,
  orders: number,
): string {
  const parts: string[] = [];
  let total = 0;
  for (const [name, ms] of after) {
    const used = ms - (before.get(name) ?? 0);
    total += used;
    parts.push(
      `${name} ${((used / seconds / 1000) * 100).toFixed(0)}% (${((used * 1000) / Math.max(1, orders)).toFixed(0)} µs/order)`,
    );
  }
  return `${parts.join(', ')}; all ${((total / seconds / 1000) * 100).toFixed(0)}% of one core`;
}

async function measure(
  label: string,
  publish: (tick: QuoteTick) => void,
  tracker: AckTracker,
  afterBatch?: () => Promise<void>,
  atWindowEnd?: () => Promise<void>,
  processes: ReadonlyMap<string, number> = new Map(),
): Promise<RunResult> {
  let index = 0;
  index += await publishAtRate(publish, RATE, index, (s) => s >= WARMUP_SECONDS, afterBatch);
  tracker.measureFrom = nowMicros();
  const ordersNeeded = MIN_ACKS * EVERY;
  const trees = processes;
  const cpuBefore = cpuByProcess(trees);
  const ownBefore = process.cpuUsage();
  const started = performance.now();
  // Enough ticks for MIN_ACKS orders, plus 2% so a few lost ones still leave MIN_ACKS measured.
  const ticks = await publishAtRate(publish, RATE, index, (s) => s * RATE >= ordersNeeded * 1.02, afterBatch);
  tracker.measureUntil = nowMicros();
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = cpuByProcess(trees);
  const own = process.cpuUsage(ownBefore);
  cpuAfter.set('measurer', (own.user + own.system) / 1000);
  const cpu = cpuReport(cpuBefore, cpuAfter, seconds, ticks / EVERY);
  await atWindowEnd?.();
  await sleep(DRAIN_MS);
  const sorted = tracker.sorted();
  const result: RunResult = {
    label,
    sorted,
    unacknowledged: tracker.unacknowledged(),
    denied: tracker.denied,
    rejected: tracker.rejected,
    ticks,
    seconds,
  };
  console.log(
    `${label}: ${ticks.toLocaleString('en-US')} ticks in ${seconds.toFixed(1)} s ` +
      `(${Math.round(ticks / seconds).toLocaleString('en-US')}/s) after ${WARMUP_SECONDS} s warm-up; ` +
      `acknowledged ${sorted.length.toLocaleString('en-US')}, never acknowledged ${result.unacknowledged}, ` +
      `denied ${result.denied} (${[...tracker.denialReasons].map(([r, n]) => `${r} ${n}`).join(', ') || 'none'}), ` +
      `venue-rejected ${result.rejected}`,
  );
  console.log(
    `${label}: tick → ack p50 ${percentile(sorted, 0.5).toFixed(1)}  p99 ${percentile(sorted, 0.99).toFixed(1)}  ` +
      `p99.9 ${percentile(sorted, 0.999).toFixed(1)}  max ${(sorted[sorted.length - 1] ?? 0).toFixed(1)} µs`,
  );
  console.log(`${label}: CPU over the window: ${cpu}`);
  const hop = (list: number[]): string => {
    const sorted = Float64Array.from(list).sort();
    return `p50 ${percentile(sorted, 0.5).toFixed(0)}  p99 ${percentile(sorted, 0.99).toFixed(0)} µs`;
  };
  console.log(
    `${label}: seen by the measurer, tick → orders.incoming ${hop(tracker.hops.incoming)}; → orders.validated ${hop(tracker.hops.validated)}`,
  );
  return result;
}

interface Service {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output: string;
}

function spawnService(name: string, env: NodeJS.ProcessEnv): Service {
  // PROFILE_SERVICES=<dir>: each service writes a V8 CPU profile there when it exits (bench/profile-summary.ts).
  const profile = process.env.PROFILE_SERVICES;
  const nodeArgs = profile
    ? ['--cpu-prof', `--cpu-prof-dir=${profile}`, `--cpu-prof-name=${name}.cpuprofile`]
    : [];
  const child = spawn(
    process.execPath,
    [...nodeArgs, join(ROOT, 'bin', 'hf.mjs'), 'service', name, '--port', '0'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HF_LOG_LEVEL: 'warn', ...env },
    },
  );
  const service: Service = {
    name,
    child,
    exited: new Promise((r) => child.once('exit', (code) => r(code))),
    output: '',
  };
  const keep = (d: Buffer): void => {
    service.output = (service.output + d.toString()).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return service;
}

async function stopService(service: Service): Promise<void> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return;
  service.child.kill('SIGTERM');
  const timer = setTimeout(() => service.child.kill('SIGKILL'), 5_000);
  await service.exited;
  clearTimeout(timer);
}

/** Entries not yet delivered to each consumer group (XINFO GROUPS `lag`) of the pipeline's streams. */
async function pipelineLag(
  client: Redis,
  prefix: string,
): Promise<{ readonly text: string; readonly routerLag: number }> {
  const parts: string[] = [];
  let routerLag = 0;
  for (const stream of [
    Streams.ticks,
    Streams.ordersIncoming,
    Streams.ordersValidated,
    Streams.ordersEvents,
  ]) {
    const groups = (await client
      .call('XINFO', 'GROUPS', `${prefix}${stream}`)
      .catch(() => [])) as unknown[][];
    for (const group of groups) {
      const info = new Map<unknown, unknown>();
      for (let i = 0; i + 1 < group.length; i += 2) info.set(group[i], group[i + 1]);
      parts.push(`${stream}/${String(info.get('name'))} ${String(info.get('lag'))}`);
      if (stream === Streams.ordersValidated) routerLag += Number(info.get('lag') ?? 0);
    }
  }
  return { text: parts.join(', '), routerLag };
}

async function distributedRun(configDir: string): Promise<RunResult> {
  let redis: TestRedis | undefined;
  let postgres: TestPostgres | undefined;
  let client: Redis | undefined;
  let bus: RedisBus | undefined;
  const services: Service[] = [];
  const prefix = `bench-dist:${randomBytes(4).toString('hex')}:`;
  try {
    redis = UNIX_SOCKET ? await redisOnSocket() : await redisForTests();
    postgres = await postgresForTests();
    client = new Redis(ioredisUrl(redis.url));
    const redisClient = client;
    let routerLag = 0;
    const env = {
      REDIS_URL: redis.url,
      DATABASE_URL: postgres.url,
      HF_REDIS_PREFIX: prefix,
      HF_CONFIG_DIR: configDir,
    };
    for (const name of ['router', 'risk', 'strategy']) services.push(spawnService(name, env));
    bus = await RedisBus.connect({
      url: redis.url,
      keyPrefix: prefix,
      consumer: 'bench-measurer',
      logger: createLogger('bench.measurer', 'warn'),
      statsIntervalMs: 0,
      // The measurer only watches: it reads every stream without a group (no pending list, no XACK), so its
      // own load on the two cores stays as small as the system's observers can make it.
      broadcast: () => process.env.MEASURER_GROUPS !== '1',
    });
    const tracker = new AckTracker(bus, 'distributed-bench');
    await bus.ready();
    const publishing = bus;
    const publish = (tick: QuoteTick): void => publishing.publish(Streams.ticks, tick);
    const afterBatch = async (): Promise<void> => {
      if (publishing.backpressure) await publishing.drained();
    };

    // Up: ticks at the bench rate until the first acknowledgement comes back through all three processes.
    const upStart = performance.now();
    await publishAtRate(
      publish,
      RATE,
      0,
      (s) => {
        if (tracker.totalAcks > 0) return true;
        if (s > 90) throw new Error('no acknowledgement within 90 s of starting the services');
        for (const service of services)
          if (service.child.exitCode !== null)
            throw new Error(`service ${service.name} exited (${service.child.exitCode}):\n${service.output}`);
        return false;
      },
      afterBatch,
    );
    console.log(
      `services up: first acknowledgement after ${((performance.now() - upStart) / 1000).toFixed(1)} s`,
    );
    const result = await measure(
      'distributed (strategy, risk, router: 3 processes over Redis)',
      publish,
      tracker,
      afterBatch,
      async () => {
        const lag = await pipelineLag(redisClient, prefix);
        routerLag = lag.routerLag;
        console.log(`consumer-group lag at the end of the window: ${lag.text}`);
      },
      new Map(services.map((s) => [s.name, s.child.pid ?? 0])),
    );
    for (const s of services)
      if (s.child.exitCode !== null)
        console.log(`WARNING: service ${s.name} exited (${s.child.exitCode}):\n${s.output}`);
    return { ...result, routerLag };
  } finally {
    await Promise.all(services.map((s) => stopService(s)));
    await bus?.close().catch(() => undefined);
    if (client) {
      const keys = await client.keys(`${prefix}*`).catch(() => [] as string[]);
      if (keys.length > 0) await client.del(...keys).catch(() => undefined);
      client.disconnect();
    }
    await postgres?.stop().catch((e: unknown) => console.error(`postgres stop: ${String(e)}`));
    await redis?.stop().catch((e: unknown) => console.error(`redis stop: ${String(e)}`));
  }
}

async function embeddedRun(configDir: string): Promise<RunResult> {
  const kernel = await Kernel.create({
    mode: 'paper',
    configDir,
    clock: new LiveClock(),
    logger: createLogger('bench.embedded', 'warn'),
  });
  try {
    const tracker = new AckTracker(kernel.bus, 'distributed-bench');
    await kernel.start();
    return await measure(
      'embedded (one process, MemoryBus)',
      (tick) => kernel.publishMarketData(tick),
      tracker,
    );
  } finally {
    await kernel.stop();
  }
}

function rows(run: RunResult, name: string, budget: number | undefined): BenchResult[] {
  const note =
    `${run.sorted.length.toLocaleString('en-US')} orders at ${RATE.toLocaleString('en-US')} ticks/s, one per ${EVERY} quotes; ` +
    `${run.unacknowledged} unacknowledged, ${run.denied} denied`;
  const row = (figure: string, value: number, withBudget: boolean): BenchResult => ({
    bench: 'distributed',
    name: `tick → ack, ${name}, ${figure}`,
    value,
    unit: 'µs',
    ...(withBudget && budget !== undefined ? { budget: { kind: 'max' as const, value: budget } } : {}),
    note,
  });
  const sorted = run.sorted;
  // No acknowledgement at all: no latency rows (a 0 µs p99 would pass); the row below fails instead.
  const results =
    sorted.length === 0
      ? []
      : [
          row('p50', percentile(sorted, 0.5), false),
          row('p99', percentile(sorted, 0.99), true),
          row('p99.9', percentile(sorted, 0.999), false),
          row('max', sorted[sorted.length - 1] ?? 0, false),
        ];
  if (run.unacknowledged > 0 || sorted.length < MIN_ACKS)
    results.push({
      bench: 'distributed',
      name: `${name}: orders never acknowledged (or too few measured)`,
      value: run.unacknowledged + Math.max(0, MIN_ACKS - sorted.length),
      unit: 'orders',
      budget: { kind: 'max', value: 0 },
    });
  // The bench lifts every limit its flow could meet: a denial is a limit it missed, reported apart.
  if (run.denied > 0)
    results.push({
      bench: 'distributed',
      name: `${name}: orders denied by risk (a limit the bench config should lift)`,
      value: run.denied,
      unit: 'orders',
      budget: { kind: 'max', value: 0 },
    });
  return results;
}

printMachine(
  'distributed bench: tick → order acknowledged, strategy/risk/router as processes over Redis vs embedded',
);
const configDir = benchConfigDir();
try {
  const distributed = await distributedRun(configDir);
  const results = rows(distributed, 'distributed over Redis', 2_000);
  results.push({
    bench: 'distributed',
    name: 'router backlog (orders.validated lag) at the end of the window',
    value: distributed.routerLag ?? 0,
    unit: 'orders',
    note: 'orders risk had approved that the router process had not yet read',
  });
  if (RUN_EMBEDDED) {
    const embedded = await embeddedRun(configDir);
    results.push(...rows(embedded, 'embedded, same strategy and rate', undefined));
    console.log('side by side (µs):');
    console.log('                 p50        p99      p99.9        max  unacked');
    for (const run of [distributed, embedded]) {
      const s = run.sorted;
      const cells = [0.5, 0.99, 0.999].map((q) => percentile(s, q).toFixed(1).padStart(10));
      console.log(
        `${(run === distributed ? 'distributed' : 'embedded').padEnd(12)}${cells.join(' ')} ${(s[s.length - 1] ?? 0).toFixed(1).padStart(10)} ${String(run.unacknowledged).padStart(8)}`,
      );
    }
  }
  report(results);
} finally {
  rmSync(configDir, { recursive: true, force: true });
}
