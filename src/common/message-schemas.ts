// Structural schemas of every message on the bus, checked where messages cross a process boundary (bus/redis.ts).
//
// Only shape and type are checked here: required fields present, numbers finite (zod 4's z.number() rejects
// NaN and ±Infinity), literal unions within their values. Extra fields pass (forward compatibility). Semantic
// checks (positive quantity, tick size, known instrument) stay with the engines, which deny with reason codes.

import { z } from 'zod';
import { Streams } from './topics.ts';

const side = z.enum(['buy', 'sell']);

// ---- market data ----

export const quoteTickSchema = z.looseObject({
  type: z.literal('quote'),
  instrumentId: z.string(),
  bid: z.number(),
  ask: z.number(),
  bidSize: z.number(),
  askSize: z.number(),
  tsEvent: z.number(),
  tsInit: z.number(),
});

export const tradeTickSchema = z.looseObject({
  type: z.literal('trade'),
  instrumentId: z.string(),
  price: z.number(),
  size: z.number(),
  aggressor: z.enum(['buy', 'sell', 'unknown']),
  tsEvent: z.number(),
  tsInit: z.number(),
});

export const tickSchema = z.discriminatedUnion('type', [quoteTickSchema, tradeTickSchema]);

export const barSchema = z.looseObject({
  type: z.literal('bar'),
  instrumentId: z.string(),
  timeframe: z.string(),
  open: z.number(),
  high: z.number(),
  low: z.number(),
  close: z.number(),
  volume: z.number(),
  filled: z.boolean().optional(),
  tsEvent: z.number(),
  tsInit: z.number(),
});

const bookLevelSchema = z.looseObject({ price: z.number(), size: z.number() });

export const bookSnapshotSchema = z.looseObject({
  type: z.literal('book'),
  instrumentId: z.string(),
  bids: z.array(bookLevelSchema),
  asks: z.array(bookLevelSchema),
  sequence: z.number(),
  tsEvent: z.number(),
  tsInit: z.number(),
});

export const optionGreeksSchema = z.looseObject({
  type: z.literal('greeks'),
  instrumentId: z.string(),
  underlyingId: z.string(),
  underlyingPrice: z.number(),
  model: z.string(),
  price: z.number(),
  volatility: z.number(),
  delta: z.number(),
  gamma: z.number(),
  vega: z.number(),
  theta: z.number(),
  rho: z.number(),
  dividendRho: z.number(),
  tsEvent: z.number(),
  tsInit: z.number(),
});

export const newsItemSchema = z.looseObject({
  type: z.literal('news'),
  id: z.string(),
  source: z.string(),
  title: z.string(),
  summary: z.string(),
  url: z.string(),
  instruments: z.array(z.string()),
  publishedAt: z.number(),
  tsInit: z.number(),
});

// ---- commands ----

export const orderRequestSchema = z.looseObject({
  clientOrderId: z.string(),
  strategyId: z.string(),
  instrumentId: z.string(),
  side,
  type: z.enum(['market', 'limit', 'stop', 'stop_limit']),
  quantity: z.number(),
  price: z.number().optional(),
  triggerPrice: z.number().optional(),
  timeInForce: z.enum(['DAY', 'GTC', 'IOC', 'FOK']),
  reduceOnly: z.boolean(),
  smartRoute: z.boolean().optional(),
  tsOrigin: z.number().optional(),
  tsInit: z.number(),
});

export const submitOrderSchema = z.looseObject({
  type: z.literal('submit_order'),
  order: orderRequestSchema,
  tsInit: z.number(),
});

const orderReference = {
  clientOrderId: z.string(),
  strategyId: z.string(),
  instrumentId: z.string(),
};

export const cancelOrderSchema = z.looseObject({
  type: z.literal('cancel_order'),
  ...orderReference,
  tsInit: z.number(),
});

export const modifyOrderSchema = z.looseObject({
  type: z.literal('modify_order'),
  ...orderReference,
  quantity: z.number().optional(),
  price: z.number().optional(),
  triggerPrice: z.number().optional(),
  tsInit: z.number(),
});

export const tradingCommandSchema = z.discriminatedUnion('type', [
  submitOrderSchema,
  cancelOrderSchema,
  modifyOrderSchema,
]);

// ---- order events ----

const eventBase = {
  ...orderReference,
  tsEvent: z.number(),
  tsInit: z.number(),
};

export const orderDeniedSchema = z.looseObject({
  type: z.literal('order_denied'),
  ...eventBase,
  command: z.enum(['submit_order', 'cancel_order', 'modify_order']),
  reason: z.string(),
  message: z.string(),
});

export const orderFilledSchema = z.looseObject({
  type: z.literal('order_filled'),
  ...eventBase,
  venue: z.string(),
  venueOrderId: z.string(),
  tradeId: z.string(),
  side,
  lastQuantity: z.number(),
  lastPrice: z.number(),
  fee: z.number(),
  feeCurrency: z.string(),
  liquidity: z.enum(['maker', 'taker']),
  leavesQuantity: z.number(),
});

export const orderEventSchema = z.discriminatedUnion('type', [
  orderDeniedSchema,
  z.looseObject({ type: z.literal('order_submitted'), ...eventBase, venue: z.string() }),
  z.looseObject({
    type: z.literal('order_accepted'),
    ...eventBase,
    venue: z.string(),
    venueOrderId: z.string(),
  }),
  z.looseObject({
    type: z.literal('order_rejected'),
    ...eventBase,
    venue: z.string(),
    reason: z.string(),
    message: z.string(),
  }),
  z.looseObject({ type: z.literal('order_triggered'), ...eventBase }),
  z.looseObject({ type: z.literal('order_pending_cancel'), ...eventBase }),
  z.looseObject({ type: z.literal('order_pending_update'), ...eventBase }),
  z.looseObject({
    type: z.literal('order_modified'),
    ...eventBase,
    quantity: z.number(),
    // `number | undefined` in the model: JSON drops the key when undefined.
    price: z.number().optional(),
    triggerPrice: z.number().optional(),
  }),
  z.looseObject({
    type: z.literal('order_modify_rejected'),
    ...eventBase,
    reason: z.string(),
    message: z.string(),
  }),
  z.looseObject({
    type: z.literal('order_cancel_rejected'),
    ...eventBase,
    reason: z.string(),
    message: z.string(),
  }),
  z.looseObject({ type: z.literal('order_canceled'), ...eventBase, reason: z.string() }),
  z.looseObject({ type: z.literal('order_expired'), ...eventBase }),
  orderFilledSchema,
]);

// ---- alerts ----

export const alertSchema = z.looseObject({
  type: z.literal('alert'),
  severity: z.enum(['info', 'warning', 'critical']),
  code: z.string(),
  source: z.string(),
  message: z.string(),
  tsEvent: z.number(),
});

// ---- side workers ----

export const sentimentUpdateSchema = z.looseObject({
  type: z.literal('sentiment'),
  instrumentId: z.string(),
  newsId: z.string(),
  source: z.string(),
  itemScore: z.number(),
  matches: z.number(),
  score: z.number(),
  weight: z.number(),
  tsEvent: z.number(),
  tsInit: z.number(),
});

const scenarioResultSchema = z.looseObject({
  name: z.string(),
  description: z.string(),
  pnl: z.number(),
  worstPnl: z.number(),
  byStrategy: z.record(z.string(), z.number()),
  byInstrument: z.record(z.string(), z.number()),
  unmodelled: z.array(z.string()),
});

export const scenarioReportSchema = z.looseObject({
  type: z.literal('scenario_report'),
  baseCurrency: z.string(),
  positions: z.number(),
  scenarios: z.array(scenarioResultSchema),
  tsEvent: z.number(),
  tsInit: z.number(),
});

/** A structural check of one message: undefined when it passes, else the first problem (`path: problem`). */
export type MessageCheck = (message: unknown) => string | undefined;

/** The first issue of a failed parse as `path: problem`, e.g. `lastQuantity: expected number, received string`. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(message)';
  const problem = issue.message.startsWith('Invalid input: ')
    ? issue.message.slice('Invalid input: '.length)
    : issue.message;
  return `${path}: ${problem}`;
}

/** A MessageCheck from a schema. */
export function checkWith(schema: z.ZodType): MessageCheck {
  return (message) => {
    const result = schema.safeParse(message);
    if (result.success) return undefined;
    const issue = result.error.issues[0];
    return issue ? describeIssue(issue) : 'invalid message';
  };
}

/**
 * The schema of the messages on `stream`, or undefined for streams whose messages are not validated
 * (greeks.live, news.raw, deadletter, anything unknown).
 */
export function schemaForStream(stream: string): z.ZodType | undefined {
  switch (stream) {
    case Streams.ticks:
      return tickSchema;
    case Streams.books:
      return bookSnapshotSchema;
    case Streams.greeks:
      return optionGreeksSchema;
    case Streams.newsRaw:
      return newsItemSchema;
    case Streams.ordersIncoming:
    case Streams.ordersValidated:
      return tradingCommandSchema;
    case Streams.ordersRejected:
      return orderDeniedSchema;
    case Streams.ordersEvents:
      return orderEventSchema;
    case Streams.fills:
      return orderFilledSchema;
    case Streams.alerts:
      return alertSchema;
    case Streams.sentiment:
      return sentimentUpdateSchema;
    case Streams.scenarios:
      return scenarioReportSchema;
    default:
      return stream.startsWith('candles.') ? barSchema : undefined;
  }
}
