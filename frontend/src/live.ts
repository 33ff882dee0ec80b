// The live feed: one WebSocket to the gateway (docs/ws-protocol.md), opened with a one-time ticket, frames
// queued and applied once per animation frame (one React render per frame, however many frames arrived),
// reconnection with backoff, and a connection state the header shows.

export type ConnectionState = 'connecting' | 'open' | 'lost' | 'unauthorized';

export interface OrderOverlay {
  readonly clientOrderId: string;
  readonly strategyId: string;
  readonly instrumentId: string;
  readonly venue: string | undefined;
  readonly status: string;
  readonly reason: string | undefined;
  readonly tsEvent: number;
}

export interface FillView {
  readonly clientOrderId: string;
  readonly strategyId: string;
  readonly instrumentId: string;
  readonly venue: string;
  readonly tradeId: string;
  readonly side: string;
  readonly lastQuantity: number;
  readonly lastPrice: number;
  readonly fee: number;
  readonly feeCurrency: string;
  readonly liquidity: string;
  readonly tsEvent: number;
}

export interface AlertView {
  readonly severity: string;
  readonly code: string;
  readonly source: string;
  readonly message: string;
  readonly tsEvent: number;
}

export interface TickView {
  readonly instrumentId: string;
  readonly bid?: number;
  readonly ask?: number;
  readonly price?: number;
  readonly tsEvent: number;
}

export interface BarView {
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly tsEvent: number;
}

export interface LiveState {
  readonly connection: ConnectionState;
  /** Why the last connection ended (close code), for the banner. */
  readonly detail: string;
  readonly orders: ReadonlyMap<string, OrderOverlay>;
  /** Newest first. */
  readonly fills: readonly FillView[];
  readonly alerts: readonly AlertView[];
  readonly instrument: string | undefined;
  readonly tick: TickView | undefined;
  readonly candles: readonly BarView[];
  /** Events the gateway dropped for this slow client (then resynchronized). */
  readonly dropped: number;
  readonly framesApplied: number;
}

const MAX_FILLS = 300;
const MAX_ALERTS = 200;
const MAX_ORDERS = 3000;
const TIMEFRAME = '1m';

interface Frame {
  readonly type?: unknown;
  readonly channel?: unknown;
  readonly data?: unknown;
  readonly count?: unknown;
  readonly reason?: unknown;
}

type Event = Readonly<Record<string, unknown>>;

const STATUS_OF: Readonly<Record<string, string>> = {
  order_denied: 'DENIED',
  order_submitted: 'SUBMITTED',
  order_accepted: 'ACCEPTED',
  order_rejected: 'REJECTED',
  order_triggered: 'TRIGGERED',
  order_pending_cancel: 'PENDING_CANCEL',
  order_pending_update: 'PENDING_UPDATE',
  order_canceled: 'CANCELED',
  order_expired: 'EXPIRED',
};

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** Asks the API for a ticket and answers the URL to connect to; throws 'unauthorized' when the session ended. */
export type Connector = () => Promise<string>;

export class LiveFeed {
  private state: LiveState = {
    connection: 'connecting',
    detail: '',
    orders: new Map(),
    fills: [],
    alerts: [],
    instrument: undefined,
    tick: undefined,
    candles: [],
    dropped: 0,
    framesApplied: 0,
  };
  private readonly listeners = new Set<() => void>();
  private socket: WebSocket | undefined;
  private pending: Frame[] = [];
  private frameRequest = 0;
  private fallbackTimer: ReturnType<typeof setTimeout> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private attempts = 0;
  private stopped = false;
  /** Bumped by start and stop: a connection attempt of an older generation gives up. */
  private generation = 0;

  constructor(private readonly connect: Connector) {}

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): LiveState => this.state;

  start(): void {
    this.stopped = false;
    this.generation++;
    void this.open();
  }

  stop(): void {
    this.stopped = true;
    this.generation++;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.fallbackTimer) clearTimeout(this.fallbackTimer);
    if (this.frameRequest) cancelAnimationFrame(this.frameRequest);
    this.socket?.close(1000, 'bye');
    this.socket = undefined;
  }

  /** Follows one instrument's ticks and candles (the price chart). */
  setInstrument(instrumentId: string | undefined): void {
    const previous = this.state.instrument;
    if (previous === instrumentId) return;
    if (previous) this.send({ op: 'unsubscribe', channels: this.instrumentChannels(previous) });
    this.publish({ ...this.state, instrument: instrumentId, tick: undefined, candles: [] });
    if (instrumentId) this.send({ op: 'subscribe', channels: this.instrumentChannels(instrumentId) });
  }

  private instrumentChannels(id: string): string[] {
    return [`ticks:${id}`, `candles:${TIMEFRAME}:${id}`];
  }

  private send(request: unknown): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(request));
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    const generation = this.generation;
    this.publish({
      ...this.state,
      connection: this.state.connection === 'open' ? 'lost' : this.state.connection,
    });
    let url: string;
    try {
      url = await this.connect();
    } catch (error) {
      if (generation !== this.generation) return;
      if (error instanceof Error && error.message === 'unauthorized') {
        this.publish({ ...this.state, connection: 'unauthorized', detail: 'session ended' });
        return;
      }
      this.retry('the API did not issue a ticket');
      return;
    }
    if (this.stopped || generation !== this.generation) return;
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => {
      this.attempts = 0;
      this.publish({ ...this.state, connection: 'open', detail: '' });
      const channels = ['orders', 'fills', 'alerts'];
      if (this.state.instrument) channels.push(...this.instrumentChannels(this.state.instrument));
      socket.send(JSON.stringify({ op: 'subscribe', channels }));
    };
    socket.onmessage = (event: MessageEvent) => {
      if (typeof event.data !== 'string') return;
      try {
        this.pending.push(JSON.parse(event.data) as Frame);
      } catch {
        return;
      }
      this.schedule();
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.retry(`closed (${event.code}${event.reason ? ` ${event.reason}` : ''})`);
    };
  }

  private retry(detail: string): void {
    if (this.stopped) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.publish({ ...this.state, connection: 'lost', detail });
    const delay = Math.min(10_000, 500 * 2 ** this.attempts) * (0.75 + Math.random() / 2);
    this.attempts = Math.min(this.attempts + 1, 8);
    this.retryTimer = setTimeout(() => void this.open(), delay);
  }

  /** One flush per animation frame; a hidden tab (no frames) flushes on a timer instead. */
  private schedule(): void {
    if (this.frameRequest !== 0) return;
    this.frameRequest = requestAnimationFrame(this.flush);
    this.fallbackTimer = setTimeout(this.flush, 250);
  }

  private readonly flush = (): void => {
    if (this.frameRequest) cancelAnimationFrame(this.frameRequest);
    if (this.fallbackTimer) clearTimeout(this.fallbackTimer);
    this.frameRequest = 0;
    this.fallbackTimer = undefined;
    const frames = this.pending;
    if (frames.length === 0) return;
    this.pending = [];
    this.publish(
      applyFrames(this.state, frames, (channel) => this.send({ op: 'subscribe', channels: [channel] })),
    );
  };

  private publish(state: LiveState): void {
    this.state = state;
    for (const listener of this.listeners) listener();
  }
}

/** Applies a batch of gateway frames; new arrays and maps only for what changed. */
export function applyFrames(
  state: LiveState,
  frames: readonly Frame[],
  resubscribe: (channel: string) => void,
): LiveState {
  let orders: Map<string, OrderOverlay> | undefined;
  const newFills: FillView[] = [];
  const newAlerts: AlertView[] = [];
  let fillsReset: FillView[] | undefined;
  let alertsReset: AlertView[] | undefined;
  let tick = state.tick;
  let candles: BarView[] | undefined;
  let dropped = state.dropped;
  const instrument = state.instrument;
  const tickChannel = instrument ? `ticks:${instrument}` : undefined;
  const candleChannel = instrument ? `candles:${TIMEFRAME}:${instrument}` : undefined;

  const onOrderEvent = (event: Event): void => {
    const id = text(event.clientOrderId);
    if (id === '') return;
    orders ??= new Map(state.orders);
    const before = orders.get(id);
    const type = text(event.type);
    let status = STATUS_OF[type] ?? before?.status ?? 'SUBMITTED';
    if (type === 'order_filled') status = num(event.leavesQuantity) > 0 ? 'PARTIALLY_FILLED' : 'FILLED';
    const reason = typeof event.reason === 'string' ? event.reason : before?.reason;
    orders.delete(id);
    orders.set(id, {
      clientOrderId: id,
      strategyId: text(event.strategyId),
      instrumentId: text(event.instrumentId),
      venue: typeof event.venue === 'string' ? event.venue : before?.venue,
      status,
      reason,
      tsEvent: num(event.tsEvent),
    });
    if (orders.size > MAX_ORDERS) {
      const oldest = orders.keys().next().value;
      if (oldest !== undefined) orders.delete(oldest);
    }
  };

  const fillOf = (event: Event): FillView => ({
    clientOrderId: text(event.clientOrderId),
    strategyId: text(event.strategyId),
    instrumentId: text(event.instrumentId),
    venue: text(event.venue),
    tradeId: text(event.tradeId),
    side: text(event.side),
    lastQuantity: num(event.lastQuantity),
    lastPrice: num(event.lastPrice),
    fee: num(event.fee),
    feeCurrency: text(event.feeCurrency),
    liquidity: text(event.liquidity),
    tsEvent: num(event.tsEvent),
  });
  const alertOf = (event: Event): AlertView => ({
    severity: text(event.severity),
    code: text(event.code),
    source: text(event.source),
    message: text(event.message),
    tsEvent: num(event.tsEvent),
  });
  const barOf = (event: Event): BarView => ({
    open: num(event.open),
    high: num(event.high),
    low: num(event.low),
    close: num(event.close),
    volume: num(event.volume),
    tsEvent: num(event.tsEvent),
  });

  for (const frame of frames) {
    const channel = text(frame.channel);
    if (frame.type === 'dropped') {
      dropped += num(frame.count);
      resubscribe(channel);
      continue;
    }
    if (frame.type !== 'snapshot' && frame.type !== 'update') continue;
    const data = frame.data;
    const list = Array.isArray(data) ? (data as Event[]) : undefined;
    const one =
      !Array.isArray(data) && typeof data === 'object' && data !== null ? (data as Event) : undefined;
    switch (channel) {
      case 'orders':
        for (const event of list ?? (one ? [one] : [])) onOrderEvent(event);
        break;
      case 'fills':
        if (frame.type === 'snapshot') {
          fillsReset = (list ?? []).map(fillOf).reverse();
          newFills.length = 0;
        } else if (one) newFills.push(fillOf(one));
        break;
      case 'alerts':
        if (frame.type === 'snapshot') {
          alertsReset = (list ?? []).map(alertOf).reverse();
          newAlerts.length = 0;
        } else if (one) newAlerts.push(alertOf(one));
        break;
      default:
        if (channel === tickChannel && one)
          tick = {
            instrumentId: text(one.instrumentId),
            ...(typeof one.bid === 'number' ? { bid: one.bid } : {}),
            ...(typeof one.ask === 'number' ? { ask: one.ask } : {}),
            ...(typeof one.price === 'number' ? { price: one.price } : {}),
            tsEvent: num(one.tsEvent),
          };
        else if (channel === candleChannel) {
          if (frame.type === 'snapshot') candles = (list ?? []).map(barOf);
          else if (one) {
            candles ??= [...state.candles];
            const bar = barOf(one);
            const last = candles[candles.length - 1];
            if (last && last.tsEvent === bar.tsEvent) candles[candles.length - 1] = bar;
            else if (!last || last.tsEvent < bar.tsEvent) candles.push(bar);
            if (candles.length > 500) candles.splice(0, candles.length - 500);
          }
        }
    }
  }

  const merge = <T>(reset: T[] | undefined, current: readonly T[], added: T[], max: number): readonly T[] => {
    if (!reset && added.length === 0) return current;
    const out = added.reverse().concat(reset ?? current);
    return out.length > max ? out.slice(0, max) : out;
  };
  // A fill is one (venue, trade id): one delivered twice (a resubscription's snapshot, a reconnect) shows once.
  const uniqueFills = (list: readonly FillView[]): readonly FillView[] => {
    const seen = new Set<string>();
    const out: FillView[] = [];
    for (const fill of list) {
      const key = `${fill.venue}|${fill.tradeId}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(fill);
    }
    return out.length === list.length ? list : out;
  };
  const fills = merge(fillsReset, state.fills, newFills, MAX_FILLS);
  return {
    ...state,
    orders: orders ?? state.orders,
    fills: fills === state.fills ? fills : uniqueFills(fills),
    alerts: merge(alertsReset, state.alerts, newAlerts, MAX_ALERTS),
    tick,
    candles: candles ?? state.candles,
    dropped,
    framesApplied: state.framesApplied + frames.length,
  };
}
