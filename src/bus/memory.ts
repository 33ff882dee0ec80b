// In-process bus: FIFO delivery in the publisher's turn, breadth-first (a handler's publishes are queued
// behind the current message, never delivered recursively), no serialization, no per-message allocation
// beyond the queue slot. Also the in-memory control plane with the same keys as Redis.

import type { Bus, ControlPlane, Handler, MessageOf, StreamName, Subscription } from '../common/bus.ts';

type AnyHandler = Handler<unknown>;

interface Group {
  readonly name: string;
  readonly consumers: AnyHandler[];
  next: number;
}

export class MemoryControlPlane implements ControlPlane {
  private readonly hashes = new Map<string, Record<string, string>>();
  private readonly listeners = new Set<(key: string, field: string, value: string | undefined) => void>();

  constructor(initial?: Readonly<Record<string, Readonly<Record<string, string>>>>) {
    if (initial) for (const [key, hash] of Object.entries(initial)) this.hashes.set(key, { ...hash });
  }

  get(key: string, field: string): string | undefined {
    return this.hashes.get(key)?.[field];
  }

  getAll(key: string): Readonly<Record<string, string>> {
    return this.hashes.get(key) ?? {};
  }

  /** Applies a change and notifies listeners synchronously (used by both set() and remote updates). */
  apply(key: string, field: string, value: string | undefined): void {
    const hash = this.hashes.get(key) ?? {};
    if (hash[field] === value) return;
    if (value === undefined) delete hash[field];
    else hash[field] = value;
    this.hashes.set(key, hash);
    for (const listener of this.listeners) listener(key, field, value);
  }

  set(key: string, field: string, value: string): Promise<void> {
    this.apply(key, field, value);
    return Promise.resolve();
  }

  delete(key: string, field: string): Promise<void> {
    this.apply(key, field, undefined);
    return Promise.resolve();
  }

  setVersioned(key: string, field: string, value: string, version: number): Promise<boolean> {
    const stored = versionOf(this.hashes.get(key)?.[field]);
    if (stored !== undefined && stored >= version) return Promise.resolve(false);
    this.apply(key, field, value);
    return Promise.resolve(true);
  }

  onChange(listener: (key: string, field: string, value: string | undefined) => void): Subscription {
    this.listeners.add(listener);
    return { unsubscribe: () => this.listeners.delete(listener) };
  }

  snapshot(): Record<string, Record<string, string>> {
    const out: Record<string, Record<string, string>> = {};
    for (const [k, v] of this.hashes) out[k] = { ...v };
    return out;
  }
}

export class MemoryBus implements Bus {
  readonly control: MemoryControlPlane;
  private readonly streams = new Map<string, Group[]>();
  // A FIFO ring of parallel arrays (capacity a power of two, doubled when full): no object allocated per
  // publish and no array resized in the steady state.
  private queueStreams: (string | undefined)[] = new Array<string | undefined>(1024).fill(undefined);
  private queueMessages: unknown[] = new Array<unknown>(1024).fill(undefined);
  private mask = 1023;
  private head = 0;
  private tail = 0;
  private draining = false;
  private readonly pending = new Set<Promise<void>>();
  private readonly errorListeners = new Set<(error: unknown, stream: string, group: string) => void>();
  /** Messages delivered (one per group), for benchmarks and health. */
  delivered = 0;

  constructor(control: MemoryControlPlane = new MemoryControlPlane()) {
    this.control = control;
  }

  publish<S extends StreamName>(stream: S, message: MessageOf<S>): void {
    if (this.tail - this.head > this.mask) this.grow();
    const slot = this.tail & this.mask;
    this.queueStreams[slot] = stream;
    this.queueMessages[slot] = message;
    this.tail++;
    if (!this.draining) this.drain();
  }

  private grow(): void {
    const size = this.mask + 1;
    const streams = new Array<string | undefined>(size * 2).fill(undefined);
    const messages = new Array<unknown>(size * 2).fill(undefined);
    for (let i = this.head; i < this.tail; i++) {
      streams[i - this.head] = this.queueStreams[i & this.mask];
      messages[i - this.head] = this.queueMessages[i & this.mask];
    }
    this.tail -= this.head;
    this.head = 0;
    this.queueStreams = streams;
    this.queueMessages = messages;
    this.mask = size * 2 - 1;
  }

  subscribe<S extends StreamName>(stream: S, group: string, handler: Handler<MessageOf<S>>): Subscription {
    let groups = this.streams.get(stream);
    if (!groups) {
      groups = [];
      this.streams.set(stream, groups);
    }
    let g = groups.find((x) => x.name === group);
    if (!g) {
      g = { name: group, consumers: [], next: 0 };
      groups.push(g);
    }
    const consumer = handler as AnyHandler;
    g.consumers.push(consumer);
    const target = g;
    return {
      unsubscribe: () => {
        const i = target.consumers.indexOf(consumer);
        if (i >= 0) target.consumers.splice(i, 1);
      },
    };
  }

  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  onError(listener: (error: unknown, stream: string, group: string) => void): Subscription {
    this.errorListeners.add(listener);
    return { unsubscribe: () => this.errorListeners.delete(listener) };
  }

  close(): Promise<void> {
    return this.flush();
  }

  private drain(): void {
    this.draining = true;
    try {
      while (this.head < this.tail) {
        const slot = this.head & this.mask;
        const stream = this.queueStreams[slot] as string;
        const message = this.queueMessages[slot];
        this.queueMessages[slot] = undefined;
        this.head++;
        const groups = this.streams.get(stream);
        if (groups) {
          for (let g = 0; g < groups.length; g++) {
            const group = groups[g] as Group;
            const n = group.consumers.length;
            if (n === 0) continue;
            const consumer = group.consumers[group.next % n] as AnyHandler;
            group.next = n === 1 ? 0 : (group.next + 1) % n;
            this.deliver(consumer, message, stream, group.name);
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private deliver(consumer: AnyHandler, message: unknown, stream: string, group: string): void {
    this.delivered++;
    try {
      const result = consumer(message);
      if (result !== undefined) {
        const tracked = result.then(
          () => {
            this.pending.delete(tracked);
          },
          (error: unknown) => {
            this.pending.delete(tracked);
            this.reportError(error, stream, group);
          },
        );
        this.pending.add(tracked);
      }
    } catch (error) {
      this.reportError(error, stream, group);
    }
  }

  private reportError(error: unknown, stream: string, group: string): void {
    if (this.errorListeners.size === 0) {
      process.emitWarning(`bus handler failed on ${stream} (${group}): ${String(error)}`);
      return;
    }
    for (const listener of this.errorListeners) listener(error, stream, group);
  }
}

/** The numeric `version` of a stored JSON document, or undefined (absent, not JSON, no version). */
export function versionOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed = JSON.parse(value) as { version?: unknown };
    return typeof parsed?.version === 'number' ? parsed.version : undefined;
  } catch {
    return undefined;
  }
}
