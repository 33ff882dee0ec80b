// The size-capped recent-id set: eviction order and refresh on touch.
import { describe, expect, it } from 'vitest';
import { RecentIds } from './recent-ids.ts';

describe('RecentIds', () => {
  it('evicts the least recently seen id beyond the capacity', () => {
    const ids = new RecentIds(2);
    ids.add('a');
    ids.add('b');
    expect(ids.touch('a')).toBe(true); // a is now more recent than b
    ids.add('c'); // evicts b
    expect(ids.size).toBe(2);
    expect(ids.touch('b')).toBe(false);
    expect(ids.touch('a')).toBe(true);
    expect(ids.touch('c')).toBe(true);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new RecentIds(0)).toThrow(/positive integer/);
    expect(() => new RecentIds(1.5)).toThrow(RangeError);
  });
});
