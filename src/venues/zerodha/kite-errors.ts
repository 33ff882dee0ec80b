// Kite Connect errors (the `{status:"error", message, error_type}` envelope the official client rejects with)
// turned into what the adapter does about them: a reason code from the catalogue, and whether the venue's
// answer is final (refused), unknown (the request may or may not have taken effect), a dead token or a 429.

import type { ReasonCode } from '../../common/errors.ts';
import type { Redactor } from './secrets.ts';

/**
 * `token`: TokenException, the daily access token is dead; nothing more is sent with it.
 * `rate_limited`: HTTP 429; the request was not acted on.
 * `refused`: the venue's definite no (bad input, order state, margin, holdings, user).
 * `unknown`: network, timeout, server or unparseable errors: the request may have taken effect.
 */
export type KiteFailureKind = 'token' | 'rate_limited' | 'refused' | 'unknown';

export interface KiteFailure {
  readonly kind: KiteFailureKind;
  readonly reason: ReasonCode;
  /** Kite's exception name (`InputException`, …) or what the client reported. */
  readonly errorType: string;
  /** Kite's message, redacted. */
  readonly message: string;
}

const TOO_MANY = /too many requests|rate limit/i;
const CLOSED =
  /already (been )?(complete|completed|cancelled|canceled|rejected|executed)|is (complete|cancelled|rejected)/i;

function field(error: unknown, name: string): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[name] : undefined;
}

/** Classifies whatever a KiteConnect call rejected with; never throws. */
export function classifyKiteError(error: unknown, redactor: Redactor): KiteFailure {
  const rawType = field(error, 'error_type');
  const rawMessage = field(error, 'message');
  const errorType =
    typeof rawType === 'string' ? rawType : error instanceof Error ? error.name : 'UnknownError';
  const message = redactor.excerpt(
    typeof rawMessage === 'string' ? rawMessage : error instanceof Error ? error.message : String(error),
    300,
  );
  if (errorType === 'TokenException')
    return { kind: 'token', reason: 'VENUE_KITE_TOKEN_EXPIRED', errorType, message };
  if (TOO_MANY.test(message))
    return { kind: 'rate_limited', reason: 'VENUE_RATE_LIMITED', errorType, message };
  switch (errorType) {
    case 'InputException':
      return {
        kind: 'refused',
        reason: CLOSED.test(message) ? 'VENUE_ORDER_CLOSED' : 'VENUE_INVALID_ORDER',
        errorType,
        message,
      };
    case 'OrderException':
    case 'UserException':
      return {
        kind: 'refused',
        reason: CLOSED.test(message) ? 'VENUE_ORDER_CLOSED' : 'VENUE_REJECTED',
        errorType,
        message,
      };
    case 'MarginException':
      return { kind: 'refused', reason: 'VENUE_INSUFFICIENT_MARGIN', errorType, message };
    case 'HoldingException':
      return { kind: 'refused', reason: 'VENUE_INSUFFICIENT_HOLDINGS', errorType, message };
    default:
      // NetworkException, DataException, GeneralException, timeouts and anything unforeseen.
      return { kind: 'unknown', reason: 'VENUE_UNREACHABLE', errorType, message };
  }
}

/** An error from a query the venue could not answer, with the reason code and a redacted message. */
export class ZerodhaVenueError extends Error {
  constructor(
    readonly code: ReasonCode,
    message: string,
  ) {
    super(message);
    this.name = 'ZerodhaVenueError';
  }
}
