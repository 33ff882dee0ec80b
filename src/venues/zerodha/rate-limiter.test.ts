// The client-side limiter on a simulated clock: sliding windows, urgent requests first, a 429 back-off, and a
// clear that rejects everything still waiting.

import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../common/clock.ts';
import { RateLimiter } from './rate-limiter.ts';

const SECOND = 1_000_000;

/** Lets resolved promises run their continuations. */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

function tracked(limiter: RateLimiter, granted: string[], name: string, urgent = false): void {
  void limiter.acquire(urgent).then(
    () => granted.push(name),
    () => granted.push(`${name}:rejected`),
  );
}

describe('RateLimiter', () => {
  it('grants up to the limit in a window, then each waiter when the oldest grant leaves the window', async () => {
    const clock = new SimulatedClock(0);
    const limiter = new RateLimiter(clock, 'test', [{ limit: 3, windowMicros: SECOND }]);
    const granted: string[] = [];
    for (const name of ['a', 'b', 'c', 'd', 'e']) tracked(limiter, granted, name);
    await flush();
    expect(granted).toEqual(['a', 'b', 'c']);
    clock.advanceTo(SECOND - 1);
    await flush();
    expect(granted).toEqual(['a', 'b', 'c']);
    clock.advanceTo(SECOND);
    await flush();
    expect(granted).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(limiter.granted).toBe(5);
  });

  it('honours every window: 2 a second and 3 in ten seconds', async () => {
    const clock = new SimulatedClock(0);
    const limiter = new RateLimiter(clock, 'test', [
      { limit: 2, windowMicros: SECOND },
      { limit: 3, windowMicros: 10 * SECOND },
    ]);
    const granted: string[] = [];
    for (const name of ['a', 'b', 'c', 'd']) tracked(limiter, granted, name);
    await flush();
    expect(granted).toEqual(['a', 'b']);
    clock.advanceTo(SECOND);
    await flush();
    expect(granted).toEqual(['a', 'b', 'c']); // the per-second window frees two, the ten-second window one
    clock.advanceTo(10 * SECOND - 1);
    await flush();
    expect(granted).toHaveLength(3);
    clock.advanceTo(10 * SECOND);
    await flush();
    expect(granted).toEqual(['a', 'b', 'c', 'd']);
  });

  it('serves urgent waiters first, pauses after a 429, and rejects waiters on clear', async () => {
    const clock = new SimulatedClock(0);
    const limiter = new RateLimiter(clock, 'test', [{ limit: 1, windowMicros: SECOND }]);
    const granted: string[] = [];
    tracked(limiter, granted, 'first');
    tracked(limiter, granted, 'normal');
    tracked(limiter, granted, 'urgent', true);
    await flush();
    limiter.pause(5 * SECOND);
    clock.advanceTo(SECOND);
    await flush();
    expect(granted).toEqual(['first']);
    clock.advanceTo(5 * SECOND);
    await flush();
    expect(granted).toEqual(['first', 'urgent']);
    limiter.clear(new Error('token expired'));
    await flush();
    expect(granted).toEqual(['first', 'urgent', 'normal:rejected']);
    expect(limiter.queued).toBe(0);
  });
});
