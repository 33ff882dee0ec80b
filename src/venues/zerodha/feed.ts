// The Zerodha market-data feed: the official KiteTicker (WebSocket) read into the platform's QuoteTick,
// TradeTick and BookSnapshot, for the instruments the config gives a Kite token.
//
// The official ticker keeps its connection, handlers and reconnect state in module-level variables (one
// connection per process) and calls `process.exit(1)` when its own reconnect attempts run out. So: one feed
// at a time per process; the library's auto-reconnect is off and its reconnect hook is replaced on the
// instance, so this feed reconnects on its own schedule and, when attempts run out, reports the feed down with
// an alert while the process keeps running. A 403 on connect (dead access token) is never retried.
// Frames are parsed here from the raw binary message (not the library's parsed ticks), so a malformed frame is
// logged with an excerpt, counted, and dropped whole.

import { KiteTicker, type KiteTickerParams, type Ticker } from 'kiteconnect';
import type { Clock } from '../../common/clock.ts';
import type { ReasonCode } from '../../common/errors.ts';
import { silentLogger, type Logger } from '../../common/logging.ts';
import type { Alert, InstrumentId, MarketData, VenueId } from '../../model/index.ts';
import type { KiteRoute } from './adapter.ts';
import {
  resolveCredentials,
  type Environment,
  type ZerodhaConfig,
  type ZerodhaCredentials,
} from './config.ts';
import { redactingLogger } from './redacting-logger.ts';
import { Redactor } from './secrets.ts';
import { hexExcerpt, KiteTickerParser } from './ticker-packets.ts';

export type ZerodhaFeedState = 'stopped' | 'connecting' | 'connected' | 'reconnecting' | 'down';

export interface ZerodhaFeedOptions {
  readonly venue: VenueId;
  readonly config: ZerodhaConfig;
  readonly clock: Clock;
  /** The instruments to stream: those with a Kite token. */
  readonly routes: Iterable<KiteRoute>;
  readonly sink: (message: MarketData) => void;
  readonly logger?: Logger;
  readonly env?: Environment;
}

export interface ZerodhaFeedCounters {
  frames: number;
  heartbeats: number;
  /** Market-data messages handed to the sink. */
  messages: number;
  malformed: number;
  reconnects: number;
  drops: number;
  orderUpdates: number;
  sinkErrors: number;
}

// The library's state is per process; so is this.
let active: ZerodhaFeed | undefined;
let installed = false;
/**
 * A stopped feed's socket still closing. The library nulls its process-wide socket when an old socket's close
 * arrives, so a new connection is opened only after the old one has closed (or a bound has passed).
 */
let closing: Promise<void> | undefined;
let closed: (() => void) | undefined;
const CLOSE_WAIT_MS = 2000;

function activate(feed: ZerodhaFeed | undefined): void {
  active = feed;
}

function awaitClose(): void {
  closing = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, CLOSE_WAIT_MS);
    timer.unref();
    closed = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  void closing.then(() => {
    closing = undefined;
    closed = undefined;
  });
}

function onSocketGone(): void {
  if (closed) {
    closed();
    return;
  }
  active?.handleClosed();
}

function install(ticker: Ticker): void {
  if (installed) return;
  installed = true;
  // Handlers registered once: the library keeps every handler ever added, for every instance.
  ticker.on('connect', () => active?.handleConnect());
  ticker.on('message', (data: ArrayBuffer) => active?.handleFrame(data));
  ticker.on('close', onSocketGone);
  ticker.on('disconnect', onSocketGone);
  ticker.on('error', (error: unknown) => active?.handleError(error));
  ticker.on('order_update', (order: unknown) => active?.handleOrderUpdate(order));
}

export class ZerodhaFeed {
  readonly venue: VenueId;
  readonly counters: ZerodhaFeedCounters = {
    frames: 0,
    heartbeats: 0,
    messages: 0,
    malformed: 0,
    reconnects: 0,
    drops: 0,
    orderUpdates: 0,
    sinkErrors: 0,
  };
  private readonly config: ZerodhaConfig;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly env: Environment | undefined;
  private readonly sink: (message: MarketData) => void;
  private readonly redactor = new Redactor();
  private readonly parser: KiteTickerParser;
  private readonly tokens: number[] = [];
  private ticker: Ticker | undefined;
  private current: ZerodhaFeedState = 'stopped';
  private attempts = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private tokenRefused = false;
  /** A socket of this feed is open or opening (its close is still to come). */
  private socketLive = false;
  private lastMalformedLog = 0;
  private suppressedMalformed = 0;
  private readonly stateHandlers: ((state: ZerodhaFeedState) => void)[] = [];
  private readonly alertHandlers: ((alert: Alert) => void)[] = [];
  private readonly orderUpdateHandlers: ((order: unknown) => void)[] = [];
  private readonly deliver = (message: MarketData): void => {
    this.counters.messages++;
    try {
      this.sink(message);
    } catch (error) {
      this.counters.sinkErrors++;
      this.log.error('market-data sink threw', { venue: this.venue, error: error as Error });
    }
  };

  constructor(options: ZerodhaFeedOptions) {
    this.venue = options.venue;
    this.config = options.config;
    this.clock = options.clock;
    this.env = options.env;
    this.sink = options.sink;
    this.log = redactingLogger(options.logger ?? silentLogger, this.redactor);
    const instruments = new Map<number, InstrumentId>();
    for (const route of options.routes)
      if (route.token !== undefined) {
        instruments.set(route.token, route.instrument.id);
        this.tokens.push(route.token);
      }
    this.parser = new KiteTickerParser(instruments, options.clock);
  }

  get state(): ZerodhaFeedState {
    return this.current;
  }

  /** Packets for tokens this feed does not stream (ignored). */
  get unknownTokens(): number {
    return this.parser.unknownTokens;
  }

  onState(handler: (state: ZerodhaFeedState) => void): void {
    this.stateHandlers.push(handler);
  }

  onAlert(handler: (alert: Alert) => void): void {
    this.alertHandlers.push(handler);
  }

  /** Order updates Kite pushes on the ticker (the adapter polls at once on each). */
  onOrderUpdate(handler: (order: unknown) => void): void {
    this.orderUpdateHandlers.push(handler);
  }

  /** Connects with the current credentials (environment, then secrets file). Throws if another feed is running. */
  start(): void {
    if (active && active !== this)
      throw new Error(
        `Kite ticker for ${this.venue}: the feed of ${active.venue} is running; the official client holds one ` +
          'connection per process',
      );
    if (this.current !== 'stopped' && this.current !== 'down') return;
    const credentials: ZerodhaCredentials = resolveCredentials(this.config, this.env);
    this.redactor.add(credentials.apiKey);
    this.redactor.add(credentials.accessToken);
    this.redactor.add(credentials.apiSecret);
    activate(this);
    this.attempts = 0;
    this.tokenRefused = false;
    if (!credentials.apiKey || !credentials.accessToken) {
      this.down(
        'VENUE_KITE_TOKEN_EXPIRED',
        `Kite ticker for ${this.venue} not started: ${
          credentials.apiKey ? credentials.sources.accessToken : credentials.sources.apiKey
        }`,
      );
      return;
    }
    const params: KiteTickerParams & { readonly root: string } = {
      api_key: credentials.apiKey.reveal(),
      access_token: credentials.accessToken.reveal(),
      root: this.config.tickerRoot,
      reconnect: false,
    };
    const ticker = new KiteTicker(params);
    // The library's reconnect ends in process.exit(1); this instance reconnects through the feed instead.
    (ticker as unknown as { attemptReconnection: () => void }).attemptReconnection = () =>
      this.handleClosed();
    install(ticker);
    this.ticker = ticker;
    this.setState('connecting');
    const open = (): void => {
      if (this.ticker !== ticker || this.current !== 'connecting') return;
      this.socketLive = true;
      ticker.connect();
    };
    if (closing) void closing.then(open);
    else open();
  }

  /** Closes the connection; nothing more is delivered. */
  stop(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const ticker = this.ticker;
    this.ticker = undefined;
    if (active === this) activate(undefined);
    this.setState('stopped');
    if (this.socketLive) awaitClose();
    this.socketLive = false;
    ticker?.disconnect();
  }

  /** After the daily login: reconnects with the credentials read again. */
  restart(): void {
    this.stop();
    this.start();
  }

  // ---- ticker events (through the module-level dispatcher) ----

  /** @internal */
  handleConnect(): void {
    if (!this.ticker || !this.socketLive || this.current === 'stopped') return;
    this.attempts = 0;
    this.setState('connected');
    if (this.tokens.length > 0) {
      this.ticker.subscribe(this.tokens);
      this.ticker.setMode(this.config.ticker.mode, this.tokens);
    }
  }

  /** @internal */
  handleFrame(frame: ArrayBuffer): void {
    if (this.current !== 'connected') return;
    this.counters.frames++;
    const result = this.parser.parse(frame, this.deliver);
    if (result.kind === 'heartbeat') this.counters.heartbeats++;
    else if (result.kind === 'malformed') this.malformed(result.problem, frame);
  }

  /** @internal */
  handleError(error: unknown): void {
    if (!this.ticker || this.current === 'stopped') return;
    const message = describe(error);
    if (/\b403\b/.test(message)) this.tokenRefused = true;
    this.log.warn('Kite ticker error', { venue: this.venue, message });
  }

  /** @internal A close, a disconnect, or the library's reconnect hook: one reconnect is scheduled per drop. */
  handleClosed(): void {
    if (!this.ticker || this.current === 'stopped' || this.current === 'down') return;
    if (this.reconnectTimer || !this.socketLive) return;
    if (this.ticker.connected()) return;
    this.socketLive = false;
    if (this.current === 'connected') this.counters.drops++;
    if (this.tokenRefused) {
      this.down(
        'VENUE_KITE_TOKEN_EXPIRED',
        `Kite ticker for ${this.venue} refused the access token (403): not retried; do the daily login`,
      );
      return;
    }
    const ticker = this.config.ticker;
    if (this.attempts >= ticker.reconnectMaxAttempts) {
      this.down(
        'VENUE_FEED_DOWN',
        `Kite ticker for ${this.venue} is down after ${this.attempts} reconnect attempt(s); the process keeps running`,
      );
      return;
    }
    this.attempts++;
    const delay = Math.min(
      ticker.reconnectBaseDelayMs * 2 ** (this.attempts - 1),
      ticker.reconnectMaxDelayMs,
    );
    this.setState('reconnecting');
    this.log.warn('Kite ticker disconnected: reconnecting', {
      venue: this.venue,
      attempt: this.attempts,
      delayMs: delay,
    });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.ticker || this.current !== 'reconnecting') return;
      this.counters.reconnects++;
      this.socketLive = true;
      this.ticker.connect();
    }, delay);
    this.reconnectTimer.unref();
  }

  /** @internal */
  handleOrderUpdate(order: unknown): void {
    if (this.current === 'stopped') return;
    this.counters.orderUpdates++;
    for (const handler of this.orderUpdateHandlers) {
      try {
        handler(order);
      } catch (error) {
        this.log.error('order update handler threw', { venue: this.venue, error: error as Error });
      }
    }
  }

  // ---- internals ----

  private down(code: ReasonCode, message: string): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const ticker = this.ticker;
    this.ticker = undefined;
    if (active === this) activate(undefined);
    this.setState('down');
    if (this.socketLive) awaitClose();
    this.socketLive = false;
    ticker?.disconnect();
    this.log.error(message, { venue: this.venue, code });
    const alert: Alert = {
      type: 'alert',
      severity: 'critical',
      code,
      source: `feed:${this.venue}`,
      message: this.redactor.redact(message),
      tsEvent: this.clock.now(),
    };
    for (const handler of this.alertHandlers) {
      try {
        handler(alert);
      } catch (error) {
        this.log.error('alert handler threw', { venue: this.venue, error: error as Error });
      }
    }
  }

  private malformed(problem: string, frame: ArrayBuffer): void {
    this.counters.malformed++;
    const now = this.clock.now();
    if (now - this.lastMalformedLog < 1_000_000) {
      this.suppressedMalformed++;
      return;
    }
    this.lastMalformedLog = now;
    this.log.warn(`malformed Kite ticker frame: ${problem}`, {
      venue: this.venue,
      code: 'VENUE_MALFORMED_MESSAGE',
      excerpt: hexExcerpt(frame),
      malformed: this.counters.malformed,
      suppressed: this.suppressedMalformed,
    });
    this.suppressedMalformed = 0;
  }

  private setState(next: ZerodhaFeedState): void {
    if (next === this.current) return;
    this.current = next;
    for (const handler of this.stateHandlers) {
      try {
        handler(next);
      } catch (error) {
        this.log.error('feed state handler threw', { venue: this.venue, error: error as Error });
      }
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null) {
    const message = (error as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return typeof error === 'string' ? error : 'unknown error';
}
