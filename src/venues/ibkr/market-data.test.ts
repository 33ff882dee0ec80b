// Top of book from IB ticks: quotes once both sides are known, one trade per LAST price, delayed ticks alike.

import { describe, expect, it } from 'vitest';
import { makeInstrument } from '../../model/index.ts';
import { TickField, TopOfBook } from './market-data.ts';

const AAPL = makeInstrument({
  symbol: 'AAPL',
  venue: 'IBKR',
  assetClass: 'equity',
  currency: 'USD',
  tickSize: 0.01,
  lotSize: 1,
  region: 'US',
  sector: 'technology',
});

describe('TopOfBook', () => {
  it('quotes once both sides are known, on every later price or size change', () => {
    const book = new TopOfBook(AAPL);
    expect(book.apply(TickField.BID, 99.5, 1)).toBeUndefined();
    expect(book.apply(TickField.BID_SIZE, 300, 2)).toBeUndefined();
    expect(book.apply(TickField.ASK, 100.5, 3)).toEqual({
      type: 'quote',
      instrumentId: AAPL.id,
      bid: 99.5,
      ask: 100.5,
      bidSize: 300,
      askSize: 0,
      tsEvent: 3,
      tsInit: 3,
    });
    expect(book.apply(TickField.ASK_SIZE, 200, 4)).toMatchObject({ askSize: 200, tsEvent: 4 });
  });

  it('makes one trade of a LAST price and the size after it, however often TWS repeats the size', () => {
    const book = new TopOfBook(AAPL);
    expect(book.apply(TickField.LAST, 100.25, 1)).toBeUndefined();
    expect(book.apply(TickField.LAST_SIZE, 75, 2)).toMatchObject({ type: 'trade', price: 100.25, size: 75 });
    expect(book.apply(TickField.LAST_SIZE, 75, 3)).toBeUndefined();
    expect(book.apply(TickField.LAST_SIZE, 10, 4)).toBeUndefined(); // no new price: not a new trade
  });

  it('reads delayed ticks (66–71) as their live counterparts', () => {
    const book = new TopOfBook(AAPL);
    book.apply(66, 10, 1); // delayed bid
    book.apply(69, 5, 1); // delayed bid size
    book.apply(70, 7, 1); // delayed ask size
    expect(book.apply(67, 11, 2)).toMatchObject({ bid: 10, ask: 11, bidSize: 5, askSize: 7 }); // delayed ask
    book.apply(68, 10.5, 3); // delayed last
    expect(book.apply(71, 3, 4)).toMatchObject({ type: 'trade', price: 10.5, size: 3 }); // delayed last size
  });

  it('ignores non-finite values and tick types it does not read', () => {
    const book = new TopOfBook(AAPL);
    expect(book.apply(TickField.BID, Number.NaN, 1)).toBeUndefined();
    expect(book.apply(9, 101, 1)).toBeUndefined(); // close price
    expect(book.bid).toBeNaN();
  });
});
