// The message pacer on fake timers: bursts within the bucket, spacing after it, pauses and draining.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MessagePacer } from './pacer.ts';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

function make(perSecond: number) {
  const sent: number[] = [];
  const pacer = new MessagePacer<number>(
    perSecond,
    (n) => void sent.push(n),
    () => Date.now(),
  );
  return { sent, pacer };
}

describe('MessagePacer', () => {
  it('sends a tenth of a second’s worth at once, then one per 1/rate seconds, in order', () => {
    // 20 a second: a bucket of 2 tokens, one more every 50 ms.
    const { sent, pacer } = make(20);
    for (let i = 1; i <= 5; i++) pacer.enqueue(i);
    expect(sent).toEqual([1, 2]);
    vi.advanceTimersByTime(50);
    expect(sent).toEqual([1, 2, 3]);
    vi.advanceTimersByTime(100);
    expect(sent).toEqual([1, 2, 3, 4, 5]);
    expect(pacer.waiting).toBe(0);
  });

  it('never sends more than 1.1 × the rate within any second', () => {
    const { sent, pacer } = make(45);
    for (let i = 0; i < 200; i++) pacer.enqueue(i);
    const at: number[] = [];
    let count = 0;
    for (let t = 0; t <= 3000; t++) {
      if (sent.length > count) for (; count < sent.length; count++) at.push(Date.now());
      vi.advanceTimersByTime(1);
    }
    for (let i = 0; i < at.length; i++) {
      const windowEnd = (at[i] ?? 0) + 1000;
      const inWindow = at.filter((t) => t >= (at[i] ?? 0) && t < windowEnd).length;
      expect(inWindow).toBeLessThanOrEqual(Math.floor(1.1 * 45));
    }
    expect(sent.length).toBeGreaterThan(100);
  });

  it('holds everything during a pause', () => {
    const { sent, pacer } = make(20);
    pacer.pause(300);
    pacer.enqueue(1);
    vi.advanceTimersByTime(299);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(2);
    expect(sent).toEqual([1]);
  });

  it('hands back what waits, which is then never sent', () => {
    const { sent, pacer } = make(10);
    for (let i = 1; i <= 4; i++) pacer.enqueue(i);
    expect(sent).toEqual([1]);
    expect(pacer.drain()).toEqual([2, 3, 4]);
    vi.advanceTimersByTime(1000);
    expect(sent).toEqual([1]);
  });
});
