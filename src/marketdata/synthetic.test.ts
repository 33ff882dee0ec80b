// Tests of the synthetic market: determinism, price/book invariants, correlation, cross-venue spreads.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../common/errors.ts';
import { parseRegistry, type Registry } from '../common/registry.ts';
import { isMultipleOf, type Bar, type MarketData, type QuoteTick } from '../model/index.ts';
import { buildCorrelationMatrix, choleskyDecompose, SyntheticMarket } from './synthetic.ts';

const REGISTRY_CONFIG = {
  venues: {
    'SIM-A': { adapter: 'paper', fees: { makerBps: -0.2, takerBps: 0.5 } },
    'SIM-B': { adapter: 'paper', fees: { makerBps: 0, takerBps: 0.3 } },
  },
  instruments: [
    {
      symbol: 'AAPL',
      venues: ['SIM-A', 'SIM-B'],
      assetClass: 'equity',
      currency: 'USD',
      tickSize: 0.01,
      lotSize: 1,
      region: 'US',
      sector: 'technology',
    },
    {
      symbol: 'MSFT',
      venues: ['SIM-A', 'SIM-B'],
      assetClass: 'equity',
      currency: 'USD',
      tickSize: 0.01,
      lotSize: 1,
      region: 'US',
      sector: 'technology',
    },
    {
      symbol: 'JPM',
      venues: ['SIM-A', 'SIM-B'],
      assetClass: 'equity',
      currency: 'USD',
      tickSize: 0.01,
      lotSize: 1,
      region: 'US',
      sector: 'financials',
    },
    {
      symbol: 'XOM',
      venues: ['SIM-A'],
      assetClass: 'equity',
      currency: 'USD',
      tickSize: 0.05,
      lotSize: 10,
      region: 'US',
      sector: 'energy',
    },
  ],
};

const registry: Registry = parseRegistry(REGISTRY_CONFIG, 'inline');

function take(market: SyntheticMarket, count: number): MarketData[] {
  const out: MarketData[] = [];
  for (let i = 0; i < count; i++) out.push(market.next());
  return out;
}

function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Log returns of bar closes per instrument, over `barsPerInstrument` bars each. */
function closeReturns(market: SyntheticMarket, barsPerInstrument: number): Map<string, number[]> {
  const last = new Map<string, number>();
  const returns = new Map<string, number[]>();
  const total = barsPerInstrument * market.instruments.length;
  for (let k = 0; k < total; k++) {
    const bar = market.nextBar();
    const previous = last.get(bar.instrumentId);
    if (previous !== undefined) {
      let list = returns.get(bar.instrumentId);
      if (!list) returns.set(bar.instrumentId, (list = []));
      list.push(Math.log(bar.close / previous));
    }
    last.set(bar.instrumentId, bar.close);
  }
  return returns;
}

describe('SyntheticMarket', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = take(new SyntheticMarket({ registry, seed: 42 }), 5000);
    const b = take(new SyntheticMarket({ registry, seed: 42 }), 5000);
    const c = take(new SyntheticMarket({ registry, seed: 43 }), 5000);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);

    const bars = (seed: number): Bar[] => {
      const market = new SyntheticMarket({ registry, seed });
      return Array.from({ length: 500 }, () => market.nextBar());
    };
    expect(bars(7)).toEqual(bars(7));
    expect(bars(8)).not.toEqual(bars(7));
  });

  it('fill() produces the same sequence as next()', () => {
    const one = take(new SyntheticMarket({ registry, seed: 5 }), 300);
    const buffer: MarketData[] = new Array<MarketData>(300);
    expect(new SyntheticMarket({ registry, seed: 5 }).fill(buffer)).toBe(300);
    expect(buffer).toEqual(one);
  });

  it('keeps prices on the tick and positive, quotes uncrossed, books sorted, trades at the touch', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom(0.02, 1, 120, 5000),
        fc.double({ min: 0, max: 3, noNaN: true }),
        (seed, spreadTicks, spreadJitterTicks, depth, price, volatility) => {
          const market = new SyntheticMarket({
            registry,
            seed,
            spreadTicks,
            spreadJitterTicks,
            depth,
            volatility,
            bookInterval: 2,
            tradeProbability: 0.5,
            initialPrices: { AAPL: price, MSFT: price, JPM: price, XOM: price },
          });
          const lastQuote = new Map<string, QuoteTick>();
          let lastTime = -1;
          for (let k = 0; k < 400; k++) {
            const expectedTime = market.peekTime();
            const m = market.next();
            expect(m.tsEvent).toBe(expectedTime);
            expect(m.tsEvent).toBeGreaterThanOrEqual(lastTime);
            lastTime = m.tsEvent;
            const instrument = registry.instruments.get(m.instrumentId)!;
            const onTick = (p: number): boolean => p > 0 && isMultipleOf(p, instrument.tickSize);
            const onLot = (q: number): boolean => q > 0 && isMultipleOf(q, instrument.lotSize);
            switch (m.type) {
              case 'quote': {
                expect(onTick(m.bid) && onTick(m.ask)).toBe(true);
                expect(onLot(m.bidSize) && onLot(m.askSize)).toBe(true);
                const spread = Math.round((m.ask - m.bid) / instrument.tickSize);
                expect(spread).toBeGreaterThanOrEqual(spreadTicks);
                expect(spread).toBeLessThanOrEqual(spreadTicks + spreadJitterTicks);
                lastQuote.set(m.instrumentId, m);
                break;
              }
              case 'book': {
                const quote = lastQuote.get(m.instrumentId)!;
                expect(m.asks).toHaveLength(depth);
                expect(m.bids.length).toBeGreaterThanOrEqual(1);
                expect(m.bids[0]).toEqual({ price: quote.bid, size: quote.bidSize });
                expect(m.asks[0]).toEqual({ price: quote.ask, size: quote.askSize });
                for (const level of [...m.bids, ...m.asks])
                  expect(onTick(level.price) && onLot(level.size)).toBe(true);
                for (let i = 1; i < m.bids.length; i++)
                  expect(m.bids[i]!.price).toBeLessThan(m.bids[i - 1]!.price);
                for (let i = 1; i < m.asks.length; i++)
                  expect(m.asks[i]!.price).toBeGreaterThan(m.asks[i - 1]!.price);
                expect(m.bids[0]!.price).toBeLessThan(m.asks[0]!.price);
                break;
              }
              case 'trade': {
                const quote = lastQuote.get(m.instrumentId)!;
                expect(m.price).toBe(m.aggressor === 'buy' ? quote.ask : quote.bid);
                expect(onLot(m.size)).toBe(true);
                expect(m.size).toBeLessThanOrEqual(m.aggressor === 'buy' ? quote.askSize : quote.bidSize);
                break;
              }
              case 'bar':
                throw new Error('tick mode emitted a bar');
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('emits each instrument once per step in tick mode, at its offset within the step', () => {
    const stepMicros = 1_000;
    const market = new SyntheticMarket({
      registry,
      seed: 3,
      stepMicros,
      startTime: 0,
      bookInterval: 0,
      tradeProbability: 0,
    });
    const n = market.instruments.length;
    const messages = take(market, n * 3);
    messages.forEach((m, k) => {
      const step = Math.floor(k / n);
      const slot = k % n;
      expect(m.type).toBe('quote');
      expect(m.instrumentId).toBe(market.instruments[slot]!.id);
      expect(m.tsEvent).toBe(step * stepMicros + Math.floor((slot * stepMicros) / n));
    });
  });

  it('changes spreads at a rate per second, whatever the step', () => {
    const spreadHoldMicros = 2_000_000;
    const jitter = 1;
    const seconds = 600;
    for (const stepMicros of [5_000, 100_000]) {
      const market = new SyntheticMarket({
        registry,
        seed: 17,
        stepMicros,
        spreadHoldMicros,
        spreadJitterTicks: jitter,
        bookInterval: 0,
        tradeProbability: 0,
      });
      const steps = (seconds * 1_000_000) / stepMicros;
      let changes = 0;
      let last: number | undefined;
      for (let k = 0; k < steps * market.instruments.length; k++) {
        const m = market.next();
        if (m.type !== 'quote' || m.instrumentId !== 'AAPL.SIM-A') continue;
        const spread = Math.round((m.ask - m.bid) / 0.01);
        if (last !== undefined && spread !== last) changes++;
        last = spread;
      }
      // A redraw each step with probability 1 − e^(−step/hold); it differs from the old spread with
      // probability jitter/(jitter+1). The count is binomial: 5 standard deviations of slack.
      const p = (1 - Math.exp(-stepMicros / spreadHoldMicros)) * (jitter / (jitter + 1));
      const expected = steps * p;
      expect(Math.abs(changes - expected)).toBeLessThan(5 * Math.sqrt(expected * (1 - p)));
    }
  });

  it('produces bars with consistent OHLC on the tick, stamped at the close time', () => {
    const market = new SyntheticMarket({ registry, seed: 11, barTimeframe: '1h', startTime: 0 });
    const n = market.instruments.length;
    for (let k = 0; k < n * 200; k++) {
      const bar = market.nextBar();
      const tick = registry.instruments.get(bar.instrumentId)!.tickSize;
      expect(bar.instrumentId).toBe(market.instruments[k % n]!.id);
      expect(bar.tsEvent).toBe((Math.floor(k / n) + 1) * 3_600_000_000);
      expect(bar.timeframe).toBe('1h');
      for (const p of [bar.open, bar.high, bar.low, bar.close])
        expect(p > 0 && isMultipleOf(p, tick)).toBe(true);
      expect(bar.high).toBeGreaterThanOrEqual(Math.max(bar.open, bar.close));
      expect(bar.low).toBeLessThanOrEqual(Math.min(bar.open, bar.close));
      expect(bar.volume).toBeGreaterThan(0);
    }
  });

  it('realizes the configured correlations and volatility (tolerance from the sample size)', () => {
    const sectorCorrelation = 0.7;
    const marketCorrelation = 0.3;
    const volatility = 0.3;
    const secondsPerYear = 252 * 86_400;
    const market = new SyntheticMarket({
      registry,
      seed: 2024,
      barTimeframe: '1h',
      sectorCorrelation,
      marketCorrelation,
      volatility,
      secondsPerYear,
      initialPrices: { AAPL: 100, MSFT: 100, JPM: 100, XOM: 100 },
    });
    const n = 20_000;
    const returns = closeReturns(market, n + 1);
    const aapl = returns.get('AAPL.SIM-A')!;
    const msft = returns.get('MSFT.SIM-A')!;
    const jpm = returns.get('JPM.SIM-A')!;
    expect(aapl).toHaveLength(n);
    // Pearson r has standard error (1 − ρ²)/√n for normal data; 5 standard errors of slack.
    const tolerance = (rho: number): number => (5 * (1 - rho * rho)) / Math.sqrt(n);
    expect(Math.abs(pearson(aapl, msft) - sectorCorrelation)).toBeLessThan(tolerance(sectorCorrelation));
    expect(Math.abs(pearson(aapl, jpm) - marketCorrelation)).toBeLessThan(tolerance(marketCorrelation));
    // The same symbol on two venues moves together (only the sub-basis-point venue deviation differs).
    expect(pearson(aapl, returns.get('AAPL.SIM-B')!)).toBeGreaterThan(0.99);

    // Hourly log-return standard deviation σ·√(dt); its standard error is about σ_h/√(2n).
    const expected = volatility * Math.sqrt(3600 / secondsPerYear);
    let mean = 0;
    for (const r of aapl) mean += r / n;
    let variance = 0;
    for (const r of aapl) variance += (r - mean) ** 2 / (n - 1);
    expect(Math.abs(Math.sqrt(variance) - expected)).toBeLessThan((5 * expected) / Math.sqrt(2 * n));
  });

  it('applies pair overrides of the correlation', () => {
    const market = new SyntheticMarket({
      registry,
      seed: 99,
      barTimeframe: '1h',
      correlations: { 'AAPL:JPM': -0.4 },
      initialPrices: { AAPL: 100, MSFT: 100, JPM: 100, XOM: 100 },
    });
    const aaplRow = market.symbols.indexOf('AAPL');
    const jpmRow = market.symbols.indexOf('JPM');
    expect(market.correlation[aaplRow]![jpmRow]).toBe(-0.4);
    const n = 10_000;
    const returns = closeReturns(market, n + 1);
    const r = pearson(returns.get('AAPL.SIM-A')!, returns.get('JPM.SIM-A')!);
    expect(Math.abs(r - -0.4)).toBeLessThan((5 * (1 - 0.16)) / Math.sqrt(n));
  });

  it('crosses venues beyond fees a few times a minute per symbol at the defaults, and not most of the time', () => {
    // Hurdle of the cross-venue-arb defaults: 0.5 bp taker fee per leg plus a 0.5 bp threshold, which is
    // above the sum of this registry's taker fees (0.5 + 0.3 bp).
    const fees = [...registry.venues.values()].map((v) => v.fees.takerBps);
    const hurdleBps = 2 * Math.max(...fees) + 0.5;
    expect(hurdleBps).toBeGreaterThan(fees.reduce((a, b) => a + b, 0));
    const pairs = ['AAPL', 'MSFT', 'JPM'];
    for (const seed of [1, 2, 3]) {
      const market = new SyntheticMarket({ registry, seed });
      const { venueJumpsPerMinute } = market.config;
      const minutes = 20;
      const end = market.config.startTime + minutes * 60_000_000;
      const last = new Map<string, QuoteTick>();
      const lastCrossed = new Map<string, number>();
      const episodes = new Map<string, number>();
      let crossed = 0;
      let pairQuotes = 0;
      while (market.peekTime() <= end) {
        const m = market.next();
        if (m.type !== 'quote') continue;
        last.set(m.instrumentId, m);
        const symbol = registry.instruments.get(m.instrumentId)!.symbol;
        const a = last.get(`${symbol}.SIM-A`);
        const b = last.get(`${symbol}.SIM-B`);
        if (!a || !b) continue;
        pairQuotes++;
        const edgeBps = Math.max((b.bid - a.ask) / a.ask, (a.bid - b.ask) / b.ask) * 10_000;
        if (edgeBps <= hurdleBps) continue;
        crossed++;
        // A new opportunity: crossed after at least a second without a crossing on this symbol.
        if (m.tsEvent - (lastCrossed.get(symbol) ?? -Infinity) > 1_000_000)
          episodes.set(symbol, (episodes.get(symbol) ?? 0) + 1);
        lastCrossed.set(symbol, m.tsEvent);
      }
      // Either venue's jump dislocates the pair: about 2 × venueJumpsPerMinute a minute; allow for jumps too
      // small to clear the spread and for Poisson noise (half the rate).
      for (const symbol of pairs)
        expect((episodes.get(symbol) ?? 0) / minutes).toBeGreaterThanOrEqual(venueJumpsPerMinute);
      expect(crossed / pairQuotes).toBeLessThan(0.15);
    }
  });

  it('rejects bad configuration with the key named', () => {
    const attempt = (options: Record<string, unknown>): unknown => {
      try {
        new SyntheticMarket({ registry, ...options });
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const zeroSpread = attempt({ spreadTicks: 0 });
    expect(zeroSpread).toBeInstanceOf(ConfigError);
    expect((zeroSpread as ConfigError).key).toBe('spreadTicks');
    expect((attempt({ sprdTicks: 2 }) as ConfigError).message).toContain('sprdTicks');
    expect((attempt({ barTimeframe: '5x' }) as ConfigError).key).toBe('barTimeframe');
    expect((attempt({ marketCorrelation: 0.8, sectorCorrelation: 0.5 }) as ConfigError).key).toBe(
      'sectorCorrelation',
    );
    expect((attempt({ initialPrices: { GOOG: 10 } }) as ConfigError).key).toBe('initialPrices.GOOG');
    expect((attempt({ correlations: { 'AAPL:NOPE': 0.1 } }) as ConfigError).key).toBe(
      'correlations.AAPL:NOPE',
    );
    const notDefinite = attempt({ correlations: { 'AAPL:MSFT': 0.95, 'AAPL:JPM': 0.95, 'MSFT:JPM': -0.95 } });
    expect((notDefinite as ConfigError).key).toBe('correlations');
  });
});

describe('choleskyDecompose', () => {
  it('factors factor-model correlation matrices exactly (L·Lᵀ = C)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 8 }),
        fc.double({ min: 0, max: 0.95, noNaN: true }),
        fc.double({ min: 0, max: 0.95, noNaN: true }),
        (sectors, x, y) => {
          const market = Math.min(x, y);
          const sector = Math.max(x, y);
          const symbols = sectors.map((_, i) => `S${i}`);
          const matrix = buildCorrelationMatrix(symbols, sectors, {
            marketCorrelation: market,
            sectorCorrelation: sector,
            correlations: {},
          });
          const n = symbols.length;
          const factor = choleskyDecompose(matrix)!;
          expect(factor).toBeDefined();
          for (let i = 0; i < n; i++)
            for (let j = 0; j < n; j++) {
              let sum = 0;
              for (let k = 0; k < n; k++) sum += factor[i * n + k]! * factor[j * n + k]!;
              expect(sum).toBeCloseTo(matrix[i]![j]!, 9);
              if (j > i) expect(factor[i * n + j]).toBe(0);
            }
        },
      ),
    );
  });

  it('rejects matrices that are not symmetric positive definite', () => {
    expect(
      choleskyDecompose([
        [1, 1],
        [1, 1],
      ]),
    ).toBeUndefined();
    expect(
      choleskyDecompose([
        [1, 0.5],
        [0.4, 1],
      ]),
    ).toBeUndefined();
    expect(choleskyDecompose([[1, 0.5]])).toBeUndefined();
  });
});
