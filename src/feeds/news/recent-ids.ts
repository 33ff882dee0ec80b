// A size-capped set of recently seen ids, least recently seen evicted first: dedup across polls in bounded memory.

export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be a positive integer, not ${capacity}`);
  }

  get size(): number {
    return this.ids.size;
  }

  /** Whether `id` was seen recently; if so it becomes the most recent (a feed that still lists it keeps it). */
  touch(id: string): boolean {
    if (!this.ids.has(id)) return false;
    this.ids.delete(id);
    this.ids.add(id);
    return true;
  }

  /** Remembers `id` as the most recent, evicting the least recent beyond the capacity. */
  add(id: string): void {
    this.ids.delete(id);
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next();
      if (!oldest.done) this.ids.delete(oldest.value);
    }
  }
}
