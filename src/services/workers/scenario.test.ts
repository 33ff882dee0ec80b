// Scenario PnL hand-computed on a small book (stocks in two currencies, an option by its greeks, a bond by its
// duration), historical episodes from inline returns and from a CSV, and the validation of scenarios.yaml.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../bus/memory.ts';
import { SimulatedClock } from '../../common/clock.ts';
import { ConfigError } from '../../common/errors.ts';
import { silentLogger } from '../../common/logging.ts';
import { scenarioReportSchema } from '../../common/message-schemas.ts';
import { loadRegistry, parseRegistry } from '../../common/registry.ts';
import { Streams } from '../../common/topics.ts';
import type { InstrumentId, OptionGreeks, ScenarioReport } from '../../model/index.ts';
import type { BookPosition, BookView } from './book.ts';
import { loadScenarios, resolveScenarios, ScenariosFileSchema } from './scenario-config.ts';
import { runScenario, startScenarioWorker, type ValuationContext } from './scenario.ts';

const registry = parseRegistry({
  venues: { X: { adapter: 'paper' } },
  instruments: [
    {
      symbol: 'AAPL',
      venues: ['X'],
      assetClass: 'equity',
      currency: 'USD',
      tickSize: 0.01,
      lotSize: 1,
      region: 'US',
      sector: 'technology',
    },
    {
      symbol: 'XOM',
      venues: ['X'],
      assetClass: 'equity',
      currency: 'USD',
      tickSize: 0.01,
      lotSize: 1,
      region: 'US',
      sector: 'energy',
    },
    {
      symbol: 'AAPL-C',
      venues: ['X'],
      assetClass: 'option',
      currency: 'USD',
      tickSize: 0.01,
      lotSize: 1,
      multiplier: 100,
      region: 'US',
      sector: 'technology',
    },
    {
      symbol: 'SAP',
      venues: ['X'],
      assetClass: 'equity',
      currency: 'EUR',
      tickSize: 0.01,
      lotSize: 1,
      region: 'EU',
      sector: 'technology',
    },
    {
      symbol: 'BOND',
      venues: ['X'],
      assetClass: 'bond',
      currency: 'USD',
      tickSize: 0.01,
      lotSize: 1,
      multiplier: 10,
      region: 'US',
      sector: 'rates',
    },
  ],
});
const id = (s: string) => `${s}.X` as InstrumentId;

function position(
  strategyId: string,
  symbol: string,
  quantity: number,
  mark: number | undefined,
): BookPosition {
  return {
    strategyId,
    instrumentId: id(symbol),
    currency: symbol === 'SAP' ? 'EUR' : 'USD',
    quantity,
    averagePrice: mark ?? 0,
    realized: 0,
    fees: 0,
    mark,
    unrealized: 0,
  };
}

// The book: A long 100 AAPL @ 200 and short 50 XOM @ 100; B long 10 AAPL calls (× 100) @ 15 and long 1000 SAP
// @ 50 EUR (EUR = 1.10 USD); C long 10 bonds (× 10) @ 100.
const BOOK: BookPosition[] = [
  position('A', 'AAPL', 100, 200),
  position('A', 'XOM', -50, 100),
  position('B', 'AAPL-C', 10, 15),
  position('B', 'SAP', 1000, 50),
  position('C', 'BOND', 10, 100),
];
const CALL: OptionGreeks = {
  type: 'greeks',
  instrumentId: id('AAPL-C'),
  underlyingId: id('AAPL'),
  underlyingPrice: 200,
  model: 'bsm',
  price: 15,
  volatility: 0.3,
  delta: 0.6,
  gamma: 0.02,
  vega: 0.5,
  theta: -5,
  rho: 0.3,
  dividendRho: -0.2,
  tsEvent: 0,
  tsInit: 0,
};

const FILE = {
  instruments: { AAPL: { beta: 1.2 }, BOND: { duration: 5 } },
  scenarios: [
    { name: 'equity-down-20', equity: -0.2 },
    { name: 'vol-up-50', volatility: 0.5 },
    { name: 'rates-up-100bp', ratesBps: 100 },
    { name: 'eur-down-10', fx: { EUR: -0.1 } },
    {
      name: 'episode',
      historical: {
        returns: { SPX: [-0.1, -0.2, 0.05], AAPLR: [-0.05, -0.1, 0.1] },
        series: { AAPL: 'AAPLR' },
        proxy: 'SPX',
      },
    },
  ],
};
const setup = resolveScenarios(ScenariosFileSchema.parse(FILE), 'scenarios.yaml', registry);
const context: ValuationContext = {
  baseCurrency: 'USD',
  fxRates: { EUR: 1.1 },
  instrument: (i) => registry.instruments.get(i),
  greeks: (i) => (i === CALL.instrumentId ? CALL : undefined),
  sensitivities: setup.sensitivities,
};
const scenario = (name: string) => setup.scenarios.find((s) => s.name === name)!;

describe('scenario PnL on a small book', () => {
  it('equity −20 %: stocks by beta, the option by delta and gamma, the EUR stock converted, the bond untouched', () => {
    const r = runScenario(scenario('equity-down-20'), BOOK, context);
    // AAPL: r = −0.20 × 1.2 = −0.24 → 100 × 200 × −0.24 = −4800
    // XOM: r = −0.20 → −50 × 100 × −0.20 = +1000
    // call: dS = 200 × −0.24 = −48; per option 0.6 × −48 + ½ × 0.02 × 48² = −28.8 + 23.04 = −5.76;
    //       × 10 × 100 = −5760
    // SAP: 1000 × 50 EUR × 1.10 = 55000 USD, −20 % → −11000
    expect(r.byInstrument).toEqual({
      [id('AAPL')]: -4800,
      [id('AAPL-C')]: -5760,
      [id('BOND')]: 0,
      [id('SAP')]: -11000,
      [id('XOM')]: 1000,
    });
    expect(r.byStrategy).toEqual({ A: -3800, B: -16760, C: 0 });
    expect(r.pnl).toBe(-20560);
    expect(r.worstPnl).toBe(-20560);
    expect(r.unmodelled).toEqual([]);
  });

  it('vol +50 %: only the option, by vega: 0.5 × (0.3 × 0.5) × 10 × 100 = 75', () => {
    const r = runScenario(scenario('vol-up-50'), BOOK, context);
    expect(r.pnl).toBe(75);
    expect(r.byStrategy).toEqual({ A: 0, B: 75, C: 0 });
  });

  it('rates +100 bp: the bond by duration, the option by rho', () => {
    const r = runScenario(scenario('rates-up-100bp'), BOOK, context);
    // bond: 10 × 10 × 100 = 10000 at −5 × 0.01 = −5 % → −500; call: 0.3 × 0.01 × 10 × 100 = +3
    expect(r.byInstrument[id('BOND')]).toBe(-500);
    expect(r.byInstrument[id('AAPL-C')]).toBe(3);
    expect(r.pnl).toBe(-497);
  });

  it('EUR −10 %: the EUR position loses 10 % of its USD value, 55000 × −0.10 = −5500', () => {
    const r = runScenario(scenario('eur-down-10'), BOOK, context);
    expect(r.byInstrument[id('SAP')]).toBe(-5500);
    expect(r.pnl).toBe(-5500);
  });

  it('a historical episode: end-of-episode and worst PnL along the path, the bond left out', () => {
    const r = runScenario(scenario('episode'), BOOK, context);
    // cumulative SPX: −0.1, 0.9 × 0.8 − 1 = −0.28, 0.72 × 1.05 − 1 = −0.244
    // cumulative AAPL (own series, no beta): −0.05, 0.95 × 0.9 − 1 = −0.145, 0.855 × 1.1 − 1 = −0.0595
    // AAPL 20000 × cum: −1000, −2900, −1190
    // XOM −5000 × SPX (proxy × beta 1): +500, +1400, +1220
    // call: dS = 200 × cum AAPL = −10, −29, −11.9; 0.6 dS + 0.01 dS² = −5, −8.99, −5.7239; × 1000
    // SAP 55000 × SPX: −5500, −15400, −13420
    // totals: −11000, −25890, −19113.9
    expect(r.pnl).toBeCloseTo(-19113.9, 6);
    expect(r.worstPnl).toBeCloseTo(-25890, 6);
    expect(r.byStrategy).toEqual({ A: 30, B: -19143.9 });
    expect(r.unmodelled).toEqual(['C/BOND.X: SCENARIO_NO_RETURNS (no series for BOND)']);
  });

  it('lists positions it cannot value and leaves them out', () => {
    const book = [position('A', 'AAPL', 100, undefined), position('B', 'AAPL-C', 10, 15)];
    const reasons: Record<string, number> = {};
    const r = runScenario(scenario('equity-down-20'), book, { ...context, greeks: () => undefined }, reasons);
    expect(r.pnl).toBe(0);
    expect(r.unmodelled).toEqual([
      'A/AAPL.X: SCENARIO_NO_MARK (no mark price)',
      'B/AAPL-C.X: SCENARIO_NO_GREEKS (no greeks.live message yet)',
    ]);
    expect(reasons).toEqual({ SCENARIO_NO_MARK: 1, SCENARIO_NO_GREEKS: 1 });
    const noRate = runScenario(scenario('eur-down-10'), [position('B', 'SAP', 10, 50)], {
      ...context,
      fxRates: {},
    });
    expect(noRate.unmodelled).toEqual(['B/SAP.X: SCENARIO_NO_FX_RATE (EUR to USD)']);
  });
});

describe('scenario worker', () => {
  it('publishes a report on `scenarios` with the greeks it has seen', () => {
    const bus = new MemoryBus();
    const clock = new SimulatedClock(1_000_000);
    const reports: ScenarioReport[] = [];
    bus.subscribe(Streams.scenarios, 'test', (r) => void reports.push(r));
    const book: BookView = { strategyPositions: () => BOOK, firmQuantity: () => 0, mark: () => undefined };
    const worker = startScenarioWorker(bus, clock, setup, silentLogger, {
      book,
      registry,
      baseCurrency: 'USD',
      fxRates: { EUR: 1.1 },
    });
    bus.publish(Streams.greeks, CALL);
    // The timer publishes after intervalSeconds (60 by default).
    clock.advanceTo(1_000_000 + 60_000_000);
    expect(reports).toHaveLength(1);
    const report = reports[0]!;
    expect(scenarioReportSchema.safeParse(report).success).toBe(true);
    expect(report.positions).toBe(5);
    expect(report.scenarios.map((s) => [s.name, s.pnl])).toEqual([
      ['equity-down-20', -20560],
      ['vol-up-50', 75],
      ['rates-up-100bp', -497],
      ['eur-down-10', -5500],
      ['episode', -19113.9],
    ]);
    expect(worker.run().tsEvent).toBe(clock.now());
    expect(worker.stats()).toMatchObject({ runs: 2, greeks: 1, unmodelled: { SCENARIO_NO_RETURNS: 1 } });
    worker.stop();
    clock.advanceTo(1_000_000 + 300_000_000);
    expect(reports).toHaveLength(2);
  });
});

describe('scenarios.yaml', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hf-scenarios-'));
  const write = (name: string, text: string): string => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  write('episode.csv', 'date,SPX,AAPL\n2020-01-01,0.5,0.5\n2020-01-02,-0.1,-0.05\n2020-01-03,-0.2,-0.1\n');

  it('loads the shipped file against the shipped registry', () => {
    const root = join(import.meta.dirname, '..', '..', '..', 'configs');
    const loaded = loadScenarios(join(root, 'scenarios.yaml'), loadRegistry(join(root, 'registry.yaml')));
    expect(loaded.scenarios.map((s) => s.name)).toContain('equity-down-20');
    expect(loaded.scenarios.find((s) => s.name === 'covid-crash-2020')!.episode!.steps).toBe(1);
  });

  it('replays a CSV episode between two dates', () => {
    const file = write(
      'ok.yaml',
      'scenarios:\n  - name: e\n    historical: { file: episode.csv, from: 2020-01-02, to: 2020-01-03, proxy: SPX }\n',
    );
    const episode = loadScenarios(file, registry).scenarios[0]!.episode!;
    expect(episode.steps).toBe(2);
    // From 2020-01-02: SPX −0.1, then 0.9 × 0.8 − 1 = −0.28.
    expect([...episode.cumulative.get('SPX')!].map((v) => Number(v.toFixed(12)))).toEqual([-0.1, -0.28]);
    expect([...episode.cumulative.get('AAPL')!].map((v) => Number(v.toFixed(12)))).toEqual([-0.05, -0.145]);
  });

  it('names the file and the key of a bad scenario', () => {
    const cases: [string, string][] = [
      ['scenarios:\n  - { name: a, equity: -0.2 }\n  - { name: a, equity: -0.1 }\n', 'scenarios[1].name'],
      ['scenarios:\n  - { name: a, equity: -1.5 }\n', 'scenarios[0].equity'],
      ['scenarios:\n  - { name: a }\n', 'scenarios[0]'],
      [
        'scenarios:\n  - { name: a, equity: -0.2, historical: { returns: { X: [0.1] } } }\n',
        'scenarios[0].historical',
      ],
      ['scenarios:\n  - { name: a, historical: { file: nope.csv } }\n', 'scenarios[0].historical.file'],
      [
        'scenarios:\n  - { name: a, historical: { file: episode.csv, proxy: NDX } }\n',
        'scenarios[0].historical.proxy',
      ],
      [
        'scenarios:\n  - { name: a, historical: { file: episode.csv, from: 1999-01-01 } }\n',
        'scenarios[0].historical.from',
      ],
      [
        'scenarios:\n  - { name: a, price: [{ symbol: TSLA, change: -0.1 }] }\n',
        'scenarios[0].price[0].symbol',
      ],
      ['instruments: { TSLA: { beta: 2 } }\nscenarios:\n  - { name: a, equity: -0.1 }\n', 'instruments.TSLA'],
    ];
    for (const [text, key] of cases) {
      const file = write('bad.yaml', text);
      let error: unknown;
      try {
        loadScenarios(file, registry);
      } catch (e) {
        error = e;
      }
      expect(error, key).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).file, key).toBe(file);
      expect((error as ConfigError).key, text).toBe(key);
    }
  });
});
