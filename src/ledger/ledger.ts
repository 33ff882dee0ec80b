// The double-entry ledger of fills and deposits: pure (no I/O, no clock), exact to the minor unit,
// average cost, idempotent on (venue, tradeId), rebuilt identically by replaying its entries.
//
// Accounts (one currency each): `cash:<CCY>`, `equity:<CCY>` (capital), `fees:<CCY>` (expense),
// `realized:<CCY>` (PnL; a credit, i.e. negative, is a profit), `position:<instrumentId>` (cost basis:
// positive for a long, an asset; negative for a short, a liability). Debits are positive, credits negative.

import {
  currencyDecimals,
  divRoundHalfEven,
  formatMinor,
  fromMinor,
  pow10,
  quantize,
  toMinor,
  type Instrument,
  type InstrumentId,
  type OrderFilled,
  type StrategyId,
  type TradeId,
  type VenueId,
} from '../model/index.ts';
import { RetentionQueue } from '../common/retention.ts';
import { exactDecimal, scaleOnGrid } from './exact.ts';
import { LedgerError, LedgerReasons, type LedgerReasonCode } from './reasons.ts';
import type {
  AccountBalance,
  DepositJournal,
  FillJournal,
  Journal,
  JournalLine,
  LedgerEntry,
  PositionView,
  RejectedEntry,
} from './types.ts';

export const Accounts = {
  cash: (currency: string): string => `cash:${currency}`,
  equity: (currency: string): string => `equity:${currency}`,
  fees: (currency: string): string => `fees:${currency}`,
  realized: (currency: string): string => `realized:${currency}`,
  position: (instrumentId: string): string => `position:${instrumentId}`,
} as const;

/** Account names of one currency, built once. */
interface CurrencyAccounts {
  readonly currency: string;
  readonly decimals: number;
  readonly cash: string;
  readonly equity: string;
  readonly fees: string;
  readonly realized: string;
}

/** What booking needs to know about an instrument, computed once per instrument. */
interface InstrumentTerms {
  readonly instrument: Instrument;
  readonly accounts: CurrencyAccounts;
  readonly positionAccount: string;
  readonly multiplier: bigint;
  readonly multiplierDecimals: number;
}

/** Average-cost position state; `apply` leaves the legs of the last fill in the `last*` fields. */
class PositionBook {
  quantityScaled = 0n;
  costBasisMinor = 0n;
  realizedMinor = 0n;
  feesMinor = 0n;
  lastRemovedBasisMinor = 0n;
  lastRealizedMinor = 0n;
  lastOpenedMinor = 0n;

  constructor(
    readonly terms: InstrumentTerms,
    readonly strategyId: StrategyId | undefined,
  ) {}

  /**
   * Applies a fill of `quantityScaled` (> 0) in direction `sign` whose whole notional is `notional`.
   * Reducing removes basis in proportion (all of it when the position closes, so no residue) and books
   * the difference to realized; a flip closes, then opens the remainder at the rest of the notional.
   */
  apply(sign: bigint, quantityScaled: bigint, price: bigint, priceDecimals: number, notional: bigint): void {
    const held = this.quantityScaled;
    this.lastRemovedBasisMinor = 0n;
    this.lastRealizedMinor = 0n;
    this.lastOpenedMinor = 0n;
    if (held === 0n || held > 0n === sign > 0n) {
      this.lastOpenedMinor = notional;
      this.costBasisMinor += sign * notional;
      this.quantityScaled = held + sign * quantityScaled;
      return;
    }
    const heldAbsolute = held < 0n ? -held : held;
    const closed = quantityScaled < heldAbsolute ? quantityScaled : heldAbsolute;
    const closingNotional =
      closed === quantityScaled ? notional : notionalOf(price, priceDecimals, closed, this.terms);
    const removed =
      closed === heldAbsolute
        ? this.costBasisMinor
        : divRoundHalfEven(this.costBasisMinor * closed, heldAbsolute);
    // Cash moves by -sign × closing notional and the basis by -removed; what balances them is the PnL.
    const realized = -removed - sign * closingNotional;
    this.lastRemovedBasisMinor = removed;
    this.lastRealizedMinor = realized;
    this.costBasisMinor -= removed;
    this.realizedMinor += realized;
    if (quantityScaled > heldAbsolute) {
      const opened = notional - closingNotional;
      this.lastOpenedMinor = opened;
      this.costBasisMinor += sign * opened;
    }
    this.quantityScaled = held + sign * quantityScaled;
  }

  view(): PositionView {
    const instrument = this.terms.instrument;
    const scale = pow10(instrument.quantityDecimals);
    const quantity = quantize(Number(this.quantityScaled) / scale, instrument.quantityDecimals);
    const averagePrice =
      quantity === 0
        ? 0
        : Math.abs(fromMinor(this.costBasisMinor, this.terms.accounts.decimals) / quantity) /
          instrument.multiplier;
    return {
      instrumentId: instrument.id,
      strategyId: this.strategyId,
      currency: instrument.currency,
      quantity,
      costBasisMinor: this.costBasisMinor,
      averagePrice,
      realizedMinor: this.realizedMinor,
      feesMinor: this.feesMinor,
    };
  }

  quantity(): number {
    const decimals = this.terms.instrument.quantityDecimals;
    return quantize(Number(this.quantityScaled) / pow10(decimals), decimals);
  }
}

/** price × quantity × multiplier in minor units, rounded half-even once. */
function notionalOf(
  price: bigint,
  priceDecimals: number,
  quantityScaled: bigint,
  terms: InstrumentTerms,
): bigint {
  const raw = price * quantityScaled * terms.multiplier;
  const scale =
    priceDecimals + terms.instrument.quantityDecimals + terms.multiplierDecimals - terms.accounts.decimals;
  if (scale >= 0) return divRoundHalfEven(raw, 10n ** BigInt(scale));
  return raw * 10n ** BigInt(-scale);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** Why the ledger would refuse `fill` for `instrument`, or undefined when it can be booked. */
export function validateFill(fill: OrderFilled, instrument: Instrument): LedgerReasonCode | undefined {
  if (typeof fill !== 'object' || fill === null) return 'LEDGER_INVALID_FILL';
  if (fill.instrumentId !== instrument.id) return 'LEDGER_UNKNOWN_INSTRUMENT';
  if (!isNonEmptyString(fill.venue) || !isNonEmptyString(fill.tradeId) || !isNonEmptyString(fill.strategyId))
    return 'LEDGER_INVALID_FILL';
  if (fill.side !== 'buy' && fill.side !== 'sell') return 'LEDGER_INVALID_FILL';
  const quantity = fill.lastQuantity;
  if (typeof quantity !== 'number' || !Number.isFinite(quantity) || quantity <= 0)
    return 'LEDGER_INVALID_FILL';
  const scaled = quantity * pow10(instrument.quantityDecimals);
  if (!Number.isSafeInteger(Math.round(scaled)) || Math.abs(scaled - Math.round(scaled)) > 1e-6)
    return 'LEDGER_INVALID_FILL';
  const price = fill.lastPrice;
  if (typeof price !== 'number' || !Number.isFinite(price) || price <= 0) return 'LEDGER_INVALID_FILL';
  if (typeof fill.fee !== 'number' || !Number.isFinite(fill.fee)) return 'LEDGER_INVALID_FILL';
  if (typeof fill.feeCurrency !== 'string' || (fill.fee !== 0 && fill.feeCurrency === ''))
    return 'LEDGER_INVALID_FILL';
  // What the store needs too, so a fill the ledger booked is never refused by a column constraint.
  if (typeof fill.clientOrderId !== 'string' || typeof fill.venueOrderId !== 'string')
    return 'LEDGER_INVALID_FILL';
  if (fill.liquidity !== 'maker' && fill.liquidity !== 'taker') return 'LEDGER_INVALID_FILL';
  const leaves = fill.leavesQuantity;
  if (typeof leaves !== 'number' || !Number.isFinite(leaves) || leaves < 0) return 'LEDGER_INVALID_FILL';
  if (!isFiniteNumber(fill.tsEvent) || !isFiniteNumber(fill.tsInit)) return 'LEDGER_INVALID_FILL';
  return undefined;
}

function describeFill(fill: OrderFilled): string {
  return `fill ${String(fill?.venue)}:${String(fill?.tradeId)} on ${String(fill?.instrumentId)}`;
}

export interface LedgerSnapshotPosition {
  readonly currency: string;
  readonly quantity: number;
  readonly costBasisMinor: string;
  readonly realizedMinor: string;
  readonly feesMinor: string;
}

/** A deterministic plain picture of the ledger (bigints as strings, keys sorted) for comparisons. */
export interface LedgerSnapshot {
  readonly nextSequence: number;
  readonly balances: Readonly<Record<string, { readonly currency: string; readonly amountMinor: string }>>;
  readonly trialBalance: Readonly<Record<string, string>>;
  readonly positions: Readonly<Record<string, LedgerSnapshotPosition>>;
  /** strategyId → instrumentId → position. */
  readonly strategyPositions: Readonly<Record<string, Readonly<Record<string, LedgerSnapshotPosition>>>>;
  readonly journals: readonly {
    readonly sequence: number;
    readonly kind: Journal['kind'];
    readonly ref: string;
    readonly tsEvent: number;
    readonly lines: readonly (readonly [account: string, currency: string, amountMinor: string])[];
  }[];
}

interface MutableBalance {
  readonly account: string;
  readonly currency: string;
  amountMinor: bigint;
}

export interface InstrumentSource {
  readonly instruments: ReadonlyMap<InstrumentId, Instrument>;
}

export class Ledger {
  private readonly balanceByAccount = new Map<string, MutableBalance>();
  private journalList: Journal[] = [];
  private posted = 0;
  private readonly tradesByVenue = new Map<string, Set<string>>();
  /** With retention: the most journals kept in memory (the store has them all), and the trade ids by time. */
  private maxJournals = Number.POSITIVE_INFINITY;
  private tradeIds: RetentionQueue<readonly [string, string]> | undefined;
  /** The time trade ids age by: a clock when given, else the latest fill time seen (never going back). */
  private idsNow: (() => number) | undefined;
  private latestFillTime = Number.NEGATIVE_INFINITY;
  private readonly depositsByRef = new Map<string, DepositJournal>();
  private readonly positionByInstrument = new Map<InstrumentId, PositionBook>();
  private readonly positionsByStrategy = new Map<StrategyId, Map<InstrumentId, PositionBook>>();
  private readonly currencyAccounts = new Map<string, CurrencyAccounts>();
  private readonly termsByInstrument = new Map<InstrumentId, InstrumentTerms>();
  private readonly rejected: RejectedEntry[] = [];
  private nextSequence = 1;

  /**
   * Bounded memory for a long-running process whose store keeps every journal: only the last `maxJournals`
   * stay in `journals()` / `snapshot()`, and a trade id is forgotten `idsMicros` (fill time) after its fill
   * (a venue or the bus repeats a fill within minutes, not a day later; the store's key refuses it anyway).
   * Balances and positions are totals and are never trimmed.
   */
  retain(maxJournals: number, idsMicros: number, now?: () => number): void {
    this.maxJournals = maxJournals;
    this.idsNow = now;
    this.tradeIds = new RetentionQueue(idsMicros);
    // The ids booked so far (a restored ledger) keep their fill times: a fill redelivered after a restart is
    // still a duplicate.
    for (const journal of this.journalList)
      if (journal.kind === 'fill') this.tradeIds.push([journal.venue, journal.tradeId], journal.tsEvent);
    this.trimJournals();
  }

  /** Rebuilds a ledger from its entries in booking order; entries it refuses are listed in `rejectedEntries()`. */
  static replay(entries: Iterable<LedgerEntry>, source: InstrumentSource): Ledger {
    const ledger = new Ledger();
    for (const entry of entries) ledger.apply(entry, source);
    return ledger;
  }

  /** Books one entry of an event log; a refused entry is recorded, never thrown. */
  apply(entry: LedgerEntry, source: InstrumentSource): Journal | undefined {
    if (entry.sequence !== undefined && entry.sequence >= this.nextSequence)
      this.nextSequence = entry.sequence;
    try {
      if (entry.kind === 'deposit')
        return this.deposit(entry.currency, entry.amountMinor, entry.ref, entry.tsEvent);
      const instrument = source.instruments.get(entry.fill.instrumentId);
      if (!instrument) throw new LedgerError('LEDGER_UNKNOWN_INSTRUMENT', describeFill(entry.fill));
      return this.book(entry.fill, instrument);
    } catch (error) {
      if (!(error instanceof LedgerError)) throw error;
      const ref = entry.kind === 'deposit' ? entry.ref : `${entry.fill.venue}:${entry.fill.tradeId}`;
      this.rejected.push({ sequence: entry.sequence, ref, code: error.code, message: error.message });
      return undefined;
    }
  }

  /**
   * Pays in (positive) or withdraws (negative) capital: Dr cash / Cr equity. Idempotent on `ref`: the same
   * ref with the same currency and amount returns the journal already booked.
   */
  deposit(currency: string, amountMinor: bigint, ref: string, tsEvent = 0): DepositJournal {
    if (!isNonEmptyString(currency) || typeof amountMinor !== 'bigint' || !isNonEmptyString(ref))
      throw new LedgerError('LEDGER_INVALID_DEPOSIT', `deposit ${String(ref)}`);
    const existing = this.depositsByRef.get(ref);
    if (existing) {
      if (existing.currency === currency && existing.amountMinor === amountMinor) return existing;
      throw new LedgerError(
        'LEDGER_DUPLICATE_REFERENCE',
        `deposit ${ref} was ${existing.currency} ${existing.amountMinor}, now ${currency} ${amountMinor}`,
      );
    }
    const accounts = this.accountsOf(currency);
    const lines: JournalLine[] = [];
    this.addLine(lines, accounts.cash, currency, amountMinor);
    this.addLine(lines, accounts.equity, currency, -amountMinor);
    const journal: DepositJournal = {
      kind: 'deposit',
      sequence: this.nextSequence++,
      ref,
      tsEvent,
      lines,
      currency,
      amountMinor,
    };
    this.post(journal);
    this.depositsByRef.set(ref, journal);
    return journal;
  }

  /**
   * Books a fill. Returns undefined when (venue, tradeId) was booked already (a no-op). Throws a LedgerError
   * for a fill `validateFill` refuses; nothing is changed then.
   */
  book(fill: OrderFilled, instrument: Instrument): FillJournal | undefined {
    const trades = this.tradesByVenue.get(fill?.venue);
    if (trades?.has(fill.tradeId)) return undefined;
    const problem = validateFill(fill, instrument);
    if (problem) throw new LedgerError(problem, `${describeFill(fill)}: ${LedgerReasons[problem]}`);

    const terms = this.termsOf(instrument);
    const accounts = terms.accounts;
    const currency = accounts.currency;
    const sign = fill.side === 'buy' ? 1n : -1n;
    const quantity = BigInt(Math.round(fill.lastQuantity * pow10(instrument.quantityDecimals)));
    const price = scaleOnGrid(fill.lastPrice, instrument.tickSize, instrument.priceDecimals);
    const notional = notionalOf(price.scaled, price.decimals, quantity, terms);
    const feeCurrency = fill.fee === 0 ? currency : fill.feeCurrency;
    const feeAccounts = feeCurrency === currency ? accounts : this.accountsOf(feeCurrency);
    const fee = fill.fee === 0 ? 0n : toMinor(fill.fee, feeAccounts.decimals);

    // Every computation that can fail is above; from here on the ledger changes.
    const firm = this.positionOf(terms);
    firm.apply(sign, quantity, price.scaled, price.decimals, notional);
    const lines: JournalLine[] = [];
    this.addLine(lines, terms.positionAccount, currency, -firm.lastRemovedBasisMinor);
    this.addLine(lines, accounts.realized, currency, -firm.lastRealizedMinor);
    this.addLine(lines, terms.positionAccount, currency, sign * firm.lastOpenedMinor);
    this.addLine(lines, accounts.cash, currency, -sign * notional);
    this.addLine(lines, feeAccounts.fees, feeCurrency, fee);
    this.addLine(lines, feeAccounts.cash, feeCurrency, -fee);

    const byStrategy = this.strategyPositionOf(fill.strategyId, terms);
    byStrategy.apply(sign, quantity, price.scaled, price.decimals, notional);
    if (feeCurrency === currency) {
      firm.feesMinor += fee;
      byStrategy.feesMinor += fee;
    }

    const journal: FillJournal = {
      kind: 'fill',
      sequence: this.nextSequence++,
      ref: `${fill.venue}:${fill.tradeId}`,
      tsEvent: fill.tsEvent,
      lines,
      venue: fill.venue,
      tradeId: fill.tradeId,
      instrumentId: fill.instrumentId,
      strategyId: fill.strategyId,
    };
    this.post(journal);
    if (trades) trades.add(fill.tradeId);
    else this.tradesByVenue.set(fill.venue, new Set([fill.tradeId]));
    const ids = this.tradeIds;
    if (ids) {
      let now: number;
      if (this.idsNow) now = this.idsNow();
      else {
        if (fill.tsEvent > this.latestFillTime) this.latestFillTime = fill.tsEvent;
        now = this.latestFillTime;
      }
      ids.push([fill.venue, fill.tradeId], now);
      if (ids.due(now))
        ids.drain(now, ([venue, tradeId]) => {
          this.tradesByVenue.get(venue)?.delete(tradeId);
          return true;
        });
    }
    return journal;
  }

  isBooked(venue: VenueId | string, tradeId: TradeId | string): boolean {
    return this.tradesByVenue.get(venue)?.has(tradeId) ?? false;
  }

  /** Firm-wide position, or undefined when nothing was ever booked on the instrument. */
  position(instrumentId: InstrumentId): PositionView | undefined {
    return this.positionByInstrument.get(instrumentId)?.view();
  }

  /** Firm-wide signed quantity (0 when never traded), without allocating. */
  quantity(instrumentId: InstrumentId): number {
    return this.positionByInstrument.get(instrumentId)?.quantity() ?? 0;
  }

  /** Firm-wide positions (including flat ones with realized PnL), sorted by instrument. */
  positions(): PositionView[] {
    return [...this.positionByInstrument.keys()]
      .sort()
      .map((id) => this.positionByInstrument.get(id)!.view());
  }

  strategyPosition(strategyId: StrategyId, instrumentId: InstrumentId): PositionView | undefined {
    return this.positionsByStrategy.get(strategyId)?.get(instrumentId)?.view();
  }

  strategyQuantity(strategyId: StrategyId, instrumentId: InstrumentId): number {
    return this.positionsByStrategy.get(strategyId)?.get(instrumentId)?.quantity() ?? 0;
  }

  /** One strategy's positions (or every strategy's), sorted by strategy then instrument. */
  strategyPositions(strategyId?: StrategyId): PositionView[] {
    const out: PositionView[] = [];
    const strategies = strategyId === undefined ? [...this.positionsByStrategy.keys()].sort() : [strategyId];
    for (const id of strategies) {
      const books = this.positionsByStrategy.get(id);
      if (!books) continue;
      for (const instrumentId of [...books.keys()].sort()) out.push(books.get(instrumentId)!.view());
    }
    return out;
  }

  /**
   * A strategy's realized PnL in `currency` (positive = profit, before fees), from its own average cost.
   * Strategies trading against each other each realize their own PnL, so the sum over strategies can
   * differ from the firm-wide `realized:<CCY>` account, which nets their positions.
   */
  strategyRealizedMinor(strategyId: StrategyId, currency: string): bigint {
    let total = 0n;
    const books = this.positionsByStrategy.get(strategyId);
    if (books)
      for (const book of books.values())
        if (book.terms.accounts.currency === currency) total += book.realizedMinor;
    return total;
  }

  /** Fees a strategy paid in `currency` on instruments quoted in that currency. */
  strategyFeesMinor(strategyId: StrategyId, currency: string): bigint {
    let total = 0n;
    const books = this.positionsByStrategy.get(strategyId);
    if (books)
      for (const book of books.values())
        if (book.terms.accounts.currency === currency) total += book.feesMinor;
    return total;
  }

  strategies(): StrategyId[] {
    return [...this.positionsByStrategy.keys()].sort();
  }

  /**
   * Mark-to-market PnL of the firm-wide open position at `markPrice`, minor units (positive = gain): the
   * exact value of the open quantity at the mark minus its cost basis. 0n when flat or never traded;
   * undefined when a position is open and the mark is not a positive finite number.
   */
  unrealizedMinor(instrumentId: InstrumentId, markPrice: number): bigint | undefined {
    const book = this.positionByInstrument.get(instrumentId);
    return book ? unrealizedOf(book, markPrice) : 0n;
  }

  strategyUnrealizedMinor(
    strategyId: StrategyId,
    instrumentId: InstrumentId,
    markPrice: number,
  ): bigint | undefined {
    const book = this.positionsByStrategy.get(strategyId)?.get(instrumentId);
    return book ? unrealizedOf(book, markPrice) : 0n;
  }

  balance(account: string): bigint {
    return this.balanceByAccount.get(account)?.amountMinor ?? 0n;
  }

  /** Every account that was ever posted to, sorted by name. */
  balances(): AccountBalance[] {
    return [...this.balanceByAccount.keys()].sort().map((account) => {
      const b = this.balanceByAccount.get(account)!;
      return { account: b.account, currency: b.currency, amountMinor: b.amountMinor };
    });
  }

  /** Sum of all balances per currency: 0n for every currency, always (double entry). */
  trialBalance(): Record<string, bigint> {
    const sums: Record<string, bigint> = {};
    for (const b of this.balanceByAccount.values())
      sums[b.currency] = (sums[b.currency] ?? 0n) + b.amountMinor;
    return sums;
  }

  /** Every journal in booking order (append-only; the array is a copy); with `retain`, the last ones. */
  journals(): readonly Journal[] {
    return this.journalList.slice();
  }

  /** Journals posted (restored and booked), whether or not still held in memory. */
  get journalCount(): number {
    return this.posted;
  }

  /** Entries refused during `replay`/`apply`, with their reason codes. */
  rejectedEntries(): readonly RejectedEntry[] {
    return this.rejected.slice();
  }

  snapshot(): LedgerSnapshot {
    const balances: Record<string, { currency: string; amountMinor: string }> = {};
    for (const b of this.balances())
      balances[b.account] = { currency: b.currency, amountMinor: b.amountMinor.toString() };
    const trial = this.trialBalance();
    const trialBalance: Record<string, string> = {};
    for (const currency of Object.keys(trial).sort()) trialBalance[currency] = trial[currency]!.toString();
    const positions: Record<string, LedgerSnapshotPosition> = {};
    for (const p of this.positions()) positions[p.instrumentId] = snapshotPosition(p);
    const strategyPositions: Record<string, Record<string, LedgerSnapshotPosition>> = {};
    for (const p of this.strategyPositions()) {
      const key = p.strategyId ?? '';
      (strategyPositions[key] ??= {})[p.instrumentId] = snapshotPosition(p);
    }
    return {
      nextSequence: this.nextSequence,
      balances,
      trialBalance,
      positions,
      strategyPositions,
      journals: this.journalList.map((j) => ({
        sequence: j.sequence,
        kind: j.kind,
        ref: j.ref,
        tsEvent: j.tsEvent,
        lines: j.lines.map((l) => [l.account, l.currency, l.amountMinor.toString()] as const),
      })),
    };
  }

  private post(journal: Journal): void {
    for (const line of journal.lines) {
      const b = this.balanceByAccount.get(line.account);
      if (b) b.amountMinor += line.amountMinor;
      else
        this.balanceByAccount.set(line.account, {
          account: line.account,
          currency: line.currency,
          amountMinor: line.amountMinor,
        });
    }
    this.journalList.push(journal);
    this.posted++;
    if (this.journalList.length >= this.maxJournals * 2) this.trimJournals();
  }

  private trimJournals(): void {
    if (this.journalList.length > this.maxJournals)
      this.journalList = this.journalList.slice(this.journalList.length - this.maxJournals);
  }

  private addLine(lines: JournalLine[], account: string, currency: string, amountMinor: bigint): void {
    if (amountMinor !== 0n) lines.push({ account, currency, amountMinor });
  }

  private accountsOf(currency: string): CurrencyAccounts {
    let accounts = this.currencyAccounts.get(currency);
    if (!accounts) {
      accounts = {
        currency,
        decimals: currencyDecimals(currency),
        cash: Accounts.cash(currency),
        equity: Accounts.equity(currency),
        fees: Accounts.fees(currency),
        realized: Accounts.realized(currency),
      };
      this.currencyAccounts.set(currency, accounts);
    }
    return accounts;
  }

  private termsOf(instrument: Instrument): InstrumentTerms {
    let terms = this.termsByInstrument.get(instrument.id);
    if (!terms || terms.instrument !== instrument) {
      const multiplier = exactDecimal(instrument.multiplier);
      terms = {
        instrument,
        accounts: this.accountsOf(instrument.currency),
        positionAccount: Accounts.position(instrument.id),
        multiplier: multiplier.scaled,
        multiplierDecimals: multiplier.decimals,
      };
      this.termsByInstrument.set(instrument.id, terms);
    }
    return terms;
  }

  private positionOf(terms: InstrumentTerms): PositionBook {
    let book = this.positionByInstrument.get(terms.instrument.id);
    if (!book) {
      book = new PositionBook(terms, undefined);
      this.positionByInstrument.set(terms.instrument.id, book);
    }
    return book;
  }

  private strategyPositionOf(strategyId: StrategyId, terms: InstrumentTerms): PositionBook {
    let books = this.positionsByStrategy.get(strategyId);
    if (!books) {
      books = new Map();
      this.positionsByStrategy.set(strategyId, books);
    }
    let book = books.get(terms.instrument.id);
    if (!book) {
      book = new PositionBook(terms, strategyId);
      books.set(terms.instrument.id, book);
    }
    return book;
  }
}

function unrealizedOf(book: PositionBook, markPrice: number): bigint | undefined {
  if (book.quantityScaled === 0n) return 0n;
  if (typeof markPrice !== 'number' || !Number.isFinite(markPrice) || markPrice <= 0) return undefined;
  const instrument = book.terms.instrument;
  const mark = scaleOnGrid(markPrice, instrument.tickSize, instrument.priceDecimals);
  const held = book.quantityScaled;
  const value = notionalOf(mark.scaled, mark.decimals, held < 0n ? -held : held, book.terms);
  return (held < 0n ? -value : value) - book.costBasisMinor;
}

function snapshotPosition(p: PositionView): LedgerSnapshotPosition {
  return {
    currency: p.currency,
    quantity: p.quantity,
    costBasisMinor: p.costBasisMinor.toString(),
    realizedMinor: p.realizedMinor.toString(),
    feesMinor: p.feesMinor.toString(),
  };
}

/** Formats a balance for logs and reports, e.g. `cash:USD -1001.00`. */
export function formatBalance(balance: AccountBalance): string {
  return `${balance.account} ${formatMinor(balance.amountMinor, currencyDecimals(balance.currency))}`;
}
