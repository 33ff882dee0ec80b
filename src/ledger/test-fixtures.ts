// Test fixtures shared by the ledger and store tests: an inline registry with awkward increments, a fill
// builder, and a fast-check script of random fills (opens, partial closes, full closes, flips) with the
// expected signed quantities derived independently of the ledger. Imported by tests only.

import fc from 'fast-check';
import { parseRegistry, type Registry } from '../common/registry.ts';
import {
  clientOrderId,
  quantize,
  strategyId,
  tradeId,
  venueOrderId,
  type Instrument,
  type InstrumentId,
  type OrderFilled,
  type OrderSide,
} from '../model/index.ts';
import type { Ledger } from './ledger.ts';
import type { LedgerEntry } from './types.ts';

const instrumentDefaults = { region: 'US', sector: 'test' } as const;

/** Cent ticks, 4-decimal prices with fractional lots, a multiplier of 10, whole-yen JPY, a multiplier of 0.5, BTC. */
export const TEST_REGISTRY_CONFIG = {
  venues: { 'SIM-A': { adapter: 'paper' }, 'SIM-B': { adapter: 'paper' } },
  instruments: [
    {
      symbol: 'AAPL',
      venues: ['SIM-A', 'SIM-B'],
      assetClass: 'equity',
      currency: 'USD',
      tickSize: 0.01,
      lotSize: 1,
      ...instrumentDefaults,
    },
    {
      symbol: 'PENNY',
      venues: ['SIM-A'],
      assetClass: 'equity',
      currency: 'USD',
      tickSize: 0.0001,
      lotSize: 0.001,
      ...instrumentDefaults,
    },
    {
      symbol: 'BUND',
      venues: ['SIM-B'],
      assetClass: 'future',
      currency: 'EUR',
      tickSize: 0.5,
      lotSize: 0.01,
      multiplier: 10,
      ...instrumentDefaults,
    },
    {
      symbol: 'TOYOTA',
      venues: ['SIM-A'],
      assetClass: 'equity',
      currency: 'JPY',
      tickSize: 1,
      lotSize: 100,
      ...instrumentDefaults,
    },
    {
      symbol: 'MINI',
      venues: ['SIM-A'],
      assetClass: 'future',
      currency: 'USD',
      tickSize: 0.0005,
      lotSize: 0.25,
      multiplier: 0.5,
      ...instrumentDefaults,
    },
    {
      symbol: 'ETHBTC',
      venues: ['SIM-B'],
      assetClass: 'crypto',
      currency: 'BTC',
      tickSize: 0.00001,
      lotSize: 0.0001,
      ...instrumentDefaults,
    },
  ],
};

export function testRegistry(): Registry {
  return parseRegistry(TEST_REGISTRY_CONFIG, 'test-registry');
}

export function instrumentOf(registry: Registry, id: string): Instrument {
  const instrument = registry.instruments.get(id as InstrumentId);
  if (!instrument) throw new Error(`no instrument ${id} in the test registry`);
  return instrument;
}

export interface FillSpec {
  readonly instrument: Instrument;
  readonly side: OrderSide;
  readonly quantity: number;
  readonly price: number;
  readonly fee?: number;
  readonly feeCurrency?: string;
  readonly strategy?: string;
  readonly trade: string;
  readonly tsEvent?: number;
}

export function makeFill(spec: FillSpec): OrderFilled {
  const ts = spec.tsEvent ?? 1_700_000_000_000_000;
  return {
    type: 'order_filled',
    clientOrderId: clientOrderId(`${spec.strategy ?? 'alpha'}-${spec.trade}`),
    strategyId: strategyId(spec.strategy ?? 'alpha'),
    instrumentId: spec.instrument.id,
    tsEvent: ts,
    tsInit: ts,
    venue: spec.instrument.venue,
    venueOrderId: venueOrderId(`V-${spec.trade}`),
    tradeId: tradeId(spec.trade),
    side: spec.side,
    lastQuantity: spec.quantity,
    lastPrice: spec.price,
    fee: spec.fee ?? 0,
    feeCurrency: spec.feeCurrency ?? spec.instrument.currency,
    liquidity: 'taker',
    leavesQuantity: 0,
  };
}

export interface ScriptStep {
  readonly instrument: number;
  readonly strategy: number;
  /** open: trade `lots` on `side`; close: trade exactly the strategy's position away; flip: close plus `lots`. */
  readonly action: 'open' | 'close' | 'flip';
  readonly side: OrderSide;
  readonly lots: number;
  readonly ticks: number;
  readonly fee: number;
  /** 0: the instrument's currency, 1: USD, 2: JPY. */
  readonly feeCurrency: number;
}

export const STRATEGIES = ['alpha', 'beta', 'gamma'] as const;

export const scriptStepArbitrary: fc.Arbitrary<ScriptStep> = fc.record({
  instrument: fc.nat({ max: TEST_REGISTRY_CONFIG.instruments.length + 1 }),
  strategy: fc.nat({ max: STRATEGIES.length - 1 }),
  action: fc.constantFrom('open', 'open', 'close', 'flip'),
  side: fc.constantFrom('buy', 'sell'),
  lots: fc.integer({ min: 1, max: 5_000 }),
  ticks: fc.integer({ min: 1, max: 3_000_000 }),
  fee: fc.oneof(
    fc.constant(0),
    fc.integer({ min: -500, max: 50_000 }).map((cents) => cents / 100),
    fc.double({ min: -5, max: 500, noNaN: true, noDefaultInfinity: true }),
  ),
  feeCurrency: fc.constantFrom(0, 0, 0, 1, 2),
});

export const scriptArbitrary = fc.array(scriptStepArbitrary, { minLength: 1, maxLength: 60 });

export interface ScriptRun {
  /** Every fill booked, in order. */
  readonly fills: readonly OrderFilled[];
  /** The event log: the opening deposits, then the fills. */
  readonly entries: readonly LedgerEntry[];
  /** Signed quantity per `strategy|instrument`, summed by the script (quantized after each sum). */
  readonly expectedByStrategy: ReadonlyMap<string, number>;
  /** Signed quantity per instrument. */
  readonly expectedByInstrument: ReadonlyMap<InstrumentId, number>;
}

export const OPENING_DEPOSITS = [
  { currency: 'USD', amountMinor: 100_000_000_00n, ref: 'capital:USD' },
  { currency: 'EUR', amountMinor: 5_000_000_00n, ref: 'capital:EUR' },
  { currency: 'JPY', amountMinor: 900_000_000n, ref: 'capital:JPY' },
  { currency: 'BTC', amountMinor: 50_00000000n, ref: 'capital:BTC' },
] as const;

/** Books the opening deposits and the script's fills into `ledger` (instruments cycle through the registry). */
export function runScript(
  ledger: Ledger,
  registry: Registry,
  steps: readonly ScriptStep[],
  tradePrefix = 'T',
): ScriptRun {
  const instruments = [...registry.instruments.values()];
  const entries: LedgerEntry[] = [];
  const fills: OrderFilled[] = [];
  const byStrategy = new Map<string, number>();
  const byInstrument = new Map<InstrumentId, number>();
  for (const d of OPENING_DEPOSITS) {
    ledger.deposit(d.currency, d.amountMinor, d.ref, 1);
    entries.push({
      kind: 'deposit',
      ref: d.ref,
      currency: d.currency,
      amountMinor: d.amountMinor,
      tsEvent: 1,
    });
  }
  steps.forEach((step, index) => {
    const instrument = instruments[step.instrument % instruments.length]!;
    const strategy = STRATEGIES[step.strategy]!;
    const key = `${strategy}|${instrument.id}`;
    const held = byStrategy.get(key) ?? 0;
    const lot = quantize(step.lots * instrument.lotSize, instrument.quantityDecimals);
    let side = step.side;
    let quantity = lot;
    if (step.action !== 'open' && held !== 0) {
      side = held > 0 ? 'sell' : 'buy';
      quantity = quantize(Math.abs(held) + (step.action === 'flip' ? lot : 0), instrument.quantityDecimals);
    }
    const fill = makeFill({
      instrument,
      side,
      quantity,
      price: quantize(step.ticks * instrument.tickSize, instrument.priceDecimals),
      fee: step.fee,
      feeCurrency: [instrument.currency, 'USD', 'JPY'][step.feeCurrency] ?? instrument.currency,
      strategy,
      trade: `${tradePrefix}${index}`,
      tsEvent: 1_000 + index,
    });
    ledger.book(fill, instrument);
    fills.push(fill);
    entries.push({ kind: 'fill', fill });
    const signed = side === 'buy' ? quantity : -quantity;
    byStrategy.set(key, quantize(held + signed, instrument.quantityDecimals));
    byInstrument.set(
      instrument.id,
      quantize((byInstrument.get(instrument.id) ?? 0) + signed, instrument.quantityDecimals),
    );
  });
  return { fills, entries, expectedByStrategy: byStrategy, expectedByInstrument: byInstrument };
}
