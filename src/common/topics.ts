// Every stream name and control key, defined once. Part of the contract with operators (runbook) and
// between processes: do not rename without a migration note.

export const Streams = {
  ticks: 'ticks.live',
  books: 'books.live',
  greeks: 'greeks.live',
  newsRaw: 'news.raw',
  /** Bars of one timeframe: `candles.1m`, `candles.1d`, … */
  candles: (timeframe: string): `candles.${string}` => `candles.${timeframe}`,
  ordersIncoming: 'orders.incoming',
  ordersValidated: 'orders.validated',
  ordersRejected: 'orders.rejected',
  ordersEvents: 'orders.events',
  fills: 'fills',
  alerts: 'alerts',
  deadLetter: 'deadletter',
  /** Rolling news sentiment per instrument (the sentiment worker). */
  sentiment: 'sentiment',
  /** Stress-test results of the live book (the scenario worker). */
  scenarios: 'scenarios',
} as const;

/**
 * The consumer group of a process's own view (counters, marks): every process needs every message and none is an
 * effect to acknowledge, so on Redis it is read without a consumer group (XREAD from the newest entry), like
 * market data. In a shared group, two processes (two api replicas, the api and a worker) would each count a share.
 */
export const VIEW_GROUP = 'view';

export const ControlKeys = {
  /** field `enabled` = `true` | `false` */
  killSwitch: 'policy:kill_switch',
  /** field `<strategy name>` = `true` | `false` */
  strategyEnabled: 'strategy:enabled',
  /** field `<VENUE>` = `<target venue>` */
  routeOverride: 'policy:route_override',
  /**
   * field `firm` or `<strategy id>` = `ACTIVE` | `REDUCING` | `HALTED`: an operator's trading state (how a state a
   * drawdown band set is released, or a strategy restricted by hand)
   */
  tradingState: 'policy:trading_state',
  /** field `<VENUE>` = `on` | `off`: latency-aware routing for the venue (overrides registry.yaml) */
  latencyRouting: 'policy:latency_routing',
  /** field `<instrument id>` = `primary` | `backup`: which market-data source an instrument uses */
  feedActive: 'feed:active',
} as const;

export type ControlKey = (typeof ControlKeys)[keyof typeof ControlKeys];
export const CONTROL_KEYS: readonly ControlKey[] = Object.values(ControlKeys);

/**
 * The policy documents in force across the fleet: field `risk.yaml` / `policy.yaml` = JSON
 * `{version, file, content, cause, actor, tsMs}`. Written by `hf policy set|rollback`, the API and an edit of the
 * file (src/kernel/policy-watch.ts), which validates first; every process with a risk engine applies each new
 * version on the change notification, and a process that starts adopts what is here. Not one of CONTROL_KEYS:
 * `/control` and `redis-cli HSET` of raw documents bypass validation (a receiver still refuses a bad one).
 */
export const PolicyDocumentsKey = 'policy:documents';
