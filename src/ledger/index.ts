// Public surface of the ledger engine.
export { Accounts, Ledger, formatBalance, validateFill } from './ledger.ts';
export type { InstrumentSource, LedgerSnapshot, LedgerSnapshotPosition } from './ledger.ts';
export { LEDGER_GROUP, LedgerEngine } from './engine.ts';
export type { LedgerEngineOptions, LedgerEngineStats } from './engine.ts';
export { LedgerError, LedgerReasons } from './reasons.ts';
export type { LedgerReasonCode } from './reasons.ts';
export type {
  AccountBalance,
  BookedFill,
  DepositJournal,
  FillJournal,
  Journal,
  JournalLine,
  LedgerEntry,
  LedgerStore,
  PositionView,
  RejectedEntry,
} from './types.ts';
