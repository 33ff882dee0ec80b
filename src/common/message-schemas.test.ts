// The bus message schemas: every model message passes its stream's schema, and every required field, removed or
// given the wrong type, is rejected with a reason naming that field (cases derived from the valid messages).
import { describe, expect, it } from 'vitest';
import {
  instrumentId,
  makeClientOrderId,
  strategyId,
  tradeId,
  venueId,
  venueOrderId,
  type Alert,
  type Bar,
  type BookSnapshot,
  type OrderDenied,
  type OrderEvent,
  type OrderFilled,
  type OrderRequest,
  type Tick,
  type TradingCommand,
} from '../model/index.ts';
import type { MessageOf, StreamName } from './bus.ts';
import { checkWith, schemaForStream } from './message-schemas.ts';
import { Streams } from './topics.ts';

const instrument = instrumentId('AAPL', 'PAPER-A');
const strategy = strategyId('mean-revert');
const orderId = makeClientOrderId(strategy, 1_700_000_000_000_000, 7);
const base = {
  clientOrderId: orderId,
  strategyId: strategy,
  instrumentId: instrument,
  tsEvent: 1_700_000_000_000_100,
  tsInit: 1_700_000_000_000_200,
} as const;

const request: OrderRequest = {
  clientOrderId: orderId,
  strategyId: strategy,
  instrumentId: instrument,
  side: 'buy',
  type: 'stop_limit',
  quantity: 10,
  price: 187.25,
  triggerPrice: 187,
  timeInForce: 'GTC',
  reduceOnly: false,
  smartRoute: true,
  tsOrigin: 1_699_999_999_999_000,
  tsInit: 1_700_000_000_000_000,
};

const ticks: Tick[] = [
  {
    type: 'quote',
    instrumentId: instrument,
    bid: 187.1,
    ask: 187.2,
    bidSize: 300,
    askSize: 100,
    tsEvent: 1,
    tsInit: 2,
  },
  {
    type: 'trade',
    instrumentId: instrument,
    price: 187.15,
    size: 50,
    aggressor: 'sell',
    tsEvent: 1,
    tsInit: 2,
  },
];
const book: BookSnapshot = {
  type: 'book',
  instrumentId: instrument,
  bids: [{ price: 187.1, size: 300 }],
  asks: [{ price: 187.2, size: 100 }],
  sequence: 42,
  tsEvent: 1,
  tsInit: 2,
};
const bar: Bar = {
  type: 'bar',
  instrumentId: instrument,
  timeframe: '1m',
  open: 187,
  high: 188,
  low: 186.5,
  close: 187.5,
  volume: 12_000,
  tsEvent: 60_000_000,
  tsInit: 60_000_001,
};
const commands: TradingCommand[] = [
  { type: 'submit_order', order: request, tsInit: 1 },
  { type: 'cancel_order', clientOrderId: orderId, strategyId: strategy, instrumentId: instrument, tsInit: 1 },
  {
    type: 'modify_order',
    clientOrderId: orderId,
    strategyId: strategy,
    instrumentId: instrument,
    quantity: 5,
    price: 187.3,
    triggerPrice: 187.1,
    tsInit: 1,
  },
];
const denied: OrderDenied = {
  type: 'order_denied',
  ...base,
  command: 'submit_order',
  reason: 'RISK_MAX_NOTIONAL',
  message: 'notional above limit',
};
const filled: OrderFilled = {
  type: 'order_filled',
  ...base,
  venue: venueId('PAPER-A'),
  venueOrderId: venueOrderId('v-1'),
  tradeId: tradeId('t-1'),
  side: 'buy',
  lastQuantity: 4,
  lastPrice: 187.2,
  fee: 0.35,
  feeCurrency: 'USD',
  liquidity: 'taker',
  leavesQuantity: 6,
};
const venue = venueId('PAPER-A');
const events: OrderEvent[] = [
  denied,
  { type: 'order_submitted', ...base, venue },
  { type: 'order_accepted', ...base, venue, venueOrderId: venueOrderId('v-1') },
  { type: 'order_rejected', ...base, venue, reason: 'VENUE_REJECTED', message: 'no' },
  { type: 'order_triggered', ...base },
  { type: 'order_pending_cancel', ...base },
  { type: 'order_pending_update', ...base },
  { type: 'order_modified', ...base, quantity: 5, price: 187.3, triggerPrice: 187.1 },
  { type: 'order_modify_rejected', ...base, reason: 'VENUE_REJECTED', message: 'no' },
  { type: 'order_cancel_rejected', ...base, reason: 'VENUE_REJECTED', message: 'no' },
  { type: 'order_canceled', ...base, reason: 'user' },
  { type: 'order_expired', ...base },
  filled,
];
const alert: Alert = {
  type: 'alert',
  severity: 'critical',
  code: 'OPS_MALFORMED_MESSAGE',
  source: 'bus',
  message: 'x',
  tsEvent: 1,
};

/** Real messages per stream, typed by the bus contract so they are exactly what the engines publish. */
function samples<S extends StreamName>(stream: S, messages: readonly MessageOf<S>[]): [string, object][] {
  return messages.map((m) => [stream, m]);
}
const cases: [string, object][] = [
  ...samples(Streams.ticks, ticks),
  ...samples(Streams.books, [book]),
  ...samples(Streams.candles('1m'), [bar]),
  ...samples(Streams.candles('1d'), [{ ...bar, timeframe: '1d' }]),
  ...samples(Streams.ordersIncoming, commands),
  ...samples(Streams.ordersValidated, commands),
  ...samples(Streams.ordersRejected, [denied]),
  ...samples(Streams.ordersEvents, events),
  ...samples(Streams.fills, [filled]),
  ...samples(Streams.alerts, [alert]),
];

/** Fields the model declares optional (`?:` or `| undefined`): absent is fine, wrong type is not. */
const OPTIONAL: Readonly<Record<string, readonly string[]>> = {
  submit_order: ['order.price', 'order.triggerPrice', 'order.smartRoute', 'order.tsOrigin'],
  modify_order: ['quantity', 'price', 'triggerPrice'],
  order_modified: ['price', 'triggerPrice'],
};

type Path = (string | number)[];

/** Every leaf path of a JSON value (array elements included). */
function leafPaths(value: unknown, prefix: Path = []): Path[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const out: Path[] = [];
  for (const [key, child] of Object.entries(value)) {
    const index = Array.isArray(value) ? Number(key) : key;
    out.push(...leafPaths(child, [...prefix, index]));
  }
  return out;
}

/** A deep copy of `message` with the value at `path` changed by `edit` (removed when it returns `remove`). */
const remove = Symbol('remove');
function edited(message: object, path: Path, edit: (value: unknown) => unknown): unknown {
  const copy = structuredClone(message) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  const next = edit(parent[last]);
  if (next === remove) delete parent[last];
  else parent[last] = next;
  return copy;
}

/** A value of another JSON type than `value`. */
function wrongType(value: unknown): unknown {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return 42;
  if (typeof value === 'boolean') return value ? 'true' : 0;
  return 'x';
}

const describeCase = ([stream, message]: [string, object]): string =>
  `${stream} ${(message as { type: string }).type}`;

describe('message schemas', () => {
  it.each(cases.map((c) => [describeCase(c), c] as const))('accepts a real %s', (_, [stream, message]) => {
    const check = checkWith(schemaForStream(stream)!);
    expect(check(message)).toBeUndefined();
    // As it arrives over the wire, and with a field from a newer version.
    expect(check(JSON.parse(JSON.stringify(message)))).toBeUndefined();
    expect(check({ ...message, addedLater: { anything: [1] } })).toBeUndefined();
  });

  it.each(cases.map((c) => [describeCase(c), c] as const))(
    'rejects each missing or wrong-typed field of %s, naming it',
    (_, [stream, message]) => {
      const check = checkWith(schemaForStream(stream)!);
      const type = (message as { type: string }).type;
      const optional = OPTIONAL[type] ?? [];
      const paths = leafPaths(message);
      expect(paths.length).toBeGreaterThan(3);
      for (const path of paths) {
        const name = path.join('.');
        const missing = check(edited(message, path, () => remove));
        if (optional.includes(name)) expect(missing, name).toBeUndefined();
        else expect(missing, name).toMatch(new RegExp(`^${name.replace(/\./g, '\\.')}: `));
        const value = path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], message);
        const wrong = check(edited(message, path, wrongType));
        expect(wrong, name).toMatch(new RegExp(`^${name.replace(/\./g, '\\.')}: `));
        if (typeof value === 'number') {
          // Numbers must be finite (NaN and ±Infinity never come from a valid model value).
          for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])
            expect(check(edited(message, path, () => bad)), name).toMatch(/^.+: expected number/);
        }
      }
    },
  );

  it('names the field and both types in the reason', () => {
    const check = checkWith(schemaForStream(Streams.fills)!);
    expect(check({ ...filled, lastQuantity: String(filled.lastQuantity) })).toBe(
      'lastQuantity: expected number, received string',
    );
    const { clientOrderId: _dropped, ...order } = request;
    expect(checkWith(schemaForStream(Streams.ordersIncoming)!)({ ...commands[0], order })).toBe(
      'order.clientOrderId: expected string, received undefined',
    );
  });

  it('rejects a message whose type does not belong on the stream', () => {
    const typeOf = (m: object): string => (m as { type: string }).type;
    let rejected = 0;
    for (const [stream] of cases) {
      const check = checkWith(schemaForStream(stream)!);
      const ownTypes = new Set(cases.filter(([s]) => s === stream).map(([, m]) => typeOf(m)));
      for (const [, message] of cases) {
        if (ownTypes.has(typeOf(message))) continue;
        expect(check(message), `${typeOf(message)} on ${stream}`).toMatch(/^type: /);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(cases.length);
  });

  it('leaves streams without a schema unvalidated', () => {
    for (const stream of [Streams.deadLetter, 'something.else'])
      expect(schemaForStream(stream)).toBeUndefined();
  });

  it('checks greeks and news items by their schemas', () => {
    const greeks = schemaForStream(Streams.greeks)!;
    const news = schemaForStream(Streams.newsRaw)!;
    const item = {
      type: 'news',
      id: 'g1',
      source: 'yahoo-finance',
      title: 't',
      summary: 's',
      url: 'https://example.com/a',
      instruments: ['AAPL.XNAS'],
      publishedAt: 1,
      tsInit: 2,
    };
    expect(news.safeParse(item).success).toBe(true);
    expect(news.safeParse({ ...item, instruments: 'AAPL.XNAS' }).success).toBe(false);
    expect(greeks.safeParse({ type: 'greeks', instrumentId: 'X', delta: '0.5' }).success).toBe(false);
  });
});
