// The WebSocket gateway end to end on loopback: real `ws` clients, the in-process bus, port 0.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, type ClientOptions, type RawData } from 'ws';
import { MemoryBus } from '../bus/memory.ts';
import { Streams } from '../common/topics.ts';
import {
  clientOrderId,
  instrumentId,
  strategyId,
  tradeId,
  venueId,
  venueOrderId,
  type Alert,
  type Bar,
  type BookSnapshot,
  type OptionGreeks,
  type OrderAccepted,
  type OrderDenied,
  type OrderFilled,
  type QuoteTick,
} from '../model/index.ts';
import type { WsGatewayConfigInput } from './ws-gateway-config.ts';
import { startWsGateway, type WsGateway } from './ws-gateway.ts';

interface Frame {
  readonly type: string;
  readonly channel?: string;
  readonly channels?: readonly string[];
  readonly data?: unknown;
  readonly reason?: string;
  readonly message?: string;
  readonly count?: number;
  readonly id?: unknown;
}

const AAPL = instrumentId('AAPL', 'SIM-A');
const MSFT = instrumentId('MSFT', 'SIM-A');

function quote(sequence: number, instrument = AAPL): QuoteTick {
  return {
    type: 'quote',
    instrumentId: instrument,
    bid: 100 + sequence / 100,
    ask: 100.02 + sequence / 100,
    bidSize: 100,
    askSize: 120,
    tsEvent: sequence,
    tsInit: sequence,
  };
}

function book(sequence: number, depth = 5): BookSnapshot {
  const bids = [];
  const asks = [];
  for (let i = 0; i < depth; i++) {
    bids.push({ price: 99.99 - i / 100, size: 100 + i });
    asks.push({ price: 100.01 + i / 100, size: 100 + i });
  }
  return { type: 'book', instrumentId: AAPL, bids, asks, sequence, tsEvent: sequence, tsInit: sequence };
}

function bar(sequence: number): Bar {
  return {
    type: 'bar',
    instrumentId: AAPL,
    timeframe: '1m',
    open: 100,
    high: 101,
    low: 99,
    close: 100 + sequence,
    volume: 10,
    tsEvent: sequence,
    tsInit: sequence,
  };
}

function greeks(delta: number): OptionGreeks {
  return {
    type: 'greeks',
    instrumentId: instrumentId('AAPL240119C150', 'SIM-A'),
    underlyingId: AAPL,
    underlyingPrice: 150,
    model: 'bsm',
    price: 5,
    volatility: 0.3,
    delta,
    gamma: 0.01,
    vega: 0.2,
    theta: -0.05,
    rho: 0.1,
    dividendRho: -0.1,
    tsEvent: 1,
    tsInit: 1,
  };
}

function accepted(sequence: number, padding = 0): OrderAccepted {
  return {
    type: 'order_accepted',
    clientOrderId: clientOrderId(`order-${sequence}${'x'.repeat(padding)}`),
    strategyId: strategyId('test'),
    instrumentId: AAPL,
    venue: venueId('SIM-A'),
    venueOrderId: venueOrderId(`v-${sequence}`),
    tsEvent: sequence,
    tsInit: sequence,
  };
}

function denied(sequence: number): OrderDenied {
  return {
    type: 'order_denied',
    clientOrderId: clientOrderId(`denied-${sequence}`),
    strategyId: strategyId('test'),
    instrumentId: AAPL,
    command: 'submit_order',
    reason: 'RISK_MAX_NOTIONAL',
    message: 'too big',
    tsEvent: sequence,
    tsInit: sequence,
  };
}

function filled(sequence: number): OrderFilled {
  return {
    type: 'order_filled',
    clientOrderId: clientOrderId(`order-${sequence}`),
    strategyId: strategyId('test'),
    instrumentId: AAPL,
    venue: venueId('SIM-A'),
    venueOrderId: venueOrderId(`v-${sequence}`),
    tradeId: tradeId(`t-${sequence}`),
    side: 'buy',
    lastQuantity: 10,
    lastPrice: 100,
    fee: 0.1,
    feeCurrency: 'USD',
    liquidity: 'taker',
    leavesQuantity: 0,
    tsEvent: sequence,
    tsInit: sequence,
  };
}

function alert(sequence: number): Alert {
  return {
    type: 'alert',
    severity: 'warning',
    code: 'OPS_HANDLER_ERROR',
    source: 'test',
    message: `alert ${sequence}`,
    tsEvent: sequence,
  };
}

async function waitUntil(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** A real `ws` client that records every frame it receives. */
class TestClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private cursor = 0;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: RawData) =>
      this.frames.push(JSON.parse((data as Buffer).toString()) as Frame),
    );
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  static open(port: number, options: ClientOptions = {}): Promise<TestClient> {
    const client = new TestClient(new WebSocket(`ws://127.0.0.1:${port}/`, options));
    clients.push(client);
    return new Promise((resolve, reject) => {
      client.socket.once('open', () => resolve(client));
      client.socket.once('error', reject);
    });
  }

  send(request: unknown): void {
    this.socket.send(typeof request === 'string' ? request : JSON.stringify(request));
  }

  /** The next frame (after the last one returned) that matches, waiting for it if needed. */
  async next(match: (frame: Frame) => boolean, what: string): Promise<Frame> {
    let found: Frame | undefined;
    await waitUntil(() => {
      for (; this.cursor < this.frames.length; this.cursor++) {
        const frame = this.frames[this.cursor]!;
        if (match(frame)) {
          found = frame;
          this.cursor++;
          return true;
        }
      }
      return false;
    }, what);
    return found!;
  }

  /** Sends a ping and waits for its pong: every frame the server sent before it has arrived. */
  async roundTrip(): Promise<void> {
    const id = `sync-${this.frames.length}-${Math.random()}`;
    this.send({ op: 'ping', id });
    await this.next((f) => f.type === 'pong' && f.id === id, 'pong');
  }

  updates(channel: string): unknown[] {
    return this.frames.filter((f) => f.type === 'update' && f.channel === channel).map((f) => f.data);
  }
}

const gateways: WsGateway[] = [];
const clients: TestClient[] = [];
let instance = 0;

async function start(bus: MemoryBus, config: WsGatewayConfigInput = {}): Promise<WsGateway> {
  const gateway = await startWsGateway(bus, {
    port: 0,
    host: '127.0.0.1',
    instanceId: `test-${++instance}`,
    heartbeatIntervalMs: 60_000,
    closeGraceMs: 500,
    ...config,
  });
  gateways.push(gateway);
  return gateway;
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.socket.terminate();
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

describe('ws gateway protocol', () => {
  it('answers ping with pong (echoing the id), subscribe with subscribed + snapshot, then updates', async () => {
    const bus = new MemoryBus();
    const gateway = await start(bus);
    const client = await TestClient.open(gateway.port);

    client.send({ op: 'ping' });
    expect(await client.next((f) => f.type === 'pong', 'pong')).toEqual({ type: 'pong' });
    client.send({ op: 'ping', id: 7 });
    expect(await client.next((f) => f.type === 'pong', 'pong 7')).toEqual({ type: 'pong', id: 7 });

    client.send({ op: 'subscribe', channels: ['ticks:AAPL.SIM-A'], id: 'a' });
    expect(await client.next((f) => f.type === 'subscribed', 'subscribed')).toEqual({
      type: 'subscribed',
      channels: ['ticks:AAPL.SIM-A'],
      id: 'a',
    });
    // Nothing published yet: the snapshot says so with null.
    expect(await client.next((f) => f.type === 'snapshot', 'snapshot')).toEqual({
      type: 'snapshot',
      channel: 'ticks:AAPL.SIM-A',
      data: null,
    });
    bus.publish(Streams.ticks, quote(1));
    bus.publish(Streams.ticks, quote(2, MSFT)); // another instrument: not for this client
    bus.publish(Streams.ticks, quote(3));
    await client.roundTrip();
    expect(client.updates('ticks:AAPL.SIM-A')).toEqual([quote(1), quote(3)]);
    expect(client.frames.filter((f) => f.channel === 'ticks:MSFT.SIM-A')).toEqual([]);
    expect(gateway.stats()).toMatchObject({ clients: 1, subscriptions: 1, messagesIn: 3 });
  });

  it('sends the last tick, book and greeks, the last N candles and the recent N events as snapshots', async () => {
    const bus = new MemoryBus();
    const gateway = await start(bus, { timeframes: ['1m'], snapshotCandles: 2, snapshotEvents: 3 });
    bus.publish(Streams.ticks, quote(1));
    bus.publish(Streams.ticks, quote(2));
    bus.publish(Streams.books, book(1));
    bus.publish(Streams.greeks, greeks(0.4));
    bus.publish(Streams.greeks, greeks(0.5));
    for (let i = 1; i <= 3; i++) bus.publish(Streams.candles('1m'), bar(i));
    bus.publish(Streams.ordersEvents, accepted(1));
    bus.publish(Streams.ordersRejected, denied(2));
    bus.publish(Streams.ordersEvents, accepted(3));
    bus.publish(Streams.ordersEvents, accepted(4));
    bus.publish(Streams.fills, filled(1));
    bus.publish(Streams.alerts, alert(1));

    const client = await TestClient.open(gateway.port);
    const channels = [
      'ticks:AAPL.SIM-A',
      'book:AAPL.SIM-A',
      'greeks:AAPL240119C150.SIM-A',
      'candles:1m:AAPL.SIM-A',
      'orders',
      'fills',
      'alerts',
    ];
    client.send({ op: 'subscribe', channels });
    expect((await client.next((f) => f.type === 'subscribed', 'subscribed')).channels).toEqual(channels);
    const snapshots = new Map<string, unknown>();
    for (let i = 0; i < channels.length; i++) {
      const frame = await client.next((f) => f.type === 'snapshot', 'snapshot');
      snapshots.set(frame.channel!, frame.data);
    }
    expect(snapshots.get('ticks:AAPL.SIM-A')).toEqual(quote(2));
    expect(snapshots.get('book:AAPL.SIM-A')).toEqual(book(1));
    expect(snapshots.get('greeks:AAPL240119C150.SIM-A')).toEqual(greeks(0.5));
    expect(snapshots.get('candles:1m:AAPL.SIM-A')).toEqual([bar(2), bar(3)]); // last 2, oldest first
    // orders.events and orders.rejected both feed `orders`; the last 3 of 4, oldest first.
    expect(snapshots.get('orders')).toEqual([denied(2), accepted(3), accepted(4)]);
    expect(snapshots.get('fills')).toEqual([filled(1)]);
    expect(snapshots.get('alerts')).toEqual([alert(1)]);

    bus.publish(Streams.candles('1m'), bar(4));
    bus.publish(Streams.ordersEvents, accepted(5));
    bus.publish(Streams.fills, filled(2));
    await client.roundTrip();
    expect(client.updates('candles:1m:AAPL.SIM-A')).toEqual([bar(4)]);
    expect(client.updates('orders')).toEqual([accepted(5)]);
    expect(client.updates('fills')).toEqual([filled(2)]);
    expect(client.updates('ticks:AAPL.SIM-A')).toEqual([]);
  });

  it('stops updates of a channel after unsubscribe and keeps the others', async () => {
    const bus = new MemoryBus();
    const gateway = await start(bus);
    const client = await TestClient.open(gateway.port);
    client.send({ op: 'subscribe', channels: ['ticks:AAPL.SIM-A', 'ticks:MSFT.SIM-A'] });
    await client.roundTrip();
    bus.publish(Streams.ticks, quote(1));
    client.send({ op: 'unsubscribe', channels: ['ticks:AAPL.SIM-A', 'ticks:JPM.SIM-A'], id: 2 });
    // JPM was never subscribed: only AAPL is reported removed.
    expect(await client.next((f) => f.type === 'unsubscribed', 'unsubscribed')).toEqual({
      type: 'unsubscribed',
      channels: ['ticks:AAPL.SIM-A'],
      id: 2,
    });
    bus.publish(Streams.ticks, quote(2));
    bus.publish(Streams.ticks, quote(3, MSFT));
    await client.roundTrip();
    expect(client.updates('ticks:AAPL.SIM-A')).toEqual([quote(1)]);
    expect(client.updates('ticks:MSFT.SIM-A')).toEqual([quote(3, MSFT)]);
    expect(gateway.stats().subscriptions).toBe(1);
  });

  it('answers malformed JSON, unknown ops and unknown channels with error frames and stays up', async () => {
    const bus = new MemoryBus();
    const gateway = await start(bus, { timeframes: ['1m'], maxSubscriptionsPerClient: 2 });
    const client = await TestClient.open(gateway.port);
    const error = () => client.next((f) => f.type === 'error', 'error frame');

    client.send('{"op": "subscribe", ');
    expect(await error()).toMatchObject({ reason: 'WS_MALFORMED_JSON' });
    client.send('[1, 2]');
    expect(await error()).toMatchObject({ reason: 'WS_INVALID_REQUEST' });
    client.send({ op: 'subscribe', channels: 'ticks:AAPL.SIM-A' });
    expect(await error()).toMatchObject({ reason: 'WS_INVALID_REQUEST' });
    client.send({ op: 'teleport', id: 'x' });
    expect(await error()).toMatchObject({ reason: 'WS_UNKNOWN_OP', id: 'x' });
    client.socket.send(Buffer.from([1, 2, 3]));
    expect(await error()).toMatchObject({ reason: 'WS_BINARY_FRAME' });

    // Unknown prefix, a timeframe not configured, a malformed instrument: one error naming all three; the
    // valid channel in the same request is subscribed.
    client.send({
      op: 'subscribe',
      channels: ['weather:London', 'candles:5m:AAPL.SIM-A', 'ticks:no-venue', 'ticks:AAPL.SIM-A'],
    });
    expect(await client.next((f) => f.type === 'subscribed', 'subscribed')).toMatchObject({
      channels: ['ticks:AAPL.SIM-A'],
    });
    expect(await error()).toMatchObject({
      reason: 'WS_UNKNOWN_CHANNEL',
      channels: ['weather:London', 'candles:5m:AAPL.SIM-A', 'ticks:no-venue'],
    });

    // Limit 2: one more fits, the third is refused.
    client.send({ op: 'subscribe', channels: ['orders', 'fills'] });
    expect(await client.next((f) => f.type === 'subscribed', 'subscribed')).toMatchObject({
      channels: ['orders'],
    });
    expect(await error()).toMatchObject({ reason: 'WS_TOO_MANY_SUBSCRIPTIONS', channels: ['fills'] });

    await client.roundTrip();
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
    expect(gateway.stats()).toMatchObject({ clients: 1, subscriptions: 2, errorsSent: 7 });
  });

  it('closes a client sending more bad frames a second than allowed with 1008', async () => {
    const bus = new MemoryBus();
    const gateway = await start(bus, { maxBadFramesPerSecond: 3 });
    const client = await TestClient.open(gateway.port);
    for (let i = 0; i < 10; i++) client.send('not json');
    expect(await client.closed).toEqual({ code: 1008, reason: 'too many bad frames' });
    // Three error frames, then the close: the fourth bad frame is over the limit.
    expect(client.frames.map((f) => f.reason)).toEqual([
      'WS_MALFORMED_JSON',
      'WS_MALFORMED_JSON',
      'WS_MALFORMED_JSON',
    ]);
    expect(gateway.stats().closedAbuse).toBe(1);
  });

  it('closes a client sending more frames a second than allowed with 1008', async () => {
    const bus = new MemoryBus();
    const gateway = await start(bus, { maxFramesPerSecond: 5 });
    const client = await TestClient.open(gateway.port);
    for (let i = 0; i < 10; i++) client.send({ op: 'ping' });
    expect(await client.closed).toEqual({ code: 1008, reason: 'too many frames per second' });
    expect(client.frames.filter((f) => f.type === 'pong').length).toBe(5);
  });

  it('survives garbage: non-HTTP bytes, invalid UTF-8 in a text frame (1007), a peer vanishing', async () => {
    const bus = new MemoryBus();
    const gateway = await start(bus);
    const raw = connect(gateway.port, '127.0.0.1');
    await new Promise((resolve) => raw.once('connect', resolve));
    raw.on('error', () => undefined);
    raw.end(Buffer.from([0xff, 0x00, 0x13, 0x37, 0x0d, 0x0a, 0x0d, 0x0a]));
    await new Promise((resolve) => raw.once('close', resolve));

    const invalid = await TestClient.open(gateway.port);
    invalid.socket.send(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), { binary: false });
    expect((await invalid.closed).code).toBe(1007);

    const vanishing = await TestClient.open(gateway.port);
    vanishing.send({ op: 'subscribe', channels: ['ticks:AAPL.SIM-A'] });
    await vanishing.roundTrip();
    vanishing.socket.terminate();
    for (let i = 1; i <= 100; i++) bus.publish(Streams.ticks, quote(i));

    const healthy = await TestClient.open(gateway.port);
    healthy.send({ op: 'subscribe', channels: ['ticks:AAPL.SIM-A'] });
    expect(await healthy.next((f) => f.type === 'snapshot', 'snapshot')).toMatchObject({ data: quote(100) });
    await waitUntil(() => gateway.stats().clients === 1, 'only the healthy client left');
  });

  it('serves GET /health with the counters', async () => {
    const bus = new MemoryBus();
    const gateway = await start(bus);
    const client = await TestClient.open(gateway.port);
    client.send({ op: 'subscribe', channels: ['ticks:AAPL.SIM-A'] });
    await client.roundTrip();
    bus.publish(Streams.ticks, quote(1));
    await client.roundTrip();
    const response = await fetch(`http://127.0.0.1:${gateway.port}/health`);
    expect(response.status).toBe(200);
    // Frames in: subscribe and two pings; out: subscribed, snapshot, the update, two pongs.
    expect(await response.json()).toMatchObject({
      status: 'ok',
      clients: 1,
      subscriptions: 1,
      messagesIn: 1,
      framesIn: 3,
      framesOut: 5,
      dropped: 0,
    });
    expect((await fetch(`http://127.0.0.1:${gateway.port}/nope`)).status).toBe(404);
  });

  it('writes to clients after the publisher turn: other consumers of the in-process bus never wait on it', async () => {
    const bus = new MemoryBus();
    const gateway = await start(bus);
    const client = await TestClient.open(gateway.port);
    client.send({ op: 'subscribe', channels: ['ticks:AAPL.SIM-A'] });
    await client.roundTrip();
    const before = gateway.stats().framesOut;
    const seenByStrategy: number[] = [];
    bus.subscribe(Streams.ticks, 'strategy', () => {
      seenByStrategy.push(gateway.stats().framesOut);
    });
    bus.publish(Streams.ticks, quote(1));
    bus.publish(Streams.ticks, quote(2));
    // Both ticks reached the other consumer before the gateway wrote a frame ...
    expect(seenByStrategy).toEqual([before, before]);
    expect(gateway.stats().messagesIn).toBe(2);
    // ... and the client still gets both, in order.
    await client.roundTrip();
    expect(client.updates('ticks:AAPL.SIM-A')).toEqual([quote(1), quote(2)]);
  });

  it('fans every message out to every gateway instance on one bus (a group each)', async () => {
    const bus = new MemoryBus();
    const first = await start(bus, { instanceId: 'one' });
    const second = await start(bus, { instanceId: 'two' });
    await expect(start(bus, { instanceId: 'one' })).rejects.toThrow(/instance "one" already runs/);
    const a = await TestClient.open(first.port);
    const b = await TestClient.open(second.port);
    for (const client of [a, b]) {
      client.send({ op: 'subscribe', channels: ['ticks:AAPL.SIM-A'] });
      await client.roundTrip();
    }
    for (let i = 1; i <= 4; i++) bus.publish(Streams.ticks, quote(i));
    await a.roundTrip();
    await b.roundTrip();
    expect(a.updates('ticks:AAPL.SIM-A')).toEqual([quote(1), quote(2), quote(3), quote(4)]);
    expect(b.updates('ticks:AAPL.SIM-A')).toEqual([quote(1), quote(2), quote(3), quote(4)]);
  });
});

describe('ws gateway limits', () => {
  it('refuses an origin not on the allow-list with 403 at the upgrade', async () => {
    const bus = new MemoryBus();
    const gateway = await start(bus, { allowedOrigins: ['https://desk.example'] });
    const status = await new Promise<number>((resolve) => {
      const socket = new WebSocket(`ws://127.0.0.1:${gateway.port}/`, { origin: 'https://evil.example' });
      socket.on('unexpected-response', (request, response) => {
        resolve(response.statusCode ?? 0);
        request.destroy();
      });
      socket.on('error', () => undefined);
    });
    expect(status).toBe(403);
    const allowed = await TestClient.open(gateway.port, { origin: 'https://desk.example' });
    expect(allowed.socket.readyState).toBe(WebSocket.OPEN);
    expect(gateway.stats()).toMatchObject({ rejectedOrigin: 1, clients: 1 });

    const open = await start(bus, { allowedOrigins: ['*'], allowMissingOrigin: false });
    const anyOrigin = await TestClient.open(open.port, { origin: 'https://anything.example' });
    expect(anyOrigin.socket.readyState).toBe(WebSocket.OPEN);
    await expect(TestClient.open(open.port)).rejects.toThrow(/403/);
  });

  it('closes a client sending a frame over maxMessageBytes with 1009', async () => {
    const bus = new MemoryBus();
    const gateway = await start(bus, { maxMessageBytes: 1024 });
    const client = await TestClient.open(gateway.port);
    client.send({ op: 'subscribe', channels: ['x'.repeat(2000)] });
    expect((await client.closed).code).toBe(1009);
    await waitUntil(() => gateway.stats().clients === 0, 'client gone');
    expect(gateway.stats().closedOversize).toBe(1);
  });

  it('closes connections beyond maxClients with 1013 and keeps the others', async () => {
    const bus = new MemoryBus();
    const gateway = await start(bus, { maxClients: 2 });
    const first = await TestClient.open(gateway.port);
    const second = await TestClient.open(gateway.port);
    const third = await TestClient.open(gateway.port);
    expect(await third.closed).toEqual({ code: 1013, reason: 'try again later' });
    await first.roundTrip();
    await second.roundTrip();
    expect(gateway.stats()).toMatchObject({ clients: 2, rejectedFull: 1 });
  });

  it('terminates a client that stops answering heartbeat pings, keeps one that answers', async () => {
    const bus = new MemoryBus();
    const gateway = await start(bus, { heartbeatIntervalMs: 40 });
    const silent = await TestClient.open(gateway.port, { autoPong: false });
    const healthy = await TestClient.open(gateway.port);
    // No close frame: a dead peer cannot answer one, so the socket is dropped (1006 at the client).
    expect((await silent.closed).code).toBe(1006);
    expect(gateway.stats().closedHeartbeat).toBe(1);
    // The healthy client has answered pings across several more intervals.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await healthy.roundTrip();
    expect(healthy.socket.readyState).toBe(WebSocket.OPEN);
    expect(gateway.stats()).toMatchObject({ clients: 1, closedHeartbeat: 1 });
  });
});

describe('ws gateway slow consumers', () => {
  it('conflates and finally closes (4008) a client that stops reading, while a fast one gets every update in order', async () => {
    const bus = new MemoryBus();
    const gateway = await start(bus, {
      maxBufferedBytes: 64 * 1024,
      slowConsumerMs: 300,
      drainIntervalMs: 5,
      closeGraceMs: 10_000,
    });
    const channels = ['ticks:AAPL.SIM-A', 'book:AAPL.SIM-A'];
    const fast = await TestClient.open(gateway.port);
    const slow = await TestClient.open(gateway.port);
    for (const client of [fast, slow]) {
      client.send({ op: 'subscribe', channels });
      await client.roundTrip();
    }
    slow.socket.pause(); // its socket is never read: the kernel buffers fill, then the gateway's queue

    let sequence = 0;
    const batches = { count: 0 };
    while (gateway.stats().closedSlow === 0) {
      if (++batches.count > 5000) throw new Error('slow client never closed');
      for (let i = 0; i < 50; i++) {
        bus.publish(Streams.ticks, quote(++sequence));
        if (i % 5 === 0) bus.publish(Streams.books, book(sequence, 20));
      }
      const expected = sequence;
      await waitUntil(
        () => (fast.updates('ticks:AAPL.SIM-A').at(-1) as QuoteTick | undefined)?.tsEvent === expected,
        `fast client at tick ${expected}`,
      );
    }
    // The publish path never waited on the slow client: every tick reached the gateway ...
    const stats = gateway.stats();
    expect(stats.messagesIn).toBe(sequence + sequence / 5);
    // ... and the fast client got every one, in order.
    const fastTicks = fast.updates('ticks:AAPL.SIM-A') as QuoteTick[];
    expect(fastTicks.length).toBe(sequence);
    expect(fastTicks.every((t, i) => t.tsEvent === i + 1)).toBe(true);
    expect(stats.conflated).toBeGreaterThan(0);
    expect(stats.closedSlow).toBe(1);

    // The slow client, reading again, finds what was sent before the close (in order, with gaps where
    // updates were conflated) and then the close frame.
    slow.socket.resume();
    expect(await slow.closed).toEqual({ code: 4008, reason: 'slow consumer' });
    const slowTicks = (slow.updates('ticks:AAPL.SIM-A') as QuoteTick[]).map((t) => t.tsEvent);
    expect(slowTicks.length).toBeLessThan(sequence);
    expect(slowTicks.every((t, i) => i === 0 || t > slowTicks[i - 1]!)).toBe(true);
    await fast.roundTrip();
    expect(gateway.stats().clients).toBe(1);
  });

  it('drops the oldest queued events of a client that falls behind and says how many', async () => {
    const bus = new MemoryBus();
    const gateway = await start(bus, {
      maxBufferedBytes: 16 * 1024,
      maxQueuedEvents: 20,
      slowConsumerMs: 60_000,
      drainIntervalMs: 5,
    });
    const client = await TestClient.open(gateway.port);
    client.send({ op: 'subscribe', channels: ['orders'] });
    await client.roundTrip();
    client.socket.pause();
    let sequence = 0;
    while (gateway.stats().dropped < 50) {
      if (sequence > 500_000) throw new Error('no event was ever dropped');
      for (let i = 0; i < 100; i++) bus.publish(Streams.ordersEvents, accepted(++sequence, 400));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const dropped = gateway.stats().dropped;
    client.socket.resume();
    await waitUntil(
      () => (client.updates('orders').at(-1) as OrderAccepted | undefined)?.tsEvent === sequence,
      'the last event',
    );
    const notices = client.frames.filter((f) => f.type === 'dropped');
    const received = (client.updates('orders') as OrderAccepted[]).map((e) => e.tsEvent);
    // Every event arrives or is counted in a `dropped` notice; what arrives is in order.
    expect(notices.reduce((sum, n) => sum + (n.count ?? 0), 0)).toBe(dropped);
    expect(notices.every((n) => n.channel === 'orders')).toBe(true);
    expect(received.length + dropped).toBe(sequence);
    expect(received.every((t, i) => i === 0 || t > received[i - 1]!)).toBe(true);
    expect(gateway.stats().conflated).toBe(0);
  });
});
