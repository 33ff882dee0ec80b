// The Redis Streams bus against the shared Bus contract and its own guarantees (pending-first restart, claiming,
// retries and dead-lettering, outage survival, control plane from plain redis-cli writes) on a real redis-server.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, silentLogger, type Logger } from '../common/logging.ts';
import { ControlKeys, Streams, VIEW_GROUP } from '../common/topics.ts';
import {
  clientOrderId,
  instrumentId,
  strategyId,
  tradeId,
  venueId,
  venueOrderId,
  type Alert,
  type CancelOrder,
  type OrderFilled,
  type QuoteTick,
  type TradingCommand,
} from '../model/index.ts';
import {
  redisForTests,
  redisUnavailableReason,
  startPrivateRedis,
  type TestRedis,
} from '../../tests/support/redis-server.ts';
import { busContract } from './bus.contract.ts';
import { RedisBus, type RedisBusOptions } from './redis.ts';

const skipReason = redisUnavailableReason();
let server: TestRedis | undefined;
const plainClients: Redis[] = [];
const buses: RedisBus[] = [];

const prefixes: string[] = [];
/** A fresh key prefix (tests share one server); its keys are deleted after the run. */
function randomPrefix(): string {
  const prefix = `test:${randomBytes(5).toString('hex')}:`;
  prefixes.push(prefix);
  return prefix;
}

/** A bus on the shared server under `keyPrefix`, closed after all tests (closing twice is harmless). */
async function bus(keyPrefix: string, options: Partial<RedisBusOptions> = {}): Promise<RedisBus> {
  const created = await RedisBus.connect({ url: server!.url, keyPrefix, logger: silentLogger, ...options });
  buses.push(created);
  return created;
}

/** A plain client, as an operator's redis-cli would be. */
function plainClient(url = server!.url): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: null });
  client.on('error', () => undefined);
  plainClients.push(client);
  return client;
}

function cancel(name: string | number): CancelOrder {
  return {
    type: 'cancel_order',
    clientOrderId: clientOrderId(String(name)),
    strategyId: strategyId('test'),
    instrumentId: instrumentId('X', 'SIM'),
    tsInit: 0,
  };
}

function quote(n: number): QuoteTick {
  return {
    type: 'quote',
    instrumentId: instrumentId('X', 'SIM'),
    bid: 100 + n,
    ask: 101 + n,
    bidSize: 1,
    askSize: 1,
    tsEvent: n,
    tsInit: n,
  };
}

function fill(trade: string): OrderFilled {
  return {
    type: 'order_filled',
    clientOrderId: clientOrderId('c-1'),
    strategyId: strategyId('test'),
    instrumentId: instrumentId('X', 'SIM'),
    tsEvent: 1,
    tsInit: 2,
    venue: venueId('SIM'),
    venueOrderId: venueOrderId('v-1'),
    tradeId: tradeId(trade),
    side: 'buy',
    lastQuantity: 3,
    lastPrice: 100.5,
    fee: 0.1,
    feeCurrency: 'USD',
    liquidity: 'taker',
    leavesQuantity: 0,
  };
}

const nameOf = (command: TradingCommand): string =>
  command.type === 'submit_order' ? command.order.clientOrderId : command.clientOrderId;

async function eventually(predicate: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Field/value pairs of a stream entry as an object. */
function record(fields: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) out[fields[i]!] = fields[i + 1]!;
  return out;
}

/** A logger that keeps its JSON lines. */
function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger('test', 'debug', { write: (line) => void lines.push(line) }), lines };
}

/** A hanging handler: the consumer "dies" holding what it read (nothing is acked). */
const never = (): Promise<void> => new Promise<void>(() => undefined);

describe.skipIf(skipReason !== undefined)('RedisBus on a real Redis', () => {
  beforeAll(async () => {
    server = await redisForTests();
  });
  afterAll(async () => {
    await Promise.allSettled(buses.map((b) => b.close()));
    if (server) {
      const cleaner = plainClient();
      for (const prefix of prefixes) {
        const keys = await cleaner.keys(`${prefix}*`);
        if (keys.length > 0) await cleaner.del(...keys);
      }
    }
    for (const client of plainClients) client.disconnect();
    await server?.stop();
  });

  busContract('redis', () => bus(randomPrefix()));
  // The same contract with batches pipelined (the next read while earlier effects settle).
  busContract('redis, 4 batches in flight', () => bus(randomPrefix(), { maxInflightBatches: 4 }));

  it('redelivers a dead consumer’s pending entries first when it restarts under the same name', async () => {
    const keyPrefix = randomPrefix();
    const key = `${keyPrefix}orders.incoming`;
    const redis = plainClient();
    const first = await bus(keyPrefix, { consumer: 'risk-1', closeTimeoutMs: 200, claimIdleMs: 60_000 });
    first.subscribe(Streams.ordersIncoming, 'risk', never);
    for (let i = 0; i < 5; i++) first.publish(Streams.ordersIncoming, cancel(i));
    await first.flush();
    await eventually(async () => ((await redis.xpending(key, 'risk')) as [number])[0] > 0);
    await first.close(); // died in its handler: what it read stays in its pending list, unacked
    const held = (await redis.xpending(key, 'risk', '-', '+', 100, 'risk-1')) as [
      string,
      string,
      number,
      number,
    ][];
    const heldIds = held.map((row) => row[0]);
    expect(heldIds.length).toBeGreaterThan(0);

    const publisher = await bus(keyPrefix, { consumer: 'publisher' });
    for (let i = 5; i < 8; i++) publisher.publish(Streams.ordersIncoming, cancel(i));
    await publisher.flush();

    const restarted = await bus(keyPrefix, { consumer: 'risk-1', claimIdleMs: 60_000 });
    const seen: string[] = [];
    restarted.subscribe(Streams.ordersIncoming, 'risk', (m) => void seen.push(nameOf(m)));
    await eventually(() => seen.length === 8);
    const idOf = new Map<string, string>();
    for (const [id, fields] of await redis.xrange(key, '-', '+'))
      idOf.set((JSON.parse(record(fields).data!) as CancelOrder).clientOrderId, id);
    const seenIds = seen.map((name) => idOf.get(name));
    expect(seen).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    // the held entries came first (they are the oldest), then the ones never delivered
    expect(seenIds.slice(0, heldIds.length)).toEqual(heldIds);
    await restarted.close();
    expect(((await redis.xpending(key, 'risk')) as [number])[0]).toBe(0);
    expect(restarted.stats().claimed).toBe(0); // its own pending list, read with id 0: no XAUTOCLAIM involved
  });

  it('moves a dead consumer’s idle entries to a live one with XAUTOCLAIM', async () => {
    const keyPrefix = randomPrefix();
    const key = `${keyPrefix}orders.incoming`;
    const redis = plainClient();
    const killed = await bus(keyPrefix, { consumer: 'killed', closeTimeoutMs: 200 });
    killed.subscribe(Streams.ordersIncoming, 'oms', never);
    for (let i = 0; i < 6; i++) killed.publish(Streams.ordersIncoming, cancel(i));
    await killed.flush();
    await eventually(async () => ((await redis.xpending(key, 'oms')) as [number])[0] > 0);
    await killed.close();
    const held = await redis.xpending(key, 'oms', '-', '+', 100, 'killed');

    const live = await bus(keyPrefix, { consumer: 'live', claimIdleMs: 300, claimIntervalMs: 100 });
    const handled: string[] = [];
    live.subscribe(Streams.ordersIncoming, 'oms', (m) => void handled.push(nameOf(m)));
    await eventually(() => handled.length === 6);
    expect([...handled].sort()).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(live.stats().claimed).toBe(held.length);
    await eventually(async () => ((await redis.xpending(key, 'oms')) as [number])[0] === 0);
    expect(await redis.xpending(key, 'oms', '-', '+', 100, 'killed')).toEqual([]);
  });

  it('sets a poison entry aside, retries it with backoff, then dead-letters it with an alert; later entries go on', async () => {
    const keyPrefix = randomPrefix();
    const redis = plainClient();
    const maxDeliveries = 3;
    const b = await bus(keyPrefix, { maxDeliveries, retryBackoffMs: 50 });
    const log: string[] = [];
    const errors: string[] = [];
    const alerts: Alert[] = [];
    b.onError((error, stream, group) => void errors.push(`${stream}/${group}: ${String(error)}`));
    b.subscribe(Streams.alerts, 'ops', (a) => void alerts.push(a));
    b.subscribe(Streams.ordersIncoming, 'risk', async (m) => {
      const name = nameOf(m);
      if (name === 'poison') {
        log.push(`poison#${log.filter((x) => x.startsWith('poison')).length + 1}`);
        await Promise.resolve();
        throw new Error('cannot digest this');
      }
      log.push(name);
    });
    await b.ready();
    for (const name of ['a', 'poison', 'b', 'c']) b.publish(Streams.ordersIncoming, cancel(name));
    await eventually(() => alerts.length === 1);
    // b and c were handled while the poison entry waited for its retries
    expect(log.indexOf('b')).toBeLessThan(log.indexOf('poison#2'));
    expect(log.indexOf('c')).toBeLessThan(log.indexOf('poison#2'));
    expect(log.filter((x) => x.startsWith('poison'))).toHaveLength(maxDeliveries);
    expect(errors).toHaveLength(maxDeliveries);
    expect(errors[0]).toContain('orders.incoming/risk: Error: cannot digest this');

    const poisonId = (await redis.xrange(`${keyPrefix}orders.incoming`, '-', '+'))
      .filter(([, fields]) => record(fields).data!.includes('"poison"'))
      .map(([id]) => id)[0];
    const dead = await redis.xrange(`${keyPrefix}deadletter`, '-', '+');
    expect(dead).toHaveLength(1);
    const letter = record(dead[0]![1]);
    expect(letter).toMatchObject({
      stream: 'orders.incoming',
      id: poisonId,
      group: 'risk',
      deliveries: String(maxDeliveries),
      reason: 'OPS_HANDLER_ERROR',
    });
    expect(letter.error).toContain('cannot digest this');
    expect(record(JSON.parse(letter.fields!) as string[]).data).toContain('"poison"');
    expect(alerts[0]).toMatchObject({ type: 'alert', code: 'OPS_HANDLER_ERROR', severity: 'critical' });
    expect(alerts[0]!.message).toContain(poisonId!);
    await eventually(
      async () => ((await redis.xpending(`${keyPrefix}orders.incoming`, 'risk')) as [number])[0] === 0,
    );
    const stats = b.stats();
    expect(stats.deadLettered).toBe(1);
    expect(stats.retried).toBe(maxDeliveries - 1);
    expect(stats.handlerErrors).toBe(maxDeliveries);
  });

  it('dead-letters malformed raw entries at once, without calling the handler or stopping the loop', async () => {
    const keyPrefix = randomPrefix();
    const key = `${keyPrefix}orders.incoming`;
    const redis = plainClient();
    const b = await bus(keyPrefix, { maxDeliveries: 5 });
    const handled: string[] = [];
    const alerts: Alert[] = [];
    b.subscribe(Streams.alerts, 'ops', (a) => void alerts.push(a));
    b.subscribe(Streams.ordersIncoming, 'risk', (m) => void handled.push(nameOf(m)));
    await b.ready();
    const malformed: [string, string][] = [
      ['foo', 'bar'], // no data field
      ['data', 'not json {'],
      ['data', '[1,2]'],
      ['data', '{"x":1}'], // no type
      ['data', '42'],
    ];
    for (const [field, value] of malformed) await redis.xadd(key, '*', field, value);
    b.publish(Streams.ordersIncoming, cancel('valid'));
    await eventually(() => handled.length === 1 && alerts.length === malformed.length);
    expect(handled).toEqual(['valid']);
    const dead = (await redis.xrange(`${keyPrefix}deadletter`, '-', '+')).map(([, fields]) => record(fields));
    expect(dead.map((d) => JSON.parse(d.fields!) as string[])).toEqual(malformed);
    for (const letter of dead)
      expect(letter).toMatchObject({ reason: 'OPS_MALFORMED_MESSAGE', deliveries: '1' });
    expect(alerts.every((a) => a.code === 'OPS_MALFORMED_MESSAGE')).toBe(true);
    expect(b.stats().malformed).toBe(malformed.length);
    expect(b.stats().retried).toBe(0);
    await eventually(async () => ((await redis.xpending(key, 'risk')) as [number])[0] === 0);
  });

  it('dead-letters a well-formed JSON entry whose fields do not fit its stream schema, naming the field', async () => {
    const keyPrefix = randomPrefix();
    const key = `${keyPrefix}fills`;
    const redis = plainClient();
    const b = await bus(keyPrefix, { maxDeliveries: 5 });
    const handled: string[] = [];
    const alerts: Alert[] = [];
    b.subscribe(Streams.alerts, 'ops', (a) => void alerts.push(a));
    b.subscribe(Streams.fills, 'ledger', (m) => void handled.push(m.tradeId));
    await b.ready();
    const bad = { ...fill('bad'), lastQuantity: String(fill('bad').lastQuantity) };
    await redis.xadd(key, '*', 'data', JSON.stringify(bad));
    b.publish(Streams.fills, fill('good'));
    await eventually(() => handled.length === 1 && alerts.length === 1);
    expect(handled).toEqual(['good']);
    const dead = (await redis.xrange(`${keyPrefix}deadletter`, '-', '+')).map(([, fields]) => record(fields));
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({
      stream: 'fills',
      group: 'ledger',
      reason: 'OPS_MALFORMED_MESSAGE',
      deliveries: '1',
      error: 'lastQuantity: expected number, received string',
    });
    expect(JSON.parse(dead[0]!.fields!)).toEqual(['data', JSON.stringify(bad)]);
    expect(alerts[0]).toMatchObject({ code: 'OPS_MALFORMED_MESSAGE' });
    expect(alerts[0]!.message).toContain('lastQuantity');
    expect(b.stats().malformed).toBe(1);
    expect(b.stats().retried).toBe(0);
    await eventually(async () => ((await redis.xpending(key, 'ledger')) as [number])[0] === 0);
  });

  it('shares one group between two buses: every entry handled once, by either', async () => {
    const keyPrefix = randomPrefix();
    const left = await bus(keyPrefix, { consumer: 'left' });
    const right = await bus(keyPrefix, { consumer: 'right' });
    const publisher = await bus(keyPrefix, { consumer: 'publisher' });
    const byLeft: string[] = [];
    const byRight: string[] = [];
    left.subscribe(Streams.ordersValidated, 'oms', (m) => void byLeft.push(nameOf(m)));
    right.subscribe(Streams.ordersValidated, 'oms', (m) => void byRight.push(nameOf(m)));
    await Promise.all([left.ready(), right.ready()]);
    const total = 300;
    for (let chunk = 0; chunk < 10; chunk++) {
      for (let i = 0; i < total / 10; i++) publisher.publish(Streams.ordersValidated, cancel(chunk * 30 + i));
      await publisher.flush();
      await new Promise((r) => setTimeout(r, 5));
    }
    await eventually(() => byLeft.length + byRight.length >= total);
    await Promise.all([left.flush(), right.flush()]);
    const all = [...byLeft, ...byRight];
    expect(all).toHaveLength(total);
    expect(new Set(all).size).toBe(total);
    expect(byLeft.length).toBeGreaterThan(0);
    expect(byRight.length).toBeGreaterThan(0);
    // each consumer still sees its share in stream order
    for (const share of [byLeft, byRight])
      expect(share.map(Number)).toEqual([...share.map(Number)].sort((x, y) => x - y));
  });

  it('starts groups of market data at $ and every other stream at 0', async () => {
    const keyPrefix = randomPrefix();
    const b = await bus(keyPrefix);
    b.publish(Streams.ticks, quote(1));
    b.publish(Streams.ordersIncoming, cancel('early'));
    await b.flush();
    const ticks: number[] = [];
    const commands: string[] = [];
    b.subscribe(Streams.ticks, 'late-strategy', (t) => void ticks.push(t.tsEvent));
    b.subscribe(Streams.ordersIncoming, 'late-risk', (m) => void commands.push(nameOf(m)));
    await b.ready();
    b.publish(Streams.ticks, quote(2));
    b.publish(Streams.ordersIncoming, cancel('later'));
    await eventually(() => ticks.length === 1 && commands.length === 2);
    expect(ticks).toEqual([2]);
    expect(commands).toEqual(['early', 'later']);
  });

  it('gives every process every tick (broadcast market data): one reader per process, no group, from the newest entry', async () => {
    const keyPrefix = randomPrefix();
    const publisher = await bus(keyPrefix, { consumer: 'ingest' });
    publisher.publish(Streams.ticks, quote(0)); // before anyone reads: not delivered
    await publisher.flush();
    const riskA = await bus(keyPrefix, { consumer: 'risk-a', statsIntervalMs: 0 });
    const riskB = await bus(keyPrefix, { consumer: 'risk-b' });
    const seen = { a: [] as number[], aMarks: [] as number[], b: [] as number[] };
    // Two instances of one service (group `risk`), and a second subscriber in the first process.
    riskA.subscribe(Streams.ticks, 'risk', (t) => void seen.a.push(t.tsEvent));
    riskA.subscribe(Streams.ticks, 'kernel', (t) => void seen.aMarks.push(t.tsEvent));
    riskB.subscribe(Streams.ticks, 'risk', (t) => void seen.b.push(t.tsEvent));
    await Promise.all([riskA.ready(), riskB.ready()]);
    for (let i = 1; i <= 200; i++) publisher.publish(Streams.ticks, quote(i));
    await eventually(() => seen.a.length === 200 && seen.b.length === 200 && seen.aMarks.length === 200);
    const all = Array.from({ length: 200 }, (_, i) => i + 1);
    expect(seen).toEqual({ a: all, aMarks: all, b: all });
    // No consumer group on the stream, nothing pending; one connection per process for it.
    const raw = plainClient();
    expect(await raw.call('XINFO', 'GROUPS', `${keyPrefix}ticks.live`)).toEqual([]);
    const names = ((await raw.call('CLIENT', 'LIST')) as string)
      .split('\n')
      .filter((l) => l.includes(`hf-bus:risk-a:${Streams.ticks}`));
    expect(names).toHaveLength(1);
    await riskA.refreshLag();
    expect(riskA.stats().subscriptions).toContainEqual(
      expect.objectContaining({
        stream: 'ticks.live',
        group: 'broadcast',
        delivered: 200,
        acked: 200,
        lag: 0,
      }),
    );

    // A handler that throws is reported; the other subscriber and later ticks go on.
    const errors: string[] = [];
    riskA.onError((error, stream, group) => void errors.push(`${stream}/${group}: ${String(error)}`));
    const failing = riskA.subscribe(Streams.ticks, 'flaky', () => {
      throw new Error('boom');
    });
    publisher.publish(Streams.ticks, quote(201));
    await eventually(() => seen.aMarks.length === 201);
    expect(errors).toEqual(['ticks.live/flaky: Error: boom']);
    failing.unsubscribe();

    // A malformed entry: counted and dead-lettered by the process that read it; the ticks after it arrive.
    await raw.xadd(`${keyPrefix}ticks.live`, '*', 'data', '{"type":"quote","instrumentId":7}');
    publisher.publish(Streams.ticks, quote(202));
    await eventually(() => seen.a.at(-1) === 202 && seen.b.at(-1) === 202);
    expect(riskA.stats().malformed).toBe(1);
    await eventually(async () => (await raw.xlen(`${keyPrefix}deadletter`)) > 0);
    const dead = await raw.xrange(`${keyPrefix}deadletter`, '-', '+');
    expect(dead.filter(([, f]) => record(f).consumer === 'risk-a')).toHaveLength(1);
    expect(record(dead[0]![1])).toMatchObject({
      stream: 'ticks.live',
      group: 'broadcast',
      reason: 'OPS_MALFORMED_MESSAGE',
    });

    // The last subscriber gone: the reader and its connection close.
    for (const s of [riskB]) await s.close();
    expect(
      ((await raw.call('CLIENT', 'LIST')) as string).split('\n').filter((l) => l.includes('hf-bus:risk-b:')),
    ).toEqual([]);
  });

  it('gives every process every message of its own view (VIEW_GROUP), while a real group still shares the work', async () => {
    const keyPrefix = randomPrefix();
    const router = await bus(keyPrefix, { consumer: 'router' });
    const apiA = await bus(keyPrefix, { consumer: 'api-a' });
    const apiB = await bus(keyPrefix, { consumer: 'api-b' });
    const seen = { a: [] as string[], b: [] as string[], shared: [] as string[] };
    // Two api replicas count outcomes; both also sit in one ordinary group, which they share.
    apiA.subscribe(Streams.ordersEvents, VIEW_GROUP, (e) => void seen.a.push(e.clientOrderId));
    apiB.subscribe(Streams.ordersEvents, VIEW_GROUP, (e) => void seen.b.push(e.clientOrderId));
    apiA.subscribe(Streams.ordersEvents, 'audit', (e) => void seen.shared.push(e.clientOrderId));
    apiB.subscribe(Streams.ordersEvents, 'audit', (e) => void seen.shared.push(e.clientOrderId));
    await Promise.all([apiA.ready(), apiB.ready()]);
    const ids = Array.from({ length: 50 }, (_, i) => `o-${i}`);
    for (const id of ids)
      router.publish(Streams.ordersEvents, {
        type: 'order_rejected',
        clientOrderId: id as never,
        strategyId: 's' as never,
        instrumentId: 'AAPL.SIM-A' as never,
        venue: 'SIM-A' as never,
        reason: 'VENUE_REJECTED',
        message: 'no',
        tsEvent: 1,
        tsInit: 1,
      });
    await eventually(() => seen.a.length === 50 && seen.b.length === 50 && seen.shared.length === 50);
    expect(seen.a).toEqual(ids);
    expect(seen.b).toEqual(ids);
    expect([...seen.shared].sort()).toEqual([...ids].sort());
    // Only the ordinary group exists on the stream.
    const groups = (await plainClient().call('XINFO', 'GROUPS', `${keyPrefix}orders.events`)) as unknown[][];
    expect(groups.map((g) => g[1])).toEqual(['audit']);
  });

  it('goes on reading broadcast market data after a Redis restart, from the newest entry, never replaying', async () => {
    const privateServer = await startPrivateRedis();
    const url = `redis://127.0.0.1:${privateServer.port}`;
    const reader = await RedisBus.connect({ url, logger: silentLogger, blockMs: 200 });
    const writer = await RedisBus.connect({ url, logger: silentLogger });
    try {
      const seen: number[] = [];
      reader.subscribe(Streams.ticks, 'strategy', (t) => void seen.push(t.tsEvent));
      await reader.ready();
      for (let i = 1; i <= 3; i++) writer.publish(Streams.ticks, quote(i));
      await eventually(() => seen.length === 3);
      await privateServer.stopServer();
      await privateServer.start(); // no data: the stream's ids start again below the last one read
      // Ticks keep coming (the writer buffers until it is back); the reader picks them up once reconnected.
      let next = 4;
      await eventually(async () => {
        writer.publish(Streams.ticks, quote(next++));
        await new Promise((r) => setTimeout(r, 50));
        return seen.length >= 6;
      }, 15_000);
      const after = seen.slice(3);
      expect(after.every((n) => n >= 4)).toBe(true); // nothing from before the restart again
      expect(after).toEqual([...after].sort((a, b) => a - b)); // in order
      expect(new Set(after).size).toBe(after.length); // once each
    } finally {
      await reader.close();
      await writer.close();
      await privateServer.stop();
    }
  });

  it('keeps streams bounded with approximate MAXLEN trimming', async () => {
    const keyPrefix = randomPrefix();
    const redis = plainClient();
    const maxLen = 200;
    const b = await bus(keyPrefix, { maxLen });
    const nodeEntries = Number(((await redis.config('GET', 'stream-node-max-entries')) as string[])[1]);
    const rounds = 20;
    const perRound = 250;
    const published = rounds * perRound;
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < perRound; i++) b.publish(Streams.ticks, quote(round * perRound + i));
      await b.flush();
      // after every pipeline: `~` trims whole radix-tree nodes, so at least maxLen stay and at most a node more
      const length = await redis.xlen(`${keyPrefix}ticks.live`);
      expect(length).toBeGreaterThanOrEqual(Math.min(maxLen, (round + 1) * perRound));
      expect(length).toBeLessThanOrEqual(maxLen + nodeEntries);
    }
    expect(b.stats().written).toBe(published);
    const last = await redis.xrevrange(`${keyPrefix}ticks.live`, '+', '-', 'COUNT', 1);
    expect((JSON.parse(record(last[0]![1]).data!) as QuoteTick).tsEvent).toBe(published - 1);
  });

  it('carries any Unicode text intact (RESP lengths are bytes, not characters)', async () => {
    const b = await bus(randomPrefix());
    const got: string[] = [];
    b.subscribe(Streams.alerts, 'ops', (a) => void got.push(a.message));
    await b.ready();
    const texts = ['plain', 'prix 10 € – ok ✓', 'emoji 🚀🚀', 'line\r\nbreak', '"quoted" \\ back'];
    for (const [i, text] of texts.entries())
      b.publish(Streams.alerts, {
        type: 'alert',
        severity: 'info',
        code: 'T',
        source: 't',
        message: text,
        tsEvent: i,
      });
    await eventually(() => got.length === texts.length);
    expect(got).toEqual(texts);
  });

  it('never throws from publish: a message JSON cannot carry is counted and logged', async () => {
    const { logger, lines } = capturingLogger();
    const b = await bus(randomPrefix(), { logger });
    const bad = { ...quote(1), bid: 1n } as unknown as QuoteTick;
    expect(() => b.publish(Streams.ticks, bad)).not.toThrow();
    b.publish(Streams.ticks, quote(2));
    await b.flush();
    expect(b.stats()).toMatchObject({ published: 1, written: 1, dropped: 1 });
    expect(lines.some((l) => l.includes('"level":"error"') && l.includes('ticks.live'))).toBe(true);
  });

  it('reaches onChange within a second when another client writes a control hash (redis-cli HSET / HDEL)', async () => {
    const keyPrefix = randomPrefix();
    const redis = plainClient();
    const b = await bus(keyPrefix);
    const other = await bus(keyPrefix, { consumer: 'other-process' });
    expect(b.control.source).toBe('notifications');
    const changes: [string, string, string | undefined, number][] = [];
    b.control.onChange((key, field, value) => void changes.push([key, field, value, Date.now()]));

    let t0 = Date.now();
    await redis.hset(`${keyPrefix}${ControlKeys.killSwitch}`, 'enabled', 'true');
    await eventually(() => changes.length === 1, 1_000);
    expect(changes[0]!.slice(0, 3)).toEqual([ControlKeys.killSwitch, 'enabled', 'true']);
    expect(changes[0]![3] - t0).toBeLessThan(1_000);
    expect(b.control.get(ControlKeys.killSwitch, 'enabled')).toBe('true');

    t0 = Date.now();
    await other.control.set(ControlKeys.strategyEnabled, 'momentum', 'false');
    await eventually(() => changes.length === 2, 1_000);
    expect(changes[1]!.slice(0, 3)).toEqual([ControlKeys.strategyEnabled, 'momentum', 'false']);

    await redis.hdel(`${keyPrefix}${ControlKeys.killSwitch}`, 'enabled');
    await eventually(() => changes.length === 3, 1_000);
    expect(changes[2]!.slice(0, 3)).toEqual([ControlKeys.killSwitch, 'enabled', undefined]);
    expect(b.control.getAll(ControlKeys.killSwitch)).toEqual({});
    // the writer's own view changed once, at once, and its notification echo added nothing
    expect(other.control.getAll(ControlKeys.strategyEnabled)).toEqual({ momentum: 'false' });
  });

  it('falls back to polling the control hashes when the server refuses CONFIG', async () => {
    const privateServer = await startPrivateRedis({ extraArguments: ['--rename-command', 'CONFIG', '""'] });
    try {
      const { logger, lines } = capturingLogger();
      const b = await RedisBus.connect({ url: privateServer.url, logger, controlPollMs: 200 });
      try {
        expect(b.control.source).toBe('polling');
        expect(lines.some((l) => l.includes('refused CONFIG'))).toBe(true);
        const changes: string[] = [];
        b.control.onChange(
          (key, field, value) => void changes.push(`${key}.${field}=${value ?? '<deleted>'}`),
        );
        const t0 = Date.now();
        await plainClient(privateServer.url).hset(ControlKeys.routeOverride, 'IBKR', 'PAPER');
        await eventually(() => changes.length === 1, 1_000);
        expect(Date.now() - t0).toBeLessThan(1_000);
        expect(changes).toEqual(['policy:route_override.IBKR=PAPER']);
      } finally {
        await b.close();
      }
    } finally {
      await privateServer.stop();
    }
  });

  it('reports an unreachable URL once, with the password masked', async () => {
    const stopped = await startPrivateRedis();
    const port = stopped.port;
    await stopped.stop();
    const { logger, lines } = capturingLogger();
    const url = `redis://:hunter2@127.0.0.1:${port}`;
    const failure = await RedisBus.connect({ url, logger, connectAttempts: 3 }).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failure?.message).toContain(`redis://:****@127.0.0.1:${port}`);
    expect(failure?.message).toContain('after 3 attempts');
    expect(failure?.message).not.toContain('hunter2');
    const errors = lines.filter((l) => l.includes('"level":"error"'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`redis://:****@127.0.0.1:${port}`);
    expect(lines.join('\n')).not.toContain('hunter2');
    await expect(RedisBus.connect({ url: 'http://example.com', logger })).rejects.toThrow(/not a redis:\/\//);
  });

  it('connects over a Unix socket (unix:///path?db=N): publishes, reads and the control plane, no TCP', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hf-redis-sock-'));
    const socket = join(dir, 'redis.sock');
    const privateServer = await startPrivateRedis({
      extraArguments: ['--unixsocket', socket, '--unixsocketperm', '700'],
    });
    const b = await RedisBus.connect({ url: `unix://${socket}?db=3`, logger: silentLogger, blockMs: 200 });
    const direct = new Redis(socket, { db: 3 });
    try {
      const seen: string[] = [];
      b.subscribe(Streams.ordersIncoming, 'risk', (m) => void seen.push(nameOf(m)));
      await b.ready();
      for (let i = 0; i < 3; i++) b.publish(Streams.ordersIncoming, cancel(i));
      await eventually(() => seen.length === 3);
      expect(await direct.xlen(Streams.ordersIncoming)).toBe(3);
      await b.control.set(ControlKeys.killSwitch, 'enabled', 'true');
      expect(await direct.hget(ControlKeys.killSwitch, 'enabled')).toBe('true');
      // Every connection of the bus is on the socket (a TCP client's addr is ip:port).
      const clients = (await direct.client('LIST')) as string;
      const bus = clients.split('\n').filter((line) => line.includes('name=hf-bus'));
      expect(bus.length).toBeGreaterThanOrEqual(3);
      for (const line of bus) expect(line).toMatch(/addr=\/[^ ]*redis\.sock/);
      await expect(RedisBus.connect({ url: 'unix://host/redis.sock', logger: silentLogger })).rejects.toThrow(
        /names a socket path/,
      );
    } finally {
      direct.disconnect();
      await b.close();
      await privateServer.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('survives a Redis restart: publishes made while it is down are written in order afterwards and consumers resume', async () => {
    const privateServer = await startPrivateRedis({ extraArguments: ['--requirepass', 'sesame'] });
    const url = `redis://:sesame@127.0.0.1:${privateServer.port}`;
    const { logger, lines } = capturingLogger();
    const b = await RedisBus.connect({ url, logger, publishBufferLimit: 10, blockMs: 200 });
    try {
      const seen: string[] = [];
      const changes: string[] = [];
      b.control.onChange((key, field, value) => void changes.push(`${key}.${field}=${value}`));
      b.subscribe(Streams.ordersIncoming, 'risk', (m) => void seen.push(nameOf(m)));
      for (let i = 0; i < 5; i++) b.publish(Streams.ordersIncoming, cancel(i));
      await eventually(() => seen.length === 5);

      await privateServer.stopServer();
      const writtenBefore = b.stats().written;
      for (let i = 5; i < 25; i++) b.publish(Streams.ordersIncoming, cancel(i));
      await new Promise((r) => setTimeout(r, 300));
      expect(b.stats().bufferSize).toBe(20);
      expect(b.stats().written).toBe(writtenBefore);
      expect(b.backpressure).toBe(true);
      let drained = false;
      void b.drained().then(() => (drained = true));

      await privateServer.start(); // a fresh server: no data, no groups, default CONFIG
      await eventually(() => seen.length === 25, 15_000);
      expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => String(i)));
      expect(drained).toBe(true);
      expect(b.backpressure).toBe(false);

      // the control plane came back too (notifications re-enabled on the new server)
      const t0 = Date.now();
      await plainClient(url).hset(ControlKeys.killSwitch, 'enabled', 'true');
      await eventually(() => changes.includes('policy:kill_switch.enabled=true'), 2_000);
      expect(Date.now() - t0).toBeLessThan(1_000);

      const outage = lines.filter((l) => l.includes('Redis unreachable'));
      expect(outage).toHaveLength(1);
      expect(outage[0]).toContain(`redis://:****@127.0.0.1:${privateServer.port}`);
      expect(lines.join('\n')).not.toContain('sesame');
      expect(lines.filter((l) => l.includes('publish buffer above'))).toHaveLength(1);
    } finally {
      await b.close();
      await privateServer.stop();
    }
  });

  it('reports each subscription’s lag and pending count from XINFO GROUPS', async () => {
    const b = await bus(randomPrefix(), { statsIntervalMs: 0 });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let handled = 0;
    b.subscribe(Streams.ordersIncoming, 'risk', async () => {
      await gate;
      handled++;
    });
    await b.ready();
    const published = 10;
    for (let i = 0; i < published; i++) b.publish(Streams.ordersIncoming, cancel(i));
    await eventually(async () => {
      await b.refreshLag();
      const [subscription] = b.stats().subscriptions;
      return (subscription?.pending ?? 0) > 0;
    });
    const [held] = b.stats().subscriptions;
    // every entry is either not yet delivered to the group (lag) or delivered and not acked (pending)
    expect(held!.lag! + held!.pending!).toBe(published);
    release();
    await eventually(() => handled === published);
    await eventually(async () => {
      await b.refreshLag();
      const [subscription] = b.stats().subscriptions;
      return subscription?.lag === 0 && subscription.pending === 0;
    });
    expect(b.stats().subscriptions[0]).toMatchObject({
      stream: 'orders.incoming',
      group: 'risk',
      acked: published,
    });
  });

  it('with retryForever, connect() waits for a Redis that comes up later', async () => {
    const later = await startPrivateRedis();
    await later.stopServer();
    const { logger, lines } = capturingLogger();
    try {
      const connecting = RedisBus.connect({ url: later.url, logger, retryForever: true, connectAttempts: 1 });
      let connected = false;
      void connecting.then(() => (connected = true));
      await new Promise((r) => setTimeout(r, 400));
      expect(connected).toBe(false);
      await later.start();
      const b = await connecting;
      await b.close();
      expect(lines.filter((l) => l.includes('Redis unreachable'))).toHaveLength(1);
    } finally {
      await later.stop();
    }
  });
});
