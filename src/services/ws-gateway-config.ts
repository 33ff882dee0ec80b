// Configuration of the WebSocket gateway (`hf service ws`, :8765): a zod schema with defaults and its types.

import { hostname } from 'node:os';
import { z } from 'zod';
import { timeframeMicros } from '../marketdata/config.ts';

const positiveInteger = z.number().int().positive();

export const WsGatewayConfigSchema = z
  .object({
    /** TCP port for WebSocket upgrades and `GET /health`; 0 picks a free port (tests). */
    port: z.number().int().min(0).max(65_535).default(8765),
    host: z.string().min(1).default('0.0.0.0'),
    /**
     * This instance's name: it subscribes to every stream as group `ws-gateway:<instanceId>`, so every instance
     * sees every message. Two instances on one bus must differ (the default is the host name: one per pod).
     */
    instanceId: z
      .string()
      .min(1)
      .regex(/^[^\s]+$/, 'no spaces')
      .default(hostname()),
    /**
     * Origins a browser may connect from, compared exactly (scheme, host and port), or `*` for any. A request
     * from another origin is refused at the HTTP upgrade with 403.
     */
    allowedOrigins: z
      .array(z.string().min(1))
      .default(['http://localhost:3000', 'http://127.0.0.1:3000', 'http://localhost:8000']),
    /** Accept upgrades without an Origin header: browsers always send one, desktop and server clients may not. */
    allowMissingOrigin: z.boolean().default(true),
    /** Candle timeframes to subscribe to (`candles.<tf>`), e.g. `1m`, `1d`. */
    timeframes: z
      .array(z.string().refine((s) => timeframeMicros(s) !== undefined, 'a timeframe such as 1s, 5m, 1h, 1d'))
      .default(['1m']),
    /** Instruments clients may subscribe to; empty: any well-formed `SYMBOL.VENUE`. */
    instruments: z.array(z.string().min(1)).default([]),
    /** Connections beyond this many are closed with 1013 (try again later). */
    maxClients: positiveInteger.default(1000),
    /** Channels one connection may hold at once; beyond: an error frame, the connection stays up. */
    maxSubscriptionsPerClient: positiveInteger.default(512),
    /** Largest client frame, bytes (ws `maxPayload`); a larger one closes the connection with 1009. */
    maxMessageBytes: positiveInteger.default(16 * 1024),
    /** Client frames per second per connection; beyond: closed with 1008 (policy violation). */
    maxFramesPerSecond: positiveInteger.default(200),
    /** Frames per second per connection that draw an error (malformed, unknown op or channel); beyond: 1008. */
    maxBadFramesPerSecond: positiveInteger.default(10),
    /** Updates are written to a connection only while its unsent bytes (`bufferedAmount`) are under this. */
    maxBufferedBytes: positiveInteger.default(1024 * 1024),
    /** A connection over `maxBufferedBytes` this long is closed with 4008 (slow consumer). */
    slowConsumerMs: positiveInteger.default(10_000),
    /** Pending events (orders, fills, alerts) kept per connection while it is over the limit; oldest dropped. */
    maxQueuedEvents: positiveInteger.default(1000),
    /** How often queued updates of connections over the limit are retried, ms. */
    drainIntervalMs: positiveInteger.default(20),
    /** A ws ping every this many ms; a connection that has not answered the previous one is terminated. */
    heartbeatIntervalMs: positiveInteger.default(15_000),
    /** After the gateway closes a connection, ms to wait for the closing handshake before dropping the socket. */
    closeGraceMs: positiveInteger.default(2000),
    /** Candles in a `candles:` snapshot (the last N bars). */
    snapshotCandles: z.number().int().min(0).max(10_000).default(100),
    /** Events in an `orders`, `fills` or `alerts` snapshot (the most recent N). */
    snapshotEvents: z.number().int().min(0).max(10_000).default(100),
  })
  .strict();

export type WsGatewayConfig = z.infer<typeof WsGatewayConfigSchema>;
/** What a caller may pass: every key optional, defaults filled in by the schema. */
export type WsGatewayConfigInput = z.input<typeof WsGatewayConfigSchema>;
