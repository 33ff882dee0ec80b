// The Kite ticker's binary frames read into the platform's market data. A frame is big-endian: a uint16
// packet count, then per packet a uint16 length and the packet. Packet lengths say the mode: 8 (ltp), 28/32
// (index quote/full), 44 (quote), 184 (full, with five levels of depth a side). Prices are integers in paise
// (÷100; ÷10^7 for NSE currency, ÷10^4 for BSE currency). A 1-byte frame is a heartbeat. A frame is checked
// whole before anything in it is emitted, so a malformed one emits nothing.

import type { Clock } from '../../common/clock.ts';
import type { BookLevel, InstrumentId, MarketData } from '../../model/index.ts';

const PACKET_LENGTHS: ReadonlySet<number> = new Set([8, 28, 32, 44, 184]);
const SEGMENT_NSE_CURRENCY = 3;
const SEGMENT_BSE_CURRENCY = 6;
const DEPTH_OFFSET = 64;
const DEPTH_ENTRY = 12;
const DEPTH_LEVELS = 5;

/** What a frame was: a heartbeat, data (emitted), or malformed (nothing emitted, the problem named). */
export type FrameResult =
  | { readonly kind: 'heartbeat' }
  | { readonly kind: 'data' }
  | { readonly kind: 'malformed'; readonly problem: string };

const HEARTBEAT: FrameResult = { kind: 'heartbeat' };
const DATA: FrameResult = { kind: 'data' };

function divisorOf(token: number): number {
  const segment = token & 0xff;
  if (segment === SEGMENT_NSE_CURRENCY) return 10_000_000;
  if (segment === SEGMENT_BSE_CURRENCY) return 10_000;
  return 100;
}

export class KiteTickerParser {
  /** Last cumulative volume per token: a trade is emitted when it moves. */
  private readonly lastVolume = new Map<number, number>();
  private readonly sequence = new Map<number, number>();
  packets = 0;
  /** Packets for tokens this parser was not given (ignored). */
  unknownTokens = 0;

  constructor(
    private readonly instruments: ReadonlyMap<number, InstrumentId>,
    private readonly clock: Clock,
  ) {}

  /** Emits what `frame` carries; a malformed frame emits nothing and its problem is returned. */
  parse(frame: ArrayBuffer | Uint8Array, emit: (message: MarketData) => void): FrameResult {
    const view =
      frame instanceof Uint8Array
        ? new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
        : new DataView(frame);
    const length = view.byteLength;
    if (length < 2) return HEARTBEAT;
    const problem = check(view);
    if (problem !== undefined) return { kind: 'malformed', problem };
    const count = view.getUint16(0);
    let at = 2;
    for (let i = 0; i < count; i++) {
      const size = view.getUint16(at);
      this.packet(view, at + 2, size, emit);
      at += 2 + size;
    }
    return DATA;
  }

  private packet(view: DataView, at: number, size: number, emit: (message: MarketData) => void): void {
    this.packets++;
    const token = view.getUint32(at);
    const instrumentId = this.instruments.get(token);
    if (instrumentId === undefined) {
      this.unknownTokens++;
      return;
    }
    const divisor = divisorOf(token);
    const now = this.clock.now();
    const lastPrice = view.getInt32(at + 4) / divisor;
    if (size === 8 || size === 28 || size === 32) {
      // Price only (ltp mode, or an index): a trade print without a size.
      const stamp = size === 32 ? view.getUint32(at + 28) : 0;
      emit({
        type: 'trade',
        instrumentId,
        price: lastPrice,
        size: 0,
        aggressor: 'unknown',
        tsEvent: stamp > 0 ? stamp * 1_000_000 : now,
        tsInit: now,
      });
      return;
    }
    const lastQuantity = view.getUint32(at + 8);
    const volume = view.getUint32(at + 16);
    const full = size === 184;
    const exchangeTime = full ? view.getUint32(at + 60) : 0;
    const tsEvent = exchangeTime > 0 ? exchangeTime * 1_000_000 : now;
    if (full) {
      const bids: BookLevel[] = [];
      const asks: BookLevel[] = [];
      for (let level = 0; level < 2 * DEPTH_LEVELS; level++) {
        const entry = at + DEPTH_OFFSET + level * DEPTH_ENTRY;
        const quantity = view.getUint32(entry);
        const price = view.getInt32(entry + 4) / divisor;
        if (quantity === 0 || price <= 0) continue;
        (level < DEPTH_LEVELS ? bids : asks).push({ price, size: quantity });
      }
      const bid = bids[0];
      const ask = asks[0];
      if (bid && ask)
        emit({
          type: 'quote',
          instrumentId,
          bid: bid.price,
          ask: ask.price,
          bidSize: bid.size,
          askSize: ask.size,
          tsEvent,
          tsInit: now,
        });
      const sequence = (this.sequence.get(token) ?? 0) + 1;
      this.sequence.set(token, sequence);
      emit({ type: 'book', instrumentId, bids, asks, sequence, tsEvent, tsInit: now });
    }
    if (this.lastVolume.get(token) !== volume) {
      this.lastVolume.set(token, volume);
      const tradeTime = full ? view.getUint32(at + 44) : 0;
      emit({
        type: 'trade',
        instrumentId,
        price: lastPrice,
        size: lastQuantity,
        aggressor: 'unknown',
        tsEvent: tradeTime > 0 ? tradeTime * 1_000_000 : tsEvent,
        tsInit: now,
      });
    }
  }
}

/** What is wrong with the frame's structure, or undefined. */
function check(view: DataView): string | undefined {
  const length = view.byteLength;
  const count = view.getUint16(0);
  let at = 2;
  for (let i = 0; i < count; i++) {
    if (at + 2 > length) return `frame declares ${count} packets but ends after ${i}`;
    const size = view.getUint16(at);
    if (!PACKET_LENGTHS.has(size)) return `packet ${i} has unsupported length ${size}`;
    if (at + 2 + size > length)
      return `packet ${i} of length ${size} runs past the frame end (${length} bytes)`;
    at += 2 + size;
  }
  if (at !== length) return `${length - at} bytes after the last of ${count} packets`;
  return undefined;
}

/** A hex excerpt of a frame for logs (the first `limit` bytes). */
export function hexExcerpt(frame: ArrayBuffer | Uint8Array, limit = 48): string {
  const bytes = frame instanceof Uint8Array ? frame : new Uint8Array(frame);
  const shown = bytes.subarray(0, limit);
  let out = '';
  for (const b of shown) out += b.toString(16).padStart(2, '0');
  return bytes.length > limit ? `${out}… (${bytes.length} bytes)` : out;
}
