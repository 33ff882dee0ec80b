// Reading Kite's orders and trades: IST timestamps (as strings, and as the Dates the official client makes of
// them), validation of each entry, and the mapping of Kite's order statuses and types.

import { describe, expect, it } from 'vitest';
import {
  kiteTimeToMicros,
  microsToKiteTime,
  orderTypeFromKite,
  parseKiteOrder,
  parseKiteTrade,
  statusFromKite,
  type KiteOrder,
} from './kite-orders.ts';

describe('Kite timestamps', () => {
  it('are IST wall-clock times: 12:46:09 IST is 07:16:09 UTC', () => {
    const expected = Date.UTC(2024, 5, 12, 7, 16, 9) * 1000;
    expect(kiteTimeToMicros('2024-06-12 12:46:09')).toBe(expected);
    // The official client turns the string into a Date with `new Date(string)`, i.e. in local time; its
    // local fields are the IST fields whatever the process's time zone.
    expect(kiteTimeToMicros(new Date('2024-06-12 12:46:09'))).toBe(expected);
    expect(microsToKiteTime(expected)).toBe('2024-06-12 12:46:09');
  });

  it('unreadable values are undefined', () => {
    for (const v of ['', '2024-06-12', '12:46:09', 1718176569, null, new Date(Number.NaN)])
      expect(kiteTimeToMicros(v)).toBeUndefined();
  });
});

const ORDER = {
  order_id: '250101000000001',
  status: 'OPEN',
  exchange: 'NSE',
  tradingsymbol: 'INFY',
  transaction_type: 'BUY',
  order_type: 'LIMIT',
  validity: 'DAY',
  product: 'CNC',
  quantity: 10,
  filled_quantity: 4,
  price: 1400,
  trigger_price: 0,
  tag: 'hfabc',
  order_timestamp: '2024-06-12 12:46:09',
};

describe('Kite orders and trades', () => {
  it('parse a well-formed entry', () => {
    expect(parseKiteOrder(ORDER)).toMatchObject({
      orderId: '250101000000001',
      side: 'buy',
      quantity: 10,
      filledQuantity: 4,
      price: 1400,
      tag: 'hfabc',
      parentOrderId: undefined,
      orderTimestamp: Date.UTC(2024, 5, 12, 7, 16, 9) * 1000,
    });
  });

  it('name the first problem of a malformed entry', () => {
    expect(parseKiteOrder(null)).toBe('order entry is not an object');
    expect(parseKiteOrder({ ...ORDER, order_id: undefined })).toBe('order_id missing');
    expect(parseKiteOrder({ ...ORDER, status: '' })).toBe('order 250101000000001: status missing');
    expect(parseKiteOrder({ ...ORDER, transaction_type: 'HOLD' })).toMatch(/not BUY or SELL/);
    expect(parseKiteOrder({ ...ORDER, quantity: 'ten' })).toMatch(/quantity missing/);
    expect(
      parseKiteTrade({
        trade_id: '1',
        order_id: '2',
        exchange: 'NSE',
        tradingsymbol: 'INFY',
        transaction_type: 'SELL',
        quantity: 0,
        average_price: 10,
      }),
    ).toMatch(/quantity missing or not positive/);
    expect(
      parseKiteTrade({
        trade_id: '1',
        order_id: '2',
        exchange: 'NSE',
        tradingsymbol: 'INFY',
        transaction_type: 'SELL',
        quantity: 3,
        average_price: 'x',
      }),
    ).toMatch(/average_price/);
  });

  it('map Kite statuses and order types to the platform’s', () => {
    const view = (status: string, filled = 0): KiteOrder => ({
      ...(parseKiteOrder({ ...ORDER, status, filled_quantity: filled }) as KiteOrder),
    });
    expect(statusFromKite(view('OPEN PENDING'))).toBe('SUBMITTED');
    expect(statusFromKite(view('OPEN'))).toBe('ACCEPTED');
    expect(statusFromKite(view('TRIGGER PENDING'))).toBe('ACCEPTED');
    expect(statusFromKite(view('OPEN', 4))).toBe('PARTIALLY_FILLED');
    expect(statusFromKite(view('COMPLETE', 10))).toBe('FILLED');
    expect(statusFromKite(view('CANCELLED', 4))).toBe('CANCELED');
    expect(statusFromKite(view('REJECTED'))).toBe('REJECTED');
    expect(['MARKET', 'LIMIT', 'SL', 'SL-M'].map(orderTypeFromKite)).toEqual([
      'market',
      'limit',
      'stop_limit',
      'stop',
    ]);
  });
});
