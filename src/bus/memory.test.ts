// The in-process bus against the shared Bus contract, plus its own guarantee: breadth-first delivery.
import { describe, expect, it } from 'vitest';
import { Streams } from '../common/topics.ts';
import { busContract } from './bus.contract.ts';
import { MemoryBus } from './memory.ts';

busContract('memory', () => Promise.resolve(new MemoryBus()));

describe('MemoryBus', () => {
  it('delivers breadth-first: a message published by a handler waits behind those already queued', () => {
    const bus = new MemoryBus();
    const order: string[] = [];
    bus.subscribe(Streams.alerts, 'g', (m) => {
      order.push(m.message);
      if (m.message === 'a') bus.publish(Streams.alerts, { ...m, message: 'c' });
    });
    bus.subscribe(Streams.candles('1m'), 'g', () => {
      order.push('bar');
      bus.publish(Streams.alerts, {
        type: 'alert',
        severity: 'info',
        code: 'T',
        source: 't',
        message: 'a',
        tsEvent: 0,
      });
      bus.publish(Streams.alerts, {
        type: 'alert',
        severity: 'info',
        code: 'T',
        source: 't',
        message: 'b',
        tsEvent: 0,
      });
    });
    bus.publish(Streams.candles('1m'), {
      type: 'bar',
      instrumentId: 'X.V' as never,
      timeframe: '1m',
      open: 1,
      high: 1,
      low: 1,
      close: 1,
      volume: 1,
      tsEvent: 0,
      tsInit: 0,
    });
    expect(order).toEqual(['bar', 'a', 'b', 'c']);
  });

  it('keeps FIFO order when a drain queues more than the ring holds (the ring grows)', () => {
    const bus = new MemoryBus();
    const seen: number[] = [];
    bus.subscribe(Streams.alerts, 'g', (m) => {
      seen.push(m.tsEvent);
      if (m.tsEvent === -1)
        for (let i = 0; i < 5000; i++)
          bus.publish(Streams.alerts, {
            type: 'alert',
            severity: 'info',
            code: 'T',
            source: 't',
            message: '',
            tsEvent: i,
          });
    });
    bus.publish(Streams.alerts, {
      type: 'alert',
      severity: 'info',
      code: 'T',
      source: 't',
      message: '',
      tsEvent: -1,
    });
    expect(seen).toEqual([-1, ...Array.from({ length: 5000 }, (_, i) => i)]);
    // and it goes on working after growing
    bus.publish(Streams.alerts, {
      type: 'alert',
      severity: 'info',
      code: 'T',
      source: 't',
      message: '',
      tsEvent: 7,
    });
    expect(seen.at(-1)).toBe(7);
  });
});
