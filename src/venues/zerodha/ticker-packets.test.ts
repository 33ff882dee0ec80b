// The ticker frame parser, checked against the official client's own parser (KiteTicker.parseBinary) on the
// same bytes, and on malformed frames (nothing emitted, the problem named).

import { KiteTicker } from 'kiteconnect';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../common/clock.ts';
import type { BookSnapshot, InstrumentId, MarketData, QuoteTick, TradeTick } from '../../model/index.ts';
import {
  encodeFrame,
  encodeFullPacket,
  encodeLtpPacket,
  encodeQuotePacket,
  type TickInput,
} from '../../../tests/support/fake-kite.ts';
import { hexExcerpt, KiteTickerParser } from './ticker-packets.ts';

const INFY = 408065; // low byte 1: NSE cash, prices in paise
const USDINR_FUTURE = 412675; // low byte 3: NSE currency, prices ÷ 10^7
const NIFTY_INDEX = 256265; // low byte 9: an index
const ids = new Map<number, InstrumentId>([
  [INFY, 'INFY.ZERODHA' as InstrumentId],
  [USDINR_FUTURE, 'USDINR.ZERODHA' as InstrumentId],
  [NIFTY_INDEX, 'NIFTY.ZERODHA' as InstrumentId],
]);
const NOW = 1_718_176_569_000_000;

/** The official parser, as the library exposes it on an instance (never connected here). */
const official = new KiteTicker({
  api_key: 'k',
  access_token: 't',
  reconnect: false,
}) as unknown as {
  parseBinary(data: ArrayBuffer): Record<string, unknown>[];
};

function buffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function parse(
  parser: KiteTickerParser,
  bytes: Uint8Array,
): { out: MarketData[]; kind: string; problem?: string } {
  const out: MarketData[] = [];
  const result = parser.parse(buffer(bytes), (m) => out.push(m));
  return { out, kind: result.kind, ...(result.kind === 'malformed' ? { problem: result.problem } : {}) };
}

const FULL: TickInput = {
  lastPrice: 1523.45,
  lastQuantity: 7,
  averagePrice: 1519.1,
  volume: 1_234_567,
  buyQuantity: 50_000,
  sellQuantity: 60_000,
  open: 1510,
  high: 1530.5,
  low: 1505.25,
  close: 1508.8,
  lastTradeTime: 1_718_176_568,
  exchangeTime: 1_718_176_569,
  bids: [
    [1523.4, 120, 3],
    [1523.35, 80, 2],
    [1523.3, 60, 1],
    [1523.25, 40, 1],
    [1523.2, 20, 1],
  ],
  asks: [
    [1523.5, 90, 2],
    [1523.55, 70, 2],
    [1523.6, 50, 1],
    [1523.65, 30, 1],
    [1523.7, 10, 1],
  ],
};

describe('KiteTickerParser', () => {
  it('reads a full packet as the official parser does: a quote, a five-level book and a trade', () => {
    const frame = encodeFrame([encodeFullPacket(INFY, FULL)]);
    const reference = official.parseBinary(buffer(frame))[0] as {
      last_price: number;
      last_traded_quantity: number;
      exchange_timestamp: Date;
      last_trade_time: Date;
      depth: { buy: { price: number; quantity: number }[]; sell: { price: number; quantity: number }[] };
    };
    const { out, kind } = parse(new KiteTickerParser(ids, new SimulatedClock(NOW)), frame);
    expect(kind).toBe('data');
    const [quote, book, trade] = out as [QuoteTick, BookSnapshot, TradeTick];
    expect(out.map((m) => m.type)).toEqual(['quote', 'book', 'trade']);
    expect(book.bids).toEqual(reference.depth.buy.map((l) => ({ price: l.price, size: l.quantity })));
    expect(book.asks).toEqual(reference.depth.sell.map((l) => ({ price: l.price, size: l.quantity })));
    expect(quote).toMatchObject({
      instrumentId: 'INFY.ZERODHA',
      bid: reference.depth.buy[0]?.price,
      ask: reference.depth.sell[0]?.price,
      bidSize: 120,
      askSize: 90,
      tsEvent: reference.exchange_timestamp.getTime() * 1000,
      tsInit: NOW,
    });
    expect(trade).toMatchObject({
      price: reference.last_price,
      size: reference.last_traded_quantity,
      tsEvent: reference.last_trade_time.getTime() * 1000,
    });
    expect(reference.last_price).toBe(1523.45);
  });

  it('reads quote and ltp packets, several per frame, as the official parser does', () => {
    const frame = encodeFrame([encodeQuotePacket(INFY, FULL), encodeLtpPacket(NIFTY_INDEX, 23_456.75)]);
    const reference = official.parseBinary(buffer(frame)) as {
      last_price: number;
      last_traded_quantity?: number;
    }[];
    const { out } = parse(new KiteTickerParser(ids, new SimulatedClock(NOW)), frame);
    expect(out).toEqual([
      {
        type: 'trade',
        instrumentId: 'INFY.ZERODHA',
        price: reference[0]?.last_price,
        size: reference[0]?.last_traded_quantity,
        aggressor: 'unknown',
        tsEvent: NOW,
        tsInit: NOW,
      },
      {
        type: 'trade',
        instrumentId: 'NIFTY.ZERODHA',
        price: reference[1]?.last_price,
        size: 0,
        aggressor: 'unknown',
        tsEvent: NOW,
        tsInit: NOW,
      },
    ]);
  });

  it('uses the currency segment’s divisor like the official parser', () => {
    const bytes = new Uint8Array(8);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, USDINR_FUTURE);
    view.setInt32(4, 834_512_500); // ₹83.45125 in units of 10^-7
    const frame = encodeFrame([bytes]);
    const reference = official.parseBinary(buffer(frame))[0] as { last_price: number };
    const { out } = parse(new KiteTickerParser(ids, new SimulatedClock(NOW)), frame);
    expect((out[0] as TradeTick).price).toBe(reference.last_price);
    expect(reference.last_price).toBeCloseTo(83.45125, 10);
  });

  it('tells a trade only when the volume moves', () => {
    const parser = new KiteTickerParser(ids, new SimulatedClock(NOW));
    const frame = encodeFrame([encodeQuotePacket(INFY, FULL)]);
    expect(parse(parser, frame).out).toHaveLength(1);
    expect(parse(parser, frame).out).toHaveLength(0);
    expect(
      parse(parser, encodeFrame([encodeQuotePacket(INFY, { ...FULL, volume: 1_234_570 })])).out,
    ).toHaveLength(1);
  });

  it('heartbeats and unknown tokens emit nothing; malformed frames emit nothing and name the problem', () => {
    const parser = new KiteTickerParser(ids, new SimulatedClock(NOW));
    expect(parse(parser, new Uint8Array(1)).kind).toBe('heartbeat');
    expect(parse(parser, encodeFrame([encodeLtpPacket(999_999, 10)])).out).toEqual([]);
    expect(parser.unknownTokens).toBe(1);

    const good = encodeLtpPacket(INFY, 1500);
    const cases: [Uint8Array, RegExp][] = [
      [encodeFrame([good]).subarray(0, 7), /runs past the frame end/],
      [Uint8Array.of(0, 3, 0, 8, ...good), /declares 3 packets but ends after 1/],
      [encodeFrame([new Uint8Array(40)]), /unsupported length 40/],
      [Uint8Array.of(...encodeFrame([good]), 0xff), /1 bytes after the last of 1 packets/],
      // A valid packet followed by a bad one: the good one is not emitted either.
      [encodeFrame([good, new Uint8Array(12)]), /packet 1 has unsupported length 12/],
    ];
    for (const [bytes, problem] of cases) {
      const { out, kind, problem: named } = parse(parser, bytes);
      expect(kind).toBe('malformed');
      expect(named).toMatch(problem);
      expect(out).toEqual([]);
    }
  });

  it('excerpts frames in hex for logs', () => {
    expect(hexExcerpt(Uint8Array.of(0, 1, 0xab))).toBe('0001ab');
    expect(hexExcerpt(new Uint8Array(100), 2)).toBe('0000… (100 bytes)');
  });
});
