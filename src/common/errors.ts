// The catalogue of reason codes. Every denial, rejection, break and alert names one of these, so an
// operator can grep a log line and find the rule. Codes are stable: add, never rename.

export const Reasons = {
  // pre-trade risk (orders.rejected)
  RISK_INVALID_QUANTITY: 'quantity is not a positive finite number',
  RISK_INVALID_PRICE: 'price is missing, not finite or not positive',
  RISK_QUANTITY_LOT: 'quantity is not a multiple of the lot size',
  RISK_PRICE_TICK: 'price is not a multiple of the tick size',
  RISK_UNKNOWN_INSTRUMENT: 'instrument is not in the registry',
  RISK_INVALID_SIDE: 'side is neither buy nor sell',
  RISK_INVALID_ORDER_TYPE: 'order type or time in force is not one the platform knows',
  RISK_MAX_ORDER_QUANTITY: 'order quantity above the maximum',
  RISK_MAX_NOTIONAL: 'order notional above the maximum',
  RISK_PRICE_COLLAR: 'price too far from the last reference price',
  RISK_NO_REFERENCE_PRICE: 'no reference price yet for a market order',
  RISK_POSITION_LIMIT: 'position limit for the instrument would be exceeded',
  RISK_STRATEGY_GROSS_EXPOSURE: 'strategy gross exposure cap would be exceeded',
  RISK_STRATEGY_NET_EXPOSURE: 'strategy net exposure cap would be exceeded',
  RISK_SECTOR_EXPOSURE: 'sector exposure cap would be exceeded',
  RISK_REGION_EXPOSURE: 'region exposure cap would be exceeded',
  RISK_RESTRICTED_INSTRUMENT: 'instrument is on the restricted list',
  RISK_BLOCKED_REGION: 'region is blocked by policy',
  RISK_THROTTLE: 'strategy message rate above its limit',
  RISK_DUPLICATE_ORDER: 'same order already open (same strategy, instrument, side, quantity and price)',
  RISK_BUYING_POWER: 'not enough cash / buying power',
  RISK_KILL_SWITCH: 'kill switch engaged: trading halted',
  RISK_TRADING_HALTED: 'trading state is HALTED',
  RISK_REDUCING_ONLY: 'trading state is REDUCING: only orders that shrink exposure',
  RISK_STRATEGY_DISABLED: 'strategy is disabled',
  RISK_REDUCE_ONLY_VIOLATION: 'reduce-only order would increase the position',
  RISK_VAR_LIMIT: 'order would take portfolio VaR/ES above its band',
  RISK_VAR_NO_HISTORY:
    'too little return history for the VaR/ES bands: orders pass them until there is enough',
  RISK_VAR_MODEL:
    'VaR/ES could not be computed (covariance not factorable or not finite): previous figures kept',
  RISK_DRAWDOWN_BAND: 'drawdown crossed a policy band: trading state moved to REDUCING or HALTED',
  RISK_CAP_BELOW_EXPOSURE:
    'a reloaded cap is below the exposure it caps: that scope is REDUCING (what shrinks it passes) until back under',
  RISK_STRATEGY_DRAWDOWN: 'strategy is REDUCING or HALTED by a drawdown band (or an operator)',
  // OMS
  OMS_UNKNOWN_ORDER: 'no such order in the OMS',
  OMS_ORDER_CLOSED: 'order is already closed',
  OMS_NO_VENUE: 'no venue can take this order',
  OMS_VENUE_DISCONNECTED: 'venue is not connected',
  OMS_ILLEGAL_TRANSITION: 'venue event does not fit the order state (ignored)',
  OMS_VENUE_LATENCY: "venue's submit → ack p95 above its band: flow shifted to another venue",
  OMS_VENUE_LATENCY_RECOVERED: "venue's latency back within its band: flow returns",
  // venues
  VENUE_REJECTED: 'rejected by the venue',
  VENUE_UNKNOWN_ORDER: 'the venue does not know this order',
  VENUE_ORDER_CLOSED: 'the order is already closed at the venue',
  VENUE_INVALID_ORDER: 'quantity, price or tick invalid at the venue',
  VENUE_UNSUPPORTED_ORDER: 'order type / time in force not supported by the venue',
  VENUE_NO_LIQUIDITY: 'no liquidity to fill the order',
  VENUE_FOK_UNFILLABLE: 'fill-or-kill order cannot be filled in full',
  VENUE_IOC_REMAINDER: 'immediate-or-cancel remainder canceled',
  VENUE_POST_ONLY: 'order would take liquidity',
  VENUE_USER_CANCELED: 'canceled on request',
  VENUE_KILL_SWITCH: 'canceled by the kill switch',
  VENUE_EXPIRED: 'time in force expired',
  VENUE_CANCELED_BY_VENUE: 'canceled by the venue or the exchange, not on request',
  VENUE_KITE_TOKEN_EXPIRED: 'Kite access token expired or invalid: venue stopped until the daily login',
  VENUE_RATE_LIMITED: 'the venue refused the request as over its rate limit (HTTP 429)',
  VENUE_INSUFFICIENT_MARGIN: 'not enough funds or margin at the venue for the order',
  VENUE_INSUFFICIENT_HOLDINGS: 'not enough holdings at the venue for the sell order',
  VENUE_UNREACHABLE: 'the venue did not answer (timeout, network or server error): outcome unknown',
  VENUE_MALFORMED_MESSAGE: 'a venue message could not be parsed (logged with an excerpt, counted)',
  VENUE_FEED_DOWN: 'the venue market-data stream is down: its reconnect attempts ran out',
  // venues: Interactive Brokers (TWS / IB Gateway); the IB error code is in the event's message
  VENUE_IB_DISCONNECTED: 'not connected to TWS / IB Gateway: the request was not sent',
  VENUE_IB_NOT_RECEIVED: 'after a reconnect IB has no record of the order: it never reached IB',
  VENUE_IB_PACING: 'IB message rate limit exceeded (error 100): the request was not acted on',
  VENUE_IB_DUPLICATE_ORDER_ID: 'IB refused a reused order id (error 103)',
  VENUE_IB_UNKNOWN_CONTRACT: 'IB has no security definition for the contract (error 200)',
  VENUE_IB_NO_PERMISSION: 'the contract is not available or allowed for the account (error 203)',
  VENUE_IB_ORDER_REJECTED: 'rejected by IB (error 201): the message carries IB reason',
  VENUE_IB_INACTIVE: 'IB reports the order inactive (rejected or canceled without a reason)',
  VENUE_IB_NO_CONTRACT: 'no IB contract is configured for the instrument',
  VENUE_IB_NOT_OURS: 'the order belongs to another IB client and cannot be changed from here',
  VENUE_IB_CLIENT_ID_IN_USE: 'another session holds the IB client id (error 326)',
  VENUE_IB_CONNECTIVITY_LOST: 'TWS lost its connection to IB (1100 / 2110): treated as disconnected',
  VENUE_IB_UNEXPECTED_MESSAGE: 'a message from TWS fits no known order or request (logged, counted, ignored)',
  VENUE_IB_COMMISSION_ESTIMATED: 'no IB commission report in time: the fill carries the fee model estimate',
  // ledger
  LEDGER_UNKNOWN_INSTRUMENT: 'fill for an instrument not in the registry (not booked)',
  LEDGER_INVALID_FILL: 'fill has a missing or invalid id, side, quantity, price or fee (not booked)',
  LEDGER_DUPLICATE_REFERENCE: 'deposit reference already used with another currency or amount',
  LEDGER_INVALID_DEPOSIT: 'deposit has an invalid currency, amount or reference',
  LEDGER_STORE_FAILED: 'booked entries could not be persisted (kept and retried)',
  STORE_UNAVAILABLE: 'the database is unreachable (retried with backoff)',
  // reconciliation
  RECON_MISSING_FILL: 'the venue reports a fill the OMS does not have',
  RECON_UNKNOWN_FILL: 'the OMS has a fill the venue does not report',
  RECON_FILL_MISMATCH: 'fill quantity or price differs between OMS and venue',
  RECON_UNKNOWN_ORDER: 'the venue reports an order the OMS does not know (external)',
  RECON_MISSING_ORDER: 'the OMS has an open order the venue does not report',
  RECON_STATUS_MISMATCH: 'order status or filled quantity differs between OMS and venue',
  RECON_POSITION_MISMATCH: 'position differs between ledger and venue',
  // market data: quarantine reasons of the quality gate (the message is dropped and counted)
  MD_MALFORMED: 'market data message has no instrument, no finite event time, or an unknown type',
  MD_NAN_PRICE: 'a price is NaN or infinite',
  MD_NON_POSITIVE_PRICE: 'a price is zero or negative',
  MD_NAN_SIZE: 'a size or volume is NaN or infinite',
  MD_NEGATIVE_SIZE: 'a size or volume is negative',
  MD_BAR_INCONSISTENT: 'bar high/low do not contain its open and close',
  MD_PRICE_BAND: 'price outside the band around the last good price',
  MD_CROSSED_BOOK: 'best bid above best ask',
  MD_LOCKED_BOOK: 'best bid equals best ask',
  MD_OUT_OF_ORDER: 'event time older than the last accepted message of the instrument and type',
  MD_DUPLICATE: 'same instrument, event time and values as an accepted message',
  // market data: feeds and books
  MD_STALE_FEED: 'no update from a feed within its staleness limit',
  MD_FEED_ERROR: 'a feed reported an error',
  MD_FEED_FAILOVER: 'instrument switched to its other feed',
  MD_FEED_FAILBACK: 'instrument switched back to its primary feed',
  MD_FEEDS_DOWN: 'both feeds of an instrument are stale: the last active one is kept',
  MD_INACTIVE_FEED: 'message from the feed that is not active for the instrument (dropped)',
  MD_BOOK_SEQUENCE_GAP: 'book delta sequence gap: book stale until a snapshot arrives',
  // operations
  OPS_STRATEGY_ERROR: 'a strategy threw and was stopped',
  OPS_POLICY_APPLIED: 'an edited risk.yaml / policy.yaml was validated and applied without a restart',
  OPS_POLICY_INVALID:
    'an edited risk.yaml / policy.yaml was refused (file, key, problem); the running policy stays',
  OPS_KILL_SWITCH_ON: 'kill switch engaged',
  OPS_KILL_SWITCH_OFF: 'kill switch released',
  OPS_RECONCILIATION_BREAK: 'reconciliation found breaks',
  OPS_HANDLER_ERROR: 'a bus consumer failed on a message',
  OPS_MALFORMED_MESSAGE: 'a malformed message was dead-lettered',
  CONFIG_INVALID: 'a configuration file is invalid',
} as const;

export type ReasonCode = keyof typeof Reasons;

export function describeReason(code: string): string {
  return (Reasons as Record<string, string>)[code] ?? code;
}

/** A configuration error that names the file, the key and the problem. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly file: string,
    readonly key: string,
    readonly problem: string,
  ) {
    super(`${file}: ${key ? `${key}: ` : ''}${problem}`);
    this.name = 'ConfigError';
  }
}
