// Ledger reason codes: the LEDGER_* entries of the catalogue in common/errors.ts.

import { Reasons } from '../common/errors.ts';

export const LedgerReasons = {
  LEDGER_UNKNOWN_INSTRUMENT: Reasons.LEDGER_UNKNOWN_INSTRUMENT,
  LEDGER_INVALID_FILL: Reasons.LEDGER_INVALID_FILL,
  LEDGER_DUPLICATE_REFERENCE: Reasons.LEDGER_DUPLICATE_REFERENCE,
  LEDGER_INVALID_DEPOSIT: Reasons.LEDGER_INVALID_DEPOSIT,
  LEDGER_STORE_FAILED: Reasons.LEDGER_STORE_FAILED,
} as const;

export type LedgerReasonCode = keyof typeof LedgerReasons;

/** Thrown by the pure Ledger for input it refuses; the engine checks first, so it never throws there. */
export class LedgerError extends Error {
  constructor(
    readonly code: LedgerReasonCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'LedgerError';
  }
}
