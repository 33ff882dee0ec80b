// Conflating throttle: one message per key per interval, the latest wins, order kept across keys, timer flush.
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../common/clock.ts';
import { ConflatingThrottle } from './throttle.ts';

interface Update {
  readonly key: string;
  readonly value: number;
}

function setup(intervalMicros: number): {
  clock: SimulatedClock;
  throttle: ConflatingThrottle<Update>;
  out: string[];
  offer: (key: string, value: number) => void;
} {
  const clock = new SimulatedClock(0);
  const out: string[] = [];
  const throttle = new ConflatingThrottle<Update>({
    clock,
    intervalMicros,
    emit: (u) => out.push(`${u.key}${u.value}@${clock.now()}`),
    timerName: 'test.throttle',
  });
  return { clock, throttle, out, offer: (key, value) => throttle.offer(key, { key, value }) };
}

describe('ConflatingThrottle', () => {
  it('passes the first update at once and conflates the rest of the interval into the latest', () => {
    const { clock, throttle, out, offer } = setup(100);
    offer('A', 1);
    expect(out).toEqual(['A1@0']);
    clock.advanceTo(10);
    offer('A', 2);
    clock.advanceTo(20);
    offer('A', 3);
    clock.advanceTo(30);
    offer('A', 4);
    expect(out).toEqual(['A1@0']);
    expect(throttle.pendingCount).toBe(1);
    // The interval ends at 100: the timer publishes the latest (4); 2 and 3 were conflated away.
    clock.advanceTo(100);
    expect(out).toEqual(['A1@0', 'A4@100']);
    expect(throttle.conflated).toBe(2);
    expect(throttle.offered).toBe(4);
    expect(throttle.emitted).toBe(2);
    // The next interval counts from that publication: an update at 150 waits until 200.
    clock.advanceTo(150);
    offer('A', 5);
    expect(out).toHaveLength(2);
    clock.advanceTo(199);
    expect(out).toHaveLength(2);
    clock.advanceTo(250);
    expect(out).toEqual(['A1@0', 'A4@100', 'A5@200']);
    // Quiet for a full interval: the next update goes straight out.
    clock.advanceTo(400);
    offer('A', 6);
    expect(out.at(-1)).toBe('A6@400');
  });

  it('caps each key separately and publishes waiting keys in the order they started waiting', () => {
    const { clock, out, offer } = setup(100);
    offer('A', 1);
    offer('B', 1);
    clock.advanceTo(10);
    offer('B', 2);
    clock.advanceTo(20);
    offer('A', 2);
    offer('C', 1);
    expect(out).toEqual(['A1@0', 'B1@0', 'C1@20']);
    clock.advanceTo(100);
    // B started waiting before A: B first, though both are due at 100.
    expect(out).toEqual(['A1@0', 'B1@0', 'C1@20', 'B2@100', 'A2@100']);
    clock.advanceTo(110);
    offer('C', 2);
    offer('A', 3);
    // C is due at 120, A at 200: separate timer firings.
    clock.advanceTo(120);
    expect(out.slice(5)).toEqual(['C2@120']);
    clock.advanceTo(200);
    expect(out.slice(5)).toEqual(['C2@120', 'A3@200']);
  });

  it('flushAll publishes everything pending at once, due or not', () => {
    const { clock, throttle, out, offer } = setup(1000);
    offer('A', 1);
    offer('A', 2);
    offer('B', 1);
    offer('B', 2);
    offer('B', 3);
    throttle.stop();
    throttle.flushAll();
    expect(out).toEqual(['A1@0', 'B1@0', 'A2@0', 'B3@0']);
    expect(throttle.pendingCount).toBe(0);
    clock.advanceTo(5000);
    expect(out).toHaveLength(4);
  });

  it('passes everything through with interval 0', () => {
    const { out, offer } = setup(0);
    offer('A', 1);
    offer('A', 2);
    offer('A', 3);
    expect(out).toEqual(['A1@0', 'A2@0', 'A3@0']);
  });

  it('rejects a negative or non-finite interval', () => {
    const clock = new SimulatedClock(0);
    const make = (intervalMicros: number): unknown =>
      new ConflatingThrottle({ clock, intervalMicros, emit: () => undefined, timerName: 't' });
    expect(() => make(-1)).toThrow(/intervalMicros/);
    expect(() => make(Number.NaN)).toThrow(RangeError);
  });
});
