// The ledger engine: books every fill from the bus into the Ledger and, when a store is given, makes each
// fill and its journal durable in one transaction before the bus handler resolves (group commit per turn).
//
// Boundary: subscribes `fills` (group `ledger`); publishes `alerts` (unknown instrument, invalid fill,
// store failure, entries refused on restore).

import type { Bus, Subscription } from '../common/bus.ts';
import type { Clock } from '../common/clock.ts';
import { silentLogger, type Logger } from '../common/logging.ts';
import type { Registry } from '../common/registry.ts';
import { GroupCommit } from '../common/group-commit.ts';
import { Streams } from '../common/topics.ts';
import type { Alert, AlertSeverity, OrderFilled } from '../model/index.ts';
import { Ledger, validateFill } from './ledger.ts';
import { LedgerReasons, type LedgerReasonCode } from './reasons.ts';
import type { BookedFill, DepositJournal, LedgerStore } from './types.ts';

export const LEDGER_GROUP = 'ledger';
/** Bounds one store statement after a long outage (entries written earlier are skipped on retry). */
const MAX_FILLS_PER_WRITE = 2_000;

export interface LedgerEngineOptions {
  readonly bus: Bus;
  readonly registry: Registry;
  /** Without a store the ledger lives in memory only (backtests). */
  readonly store?: LedgerStore;
  readonly logger?: Logger;
  /** Stamps alerts; without it an alert carries the time of the fill it is about. */
  readonly clock?: Clock;
  /** A ledger rebuilt by `LedgerEngine.restore`; a new empty one otherwise. */
  readonly ledger?: Ledger;
  /**
   * Consumer group on `fills` (default `ledger`). A process that only needs a view of the ledger (a follower:
   * the router for reconciliation, the API) uses a group of its own and no store, so it never takes fills
   * from the booking ledger.
   */
  readonly group?: string;
  /** With a store: only the last journals stay in memory and trade ids are forgotten after `idsMicros`. */
  readonly retention?: { readonly maxJournals: number; readonly idsMicros: number };
}

export interface LedgerEngineStats {
  readonly booked: number;
  readonly duplicates: number;
  readonly unknownInstrument: number;
  readonly invalid: number;
  readonly storeFailures: number;
  /** Booked entries not yet durable (waiting for, or being retried after, a store write). */
  readonly unsaved: number;
}

type UnsavedEntry =
  | { readonly kind: 'fill'; readonly booked: BookedFill }
  | { readonly kind: 'deposit'; readonly journal: DepositJournal };

export class LedgerEngine {
  readonly ledger: Ledger;
  private readonly bus: Bus;
  private readonly registry: Registry;
  private readonly store: LedgerStore | undefined;
  private readonly log: Logger;
  private readonly clock: Clock | undefined;
  private readonly group: string;
  private subscription: Subscription | undefined;
  private readonly unsaved: UnsavedEntry[] = [];
  private readonly commits = new GroupCommit(() => this.writeUnsaved());
  private booked = 0;
  private duplicates = 0;
  private unknownInstrument = 0;
  private invalid = 0;
  private storeFailures = 0;
  private readonly onFill = (fill: OrderFilled): Promise<void> | undefined => this.handleFill(fill);

  constructor(options: LedgerEngineOptions) {
    this.bus = options.bus;
    this.registry = options.registry;
    this.store = options.store;
    this.group = options.group ?? LEDGER_GROUP;
    this.log = (options.logger ?? silentLogger).child('ledger');
    this.clock = options.clock;
    this.ledger = options.ledger ?? new Ledger();
    if (options.retention) {
      const clock = options.clock;
      this.ledger.retain(
        options.retention.maxJournals,
        options.retention.idsMicros,
        clock ? () => clock.now() : undefined,
      );
    }
  }

  /** Rebuilds the ledger from the deposits and fills the store holds, in booking order. */
  static async restore(store: LedgerStore, registry: Registry): Promise<Ledger> {
    return Ledger.replay(await store.loadLedgerEntries(), registry);
  }

  /** Subscribes to fills (and alerts entries a restore refused). Async so a later version may load state. */
  async start(): Promise<void> {
    if (this.subscription) return;
    for (const entry of this.ledger.rejectedEntries())
      this.alert(
        'critical',
        entry.code as LedgerReasonCode,
        `restore refused ${entry.ref}: ${entry.message}`,
        0,
      );
    this.subscription = this.bus.subscribe(Streams.fills, this.group, this.onFill);
  }

  /** Stops consuming fills; resolves when everything booked is durable. */
  async stop(): Promise<void> {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    await this.flush();
  }

  /** Resolves when every booked entry is durable; retries entries a previous write failed on. */
  flush(): Promise<void> {
    if (!this.store) return Promise.resolve();
    if (this.unsaved.length > 0) return this.commits.join();
    return this.commits.idle;
  }

  /** Books (idempotently on `ref`) and persists a capital deposit; resolves with its journal once durable. */
  async deposit(currency: string, amountMinor: bigint, ref: string, tsEvent = 0): Promise<DepositJournal> {
    const before = this.ledger.journalCount;
    const journal = this.ledger.deposit(currency, amountMinor, ref, tsEvent);
    if (this.store && this.ledger.journalCount > before) {
      this.unsaved.push({ kind: 'deposit', journal });
      await this.commits.join();
    } else {
      await this.flush();
    }
    return journal;
  }

  stats(): LedgerEngineStats {
    return {
      booked: this.booked,
      duplicates: this.duplicates,
      unknownInstrument: this.unknownInstrument,
      invalid: this.invalid,
      storeFailures: this.storeFailures,
      unsaved: this.unsaved.length,
    };
  }

  private handleFill(fill: OrderFilled): Promise<void> | undefined {
    const instrument =
      typeof fill === 'object' && fill !== null
        ? this.registry.instruments.get(fill.instrumentId)
        : undefined;
    if (!instrument) {
      this.unknownInstrument++;
      this.alert('critical', 'LEDGER_UNKNOWN_INSTRUMENT', describe(fill), tsOf(fill));
      return undefined;
    }
    const problem = validateFill(fill, instrument);
    if (problem) {
      this.invalid++;
      this.alert('critical', problem, describe(fill), tsOf(fill));
      return undefined;
    }
    const journal = this.ledger.book(fill, instrument);
    if (!journal) {
      this.duplicates++;
      // A redelivery is acknowledged only once the original is durable.
      return this.store && this.unsaved.length > 0 ? this.commits.join() : undefined;
    }
    this.booked++;
    if (!this.store) return undefined;
    this.unsaved.push({ kind: 'fill', booked: { fill, journal } });
    return this.commits.join();
  }

  /** Writes every unsaved entry (earlier failures included, in booking order); throws when the store failed. */
  private async writeUnsaved(): Promise<void> {
    const store = this.store;
    const count = this.unsaved.length;
    if (!store || count === 0) return;
    try {
      let start = 0;
      while (start < count) {
        const first = this.unsaved[start]!;
        if (first.kind === 'deposit') {
          await store.appendDeposit(first.journal);
          start++;
          continue;
        }
        let end = start;
        const fills: BookedFill[] = [];
        const limit = Math.min(count, start + MAX_FILLS_PER_WRITE);
        for (
          let entry = this.unsaved[end];
          end < limit && entry?.kind === 'fill';
          entry = this.unsaved[++end]
        )
          fills.push(entry.booked);
        await store.appendFills(fills);
        start = end;
      }
      this.unsaved.splice(0, count);
    } catch (error) {
      this.storeFailures++;
      const message = `${count} entries not persisted, kept for retry: ${String(error)}`;
      this.log.error(LedgerReasons.LEDGER_STORE_FAILED, {
        code: 'LEDGER_STORE_FAILED',
        count,
        error: String(error),
      });
      const last = this.unsaved[count - 1];
      this.alert(
        'critical',
        'LEDGER_STORE_FAILED',
        message,
        last?.kind === 'fill' ? last.booked.fill.tsEvent : 0,
      );
      throw error;
    }
  }

  private alert(severity: AlertSeverity, code: LedgerReasonCode, message: string, tsEvent: number): void {
    this.log.warn(LedgerReasons[code], { code, message });
    const alert: Alert = {
      type: 'alert',
      severity,
      code,
      source: 'ledger',
      message,
      tsEvent: this.clock ? this.clock.now() : tsEvent,
    };
    this.bus.publish(Streams.alerts, alert);
  }
}

function describe(fill: OrderFilled): string {
  if (typeof fill !== 'object' || fill === null) return `malformed fill: ${String(fill)}`;
  return `fill ${String(fill.venue)}:${String(fill.tradeId)} on ${String(fill.instrumentId)} (${String(fill.strategyId)})`;
}

function tsOf(fill: OrderFilled): number {
  return typeof fill === 'object' && fill !== null && typeof fill.tsEvent === 'number' ? fill.tsEvent : 0;
}
