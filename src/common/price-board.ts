// Last price per instrument, updated in place: a slot object per instrument whose number field V8 keeps
// unboxed, so recording a price on every tick or bar allocates nothing (a Map<id, number> boxes each value).

export class PriceBoard<K = string> {
  private readonly slots = new Map<K, { value: number }>();

  set(key: K, value: number): void {
    const slot = this.slots.get(key);
    if (slot) slot.value = value;
    else this.slots.set(key, { value });
  }

  get(key: K): number | undefined {
    return this.slots.get(key)?.value;
  }

  has(key: K): boolean {
    return this.slots.has(key);
  }

  get size(): number {
    return this.slots.size;
  }

  *entries(): IterableIterator<[K, number]> {
    for (const [k, slot] of this.slots) yield [k, slot.value];
  }
}
