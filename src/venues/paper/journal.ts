// The paper venue's journal: a persistence port (what the venue decided, in order) and the writer that queues
// records off the matching path and makes them durable in ordered batches, so a restarted router's venue
// continues where the crashed one stopped, as a real broker would.
//
// What is recorded: every VenueEvent the venue decides (accepted, rejected, triggered, modified, canceled,
// expired, cancel / modify rejected, each fill with its trade id, fee and liquidity), whether or not a session is
// connected to hear it, with the full OrderRequest on an acceptance or on the rejection of a submit. That is
// enough to rebuild the account (orders, fills, positions, cash, the venue-order-id and trade-id counters) and
// the matching engines' working orders, and to tell the OMS again what it may have missed.
//
// The crash window, and why events may wait for the journal (durability 'write-ahead', the distributed router):
// - Records are queued synchronously as the venue decides and written in batches (one per turn, in order, one
//   statement each; a failed write keeps them and is retried). Matching never waits for the database.
// - Events are HELD until the batch holding their records is durable, then delivered in order. So nothing the
//   OMS, the bus or the ledger ever hears can be forgotten by the venue: no fill is booked that the restarted
//   venue does not report, and no trade id or venue order id is ever reused (the counters are rebuilt from the
//   journal). The price is one store round trip (shared by the batch) between a decision and its report,
//   which is what a real broker does too: it persists before it sends an execution report.
// - The OMS acknowledges an orders.validated command only once the venue's journal is durable (the kernel
//   passes the venues' `flush` as the OMS's `durable` hook), and the router persists an OMS order record only
//   after the venue records decided before it are durable. After a crash the store therefore holds one of:
//   neither (the command is redelivered and acted on afresh), the venue's records without the OMS record (the
//   router adopts the order from the venue's request on restart), or both.
// - What the venue decided and journaled but the OMS never heard (events held, or a fill published but lost in
//   the bus pipeline) is told again on restart: the kernel replays the restored records of every order the OMS
//   does not already agree with (`PaperVenueAdapter.replayRestored`); the OMS ignores what it has seen (trade
//   ids, state transitions), so the reconciler then finds OMS, ledger and venue in agreement.
// - Requests still in flight (a non-zero latency model) die with the process, exactly like a network loss:
//   the OMS keeps them SUBMITTED / PENDING_* until reconciliation reports them (documented semantics).
// - Durability 'write-behind' (the embedded deployment, one process): events are delivered at once and records
//   follow in the same order; a crash loses the newest few together with the rest of that process.

import { GroupCommit } from '../../common/group-commit.ts';
import type { Clock } from '../../common/clock.ts';
import type { Logger } from '../../common/logging.ts';
import type { OrderRequest, VenueEvent, VenueId } from '../../model/index.ts';

/** One thing the venue decided, numbered per venue from 1 in decision order. */
export interface PaperVenueRecord {
  readonly seq: number;
  readonly event: VenueEvent;
  /** The order as sent: on 'accepted', and on a 'rejected' answer to a submit. */
  readonly request?: OrderRequest;
}

/** Where a paper venue keeps its records (the Store implements it; tests may use an in-memory one). */
export interface PaperVenueJournal {
  /** Stores the records in one transaction; a record already stored (same venue and seq) is skipped. */
  appendPaperVenueRecords(venue: VenueId, records: readonly PaperVenueRecord[]): Promise<void>;
  /** Every record of `venue`, by seq. */
  loadPaperVenueRecords(venue: VenueId): Promise<PaperVenueRecord[]>;
}

export type PaperVenueDurability = 'write-ahead' | 'write-behind';

/** Records written per statement at most (a long outage catches up in bounded statements). */
const MAX_RECORDS_PER_WRITE = 5_000;
const RETRY_MICROS = 1_000_000;

/** A batch collecting records until its write starts; settles when they are durable (or the write fails). */
/** Queues records in decision order and writes them in ordered batches; holds events until durable when asked. */
export class PaperVenueJournalWriter {
  /** Write failures so far (each is retried). */
  failures = 0;
  private nextSeq = 1;
  private readonly unsaved: PaperVenueRecord[] = [];
  /** Events waiting for their records (write-ahead), with how many records were queued when each was held. */
  private readonly held: VenueEvent[] = [];
  private readonly heldAfter: number[] = [];
  /** Records appended in total; `durableCount` of them are stored. */
  private appended = 0;
  private durableCount = 0;
  private readonly commits = new GroupCommit(() => this.writeUnsaved());
  private readonly retryTimer: string;

  constructor(
    private readonly venue: VenueId,
    private readonly journal: PaperVenueJournal,
    readonly durability: PaperVenueDurability,
    private readonly clock: Clock,
    private readonly deliver: (event: VenueEvent) => void,
    private readonly log: Logger | undefined,
  ) {
    this.retryTimer = `paper-venue:${venue}:journal-retry`;
  }

  /** Records kept for the next write (not yet durable). */
  get pending(): number {
    return this.unsaved.length;
  }

  /** Continues the numbering after the records a restore loaded. */
  continueAfter(lastSeq: number): void {
    if (lastSeq >= this.nextSeq) this.nextSeq = lastSeq + 1;
  }

  /** Queues one record (never blocks); the write starts after the current turn. */
  append(event: VenueEvent, request: OrderRequest | undefined): void {
    this.unsaved.push(
      request === undefined ? { seq: this.nextSeq++, event } : { seq: this.nextSeq++, event, request },
    );
    this.appended++;
    if (!this.commits.collecting) void this.commits.join();
  }

  /** Write-ahead: delivers `event` once every record appended so far is durable. */
  hold(event: VenueEvent): void {
    if (this.durableCount >= this.appended) {
      this.deliver(event);
      return;
    }
    this.held.push(event);
    this.heldAfter.push(this.appended);
  }

  /** Resolves when every record appended so far is durable (and held events delivered); rejects if a write fails. */
  flush(): Promise<void> {
    if (this.unsaved.length === 0 && !this.commits.collecting) return this.commits.idle;
    return this.commits.join();
  }

  /** Writes every unsaved record (earlier failures first), then delivers the events they cover; throws on failure. */
  private async writeUnsaved(): Promise<void> {
    const count = this.unsaved.length;
    if (count === 0) return;
    try {
      for (let start = 0; start < count; start += MAX_RECORDS_PER_WRITE)
        await this.journal.appendPaperVenueRecords(
          this.venue,
          this.unsaved.slice(start, Math.min(count, start + MAX_RECORDS_PER_WRITE)),
        );
      this.unsaved.splice(0, count);
      this.durableCount += count;
      this.release();
    } catch (error) {
      this.failures++;
      this.log?.error('paper venue journal write failed: kept for retry', {
        venue: this.venue,
        records: count,
        code: 'VENUE_JOURNAL_FAILED',
        error: String(error),
      });
      // Held events wait for the retry; without new activity a timer brings it.
      this.clock.setTimer(this.retryTimer, this.clock.now() + RETRY_MICROS, () => void this.commits.join());
      throw error;
    }
  }

  private release(): void {
    let n = 0;
    while (n < this.held.length && (this.heldAfter[n] as number) <= this.durableCount) n++;
    if (n === 0) return;
    const events = this.held.splice(0, n);
    this.heldAfter.splice(0, n);
    for (const event of events) this.deliver(event);
  }
}
