// The WebSocket gateway (:8765): fans bus streams out to browser and desktop clients (docs/ws-protocol.md),
// with per-client conflation and bounded queues so a slow client never stalls the others, heartbeats, limits,
// and `GET /health` on the same port.

import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Bus, Subscription } from '../common/bus.ts';
import { parseConfig } from '../common/config.ts';
import { createLogger, type Logger } from '../common/logging.ts';
import { Streams } from '../common/topics.ts';
import { parseInstrumentId } from '../model/index.ts';
import {
  WsGatewayConfigSchema,
  type WsGatewayConfig,
  type WsGatewayConfigInput,
} from './ws-gateway-config.ts';

/** Reason codes of `error` frames, stable like the catalogue in common/errors.ts. */
export const WsErrorReasons = {
  WS_MALFORMED_JSON: 'the frame is not valid JSON',
  WS_BINARY_FRAME: 'binary frames are not part of the protocol: send JSON text',
  WS_INVALID_REQUEST: 'not a request object: {"op": ..., "channels": [...]} expected',
  WS_UNKNOWN_OP: 'op is not one of subscribe, unsubscribe, ping',
  WS_UNKNOWN_CHANNEL: 'no such channel (or a timeframe or instrument this gateway does not serve)',
  WS_TOO_MANY_SUBSCRIPTIONS: 'subscription limit per connection reached',
} as const;
export type WsErrorReason = keyof typeof WsErrorReasons;

/** Close codes the gateway uses (RFC 6455 §7.4.1 and the 4000–4999 private range). */
export const WsCloseCodes = {
  goingAway: 1001,
  policyViolation: 1008,
  messageTooBig: 1009,
  tryAgainLater: 1013,
  slowConsumer: 4008,
} as const;

export interface WsGatewayStats {
  /** Open connections. */
  readonly clients: number;
  /** Channel subscriptions over all connections. */
  readonly subscriptions: number;
  readonly connectionsAccepted: number;
  /** Upgrades refused with 403 (origin not allowed). */
  readonly rejectedOrigin: number;
  /** Upgrades refused with 401 (no valid ticket, token or session). */
  readonly rejectedAuth: number;
  /** Connections closed with 1013 because `maxClients` were open. */
  readonly rejectedFull: number;
  /** Messages received from the bus. */
  readonly messagesIn: number;
  /** Bus messages skipped: no instrument id, an instrument not served, or not serializable. */
  readonly messagesIgnored: number;
  /** Frames received from clients. */
  readonly framesIn: number;
  /** Frames written to clients (updates, snapshots, replies). */
  readonly framesOut: number;
  /** Keyed updates replaced by a newer one before a slow client could take them. */
  readonly conflated: number;
  /** Event updates (orders, fills, alerts) dropped from a full per-client queue. */
  readonly dropped: number;
  readonly errorsSent: number;
  /** Connections now holding queued updates (over `maxBufferedBytes`). */
  readonly backlogged: number;
  readonly closedSlow: number;
  readonly closedHeartbeat: number;
  readonly closedAbuse: number;
  readonly closedOversize: number;
}

/**
 * Decides whether an upgrade may connect (a one-time ticket, a bearer token, a session cookie: see
 * auth.ts wsAuthenticator); anything but undefined admits it. Without one, every allowed origin connects.
 */
export type WsAuthenticate = (request: IncomingMessage) => Promise<unknown>;

export interface WsGatewayOptions {
  readonly authenticate?: WsAuthenticate;
}

export interface WsGateway {
  readonly port: number;
  stats(): WsGatewayStats;
  close(): Promise<void>;
}

const SEND_TEXT = { binary: false } as const;
const MAX_CHANNEL_NAME = 128;
const INSTRUMENT = /^[!-~]{1,64}$/;
const MAX_REQUEST_ID = 64;

/** A channel clients subscribe to, and what it remembers for snapshots. */
class Channel {
  readonly subscribers: ClientState[] = [];
  readonly nameJson: string;
  /** Ticks, books, greeks: the last message, and its JSON once needed. */
  last: unknown = undefined;
  lastJson: string | undefined = undefined;

  constructor(
    readonly name: string,
    /** Conflated per client (only the latest pending update kept); otherwise an event channel. */
    readonly keyed: boolean,
    /** Candles and events: the most recent N payloads (JSON) for the snapshot. */
    readonly history: JsonRing | undefined,
    /** The map this channel lives in and its key there, to forget it when unused. */
    readonly home: Map<string, Channel> | undefined,
    readonly key: string,
  ) {
    this.nameJson = JSON.stringify(name);
  }

  snapshotJson(): string {
    if (this.history) return this.history.toJsonArray();
    if (this.last === undefined) return 'null';
    this.lastJson ??= JSON.stringify(this.last);
    return this.lastJson;
  }

  get empty(): boolean {
    return this.subscribers.length === 0 && this.last === undefined && (this.history?.size ?? 0) === 0;
  }
}

/** A fixed-capacity ring of JSON strings, oldest overwritten. */
class JsonRing {
  private readonly items: string[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.items.length;
  }

  push(json: string): void {
    if (this.capacity === 0) return;
    if (this.items.length < this.capacity) this.items.push(json);
    else {
      this.items[this.next] = json;
      this.next = (this.next + 1) % this.capacity;
    }
  }

  toJsonArray(): string {
    if (this.items.length < this.capacity || this.next === 0) return `[${this.items.join(',')}]`;
    return `[${this.items.slice(this.next).join(',')},${this.items.slice(0, this.next).join(',')}]`;
  }
}

interface Corkable {
  cork(): void;
  uncork(): void;
}

/** One connection: its subscriptions, pending updates and limits. */
class ClientState {
  readonly channels = new Set<Channel>();
  closing = false;
  alive = true;
  /** When `bufferedAmount` was first seen over the limit (ms), 0 when under. */
  overSince = 0;
  /** Keyed channels: the latest pending update each (Map order: first queued first). */
  readonly pendingKeyed = new Map<Channel, Buffer>();
  /** Event channels: a ring of pending updates, allocated when first needed. */
  eventFrames: (Buffer | undefined)[] | undefined = undefined;
  eventChannels: (Channel | undefined)[] | undefined = undefined;
  eventHead = 0;
  eventCount = 0;
  droppedByChannel: Map<Channel, number> | undefined = undefined;
  windowStart = 0;
  framesInWindow = 0;
  badInWindow = 0;
  closeTimer: NodeJS.Timeout | undefined = undefined;
  /** Its TCP socket, corked while one burst of updates is written (one write system call, not one a frame). */
  readonly raw: Corkable | undefined;
  corked = false;

  constructor(
    readonly id: number,
    readonly socket: WebSocket,
    readonly remote: string,
  ) {
    // ws keeps the socket private; without it (another ws version) frames are simply written one by one.
    const raw = (socket as unknown as { readonly _socket?: Partial<Corkable> })._socket;
    this.raw =
      typeof raw?.cork === 'function' && typeof raw.uncork === 'function' ? (raw as Corkable) : undefined;
  }

  get pending(): number {
    return this.pendingKeyed.size + this.eventCount + (this.droppedByChannel?.size ?? 0);
  }

  clearPending(): void {
    this.pendingKeyed.clear();
    this.eventFrames = undefined;
    this.eventChannels = undefined;
    this.eventHead = 0;
    this.eventCount = 0;
    this.droppedByChannel = undefined;
  }
}

/** Groups already subscribed per bus in this process: two gateways sharing one would split the messages. */
const activeInstances = new WeakMap<Bus, Set<string>>();

function rawToText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function normalizeOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
}

function ignoreError(): void {
  // Socket errors end in a 'close' that does the clean-up; nothing to add here.
}

class Gateway {
  readonly counters = {
    connectionsAccepted: 0,
    rejectedOrigin: 0,
    rejectedAuth: 0,
    rejectedFull: 0,
    messagesIn: 0,
    messagesIgnored: 0,
    framesIn: 0,
    framesOut: 0,
    conflated: 0,
    dropped: 0,
    errorsSent: 0,
    closedSlow: 0,
    closedHeartbeat: 0,
    closedAbuse: 0,
    closedOversize: 0,
  };
  private subscriptionCount = 0;
  private readonly clients = new Set<ClientState>();
  private readonly backlogged = new Set<ClientState>();
  private readonly corked: ClientState[] = [];
  private readonly inboxChannels: (Channel | undefined)[] = [];
  private readonly inboxMessages: unknown[] = [];
  private inboxSize = 0;
  private inboxScheduled = false;
  private uncorkScheduled = false;
  private nextClientId = 1;
  private readonly tickChannels = new Map<string, Channel>();
  private readonly bookChannels = new Map<string, Channel>();
  private readonly greeksChannels = new Map<string, Channel>();
  private readonly candleChannels = new Map<string, Map<string, Channel>>();
  private readonly orders: Channel;
  private readonly fills: Channel;
  private readonly alerts: Channel;
  private readonly instruments: ReadonlySet<string>;
  private readonly origins: ReadonlySet<string>;
  private readonly anyOrigin: boolean;
  private readonly busSubscriptions: Subscription[] = [];
  private drainTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private closed = false;
  readonly wss: WebSocketServer;

  constructor(
    private readonly bus: Bus,
    readonly config: WsGatewayConfig,
    private readonly logger: Logger,
    private readonly authenticate: WsAuthenticate | undefined = undefined,
  ) {
    this.orders = new Channel('orders', false, new JsonRing(config.snapshotEvents), undefined, 'orders');
    this.fills = new Channel('fills', false, new JsonRing(config.snapshotEvents), undefined, 'fills');
    this.alerts = new Channel('alerts', false, new JsonRing(config.snapshotEvents), undefined, 'alerts');
    for (const timeframe of config.timeframes) this.candleChannels.set(timeframe, new Map());
    this.instruments = new Set(config.instruments);
    this.origins = new Set(config.allowedOrigins.map(normalizeOrigin));
    this.anyOrigin = this.origins.has('*');
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: config.maxMessageBytes,
    });
  }

  // ---- bus side ----

  subscribeBus(): void {
    const group = `ws-gateway:${this.config.instanceId}`;
    const bus = this.bus;
    const subs = this.busSubscriptions;
    subs.push(bus.subscribe(Streams.ticks, group, (m) => this.onKeyed(this.tickChannels, 'ticks:', m)));
    subs.push(bus.subscribe(Streams.books, group, (m) => this.onKeyed(this.bookChannels, 'book:', m)));
    subs.push(bus.subscribe(Streams.greeks, group, (m) => this.onKeyed(this.greeksChannels, 'greeks:', m)));
    for (const [timeframe, channels] of this.candleChannels)
      subs.push(
        bus.subscribe(Streams.candles(timeframe), group, (m) =>
          this.onCandle(channels, `candles:${timeframe}:`, m),
        ),
      );
    subs.push(bus.subscribe(Streams.ordersEvents, group, (m) => this.onEvent(this.orders, m)));
    subs.push(bus.subscribe(Streams.ordersRejected, group, (m) => this.onEvent(this.orders, m)));
    subs.push(bus.subscribe(Streams.fills, group, (m) => this.onEvent(this.fills, m)));
    subs.push(bus.subscribe(Streams.alerts, group, (m) => this.onEvent(this.alerts, m)));
  }

  private instrumentServed(id: string): boolean {
    if (this.instruments.size > 0) return this.instruments.has(id);
    return INSTRUMENT.test(id) && parseInstrumentId(id) !== undefined;
  }

  private channelFor(
    map: Map<string, Channel>,
    prefix: string,
    id: string,
    history: number | undefined,
  ): Channel | undefined {
    const existing = map.get(id);
    if (existing) return existing;
    if (!this.instrumentServed(id)) return undefined;
    const channel = new Channel(
      prefix + id,
      true,
      history === undefined ? undefined : new JsonRing(history),
      map,
      id,
    );
    map.set(id, channel);
    return channel;
  }

  /** Ticks, books and greeks: remember the last, fan out (serialized once) if anyone listens. */
  private onKeyed(
    map: Map<string, Channel>,
    prefix: string,
    message: { readonly instrumentId?: unknown },
  ): void {
    this.counters.messagesIn++;
    const id = message.instrumentId;
    const channel = typeof id === 'string' ? this.channelFor(map, prefix, id, undefined) : undefined;
    if (!channel) {
      this.counters.messagesIgnored++;
      return;
    }
    channel.last = message;
    channel.lastJson = undefined;
    if (channel.subscribers.length > 0) this.enqueue(channel, message);
  }

  private onCandle(
    map: Map<string, Channel>,
    prefix: string,
    message: { readonly instrumentId?: unknown },
  ): void {
    this.counters.messagesIn++;
    const id = message.instrumentId;
    const channel =
      typeof id === 'string' ? this.channelFor(map, prefix, id, this.config.snapshotCandles) : undefined;
    if (!channel) {
      this.counters.messagesIgnored++;
      return;
    }
    this.enqueue(channel, message);
  }

  private onEvent(channel: Channel, message: unknown): void {
    this.counters.messagesIn++;
    this.enqueue(channel, message);
  }

  /**
   * The bus handler only notes the message: serializing and writing to clients happen in a microtask, after
   * the publisher's turn, so other consumers of the in-process bus (strategy, risk, OMS) never wait on fan-out.
   * Order is kept; a batch published in one turn is written to each socket in one system call.
   */
  private enqueue(channel: Channel, message: unknown): void {
    const slot = this.inboxSize++;
    this.inboxChannels[slot] = channel;
    this.inboxMessages[slot] = message;
    if (!this.inboxScheduled) {
      this.inboxScheduled = true;
      queueMicrotask(this.drainInbox);
    }
  }

  private readonly drainInbox = (): void => {
    try {
      for (let i = 0; i < this.inboxSize; i++) {
        const channel = this.inboxChannels[i] as Channel;
        const message = this.inboxMessages[i];
        this.inboxChannels[i] = undefined;
        this.inboxMessages[i] = undefined;
        const json = this.serialize(message);
        if (json === undefined) continue;
        if (channel.history) channel.history.push(json);
        else if (channel.last === message) channel.lastJson = json;
        if (channel.subscribers.length > 0) this.fanOut(channel, json);
      }
    } finally {
      this.inboxSize = 0;
      this.inboxScheduled = false;
    }
  };

  private serialize(message: unknown): string | undefined {
    try {
      return JSON.stringify(message);
    } catch {
      this.counters.messagesIgnored++;
      return undefined;
    }
  }

  private fanOut(channel: Channel, json: string): void {
    const frame = Buffer.from(`{"type":"update","channel":${channel.nameJson},"data":${json}}`);
    // Backwards: a client closed during delivery leaves the list only on its 'close' event, but stay safe.
    const subscribers = channel.subscribers;
    for (let i = subscribers.length - 1; i >= 0; i--) {
      const client = subscribers[i];
      if (client) this.deliver(client, channel, frame);
    }
  }

  // ---- per-client queue ----

  private deliver(client: ClientState, channel: Channel, frame: Buffer): void {
    if (client.closing) return;
    const under = client.socket.bufferedAmount < this.config.maxBufferedBytes;
    if (under && client.pending === 0) {
      this.write(client, frame);
      return;
    }
    if (channel.keyed) {
      if (client.pendingKeyed.has(channel)) this.counters.conflated++;
      client.pendingKeyed.set(channel, frame);
    } else this.enqueueEvent(client, channel, frame);
    if (under) this.flush(client, Date.now());
    else {
      if (client.overSince === 0) client.overSince = Date.now();
      this.markBacklogged(client);
    }
  }

  private enqueueEvent(client: ClientState, channel: Channel, frame: Buffer): void {
    const capacity = this.config.maxQueuedEvents;
    if (!client.eventFrames || !client.eventChannels) {
      client.eventFrames = new Array<Buffer | undefined>(capacity).fill(undefined);
      client.eventChannels = new Array<Channel | undefined>(capacity).fill(undefined);
      client.eventHead = 0;
      client.eventCount = 0;
    }
    if (client.eventCount === capacity) {
      const dropped = client.eventChannels[client.eventHead];
      if (dropped) {
        client.droppedByChannel ??= new Map();
        client.droppedByChannel.set(dropped, (client.droppedByChannel.get(dropped) ?? 0) + 1);
      }
      client.eventHead = (client.eventHead + 1) % capacity;
      client.eventCount--;
      this.counters.dropped++;
    }
    const slot = (client.eventHead + client.eventCount) % capacity;
    client.eventFrames[slot] = frame;
    client.eventChannels[slot] = channel;
    client.eventCount++;
  }

  private markBacklogged(client: ClientState): void {
    this.backlogged.add(client);
    this.drainTimer ??= setInterval(() => this.drainAll(), this.config.drainIntervalMs).unref();
  }

  private drainAll(): void {
    const now = Date.now();
    for (const client of this.backlogged) this.flush(client, now);
    if (this.backlogged.size === 0 && this.drainTimer) {
      clearInterval(this.drainTimer);
      this.drainTimer = undefined;
    }
  }

  /** Writes pending updates while the socket is under the limit: drop notices, events in order, then keyed. */
  private flush(client: ClientState, now: number): void {
    if (client.closing) {
      this.backlogged.delete(client);
      return;
    }
    const socket = client.socket;
    const limit = this.config.maxBufferedBytes;
    if (socket.bufferedAmount < limit && client.droppedByChannel) {
      for (const [channel, count] of client.droppedByChannel)
        if (client.channels.has(channel))
          this.send(client, `{"type":"dropped","channel":${channel.nameJson},"count":${count}}`);
      client.droppedByChannel = undefined;
    }
    const frames = client.eventFrames;
    const channels = client.eventChannels;
    if (frames && channels) {
      const capacity = frames.length;
      while (client.eventCount > 0 && socket.bufferedAmount < limit) {
        const slot = client.eventHead;
        const frame = frames[slot];
        const channel = channels[slot];
        frames[slot] = undefined;
        channels[slot] = undefined;
        client.eventHead = (slot + 1) % capacity;
        client.eventCount--;
        if (frame && channel && client.channels.has(channel)) this.write(client, frame);
      }
    }
    for (const [channel, frame] of client.pendingKeyed) {
      if (socket.bufferedAmount >= limit) break;
      client.pendingKeyed.delete(channel);
      this.write(client, frame);
    }
    if (client.pending === 0) {
      this.backlogged.delete(client);
      client.overSince = 0;
      return;
    }
    this.markBacklogged(client);
    if (socket.bufferedAmount < limit) client.overSince = 0;
    else if (client.overSince === 0) client.overSince = now;
    else if (now - client.overSince >= this.config.slowConsumerMs) {
      this.counters.closedSlow++;
      this.logger.warn('closing a slow consumer', {
        client: client.id,
        remote: client.remote,
        bufferedBytes: socket.bufferedAmount,
        pending: client.pending,
      });
      this.closeClient(client, WsCloseCodes.slowConsumer, 'slow consumer');
    }
  }

  private write(client: ClientState, frame: Buffer): void {
    if (!client.corked && client.raw) {
      client.raw.cork();
      client.corked = true;
      this.corked.push(client);
      if (!this.uncorkScheduled) {
        this.uncorkScheduled = true;
        queueMicrotask(this.uncorkAll);
      }
    }
    client.socket.send(frame, SEND_TEXT);
    this.counters.framesOut++;
  }

  /** After the current burst (the bus delivers a batch in one turn): each corked socket writes what it holds. */
  private readonly uncorkAll = (): void => {
    const corked = this.corked;
    for (let i = 0; i < corked.length; i++) {
      const client = corked[i] as ClientState;
      client.corked = false;
      client.raw?.uncork();
    }
    corked.length = 0;
    this.uncorkScheduled = false;
  };

  private send(client: ClientState, text: string): void {
    if (client.closing) return;
    client.socket.send(text);
    this.counters.framesOut++;
  }

  /** Removes a channel's queued updates (on unsubscribe or a fresh snapshot). */
  private purgePending(client: ClientState, channel: Channel): void {
    client.pendingKeyed.delete(channel);
    client.droppedByChannel?.delete(channel);
    const frames = client.eventFrames;
    const channels = client.eventChannels;
    if (!frames || !channels || client.eventCount === 0) return;
    const capacity = frames.length;
    let kept = 0;
    for (let i = 0; i < client.eventCount; i++) {
      const from = (client.eventHead + i) % capacity;
      if (channels[from] === channel) continue;
      const to = (client.eventHead + kept) % capacity;
      frames[to] = frames[from];
      channels[to] = channels[from];
      kept++;
    }
    for (let i = kept; i < client.eventCount; i++) {
      const slot = (client.eventHead + i) % capacity;
      frames[slot] = undefined;
      channels[slot] = undefined;
    }
    client.eventCount = kept;
  }

  // ---- connections ----

  onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', ignoreError);
    if (this.closed) return this.refuse(socket, 503, 'shutting down');
    const url = request.url ?? '/';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    if (path !== '/' && path !== '/ws') return this.refuse(socket, 404, 'WebSocket endpoint is / or /ws');
    const origin = request.headers.origin;
    if (!this.originAllowed(origin)) {
      this.counters.rejectedOrigin++;
      this.logger.debug('upgrade refused: origin not allowed', {
        origin,
        remote: request.socket.remoteAddress,
      });
      return this.refuse(socket, 403, `origin not allowed: ${origin ?? '(none)'}`);
    }
    if (this.authenticate) {
      this.authenticate(request).then(
        (principal) => {
          if (principal !== undefined && !this.closed)
            this.wss.handleUpgrade(request, socket, head, (ws) => this.onConnection(ws, request));
          else {
            this.counters.rejectedAuth++;
            this.refuse(
              socket,
              401,
              'authentication required: a ?ticket= (POST /auth/ws-ticket) or a bearer token',
            );
          }
        },
        (error: unknown) => {
          this.logger.warn('upgrade refused: authentication failed', { error: String(error) });
          this.refuse(socket, 503, 'authentication unavailable');
        },
      );
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => this.onConnection(ws, request));
  }

  private originAllowed(origin: string | undefined): boolean {
    if (origin === undefined || origin === '') return this.config.allowMissingOrigin;
    return this.anyOrigin || this.origins.has(normalizeOrigin(origin));
  }

  private refuse(socket: Duplex, status: number, text: string): void {
    const body = `${text}\n`;
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      () => socket.destroy(),
    );
  }

  private onConnection(ws: WebSocket, request: IncomingMessage): void {
    const remote = `${request.socket.remoteAddress ?? '?'}:${request.socket.remotePort ?? 0}`;
    if (this.closed || this.clients.size >= this.config.maxClients) {
      ws.on('error', ignoreError);
      this.counters.rejectedFull++;
      ws.close(WsCloseCodes.tryAgainLater, 'try again later');
      setTimeout(() => ws.terminate(), this.config.closeGraceMs).unref();
      return;
    }
    const client = new ClientState(this.nextClientId++, ws, remote);
    client.windowStart = Date.now();
    this.clients.add(client);
    this.counters.connectionsAccepted++;
    this.logger.debug('client connected', { client: client.id, remote, origin: request.headers.origin });
    ws.on('message', (data, isBinary) => this.onFrame(client, data, isBinary));
    ws.on('pong', () => {
      client.alive = true;
    });
    ws.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.counters.closedOversize++;
      this.logger.debug('client protocol error', {
        client: client.id,
        code: error.code,
        error: error.message,
      });
    });
    ws.on('close', (code: number) => this.onClose(client, code));
  }

  private onClose(client: ClientState, code: number): void {
    if (!this.clients.delete(client)) return;
    client.closing = true;
    if (client.closeTimer) clearTimeout(client.closeTimer);
    this.backlogged.delete(client);
    client.clearPending();
    for (const channel of client.channels) this.removeSubscriber(channel, client);
    this.subscriptionCount -= client.channels.size;
    client.channels.clear();
    this.logger.debug('client disconnected', { client: client.id, code });
  }

  private closeClient(client: ClientState, code: number, reason: string): void {
    if (client.closing) return;
    client.closing = true;
    client.clearPending();
    this.backlogged.delete(client);
    client.socket.close(code, reason);
    // The closing handshake needs the peer to read; one that does not is dropped after the grace period.
    client.closeTimer = setTimeout(() => client.socket.terminate(), this.config.closeGraceMs).unref();
  }

  heartbeat(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        this.counters.closedHeartbeat++;
        this.logger.debug('client missed a heartbeat: terminated', { client: client.id });
        client.closing = true;
        client.socket.terminate();
        continue;
      }
      if (client.closing) continue;
      client.alive = false;
      client.socket.ping();
    }
  }

  startTimers(): void {
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.config.heartbeatIntervalMs).unref();
  }

  // ---- client requests ----

  private onFrame(client: ClientState, data: RawData, isBinary: boolean): void {
    this.counters.framesIn++;
    if (client.closing) return;
    const now = Date.now();
    if (now - client.windowStart >= 1000) {
      client.windowStart = now;
      client.framesInWindow = 0;
      client.badInWindow = 0;
    }
    if (++client.framesInWindow > this.config.maxFramesPerSecond) {
      this.counters.closedAbuse++;
      this.closeClient(client, WsCloseCodes.policyViolation, 'too many frames per second');
      return;
    }
    if (isBinary) return this.fail(client, 'WS_BINARY_FRAME', WsErrorReasons.WS_BINARY_FRAME);
    let request: unknown;
    try {
      request = JSON.parse(rawToText(data));
    } catch {
      return this.fail(client, 'WS_MALFORMED_JSON', WsErrorReasons.WS_MALFORMED_JSON);
    }
    if (typeof request !== 'object' || request === null || Array.isArray(request))
      return this.fail(client, 'WS_INVALID_REQUEST', WsErrorReasons.WS_INVALID_REQUEST);
    const fields = request as { readonly op?: unknown; readonly channels?: unknown; readonly id?: unknown };
    const id =
      (typeof fields.id === 'string' && fields.id.length <= MAX_REQUEST_ID) ||
      (typeof fields.id === 'number' && Number.isFinite(fields.id))
        ? fields.id
        : undefined;
    switch (fields.op) {
      case 'ping':
        this.send(client, id === undefined ? '{"type":"pong"}' : JSON.stringify({ type: 'pong', id }));
        return;
      case 'subscribe':
      case 'unsubscribe': {
        const channels = fields.channels;
        if (
          !Array.isArray(channels) ||
          channels.length === 0 ||
          !channels.every((c) => typeof c === 'string')
        )
          return this.fail(client, 'WS_INVALID_REQUEST', 'channels: a non-empty array of channel names', id);
        if (fields.op === 'subscribe') this.subscribe(client, channels, id);
        else this.unsubscribe(client, channels, id);
        return;
      }
      default:
        if (typeof fields.op !== 'string')
          return this.fail(client, 'WS_INVALID_REQUEST', 'op: a string (subscribe, unsubscribe, ping)', id);
        return this.fail(
          client,
          'WS_UNKNOWN_OP',
          `unknown op ${JSON.stringify(fields.op.slice(0, 40))}: subscribe, unsubscribe or ping`,
          id,
        );
    }
  }

  /** Sends an error frame and counts a bad frame; too many in a second closes the connection with 1008. */
  private fail(
    client: ClientState,
    reason: WsErrorReason,
    message: string,
    id?: string | number,
    channels?: readonly string[],
  ): void {
    if (++client.badInWindow > this.config.maxBadFramesPerSecond) {
      this.counters.closedAbuse++;
      this.logger.debug('closing an abusive client', { client: client.id, remote: client.remote });
      this.closeClient(client, WsCloseCodes.policyViolation, 'too many bad frames');
      return;
    }
    this.counters.errorsSent++;
    const frame: Record<string, unknown> = { type: 'error', reason, message };
    if (channels) frame.channels = channels;
    if (id !== undefined) frame.id = id;
    this.send(client, JSON.stringify(frame));
  }

  /** The channel a client names, created on first use for an instrument not yet seen; undefined if unknown. */
  private resolve(name: string): Channel | undefined {
    if (name.length > MAX_CHANNEL_NAME) return undefined;
    switch (name) {
      case 'orders':
        return this.orders;
      case 'fills':
        return this.fills;
      case 'alerts':
        return this.alerts;
    }
    const colon = name.indexOf(':');
    if (colon < 0) return undefined;
    const rest = name.slice(colon + 1);
    switch (name.slice(0, colon)) {
      case 'ticks':
        return this.channelFor(this.tickChannels, 'ticks:', rest, undefined);
      case 'book':
        return this.channelFor(this.bookChannels, 'book:', rest, undefined);
      case 'greeks':
        return this.channelFor(this.greeksChannels, 'greeks:', rest, undefined);
      case 'candles': {
        const second = rest.indexOf(':');
        if (second < 0) return undefined;
        const timeframe = rest.slice(0, second);
        const map = this.candleChannels.get(timeframe);
        if (!map) return undefined;
        return this.channelFor(
          map,
          `candles:${timeframe}:`,
          rest.slice(second + 1),
          this.config.snapshotCandles,
        );
      }
      default:
        return undefined;
    }
  }

  private subscribe(client: ClientState, names: readonly string[], id: string | number | undefined): void {
    const accepted: Channel[] = [];
    const unknown: string[] = [];
    const tooMany: string[] = [];
    for (const name of names) {
      const channel = this.resolve(name);
      if (!channel) {
        unknown.push(name.slice(0, MAX_CHANNEL_NAME));
        continue;
      }
      if (accepted.includes(channel)) continue;
      if (client.channels.has(channel)) {
        // Already subscribed: a fresh snapshot replaces whatever is queued for it.
        this.purgePending(client, channel);
        accepted.push(channel);
        continue;
      }
      if (client.channels.size >= this.config.maxSubscriptionsPerClient) {
        tooMany.push(name);
        this.forgetIfUnused(channel);
        continue;
      }
      client.channels.add(channel);
      channel.subscribers.push(client);
      this.subscriptionCount++;
      accepted.push(channel);
    }
    if (accepted.length > 0) {
      const ack: Record<string, unknown> = { type: 'subscribed', channels: accepted.map((c) => c.name) };
      if (id !== undefined) ack.id = id;
      this.send(client, JSON.stringify(ack));
      for (const channel of accepted)
        this.send(
          client,
          `{"type":"snapshot","channel":${channel.nameJson},"data":${channel.snapshotJson()}}`,
        );
    }
    if (unknown.length > 0)
      this.fail(client, 'WS_UNKNOWN_CHANNEL', WsErrorReasons.WS_UNKNOWN_CHANNEL, id, unknown);
    if (tooMany.length > 0 && !client.closing)
      this.fail(
        client,
        'WS_TOO_MANY_SUBSCRIPTIONS',
        `at most ${this.config.maxSubscriptionsPerClient} channels per connection`,
        id,
        tooMany,
      );
  }

  private unsubscribe(client: ClientState, names: readonly string[], id: string | number | undefined): void {
    const removed: string[] = [];
    for (const name of names) {
      const channel = this.resolve(name);
      if (!channel) continue;
      if (client.channels.delete(channel)) {
        this.purgePending(client, channel);
        this.removeSubscriber(channel, client);
        this.subscriptionCount--;
        removed.push(channel.name);
      } else this.forgetIfUnused(channel);
    }
    const ack: Record<string, unknown> = { type: 'unsubscribed', channels: removed };
    if (id !== undefined) ack.id = id;
    this.send(client, JSON.stringify(ack));
  }

  private removeSubscriber(channel: Channel, client: ClientState): void {
    const index = channel.subscribers.indexOf(client);
    if (index >= 0) channel.subscribers.splice(index, 1);
    this.forgetIfUnused(channel);
  }

  /** A channel a client named for an instrument never seen on the bus is dropped when nobody holds it. */
  private forgetIfUnused(channel: Channel): void {
    if (channel.home && channel.empty) channel.home.delete(channel.key);
  }

  // ---- health and shutdown ----

  stats(): WsGatewayStats {
    return {
      clients: this.clients.size,
      subscriptions: this.subscriptionCount,
      backlogged: this.backlogged.size,
      ...this.counters,
    };
  }

  onHttp(request: IncomingMessage, response: ServerResponse): void {
    const url = request.url ?? '/';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    const json = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      response.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(text),
        'cache-control': 'no-store',
      });
      response.end(request.method === 'HEAD' ? undefined : text);
    };
    if (path === '/health' && (request.method === 'GET' || request.method === 'HEAD'))
      return json(200, { status: this.closed ? 'stopping' : 'ok', ...this.stats() });
    if (path === '/' || path === '/ws')
      return json(426, { error: 'upgrade required: connect with WebSocket (docs/ws-protocol.md)' });
    json(404, { error: `no route ${request.method ?? ''} ${path.slice(0, 100)}` });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const subscription of this.busSubscriptions) subscription.unsubscribe();
    this.busSubscriptions.length = 0;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.drainTimer) clearInterval(this.drainTimer);
    this.drainTimer = undefined;
    const open = [...this.clients];
    const closed = open.map(
      (client) =>
        new Promise<void>((resolve) => {
          if (client.socket.readyState === client.socket.CLOSED) resolve();
          else client.socket.once('close', () => resolve());
        }),
    );
    for (const client of open) this.closeClient(client, WsCloseCodes.goingAway, 'server shutting down');
    await Promise.all(closed);
    this.wss.close();
    activeInstances.get(this.bus)?.delete(this.config.instanceId);
  }
}

/**
 * Starts the gateway: listens on `config.port` (WebSocket upgrades on `/` or `/ws`, `GET /health`) and
 * subscribes to the bus as group `ws-gateway:<instanceId>`. Rejects on an invalid config or a port in use.
 */
export async function startWsGateway(
  bus: Bus,
  config: WsGatewayConfigInput = {},
  logger: Logger = createLogger('ws-gateway'),
  options: WsGatewayOptions = {},
): Promise<WsGateway> {
  const settings = parseConfig(WsGatewayConfigSchema, config, 'ws gateway config');
  const active = activeInstances.get(bus) ?? new Set<string>();
  if (active.has(settings.instanceId))
    throw new Error(
      `ws gateway: instance "${settings.instanceId}" already runs on this bus; give each instance its own instanceId`,
    );
  const gateway = new Gateway(bus, settings, logger, options.authenticate);
  const server = createServer((request, response) => gateway.onHttp(request, response));
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) =>
    gateway.onUpgrade(request, socket, head),
  );
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => logger.error('ws gateway server error', { error: String(error) }));
  active.add(settings.instanceId);
  activeInstances.set(bus, active);
  gateway.subscribeBus();
  gateway.startTimers();
  const port = (server.address() as AddressInfo).port;
  logger.info(`ws gateway on ${settings.host}:${port}`, {
    group: `ws-gateway:${settings.instanceId}`,
    timeframes: settings.timeframes,
  });
  let closing: Promise<void> | undefined;
  return {
    port,
    stats: () => gateway.stats(),
    close: () =>
      (closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await gateway.close();
        server.closeAllConnections();
        await stopped;
        logger.info('ws gateway stopped');
      })()),
  };
}
