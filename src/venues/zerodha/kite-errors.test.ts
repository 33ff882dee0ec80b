// Kite's exception names (kite.trade/docs/connect/v3/exceptions) to what the adapter does: a definite refusal
// with a catalogued reason, a dead token, a 429, or an unknown outcome.

import { describe, expect, it } from 'vitest';
import { describeReason } from '../../common/errors.ts';
import { classifyKiteError } from './kite-errors.ts';
import { Redactor } from './secrets.ts';

const r = new Redactor();
const kite = (error_type: string, message: string): unknown => ({
  status: 'error',
  error_type,
  message,
  data: null,
});

describe('classifyKiteError', () => {
  it('maps each Kite exception to a kind and a reason code of the catalogue', () => {
    const table = [
      [kite('TokenException', 'Incorrect `api_key` or `access_token`.'), 'token', 'VENUE_KITE_TOKEN_EXPIRED'],
      [kite('NetworkException', 'Too many requests'), 'rate_limited', 'VENUE_RATE_LIMITED'],
      [kite('InputException', 'Invalid `quantity`.'), 'refused', 'VENUE_INVALID_ORDER'],
      [
        kite('InputException', 'Order cannot be cancelled as it is already completed.'),
        'refused',
        'VENUE_ORDER_CLOSED',
      ],
      [kite('OrderException', 'Order rejected by RMS'), 'refused', 'VENUE_REJECTED'],
      [kite('UserException', 'Account blocked'), 'refused', 'VENUE_REJECTED'],
      [kite('MarginException', 'Insufficient funds'), 'refused', 'VENUE_INSUFFICIENT_MARGIN'],
      [kite('HoldingException', 'Insufficient holdings'), 'refused', 'VENUE_INSUFFICIENT_HOLDINGS'],
      [
        kite('NetworkException', 'No response from server with error code: ECONNRESET'),
        'unknown',
        'VENUE_UNREACHABLE',
      ],
      [kite('DataException', 'Unknown content type'), 'unknown', 'VENUE_UNREACHABLE'],
      [kite('GeneralException', 'Something unexpected went wrong'), 'unknown', 'VENUE_UNREACHABLE'],
      [new Error('socket hang up'), 'unknown', 'VENUE_UNREACHABLE'],
      ['a string', 'unknown', 'VENUE_UNREACHABLE'],
      [undefined, 'unknown', 'VENUE_UNREACHABLE'],
    ] as const;
    for (const [error, kind, reason] of table) {
      const failure = classifyKiteError(error, r);
      expect([failure.kind, failure.reason], JSON.stringify(error) ?? 'undefined').toEqual([kind, reason]);
      expect(describeReason(failure.reason)).not.toBe(failure.reason);
    }
  });

  it('keeps Kite’s exception name and message for the operator', () => {
    expect(classifyKiteError(kite('InputException', 'Invalid `price`.'), r)).toMatchObject({
      errorType: 'InputException',
      message: 'Invalid `price`.',
    });
  });
});
