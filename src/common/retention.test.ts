import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.ts';
import { ExpiringMap, RetentionQueue, retentionFromEnv } from './retention.ts';

describe('RetentionQueue', () => {
  it('releases keys oldest first once past the horizon; a key held back holds the ones behind it', () => {
    const queue = new RetentionQueue<string>(10);
    queue.push('a', 0);
    queue.push('b', 5);
    queue.push('c', 20);
    expect(queue.due(9)).toBe(false);
    const out: string[] = [];
    let hold = true;
    const release = (key: string): boolean => {
      if (key === 'a' && hold) return false;
      out.push(key);
      return true;
    };
    expect(queue.drain(16, release)).toBe(0);
    hold = false;
    expect(queue.drain(16, release)).toBe(2);
    expect(out).toEqual(['a', 'b']);
    expect(queue.size).toBe(1);
    expect(queue.due(29)).toBe(false);
    expect(queue.due(30)).toBe(true);
  });

  it('releases beyond the count whatever the age, and compacts after many releases', () => {
    const queue = new RetentionQueue<number>(1e12, 3);
    for (let i = 0; i < 5_000; i++) queue.push(i, i);
    const out: number[] = [];
    queue.drain(5_000, (key) => (out.push(key), true));
    expect(out).toHaveLength(4_997);
    expect(out[0]).toBe(0);
    expect(queue.size).toBe(3);
    queue.push(5_000, 5_000);
    queue.drain(5_001, (key) => (out.push(key), true));
    expect(out.at(-1)).toBe(4_997);
  });
});

describe('ExpiringMap', () => {
  it('drops entries past the horizon, calls onExpire, and a key set again lives from its new time', () => {
    const expired: string[] = [];
    const map = new ExpiringMap<string, number>(10, (key) => expired.push(key));
    map.set('a', 1, 0);
    map.set('b', 2, 3);
    map.set('a', 3, 8);
    map.prune(12);
    expect(expired).toEqual([]);
    expect(map.get('a')).toBe(3);
    map.prune(13);
    expect(expired).toEqual(['b']);
    map.prune(18);
    expect(expired).toEqual(['b', 'a']);
    expect(map.size).toBe(0);
  });
});

describe('retentionFromEnv', () => {
  it('reads the horizons, turns retention off with 0, and names a bad variable', () => {
    expect(retentionFromEnv({})).toEqual({
      closedOrdersMicros: 600e6,
      maxClosedOrders: 100_000,
      idsMicros: 24 * 3.6e9,
    });
    expect(
      retentionFromEnv({
        HF_RETAIN_CLOSED_SECONDS: '30',
        HF_RETAIN_MAX_CLOSED: '0',
        HF_RETAIN_IDS_HOURS: '1',
      }),
    ).toEqual({ closedOrdersMicros: 30e6, maxClosedOrders: Number.POSITIVE_INFINITY, idsMicros: 3.6e9 });
    expect(retentionFromEnv({ HF_RETAIN_CLOSED_SECONDS: '0' })).toBeUndefined();
    expect(() => retentionFromEnv({ HF_RETAIN_IDS_HOURS: 'a day' })).toThrow(ConfigError);
    expect(() => retentionFromEnv({ HF_RETAIN_MAX_CLOSED: '-1' })).toThrow(/HF_RETAIN_MAX_CLOSED/);
  });
});
