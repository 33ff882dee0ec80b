// Group commit: callers that need their work durable join the batch being collected; one write runs per
// batch, after the previous one, so a burst of N entries costs one round trip, and writes stay in order.
// Used by the ledger engine (fills and journals), the paper venue's journal and the kernel's audit trail.

class Batch {
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (error: unknown) => void;
  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // A failed batch is kept and retried by its owner; a caller that did not wait must not see an unhandled rejection.
    this.promise.catch(() => undefined);
  }
}

export class GroupCommit {
  private queued: Batch | undefined;
  private tail: Promise<void> = Promise.resolve();

  /** `write` persists everything pending when it runs, and throws when it could not (the batch then rejects). */
  constructor(private readonly write: () => Promise<void>) {}

  /** Joins the batch being collected (it starts after the current write); resolves once that write succeeded. */
  join(): Promise<void> {
    let batch = this.queued;
    if (!batch) {
      const next = new Batch();
      batch = next;
      this.queued = next;
      this.tail = this.tail.then(() => this.run(next));
    }
    return batch.promise;
  }

  /** True while a batch is collecting (a write is scheduled but has not started). */
  get collecting(): boolean {
    return this.queued !== undefined;
  }

  /** Settles when the last scheduled write has finished (whatever its outcome). */
  get idle(): Promise<void> {
    return this.tail;
  }

  private async run(batch: Batch): Promise<void> {
    if (this.queued === batch) this.queued = undefined;
    try {
      await this.write();
      batch.resolve();
    } catch (error) {
      batch.reject(error);
    }
  }
}
