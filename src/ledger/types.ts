// Journals, ledger entries and the persistence port of the ledger (implemented by the store adapters).

import type { InstrumentId, OrderFilled, StrategyId, TradeId, VenueId } from '../model/index.ts';

/** One leg of a journal: debit positive, credit negative, in minor units of `currency`. */
export interface JournalLine {
  readonly account: string;
  readonly currency: string;
  readonly amountMinor: bigint;
}

interface JournalBase {
  /** Booking order, 1-based, unique across deposits and fills; stable across replays. */
  readonly sequence: number;
  /** Deposits: the caller's reference. Fills: `<venue>:<tradeId>`. */
  readonly ref: string;
  readonly tsEvent: number;
  /** Sum to 0n per currency. Zero amounts are left out, so a journal may have no lines. */
  readonly lines: readonly JournalLine[];
}

/** Capital paid in (positive) or withdrawn (negative): Dr cash / Cr equity. */
export interface DepositJournal extends JournalBase {
  readonly kind: 'deposit';
  readonly currency: string;
  readonly amountMinor: bigint;
}

export interface FillJournal extends JournalBase {
  readonly kind: 'fill';
  readonly venue: VenueId;
  readonly tradeId: TradeId;
  readonly instrumentId: InstrumentId;
  readonly strategyId: StrategyId;
}

export type Journal = DepositJournal | FillJournal;

/** A fill and the journal the ledger booked for it: persisted together, in one transaction. */
export interface BookedFill {
  readonly fill: OrderFilled;
  readonly journal: FillJournal;
}

/** What the ledger is rebuilt from, in booking order. `sequence` (when known) is kept on replay. */
export type LedgerEntry =
  | {
      readonly kind: 'deposit';
      readonly sequence?: number;
      readonly ref: string;
      readonly currency: string;
      readonly amountMinor: bigint;
      readonly tsEvent: number;
    }
  | { readonly kind: 'fill'; readonly sequence?: number; readonly fill: OrderFilled };

/** The persistence the ledger needs. Every store adapter (PGlite, PostgreSQL) implements it. */
export interface LedgerStore {
  /** One transaction for the whole batch; a fill already stored (same venue and tradeId) is skipped. */
  appendFills(fills: readonly BookedFill[]): Promise<void>;
  /** Idempotent on the deposit's ref. */
  appendDeposit(journal: DepositJournal): Promise<void>;
  /** Deposits and fills in booking order. */
  loadLedgerEntries(): Promise<LedgerEntry[]>;
}

/** A position as the ledger sees it (firm-wide when `strategyId` is undefined). */
export interface PositionView {
  readonly instrumentId: InstrumentId;
  readonly strategyId: StrategyId | undefined;
  readonly currency: string;
  /** Signed (positive long), quantized to the instrument's lot. */
  readonly quantity: number;
  /** Signed average cost of the open quantity, minor units (negative for a short: a liability). */
  readonly costBasisMinor: bigint;
  /** Average cost per unit in major units (display only); 0 when flat. */
  readonly averagePrice: number;
  /** Realized PnL, minor units, positive = profit, before fees. */
  readonly realizedMinor: bigint;
  /** Fees paid in the position's currency (fees charged in another currency show in `fees:<that>`). */
  readonly feesMinor: bigint;
}

export interface AccountBalance {
  readonly account: string;
  readonly currency: string;
  readonly amountMinor: bigint;
}

/** A journal or fill the ledger refused during replay. */
export interface RejectedEntry {
  readonly sequence: number | undefined;
  readonly ref: string;
  readonly code: string;
  readonly message: string;
}
