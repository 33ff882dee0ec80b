// The Bus: the only way engines talk to each other. Two implementations share this contract and one
// contract test suite: in-process (bus/memory.ts) and Redis Streams (bus/redis.ts).

import type {
  Alert,
  Bar,
  BookSnapshot,
  NewsItem,
  OptionGreeks,
  OrderDenied,
  OrderEvent,
  OrderFilled,
  ScenarioReport,
  SentimentUpdate,
  Tick,
  TradingCommand,
} from '../model/index.ts';
import type { Streams } from './topics.ts';

/** Which message type travels on which stream. */
export interface StreamMessages {
  [Streams.ticks]: Tick;
  [Streams.books]: BookSnapshot;
  [Streams.greeks]: OptionGreeks;
  [Streams.newsRaw]: NewsItem;
  [Streams.ordersIncoming]: TradingCommand;
  [Streams.ordersValidated]: TradingCommand;
  [Streams.ordersRejected]: OrderDenied;
  [Streams.ordersEvents]: OrderEvent;
  [Streams.fills]: OrderFilled;
  [Streams.alerts]: Alert;
  [Streams.sentiment]: SentimentUpdate;
  [Streams.scenarios]: ScenarioReport;
}

export type CandleStream = `candles.${string}`;
export type StreamName = keyof StreamMessages | CandleStream;
export type MessageOf<S extends StreamName> = S extends keyof StreamMessages
  ? StreamMessages[S]
  : S extends CandleStream
    ? Bar
    : never;

export type Handler<T> = (message: T) => void | Promise<void>;

export interface Subscription {
  unsubscribe(): void;
}

/** Hash-shaped control state (kill switch, strategy toggles, route overrides): the same keys as Redis. */
export interface ControlPlane {
  /** Reads the local view (kept current by change notifications), synchronously: safe on hot paths. */
  get(key: string, field: string): string | undefined;
  getAll(key: string): Readonly<Record<string, string>>;
  set(key: string, field: string, value: string): Promise<void>;
  /**
   * Sets a field holding a JSON document with a numeric `version` only when the stored one has a lower version
   * (or none, or is not such a document), atomically where the plane is shared; resolves with whether it did.
   */
  setVersioned(key: string, field: string, value: string, version: number): Promise<boolean>;
  delete(key: string, field: string): Promise<void>;
  /** Called for every change, local or from another process, after the local view is updated. */
  onChange(listener: (key: string, field: string, value: string | undefined) => void): Subscription;
}

export interface Bus {
  /**
   * Queues `message` on `stream`. Delivery is at least once, in publish order per stream. The in-process
   * bus delivers in the same turn (breadth-first, no recursion); the Redis bus pipelines.
   */
  publish<S extends StreamName>(stream: S, message: MessageOf<S>): void;
  /**
   * Every group receives every message; consumers within one group share them. A handler that returns a
   * promise is awaited before the message counts as handled (the Redis bus acks only then).
   */
  subscribe<S extends StreamName>(stream: S, group: string, handler: Handler<MessageOf<S>>): Subscription;
  /** Resolves when everything published so far has been handled. */
  flush(): Promise<void>;
  readonly control: ControlPlane;
  /** Handler failures: counted and reported here, never thrown into the publisher. */
  onError(listener: (error: unknown, stream: string, group: string) => void): Subscription;
  close(): Promise<void>;
}
