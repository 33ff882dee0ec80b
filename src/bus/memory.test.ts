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
});
